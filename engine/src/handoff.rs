//! How a writer waits for another one: spin, then yield, then park — the writer queue's
//! hand-off (`commit/`).
//!
//! A follower of a commit group waits twice (for its insert to be assigned, then for the
//! group's publish) and a leader once (for the followers' inserts). Each wait is usually
//! short — one WAL write, one batch insert — and a futex round trip (park, unpark, the
//! scheduler) costs more than that on a loaded machine. So, as RocksDB's write thread does
//! (`AwaitState`: a short busy loop, then an adaptive `yield` loop, then a blocking wait):
//! 1. spin [`SPINS`] times with the CPU's spin hint, re-reading the condition;
//! 2. then `yield_now` in a loop for at most [`YIELD_FOR`];
//! 3. then `park` until woken. The waker always calls [`std::thread::Thread::unpark`] after
//!    making the condition true, so a parked waiter cannot sleep through its wake-up (an
//!    unpark before the park makes the park return at once; a spurious return re-checks).
//!
//! How each wait ended is returned ([`Waited`]) and counted by the caller
//! (`DbStats::waits_*`), so the bench report shows what the hand-off costs.

use std::time::{Duration, Instant};

/// Busy iterations before yielding (about a microsecond on current x86).
pub(crate) const SPINS: u32 = 200;

/// How long a waiter yields before it parks.
pub(crate) const YIELD_FOR: Duration = Duration::from_micros(50);

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// The condition came true while spinning.
    Spun,
    /// … while yielding.
    Yielded,
    /// The thread parked at least once.
    Parked,
}

/// Wait until `done()` is true: see the module documentation. `done` must read with Acquire
/// whatever the waker publishes with Release before it unparks this thread.
pub(crate) fn wait_until(mut done: impl FnMut() -> bool) -> Waited {
    for _ in 0..SPINS {
        if done() {
            return Waited::Spun;
        }
        std::hint::spin_loop();
    }
    let start = Instant::now();
    while start.elapsed() < YIELD_FOR {
        if done() {
            return Waited::Yielded;
        }
        std::thread::yield_now();
    }
    while !done() {
        std::thread::park();
    }
    Waited::Parked
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_ready_condition_returns_while_spinning() {
        assert_eq!(wait_until(|| true), Waited::Spun);
        let mut calls = 0;
        assert_eq!(
            wait_until(|| {
                calls += 1;
                calls > 10
            }),
            Waited::Spun
        );
    }

    #[test]
    fn a_parked_waiter_is_woken_by_unpark() {
        let flag = Arc::new(AtomicBool::new(false));
        let waiter = {
            let flag = flag.clone();
            std::thread::spawn(move || wait_until(|| flag.load(Ordering::Acquire)))
        };
        // Long enough that the waiter has (almost always) given up spinning and yielding.
        std::thread::sleep(Duration::from_millis(50));
        flag.store(true, Ordering::Release);
        waiter.thread().unpark();
        // Returning at all is the point: a lost wake-up would hang here.
        waiter.join().unwrap();
    }
}
