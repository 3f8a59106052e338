//! The four lock-free skip lists: one algorithm ([`raw`]), four reclamation schemes.
//!
//! [`EpochSkipList`], [`SeizeSkipList`], [`HazardSkipList`] and [`NoReclaimSkipList`] are thin
//! safe faces over `raw::SkipList<K, V, S>` with `S` = `Epoch`, `Seize`, `Hazard` or
//! `NoReclaim`: the same source, so a throughput difference between them is the cost of the
//! reclamation scheme and nothing else.
//!
//! Range iteration collects batches of entries in one operation each and re-seeks after the
//! last key for the next batch: no guard or hazard pointer is held between `next()` calls, so
//! a slow consumer never stalls reclamation, and the iterator is weakly consistent (keys
//! strictly increase; every key present throughout the iteration is seen).

mod node;
mod raw;
mod read;

use crate::bounds::{self, Cursor};
use crate::map::{ConcurrentMap, MapKey, MapValue, ReclaimStats};
use crate::reclaim::{epoch::Epoch, hazard::Hazard, none::NoReclaim, seize::Seize, Scheme};
use raw::SkipList;
use read::ScanEnd;
use std::borrow::Borrow;
use std::collections::VecDeque;
use std::ops::RangeBounds;

/// Entries cloned per iterator batch.
const BATCH: usize = if crate::sync::SMALL_MODEL { 2 } else { 64 };

/// A weakly consistent range iterator over a lock-free skip list, in batches.
struct Iter<'a, K, V, S: Scheme, Q: ?Sized, R> {
    list: &'a SkipList<K, V, S>,
    cursor: Cursor<K, Q, R>,
    buf: VecDeque<(K, V)>,
}

impl<K, V, S, Q, R> Iterator for Iter<'_, K, V, S, Q, R>
where
    K: MapKey + Borrow<Q>,
    V: MapValue,
    S: Scheme,
    Q: Ord + ?Sized,
    R: RangeBounds<Q>,
{
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        loop {
            if let Some(e) = self.buf.pop_front() {
                return Some(e);
            }
            if self.cursor.is_done() {
                return None;
            }
            let (cursor, buf) = (&self.cursor, &mut self.buf);
            let end = self.list.scan(
                |k| cursor.before(k),
                |k| cursor.within(k),
                |k, v| {
                    buf.push_back((k.clone(), v));
                    buf.len() < BATCH
                },
            );
            match end {
                ScanEnd::End => self.cursor.finish(),
                ScanEnd::Full => {
                    let last = self.buf.back().map(|(k, _)| k.clone());
                    self.cursor
                        .advance(last.expect("a full batch is not empty"));
                }
                ScanEnd::Deleted(k) => self.cursor.advance(k),
            }
        }
    }
}

/// The first entry within `range`: one scan that clones one entry, no buffer.
fn first_of<K, V, S, Q, R>(list: &SkipList<K, V, S>, range: R) -> Option<(K, V)>
where
    K: MapKey + Borrow<Q>,
    V: MapValue,
    S: Scheme,
    Q: Ord + ?Sized,
    R: RangeBounds<Q>,
{
    if bounds::is_empty(&range) {
        return None;
    }
    let (start, end) = (range.start_bound(), range.end_bound());
    let within = |k: &K| bounds::within_end(k.borrow(), end);
    let mut first = None;
    let take = |k: &K, v| {
        first = Some((k.clone(), v));
        false
    };
    // The common case: one scan from the range's start (no cursor to consult per comparison).
    let mut stop = list.scan(|k| bounds::before_start(k.borrow(), start), within, take);
    // Stopped at a node deleted under hazard pointers before finding one: continue after it.
    while let (None, ScanEnd::Deleted(after)) = (&first, &stop) {
        let after = after.clone();
        stop = list.scan(
            |k| k <= &after,
            within,
            |k: &K, v| {
                first = Some((k.clone(), v));
                false
            },
        );
    }
    first
}

/// A reader that stalls in the middle of a `get`, for the stalled-reader benchmark and the
/// reclamation tests (a test hook: `testing::StallInGet`, feature `testing`). Implemented by
/// the lock-free skip lists in std builds (a stalled thread has no place in a loom or shuttle
/// model).
#[cfg(any(test, feature = "testing"))]
pub trait StallInGet<K> {
    /// Search for `key` as [`ConcurrentMap::get`] does, then block *inside* the operation
    /// until `until` becomes `true`. Under epochs it keeps the epoch pinned (nothing retired
    /// after it can be freed); under seize it stays active (every batch retired meanwhile waits
    /// for it); under hazard pointers it keeps only the nodes its search
    /// protects; without reclamation nothing is freed anyway. Polls `until` every millisecond.
    fn stall_in_get(&self, key: &K, until: &std::sync::atomic::AtomicBool);
}

