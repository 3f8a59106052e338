//! Reference maps behind the same trait: the yardsticks our skip lists are measured against.
//!
//! * [`CrossbeamSkipMap`] — crossbeam-skiplist's lock-free `SkipMap` (epoch reclamation with
//!   the global collector, per-node reference counts).
//! * [`MutexBTreeMap`] — `Mutex<BTreeMap>`: the sequential floor.
//!
//! They report no reclamation counters (zeros): crossbeam does not expose them, and the
//! B-tree frees immediately. For the B-tree that zero is the truth; for crossbeam it is not a
//! measurement, which `counts_unreclaimed()` says (false).

use crate::bounds;
use crate::map::{ConcurrentMap, MapKey, MapValue, ReclaimStats};
use crate::sync::{Mutex, MutexGuard};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};

/// crossbeam-skiplist's `SkipMap` behind [`ConcurrentMap`].
pub struct CrossbeamSkipMap<K, V> {
    inner: crossbeam_skiplist::SkipMap<K, V>,
}

impl<K: MapKey, V: MapValue> Default for CrossbeamSkipMap<K, V> {
    fn default() -> Self {
        Self {
            inner: crossbeam_skiplist::SkipMap::new(),
        }
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for CrossbeamSkipMap<K, V> {
    fn name(&self) -> &'static str {
        "crossbeam"
    }

    fn insert(&self, key: K, value: V) -> bool {
        // `SkipMap::insert` replaces silently; `compare_insert` lets us see an old value. When a
        // concurrent remove takes that old entry before crossbeam marks it, crossbeam inserts a
        // fresh node but we have already seen "replaced": the result is best effort under
        // same-key contention (see `linearizable`). One search either way.
        let replaced = std::cell::Cell::new(false);
        self.inner.compare_insert(key, value, |_| {
            replaced.set(true);
            true
        });
        !replaced.get()
    }

    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.get(key).map(|e| e.value().clone())
    }

    fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        // `SkipMap::remove` returns the entry even when another thread's remove marked it first
        // (crossbeam-skiplist 0.1.3), which would count one removal twice. `Entry::remove` says
        // whether *this* call removed it; if it lost, the other remove linearizes first and the
        // key was absent at that moment.
        let entry = self.inner.get(key)?;
        entry.remove().then(|| entry.value().clone())
    }

    fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.contains_key(key)
    }

    fn linearizable(&self) -> bool {
        false
    }

    fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        self.inner
            .range(range)
            .map(|e| (e.key().clone(), e.value().clone()))
    }

    fn lock_free(&self) -> Option<bool> {
        Some(true)
    }

    fn len(&self) -> usize {
        self.inner.len()
    }

    fn reclamation(&self) -> ReclaimStats {
        ReclaimStats::default()
    }

    fn counts_unreclaimed(&self) -> bool {
        // crossbeam-skiplist frees through the global epoch collector and counts nothing.
        false
    }
}

/// `Mutex<BTreeMap>` behind [`ConcurrentMap`].
pub struct MutexBTreeMap<K, V> {
    inner: Mutex<BTreeMap<K, V>>,
}

impl<K: MapKey, V: MapValue> Default for MutexBTreeMap<K, V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(BTreeMap::new()),
        }
    }
}

impl<K, V> MutexBTreeMap<K, V> {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<K, V>> {
        // A panic while holding the lock cannot leave the B-tree half-updated in a way that
        // breaks its invariants (std's BTreeMap is panic-safe), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for MutexBTreeMap<K, V> {
    fn name(&self) -> &'static str {
        "btree"
    }

    fn insert(&self, key: K, value: V) -> bool {
        self.lock().insert(key, value).is_none()
    }

    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.lock().get(key).cloned()
    }

    fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.lock().remove(key)
    }

    fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.lock().contains_key(key)
    }

    fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        // Weakly consistent by re-seeking: each step takes the lock, finds the first key after
        // the last one yielded, and releases the lock, so an iteration never blocks writers.
        bounds::reseeking(range, move |c| {
            let map = self.lock();
            // Seek with an unbounded end (`BTreeMap::range` panics on inverted ranges, and a
            // start past the end is one), then check the end bound.
            match c.last() {
                Some(last) => map.range::<K, _>((Bound::Excluded(last), Bound::Unbounded)),
                None => map.range::<Q, _>((c.start(), Bound::Unbounded)),
            }
            .next()
            .filter(|(k, _)| c.within(k))
            .map(|(k, v)| (k.clone(), v.clone()))
        })
    }

    fn lock_free(&self) -> Option<bool> {
        Some(false)
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn reclamation(&self) -> ReclaimStats {
        ReclaimStats::default()
    }
}
