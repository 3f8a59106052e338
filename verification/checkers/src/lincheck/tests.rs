//! Unit tests of the checker on hand-made histories (accepted and rejected, with the expected
//! minimal sub-histories), and of the recorder and runner on real and deliberately broken maps.
//!
//! Hand-made histories use small clock readings written out per operation; `v(t, s)` is the
//! value thread `t` writes with its operation `s`, as the recorder encodes it.

use super::*;
use ferrolite_structures::{ConcurrentMap, MapKind, MutexBTreeMap, ReclaimStats};
use std::borrow::Borrow;
use std::ops::RangeBounds;

fn v(thread: usize, seq: usize) -> u64 {
    encode_value(thread, seq)
}

fn ins(key: u64, value: u64, new: bool) -> Op {
    Op::Insert { key, value, new }
}

fn get(key: u64, found: Option<u64>) -> Op {
    Op::Get { key, found }
}

fn rem(key: u64, removed: Option<u64>) -> Op {
    Op::Remove { key, removed }
}

fn has(key: u64, present: bool) -> Op {
    Op::Contains { key, present }
}

fn put(key: u64, value: u64) -> Op {
    Op::Put { key, value }
}

fn del(key: u64) -> Op {
    Op::Delete { key }
}

fn violation(h: &History) -> Violation {
    h.validate().expect("well-formed history");
    match check_history(h) {
        Ok(_) => panic!("accepted a non-linearizable history:\n{h:?}"),
        Err(v) => v,
    }
}

#[test]
fn spec_steps() {
    assert_eq!(ins(1, 5, true).step(None), Some(Some(5)));
    assert_eq!(ins(1, 5, true).step(Some(4)), None);
    assert_eq!(ins(1, 5, false).step(Some(4)), Some(Some(5)));
    assert_eq!(get(1, Some(4)).step(Some(4)), Some(Some(4)));
    assert_eq!(get(1, None).step(Some(4)), None);
    assert_eq!(rem(1, Some(4)).step(Some(4)), Some(None));
    assert_eq!(rem(1, None).step(None), Some(None));
    assert_eq!(rem(1, None).step(Some(4)), None);
    assert_eq!(has(1, false).step(None), Some(None));
    assert_eq!(has(1, true).step(None), None);
}

#[test]
fn blind_writes_fit_every_state() {
    assert_eq!(put(1, 5).step(None), Some(Some(5)));
    assert_eq!(put(1, 5).step(Some(4)), Some(Some(5)));
    assert_eq!(del(1).step(None), Some(None));
    assert_eq!(del(1).step(Some(4)), Some(None));
    assert_eq!(put(1, 5).effect(Some(4)), Some(5));
    assert_eq!(del(1).effect(Some(4)), None);
    assert_eq!((put(3, 5).key(), del(4).key()), (3, 4));
    assert_eq!((put(1, 5).written(), put(1, 5).observed()), (Some(5), None));
    assert_eq!((del(1).written(), del(1).observed()), (None, None));
    assert_eq!(put(2, v(1, 3)).to_string(), "put(2,v1.3)");
    assert_eq!(del(2).to_string(), "delete(2)");
}

#[test]
fn accepts_blind_writes_that_need_reordering() {
    // t1's long get sees v0.0 (linearized before t3's put); t2's get, invoked after t0's put
    // returned, sees t3's overlapping put; t0's get sees None only because t2's delete
    // overlaps it; deleting an absent key is fine.
    let mut h = History::new();
    h.push(0, 0, 2, put(1, v(0, 0)))
        .push(1, 1, 10, get(1, Some(v(0, 0))))
        .push(2, 3, 6, get(1, Some(v(3, 0))))
        .push(3, 4, 5, put(1, v(3, 0)))
        .push(0, 7, 9, put(2, v(0, 1))) // another key
        .push(2, 8, 12, del(1))
        .push(0, 11, 13, get(1, None))
        .push(0, 14, 15, del(1))
        .push(3, 16, 17, get(2, Some(v(0, 1))));
    h.validate().unwrap();
    let stats = check_history(&h).expect("linearizable");
    assert_eq!(stats.keys, 2);
    let ops = &h.by_key()[&1];
    let order = check_key(ops).witness.unwrap();
    let mut state = None;
    for &i in &order {
        state = ops[i].op.step(state).expect("witness follows the spec");
    }
    assert_eq!(state, None);
}

