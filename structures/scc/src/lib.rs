//! # ferrolite-scc
//!
//! [`SccTreeIndex`]: the `TreeIndex` of the `scc` crate — a concurrent B+ tree with lock-free
//! reads — behind [`ferrolite_structures::ConcurrentMap`], written against the public API of
//! `ferrolite-structures` only (the trait, `MapKey`/`MapValue`, `ReclaimStats`,
//! `range_is_empty`), as any crate outside this workspace would write it. It is not in the
//! registry (`MapKind`): it is the proof that a structure of one's own plugs into the
//! benchmarks through their public path (`ferrolite_benches::sweep`), where it runs as the row
//! `scc-treeindex` of the `structures` bench and of `synchro`.
//!
//! ## Why a B+ tree
//!
//! It is the cache-friendly anchor. A skip list pays a cache miss per hop; a B-tree node holds
//! many keys on a few cache lines. On this project's 2-core machine the committed
//! `reports/bench.md` shows what that is worth: `Mutex<BTreeMap>` (the registry's `btree`)
//! beats every skip list at one thread in every workload (range 65536, uniform keys, 50 %
//! updates: 6.62 Mops/s against epoch's 2.26), and at two threads — where the mutex
//! serialises everything — it still ties or beats the hazard-pointer list and crossbeam's
//! `SkipMap` in some workloads (range 1024, 50 % updates: 3.62 against 3.51 and 3.76), while
//! the epoch and no-reclamation lists pull ahead (5.48, 6.61). A *concurrent* B+ tree asks
//! the obvious next question: does locality survive without the single lock? Lock-free skip
//! lists that lose to it have no excuse left in this benchmark.
//!
//! ## What the adapter promises
//!
//! Every operation of the trait, honestly: `insert` says whether the key was new and replaces
//! the value otherwise, `get`/`remove`/`contains` take any borrowed form of the key, `range`
//! and `first_in` any `RangeBounds` (an empty or inverted range yields nothing). Results are
//! **not linearizable under contention on one key** ([`SccTreeIndex`] says why, precisely),
//! so `linearizable()` is false, and scc's epoch reclamation (`sdd`) exposes no counters, so
//! `counts_unreclaimed()` is false: its zero reclamation counters mean *not measured*.
//!
//! ```
//! use ferrolite_scc::SccTreeIndex;
//! use ferrolite_structures::ConcurrentMap;
//!
//! let map = SccTreeIndex::<String, u64>::default();
//! assert!(map.insert("b".into(), 2));
//! assert!(!map.insert("b".into(), 20)); // replaced
//! assert!(map.insert("a".into(), 1));
//! assert_eq!(map.get("b"), Some(20)); // a `&str` lookup on `String` keys
//! let keys: Vec<String> = map.range::<str, _>(..).map(|(k, _)| k).collect();
//! assert_eq!(keys, ["a", "b"]);
//! assert_eq!(map.remove("a"), Some(1));
//! assert_eq!(map.len(), 1);
//! ```

mod tree_index;

pub use tree_index::SccTreeIndex;

#[cfg(test)]
mod tests;
