//! Skip list nodes: one allocation holding the key, the value pointer, the state word and the
//! tower of next pointers.
//!
//! ```text
//! #[repr(C)] Node { key, value: AtomicPtr<ValueBox>, state, height, tower: [AtomicPtr<Node>; 0] }
//!                                                                   └─ `height` slots follow
//! ```
//!
//! The tower is a trailing array sized at allocation (`Layout::extend`), so a node is one
//! allocation with no `Vec` and no reference count. Tower slots are reached only through raw
//! pointers derived from the node pointer ([`Node::tower`]): a `&Node` covers only the header,
//! and deriving a tower pointer from it would leave the reference's bounds (Miri checks this).
//!
//! The value lives in its own box ([`ValueBox`]) behind an atomic pointer: a replace swaps the
//! pointer and retires the old box; a remove swaps it to null, which is the linearization point
//! of the remove (Fraser's logical deletion by value).
//!
//! Tower pointers carry a **mark** in bit 0: `tower[i]` marked means "this node is logically
//! deleted at level `i`; do not link anything after it there". Nodes are at least 8-aligned.

use crate::reclaim::{Kind, Retire, Scheme};
use crate::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::alloc::Layout;
use std::marker::PhantomData;
use std::ptr;

/// `state` bit: the inserter has finished with the tower (linked every level it will link).
pub(crate) const BUILT: usize = 1;
/// `state` bit: the remover has unlinked the node from every level (its search passed it).
pub(crate) const UNLINKED: usize = 2;

/// Strip the mark.
#[inline(always)]
pub(crate) fn untagged<T>(p: *mut T) -> *mut T {
    p.map_addr(|a| a & !1)
}

/// Is the mark set?
#[inline(always)]
pub(crate) fn is_marked<T>(p: *mut T) -> bool {
    p.addr() & 1 == 1
}

/// Set the mark.
#[inline(always)]
pub(crate) fn marked<T>(p: *mut T) -> *mut T {
    p.map_addr(|a| a | 1)
}

/// A value in its own allocation, so that it can be swapped and retired independently.
pub(crate) struct ValueBox<V> {
    pub(crate) value: V,
}

impl<V: Send + 'static> Retire for ValueBox<V> {
    const KIND: Kind = Kind::Value;

    unsafe fn free(ptr: *mut Self) {
        // SAFETY: value boxes are created by `Box::into_raw` (`ValueBox::into_raw`) and freed
        // once (caller's contract).
        drop(unsafe { Box::from_raw(ptr) });
    }
}

impl<V> ValueBox<V> {
    pub(crate) fn into_raw(value: V) -> *mut Self {
        Box::into_raw(Box::new(ValueBox { value }))
    }
}

/// A skip list node header; `height` tower slots follow it in the same allocation.
#[repr(C)]
pub(crate) struct Node<K, V, S> {
    pub(crate) key: K,
    pub(crate) value: AtomicPtr<ValueBox<V>>,
    pub(crate) state: AtomicUsize,
    height: usize,
    _scheme: PhantomData<fn() -> S>,
    tower: [AtomicPtr<Node<K, V, S>>; 0],
}

impl<K, V, S: Scheme> Node<K, V, S> {
    fn layout(height: usize) -> Layout {
        let (layout, _) = Layout::new::<Self>()
            .extend(Layout::array::<AtomicPtr<Self>>(height).expect("tower layout"))
            .expect("node layout");
        layout.pad_to_align()
    }

    /// Allocate a node holding `key` and `value`, with `height` null tower slots.
    ///
    /// # Safety
    /// `1 <= height <= MAX_HEIGHT`.
    pub(crate) unsafe fn alloc(
        local: &mut S::Local,
        key: K,
        value: *mut ValueBox<V>,
        height: usize,
    ) -> *mut Self {
        let layout = Self::layout(height);
        // SAFETY: the layout has a non-zero size (the header alone is non-empty).
        let node = unsafe { S::alloc(local, layout) }.cast::<Self>();
        // SAFETY: `node` is a fresh allocation of `layout`, large and aligned enough for the
        // header and `height` tower slots; each field is written once through raw pointers.
        unsafe {
            ptr::addr_of_mut!((*node).key).write(key);
            ptr::addr_of_mut!((*node).value).write(AtomicPtr::new(value));
            ptr::addr_of_mut!((*node).state).write(AtomicUsize::new(0));
            ptr::addr_of_mut!((*node).height).write(height);
            let tower = ptr::addr_of_mut!((*node).tower).cast::<AtomicPtr<Self>>();
            for i in 0..height {
                tower.add(i).write(AtomicPtr::new(ptr::null_mut()));
            }
        }
        node
    }

