//! Skip list nodes: one allocation holding the key, the value pointer, the state word and the
//! tower of next pointers.
//!
//! ```text
//! #[repr(C)] Node { value: AtomicPtr<V>, state: u32, height: u32, inline: V, key: K,
//!                   tower: [AtomicPtr<Node>; 0] }   └─ `height` slots follow
//! ```
//!
//! The tower is a trailing array sized at allocation (`Layout::extend`), so a node is one
//! allocation with no `Vec` and no reference count. Tower slots are reached only through raw
//! pointers derived from the node pointer ([`Node::tower`]): a `&Node` covers only the header,
//! and deriving a tower pointer from it would leave the reference's bounds (Miri checks this).
//!
//! The first value of a key is stored **inline**, and `value` holds the sentinel [`inline_tag`]: a
//! get touches one allocation. A replace swaps `value` to a boxed value ([`Boxed`]); a remove
//! swaps it to null,
//! which is the linearization point of the remove (Fraser's logical deletion by value). A
//! replaced or removed *boxed* value is retired on its own (and counted as a retired value); a
//! replaced or removed *inline* value is part of its node's allocation and is destroyed with the
//! node (which is retired later, so every reader that could still be cloning it has finished by
//! then). It is not counted as a retired value: the value counters measure what the scheme
//! holds. At most one stale value per node waits for its node — the price of one allocation per
//! insert instead of two.
//!
//! Keys and values live in `sync::UnsafeCell`s and are read through `with`: free in std, and
//! under loom every read is checked to happen after the write that created the cell — so a
//! node published with too weak an ordering is reported as a causality violation.
//!
//! Tower pointers carry a **mark** in bit 0 (`crate::tag`): `tower[i]` marked means "this node
//! is logically deleted at level `i`; do not link anything after it there". Nodes are at least
//! 8-aligned.

use crate::reclaim::{Kind, Retire, Scheme};
use crate::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use crate::sync::UnsafeCell;
use std::alloc::Layout;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;

/// `state` bit: the inserter has finished with the tower (linked every level it will link).
pub(crate) const BUILT: u32 = 1;
/// `state` bit: the remover has unlinked the node from every level (its search passed it).
pub(crate) const UNLINKED: u32 = 2;

/// The value-pointer sentinel meaning "the value is the node's inline one". Its address is one
/// no allocation has (not even a zero-sized one, whose address is its alignment).
#[inline(always)]
pub(crate) fn inline_tag<V>() -> *mut V {
    ptr::without_provenance_mut(usize::MAX & !0xFF)
}

/// A replacement value in its own allocation. The value is dropped by [`Retire::free`] (or by
/// the owning node's free), never by the box itself, so it can also be moved out.
pub(crate) struct Boxed<V>(UnsafeCell<MaybeUninit<V>>);

impl<V: Send + 'static> Retire for Boxed<V> {
    const KIND: Kind = Kind::Value;

    unsafe fn free(ptr: *mut Self) {
        // SAFETY: boxed values are created by `Boxed::into_raw` (initialised) and freed once
        // (caller): drop the value, then the box.
        unsafe { Boxed::drop_raw(ptr.cast::<V>()) }
    }
}

impl<V> Boxed<V> {
    /// Box `value`, returning the pointer to store in a node's `value`.
    pub(crate) fn into_raw(value: V) -> *mut V {
        Box::into_raw(Box::new(Boxed(UnsafeCell::new(MaybeUninit::new(value))))).cast::<V>()
    }

    /// Drop the value and the box.
    ///
    /// # Safety
    /// `ptr` came from `into_raw`, is not used again, and this is called once.
    pub(crate) unsafe fn drop_raw(ptr: *mut V) {
        // SAFETY: caller's contract; the value is initialised until this drop.
        let boxed = unsafe { Box::from_raw(ptr.cast::<Boxed<V>>()) };
        // SAFETY: exclusive access; dropped once.
        boxed.0.with_mut(|p| unsafe { (*p).assume_init_drop() });
    }

