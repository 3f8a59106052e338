//! # ferrolite-structures
//!
//! Interchangeable concurrent ordered maps behind one trait, [`ConcurrentMap`]:
//!
//! | type | synchronisation | reclamation |
//! |---|---|---|
//! | [`MutexSkipList`] | one lock around a sequential skip list | immediate |
//! | [`EpochSkipList`] | lock-free (CAS, mark bits) | `crossbeam-epoch`, one collector per map |
//! | [`SeizeSkipList`] | lock-free (CAS, mark bits) | `seize` (reference-counted batches), one collector per map |
//! | [`HazardSkipList`] | lock-free, protect-and-validate on every hop | `haphazard`, one domain per map |
//! | [`NoReclaimSkipList`] | lock-free | none before drop (arena) — the cost baseline |
//! | [`CrossbeamSkipMap`] | crossbeam-skiplist's `SkipMap` (yardstick) | crossbeam-epoch |
//! | [`MutexBTreeMap`] | `Mutex<BTreeMap>` (yardstick) | immediate |
//!
//! ```
//! use ferrolite_structures::{ConcurrentMap, EpochSkipList};
//! let map = EpochSkipList::<u64, String>::default();
//! assert!(map.insert(1, "one".into()));
//! assert_eq!(map.get(&1).as_deref(), Some("one"));
//! assert_eq!(map.remove(&1).as_deref(), Some("one"));
//! assert!(map.is_empty());
//! ```
//!
//! [`MapKind`] names every implementation at run time (for benchmarks, the verifier and the
//! engine's memtable option) and runs generic code on it ([`MapKind::visit`]); it and
//! [`for_each_map!`], which instantiates generic code once per type, are generated from one
//! table, the registry (`registry/mod.rs`), which also holds each map's properties
//! ([`MapInfo`]).
//!
//! The cargo feature `testing` adds the module `testing`: hooks for the verifier and the
//! benchmarks (the seeded-bug list, a reader that stalls inside a `get`).
//! [`rng`] is the workspace's one seeded generator (SplitMix64), here because every other
//! crate depends on this one.

mod bounds;
mod level;
mod lockfree;
mod map;
mod mutant;
mod mutex;
mod quarantine;
mod reclaim;
mod reference;
mod registry;
pub mod rng;
pub mod sync;
mod tag;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod thread_id;

pub use bounds::is_empty as range_is_empty;
pub use lockfree::{EpochSkipList, HazardSkipList, NoReclaimSkipList, SeizeSkipList};
pub use map::{ConcurrentMap, MapFamily, MapKey, MapValue, ReclaimStats};
pub use mutex::MutexSkipList;
pub use reference::{CrossbeamSkipMap, MutexBTreeMap};
pub use registry::{MapInfo, MapKind, MapVisitor, Support, UnknownMapKind};
