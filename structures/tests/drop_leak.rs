//! Drop and leak accounting, run once per map type (via `for_each_map!`). Values are
//! `Counted`: every instance (including every clone a map or a reader makes) gets a fresh id
//! from a per-test `Tracker`, and its drop records that id, so after the map is dropped the
//! test checks that every value ever created was dropped exactly once (none leaked, none
//! dropped twice, none dropped that was never created). Maps are driven with inserts,
//! replaces, removes, gets, contains and partly consumed ranges from several threads, and
//! single-threaded. Before the drop, the reclamation counters are checked for consistency
//! (`freed <= retired`), and for our own skip lists (not the reference adapters) against the
//! operations performed: every replace retires a value and, single-threaded, every remove
//! retires exactly one node. Those skip-list checks are keyed on the registry's `reference`
//! column. For a map whose drop does not free everything (the registry's `frees_on_drop`:
//! crossbeam's global collector), deferred drops are awaited by flushing the global epoch
//! collector; the crossbeam map's concurrent test runs no ranges (crossbeam-skiplist 0.1.3
//! leaks there; see `concurrent_then_drop`).
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

mod common;

use common::Rng;
use ferrolite_structures::{ConcurrentMap, ReclaimStats};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

const THREADS: usize = if cfg!(miri) { 2 } else { 4 };
const OPS: usize = if cfg!(miri) { 30 } else { 5_000 };
const KEYS: u64 = if cfg!(miri) { 6 } else { 64 };
/// Entries of the single-threaded tests.
const N: u64 = if cfg!(miri) { 10 } else { 1_000 };

/// Counts the `Counted` instances of one test.
#[derive(Default)]
struct Tracker {
    /// Ids handed out so far (= instances created).
    next_id: AtomicU64,
    /// Instances created and not yet dropped.
    live: AtomicUsize,
    /// Ids dropped so far.
    dropped: Mutex<HashSet<u64>>,
    /// Drops of an id that was already dropped, or was never handed out.
    bad_drops: AtomicUsize,
}

impl Tracker {
    fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Every instance created was dropped exactly once.
    fn assert_all_dropped(&self, name: &str) {
        let created = self.next_id.load(Ordering::SeqCst);
        let dropped = self.dropped.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
        let bad = self.bad_drops.load(Ordering::SeqCst);
        assert_eq!(
            bad, 0,
            "map `{name}`: {bad} values dropped twice (or never created)"
        );
        assert_eq!(
            dropped,
            created,
            "map `{name}`: {} of {created} values leaked",
            created - dropped
        );
        assert_eq!(self.live(), 0, "map `{name}`: live count");
    }
}

/// A value that reports its creation (also by `clone`) and its drop to a [`Tracker`].
struct Counted {
    id: u64,
    /// The key it was written under, to check reads.
    key: u64,
    tracker: Arc<Tracker>,
}