macro_rules! skip_list_face {
    ($(#[$doc:meta])* $name:ident, $scheme:ty) => {
        $(#[$doc])*
        pub struct $name<K: MapKey, V: MapValue> {
            raw: SkipList<K, V, $scheme>,
        }

        impl<K: MapKey, V: MapValue> Default for $name<K, V> {
            fn default() -> Self {
                Self { raw: SkipList::default() }
            }
        }

        impl<K: MapKey, V: MapValue> $name<K, V> {
            /// A new, empty map.
            pub fn new() -> Self {
                Self::default()
            }
        }

        #[cfg(all(any(test, feature = "testing"), not(any(loom, feature = "shuttle"))))]
        impl<K: MapKey, V: MapValue> StallInGet<K> for $name<K, V> {
            fn stall_in_get(&self, key: &K, until: &std::sync::atomic::AtomicBool) {
                self.raw.stall_in_get(key, until)
            }
        }

        impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for $name<K, V> {
            fn name(&self) -> &'static str {
                <$scheme as Scheme>::NAME
            }
            fn insert(&self, key: K, value: V) -> bool {
                self.raw.insert(key, value)
            }
            fn get<Q>(&self, key: &Q) -> Option<V>
            where
                K: Borrow<Q>,
                Q: Ord + ?Sized,
            {
                self.raw.get(key)
            }
            fn remove<Q>(&self, key: &Q) -> Option<V>
            where
                K: Borrow<Q>,
                Q: Ord + ?Sized,
            {
                self.raw.remove(key)
            }
            fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
            where
                K: Borrow<Q>,
                R: RangeBounds<Q>,
                Q: Ord + ?Sized,
            {
                Iter {
                    list: &self.raw,
                    cursor: Cursor::new(range),
                    buf: VecDeque::new(),
                }
            }
            fn first_in<Q, R>(&self, range: R) -> Option<(K, V)>
            where
                K: Borrow<Q>,
                R: RangeBounds<Q>,
                Q: Ord + ?Sized,
            {
                first_of(&self.raw, range)
            }
            fn lock_free(&self) -> Option<bool> {
                Some(true)
            }
            fn len(&self) -> usize {
                self.raw.len()
            }
            fn reclamation(&self) -> ReclaimStats {
                self.raw.reclamation()
            }
        }
    };
}

skip_list_face!(
    /// Lock-free skip list reclaimed with `crossbeam-epoch` (one collector per map).
    ///
    /// Reads step through logically deleted nodes without helping (Harris); writes unlink the
    /// marked nodes they meet. Removed nodes and replaced values are freed once every thread
    /// pinned at their retirement has moved on.
    EpochSkipList,
    Epoch
);

skip_list_face!(
    /// Lock-free skip list reclaimed with `seize` (one collector per map): reference-counted
    /// batches of retired objects (Hyaline-1), the reclaimer under `papaya`.
    ///
    /// Reads step through logically deleted nodes without helping (Harris), as under epochs:
    /// a guard protects everything loaded while it is held. A retired batch is freed by the
    /// last of the threads that were inside an operation when it was retired, as it leaves; a
    /// reader stalled inside an operation holds back every batch retired meanwhile.
    ///
    /// Lock-free once a thread is known to seize: a thread's first operation (on any seize
    /// collector of the process) and its exit take seize's global thread-id `Mutex`.
    SeizeSkipList,
    Seize
);

skip_list_face!(
    /// Lock-free skip list reclaimed with `haphazard` hazard pointers (domains per map).
    ///
    /// Every hop protects and validates; searches unlink marked nodes and restart from the head
    /// when they cannot (Michael). Unreclaimed memory stays bounded even when a thread stalls.
    HazardSkipList,
    Hazard
);

skip_list_face!(
    /// Lock-free skip list that frees nothing before it is dropped (per-thread arenas): the
    /// baseline that shows what epochs and hazard pointers cost.
    NoReclaimSkipList,
    NoReclaim
);

#[cfg(test)]
mod tests;