#[test]
fn rejects_a_read_of_an_overwritten_value() {
    // put v0.0, then put v1.0 (after it), then a get (after both) still sees v0.0: the
    // engine's "stale read" symptom. The delete that overlaps nothing is noise.
    let mut h = History::new();
    h.push(0, 0, 1, put(4, v(0, 0)))
        .push(1, 2, 3, put(4, v(1, 0)))
        .push(0, 4, 5, del(5))
        .push(2, 6, 9, get(4, Some(v(1, 0))))
        .push(0, 7, 8, get(4, Some(v(0, 0))));
    let found = violation(&h);
    assert_eq!(found.key, 4);
    let ops: Vec<Op> = found.minimal.iter().map(|e| e.op).collect();
    assert_eq!(
        ops,
        [put(4, v(0, 0)), put(4, v(1, 0)), get(4, Some(v(0, 0)))],
        "{found}"
    );
    assert!(found.timeline().contains("put(4,v1.0)"), "{found}");
}

#[test]
fn rejects_a_read_after_a_delete_and_a_lost_put() {
    // A value read after the delete that followed its put returned.
    let mut h = History::new();
    h.push(0, 0, 1, put(1, v(0, 0)))
        .push(0, 2, 3, del(1))
        .push(1, 4, 5, get(1, Some(v(0, 0))));
    assert_eq!(violation(&h).minimal.len(), 3);
    // A put that returned, then a get that finds nothing: two operations suffice.
    let mut h = History::new();
    h.push(0, 0, 3, get(2, None))
        .push(1, 1, 2, put(2, v(1, 0)))
        .push(0, 4, 5, get(2, None))
        .push(1, 6, 7, get(2, None));
    let found = violation(&h);
    assert_eq!(found.minimal.len(), 2, "{found}");
    assert_eq!(found.minimal[0].op, put(2, v(1, 0)));
    // A value read before its put was invoked.
    let mut h = History::new();
    h.push(0, 0, 1, get(3, Some(v(1, 0))))
        .push(1, 2, 3, put(3, v(1, 0)));
    assert_eq!(violation(&h).minimal.len(), 2);
}

#[test]
fn blind_writes_mix_with_map_operations() {
    // A remove takes the value a put wrote; an insert after a delete reports "new".
    let mut h = History::new();
    h.push(0, 0, 1, put(6, v(0, 0)))
        .push(1, 2, 3, rem(6, Some(v(0, 0))))
        .push(0, 4, 5, put(6, v(0, 2)))
        .push(1, 6, 7, del(6))
        .push(0, 8, 9, ins(6, v(0, 4), true));
    check_history(&h).expect("linearizable");
    h.push(1, 10, 11, ins(6, v(1, 5), true)); // but not twice
    assert_eq!(violation(&h).minimal.len(), 2);
}

#[test]
fn accepts_a_linearizable_history_that_needs_reordering() {
    // t1's get is invoked before t0's insert but must be linearized after it; t2's remove
    // overlaps both and takes the value; the final contains sees the key absent.
    let mut h = History::new();
    h.push(1, 0, 6, get(3, Some(v(0, 0))))
        .push(0, 1, 3, ins(3, v(0, 0), true))
        .push(2, 2, 8, rem(3, Some(v(0, 0))))
        .push(0, 4, 5, ins(4, v(0, 1), true)) // another key: independent
        .push(1, 7, 9, ins(3, v(1, 1), true))
        .push(0, 10, 11, rem(3, Some(v(1, 1))))
        .push(2, 12, 13, has(3, false))
        .push(2, 14, 15, get(4, Some(v(0, 1))));
    h.validate().unwrap();
    let stats = check_history(&h).expect("linearizable");
    assert_eq!(stats.keys, 2);
    assert_eq!(stats.max_key_ops, 6);
    // The witness replays to the recorded results in real-time order.
    let ops = &h.by_key()[&3];
    let order = check_key(ops).witness.unwrap();
    let mut state = None;
    for (pos, &i) in order.iter().enumerate() {
        state = ops[i].op.step(state).expect("witness follows the spec");
        for &j in &order[pos + 1..] {
            assert!(!ops[j].precedes(&ops[i]), "witness breaks real time");
        }
    }
}

