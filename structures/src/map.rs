//! The one trait every ordered concurrent map implements.
//!
//! [`ConcurrentMap`] is used from many threads through `&self`. Results are *owned* (clones of
//! keys and values), never references: a borrowed result would tie the caller to an epoch
//! guard or a hazard pointer, and then each reclamation scheme would need its own API. With
//! owned results, the mutex skip list, the three lock-free skip lists and the reference maps
//! all fit behind the same trait.
//!
//! Lookups are *borrowed*, as in `BTreeMap` and crossbeam's `SkipMap`: `get`, `remove`,
//! `contains` take any `&Q` that the key type borrows as (`&str` for `String` keys, `&[u8]`
//! for `Vec<u8>`), and `range`/`first_in` any `RangeBounds<Q>` (`a..b`, `..=b`, a pair of
//! `Bound`s), so a lookup never has to build an owned key. The trait is generic over those
//! lookups and therefore not dyn-compatible: code that picks a map at run time goes through
//! [`MapKind::visit`](crate::MapKind::visit), which calls generic code once per map type.
//!
//! Range iteration is *weakly consistent*: an iterator never yields a key twice, always yields
//! keys in increasing order, and yields every key that was present (and not removed) for the
//! whole iteration; keys inserted or removed while it runs may or may not be seen.

use std::borrow::Borrow;
use std::fmt;
use std::ops::RangeBounds;

/// Bounds every map places on its keys.
pub trait MapKey: Ord + Clone + Send + Sync + 'static {}
impl<T: Ord + Clone + Send + Sync + 'static> MapKey for T {}

/// Bounds every map places on its values.
pub trait MapValue: Clone + Send + Sync + 'static {}
impl<T: Clone + Send + Sync + 'static> MapValue for T {}

/// A family of maps: one map type for every key and value type. This is how a map defined in
/// another crate is handed to code that instantiates it at several types — the checkers of
/// `ferrolite_verification::own` (`u64 → u64` histories, byte-string keys for the model,
/// `MemKey → Bytes` in the engine), the benches:
///
/// ```
/// use ferrolite_structures::{MapFamily, MapKey, MapValue, MutexBTreeMap};
///
/// /// The family of `MutexBTreeMap`s (a map of your own goes here the same way).
/// struct Locked;
///
/// impl MapFamily for Locked {
///     type Map<K: MapKey, V: MapValue> = MutexBTreeMap<K, V>;
/// }
/// ```
pub trait MapFamily: 'static {
    /// The map with keys `K` and values `V`.
    type Map<K: MapKey, V: MapValue>: ConcurrentMap<K, V> + Default + 'static;
}

/// An ordered map usable from many threads at once.
pub trait ConcurrentMap<K: MapKey, V: MapValue>: Send + Sync {
    /// A short stable name (`"epoch"`, `"hazard"`, …) used in reports and on the command line.
    fn name(&self) -> &'static str;

    /// Insert `key → value`, replacing the value if the key is present.
    /// Returns `true` if the key was new, `false` if a value was replaced.
    fn insert(&self, key: K, value: V) -> bool;

    /// A clone of the value stored under `key` (or anything `K` borrows as).
    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized;

    /// Remove `key`, returning (a clone of) the value it had.
    fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized;

