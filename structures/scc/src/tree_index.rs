//! `scc::TreeIndex` behind `ConcurrentMap`, and its weakly consistent range iterator.
//!
//! `TreeIndex` hands out references that live as long as an `scc::Guard` (an epoch pin);
//! the trait hands out owned clones and holds nothing between two calls. So every operation
//! pins, clones what it needs and unpins, and a range iterator re-seeks: each batch pins,
//! seeks just after the last key it yielded (or at the range's start), clones up to a batch of
//! entries in order, and unpins. Batches start small (a range is often read for its first few
//! entries: `first_in`, a short scan) and double up to [`MAX_BATCH`], so a long scan pays one
//! descent per few hundred entries.
//!
//! A key present for the whole iteration lies after the last key of some batch and before the
//! end, so some seek finds it; keys yielded strictly increase (each seek starts after the last
//! key, and a key not after it is skipped), so none is yielded twice — the weak consistency
//! the trait promises.

use ferrolite_structures::{range_is_empty, ConcurrentMap, MapKey, MapValue, ReclaimStats};
use scc::{Guard, TreeIndex};
use std::borrow::Borrow;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};

/// Entries cloned by a range iterator's first seek.
const FIRST_BATCH: usize = 8;

/// The most entries one seek clones (batches double up to it).
const MAX_BATCH: usize = 256;

/// scc's `TreeIndex` (a concurrent B+ tree, lock-free reads, epoch reclamation) behind
/// [`ConcurrentMap`], named `"scc-treeindex"`.
///
/// # Not linearizable under contention on one key
///
/// [`linearizable`](ConcurrentMap::linearizable) is false, for two reasons:
///
/// * **Insert-or-replace is two steps.** `TreeIndex::insert_sync` fails on a present key,
///   and `upsert_sync` (an atomic replace: a reader sees the old or the new entry, never
///   neither) does not say whether it replaced or created. So [`insert`](Self::insert) tries
///   `insert_sync` — success means new — and on a duplicate calls `upsert_sync` and answers
///   "replaced". A `remove` of the same key that runs between the two steps takes the old
///   entry; the upsert then creates the key afresh, yet `insert` has answered `false`. No
///   order of the two operations explains "replaced" *and* the remove returning the old
///   value with the key present afterwards.
/// * **scc's remove can miss a replaced entry.** `remove_if_sync` finds the key's slot in a
///   leaf, then unlinks that slot with a compare-and-swap; an upsert of the same key in
///   between moves the entry to a new slot, the compare-and-swap finds the old slot gone and
///   the remove reports the key absent — although it was present throughout. (And when a
///   removal empties the root and lowering the tree finds its lock busy, `remove_if_sync`
///   searches again, and can take a re-inserted entry of the same key too: two removals in
///   one call.)
///
/// Operations on different keys, and every single-threaded sequence, behave exactly as a
/// `BTreeMap` (the crate's model test). The synchro runner therefore checks this map's final
/// contents but not its length against the counts of effective inserts and removes.
///
/// `len` counts the entries (scc keeps no counter): linear in the size, exact when nothing
/// runs concurrently.
pub struct SccTreeIndex<K, V> {
    inner: TreeIndex<K, V>,
}

impl<K, V> Default for SccTreeIndex<K, V> {
    fn default() -> Self {
        SccTreeIndex {
            inner: TreeIndex::new(),
        }
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for SccTreeIndex<K, V> {
    fn name(&self) -> &'static str {
        "scc-treeindex"
    }

    fn insert(&self, key: K, value: V) -> bool {
        match self.inner.insert_sync(key, value) {
            Ok(()) => true,
            Err((key, value)) => {
                // Present: replace it atomically (see the type's docs for the window between
                // the two calls).
                self.inner.upsert_sync(key, value);
                false
            }
        }
    }

    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.peek_with(key, |_, v| v.clone())
    }

    fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        // `remove_if_sync` reports only whether it removed: the condition sees the entry it is
        // about to unlink and keeps a clone. scc calls it again when it retries (a leaf frozen
        // by a split); the last call saw the entry that was removed.
        let mut value = None;
        let removed = self.inner.remove_if_sync(key, |v| {
            value = Some(v.clone());
            true
        });
        if removed {
            value
        } else {
            None
        }
    }

    fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.contains(key)
    }

    fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        Batches {
            tree: &self.inner,
            exhausted: range_is_empty(&range),
            range,
            last: None,
            buffer: Vec::new().into_iter(),
            batch: FIRST_BATCH,
            _borrowed: PhantomData,
        }
    }

    fn first_in<Q, R>(&self, range: R) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        if range_is_empty(&range) {
            return None;
        }
        let guard = Guard::new();
        let mut entries = self.inner.range::<Q, _>(range, &guard);
        entries.next().map(|(k, v)| (k.clone(), v.clone()))
    }

    fn len(&self) -> usize {
        self.inner.len()
    }

    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    fn reclamation(&self) -> ReclaimStats {
        ReclaimStats::default()
    }

    fn linearizable(&self) -> bool {
        // Insert-or-replace is insert + upsert, and scc's remove fails against a concurrent
        // upsert of its key: see the type's docs.
        false
    }

    fn counts_unreclaimed(&self) -> bool {
        // scc retires through `sdd` (epoch-based) and counts nothing: the zeros of
        // `reclamation()` are no measurement.
        false
    }
}

/// The range iterator: re-seeks per batch, holds no guard between two `next()` calls.
struct Batches<'m, K, V, Q: ?Sized, R> {
    tree: &'m TreeIndex<K, V>,
    range: R,
    /// The last key handed out (or queued in `buffer`): the next seek starts after it.
    last: Option<K>,
    /// Cloned entries not yet handed out.
    buffer: std::vec::IntoIter<(K, V)>,
    /// How many entries the next seek clones.
    batch: usize,
    /// The last seek reached the end of the range: once `buffer` is empty, so is the
    /// iterator.
    exhausted: bool,
    _borrowed: PhantomData<fn(&Q)>,
}

impl<K, V, Q, R> Batches<'_, K, V, Q, R>
where
    K: MapKey + Borrow<Q>,
    V: MapValue,
    Q: Ord + ?Sized,
    R: RangeBounds<Q>,
{
    /// Clone the next batch of entries after `last` into `buffer`.
    fn refill(&mut self) {
        let start = match &self.last {
            Some(last) => Bound::Excluded(last.borrow()),
            None => self.range.start_bound(),
        };
        let bounds = (start, self.range.end_bound());
        let mut batch = Vec::new();
        if !range_is_empty::<Q>(&bounds) {
            let guard = Guard::new();
            batch.reserve(self.batch);
            for (k, v) in self.tree.range::<Q, _>(bounds, &guard) {
                // Strictly increasing, whatever a concurrent split does under the seek.
                let after = match batch.last() {
                    Some((prev, _)) => k > prev,
                    None => self.last.as_ref().is_none_or(|last| k > last),
                };
                if after {
                    batch.push((k.clone(), v.clone()));
                    if batch.len() == self.batch {
                        break;
                    }
                }
            }
        }
        self.exhausted = batch.len() < self.batch;
        if let Some((k, _)) = batch.last() {
            self.last = Some(k.clone());
        }
        self.batch = (self.batch * 2).min(MAX_BATCH);
        self.buffer = batch.into_iter();
    }
}

impl<K, V, Q, R> Iterator for Batches<'_, K, V, Q, R>
where
    K: MapKey + Borrow<Q>,
    V: MapValue,
    Q: Ord + ?Sized,
    R: RangeBounds<Q>,
{
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        if let Some(entry) = self.buffer.next() {
            return Some(entry);
        }
        if self.exhausted {
            return None;
        }
        self.refill();
        self.buffer.next()
    }
}