#[test]
fn rejects_a_stale_read() {
    // The remove returned before the get was invoked, yet the get still sees the value. The
    // noise (a concurrent contains, a get before the remove, operations on another key) must
    // be shrunk away.
    let mut h = History::new();
    h.push(0, 0, 1, ins(1, v(0, 0), true))
        .push(1, 2, 3, get(1, Some(v(0, 0))))
        .push(0, 4, 6, rem(1, Some(v(0, 0))))
        .push(2, 5, 8, has(1, true))
        .push(2, 9, 10, ins(2, v(2, 1), true))
        .push(1, 11, 12, get(1, Some(v(0, 0))))
        .push(0, 13, 14, get(2, Some(v(2, 1))));
    let found = violation(&h);
    assert_eq!(found.key, 1);
    assert_eq!(found.key_ops, 5);
    let ops: Vec<Op> = found.minimal.iter().map(|e| e.op).collect();
    assert_eq!(
        ops,
        [
            ins(1, v(0, 0), true),
            rem(1, Some(v(0, 0))),
            get(1, Some(v(0, 0)))
        ]
    );
}

#[test]
fn rejects_a_double_successful_remove() {
    // Two overlapping removes both return the one inserted value (the `remove_blind_store`
    // symptom); the gets and the later insert on the key are noise.
    let mut h = History::new();
    h.push(0, 0, 1, ins(2, v(0, 0), true))
        .push(1, 2, 3, get(2, Some(v(0, 0))))
        .push(1, 4, 7, rem(2, Some(v(0, 0))))
        .push(2, 5, 8, rem(2, Some(v(0, 0))))
        .push(0, 6, 9, get(2, None))
        .push(0, 10, 11, ins(2, v(0, 2), true));
    let found = violation(&h);
    assert_eq!(found.key, 2);
    assert_eq!(found.minimal.len(), 3, "{found}");
    assert_eq!(found.minimal[0].op, ins(2, v(0, 0), true));
    assert!(found.minimal[1..]
        .iter()
        .all(|e| e.op == rem(2, Some(v(0, 0)))));
    let text = found.to_string();
    assert!(
        text.starts_with("key 2: no linearization of 3 operations"),
        "{text}"
    );
}

#[test]
fn rejects_a_lost_insert() {
    // The insert returned "new" before the get started, and nothing removed the key.
    let mut h = History::new();
    h.push(0, 0, 3, has(5, false))
        .push(1, 1, 2, ins(5, v(1, 0), true))
        .push(0, 4, 5, get(5, None))
        .push(1, 6, 7, get(5, None));
    let found = violation(&h);
    assert_eq!(found.minimal.len(), 2, "{found}");
    assert_eq!(found.minimal[0].op, ins(5, v(1, 0), true));
    assert_eq!(found.minimal[1].op.observed(), None);
}

#[test]
fn rejects_a_resurrecting_replace() {
    // The `replace_blind_store` symptom: the remove took v0.0, yet the overlapping insert
    // reports "replaced" — neither order explains both results.
    let mut h = History::new();
    h.push(0, 0, 1, ins(1, v(0, 0), true))
        .push(1, 2, 5, rem(1, Some(v(0, 0))))
        .push(0, 3, 4, ins(1, v(0, 1), false));
    let found = violation(&h);
    assert_eq!(found.minimal.len(), 3, "{found}");
}

#[test]
fn timeline_shows_threads_and_intervals() {
    let mut h = History::new();
    h.push(0, 0, 1, ins(2, v(0, 1), true))
        .push(1, 2, 5, rem(2, Some(v(0, 1))))
        .push(1, 6, 7, rem(2, Some(v(0, 1))));
    let found = violation(&h);
    let text = found.to_string();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "key 2: no linearization of 3 operations (shrunk from 3 operations on the key, 3 in the history)");
    assert!(rows[1].starts_with("t0 |--insert(2,v0.1)=new--|"), "{text}");
    assert!(rows[2].starts_with("t1 "), "{text}");
    assert_eq!(rows[2].matches("remove(2)=Some(v0.1)").count(), 2, "{text}");
    // t1's first bar starts after t0's bar ends (real-time order is visible).
    assert!(
        rows[2].find('|').unwrap() > rows[1].rfind('|').unwrap(),
        "{text}"
    );
    assert!(text.contains("[2, 5]") && text.contains("[6, 7]"), "{text}");
}

