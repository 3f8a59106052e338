//! Dense, reusable thread indices.
//!
//! Every thread that touches a structure gets a small integer index from a process-wide pool
//! the first time it asks, keeps it until it exits, and gives it back from a thread-local
//! destructor. Indices are dense (the lowest free one is handed out), so per-map per-thread
//! tables ([`crate::reclaim::slots`]) can be indexed directly, and an index is only ever reused
//! by a thread that starts *after* the previous holder exited: the pool's mutex orders the
//! hand-over, so the new holder inherits the old holder's per-map slots safely.
//!
//! Under loom and shuttle the pool and the thread-local come from the checker, so they are
//! reset for every explored execution.

use crate::sync::Mutex;

/// The pool of free indices: `next` is the first never-used one, `free` the returned ones.
struct Pool {
    next: usize,
    free: Vec<usize>,
}

impl Pool {
    fn take(&mut self) -> usize {
        // Lowest free index first keeps indices dense.
        if let Some((pos, _)) = self.free.iter().enumerate().min_by_key(|(_, v)| **v) {
            self.free.swap_remove(pos)
        } else {
            self.next += 1;
            self.next - 1
        }
    }
}

#[cfg(not(any(loom, feature = "shuttle")))]
static POOL: Mutex<Pool> = Mutex::new(Pool {
    next: 0,
    free: Vec::new(),
});

#[cfg(loom)]
loom::lazy_static! {
    static ref POOL: Mutex<Pool> = Mutex::new(Pool { next: 0, free: Vec::new() });
}

#[cfg(all(feature = "shuttle", not(loom)))]
shuttle::lazy_static! {
    static ref POOL: Mutex<Pool> = Mutex::new(Pool { next: 0, free: Vec::new() });
}

fn lock_pool() -> crate::sync::MutexGuard<'static, Pool> {
    // A poisoned pool only means a thread panicked while holding it; its state is still valid.
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Owns one index for the lifetime of a thread.
struct Registration(usize);

impl Drop for Registration {
    fn drop(&mut self) {
        // Under loom and shuttle the pool and the thread-locals live for one explored execution
        // (at most a handful of threads), and the pool may already be torn down when the last
        // thread-locals are: indices are not returned there.
        #[cfg(not(any(loom, feature = "shuttle")))]
        lock_pool().free.push(self.0);
    }
}

#[cfg(not(any(loom, feature = "shuttle")))]
std::thread_local! {
    static INDEX: Registration = Registration(lock_pool().take());
}

#[cfg(loom)]
loom::thread_local! {
    static INDEX: Registration = Registration(lock_pool().take());
}

#[cfg(all(feature = "shuttle", not(loom)))]
shuttle::thread_local! {
    static INDEX: Registration = Registration(lock_pool().take());
}

/// This thread's dense index, or `None` while the thread-local is being destroyed (a map used
/// from another thread-local's destructor); callers then take a slow path without a slot.
#[inline]
pub(crate) fn current() -> Option<usize> {
    INDEX.try_with(|r| r.0).ok()
}
