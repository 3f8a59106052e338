//! Multi-threaded stress tests, run once per map type (via `for_each_map!`), with
//! `std::thread::scope`:
//!
//! * **disjoint keys** — each thread inserts, replaces, removes, reads and range-scans only its
//!   own key range, so every return value is checked exactly against a per-thread model; the
//!   final contents and `len()` must equal the union of those models.
//! * **overlapping keys** — threads insert and remove the same few keys. Per key, successful
//!   inserts (`true`) minus successful removes (`Some`) must be 0 or 1 and equal the final
//!   presence; every value present or removed must be one some thread wrote for that key,
//!   and no written value may be removed twice or be both removed and still present. (The
//!   exact accounting is skipped for the crossbeam reference map, whose `remove` can return
//!   the same entry to two threads: see `overlapping_keys`.)
//! * **readers and writers** — readers run `get` and `range` (random, often inverted bounds)
//!   while writers update: ranges must be strictly increasing and within bounds, every value
//!   must have been written for its key, and keys that are present throughout (never touched
//!   by writers) must always be seen, as weak consistency promises.
//!
//! Values are `String`s `"{key}/{thread}/{seq}"`, unique per write. Under Miri the sizes
//! shrink to 2 threads and 30 operations per thread.
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

mod common;

use common::{decode, in_bounds, value, RandomBounds, Rng};
use ferrolite_structures::ConcurrentMap;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

const THREADS: usize = if cfg!(miri) { 2 } else { 4 };
const OPS: usize = if cfg!(miri) { 30 } else { 20_000 };

/// Keys owned by each thread in the disjoint test.
const KEYS_PER_THREAD: u64 = if cfg!(miri) { 8 } else { 256 };
/// The shared keys of the overlapping test.
const HOT_KEYS: u64 = if cfg!(miri) { 3 } else { 8 };
/// Key space of the readers-and-writers test; multiples of 4 are stable.
const RW_KEYS: u64 = if cfg!(miri) { 16 } else { 256 };
/// Readers keep going until the writers are done, but do at least this many operations.
const MIN_READS: usize = if cfg!(miri) { 5 } else { 200 };
/// The `thread` part of the values of the stable keys.
const STABLE: usize = 999;

