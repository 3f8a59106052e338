//! A throughput sweep of a map of your own next to the registry's, through the public path:
//! define a map in your crate, implement `ConcurrentMap<u64, u64> + Default` for it, add it to
//! a `Sweep` (`ferrolite_benches::sweep`) and run the same validated Synchrobench cells as
//! `synchro` and the `structures` bench. Public APIs only.
//!
//! Run with `cargo run --release -p ferrolite-benches --example own_sweep`. The map here is a
//! `BTreeMap` behind a reader–writer lock; it runs next to the lock-free `epoch` skip list and
//! the `mutex` skip list at 1 and 2 threads, 10 % and 50 % updates, three 100 ms runs per
//! cell, and prints the tables `synchro` prints (ratios against `mutex`). It exits non-zero if
//! a run fails validation. (`Sweep::criterion` runs the criterion cells instead, writing the
//! side data `cargo xtask report` draws.)

use ferrolite_benches::report::{reclamation_table, throughput_table_against, INVALID_NOTE};
use ferrolite_benches::sweep::{Progress, Sweep, SynchroPlan};
use ferrolite_structures::{
    range_is_empty, ConcurrentMap, MapKey, MapKind, MapValue, ReclaimStats,
};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

/// The user's map: a `BTreeMap` behind a reader–writer lock (gets share it, updates take it
/// alone).
struct RwLockBTree<K, V>(RwLock<BTreeMap<K, V>>);

impl<K, V> Default for RwLockBTree<K, V> {
    fn default() -> Self {
        RwLockBTree(RwLock::new(BTreeMap::new()))
    }
}

impl<K, V> RwLockBTree<K, V> {
    // A panic under the lock cannot leave a `BTreeMap` broken: ignore poisoning.
    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<K, V>> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<K, V>> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for RwLockBTree<K, V> {
    fn name(&self) -> &'static str {
        "rwlock-btree"
    }

    fn insert(&self, key: K, value: V) -> bool {
        self.write().insert(key, value).is_none()
    }

    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.read().get(key).cloned()
    }

    fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.write().remove(key)
    }

    fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        // Weakly consistent by re-seeking: one entry per read lock, resuming after the last
        // key handed out, so a long scan never holds writers off.
        let mut last: Option<K> = None;
        let mut done = range_is_empty(&range);
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let start = match &last {
                Some(k) => Bound::Excluded(k.borrow()),
                None => range.start_bound(),
            };
            let bounds = (start, range.end_bound());
            // `BTreeMap::range` panics where the trait promises an empty range.
            let next = if range_is_empty::<Q>(&bounds) {
                None
            } else {
                let map = self.read();
                let first = map.range::<Q, _>(bounds).next();
                first.map(|(k, v)| (k.clone(), v.clone()))
            };
            match &next {
                Some((k, _)) => last = Some(k.clone()),
                None => done = true,
            }
            next
        })
    }

    fn len(&self) -> usize {
        self.read().len()
    }

    fn reclamation(&self) -> ReclaimStats {
        // Frees under its lock: nothing ever waits to be reclaimed, so zero is a measurement.
        ReclaimStats::default()
    }
}

fn main() {
    // The registry's maps by kind, the user's by type: rows of one sweep.
    let sweep = Sweep::kinds([MapKind::Epoch, MapKind::Mutex]).map::<RwLockBTree<u64, u64>>();
    let plan = SynchroPlan {
        threads: vec![1, 2],
        updates: vec![10, 50],
        range: 1 << 16,
        duration: Duration::from_millis(100),
        reps: 3,
        ..SynchroPlan::default()
    };
    eprintln!(
        "own_sweep: {} × threads {:?} × updates {:?} %, range {} (pre-filled {}), {} × {} ms per cell",
        sweep.names().join(", "),
        plan.threads,
        plan.updates,
        plan.range,
        plan.range / 2,
        plan.reps,
        plan.duration.as_millis()
    );
    let cells = sweep.synchro(&plan, |p| match p {
        Progress::Cell(c) => {
            if let Some(s) = &c.summary {
                eprintln!(
                    "{:>12} t={} u={:>2}%: {:.2} Mops/s",
                    c.map, c.threads, c.update_percent, s.median_mops
                );
            }
        }
        Progress::Invalid { error, .. } => eprintln!("!!! {error}"),
        Progress::Run { .. } => {}
    });
    println!("\nThroughput, median Mops/s (min–max over reps); ×mutex = ratio of medians\n");
    print!("{}", throughput_table_against(&cells, "mutex"));
    println!("\nReclamation: peak unreclaimed objects (max over reps)\n");
    print!("{}", reclamation_table(&cells));
    if cells.iter().any(|c| c.error.is_some()) {
        println!("\n{INVALID_NOTE}");
        std::process::exit(1);
    }
}
