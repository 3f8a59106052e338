//! Epoch-based reclamation with `crossbeam-epoch`, one `Collector` per map.
//!
//! Every operation pins the calling thread's `LocalHandle` (registered with the map's own
//! collector the first time the thread touches the map); a retired object is deferred to the
//! collector and destroyed once every thread that was pinned when it was retired has unpinned.
//! Pinned readers may therefore step through logically deleted nodes (Harris's traversal):
//! a node reached while pinned is not freed before the pin ends.
//!
//! Under loom, crossbeam-epoch itself is modelled (`--cfg crossbeam_loom` plus its `loom`
//! feature, switched on for `cfg(loom)` in `Cargo.toml`).

use super::scheme::{Retire, Scheme};
use super::stats::Counters;
use crate::sync::atomic::{AtomicPtr, Ordering};
use crossbeam_epoch::{Collector, Guard, LocalHandle};

/// The epoch scheme: the map's collector.
pub(crate) struct Epoch {
    collector: Collector,
}

/// A thread's handle on a map's collector.
pub(crate) struct EpochLocal(LocalHandle);

// SAFETY: a `LocalHandle` is `!Send` because its thread-local counters are not synchronised.
// An `EpochLocal` lives in a per-thread slot (`reclaim::slots`): it is used only by the thread
// holding that slot's index, handed to a new thread only after the previous holder exited
// (ordered by the index pool's mutex), and dropped by the map's owner through `&mut` when no
// guard from it can exist any more (guards never outlive the operation or iterator that made
// them, and both borrow the map).
unsafe impl Send for EpochLocal {}

// SAFETY: deferred destruction upholds the `Scheme` contract: an object retired under a guard
// is destroyed only after every guard pinned before the retirement is dropped (crossbeam-epoch's
// guarantee), every operation holds its guard from its first load to its last dereference, and
// deferred functions still pending run when the collector's last handle is dropped (teardown).
unsafe impl Scheme for Epoch {
    const NAME: &'static str = "epoch";
    const TRAVERSE_MARKED: bool = true;
    type Local = EpochLocal;
    type Guard = Guard;

    fn new() -> Self {
        Self {
            collector: Collector::new(),
        }
    }

    fn new_local(&self) -> EpochLocal {
        EpochLocal(self.collector.register())
    }

    #[inline]
    fn pin(&self, local: &mut EpochLocal) -> Guard {
        local.0.pin()
    }

    #[inline]
    fn protect<T>(_: &mut EpochLocal, _: usize, src: &AtomicPtr<T>) -> *mut T {
        // Acquire pairs with the Release CAS that published the target: its fields are
        // initialised before we read them.
        src.load(Ordering::Acquire)
    }

    #[inline]
    fn copy_protection<T>(_: &mut EpochLocal, _: usize, _: *mut T) {}

    unsafe fn retire<T: Retire>(
        &self,
        _: &mut EpochLocal,
        guard: &Guard,
        counters: &Counters,
        ptr: *mut T,
    ) {
        counters.retired(T::KIND, 1);
        let counters: *const Counters = counters;
        // `counters` outlives every retired object: the map drops its collector (running the
        // pending deferreds) before its counters.
        // SAFETY: the closure may run on any thread once the epoch passed: `ptr` is unreachable
        // for new operations (caller) and old ones hold guards that delay the call.
        unsafe {
            guard.defer_unchecked(move || {
                T::free(ptr);
                (*counters).freed(T::KIND, 1);
            });
        }
    }

    fn teardown(&mut self, locals: Vec<EpochLocal>, _: &Counters) {
        // Dropping every handle and the collector drops the collector's global state, whose
        // queue of sealed bags runs every pending deferred destruction (each counts itself).
        drop(locals);
        self.collector = Collector::new();
    }
}
