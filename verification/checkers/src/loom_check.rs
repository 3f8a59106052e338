//! # Exhaustive interleavings under loom
//!
//! The models behind `tests/loom.rs`, public so that a map of your own runs them too:
//! [`run_all`] on your map type, written against the sync shim
//! (`ferrolite_structures::sync`), from a test of your crate.
//!
//! Build with `RUSTFLAGS="--cfg loom --cfg crossbeam_loom"` (this module is absent otherwise).
//! Under that build every atomic, fence, mutex, thread and thread-local of the structures is
//! loom's, crossbeam-epoch is loom-modelled and haphazard is loom-aware, so loom enumerates the
//! interleavings of a small concurrent program — and, within its memory model, the values a
//! weakly ordered load may return — up to a *preemption bound* (how many times a thread may be
//! switched out while it could still run).
//!
//! ## What loom finds here
//!
//! Keys, inline values and boxed values live in loom-checked cells (`sync::UnsafeCell`), node
//! atomics are created when the node is built, and freeing a node or a value is a write access
//! to its cells. So:
//!
//! * a node published with too weak an ordering is read although the writes that built it do
//!   not *happen-before* the read: loom panics with "Causality violation";
//! * a node or value freed while a reader may still use it (a reclamation bug) is a write not
//!   ordered with that read: the same panic — or, when the freed memory was already reused,
//!   loom tripping over the garbage it reads there ("[loom internal bug] unexpected object
//!   stored at reference", an index out of bounds inside `loom::rt`);
//! * a search that restarts forever (a lost mark leaves a deleted node linked where no search
//!   can unlink it) exceeds the branch limit: "Model exceeded maximum number of branches";
//! * and every scenario asserts its results and the final state (see below).
//!
//! Under loom the hazard-pointer scheme reclaims on every retirement, so frees happen inside the
//! models. crossbeam-epoch only frees from sealed bags, which a few operations never fill: its
//! frees happen when the map is dropped at the end of a model, so the epoch models check
//! publication, marking and results rather than early frees.
//!
//! ## Scenarios
//!
//! Each model builds a fresh map on the main thread — one read first, so the main thread's
//! per-map state (epoch handle, hazard pointers, arena) exists before anything is spawned — and
//! pre-populates it; then the **main thread and one spawned thread** (two in `three_updates`)
//! race one or two operations each; after the join the results and the final state are
//! checked: the scan, `len()`, a get per key, then an insert and a remove of a key above all
//! others (their searches pass every node on every level, so a removed node left linked and
//! unmarked above level 0 makes them restart forever). Values encode their key (`key * 16 + version`), so any value read can be
//! checked to belong to its key and to be one that was written.
//!
//! | scenario | main thread ‖ spawned thread | checks |
//! |---|---|---|
//! | `insert_insert` | insert `k` ‖ insert `k`, empty map | exactly one is new; the final value is the other one's |
//! | `insert_remove_new` | insert `k` (a 3-level tower) ‖ remove `k` | the two linearizations; the list stays searchable |
//! | `read_during_insert` | insert `k` ‖ get `k`, range | a reader that finds the node sees it initialised |
//! | `insert_remove_present` | replace `k` ‖ remove `k` | the two linearizations, and only those |
//! | `remove_remove` | remove `k` ‖ remove `k` | exactly one succeeds, with the value |
//! | `read_during_remove` | remove `k` ‖ get `k`, range | get: the value or nothing; range: increasing, with the neighbours |
//! | `read_during_replace` | replace a boxed value ‖ get `k`, range | the old or the new value, nothing else |
//! | `insert_next_to_removed` | remove `k` ‖ insert `k + 1` | the insert is not lost behind the removed node |
//! | `remove_next_to_inserted` | insert `k + 1` ‖ remove `k` | the same race, threads swapped |
//! | `reclaim_reader` | replace then remove `k` (boxed values) ‖ get `k`, range | readers never touch a freed node or value |
//! | `three_updates` | replace `k` ‖ remove `k` ‖ replace `k` (three threads) | results and final value from one order of the three |
//!
//! **Why the writer is the main thread.** loom's first execution runs the main thread until it
//! blocks, and its partial-order reduction schedules the alternatives of the races it sees.
//! It does not see every race: it remembers only the *last* access to each atomic, so when one
//! thread loads an atomic and another thread then loads it too and writes it (every CAS loop
//! does), the first load's race with the write is lost (tokio-rs/loom#166, #392). With a
//! reader on the main thread, a reader-vs-remove model explores one execution. So every
//! scenario puts its first writes on the main thread: the spawned thread's accesses then
//! follow them and their races are seen, and loom works backwards from there. The bound is
//! still exhaustive only for the races loom tracks; it is a strong search, not a proof.
//!
//! Tower heights come from a thread-local generator that loom starts afresh in every thread:
//! each thread's first insert draws a tower of 3 levels, the second 2, the third 4 (the maximum
//! in models), the fourth 3. So `insert_remove_new` builds a 3-level tower while the remove
//! marks it, which is where an inserter that overwrites a mark leaves a deleted node linked.
//!
//! ## Budget and statistics
//!
//! `FERROLITE_VERIFY_MODE=quick|default|full` picks the preemption bound: 3, 4, 5 for the mutex,
//! epoch and no-reclamation lists; 1, 2, 3 for hazard pointers, whose models are far larger
//! (every retirement scans every hazard pointer of both threads, each scan load racing the
//! reader's hazard stores: about 100 times more executions per extra preemption). The
//! three-thread scenario runs two preemptions fewer (at least one): a third thread's
//! registration with the epoch collector or the hazard domain multiplies the executions again.
//! `LOOM_MAX_PREEMPTIONS` overrides the bound; `LOOM_SCENARIO=<name>` runs one scenario. Each
//! test prints `VERIFY-STAT executions <n>`, the executions loom ran over all its scenarios
//! (counted by the model closure), and one line per scenario on stderr; a failing model names
//! its scenario.

