//! Writers and readers running at once, on every memtable kind, while background flushes and
//! compactions run many times underneath them.
//!
//! Each writer `w` commits a deterministic sequence of batches 1..=N to its own keys (`w0/…`):
//! batch `i` sets `a`, `b`, `c` and the counter `n` to version `i`, puts or deletes `d`, and
//! rewrites (or now and then deletes) one of a few padded filler keys, so that the memtable fills
//! quickly and the tiny table and level sizes force flushes and compactions all along. Because
//! only writer `w` touches `w`'s keys, the state of those keys after batch `i` is known exactly
//! ([`Model`]). The core property every reader checks is: **every read state is explained by some
//! prefix of each writer's commits**, and the prefixes a reader observes never shrink. For one key
//! this is monotonic reads; for a batch it is atomicity (`a == b == c == n`, and everything else
//! of that writer exactly as after the same batch). Concretely each reader repeatedly
//! - takes a snapshot, scans all of it, infers each writer's prefix `i` from `n`, and checks that
//!   the writer's keys in the scan are exactly the model's state after batch `i`, that `get`s on
//!   the same snapshot agree with the scan key by key, and that `i` is at least the prefix this
//!   reader saw before taking the snapshot;
//! - does plain (non-snapshot) `get`s and a plain prefix scan, which must also be explained by a
//!   prefix no smaller than any the reader saw earlier;
//! - keeps a snapshot across several rounds (its scan must not change) and drains a plain
//!   iterator a few entries per round (together they must be explained by prefixes).
//!
//! Meanwhile a user thread calls `flush()`, `compact()` and `verify()` in a loop, racing the
//! background workers.
//!
//! At the end every writer's final state must be there, `verify()` must pass, the statistics must
//! show flushes and compactions, and a reopened database must hold the same state. The default
//! tests are light (a few seconds per kind in debug); `heavy_all_kinds` (ignored) runs longer
//! workloads — `cargo test -p ferrolite --release --test concurrent -- --ignored`, scaled by
//! `FERROLITE_HEAVY_BATCHES`.

use bytes::Bytes;
use ferrolite::{Db, MapKind, Options, WriteBatch};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Filler keys per writer (each batch rewrites one of them).
const FILLERS: u64 = 12;

/// The size of one run.
#[derive(Clone, Copy, Debug)]
struct Workload {
    writers: usize,
    readers: usize,
    batches: u64,
}

const LIGHT: Workload = Workload {
    writers: 3,
    readers: 2,
    batches: 1500,
};

fn options(kind: MapKind) -> Options {
    Options::default()
        .memtable(kind)
        .memtable_size(8 << 10)
        .target_file_size(16 << 10)
        .level1_size(32 << 10)
        .l0_compaction_trigger(2)
        .background_threads(2)
        .block_size(1024)
        .block_cache_bytes(256 << 10)
}

fn key(w: usize, name: &str) -> Bytes {
    Bytes::from(format!("w{w}/{name}"))
}

/// The value version `i` of `name` holds: the version first, then padding.
fn value(w: usize, i: u64, name: &str) -> Bytes {
    let pad = if name.starts_with('f') { 160 } else { 24 };
    let mut v = format!("{i:08}:{name}:");
    v.extend((0..pad).map(|j| (b'a' + ((i as usize * 7 + j + w) % 26) as u8) as char));
    Bytes::from(v)
}

/// The version a value was written by.
fn version_of(v: &[u8]) -> u64 {
    std::str::from_utf8(&v[..8])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a value of this test: {:?}", v.escape_ascii()))
}

/// Batch `i` (1-based) of writer `w`: (key, Some(value)) puts, (key, None) deletes.
fn batch_ops(w: usize, i: u64) -> Vec<(Bytes, Option<Bytes>)> {
    let mut ops = Vec::new();
    for name in ["a", "b", "c", "n"] {
        ops.push((key(w, name), Some(value(w, i, name))));
    }
    ops.push((
        key(w, "d"),
        (!i.is_multiple_of(5)).then(|| value(w, i, "d")), // every fifth batch deletes d
    ));
    let filler = format!("f{:02}", i % FILLERS);
    let filler_value = (!i.is_multiple_of(7)).then(|| value(w, i, &filler)); // every seventh deletes
    ops.push((key(w, &filler), filler_value));
    ops
}

