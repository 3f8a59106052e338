//! A sequential skip list of our own behind one lock: the honest baseline for the lock-free
//! skip lists.
//!
//! # Why this map exists
//!
//! Comparing the lock-free skip lists with `Mutex<BTreeMap>` mixes two questions: *how do we
//! synchronise?* and *which data structure do we search?* A B-tree is cache-friendlier than
//! any linked structure, so it can win or lose for reasons that have nothing to do with
//! locking. [`MutexSkipList`] removes the second variable. It is the same skip list as the
//! lock-free ones — same level distribution, same maximum height, same head tower, same
//! top-down search, same node shape — with every operation run sequentially under one
//! [`Mutex`]. What the benchmarks then measure between this map and the
//! lock-free ones is the price (or the gain) of CAS loops, mark bits and deferred
//! reclamation, and nothing else.
//!
//! # Shape
//!
//! A skip list is a sorted linked list (level 0) with express lanes stacked on top: level
//! `l + 1` links a subset of the nodes of level `l`. Every node draws a tower height from
//! [`random_height`](crate::level::random_height): each level is kept with probability 1/2,
//! capped at [`MAX_HEIGHT`](crate::sync::MAX_HEIGHT). A node of height `h` is linked at levels
//! `0..h`.
//!
//! ```text
//!  head
//!  [3] ──────────────────────────────────────────────────────────► null
//!  [2] ─────────────────────► 40 ────────────────────────────────► null
//!  [1] ───────► 17 ─────────► 40 ──────────────► 71 ─────────────► null
//!  [0] ─► 5 ──► 17 ──► 23 ──► 40 ──► 52 ──► 64 ──► 71 ──► 88 ────► null
//! ```
//!
//! The *head tower* is an array of `MAX_HEIGHT` links stored in the list itself; it has no
//! key. `height` records how many levels are in use (the tallest tower ever inserted; like the
//! lock-free lists, it never shrinks), so searches start at the highest useful level instead
//! of walking `MAX_HEIGHT` mostly-empty lanes.
//!
//!
//! # Operations
//!
//! * **Search** starts at level `height - 1` of the head tower. At each level it moves right
//!   while the next node's key lies before the target, then drops one level. Because towers
//!   (the head's and every node's) are arrays indexed by level, "drop one level" is moving
//!   the *slot pointer* one element down the same tower. The search records, per level, the
//!   slot that links to the first node not before the target (`preds`).
//! * **Insert** searches; if the key is present the value is replaced in place. Otherwise a
//!   node with a fresh random height is allocated and spliced in after `preds[l]` for each of
//!   its levels (levels above the current `height` splice after the head).
//! * **Remove** searches, unlinks the node at each of its levels (each `preds[l]` links to it
//!   there), moves the key and value out and frees the node immediately.
//! * **Range** is weakly consistent by *re-seeking*: each `next()` takes the lock, searches
//!   for the first key after the last one yielded (or the lower bound), checks the upper
//!   bound, clones, and releases the lock. A long scan therefore never blocks writers for
//!   longer than one search, never holds a pointer across unlocks, and sees the guarantees of
//!   [`ConcurrentMap`]: strictly increasing keys, each key at most once.
//!
//! # Reclamation
//!
//! Under one lock nobody can hold a pointer to a node when it is unlinked, so nodes are freed
//! on removal and replaced values are dropped on replacement. [`ReclaimStats`] reports removed
//! nodes as retired and freed in the same step, and replaced values likewise; the unreclaimed
//! count and its peak stay 0. The counters are plain `u64`s in the locked state.
//!
//! # Panics and poisoning
//!
//! Every operation leaves the list valid if user code panics: key comparisons and clones run
//! before (or without) any link is changed, and the splice/unlink loops call no user code.
//! A panic while the lock is held therefore cannot break an invariant, and poisoning is
//! ignored, as in [`MutexBTreeMap`](crate::MutexBTreeMap). (A panicking `Drop` of a key or
//! value leaks the rest of what was being dropped; it never frees twice.)
//!
//! # Model checking
//!
//! The lock comes from [`crate::sync`], so the same source runs under loom
//! (`--cfg loom`) and shuttle (feature `shuttle`); there `MAX_HEIGHT` shrinks to keep
//! models small.
//!
//! # Files
//!
//! `node.rs`: the node layout; `list.rs`: the sequential skip list (search, insert, remove,
//! first entry of a range) that the lock protects; this file: the map behind the lock;
//! `tests.rs`: structure checks sized for loom, shuttle and Miri.

mod list;
mod node;

#[cfg(test)]
mod tests;