use crate::{active_mutant, report, Mode};
use ferrolite_structures::ConcurrentMap;
use loom::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The value written as version `ver` of `key`: its key is recoverable (`v / 16`).
fn val(key: u8, ver: u8) -> u8 {
    key * 16 + ver
}

/// The preemption bound for a scenario of `threads` threads on `structure` in `mode`, unless
/// `LOOM_MAX_PREEMPTIONS` overrides it.
///
/// Hazard pointers are the expensive model: every retirement scans every hazard pointer of both
/// threads (loom branch points that race with the reader's hazard stores), so they run two
/// preemptions fewer than the others for the same wall-clock budget. A third thread multiplies
/// the executions again (its registration with the epoch collector or the hazard domain races
/// with everything), so three-thread scenarios run two preemptions fewer (at least one).
fn preemption_bound(structure: &str, threads: usize, mode: Mode) -> usize {
    if let Some(n) = std::env::var("LOOM_MAX_PREEMPTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    let two_threads = match structure {
        "hazard" => mode.pick(1, 2, 3),
        _ => mode.pick(3, 4, 5),
    };
    if threads <= 2 {
        two_threads
    } else {
        two_threads.saturating_sub(2).max(1)
    }
}

/// Prints which scenario failed when a model panics (loom's own message names no scenario).
struct FailureNote<'a> {
    structure: &'a str,
    scenario: &'a str,
    bound: usize,
}

impl Drop for FailureNote<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mutant = active_mutant();
            let registry = self
                .structure
                .parse::<ferrolite_structures::MapKind>()
                .is_ok();
            // loom explores in a fixed order: the same scenario and bound reach the same
            // failing execution. LOOM_LOG=trace prints which thread ran which step, with the
            // source location of each access (LOOM_LOCATION=1).
            let replay = if registry {
                format!(
                    "RUSTFLAGS=\"--cfg loom --cfg crossbeam_loom{}\" {}LOOM_SCENARIO={} \
                     LOOM_MAX_PREEMPTIONS={} LOOM_LOCATION=1 LOOM_LOG=trace cargo test --release \
                     -p ferrolite-verification --test loom -- --exact {}",
                    if mutant.is_some() {
                        " --cfg ferrolite_mutants"
                    } else {
                        ""
                    },
                    mutant
                        .as_ref()
                        .map(|m| format!("FERROLITE_MUTANT={m} "))
                        .unwrap_or_default(),
                    self.scenario,
                    self.bound,
                    self.structure
                )
            } else {
                format!(
                    "rerun with LOOM_SCENARIO={} LOOM_MAX_PREEMPTIONS={} LOOM_LOCATION=1 \
                     LOOM_LOG=trace",
                    self.scenario, self.bound
                )
            };
            eprintln!(
                "loom {}/{}: FAILED (preemption bound {}{}); the failing execution, step by step \
                 (which thread ran which access, where): {replay}",
                self.structure,
                self.scenario,
                self.bound,
                mutant.map(|m| format!(", mutant {m}")).unwrap_or_default(),
            );
        }
    }
}