#[test]
fn overlapping_bars_overlap_in_the_timeline() {
    let events = [
        Event {
            thread: 0,
            op: ins(1, v(0, 0), true),
            invoke: 0,
            response: 3,
        },
        Event {
            thread: 1,
            op: get(1, None),
            invoke: 1,
            response: 2,
        },
    ];
    let text = render_timeline(&events);
    let rows: Vec<&str> = text.lines().collect();
    let (a0, a1) = (rows[0].find('|').unwrap(), rows[0].rfind('|').unwrap());
    let (b0, b1) = (rows[1].find('|').unwrap(), rows[1].rfind('|').unwrap());
    assert!(a0 < b0 && b1 < a1, "{text}");
}

#[test]
fn long_histories_use_multiword_bitsets() {
    // 200 sequential operations on one key, with a concurrent reader spanning them all.
    let mut h = History::new();
    let mut t = 1;
    for i in 0..100 {
        h.push(0, t, t + 1, ins(9, v(0, i), true));
        h.push(0, t + 2, t + 3, rem(9, Some(v(0, i))));
        t += 4;
    }
    h.push(1, 0, t, get(9, Some(v(0, 77))));
    let stats = check_history(&h).expect("linearizable");
    assert_eq!(stats.max_key_ops, 201);
    // Now make the last remove impossible.
    h.push(1, t + 1, t + 2, rem(9, Some(v(0, 99))));
    let found = violation(&h);
    assert_eq!(found.minimal.len(), 3, "{found}");
}

#[test]
fn concurrent_ops_counts_overlaps_with_other_threads() {
    let mut h = History::new();
    h.push(0, 0, 3, get(1, None)) // overlaps t1's first
        .push(1, 1, 2, get(1, None))
        .push(1, 4, 5, get(1, None)) // alone
        .push(0, 6, 9, get(1, None)) // overlaps t1's last
        .push(1, 8, 10, get(1, None));
    assert_eq!(h.concurrent_ops(), 4);
}

#[test]
fn validate_rejects_malformed_histories() {
    let mut h = History::new();
    h.push(0, 3, 3, get(1, None));
    assert!(h.validate().is_err());
    let mut h = History::new();
    h.push(0, 0, 5, get(1, None)).push(0, 4, 6, get(1, None));
    assert!(h.validate().is_err());
    let mut h = History::new();
    h.push(0, 0, 5, get(1, None)).push(1, 5, 6, get(1, None));
    assert!(h.validate().is_err());
}

fn small_budget() -> Budget {
    Budget {
        histories: 60,
        max_threads: 3,
        ops_per_thread: 16,
        keys: 2,
        seed: 42,
        histories_per_map: 8,
        stall_timeout: Some(std::time::Duration::from_secs(120)),
        leak_maps: false,
    }
}

#[test]
fn recorded_histories_are_well_formed_and_values_unique() {
    let budget = small_budget();
    let w = Workload::draw(&budget, 7);
    assert!((2..=3).contains(&w.threads));
    let plans = w.plans(7, 100);
    let map = ferrolite_structures::EpochSkipList::<u64, u64>::default();
    assert_eq!(map.name(), MapKind::Epoch.name());
    let h = record(&map, &plans);
    h.validate().unwrap();
    assert_eq!(h.len(), w.threads * w.ops_per_thread);
    let mut values: Vec<u64> = h.events.iter().filter_map(|e| e.op.written()).collect();
    let n = values.len();
    values.sort_unstable();
    values.dedup();
    assert_eq!(values.len(), n);
}

