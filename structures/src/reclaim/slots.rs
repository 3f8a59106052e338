//! Per-map, per-thread state, indexed by the thread's dense index ([`crate::thread_id`]).
//!
//! A reclamation scheme keeps some state per thread and per map: an epoch `LocalHandle`
//! registered with the map's own `Collector`, a set of hazard pointers acquired from the
//! map's own `Domain`, an arena chunk and a retired list. [`Slots`] stores that state in a
//! table of lazily allocated segments, one slot per thread index.
//!
//! **Invariant (ownership):** slot `i` is touched only by the thread that currently holds
//! index `i`, or by the map's owner through `&mut` (drop). Indices are handed over between
//! threads only after the previous holder exited, through the index pool's release/acquire
//! flags, which order every access of the old holder before every access of the new one.
//!
//! **Invariant (no re-entrance):** a slot is borrowed for the duration of one map operation
//! and never while another borrow of the same slot is alive (operations do not nest; long
//! lived iterators own their own protection instead of borrowing the slot across calls).

use crate::sync::atomic::{AtomicPtr, Ordering};
use crate::sync::UnsafeCell;
use crossbeam_utils::CachePadded;

const SEGMENT: usize = if crate::sync::SMALL_MODEL { 4 } else { 64 };
const SEGMENTS: usize = crate::thread_id::MAX_THREADS / SEGMENT;

type Segment<T> = [CachePadded<UnsafeCell<Option<T>>>; SEGMENT];

/// A table of per-thread slots, each lazily initialised by its owner.
pub(crate) struct Slots<T> {
    segments: Box<[AtomicPtr<Segment<T>>]>,
}

// SAFETY: each slot is accessed only by its owning thread (see the ownership invariant), so
// sharing the table is sharing disjoint `T`s across threads: `T: Send` suffices.
unsafe impl<T: Send> Sync for Slots<T> {}
// SAFETY: moving the table moves owned `T`s.
unsafe impl<T: Send> Send for Slots<T> {}

impl<T> Slots<T> {
    pub(crate) fn new() -> Self {
        Self {
            segments: (0..SEGMENTS)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
        }
    }

    /// Run `f` with this thread's slot, initialising it with `init` on first use.
    ///
    /// # Panics
    /// If the thread has more than `SEGMENT * SEGMENTS` concurrently living peers, or is in
    /// thread-local destruction (no index can be had): both are documented limits.
    #[inline]
    pub(crate) fn with<R>(&self, init: impl FnOnce() -> T, f: impl FnOnce(&mut T) -> R) -> R {
        let idx = crate::thread_id::current()
            .expect("ferrolite maps cannot be used from thread-local destructors");
        let seg = self.segment(idx / SEGMENT);
        let cell = &seg[idx % SEGMENT];
        cell.with_mut(|p| {
            // SAFETY: slot `idx` belongs to this thread (ownership invariant) and is not
            // borrowed elsewhere on this thread (no re-entrance invariant), so this is the
            // only reference to it.
            let slot = unsafe { &mut *p };
            let state = slot.get_or_insert_with(init);
            f(state)
        })
    }

    #[inline]
    fn segment(&self, s: usize) -> &Segment<T> {
        assert!(
            s < SEGMENTS,
            "more than {} threads used one map",
            SEGMENT * SEGMENTS
        );
        // Acquire pairs with the Release of the CAS below: a segment is fully initialised
        // before a thread can see its pointer.
        let p = self.segments[s].load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: non-null segment pointers come from `Box::into_raw` below and are freed
            // only in `Drop`, which has `&mut self`.
            return unsafe { &*p };
        }
        self.install(s)
    }

    #[cold]
    fn install(&self, s: usize) -> &Segment<T> {
        let fresh: Box<Segment<T>> = Box::new(std::array::from_fn(|_| {
            CachePadded::new(UnsafeCell::new(None))
        }));
        let fresh = Box::into_raw(fresh);
        match self.segments[s].compare_exchange(
            std::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: we just published `fresh`; it lives until `Drop`.
            Ok(_) => unsafe { &*fresh },
            Err(existing) => {
                // SAFETY: `fresh` lost the race and was never shared; `existing` is a published
                // segment that lives until `Drop`.
                unsafe {
                    drop(Box::from_raw(fresh));
                    &*existing
                }
            }
        }
    }

    /// Every initialised slot, for the exclusive owner (drop, statistics at teardown).
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut out = Vec::new();
        for seg in self.segments.iter_mut() {
            let p = seg.swap(std::ptr::null_mut(), Ordering::Acquire);
            if p.is_null() {
                continue;
            }
            // SAFETY: `&mut self` means no thread is inside `with`; `p` came from
            // `Box::into_raw` and is now unpublished.
            let mut seg = unsafe { Box::from_raw(p) };
            for cell in seg.iter_mut() {
                if let Some(v) = cell.get_mut().take() {
                    out.push(v);
                }
            }
        }
        out
    }
}

impl<T> Drop for Slots<T> {
    fn drop(&mut self) {
        drop(self.drain());
    }
}

#[cfg(all(test, not(any(loom, feature = "shuttle", miri))))]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    /// Every thread holding an index at once gets its own slot, across several segments: each
    /// thread initialises its slot with its own tag and must read back its own tag, and
    /// `drain` gives back one slot per thread. (A slot shared by two threads, or an index
    /// mapped outside the table, fails here.)
    #[test]
    fn threads_alive_at_once_each_have_their_own_slot_across_segments() {
        let threads = 3 * SEGMENT + 5;
        let shared = Arc::new(Slots::<usize>::new());
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|tag| {
                let (shared, barrier) = (shared.clone(), barrier.clone());
                std::thread::spawn(move || {
                    // Every thread holds its index until all have initialised their slots. A
                    // panic in `with` is caught, so that the others are not left at the
                    // barrier.
                    let read = |init: usize| {
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            shared.with(|| init, |v| *v)
                        }))
                        .ok()
                    };
                    let mine = read(tag);
                    barrier.wait();
                    let again = read(usize::MAX);
                    barrier.wait();
                    (tag, mine, again)
                })
            })
            .collect();
        for h in handles {
            let (tag, mine, again) = h.join().expect("no thread panicked");
            assert_eq!(
                (mine, again),
                (Some(tag), Some(tag)),
                "thread {tag} read another's slot (None: its `with` panicked)"
            );
        }
        let mut slots = Arc::try_unwrap(shared).ok().expect("every thread is done");
        let mut tags = slots.drain();
        tags.sort_unstable();
        assert_eq!(tags, (0..threads).collect::<Vec<_>>());
    }
}