impl Counted {
    fn new(tracker: &Arc<Tracker>, key: u64) -> Self {
        tracker.live.fetch_add(1, Ordering::SeqCst);
        let id = tracker.next_id.fetch_add(1, Ordering::SeqCst);
        Counted {
            id,
            key,
            tracker: Arc::clone(tracker),
        }
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(&self.tracker, self.key)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        // Record rather than panic: a panic in a drop run by a reclamation scheme would abort
        // or be swallowed; the test asserts on the count at the end instead.
        let fresh = self.id < self.tracker.next_id.load(Ordering::SeqCst)
            && self
                .tracker
                .dropped
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(self.id);
        if fresh {
            self.tracker.live.fetch_sub(1, Ordering::SeqCst);
        } else {
            self.tracker.bad_drops.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Whether `name` is one of our skip lists (not a reference adapter), i.e. a map whose
/// reclamation counters are meaningful.
fn is_ours(name: &str) -> bool {
    !common::info(name).reference
}

fn assert_consistent(name: &str, stats: &ReclaimStats) {
    assert!(
        stats.values_freed <= stats.values_retired,
        "map `{name}`: {stats}"
    );
    assert!(
        stats.nodes_freed <= stats.nodes_retired,
        "map `{name}`: {stats}"
    );
}

/// After the map is gone, wait for deferred drops that outlive it: maps that do not free
/// everything when dropped (the registry's `frees_on_drop`). Only crossbeam's `SkipMap` is
/// one: it retires removed and replaced entries to crossbeam-epoch's *global* collector, which
/// frees them when the global epoch has advanced, not when the map is dropped. Pinning and
/// flushing from this thread pushes that along.
fn settle(name: &str, tracker: &Tracker) {
    if common::info(name).frees_on_drop {
        return;
    }
    for _ in 0..100_000 {
        if tracker.live() == 0 {
            return;
        }
        crossbeam_epoch::pin().flush();
        thread::yield_now();
    }
}

/// What one worker did, for the counter checks.
#[derive(Default)]
struct Done {
    replaces: u64,
    /// Inserts that created a node (returned `true`).
    fresh: u64,
}

/// `ranges`: whether to run range scans too (see [`concurrent_then_drop`]).
fn worker<M: ConcurrentMap<u64, Counted>>(
    map: &M,
    tracker: &Arc<Tracker>,
    t: usize,
    ranges: bool,
) -> Done {
    let mut rng = Rng::new(0xD809_0000 + t as u64);
    let mut done = Done::default();
    for _ in 0..OPS {
        let k = rng.below(KEYS);
        match rng.below(100) {
            0..40 => {
                if map.insert(k, Counted::new(tracker, k)) {
                    done.fresh += 1;
                } else {
                    done.replaces += 1;
                }
            }
            40..70 => {
                if let Some(v) = map.remove(&k) {
                    assert_eq!(v.key, k, "removed a value of key {} from key {k}", v.key);
                }
            }
            70..85 => {
                if let Some(v) = map.get(&k) {
                    assert_eq!(v.key, k, "got a value of key {} from key {k}", v.key);
                }
            }
            85..90 => {
                map.contains(&k);
            }
            _ if ranges => {
                // Read a few entries and drop the iterator part-way.
                let take = rng.below(4) as usize;
                for (k, v) in map.range(k..).take(take) {
                    assert_eq!(
                        v.key, k,
                        "range yielded a value of key {} under key {k}",
                        v.key
                    );
                }
            }
            _ => {
                map.contains(&k);
            }
        }
    }
    done
}

/// Several threads insert, replace, remove and read; the map is dropped non-empty.
///
/// Range scans are left out for `crossbeam`: crossbeam-skiplist 0.1.3's range iterator leaks
/// entries it meets while they are concurrently replaced or removed (their reference count is
/// never released; upstream crossbeam-rs/crossbeam#1178 is the single-threaded form). Here
/// about 7 % of all values leaked with ranges and none without, even after flushing the
/// global collector.
fn concurrent_then_drop<M: ConcurrentMap<u64, Counted> + Default>(name: &str) {
    let ranges = name != "crossbeam";
    let tracker = Arc::new(Tracker::default());
    let map = M::default();
    let done: Vec<Done> = thread::scope(|s| {
        let (map, tracker) = (&map, &tracker);
        let handles: Vec<_> = (0..THREADS)
            .map(|t| s.spawn(move || worker(map, tracker, t, ranges)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    });
    let replaces: u64 = done.iter().map(|d| d.replaces).sum();
    let fresh: u64 = done.iter().map(|d| d.fresh).sum();
    let stats = map.reclamation();
    assert_consistent(name, &stats);
    if is_ours(map.name()) {
        // Every replace retires the old value, except that the lock-free skip lists keep a
        // node's first (inline) value in the node: at most one uncounted replace per node.
        let allowance = if map.name() == "mutex" { 0 } else { fresh };
        assert!(
            stats.values_retired + allowance >= replaces,
            "map `{name}`: {replaces} replaces, {fresh} fresh inserts, but {stats}"
        );
    }
    // Everything not in the map was dropped by someone, or is retired and awaits the scheme.
    let present = map.len();
    assert_eq!(map.iter().count(), present);
    assert!(
        tracker.live() >= present,
        "map `{name}`: {} live values, {present} entries",
        tracker.live()
    );
    drop(map);
    settle(name, &tracker);
    tracker.assert_all_dropped(name);
}

/// Single-threaded: `N` inserts and `N` removes, after which each removed node must have
/// been retired exactly once (the removes returned and nothing else runs); then `N` inserts
/// and two rounds of `N` replaces: the second round retires a value per replace in every map
/// of ours (the lock-free skip lists keep a node's first, inline, value in the node, so their
/// first round retires nothing). (Replaces come second so that a design that replaces by
/// swapping in a new node does not disturb the node count.)
fn single_thread_stats<M: ConcurrentMap<u64, Counted> + Default>(name: &str) {
    let tracker = Arc::new(Tracker::default());
    let map = M::default();
    let ours = is_ours(map.name());
    for k in 0..N {
        assert!(map.insert(k, Counted::new(&tracker, k)));
    }
    let stats = map.reclamation();
    assert_consistent(name, &stats);
    if ours {
        assert_eq!(
            stats.nodes_retired, 0,
            "map `{name}`: nothing removed yet, {stats}"
        );
    }
    for k in 0..N {
        let v = map.remove(&k).expect("present");
        assert_eq!(v.key, k);
    }
    assert!(map.is_empty());
    let stats = map.reclamation();
    assert_consistent(name, &stats);
    if ours {
        assert_eq!(stats.nodes_retired, N, "map `{name}`: {N} removes, {stats}");
    }
    for k in 0..N {
        assert!(map.insert(k, Counted::new(&tracker, k)));
    }
    for _round in 0..2 {
        for k in 0..N {
            assert!(!map.insert(k, Counted::new(&tracker, k)));
        }
    }
    let after = map.reclamation();
    assert_consistent(name, &after);
    if ours {
        let replaced = after.values_retired.saturating_sub(stats.values_retired);
        assert!(
            replaced >= N,
            "map `{name}`: {N} replaces, {after} (was {stats})"
        );
    }
    assert_eq!(map.len(), N as usize);
    drop(map);
    settle(name, &tracker);
    tracker.assert_all_dropped(name);
}

/// Dropping a full map drops each stored value once; nothing was retired.
fn drop_full<M: ConcurrentMap<u64, Counted> + Default>(name: &str) {
    let tracker = Arc::new(Tracker::default());
    let map = M::default();
    for k in (0..N).rev() {
        assert!(map.insert(k, Counted::new(&tracker, k)));
    }
    assert_eq!(map.len(), N as usize);
    let stats = map.reclamation();
    assert_consistent(name, &stats);
    if is_ours(map.name()) {
        assert_eq!(
            (stats.nodes_retired, stats.values_retired),
            (0, 0),
            "map `{name}`: {stats}"
        );
    }
    drop(map);
    settle(name, &tracker);
    tracker.assert_all_dropped(name);
}

macro_rules! drop_tests {
    ($map:ident, $name:literal) => {
        #[allow(non_snake_case)]
        mod $map {
            type Map = ferrolite_structures::$map<u64, super::Counted>;

            #[test]
            fn concurrent_then_drop() {
                super::concurrent_then_drop::<Map>($name);
            }

            #[test]
            fn single_thread_stats() {
                super::single_thread_stats::<Map>($name);
            }

            #[test]
            fn drop_full() {
                super::drop_full::<Map>($name);
            }
        }
    };
}

// Under Miri, only the maps Miri can run: see tests/common/mod.rs.
#[cfg(not(miri))]
ferrolite_structures::for_each_map!(drop_tests);
#[cfg(miri)]
ferrolite_structures::for_each_map!(drop_tests, miri);