/// Run one loom model, counting and returning its executions.
fn explore(structure: &str, scenario: &str, threads: usize, f: fn(), mode: Mode) -> u64 {
    let bound = preemption_bound(structure, threads, mode);
    let executions = std::sync::Arc::new(AtomicU64::new(0));
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    // An operation of a lock-free map is dozens of loom branch points (hazard publication,
    // epoch pinning); the default limit of 1 000 per execution is too tight for a scenario.
    // A search that restarts forever still hits this limit within a fraction of a second.
    builder.max_branches = 20_000;
    let counter = executions.clone();
    let start = Instant::now();
    let note = FailureNote {
        structure,
        scenario,
        bound,
    };
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        f();
    });
    drop(note);
    let n = executions.load(Ordering::Relaxed);
    eprintln!(
        "loom {structure}/{scenario}: {n} executions in {:.1?} \
         (mode {mode}, preemption bound {bound})",
        start.elapsed(),
    );
    n
}

/// A fresh shared map holding `entries` (inserted in order on the calling thread, which also
/// runs one read first): the main thread's per-map state (epoch handle, hazard pointers, arena)
/// exists before any thread is spawned, so loom does not interleave its creation.
fn map_with<M: ConcurrentMap<u8, u8> + Default + 'static>(entries: &[(u8, u8)]) -> Arc<M> {
    let m = M::default();
    assert_eq!(m.get(&0), None);
    for &(k, v) in entries {
        m.insert(k, v);
    }
    Arc::new(m)
}

/// Run `reader` on a spawned thread while the main thread runs `writer`; returns both results.
///
/// The writer runs on the main thread on purpose: loom's first execution runs the main thread
/// until it blocks, and its partial-order reduction finds a race when a later access of another
/// thread depends on an earlier one. It misses a read of one thread followed by a read and a
/// write of the same atomic by another (tokio-rs/loom#166, #392), so every scenario puts its
/// first writes on the thread that runs first.
fn race<M, W, R, A, B>(m: &Arc<M>, writer: W, reader: R) -> (A, B)
where
    M: ConcurrentMap<u8, u8> + 'static,
    W: FnOnce(&M) -> A,
    R: FnOnce(&M) -> B + Send + 'static,
    B: Send + 'static,
{
    let m2 = m.clone();
    let t = loom::thread::spawn(move || reader(&*m2));
    let a = writer(&**m);
    (a, t.join().unwrap())
}

/// Every entry in order, checking that keys strictly increase and values belong to keys.
fn scan<M: ConcurrentMap<u8, u8> + ?Sized>(m: &M) -> Vec<(u8, u8)> {
    let all: Vec<(u8, u8)> = m.iter().collect();
    assert!(
        all.windows(2).all(|w| w[0].0 < w[1].0),
        "range not strictly increasing: {all:?}"
    );
    for &(k, v) in &all {
        assert_eq!(v / 16, k, "range yielded value {v} under key {k}: {all:?}");
    }
    all
}