    /// The node's tower height.
    ///
    /// # Safety
    /// `node` points to a live node.
    #[inline(always)]
    pub(crate) unsafe fn height(node: *const Self) -> usize {
        // SAFETY: live node (caller); `height` is immutable after allocation.
        unsafe { (*node).height }
    }

    /// Tower slot `level` of `node`.
    ///
    /// # Safety
    /// `node` points to a live node, `level < height`, and the returned reference is not used
    /// after the node is freed.
    #[inline(always)]
    pub(crate) unsafe fn tower<'a>(node: *const Self, level: usize) -> &'a AtomicPtr<Self> {
        // SAFETY: the tower has `height > level` initialised slots right after the header, in
        // the same allocation; the pointer is derived from the raw node pointer (whole
        // allocation provenance), not from a `&Node`.
        unsafe {
            debug_assert!(level < (*node).height);
            &*ptr::addr_of!((*node).tower)
                .cast::<AtomicPtr<Self>>()
                .add(level)
        }
    }

    /// The node's key.
    ///
    /// # Safety
    /// `node` points to a live node and the reference is not used after it is freed.
    #[inline(always)]
    pub(crate) unsafe fn key<'a>(node: *const Self) -> &'a K {
        // SAFETY: live node (caller); keys are immutable after allocation.
        unsafe { &(*node).key }
    }

    /// Destroy a node that was never published (lost a race) without touching its value box,
    /// which the caller keeps.
    ///
    /// # Safety
    /// `node` came from [`Node::alloc`] and was never reachable by another thread.
    pub(crate) unsafe fn discard(node: *mut Self) {
        // SAFETY: unpublished, so exclusively ours; the value pointer is cleared first so that
        // `free` leaves the box to the caller.
        unsafe {
            (*node).value.store(ptr::null_mut(), Ordering::Relaxed);
            Self::free_node(node);
        }
    }

    /// Free a node that is still linked when its map is dropped.
    ///
    /// # Safety
    /// Exclusive access to the map; `node` is live and freed once.
    pub(crate) unsafe fn free_live(node: *mut Self) {
        // SAFETY: forwarded contract.
        unsafe { Self::free_node(node) }
    }

    /// Drop the key, the value box if any, the atomics, and release the memory.
    ///
    /// # Safety
    /// `node` is live, nothing accesses it again, and this is called once.
    unsafe fn free_node(node: *mut Self) {
        // SAFETY: exclusive access (caller). Fields were initialised in `alloc`.
        unsafe {
            let height = (*node).height;
            let value = (*node).value.load(Ordering::Relaxed);
            if !value.is_null() {
                drop(Box::from_raw(value));
            }
            ptr::drop_in_place(ptr::addr_of_mut!((*node).key));
            ptr::drop_in_place(ptr::addr_of_mut!((*node).value));
            ptr::drop_in_place(ptr::addr_of_mut!((*node).state));
            let tower = ptr::addr_of_mut!((*node).tower).cast::<AtomicPtr<Self>>();
            for i in 0..height {
                ptr::drop_in_place(tower.add(i));
            }
            S::dealloc(node.cast(), Self::layout(height));
        }
    }
}

impl<K, V, S> Retire for Node<K, V, S>
where
    K: Send + 'static,
    V: Send + 'static,
    S: Scheme,
{
    const KIND: Kind = Kind::Node;

    unsafe fn free(ptr: *mut Self) {
        // SAFETY: forwarded contract (exclusive, once).
        unsafe { Self::free_node(ptr) }
    }
}