/// Every key writer `w` ever touches.
fn universe(w: usize) -> Vec<Bytes> {
    let mut keys: Vec<Bytes> = ["a", "b", "c", "d", "n"]
        .iter()
        .map(|n| key(w, n))
        .collect();
    keys.extend((0..FILLERS).map(|f| key(w, &format!("f{f:02}"))));
    keys.sort();
    keys
}

/// The state of each writer's keys after each prefix of its batches: `states[w][i]`.
struct Model {
    states: Vec<Vec<BTreeMap<Bytes, Bytes>>>,
}

impl Model {
    fn new(load: Workload) -> Model {
        let states = (0..load.writers)
            .map(|w| {
                let mut cur = BTreeMap::new();
                let mut out = vec![cur.clone()];
                for i in 1..=load.batches {
                    for (k, v) in batch_ops(w, i) {
                        match v {
                            Some(v) => cur.insert(k, v),
                            None => cur.remove(&k),
                        };
                    }
                    out.push(cur.clone());
                }
                out
            })
            .collect();
        Model { states }
    }

    /// Check that `seen` (writer `w`'s keys as some read observed them) is exactly the state
    /// after some prefix of `w`'s batches, at least `floor`; returns that prefix.
    fn explain(&self, w: usize, seen: &BTreeMap<Bytes, Bytes>, floor: u64, what: &str) -> u64 {
        let i = seen.get(&key(w, "n")).map_or(0, |v| version_of(v));
        let states = &self.states[w];
        assert!(
            (i as usize) < states.len(),
            "{what}: writer {w} at version {i}, beyond its last batch"
        );
        if seen != &states[i as usize] {
            let describe = |m: &BTreeMap<Bytes, Bytes>| -> Vec<String> {
                m.iter()
                    .map(|(k, v)| format!("{}={}", k.escape_ascii(), version_of(v)))
                    .collect()
            };
            panic!(
                "{what}: writer {w}'s keys are not the state after any prefix of its batches\n  \
                 seen:              {:?}\n  after batch {i:5}: {:?}",
                describe(seen),
                describe(&states[i as usize])
            );
        }
        assert!(
            i >= floor,
            "{what}: writer {w} went back from batch {floor} to batch {i}"
        );
        i
    }
}

/// Split a full scan into per-writer maps (and fail on a key no writer owns).
fn by_writer(
    entries: impl Iterator<Item = ferrolite::Result<(Bytes, Bytes)>>,
    writers: usize,
) -> Vec<BTreeMap<Bytes, Bytes>> {
    let mut out = vec![BTreeMap::new(); writers];
    for entry in entries {
        let (k, v) = entry.expect("scan");
        let w = k
            .strip_prefix(b"w")
            .and_then(|rest| rest.split(|&b| b == b'/').next())
            .and_then(|d| std::str::from_utf8(d).ok()?.parse::<usize>().ok())
            .filter(|&w| w < writers)
            .unwrap_or_else(|| panic!("scan returned a key no writer wrote: {:?}", k));
        out[w].insert(k, v);
    }
    out
}

