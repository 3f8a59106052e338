//! Dense, reusable thread indices.
//!
//! Every thread that touches a structure gets a small integer index from a process-wide pool
//! the first time it asks, keeps it until it exits, and gives it back from a thread-local
//! destructor. Indices are dense (the lowest free one is handed out), so per-map per-thread
//! tables ([`crate::reclaim::slots`]) can be indexed directly, and an index is only ever reused
//! by a thread that starts *after* the previous holder exited: the pool's release/acquire flags
//! order the hand-over, so the new holder inherits the old holder's per-map slots safely. Taking
//! an index is lock-free (see [`Pool`]).
//!
//! Under loom and shuttle the pool and the thread-local come from the checker, so they are
//! reset for every explored execution.

use crate::sync::atomic::{AtomicBool, Ordering};

/// How many threads may hold an index at once (the per-map slot tables' capacity).
pub(crate) const MAX_THREADS: usize = if crate::sync::SMALL_MODEL {
    16
} else {
    64 * 1024
};

/// The pool: one flag per index, set while a thread holds it.
///
/// **Lock-free.** A thread takes the lowest clear flag with a compare-and-swap; a failed CAS
/// means another thread took that index, so some thread always makes progress (a mutex here
/// made every map's first operation on a thread blocking: a thread paused while holding it
/// stopped every other thread's first operation — the `progress` checker found it).
///
/// **Hand-over.** A holder clears its flag with `Release` when it exits, and a taker sets it
/// with an `Acquire` CAS: every access of the old holder to its per-map slots happens before
/// every access of the new one.
struct Pool(Box<[AtomicBool]>);

impl Pool {
    fn new() -> Pool {
        Pool((0..MAX_THREADS).map(|_| AtomicBool::new(false)).collect())
    }

    fn take(&self) -> usize {
        for (i, flag) in self.0.iter().enumerate() {
            // Relaxed peek first: the CAS below is what orders the hand-over.
            if !flag.load(Ordering::Relaxed)
                && flag
                    .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return i;
            }
        }
        panic!("more than {MAX_THREADS} threads use ferrolite maps at once (a documented limit)")
    }

    #[cfg_attr(any(loom, feature = "shuttle"), allow(dead_code))]
    fn give_back(&self, i: usize) {
        self.0[i].store(false, Ordering::Release);
    }
}

#[cfg(not(any(loom, feature = "shuttle")))]
static POOL: std::sync::LazyLock<Pool> = std::sync::LazyLock::new(Pool::new);

#[cfg(loom)]
loom::lazy_static! {
    static ref POOL: Pool = Pool::new();
}

#[cfg(all(feature = "shuttle", not(loom)))]
shuttle::lazy_static! {
    static ref POOL: Pool = Pool::new();
}

/// Owns one index for the lifetime of a thread.
struct Registration(usize);

impl Drop for Registration {
    fn drop(&mut self) {
        // Under loom and shuttle the pool and the thread-locals live for one explored execution
        // (at most a handful of threads), and the pool may already be torn down when the last
        // thread-locals are: indices are not returned there.
        #[cfg(not(any(loom, feature = "shuttle")))]
        POOL.give_back(self.0);
    }
}

#[cfg(not(any(loom, feature = "shuttle")))]
std::thread_local! {
    static INDEX: Registration = Registration(POOL.take());
}

#[cfg(loom)]
loom::thread_local! {
    static INDEX: Registration = Registration(POOL.take());
}

#[cfg(all(feature = "shuttle", not(loom)))]
shuttle::thread_local! {
    static INDEX: Registration = Registration(POOL.take());
}

/// This thread's dense index, or `None` while the thread-local is being destroyed (a map used
/// from another thread-local's destructor); callers then take a slow path without a slot.
#[inline]
pub(crate) fn current() -> Option<usize> {
    INDEX.try_with(|r| r.0).ok()
}