    /// Take back a value boxed by [`Boxed::into_raw`] that was never published.
    ///
    /// # Safety
    /// `ptr` came from `into_raw` and no other thread ever saw it.
    pub(crate) unsafe fn into_inner(ptr: *mut V) -> V {
        // SAFETY: caller's contract.
        let boxed = unsafe { Box::from_raw(ptr.cast::<Boxed<V>>()) };
        // SAFETY: exclusive; moved out once (`MaybeUninit` will not drop it again).
        boxed.0.with_mut(|p| unsafe { (*p).assume_init_read() })
    }

    /// Clone the value.
    ///
    /// # Safety
    /// `ptr` came from `into_raw` and is not freed during the call.
    pub(crate) unsafe fn clone_raw(ptr: *mut V) -> V
    where
        V: Clone,
    {
        // SAFETY: caller's contract; initialised.
        unsafe {
            (*ptr.cast::<Boxed<V>>())
                .0
                .with(|p| (*p).assume_init_ref().clone())
        }
    }
}

/// A skip list node header; `height` tower slots follow it in the same allocation.
#[repr(C)]
pub(crate) struct Node<K, V, S> {
    /// [`inline_tag`] (the value is `inline`), a [`Boxed`] replacement, or null (deleted).
    pub(crate) value: AtomicPtr<V>,
    /// `BUILT | UNLINKED` bits (invariant 1 of `raw`).
    pub(crate) state: AtomicU32,
    height: u32,
    /// The key's first value; dropped only when the node is freed.
    inline: UnsafeCell<MaybeUninit<V>>,
    _scheme: PhantomData<fn() -> S>,
    /// Last before the tower: a search reads a node's key and then its tower slot, and keeping
    /// them adjacent makes them share a cache line more often.
    key: UnsafeCell<K>,
    tower: [AtomicPtr<Node<K, V, S>>; 0],
}

impl<K, V, S: Scheme> Node<K, V, S> {
    fn layout(height: usize) -> Layout {
        let (layout, _) = Layout::new::<Self>()
            .extend(Layout::array::<AtomicPtr<Self>>(height).expect("tower layout"))
            .expect("node layout");
        layout.pad_to_align()
    }