use crate::bounds;
use crate::map::{ConcurrentMap, MapKey, MapValue, ReclaimStats};
use crate::sync::{Mutex, MutexGuard};
use list::Inner;
use std::borrow::Borrow;
use std::ops::RangeBounds;

/// A sequential skip list behind one lock: the baseline for the lock-free skip lists.
///
/// Same algorithm and node shape as [`EpochSkipList`](crate::EpochSkipList) and its siblings:
/// towers of geometric height (p = 1/2) allocated inline with each node's key and value in a
/// single allocation, a head tower, searches from the highest level in use down. Every
/// operation runs sequentially under one mutex, so links are plain pointers, nodes are freed
/// as soon as they are removed and replaced values as soon as they are replaced (reported by
/// [`reclamation`](ConcurrentMap::reclamation) as retired and freed in the same step).
/// [`len`](ConcurrentMap::len) is exact. Ranges re-seek under the lock at each step, so an
/// iterator never blocks writers between steps. The module's source documents the layout and
/// the algorithm in detail.
///
/// ```
/// use ferrolite_structures::{ConcurrentMap, MutexSkipList};
/// let map = MutexSkipList::<u64, &str>::default();
/// assert!(map.insert(2, "two"));
/// assert!(map.insert(1, "one"));
/// assert!(!map.insert(2, "deux"));
/// assert_eq!(map.iter().collect::<Vec<_>>(), [(1, "one"), (2, "deux")]);
/// assert_eq!(map.remove(&1), Some("one"));
/// assert_eq!(map.len(), 1);
/// ```
pub struct MutexSkipList<K, V> {
    inner: Mutex<Inner<K, V>>,
}

// SAFETY: the raw pointers inside `Inner` are the only reason the auto trait is missing. They
// point to nodes owned exclusively by this map (never shared with another map, never handed
// out), so moving the map to another thread moves the keys and values it owns: `K: Send` and
// `V: Send` cover that (the stricter `Sync` bounds are kept for uniformity with `Sync`).
unsafe impl<K: Send + Sync, V: Send + Sync> Send for MutexSkipList<K, V> {}

// SAFETY: through `&MutexSkipList` every access to the nodes goes through the mutex, which
// hands `&mut Inner` to one thread at a time; no reference to a node escapes a critical
// section (results are clones or moved-out values). Threads thus move keys and values in and
// out (`Send`) and read them only under the lock; `Sync` is required too, conservatively.
unsafe impl<K: Send + Sync, V: Send + Sync> Sync for MutexSkipList<K, V> {}

impl<K: MapKey, V: MapValue> Default for MutexSkipList<K, V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner::new()),
        }
    }
}

impl<K, V> MutexSkipList<K, V> {
    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // No operation leaves the list invalid when user code panics under the lock (see the
        // module documentation), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for MutexSkipList<K, V> {
    fn name(&self) -> &'static str {
        "mutex"
    }

    fn insert(&self, key: K, value: V) -> bool {
        let replaced = self.lock().insert(key, value);
        // The replaced value (if any) is dropped here, after the lock is released.
        replaced.is_none()
    }

    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut inner = self.lock();
        let node = inner.find(key);
        // SAFETY: `node` is null or live, and the guard keeps writers out while we clone.
        (!node.is_null()).then(|| unsafe { (*node).value.clone() })
    }

    fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let removed = self.lock().remove(key);
        // The key is dropped here, after the lock is released.
        removed.map(|(_, value)| value)
    }

    fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        !self.lock().find(key).is_null()
    }

    fn first_in<Q, R>(&self, range: R) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        if bounds::is_empty(&range) {
            return None;
        }
        let (start, end) = (range.start_bound(), range.end_bound());
        self.lock().first(
            |k| bounds::before_start(k.borrow(), start),
            |k| bounds::within_end(k.borrow(), end),
        )
    }

    fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        // Weakly consistent by re-seeking: each step takes the lock, finds the first key after
        // the last one yielded, clones it and releases the lock.
        bounds::reseeking(range, move |c| {
            self.lock().first(|k| c.before(k), |k| c.within(k))
        })
    }

    fn lock_free(&self) -> Option<bool> {
        Some(false)
    }

    fn len(&self) -> usize {
        self.lock().len
    }

    fn reclamation(&self) -> ReclaimStats {
        let inner = self.lock();
        ReclaimStats {
            nodes_retired: inner.nodes_removed,
            nodes_freed: inner.nodes_removed,
            values_retired: inner.values_replaced,
            values_freed: inner.values_replaced,
            peak_unreclaimed: 0,
        }
    }
}
