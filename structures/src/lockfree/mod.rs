//! The three lock-free skip lists: one algorithm ([`raw`]), three reclamation schemes.
//!
//! [`EpochSkipList`], [`HazardSkipList`] and [`NoReclaimSkipList`] are thin safe faces over
//! `raw::SkipList<K, V, S>` with `S` = `Epoch`, `Hazard` or `NoReclaim`: the same source, so a
//! throughput difference between them is the cost of the reclamation scheme and nothing else.
//!
//! Range iteration collects batches of entries in one operation each and re-seeks after the
//! last key for the next batch: no guard or hazard pointer is held between `next()` calls, so
//! a slow consumer never stalls reclamation, and the iterator is weakly consistent (keys
//! strictly increase; every key present throughout the iteration is seen).

mod node;
mod raw;

use crate::map::{ConcurrentMap, MapKey, MapValue, RangeIter, ReclaimStats};
use crate::reclaim::{epoch::Epoch, hazard::Hazard, none::NoReclaim, Scheme};
use raw::SkipList;
use std::collections::VecDeque;
use std::ops::Bound;

/// Entries cloned per iterator batch.
const BATCH: usize = if crate::sync::SMALL_MODEL { 2 } else { 64 };

/// A weakly consistent range iterator over a lock-free skip list, in batches.
struct Iter<'a, K, V, S: Scheme> {
    list: &'a SkipList<K, V, S>,
    /// Where the next batch starts.
    lower: Bound<K>,
    upper: Bound<K>,
    buf: VecDeque<(K, V)>,
    scratch: Vec<(K, V)>,
    /// Entries cloned per batch ([`BATCH`], or 1 for [`ConcurrentMap::first_in`]).
    batch: usize,
    done: bool,
}

impl<K: MapKey, V: MapValue, S: Scheme> Iterator for Iter<'_, K, V, S> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        loop {
            if let Some(e) = self.buf.pop_front() {
                return Some(e);
            }
            if self.done {
                return None;
            }
            self.scratch.clear();
            let mut resume = None;
            let finished = self.list.collect_batch(
                self.lower.as_ref(),
                self.upper.as_ref(),
                self.batch,
                &mut self.scratch,
                &mut resume,
            );
            if let Some(k) = resume.or_else(|| self.scratch.last().map(|(k, _)| k.clone())) {
                self.lower = Bound::Excluded(k);
            }
            self.done = finished;
            self.buf.extend(self.scratch.drain(..));
        }
    }
}

fn iter_of<'a, K: MapKey, V: MapValue, S: Scheme>(
    list: &'a SkipList<K, V, S>,
    lower: Bound<&K>,
    upper: Bound<&K>,
    batch: usize,
) -> Iter<'a, K, V, S> {
    let done = crate::reference::range_is_empty(&lower, &upper);
    Iter {
        list,
        lower: lower.cloned(),
        upper: upper.cloned(),
        buf: VecDeque::new(),
        scratch: Vec::new(),
        batch,
        done,
    }
}

/// The first entry within the bounds: one batch of one, without the iterator's buffers.
fn first_of<K: MapKey, V: MapValue, S: Scheme>(
    list: &SkipList<K, V, S>,
    lower: Bound<&K>,
    upper: Bound<&K>,
) -> Option<(K, V)> {
    if crate::reference::range_is_empty(&lower, &upper) {
        return None;
    }
    let mut out = Vec::with_capacity(1);
    let mut resumed: Option<K> = None;
    loop {
        let from = match &resumed {
            Some(k) => Bound::Excluded(k),
            None => lower,
        };
        let mut resume = None;
        let finished = list.collect_batch(from, upper, 1, &mut out, &mut resume);
        if let Some(found) = out.pop() {
            return Some(found);
        }
        // Nothing collected and not finished: the batch stopped at a deleted node (hazard
        // pointers may not step from it); continue after it.
        match resume {
            Some(k) if !finished => resumed = Some(k),
            _ => return None,
        }
    }
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

            /// Benchmarking aid: search for `key` as [`ConcurrentMap::get`] does, then block
            /// *inside* the operation until `until` becomes `true` — a stalled reader. Under
            /// epochs it keeps the epoch pinned (nothing retired after it can be freed); under
            /// hazard pointers it keeps only the nodes its search protects; without
            /// reclamation nothing is freed anyway. Polls `until` every millisecond.
            #[cfg(not(any(loom, feature = "shuttle")))]
            pub fn stall_in_get(&self, key: &K, until: &std::sync::atomic::AtomicBool) {
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
            fn get(&self, key: &K) -> Option<V> {
                self.raw.get(key)
            }
            fn remove(&self, key: &K) -> Option<V> {
                self.raw.remove(key)
            }
            fn range(&self, lower: Bound<&K>, upper: Bound<&K>) -> RangeIter<'_, K, V> {
                Box::new(iter_of(&self.raw, lower, upper, BATCH))
            }
            fn first_in(&self, lower: Bound<&K>, upper: Bound<&K>) -> Option<(K, V)> {
                first_of(&self.raw, lower, upper)
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