    /// Allocate a node holding `key` and (inline) `value`, with `height` null tower slots.
    ///
    /// # Safety
    /// `1 <= height <= MAX_HEIGHT`.
    pub(crate) unsafe fn alloc(local: &mut S::Local, key: K, value: V, height: usize) -> *mut Self {
        let layout = Self::layout(height);
        // SAFETY: the layout has a non-zero size (the header alone is non-empty).
        let node = unsafe { S::alloc(local, layout) }.cast::<Self>();
        // SAFETY: `node` is a fresh allocation of `layout`, large and aligned enough for the
        // header and `height` tower slots; each field is written once through raw pointers.
        unsafe {
            ptr::addr_of_mut!((*node).key).write(UnsafeCell::new(key));
            ptr::addr_of_mut!((*node).inline).write(UnsafeCell::new(MaybeUninit::new(value)));
            ptr::addr_of_mut!((*node).value).write(AtomicPtr::new(inline_tag()));
            ptr::addr_of_mut!((*node).state).write(AtomicU32::new(0));
            ptr::addr_of_mut!((*node).height).write(height as u32);
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
        unsafe { (*node).height as usize }
    }

    /// Clone the value that `value` (a load of the node's value pointer) designates.
    ///
    /// # Safety
    /// `node` is live; `value` is non-null and was read from the node's value pointer; the value
    /// it designates is not freed during the call (protected, or kept by a guard).
    #[inline(always)]
    pub(crate) unsafe fn clone_value(node: *const Self, value: *mut V) -> V
    where
        V: Clone,
    {
        if value == inline_tag() {
            // SAFETY: the inline value is initialised until the node is freed.
            unsafe { (*node).inline.with(|p| (*p).assume_init_ref().clone()) }
        } else {
            // SAFETY: a boxed value, alive per the caller.
            unsafe { Boxed::clone_raw(value) }
        }
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
            debug_assert!(level < (*node).height as usize);
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
        // SAFETY: live node (caller); keys are immutable after allocation, so the reference
        // stays valid while the node lives. Under loom the read is checked for causality.
        unsafe { (*node).key.with(|p| &*p) }
    }

    /// Destroy a node that was never published (lost a race), giving back its key and inline
    /// value.
    ///
    /// # Safety
    /// `node` came from [`Node::alloc`], was never reachable by another thread, and its value
    /// pointer still designates the inline value.
    pub(crate) unsafe fn discard(node: *mut Self) -> (K, V) {
        // SAFETY: unpublished, so exclusively ours; key and inline value are moved out exactly
        // once and the memory released without dropping them again.
        unsafe {
            let key = ptr::read(ptr::addr_of!((*node).key)).into_inner();
            let value = (*node).inline.with_mut(|p| (*p).assume_init_read());
            ptr::drop_in_place(ptr::addr_of_mut!((*node).inline));
            let height = (*node).height as usize;
            Self::drop_atomics(node, height);
            S::dealloc(node.cast(), Self::layout(height));
            (key, value)
        }
    }

    /// Free a node that is still linked when its map is dropped.
    ///
    /// # Safety
    /// Exclusive access to the map; `node` is live and freed once.
    pub(crate) unsafe fn free_live(node: *mut Self) {
        // SAFETY: forwarded contract.
        unsafe { Self::free_node(node, false) }
    }

    /// # Safety
    /// Exclusive access; the atomics are dropped once.
    unsafe fn drop_atomics(node: *mut Self, height: usize) {
        // SAFETY: caller's contract; the fields were initialised in `alloc`.
        unsafe {
            ptr::drop_in_place(ptr::addr_of_mut!((*node).value));
            ptr::drop_in_place(ptr::addr_of_mut!((*node).state));
            let tower = ptr::addr_of_mut!((*node).tower).cast::<AtomicPtr<Self>>();
            for i in 0..height {
                ptr::drop_in_place(tower.add(i));
            }
        }
    }

    /// Drop the key, the inline value, the current boxed value if any, the atomics, and release
    /// the memory — or, if `quarantine`, keep the memory with every link and the value pointer
    /// set to the poison, and record it (`crate::quarantine`, the checkers' use-after-free
    /// detector).
    ///
    /// # Safety
    /// `node` is live, nothing accesses it again, and this is called once.
    unsafe fn free_node(node: *mut Self, quarantine: bool) {
        // SAFETY: exclusive access (caller). Fields were initialised in `alloc`; the inline value
        // is dropped here and nowhere else; a current boxed value is owned by the node (retired
        // boxes were swapped out of it).
        unsafe {
            let height = (*node).height as usize;
            let current = (*node).value.load(Ordering::Relaxed);
            if !current.is_null() && current != inline_tag() {
                Boxed::drop_raw(current);
            }
            (*node).inline.with_mut(|p| (*p).assume_init_drop());
            ptr::drop_in_place(ptr::addr_of_mut!((*node).inline));
            // A write access for the checkers: under loom, a free that is not ordered after
            // every read of the key (a reclamation bug) is reported as a causality violation.
            (*node).key.with_mut(|_| ());
            ptr::drop_in_place(ptr::addr_of_mut!((*node).key));
            Self::drop_atomics(node, height);
            if quarantine {
                // The memory stays allocated (never reused): a reader that still stands on the
                // node reads the poison, which the checkers report. The value pointer and the
                // tower slots, dropped just above, are written anew in place (in bounds: the
                // node's layout has `height` tower slots).
                ptr::addr_of_mut!((*node).value).write(AtomicPtr::new(crate::quarantine::poison()));
                let tower = ptr::addr_of_mut!((*node).tower).cast::<AtomicPtr<Self>>();
                for i in 0..height {
                    tower
                        .add(i)
                        .write(AtomicPtr::new(crate::quarantine::poison()));
                }
                crate::quarantine::record(node as usize);
            } else {
                S::dealloc(node.cast(), Self::layout(height));
            }
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
        // SAFETY: forwarded contract (exclusive, once); a retired node goes to quarantine
        // instead when the detector is on.
        unsafe { Self::free_node(ptr, crate::quarantine::takes(S::QUARANTINE)) }
    }
}