fn run(kind: MapKind, load: Workload, parallel: bool) {
    let started = Instant::now();
    let model = Model::new(load);
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options(kind).parallel_memtable_writes(parallel)).unwrap();
    let writers_left = AtomicUsize::new(load.writers);
    let reader_rounds = AtomicUsize::new(0);

    std::thread::scope(|s| {
        for w in 0..load.writers {
            let db = &db;
            let writers_left = &writers_left;
            s.spawn(move || {
                for i in 1..=load.batches {
                    let mut batch = WriteBatch::new();
                    for (k, v) in batch_ops(w, i) {
                        match v {
                            Some(v) => batch.put(k, v),
                            None => batch.delete(k),
                        };
                    }
                    db.write(batch)
                        .unwrap_or_else(|e| panic!("{kind}: writer {w} batch {i}: {e}"));
                    // Read your own writes: nobody else writes this writer's keys.
                    let n = db.get(key(w, "n")).unwrap();
                    assert_eq!(
                        n.as_deref().map(version_of),
                        Some(i),
                        "{kind}: writer {w} does not read its own batch {i}"
                    );
                }
                writers_left.fetch_sub(1, Ordering::Release);
            });
        }
        // Maintenance from a user thread, racing the background workers: explicit flushes,
        // full compactions and checksum passes.
        {
            let (db, writers_left) = (&db, &writers_left);
            s.spawn(move || {
                let mut round = 0u64;
                while writers_left.load(Ordering::Acquire) > 0 {
                    round += 1;
                    match round % 3 {
                        0 => db.flush().unwrap_or_else(|e| panic!("{kind}: flush: {e}")),
                        1 => db
                            .compact()
                            .unwrap_or_else(|e| panic!("{kind}: compact: {e}")),
                        _ => drop(
                            db.verify()
                                .unwrap_or_else(|e| panic!("{kind}: verify: {e}")),
                        ),
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            });
        }
        for r in 0..load.readers {
            let (db, model, writers_left, reader_rounds) =
                (&db, &model, &writers_left, &reader_rounds);
            s.spawn(move || {
                let mut floor = vec![0u64; load.writers];
                let mut last_seq = 0;
                let mut round = 0u64;
                // A snapshot kept across many rounds (and so across flushes and compactions)
                // with what its first scan returned: later scans must return the same.
                let mut held: Option<(ferrolite::Snapshot<'_>, Vec<BTreeMap<Bytes, Bytes>>)> = None;
                // A plain iterator drained a few entries per round, with the floor when it was
                // created: its entries together must be explained by prefixes at least that.
                let mut slow: Option<(ferrolite::DbIter, Vec<_>, Vec<u64>)> = None;
                loop {
                    let finished = writers_left.load(Ordering::Acquire) == 0;
                    round += 1;
                    let what = format!("{kind}: reader {r} round {round}");

                    // A snapshot: one scan of everything, explained writer by writer; gets
                    // on the same snapshot agree with the scan.
                    let snap = db.snapshot().unwrap();
                    assert!(
                        snap.seq() >= last_seq,
                        "{what}: snapshot sequence went back"
                    );
                    last_seq = snap.seq();
                    let seen = by_writer(snap.iter().unwrap(), load.writers);
                    for (w, seen_w) in seen.iter().enumerate() {
                        let i = model.explain(w, seen_w, floor[w], &format!("{what} snapshot"));
                        for k in universe(w) {
                            let got = snap.get(&k).unwrap();
                            assert_eq!(
                                got.as_ref(),
                                seen_w.get(&k),
                                "{what}: snapshot get of {:?} disagrees with the snapshot scan",
                                k
                            );
                        }
                        let prefix = snap.scan_prefix(key(w, "")).unwrap();
                        let scanned: BTreeMap<_, _> = prefix.map(|e| e.unwrap()).collect();
                        assert_eq!(
                            &scanned, seen_w,
                            "{what}: snapshot prefix scan disagrees with the full scan"
                        );
                        floor[w] = i;
                    }
                    drop(snap);

                    // Take one every 8 rounds, check and drop it 4 rounds later (it keeps
                    // every version written meanwhile alive, so scans get slower while held).
                    if round % 8 == 1 {
                        let snap = db.snapshot().unwrap();
                        let first = by_writer(snap.iter().unwrap(), load.writers);
                        held = Some((snap, first));
                    } else if round % 8 == 5 {
                        if let Some((snap, first)) = held.take() {
                            let again = by_writer(snap.iter().unwrap(), load.writers);
                            assert!(
                                again == first,
                                "{what}: a snapshot's contents changed while it was held"
                            );
                        }
                    }

                    let (it, entries, created_floor) =
                        slow.get_or_insert_with(|| (db.iter().unwrap(), Vec::new(), floor.clone()));
                    let before = entries.len();
                    entries.extend(it.by_ref().take(5));
                    if entries.len() < before + 5 {
                        let seen = by_writer(entries.drain(..), load.writers);
                        for (w, seen_w) in seen.iter().enumerate() {
                            let what = format!("{what} slow iterator");
                            model.explain(w, seen_w, created_floor[w], &what);
                        }
                        slow = None;
                    }

                    // Plain reads: each is explained by a prefix at least as long as any seen.
                    for (w, floor_w) in floor.iter_mut().enumerate() {
                        for name in ["n", "a", "c"] {
                            let got = db.get(key(w, name)).unwrap();
                            let i = got.as_deref().map_or(0, version_of);
                            assert!(
                                i >= *floor_w,
                                "{what}: plain get of w{w}/{name} went back from batch \
                                 {floor_w} to {i}"
                            );
                            *floor_w = i;
                        }
                    }
                    let w = round as usize % load.writers;
                    let plain: BTreeMap<_, _> = db
                        .scan_prefix(key(w, ""))
                        .unwrap()
                        .map(|e| e.unwrap())
                        .collect();
                    floor[w] = model.explain(w, &plain, floor[w], &format!("{what} plain scan"));

                    if finished {
                        break;
                    }
                }
                reader_rounds.fetch_add(round as usize, Ordering::Relaxed);
            });
        }
    });

    // Final state, checks, statistics.
    let check_final = |db: &Db, when: &str| {
        let seen = by_writer(db.iter().unwrap(), load.writers);
        for (w, seen_w) in seen.iter().enumerate() {
            let i = model.explain(w, seen_w, load.batches, &format!("{kind}: {when}"));
            assert_eq!(i, load.batches);
            for k in universe(w) {
                assert_eq!(
                    db.get(&k).unwrap().as_ref(),
                    seen_w.get(&k),
                    "{kind}: {when}"
                );
            }
        }
        db.verify()
            .unwrap_or_else(|e| panic!("{kind}: {when}: verify: {e}"))
    };
    check_final(&db, "final state");
    let stats = db.stats();
    assert!(
        stats.flushes > 0 && stats.compactions > 0,
        "{kind}: expected flushes and compactions during the run: {stats}"
    );
    assert_eq!(stats.batches, load.writers as u64 * load.batches, "{kind}");
    db.close().unwrap();
    drop(db);
    let db = Db::open(dir.path(), options(kind).parallel_memtable_writes(parallel)).unwrap();
    check_final(&db, "after reopen");
    eprintln!(
        "{kind} (parallel inserts {parallel}): {} writers x {} batches, {} readers ({} rounds), \
         {} groups, {} parallel inserts, {} flushes, {} compactions ({} trivial), {} stalls, \
         {:.1?}",
        load.writers,
        load.batches,
        load.readers,
        reader_rounds.load(Ordering::Relaxed),
        stats.wal_groups,
        stats.parallel_inserts,
        stats.flushes,
        stats.compactions,
        stats.trivial_moves,
        stats.stalls,
        started.elapsed()
    );
}

macro_rules! per_kind {
    ($($name:ident => $kind:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run(MapKind::$kind, LIGHT, true);
            }
        )*
    };
}

per_kind! {
    readers_see_writer_prefixes_mutex => Mutex,
    readers_see_writer_prefixes_epoch => Epoch,
    readers_see_writer_prefixes_hazard => Hazard,
    readers_see_writer_prefixes_noreclaim => NoReclaim,
    readers_see_writer_prefixes_crossbeam => Crossbeam,
    readers_see_writer_prefixes_btree => BTree,
}

/// The leader-inserts path (`parallel_memtable_writes(false)`) stays covered.
#[test]
fn readers_see_writer_prefixes_leader_inserts() {
    for kind in [MapKind::Mutex, MapKind::Epoch] {
        run(kind, LIGHT, false);
    }
}

/// With a group-commit delay the leader waits before taking its group, so writers queue up
/// behind it: groups form, their followers insert their own batches, and the statistics say
/// so. (The prefix property under parallel inserts is what the tests above check.)
#[test]
fn followers_insert_their_own_batches() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(MapKind::Epoch).sync(ferrolite::SyncPolicy::GroupCommit {
        max_delay: std::time::Duration::from_millis(5),
    });
    let db = Db::open(dir.path(), opts).unwrap();
    std::thread::scope(|s| {
        for w in 0..4 {
            let db = &db;
            s.spawn(move || {
                for i in 0..40u64 {
                    db.put(key(w, "a"), value(w, i, "a")).unwrap();
                }
            });
        }
    });
    let stats = db.stats();
    assert_eq!(stats.batches, 160);
    assert!(stats.wal_groups < 160, "no group formed: {stats}");
    assert!(stats.parallel_inserts > 0, "no follower inserted: {stats}");
    assert_eq!(stats.batches, stats.wal_groups + stats.parallel_inserts);
    for w in 0..4 {
        assert_eq!(db.get(key(w, "a")).unwrap(), Some(value(w, 39, "a")));
    }
}

#[test]
#[ignore = "heavy: run in release with --ignored"]
fn heavy_all_kinds() {
    let batches = std::env::var("FERROLITE_HEAVY_BATCHES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    for kind in MapKind::ALL {
        run(
            kind,
            Workload {
                writers: 4,
                readers: 3,
                batches,
            },
            true,
        );
    }
}
