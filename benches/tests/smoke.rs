//! Smoke test of the Synchrobench runner: short validated runs on two maps, and a map that
//! lies about its inserts, which validation must catch.

use ferrolite_benches::synchro::{run, run_kind, run_on, SynchroConfig};
use ferrolite_benches::workload::KeyDist;
use ferrolite_structures::{
    ConcurrentMap, CrossbeamSkipMap, MapKind, MutexBTreeMap, MutexSkipList, ReclaimStats,
};
use std::borrow::Borrow;
use std::ops::RangeBounds;
use std::time::Duration;

fn config(dist: KeyDist) -> SynchroConfig {
    SynchroConfig {
        range: 1024,
        threads: 2,
        update_percent: 50,
        duration: Duration::from_millis(50),
        dist,
        seed: 42,
    }
}

#[test]
fn two_maps_run_and_validate() {
    for kind in [MapKind::Epoch, MapKind::Hazard] {
        for dist in [KeyDist::Uniform, KeyDist::zipf()] {
            let r = run_kind(kind, &config(dist)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.map, kind.name());
            assert_eq!(r.initial_len, 512);
            assert_eq!(r.ops_per_thread.len(), 2);
            assert!(r.totals.ops > 0 && r.mops > 0.0);
            assert_eq!(
                r.totals.ops,
                r.totals.gets + r.totals.inserts + r.totals.removes
            );
            assert_eq!(
                r.final_len as i64,
                512 + r.totals.effective_inserts as i64 - r.totals.effective_removes as i64
            );
        }
    }
    // The generic entry point, statically dispatched.
    run::<MutexSkipList<u64, u64>>(&config(KeyDist::Uniform)).unwrap_or_else(|e| panic!("{e}"));
}

/// Claims every insert added a key.
#[derive(Default)]
struct LyingMap(MutexBTreeMap<u64, u64>);

impl ConcurrentMap<u64, u64> for LyingMap {
    fn name(&self) -> &'static str {
        "liar"
    }
    fn insert(&self, key: u64, value: u64) -> bool {
        self.0.insert(key, value);
        true
    }
    fn get<Q>(&self, key: &Q) -> Option<u64>
    where
        u64: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.0.get(key)
    }
    fn remove<Q>(&self, key: &Q) -> Option<u64>
    where
        u64: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.0.remove(key)
    }
    fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (u64, u64)>
    where
        u64: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        self.0.range(range)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn reclamation(&self) -> ReclaimStats {
        ReclaimStats::default()
    }
}

#[test]
fn validation_catches_a_miscounting_map() {
    let err =
        run_on(&LyingMap::default(), &config(KeyDist::Uniform)).expect_err("validation must fail");
    assert_eq!(err.map, "liar");
    assert!(err.detail.contains("effective inserts"), "{err}");
    assert!(err.measured.totals.ops > 0);
}

/// crossbeam-skiplist 0.1.3 does not report effective updates exactly under contention:
/// `SkipMap::remove` returns `Some` even when a concurrent remover marked the node first,
/// and `compare_insert` runs its closure (so the adapter reports "replaced") on a node that a
/// concurrent remover then claims, before inserting a fresh one. On a small, hot key range
/// this run then fails validation. Run with `--ignored` to check an adapter fix.
#[test]
#[ignore = "the CrossbeamSkipMap adapter miscounts under contention (see doc comment)"]
fn crossbeam_adapter_counts_exactly_under_contention() {
    let cfg = SynchroConfig {
        range: 64,
        update_percent: 100,
        duration: Duration::from_millis(200),
        ..config(KeyDist::Uniform)
    };
    for _ in 0..5 {
        run::<CrossbeamSkipMap<u64, u64>>(&cfg).unwrap_or_else(|e| panic!("{e}"));
    }
}