#[test]
fn correct_maps_pass() {
    for kind in [MapKind::BTree, MapKind::Epoch] {
        let stats = check_map(kind, &small_budget()).unwrap_or_else(|v| panic!("{v}"));
        assert_eq!(stats.histories, 60);
        assert!(stats.operations >= 60 * 2 * 8);
        assert!(stats.states > 0);
    }
}

/// A defect seeded into [`Broken`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// `remove` reports the value but forgets to remove it: wrong even without concurrency,
    /// so every run must catch it.
    ForgetfulRemove,
    /// `get` panics.
    PanickyGet,
    /// `remove` never returns (a deadlock).
    StuckRemove,
}

/// A `Mutex<BTreeMap>` with one seeded defect.
struct Broken(MutexBTreeMap<u64, u64>, Defect);

impl Broken {
    fn new(defect: Defect) -> Self {
        Broken(MutexBTreeMap::default(), defect)
    }
}

impl ConcurrentMap<u64, u64> for Broken {
    fn name(&self) -> &'static str {
        match self.1 {
            Defect::ForgetfulRemove => "forgetful",
            Defect::PanickyGet => "panicky",
            Defect::StuckRemove => "stuck",
        }
    }
    fn insert(&self, key: u64, value: u64) -> bool {
        self.0.insert(key, value)
    }
    fn get<Q>(&self, key: &Q) -> Option<u64>
    where
        u64: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        assert!(self.1 != Defect::PanickyGet, "get is broken");
        self.0.get(key)
    }
    fn remove<Q>(&self, key: &Q) -> Option<u64>
    where
        u64: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.1 {
            Defect::ForgetfulRemove => self.0.get(key),
            Defect::StuckRemove => loop {
                std::thread::park();
            },
            Defect::PanickyGet => self.0.remove(key),
        }
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
fn a_broken_map_is_caught_with_a_minimal_timeline() {
    let build = || Broken::new(Defect::ForgetfulRemove);
    let found = check_with(build, &small_budget()).expect_err("must be caught");
    assert!(found.context.contains("map `forgetful`"), "{found}");
    // Some minimal witness: e.g. insert, remove=Some(v), then get=Some(v) or remove=Some(v).
    assert!((2..=4).contains(&found.minimal.len()), "{found}");
    let survey = survey_with(build, &small_budget(), false);
    assert_eq!(survey.stats.histories, 60);
    assert!(survey.violating_histories > 0);
}

#[test]
fn a_panicking_map_panics_the_recorder_and_stops_the_watchdog() {
    let map = Broken::new(Defect::PanickyGet);
    let plans = vec![
        vec![Call::Insert(1, v(0, 0)), Call::Get(1)],
        vec![Call::Remove(1), Call::Remove(1)],
    ];
    // The watchdog would end the process after an hour: it must notice the thread ended.
    let stall = Some(std::time::Duration::from_secs(3600));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        record_watched(&map, &plans, stall, "")
    }));
    let payload = result.expect_err("the map's panic reaches the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"get is broken"));
}

/// Run by `a_stuck_map_ends_the_process_with_a_report` in a child process: the watchdog ends
/// that process, so it cannot run in the harness's own.
#[test]
fn stuck_map_child() {
    if std::env::var_os("FERROLITE_LINCHECK_STUCK_CHILD").is_none() {
        return;
    }
    let map = Broken::new(Defect::StuckRemove);
    let plans = vec![
        vec![Call::Insert(1, v(0, 0)), Call::Remove(1)],
        vec![Call::Get(1), Call::Get(1)],
    ];
    record_watched(
        &map,
        &plans,
        Some(std::time::Duration::from_millis(300)),
        "ctx",
    );
    unreachable!("the watchdog ends the process");
}

#[test]
fn a_stuck_map_ends_the_process_with_a_report() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "lincheck::tests::stuck_map_child", "--nocapture"])
        .env("FERROLITE_LINCHECK_STUCK_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(101), "{stdout}");
    assert!(stdout.contains("map `stuck` made no progress"), "{stdout}");
    assert!(
        stdout.contains("t0 remove(1) (operation 1 of 2)"),
        "{stdout}"
    );
    assert!(stdout.contains("t1 (finished)"), "{stdout}");
    assert!(stdout.contains("ctx"), "{stdout}");
}