    /// Whether `key` is present.
    fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.get(key).is_some()
    }

    /// A weakly consistent iterator over the keys within `range`, in order.
    ///
    /// `range` bounds anything `K` borrows as: `map.range(2..5)`, `map.range(&k..)`,
    /// `map.range((Bound::Excluded(&k), Bound::Unbounded))`, and for `String` keys
    /// `map.range::<str, _>((Bound::Included("b"), Bound::Unbounded))` (std implements
    /// `RangeBounds<str>` only for pairs of bounds). An empty or inverted range yields nothing
    /// (it never panics, unlike `BTreeMap::range`).
    fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized;

    /// The first entry of a range (the smallest key within it), if any.
    ///
    /// Equivalent to `self.range(range).next()` — and that is the default — but maps override
    /// it to clone one entry and allocate nothing: an LSM memtable answers every point read
    /// with it (seek to `(key, snapshot)`, take the first version).
    fn first_in<Q, R>(&self, range: R) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        self.range(range).next()
    }

    /// An iterator over every entry, in key order (weakly consistent).
    fn iter(&self) -> impl Iterator<Item = (K, V)> {
        self.range::<K, _>(..)
    }

    /// The number of entries. Exact when no operation runs concurrently; while updates run it
    /// is an approximation (the lock-free maps sum per-thread counters without a snapshot).
    fn len(&self) -> usize;

    /// Whether [`len`](Self::len) is zero (with the same caveat).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reclamation counters of the map's memory-reclamation scheme.
    fn reclamation(&self) -> ReclaimStats;

    /// Whether every result (insert's "new", remove's value) is linearizable even under
    /// contention on one key. True for every map of ours; false for [`crate::CrossbeamSkipMap`],
    /// whose `SkipMap` exposes no atomic insert-or-replace that reports which one happened.
    /// Checkers and benchmarks that validate results against their own counts consult it.
    fn linearizable(&self) -> bool {
        true
    }

    /// The progress guarantee the map claims, for the `progress` checker (a thread paused
    /// forever mid-operation, the others must finish): `Some(true)` lock-free — the others
    /// finish at every pause point, or the check fails; `Some(false)` blocking — a paused
    /// thread is expected to block the others (the matrix shows that as the expected result,
    /// and a blocking map never blocked fails the check: it could not fail); `None`, the
    /// default, claims nothing — the check reports what it saw and fails on nothing but a
    /// crash. The registry's maps claim what their `lock_free` entry says (a test checks it).
    fn lock_free(&self) -> Option<bool> {
        None
    }

    /// Whether [`reclamation`](Self::reclamation) counts the map's retired-but-unfreed objects
    /// ([`ReclaimStats::unreclaimed`], `peak_unreclaimed`). True for every map of ours (the
    /// mutex skip list and the B-tree free under their lock, so their zero is exact); false
    /// for [`crate::CrossbeamSkipMap`]: crossbeam-skiplist exposes no counters, so its zeros
    /// mean *not measured*, never *none*. Benchmarks and reports consult it.
    fn counts_unreclaimed(&self) -> bool {
        true
    }
}

/// Memory-reclamation counters.
///
/// *Retired* objects are unlinked and handed to the reclamation scheme; *freed* ones have been
/// destroyed. Nodes and values (a replaced value is retired on its own) are counted apart.
/// Maps that free immediately (the mutex skip list) retire and free in the same step; maps
/// that do not report (the reference adapters) return zeros — for crossbeam's `SkipMap` those
/// zeros are not a measurement ([`ConcurrentMap::counts_unreclaimed`] is false).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReclaimStats {
    /// Nodes unlinked and handed to the scheme.
    pub nodes_retired: u64,
    /// Nodes destroyed.
    pub nodes_freed: u64,
    /// Values replaced or removed and handed to the scheme.
    pub values_retired: u64,
    /// Values destroyed by the scheme.
    pub values_freed: u64,
    /// The largest number of retired-but-not-freed objects (nodes + values) observed. Sampled
    /// every few retirements from per-thread counters without a global snapshot (and once at
    /// every call to `reclamation()`), so it is a lower bound of the true peak under load.
    pub peak_unreclaimed: u64,
}

impl ReclaimStats {
    /// Objects retired and not yet freed right now.
    pub fn unreclaimed(&self) -> u64 {
        (self.nodes_retired + self.values_retired)
            .saturating_sub(self.nodes_freed + self.values_freed)
    }
}

impl fmt::Display for ReclaimStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "nodes {}/{} values {}/{} (retired/freed), peak unreclaimed {}",
            self.nodes_retired,
            self.nodes_freed,
            self.values_retired,
            self.values_freed,
            self.peak_unreclaimed
        )
    }
}
