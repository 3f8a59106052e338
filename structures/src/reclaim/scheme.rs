//! The trait a reclamation scheme implements ([`Scheme`], [`Retire`]), what is retired
//! ([`Kind`]), and the protection slots shared with the algorithm.

use super::stats::{Counters, Kind};
use crate::sync::atomic::AtomicPtr;
use crate::sync::MAX_HEIGHT;
use std::alloc::Layout;

// Protection slots: the `slot` argument of [`Scheme::protect`] and
// [`Scheme::copy_protection`]. They are the contract between the algorithm, which decides what
// it protects where, and a scheme that keeps one protection per slot (hazard pointers): a
// search keeps its predecessor at level `l` in `PRED + l` and its successor in `SUCC + l`.

/// The predecessor at level `l` is protected in slot `PRED + l`.
pub(crate) const PRED: usize = 0;
/// The successor at level `l` is protected in slot `SUCC + l`.
pub(crate) const SUCC: usize = MAX_HEIGHT;
/// A spare slot for the node one step ahead.
pub(crate) const SPARE: usize = 2 * MAX_HEIGHT;
/// The slot that protects a value box while it is cloned; the last one.
pub(crate) const VALUE: usize = 2 * MAX_HEIGHT + 1;

/// An object the skip list retires: a node or a value box.
pub(crate) trait Retire: Send + 'static {
    /// Which counter its retirement and destruction go to.
    const KIND: Kind;

    /// Destroy the object and release its memory.
    ///
    /// # Safety
    /// - `ptr` points to a live object of this type that nothing else will access again;
    /// - called at most once per object.
    unsafe fn free(ptr: *mut Self);
}

/// A memory reclamation scheme for the lock-free skip list.
///
/// # Safety
///
/// Implementations must uphold, for the algorithm in `lockfree::raw`:
/// - an object passed to [`retire`](Scheme::retire) is destroyed (its `free` called) exactly
///   once, and not before every operation that could have read a pointer to it *before* it was
///   retired has finished with it: operations that hold a [`Guard`](Scheme::Guard) (epochs) or
///   protected it through [`protect`](Scheme::protect) (hazard pointers);
/// - memory returned by [`alloc`](Scheme::alloc) stays valid until
///   [`dealloc`](Scheme::dealloc) or until the scheme is dropped.
pub(crate) unsafe trait Scheme: Send + Sync + Sized + 'static {
    /// Short name used in reports.
    const NAME: &'static str;
    /// May a traversal step from a logically deleted (marked) node to its successor?
    const TRAVERSE_MARKED: bool;
    /// Per-thread, per-map state.
    type Local: Send;
    /// Held for the whole of one operation.
    type Guard;

    /// The per-map state.
    fn new() -> Self;
    /// A thread's state for this map, created on the thread's first operation.
    fn new_local(&self) -> Self::Local;
    /// Begin an operation.
    fn pin(&self, local: &mut Self::Local) -> Self::Guard;

    /// Load `src` and make its (untagged) target safe to dereference until hazard slot `slot`
    /// is reused or the operation ends. Returns the loaded value with its tag bits.
    fn protect<T>(local: &mut Self::Local, slot: usize, src: &AtomicPtr<T>) -> *mut T;

    /// Protect `ptr` in `slot`, where it is already protected by another slot of the same
    /// operation (moving a protection along; no validation needed).
    fn copy_protection<T>(local: &mut Self::Local, slot: usize, ptr: *mut T);

    /// Whether a node this scheme frees may go to the use-after-free detector's quarantine
    /// (`crate::quarantine`) instead: only if [`dealloc`](Scheme::dealloc) would give the
    /// memory back on its own, so that keeping it means no later allocation reuses the address.
    /// An arena that releases whole chunks at teardown (`none.rs`) says no: its quarantined
    /// nodes' addresses would come back in new allocations and read as freed.
    const QUARANTINE: bool = true;

    /// Allocate memory for a node (the global allocator unless the scheme has its own).
    ///
    /// # Safety
    /// `layout` must have a non-zero size.
    #[inline]
    unsafe fn alloc(local: &mut Self::Local, layout: Layout) -> *mut u8 {
        let _ = local;
        // SAFETY: the caller guarantees a non-zero size.
        let p = unsafe { std::alloc::alloc(layout) };
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        p
    }

    /// Give back memory from [`alloc`](Scheme::alloc) of a node that was destroyed.
    ///
    /// # Safety
    /// - `ptr` came from `alloc` with this `layout`, and its contents were dropped;
    /// - nothing will access `ptr` again.
    #[inline]
    unsafe fn dealloc(ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees `ptr` came from `alloc` with this layout.
        unsafe { std::alloc::dealloc(ptr, layout) }
    }

    /// Hand `ptr` to the scheme; [`Retire::free`] destroys it later, exactly once.
    ///
    /// # Safety
    /// - `ptr` is unreachable from the map for any operation that starts from now on;
    /// - `ptr` was not retired before (each object is retired exactly once);
    /// - `T::free(ptr)` is sound once every operation that may still hold `ptr` ended;
    /// - `counters` outlives every object retired in this map (the map owns both).
    unsafe fn retire<T: Retire>(
        &self,
        local: &mut Self::Local,
        guard: &Self::Guard,
        counters: &Counters,
        ptr: *mut T,
    );

    /// Free every object retired and not yet freed. Called from the map's `Drop` after all
    /// [`Local`](Scheme::Local)s were drained (and dropped, except for the ones handed here).
    fn teardown(&mut self, locals: Vec<Self::Local>, counters: &Counters);
}