fn join_all<T>(handles: Vec<thread::ScopedJoinHandle<'_, T>>) -> Vec<T> {
    handles
        .into_iter()
        .map(|h| h.join().expect("a worker thread panicked"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// (a) disjoint keys

fn disjoint_worker<M: ConcurrentMap<u64, String>>(map: &M, t: usize) -> BTreeMap<u64, String> {
    let mut rng = Rng::new(0xD15_0000 + t as u64);
    let base = t as u64 * KEYS_PER_THREAD;
    let last = base + KEYS_PER_THREAD - 1;
    let mut own = BTreeMap::new();
    for i in 0..OPS {
        let k = base + rng.below(KEYS_PER_THREAD);
        match rng.below(100) {
            // Insert: new key, or replace when `k` is present (about half the time).
            0..40 => {
                let v = value(k, t, i);
                let was_new = own.insert(k, v.clone()).is_none();
                assert_eq!(map.insert(k, v), was_new, "thread {t} op {i}: insert {k}");
            }
            40..70 => assert_eq!(
                map.remove(&k),
                own.remove(&k),
                "thread {t} op {i}: remove {k}"
            ),
            70..88 => assert_eq!(
                map.get(&k),
                own.get(&k).cloned(),
                "thread {t} op {i}: get {k}"
            ),
            88..98 => {
                assert_eq!(
                    map.contains(&k),
                    own.contains_key(&k),
                    "thread {t} op {i}: contains {k}"
                )
            }
            _ => {
                // A range inside our own keys: nobody else touches them, so it is exact.
                let lo = rng.bound_within(base, last);
                let hi = rng.bound_within(base, last);
                let got: Vec<_> = map.range((lo.as_ref(), hi.as_ref())).collect();
                let want: Vec<_> = own
                    .iter()
                    .filter(|(k, _)| in_bounds(*k, &lo, &hi))
                    .map(|(k, v)| (*k, v.clone()))
                    .collect();
                assert_eq!(got, want, "thread {t} op {i}: range {lo:?}..{hi:?}");
            }
        }
    }
    own
}

fn disjoint_keys<M: ConcurrentMap<u64, String> + Default>() {
    let map = M::default();
    let models = thread::scope(|s| {
        let map = &map;
        join_all(
            (0..THREADS)
                .map(|t| s.spawn(move || disjoint_worker(map, t)))
                .collect(),
        )
    });
    let want: Vec<(u64, String)> = models.into_iter().flatten().collect();
    let got: Vec<(u64, String)> = map.iter().collect();
    assert_eq!(got, want, "final contents");
    assert_eq!(map.len(), want.len(), "final len");
    for (k, v) in &want {
        assert_eq!(map.get(k).as_ref(), Some(v), "final get {k}");
    }
}

// ---------------------------------------------------------------------------------------
// (b) overlapping keys

#[derive(Default)]
struct Tally {
    /// Per key: inserts that returned `true`.
    inserted: Vec<u64>,
    /// Per key: removes that returned `Some`.
    removed: Vec<u64>,
    /// Every value this thread passed to `insert`.
    written: Vec<String>,
    /// Every value this thread got back from a successful `remove`.
    removed_values: Vec<String>,
}

fn overlapping_worker<M: ConcurrentMap<u64, String>>(map: &M, t: usize) -> Tally {
    let mut rng = Rng::new(0x0BE5_0000 + t as u64);
    let mut tally = Tally {
        inserted: vec![0; HOT_KEYS as usize],
        removed: vec![0; HOT_KEYS as usize],
        ..Tally::default()
    };
    for i in 0..OPS {
        let k = rng.below(HOT_KEYS);
        match rng.below(100) {
            0..48 => {
                let v = value(k, t, i);
                tally.written.push(v.clone());
                if map.insert(k, v) {
                    tally.inserted[k as usize] += 1;
                }
            }
            48..96 => {
                if let Some(v) = map.remove(&k) {
                    assert_eq!(
                        decode(&v).0,
                        k,
                        "thread {t} op {i}: removed {v:?} from key {k}"
                    );
                    tally.removed[k as usize] += 1;
                    tally.removed_values.push(v);
                }
            }
            _ => {
                if let Some(v) = map.get(&k) {
                    assert_eq!(decode(&v).0, k, "thread {t} op {i}: got {v:?} from key {k}");
                }
            }
        }
    }
    tally
}

/// `exact`: whether to check the per-key accounting of successful inserts and removes, which
/// holds for any linearizable map. It is off for `crossbeam`: crossbeam-skiplist 0.1's
/// `SkipList::remove` returns `Some(entry)` even when its `mark_tower` loses the race to another
/// remover (so two threads can both "remove" the same value), and its replacing insert marks
/// the old node and links a new one as two steps (the adapter cannot tell, from
/// `compare_insert`, whether its insert finally replaced or created). Observed here: values
/// removed twice and `inserts - removes = 2`.
fn overlapping_keys<M: ConcurrentMap<u64, String> + Default>(exact: bool) {
    let map = M::default();
    let tallies = thread::scope(|s| {
        let map = &map;
        join_all(
            (0..THREADS)
                .map(|t| s.spawn(move || overlapping_worker(map, t)))
                .collect(),
        )
    });
    let written: HashSet<&String> = tallies.iter().flat_map(|t| &t.written).collect();
    let mut removed = HashSet::new();
    for v in tallies.iter().flat_map(|t| &t.removed_values) {
        assert!(written.contains(v), "removed value {v:?} was never written");
        assert!(removed.insert(v) || !exact, "value {v:?} removed twice");
    }
    let mut present = 0;
    for k in 0..HOT_KEYS {
        let inserts: u64 = tallies.iter().map(|t| t.inserted[k as usize]).sum();
        let removes: u64 = tallies.iter().map(|t| t.removed[k as usize]).sum();
        let net = inserts.wrapping_sub(removes);
        if exact {
            assert!(
                net <= 1,
                "key {k}: {inserts} successful inserts but {removes} removes"
            );
        }
        match map.get(&k) {
            Some(v) => {
                assert_eq!(decode(&v).0, k, "key {k} holds {v:?}");
                assert!(written.contains(&v), "key {k} holds {v:?}, never written");
                if exact {
                    assert_eq!(net, 1, "key {k} present ({v:?}) but inserts - removes = 0");
                    assert!(
                        !removed.contains(&v),
                        "key {k} holds {v:?}, which was removed"
                    );
                }
                present += 1;
            }
            None => {
                if exact {
                    assert_eq!(net, 0, "key {k} absent but inserts - removes = 1");
                }
            }
        }
    }
    assert_eq!(map.len(), present, "final len");
    assert_eq!(map.iter().count(), present, "final iteration");
}

// ---------------------------------------------------------------------------------------
// (c) readers concurrent with writers

fn is_stable(k: u64) -> bool {
    k.is_multiple_of(4)
}

fn rw_writer<M: ConcurrentMap<u64, String>>(
    map: &M,
    w: usize,
    writers: usize,
) -> BTreeMap<u64, String> {
    let keys: Vec<u64> = (0..RW_KEYS)
        .filter(|&k| !is_stable(k) && k as usize % writers == w)
        .collect();
    let mut rng = Rng::new(0x3217_0000 + w as u64);
    let mut own = BTreeMap::new();
    for i in 0..OPS {
        let k = keys[rng.below(keys.len() as u64) as usize];
        if rng.below(2) == 0 {
            let v = value(k, w, i);
            let was_new = own.insert(k, v.clone()).is_none();
            assert_eq!(map.insert(k, v), was_new, "writer {w} op {i}: insert {k}");
        } else {
            assert_eq!(
                map.remove(&k),
                own.remove(&k),
                "writer {w} op {i}: remove {k}"
            );
        }
    }
    own
}

/// Check a value read under `key`: written for that key, by a writer or as a stable value.
fn check_read(key: u64, v: &str, writers: usize) {
    let (k, t, seq) = decode(v);
    assert_eq!(k, key, "value {v:?} read under key {key}");
    if is_stable(key) {
        assert_eq!((t, seq), (STABLE, 0), "stable key {key} holds {v:?}");
    } else {
        assert!(
            t < writers && seq < OPS,
            "value {v:?} under key {key} was never written"
        );
    }
}

fn rw_reader<M: ConcurrentMap<u64, String>>(map: &M, r: usize, writers: usize, done: &AtomicBool) {
    let mut rng = Rng::new(0x4EAD_0000 + r as u64);
    let mut n = 0;
    // Keys just past the key space are included: they are never present.
    let space = RW_KEYS + 2;
    while n < MIN_READS || !done.load(Ordering::Acquire) {
        n += 1;
        if rng.below(2) == 0 {
            let k = rng.below(space);
            match map.get(&k) {
                Some(v) => check_read(k, &v, writers),
                None => assert!(!(is_stable(k) && k < RW_KEYS), "stable key {k} missing"),
            }
            continue;
        }
        let (lo, hi) = (rng.bound(space), rng.bound(space));
        let got: Vec<(u64, String)> = map.range((lo.as_ref(), hi.as_ref())).collect();
        for pair in got.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "range {lo:?}..{hi:?}: {} then {}",
                pair[0].0,
                pair[1].0
            );
        }
        for (k, v) in &got {
            assert!(in_bounds(k, &lo, &hi), "range {lo:?}..{hi:?} yielded {k}");
            check_read(*k, v, writers);
        }
        // Stable keys were present for the whole iteration, so it must have yielded them.
        for k in (0..RW_KEYS).filter(|&k| is_stable(k) && in_bounds(&k, &lo, &hi)) {
            assert!(
                got.binary_search_by_key(&k, |(k, _)| *k).is_ok(),
                "range {lo:?}..{hi:?} missed stable key {k}"
            );
        }
    }
}

fn readers_and_writers<M: ConcurrentMap<u64, String> + Default>() {
    let writers = THREADS / 2;
    let readers = THREADS - writers;
    let map = M::default();
    let stable: BTreeMap<u64, String> = (0..RW_KEYS)
        .filter(|&k| is_stable(k))
        .map(|k| (k, value(k, STABLE, 0)))
        .collect();
    for (k, v) in &stable {
        assert!(map.insert(*k, v.clone()));
    }
    let done = AtomicBool::new(false);
    let models = thread::scope(|s| {
        let (map, done) = (&map, &done);
        let reader_handles: Vec<_> = (0..readers)
            .map(|r| s.spawn(move || rw_reader(map, r, writers, done)))
            .collect();
        let writer_handles: Vec<_> = (0..writers)
            .map(|w| s.spawn(move || rw_writer(map, w, writers)))
            .collect();
        let models = join_all(writer_handles);
        done.store(true, Ordering::Release);
        join_all(reader_handles);
        models
    });
    let mut want = stable;
    models.into_iter().for_each(|m| want.extend(m));
    let want: Vec<(u64, String)> = want.into_iter().collect();
    let got: Vec<(u64, String)> = map.iter().collect();
    assert_eq!(got, want, "final contents");
    assert_eq!(map.len(), want.len(), "final len");
}

macro_rules! stress_tests {
    ($map:ident, $name:literal) => {
        #[allow(non_snake_case)]
        mod $map {
            type Map = ferrolite_structures::$map<u64, String>;

            #[test]
            fn disjoint_keys() {
                super::disjoint_keys::<Map>();
            }

            #[test]
            fn overlapping_keys() {
                // See `overlapping_keys` for why a map that is not linearizable under same-key
                // contention (crossbeam) is not checked exactly.
                super::overlapping_keys::<Map>(super::common::info($name).linearizable);
            }

            #[test]
            fn readers_and_writers() {
                super::readers_and_writers::<Map>();
            }
        }
    };
}

// Under Miri, only the maps Miri can run: see tests/common/mod.rs.
#[cfg(not(miri))]
ferrolite_structures::for_each_map!(stress_tests);
#[cfg(miri)]
ferrolite_structures::for_each_map!(stress_tests, miri);