/// The final state, checked against the expected entries through every read path, followed by
/// an insert and a remove of a key above all others: their searches pass every remaining node on
/// every level, and a node left linked and unmarked above level 0 after its removal makes such a
/// search restart forever (loom reports the branch limit).
fn assert_final<M: ConcurrentMap<u8, u8>>(m: &M, expected: &[(u8, u8)]) {
    assert_eq!(scan(m), expected, "final entries");
    assert_eq!(m.len(), expected.len(), "final len");
    for &(k, v) in expected {
        assert_eq!(m.get(&k), Some(v), "final get({k})");
    }
    assert!(m.insert(15, val(15, 0)), "insert after the race");
    assert_eq!(m.remove(&15), Some(val(15, 0)), "remove after the race");
    assert_eq!(scan(m), expected, "entries after a later insert and remove");
}

/// Whether `v` is one of `allowed` versions of `key`.
fn one_of(key: u8, v: u8, versions: &[u8]) -> bool {
    versions.iter().any(|&ver| val(key, ver) == v)
}

/// insert `k` ‖ insert `k` on an empty map: exactly one is new, the other replaced its value.
fn insert_insert<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let m = map_with::<M>(&[]);
    let (a, b) = race(&m, |m| m.insert(5, val(5, 1)), |m| m.insert(5, val(5, 2)));
    assert!(a ^ b, "exactly one insert is new (main {a}, spawned {b})");
    // The insert that was not new replaced the other one's value: its value is final.
    let last = if a { val(5, 2) } else { val(5, 1) };
    assert_final(&*m, &[(5, last)]);
}

/// insert `k` (new: the main thread's first insert builds a 3-level tower) ‖ remove `k`. The
/// remove may mark the tower while the insert is still linking its upper levels.
fn insert_remove_new<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let m = map_with::<M>(&[]);
    let (inserted, removed) = race(&m, |m| m.insert(5, val(5, 1)), |m| m.remove(&5));
    assert!(inserted, "the only insert of a key is new");
    match removed {
        Some(v) => {
            assert_eq!(v, val(5, 1), "remove returned a value never written");
            assert_final(&*m, &[]);
        }
        None => assert_final(&*m, &[(5, val(5, 1))]),
    }
}

/// a new key is published ‖ get and range: a reader that finds the node must see it fully
/// initialised (a publication without `Release` is a loom causality violation).
fn read_during_insert<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let m = map_with::<M>(&[(4, val(4, 0))]);
    let (inserted, (got, all)) = race(&m, |m| m.insert(5, val(5, 1)), |m| (m.get(&5), scan(m)));
    assert!(inserted);
    assert!(got.is_none() || got == Some(val(5, 1)), "get(5) = {got:?}");
    assert!(
        all == [(4, val(4, 0))] || all == [(4, val(4, 0)), (5, val(5, 1))],
        "range during insert: {all:?}"
    );
    assert_final(&*m, &[(4, val(4, 0)), (5, val(5, 1))]);
}

/// replace `k` ‖ remove `k`: either the replace came first (not new; remove returns the new
/// value; gone) or the remove did (it returns the old value; the insert is new; present).
fn insert_remove_present<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let m = map_with::<M>(&[(5, val(5, 0))]);
    let (inserted, removed) = race(&m, |m| m.insert(5, val(5, 1)), |m| m.remove(&5));
    if inserted {
        assert_eq!(removed, Some(val(5, 0)), "remove before a new insert");
        assert_final(&*m, &[(5, val(5, 1))]);
    } else {
        assert_eq!(removed, Some(val(5, 1)), "remove after a replace");
        assert_final(&*m, &[]);
    }
}

/// remove `k` ‖ remove `k`: exactly one succeeds and returns the value.
fn remove_remove<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let m = map_with::<M>(&[(5, val(5, 0)), (6, val(6, 0))]);
    match race(&m, |m| m.remove(&5), |m| m.remove(&5)) {
        (Some(v), None) | (None, Some(v)) => assert_eq!(v, val(5, 0)),
        other => panic!("exactly one remove must succeed: {other:?}"),
    }
    assert_final(&*m, &[(6, val(6, 0))]);
}

