//! The nodes of the mutex skip list: one allocation each, a header and its tower.
//!
//! Each node is **one allocation**: a `#[repr(C)]` header followed by its tower of next
//! pointers, sized for the node's own height.
//!
//! ```text
//!  ┌──────────── Node<K, V> (header) ───────────┬──── tower: height × *mut Node ────┐
//!  │ key: K │ value: V │ height: usize │ (pad) │ next[0] │ next[1] │ … │ next[h-1]  │
//!  └────────────────────────────────────────────┴───────────────────────────────────┘
//! ```
//!
//! The layout is `Layout::new::<Node<K, V>>()` extended with `height` pointer slots
//! (`Layout::extend`, then `pad_to_align`), allocated with `std::alloc`. The tower's offset
//! depends only on the header type, not on the height, so reaching `next[l]` is one add. No
//! `Vec`, `Box<[_]>` or `Arc` per node: a height-1 node — three nodes in four — costs exactly
//! one header plus one pointer, like in the lock-free lists. Links are plain `*mut` pointers,
//! not atomics: every read and write happens under the lock.

use crate::sync::MAX_HEIGHT;
use std::alloc::{self, Layout};
use std::ptr;

/// A link to the next node at some level: null, or a live node of the same list.
pub(super) type Link<K, V> = *mut Node<K, V>;

/// The fixed-size header of a node. Its tower of `height` links follows it in the same
/// allocation, at [`Node::tower_offset`].
#[repr(C)]
pub(super) struct Node<K, V> {
    pub(super) key: K,
    pub(super) value: V,
    /// Number of tower slots, in `1..=MAX_HEIGHT`; never changes.
    pub(super) height: usize,
}

impl<K, V> Node<K, V> {
    /// The layout of a node with `height` tower slots, and the offset of its tower.
    #[inline]
    pub(super) fn layout(height: usize) -> (Layout, usize) {
        let tower = Layout::array::<Link<K, V>>(height).expect("tower layout overflows");
        let (layout, offset) = Layout::new::<Self>()
            .extend(tower)
            .expect("node layout overflows");
        (layout.pad_to_align(), offset)
    }

    /// The offset of the tower from the start of the node; independent of the height.
    #[inline]
    fn tower_offset() -> usize {
        Self::layout(0).1
    }

    /// Allocates a node holding `key` and `value` with a tower of `height` null links.
    pub(super) fn alloc(key: K, value: V, height: usize) -> *mut Self {
        debug_assert!((1..=MAX_HEIGHT).contains(&height));
        let (layout, offset) = Self::layout(height);
        // SAFETY: `layout` has non-zero size: the header alone holds a `usize`.
        let raw = unsafe { alloc::alloc(layout) };
        if raw.is_null() {
            alloc::handle_alloc_error(layout);
        }
        let node = raw.cast::<Self>();
        // SAFETY: `raw` is a fresh allocation of `layout`, which begins with a `Node<K, V>` at
        // offset 0 (aligned: `extend` keeps the header's alignment) followed by `height` link
        // slots at `offset`, all in bounds. Each is written exactly once, before any read.
        unsafe {
            node.write(Node { key, value, height });
            let tower = raw.add(offset).cast::<Link<K, V>>();
            for level in 0..height {
                tower.add(level).write(ptr::null_mut());
            }
        }
        node
    }

    /// The slot holding `node`'s link at `level`.
    ///
    /// # Safety
    ///
    /// `node` must be a live node from [`Node::alloc`] and `level < (*node).height`.
    #[inline]
    pub(super) unsafe fn slot(node: *mut Self, level: usize) -> *mut Link<K, V> {
        // SAFETY: `node` is live (caller), so its header is readable; its tower starts at
        // `tower_offset()` within the same allocation and has `height > level` slots (caller),
        // so the result stays in bounds, derived from `node`'s provenance over the allocation.
        unsafe {
            debug_assert!(level < (*node).height);
            node.cast::<u8>()
                .add(Self::tower_offset())
                .cast::<Link<K, V>>()
                .add(level)
        }
    }

    /// Frees `node`, moving its key and value out.
    ///
    /// # Safety
    ///
    /// `node` must be a live node from [`Node::alloc`], unreachable from any list, and never
    /// used again.
    pub(super) unsafe fn into_parts(node: *mut Self) -> (K, V) {
        // SAFETY: `node` is live (caller), so the header is initialised. Key and value are
        // read exactly once and the memory is freed right below, so they are neither read nor
        // dropped again: ownership moves to the caller.
        let (key, value, height) = unsafe {
            (
                ptr::read(&raw const (*node).key),
                ptr::read(&raw const (*node).value),
                (*node).height,
            )
        };
        // SAFETY: `node` was allocated by `alloc` with `layout(height)`, and `height` has not
        // changed since; it is not used again (caller).
        unsafe { alloc::dealloc(node.cast(), Self::layout(height).0) };
        (key, value)
    }

    /// Drops `node`'s key and value in place and frees it.
    ///
    /// # Safety
    ///
    /// Same as [`Node::into_parts`].
    pub(super) unsafe fn destroy(node: *mut Self) {
        // SAFETY: `node` is live and exclusively ours (caller): key and value are initialised
        // and dropped exactly once, then the allocation is freed with the layout it was
        // allocated with (`height` never changes). Nothing touches `node` afterwards.
        unsafe {
            let height = (*node).height;
            ptr::drop_in_place(&raw mut (*node).key);
            ptr::drop_in_place(&raw mut (*node).value);
            alloc::dealloc(node.cast(), Self::layout(height).0);
        }
    }
}
