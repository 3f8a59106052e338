//! Helpers shared by the integration tests: the workspace's seeded generator (so the stress
//! tests replay the same operation streams), random range bounds drawn from it, and
//! the value encoding `"{key}/{thread}/{seq}"` that lets a reader check that a value it sees
//! was written for the key it sits under.
#![allow(dead_code)]

use std::ops::Bound;

/// The workspace's seeded generator: a stress thread's operation stream replays from its seed.
pub use ferrolite_structures::rng::SplitMix as Rng;

/// Random range bounds for the range tests, drawn from a [`Rng`].
pub trait RandomBounds {
    /// A random bound over keys `0..keys`: unbounded, included or excluded, so that inverted
    /// and empty ranges come up as often as ordinary ones.
    fn bound(&mut self, keys: u64) -> Bound<u64>;

    /// A random included/excluded bound on a key within `lo..=hi`.
    fn bound_within(&mut self, lo: u64, hi: u64) -> Bound<u64>;
}

impl RandomBounds for Rng {
    fn bound(&mut self, keys: u64) -> Bound<u64> {
        match self.below(3) {
            0 => Bound::Unbounded,
            1 => Bound::Included(self.below(keys)),
            _ => Bound::Excluded(self.below(keys)),
        }
    }

    fn bound_within(&mut self, lo: u64, hi: u64) -> Bound<u64> {
        let k = self.range(lo, hi);
        if self.below(2) == 0 {
            Bound::Included(k)
        } else {
            Bound::Excluded(k)
        }
    }
}

/// Whether `key` lies within `(lower, upper)`. Written independently of `BTreeMap::range`
/// (which panics on inverted ranges) so it can serve as the oracle for any bounds.
pub fn in_bounds<K: Ord>(key: &K, lower: &Bound<K>, upper: &Bound<K>) -> bool {
    let above = match lower {
        Bound::Included(l) => key >= l,
        Bound::Excluded(l) => key > l,
        Bound::Unbounded => true,
    };
    let below = match upper {
        Bound::Included(u) => key <= u,
        Bound::Excluded(u) => key < u,
        Bound::Unbounded => true,
    };
    above && below
}

/// The value thread `thread` writes under `key` at its operation `seq`: unique per write.
pub fn value(key: u64, thread: usize, seq: usize) -> String {
    format!("{key}/{thread}/{seq}")
}

/// Decode a value written by [`value`] into `(key, thread, seq)`.
pub fn decode(value: &str) -> (u64, usize, usize) {
    let mut parts = value.split('/');
    let mut next = || {
        parts
            .next()
            .unwrap_or_else(|| panic!("malformed value {value:?}"))
    };
    let key = next()
        .parse()
        .unwrap_or_else(|_| panic!("malformed value {value:?}"));
    let thread = next()
        .parse()
        .unwrap_or_else(|_| panic!("malformed value {value:?}"));
    let seq = next()
        .parse()
        .unwrap_or_else(|_| panic!("malformed value {value:?}"));
    (key, thread, seq)
}

// Crossbeam under Miri. Under Miri the tests are generated only for the maps the registry says
// Miri can run (`for_each_map!(…, miri)`), which leaves out the crossbeam reference map: Miri
// reports Undefined Behavior inside its dependencies (not in this crate) under both aliasing
// models:
//
// * Stacked Borrows (the default): crossbeam-epoch 0.9's conversion of a `Local` list entry to
//   its element (`internal.rs`, `&*local_ptr`) retags through a tag no longer on the borrow
//   stack, on the first pin of the global collector;
// * Tree Borrows (`-Zmiri-tree-borrows`): crossbeam-skiplist 0.1.3's `Node::finalize`
//   deallocates a node through a frozen (shared) reference when the `SkipMap` is dropped.
//
// Every other map runs under Miri.
//
// Properties the tests need (linearizable under contention, frees everything at drop, a
// reference adapter) come from the registry: `MapKind::info()`.

/// The registry's row of the map named `name`.
pub fn info(name: &str) -> &'static ferrolite_structures::MapInfo {
    name.parse::<ferrolite_structures::MapKind>()
        .unwrap_or_else(|e| panic!("{e}"))
        .info()
}