/// remove `k` ‖ get `k` and a full range: the get sees the value or nothing; the range is
/// increasing and includes the keys present throughout.
fn read_during_remove<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let m = map_with::<M>(&[(4, val(4, 0)), (5, val(5, 0)), (6, val(6, 0))]);
    let (removed, (got, all)) = race(&m, |m| m.remove(&5), |m| (m.get(&5), scan(m)));
    assert_eq!(removed, Some(val(5, 0)));
    assert!(got.is_none() || got == Some(val(5, 0)), "get(5) = {got:?}");
    assert!(
        all == [(4, val(4, 0)), (5, val(5, 0)), (6, val(6, 0))]
            || all == [(4, val(4, 0)), (6, val(6, 0))],
        "range during remove: {all:?}"
    );
    assert_final(&*m, &[(4, val(4, 0)), (6, val(6, 0))]);
}

/// replace a boxed value ‖ get and range: each sees the old or the new value.
fn read_during_replace<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    // The second write of 5 moves its value out of the node into a box.
    let m = map_with::<M>(&[(5, val(5, 0)), (5, val(5, 1)), (6, val(6, 0))]);
    let (inserted, (got, all)) = race(&m, |m| m.insert(5, val(5, 2)), |m| (m.get(&5), scan(m)));
    assert!(!inserted, "a replace is not new");
    assert!(
        got.is_some_and(|v| one_of(5, v, &[1, 2])),
        "get(5) during replace = {got:?}"
    );
    assert_eq!(all.len(), 2, "range during replace: {all:?}");
    assert!(all[0].0 == 5 && one_of(5, all[0].1, &[1, 2]), "{all:?}");
    assert_eq!(all[1], (6, val(6, 0)));
    assert_final(&*m, &[(5, val(5, 2)), (6, val(6, 0))]);
}

/// remove `k` ‖ insert `k + 1`, which links right after the node being unlinked: the insert
/// must not be lost behind it.
fn insert_next_to_removed<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let m = map_with::<M>(&[(4, val(4, 0)), (5, val(5, 0))]);
    let (removed, inserted) = race(&m, |m| m.remove(&5), |m| m.insert(6, val(6, 1)));
    assert_eq!(removed, Some(val(5, 0)));
    assert!(inserted);
    assert_final(&*m, &[(4, val(4, 0)), (6, val(6, 1))]);
}

/// insert `k + 1` ‖ remove `k`: the same race with the roles of the threads swapped.
fn remove_next_to_inserted<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let m = map_with::<M>(&[(4, val(4, 0)), (5, val(5, 0))]);
    let (inserted, removed) = race(&m, |m| m.insert(6, val(6, 1)), |m| m.remove(&5));
    assert_eq!(removed, Some(val(5, 0)));
    assert!(inserted);
    assert_final(&*m, &[(4, val(4, 0)), (6, val(6, 1))]);
}

/// An update on key 5 and what it returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Update {
    /// `insert(5, value)` returned `new`.
    Insert { value: u8, new: bool },
    /// `remove(&5)` returned `got`.
    Remove { got: Option<u8> },
}

/// Whether some order of the single-key `updates`, applied to `initial`, gives every result they
/// returned and ends in `last` (a brute-force linearizability check for one key and a few
/// concurrent operations, none of which precedes another).
fn linearizable(initial: Option<u8>, updates: &[Update], last: Option<u8>) -> bool {
    fn search(state: Option<u8>, left: &mut Vec<Update>, last: Option<u8>) -> bool {
        if left.is_empty() {
            return state == last;
        }
        for i in 0..left.len() {
            let u = left.remove(i);
            let next = match u {
                Update::Insert { value, new } if new == state.is_none() => Some(Some(value)),
                Update::Remove { got } if got == state => Some(None),
                _ => None,
            };
            let found = next.is_some_and(|next| search(next, left, last));
            left.insert(i, u);
            if found {
                return true;
            }
        }
        false
    }
    search(initial, &mut updates.to_vec(), last)
}

/// insert ‖ remove ‖ insert of one present key, on three threads: the results and the final
/// value must come from one order of the three.
fn three_updates<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let m = map_with::<M>(&[(4, val(4, 0)), (5, val(5, 0))]);
    let (m1, m2) = (m.clone(), m.clone());
    let t1 = loom::thread::spawn(move || m1.remove(&5));
    let t2 = loom::thread::spawn(move || m2.insert(5, val(5, 2)));
    let a = m.insert(5, val(5, 1));
    let b = t1.join().unwrap();
    let c = t2.join().unwrap();
    let updates = [
        Update::Insert {
            value: val(5, 1),
            new: a,
        },
        Update::Remove { got: b },
        Update::Insert {
            value: val(5, 2),
            new: c,
        },
    ];
    let last = m.get(&5);
    assert!(
        linearizable(Some(val(5, 0)), &updates, last),
        "no order of {updates:?} from {:?} ends in {last:?}",
        Some(val(5, 0))
    );
    let mut expected = vec![(4, val(4, 0))];
    expected.extend(last.map(|v| (5, v)));
    assert_final(&*m, &expected);
}

/// Reclamation safety: a reader races a replace and a remove of the same key. The replace
/// retires the key's boxed value (the key was written twice before, so its first value is in
/// the node and its second in a box); the remove retires the node and the box the replace
/// stored. Under hazard pointers both are reclaimed at once, so a reader that touches either
/// after its free is a loom causality violation.
fn reclaim_reader<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let m = map_with::<M>(&[
        (4, val(4, 0)),
        (5, val(5, 0)),
        (5, val(5, 1)),
        (6, val(6, 0)),
    ]);
    let ((replaced, removed), (got, all)) = race(
        &m,
        |m| (m.insert(5, val(5, 2)), m.remove(&5)),
        |m| (m.get(&5), scan(m)),
    );
    assert!(!replaced, "a replace is not new");
    assert_eq!(removed, Some(val(5, 2)));
    assert!(
        got.is_none() || got.is_some_and(|v| one_of(5, v, &[1, 2])),
        "get(5) = {got:?}"
    );
    let ok = match all.as_slice() {
        [a, b] => *a == (4, val(4, 0)) && *b == (6, val(6, 0)),
        [a, (5, v), c] => *a == (4, val(4, 0)) && one_of(5, *v, &[1, 2]) && *c == (6, val(6, 0)),
        _ => false,
    };
    assert!(ok, "range during replace and remove: {all:?}");
    assert_final(&*m, &[(4, val(4, 0)), (6, val(6, 0))]);
}

/// Every scenario on `M` (named `structure` in the output) with the preemption bounds of
/// `mode`; prints `VERIFY-STAT executions` and returns the executions explored. A failing
/// model panics (loom's message), after a line naming the scenario and how to rerun it.
pub fn run_all<M: ConcurrentMap<u8, u8> + Default + 'static>(structure: &str, mode: Mode) -> u64 {
    if let Some(m) = active_mutant() {
        eprintln!("loom {structure}: mutant {m} active");
    }
    let start = Instant::now();
    // (name, threads, model)
    let scenarios: [(&str, usize, fn()); 11] = [
        ("insert_insert", 2, insert_insert::<M>),
        ("insert_remove_new", 2, insert_remove_new::<M>),
        ("read_during_insert", 2, read_during_insert::<M>),
        ("insert_remove_present", 2, insert_remove_present::<M>),
        ("remove_remove", 2, remove_remove::<M>),
        ("read_during_remove", 2, read_during_remove::<M>),
        ("read_during_replace", 2, read_during_replace::<M>),
        ("insert_next_to_removed", 2, insert_next_to_removed::<M>),
        ("remove_next_to_inserted", 2, remove_next_to_inserted::<M>),
        ("reclaim_reader", 2, reclaim_reader::<M>),
        ("three_updates", 3, three_updates::<M>),
    ];
    // `LOOM_SCENARIO=<name>` runs one scenario (to rerun a failure with `LOOM_LOCATION=1`).
    let only = std::env::var("LOOM_SCENARIO")
        .ok()
        .filter(|s| !s.is_empty());
    let n: u64 = scenarios
        .iter()
        .filter(|(name, _, _)| only.as_deref().is_none_or(|o| o == *name))
        .map(|&(name, threads, f)| explore(structure, name, threads, f, mode))
        .sum();
    eprintln!(
        "loom {structure}: {n} executions in {:.1?}",
        start.elapsed()
    );
    report("executions", n);
    n
}
