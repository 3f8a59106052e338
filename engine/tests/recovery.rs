//! Recovery scenarios, for every memtable kind: reopening after a drop without flush (WAL
//! replay), after a flush, after a compaction and after many reopen cycles, under both
//! `SyncPolicy::None` and `SyncPolicy::EveryWrite`; torn WAL tails (dropped, everything before
//! the cut kept) versus damage in the middle of the WAL (`Error::Corruption` naming file and
//! offset, nothing dropped silently); a damaged table (found by `verify`, a `get` is an error);
//! WAL segments and obsolete tables (and the outputs of a failed compaction) deleted once no
//! longer needed; writers racing `close()`; and the typed errors of `Db::open` and of a closed
//! database.
//!
//! The files of a database directory are `nnnnnn.wal` (WAL segments), `nnnnnn.sst` (tables),
//! `MANIFEST-nnnnnn`, `CURRENT` and `LOCK`. Damage is simulated by editing those files while the
//! database is closed; record offsets in WAL segments come from `ferrolite::wal::read_log`.

use bytes::Bytes;
use ferrolite::wal::{read_log, LOG_HEADER_LEN, RECORD_HEADER_LEN, WAL_MAGIC};
use ferrolite::{Db, Error, MapKind, Options, SyncPolicy, WriteBatch};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

type Model = BTreeMap<Bytes, Bytes>;

const SYNCS: [SyncPolicy; 2] = [SyncPolicy::None, SyncPolicy::EveryWrite];

/// Small sizes: a few hundred writes fill a memtable; flushes and compactions are quick.
fn small(kind: MapKind, sync: SyncPolicy) -> Options {
    Options::default()
        .memtable(kind)
        .sync(sync)
        .memtable_size(16 << 10)
        .target_file_size(32 << 10)
        .level1_size(64 << 10)
        .block_size(1024)
        .block_cache_bytes(1 << 20)
}

/// A memtable no test here fills: nothing is flushed unless the test asks.
fn roomy(kind: MapKind, sync: SyncPolicy) -> Options {
    small(kind, sync).memtable_size(8 << 20)
}

/// Files of `dir` whose names end with `suffix`, sorted by name (= by number).
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(suffix))
        })
        .collect();
    out.sort();
    out
}

fn wals(dir: &Path) -> Vec<PathBuf> {
    files(dir, ".wal")
}

fn tables(dir: &Path) -> Vec<PathBuf> {
    files(dir, ".sst")
}

/// Copy a closed database directory (everything but `LOCK`).
fn copy_db(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "LOCK" {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// XOR one byte of `path` at `offset`.
fn flip(path: &Path, offset: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x5a;
    std::fs::write(path, bytes).unwrap();
}

fn k(i: usize) -> Bytes {
    Bytes::from(format!("key{i:06}"))
}

fn v(i: usize, round: usize) -> Bytes {
    Bytes::from(format!("value-{i}-{round}-{}", "x".repeat(i % 40)))
}

/// Check that the whole database holds exactly `model`, by a scan and by gets.
#[track_caller]
fn check(db: &Db, model: &Model, what: &str) {
    let scanned: Model = db.iter().unwrap().map(|e| e.unwrap()).collect();
    if &scanned != model {
        let missing: Vec<_> = model.keys().filter(|k| !scanned.contains_key(*k)).collect();
        let extra: Vec<_> = scanned.keys().filter(|k| !model.contains_key(*k)).collect();
        let wrong: Vec<_> = model
            .iter()
            .filter(|(k, v)| scanned.get(*k).is_some_and(|s| s != *v))
            .map(|(k, _)| k)
            .collect();
        panic!(
            "{what}: scan differs from the model: {} missing (first {:?}), {} extra (first \
             {:?}), {} wrong (first {:?})",
            missing.len(),
            missing.first(),
            extra.len(),
            extra.first(),
            wrong.len(),
            wrong.first()
        );
    }
    for (key, value) in model.iter().step_by(7) {
        assert_eq!(
            db.get(key).unwrap().as_ref(),
            Some(value),
            "{what}: get {key:?}"
        );
    }
}

/// Put keys `range` (value round `round`) one write each, then delete every third of them and
/// write one batch; mirror everything in `model`.
fn write_some(db: &Db, model: &mut Model, range: std::ops::Range<usize>, round: usize) {
    for i in range.clone() {
        db.put(k(i), v(i, round)).unwrap();
        model.insert(k(i), v(i, round));
    }
    for i in range.clone().step_by(3) {
        db.delete(k(i)).unwrap();
        model.remove(&k(i));
    }
    let mut batch = WriteBatch::new();
    let (a, b) = (range.start, range.end - 1);
    batch.put(k(a), v(a, round + 1000)).delete(k(b));
    db.write(batch).unwrap();
    model.insert(k(a), v(a, round + 1000));
    model.remove(&k(b));
}

// ---------------------------------------------------------------------------------------------
// Reopening.

#[test]
fn reopen_after_drop_without_flush_replays_the_wal() {
    for kind in MapKind::ALL {
        for sync in SYNCS {
            let what = format!("{kind} {sync:?}");
            let dir = tempfile::tempdir().unwrap();
            let mut model = Model::new();
            {
                let db = Db::open(dir.path(), roomy(kind, sync)).unwrap();
                write_some(&db, &mut model, 0..300, 0);
                check(&db, &model, &what);
                assert_eq!(db.stats().flushes, 0, "{what}");
            } // dropped: no flush
            assert!(tables(dir.path()).is_empty(), "{what}: nothing was flushed");
            assert_eq!(wals(dir.path()).len(), 1, "{what}");
            {
                let db = Db::open(dir.path(), roomy(kind, sync)).unwrap();
                check(&db, &model, &format!("{what}: first reopen"));
                // The replayed writes went to a table; the replayed segment is gone.
                assert_eq!(tables(dir.path()).len(), 1, "{what}");
                assert_eq!(wals(dir.path()).len(), 1, "{what}");
                write_some(&db, &mut model, 200..400, 1);
            }
            let db = Db::open(dir.path(), roomy(kind, sync)).unwrap();
            check(&db, &model, &format!("{what}: second reopen"));
            db.verify().unwrap();
        }
    }
}

#[test]
fn reopen_after_flush() {
    for kind in MapKind::ALL {
        for sync in SYNCS {
            let what = format!("{kind} {sync:?}");
            let dir = tempfile::tempdir().unwrap();
            let mut model = Model::new();
            {
                let db = Db::open(dir.path(), roomy(kind, sync)).unwrap();
                write_some(&db, &mut model, 0..300, 0);
                db.flush().unwrap();
                assert!(db.stats().flushes >= 1, "{what}");
                // Overwrites and deletes after the flush stay in the WAL only.
                write_some(&db, &mut model, 100..200, 1);
                db.close().unwrap();
            }
            let db = Db::open(dir.path(), roomy(kind, sync)).unwrap();
            check(&db, &model, &format!("{what}: reopened"));
            db.verify().unwrap();
        }
    }
}

#[test]
fn reopen_after_compaction() {
    for kind in MapKind::ALL {
        for sync in SYNCS {
            let what = format!("{kind} {sync:?}");
            let dir = tempfile::tempdir().unwrap();
            let mut model = Model::new();
            {
                let db = Db::open(dir.path(), small(kind, sync)).unwrap();
                write_some(&db, &mut model, 0..400, 0);
                write_some(&db, &mut model, 0..200, 1);
                db.compact().unwrap();
                let stats = db.stats();
                assert!(stats.compactions >= 1, "{what}: {stats}");
                assert_eq!(
                    stats.files_per_level[..stats.files_per_level.len() - 1]
                        .iter()
                        .sum::<usize>(),
                    0,
                    "{what}: compact() leaves everything in the last level: {stats}"
                );
                check(&db, &model, &what);
                write_some(&db, &mut model, 150..250, 2);
            }
            let db = Db::open(dir.path(), small(kind, sync)).unwrap();
            check(&db, &model, &format!("{what}: reopened"));
            db.verify().unwrap();
        }
    }
}

#[test]
fn many_reopen_cycles_with_writes_between() {
    for kind in MapKind::ALL {
        for sync in SYNCS {
            let what = format!("{kind} {sync:?}");
            let dir = tempfile::tempdir().unwrap();
            let mut model = Model::new();
            let mut rng = rand::rngs::StdRng::seed_from_u64(kind as u64 * 31 + 7);
            let cycles = if sync == SyncPolicy::None { 8 } else { 5 };
            for cycle in 0..cycles {
                let db = Db::open(dir.path(), small(kind, sync)).unwrap();
                check(&db, &model, &format!("{what}: open {cycle}"));
                for _ in 0..120 {
                    let i = rng.random_range(0..500);
                    if rng.random_bool(0.2) {
                        db.delete(k(i)).unwrap();
                        model.remove(&k(i));
                    } else {
                        db.put(k(i), v(i, cycle)).unwrap();
                        model.insert(k(i), v(i, cycle));
                    }
                }
                check(&db, &model, &format!("{what}: cycle {cycle}"));
                match cycle % 4 {
                    0 => {} // dropped with the writes in the WAL only
                    1 => db.flush().unwrap(),
                    2 => db.compact().unwrap(),
                    _ => db.close().unwrap(),
                }
            }
            let db = Db::open(dir.path(), small(kind, sync)).unwrap();
            check(&db, &model, &format!("{what}: last open"));
            db.verify().unwrap();
        }
    }
}

/// The memtable kind is not part of the on-disk state: one directory reopened with each kind
/// in turn, unflushed writes replayed into whichever kind opens it.
#[test]
fn reopen_with_another_memtable_kind() {
    let dir = tempfile::tempdir().unwrap();
    let mut model = Model::new();
    for (round, kind) in MapKind::ALL.into_iter().chain(MapKind::ALL).enumerate() {
        let db = Db::open(dir.path(), small(kind, SyncPolicy::None)).unwrap();
        check(&db, &model, &format!("open {round} with {kind}"));
        assert_eq!(db.stats().memtable, kind.name());
        write_some(&db, &mut model, round * 40..round * 40 + 200, round);
        if round % 3 == 1 {
            db.flush().unwrap();
        }
    }
}

/// Many memtables written quickly and the handle dropped at once: several WAL segments (frozen
/// memtables the background had no time to flush) are replayed in order.
#[test]
fn reopen_after_drop_with_background_work_pending() {
    for kind in MapKind::ALL {
        let what = format!("{kind}");
        let dir = tempfile::tempdir().unwrap();
        let opts = || {
            small(kind, SyncPolicy::None)
                .memtable_size(4096)
                .max_immutable_memtables(6)
                .background_threads(1)
        };
        let mut model = Model::new();
        for round in 0..3 {
            let db = Db::open(dir.path(), opts()).unwrap();
            check(&db, &model, &format!("{what}: round {round}"));
            write_some(&db, &mut model, 0..400, round);
            write_some(&db, &mut model, 100..300, round + 10);
        }
        let db = Db::open(dir.path(), opts()).unwrap();
        check(&db, &model, &format!("{what}: last open"));
        db.verify().unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// WAL damage.

/// A closed database whose (single) WAL segment holds one record per key `0..n` (no flush,
/// no table). Returns the model and the segment's record offsets.
fn db_with_wal(dir: &Path, kind: MapKind, n: usize) -> (Model, Vec<u64>) {
    let mut model = Model::new();
    let db = Db::open(dir, roomy(kind, SyncPolicy::None)).unwrap();
    for i in 0..n {
        db.put(k(i), v(i, 0)).unwrap();
        model.insert(k(i), v(i, 0));
    }
    db.close().unwrap();
    drop(db);
    let segs = wals(dir);
    assert_eq!(segs.len(), 1);
    let contents = read_log(&segs[0], WAL_MAGIC).unwrap();
    assert!(contents.torn_tail.is_none());
    let offsets: Vec<u64> = contents.records.iter().map(|r| r.offset).collect();
    assert_eq!(offsets.len(), n, "one record per write");
    (model, offsets)
}

/// The model holding only keys `0..n`.
fn first(model: &Model, n: usize) -> Model {
    model
        .iter()
        .take(n)
        .map(|(a, b)| (a.clone(), b.clone()))
        .collect()
}

#[test]
fn torn_wal_tail_truncated_mid_record_keeps_every_earlier_write() {
    for kind in MapKind::ALL {
        let base = tempfile::tempdir().unwrap();
        let n = 40;
        let (model, offsets) = db_with_wal(base.path(), kind, n);
        // (record cut, bytes of it kept): inside the frame header, inside the payload, and one
        // byte short of complete; for the last record and one in the middle.
        for (rec, keep) in [
            (n - 1, 0),
            (n - 1, 5),
            (n - 1, RECORD_HEADER_LEN as u64 + 3),
            (n - 1, u64::MAX), // all but the last byte
            (n / 2, 7),
            (0, RECORD_HEADER_LEN as u64 + 1),
        ] {
            let what = format!("{kind}: cut in record {rec} after {keep} bytes");
            let dir = tempfile::tempdir().unwrap();
            copy_db(base.path(), dir.path());
            let seg = &wals(dir.path())[0];
            let end = offsets
                .get(rec + 1)
                .copied()
                .unwrap_or_else(|| std::fs::metadata(seg).unwrap().len());
            let cut = offsets[rec] + keep.min(end - offsets[rec] - 1);
            let file = std::fs::OpenOptions::new().write(true).open(seg).unwrap();
            file.set_len(cut).unwrap();
            drop(file);
            {
                let db = Db::open(dir.path(), roomy(kind, SyncPolicy::None))
                    .unwrap_or_else(|e| panic!("{what}: open: {e}"));
                check(&db, &first(&model, rec), &what);
                // The database goes on normally after the cut.
                db.put("after", "cut").unwrap();
            }
            let db = Db::open(dir.path(), roomy(kind, SyncPolicy::None)).unwrap();
            let mut want = first(&model, rec);
            want.insert(Bytes::from("after"), Bytes::from("cut"));
            check(&db, &want, &format!("{what}, reopened"));
        }
    }
}

#[test]
fn torn_wal_tail_appended_bytes() {
    // A real record's bytes to append partially: frame one with the public log writer.
    let scratch = tempfile::tempdir().unwrap();
    let frame = {
        let path = scratch.path().join("000001.wal");
        let mut w = ferrolite::wal::LogWriter::create(&path, WAL_MAGIC).unwrap();
        w.append(&[7u8; 100]).unwrap();
        w.flush().unwrap();
        std::fs::read(&path).unwrap()[LOG_HEADER_LEN..].to_vec()
    };
    let tails: Vec<(&str, Vec<u8>)> = vec![
        ("zero bytes (preallocated tail)", vec![0; 4096]),
        ("a partial frame header", frame[..7].to_vec()),
        ("a frame header only", frame[..RECORD_HEADER_LEN].to_vec()),
        (
            "a record cut in its payload",
            frame[..frame.len() - 30].to_vec(),
        ),
        ("a frame header whose payload reads as zeros", {
            // The header reached the disk, the payload's blocks did not (see `wal::record`,
            // rule 5; a partly zeroed payload is corruption).
            let mut f = frame.clone();
            f[RECORD_HEADER_LEN..].fill(0);
            f
        }),
        (
            "fewer bytes than a frame header",
            vec![0xab; RECORD_HEADER_LEN - 1],
        ),
    ];
    for kind in MapKind::ALL {
        let base = tempfile::tempdir().unwrap();
        let (model, _) = db_with_wal(base.path(), kind, 30);
        for (name, tail) in &tails {
            let what = format!("{kind}: WAL ending in {name}");
            let dir = tempfile::tempdir().unwrap();
            copy_db(base.path(), dir.path());
            let seg = &wals(dir.path())[0];
            let mut bytes = std::fs::read(seg).unwrap();
            bytes.extend_from_slice(tail);
            std::fs::write(seg, bytes).unwrap();
            let db = Db::open(dir.path(), roomy(kind, SyncPolicy::None))
                .unwrap_or_else(|e| panic!("{what}: open: {e}"));
            check(&db, &model, &what);
        }
    }
}

/// Bytes appended to a segment that are neither zeros nor a prefix of a record are not what a
/// crash leaves: the log format reports them (see `wal::record`), rather than guessing.
#[test]
fn wal_ending_in_garbage_is_corruption_not_silence() {
    for kind in MapKind::ALL {
        let dir = tempfile::tempdir().unwrap();
        db_with_wal(dir.path(), kind, 10);
        let seg = wals(dir.path())[0].clone();
        let len = std::fs::metadata(&seg).unwrap().len();
        let mut bytes = std::fs::read(&seg).unwrap();
        bytes.extend((0..64u8).map(|b| b.wrapping_mul(37).wrapping_add(1)));
        std::fs::write(&seg, bytes).unwrap();
        match Db::open(dir.path(), roomy(kind, SyncPolicy::None)) {
            Err(Error::Corruption { path, offset, .. }) => {
                assert_eq!((path, offset), (seg.clone(), len), "{kind}");
            }
            other => panic!("{kind}: expected corruption, got {other:?}"),
        }
    }
}

/// A complete last record that fails its checksum was damaged after it was written (a crash
/// leaves a record short or zero-filled at its end, see `wal::record`): it may have been
/// acknowledged, so it is reported, not dropped as a torn tail.
#[test]
fn damaged_complete_last_record_is_corruption_not_a_torn_tail() {
    for kind in MapKind::ALL {
        let base = tempfile::tempdir().unwrap();
        let n = 12;
        let (_, offsets) = db_with_wal(base.path(), kind, n);
        let last = offsets[n - 1];
        let len = std::fs::metadata(&wals(base.path())[0]).unwrap().len();
        for at in [
            last,
            last + 4,
            last + 11,
            last + RECORD_HEADER_LEN as u64,
            len - 1,
        ] {
            let dir = tempfile::tempdir().unwrap();
            copy_db(base.path(), dir.path());
            let seg = wals(dir.path())[0].clone();
            flip(&seg, at);
            match Db::open(dir.path(), roomy(kind, SyncPolicy::None)) {
                Err(Error::Corruption { path, offset, .. }) => {
                    assert_eq!((&path, offset), (&seg, last), "{kind}: byte {at}");
                }
                other => panic!("{kind}: byte {at} of the last record: {other:?}"),
            }
        }
    }
}

#[test]
fn damage_in_the_middle_of_a_wal_segment_is_corruption() {
    for kind in MapKind::ALL {
        let base = tempfile::tempdir().unwrap();
        let n = 30;
        let (_, offsets) = db_with_wal(base.path(), kind, n);
        // (record, byte within the record): payload, length field, payload checksum, header
        // checksum; early records with later ones after them.
        for (rec, at) in [
            (2, RECORD_HEADER_LEN as u64 + 4),
            (3, 0),
            (5, 5),
            (n - 2, 10),
            (n - 2, RECORD_HEADER_LEN as u64),
        ] {
            let what = format!("{kind}: byte {at} of record {rec} damaged");
            let dir = tempfile::tempdir().unwrap();
            copy_db(base.path(), dir.path());
            let seg = wals(dir.path())[0].clone();
            let before = std::fs::read(&seg).unwrap();
            flip(&seg, offsets[rec] + at);
            for attempt in 0..2 {
                match Db::open(dir.path(), roomy(kind, SyncPolicy::None)) {
                    Err(Error::Corruption { path, offset, .. }) => {
                        assert_eq!(path, seg, "{what}: error names the segment");
                        assert_eq!(offset, offsets[rec], "{what}: error names the record");
                    }
                    other => panic!("{what}: open {attempt}: expected corruption, got {other:?}"),
                }
                // Nothing was deleted or rewritten by the failed open.
                assert!(seg.exists(), "{what}");
                assert_eq!(std::fs::read(&seg).unwrap().len(), before.len(), "{what}");
                assert!(tables(dir.path()).is_empty(), "{what}");
            }
        }
    }
}

/// The WAL segments of `dir` that hold at least one record, oldest first.
fn wals_with_records(dir: &Path) -> Vec<PathBuf> {
    wals(dir)
        .into_iter()
        .filter(|p| !read_log(p, WAL_MAGIC).unwrap().records.is_empty())
        .collect()
}

/// A closed database with at least two WAL segments that hold records (frozen memtables the
/// background had not flushed when the handle was dropped). Returns the model of every write.
fn db_with_two_segments(dir: &Path, kind: MapKind) -> Model {
    let opts = small(kind, SyncPolicy::None)
        .memtable_size(4096)
        .max_immutable_memtables(64)
        .l0_compaction_trigger(1000)
        .l0_slowdown_trigger(1000)
        .l0_stop_trigger(1000)
        .background_threads(1);
    let mut model = Model::new();
    let mut i = 0;
    for _attempt in 0..50 {
        let db = Db::open(dir, opts.clone()).unwrap();
        for _ in 0..400 {
            db.put(k(i), v(i, 0)).unwrap();
            model.insert(k(i), v(i, 0));
            i += 1;
        }
        drop(db);
        if wals_with_records(dir).len() >= 2 {
            return model;
        }
    }
    panic!("{kind}: could not leave two WAL segments with records behind");
}

/// A torn tail is only a torn tail at the end of the log. The last record of an *older*
/// segment was acknowledged before every write in the newer segments; losing it while keeping
/// them would give a state that no prefix of the writes explains.
#[test]
fn torn_tail_in_an_older_segment_is_corruption() {
    for kind in MapKind::ALL {
        let dir = tempfile::tempdir().unwrap();
        db_with_two_segments(dir.path(), kind);
        let segs = wals_with_records(dir.path());
        let older = &segs[0];
        let last = read_log(older, WAL_MAGIC)
            .unwrap()
            .records
            .last()
            .unwrap()
            .offset;
        let file = std::fs::OpenOptions::new().write(true).open(older).unwrap();
        file.set_len(last + 5).unwrap();
        drop(file);
        match Db::open(dir.path(), small(kind, SyncPolicy::None)) {
            Err(Error::Corruption { path, offset, .. }) => {
                assert_eq!((&path, offset), (older, last), "{kind}");
            }
            Ok(db) => {
                let keys: Vec<_> = db.iter().unwrap().map(|e| e.unwrap().0).collect();
                let lost = (0..keys.len() + 1).find(|&i| keys.get(i) != Some(&k(i)));
                panic!(
                    "{kind}: opened with a hole in the log: {} keys, the first missing is {:?} \
                     but later keys are present: {}",
                    keys.len(),
                    lost.map(k),
                    keys.last().is_some_and(|l| Some(l) != lost.map(k).as_ref())
                );
            }
            Err(e) => panic!("{kind}: expected corruption, got {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Table damage.

#[test]
fn damaged_table_block_fails_verify_and_get() {
    for kind in MapKind::ALL {
        let dir = tempfile::tempdir().unwrap();
        let opts = || roomy(kind, SyncPolicy::None).auto_compaction(false);
        let mut model = Model::new();
        {
            let db = Db::open(dir.path(), opts()).unwrap();
            for i in 0..300 {
                db.put(k(i), v(i, 0)).unwrap();
                model.insert(k(i), v(i, 0));
            }
            db.flush().unwrap();
        }
        let ssts = tables(dir.path());
        assert_eq!(ssts.len(), 1, "{kind}");
        let sst = ssts[0].clone();
        // Damage in the footer (or the index it points to) is found when the table is opened.
        let len = std::fs::metadata(&sst).unwrap().len();
        for at in [len - 20, len - 70] {
            flip(&sst, at);
            match Db::open(dir.path(), opts()) {
                Err(Error::Corruption { path, .. }) | Err(Error::Incompatible { path, .. }) => {
                    assert_eq!(path, sst, "{kind}: byte {at} of {len}")
                }
                other => {
                    panic!("{kind}: open with byte {at} of {len} of a table damaged: {other:?}")
                }
            }
            flip(&sst, at); // undo
        }
        flip(&sst, 20); // inside the first data block, which holds the smallest keys
        let db = Db::open(dir.path(), opts()).unwrap();
        match db.verify() {
            Err(Error::Corruption { path, offset, .. }) => {
                assert_eq!((&path, offset), (&sst, 0), "{kind}: the first block")
            }
            other => panic!("{kind}: verify of a damaged table: {other:?}"),
        }
        for _ in 0..2 {
            // twice: a failed read must not have cached anything
            match db.get(k(0)) {
                Err(Error::Corruption { path, .. }) => assert_eq!(path, sst, "{kind}"),
                other => panic!("{kind}: get from a damaged block: {other:?}"),
            }
        }
        // Keys in undamaged blocks still read correctly.
        assert_eq!(
            db.get(k(299)).unwrap().as_ref(),
            model.get(&k(299)),
            "{kind}"
        );
        // A scan reports the damage instead of skipping the block.
        let scan: Vec<_> = db.iter().unwrap().collect();
        assert!(
            scan.iter()
                .any(|e| matches!(e, Err(Error::Corruption { .. }))),
            "{kind}: a scan over the damaged block must report it"
        );
        for (key, value) in scan.iter().filter_map(|e| e.as_ref().ok()) {
            assert_eq!(
                model.get(key),
                Some(value),
                "{kind}: scan returned a wrong value"
            );
        }
        // Compacting the damaged table fails with an error, it does not write bad data.
        db.put("fresh", "x").unwrap();
        assert!(
            db.compact().is_err(),
            "{kind}: compaction over a damaged table"
        );
        assert!(
            matches!(db.get(k(0)), Err(Error::Corruption { .. })),
            "{kind}"
        );
        assert_eq!(
            db.get(k(150)).unwrap().as_ref(),
            model.get(&k(150)),
            "{kind}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Space: WAL segments and obsolete tables.

/// Wait (up to 10 s) until `cond` holds.
fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

#[test]
fn wal_segments_are_deleted_after_flushes() {
    for kind in MapKind::ALL {
        let dir = tempfile::tempdir().unwrap();
        let max_imm = 2;
        let opts = || small(kind, SyncPolicy::None).max_immutable_memtables(max_imm);
        let mut model = Model::new();
        let mut most = 0;
        for round in 0..2 {
            let db = Db::open(dir.path(), opts()).unwrap();
            assert_eq!(wals(dir.path()).len(), 1, "{kind}: after open {round}");
            // About 20 memtables' worth; sample the number of segments along the way.
            for chunk in 0..20 {
                write_some(&db, &mut model, chunk * 50..chunk * 50 + 100, round);
                most = most.max(wals(dir.path()).len());
            }
            assert!(db.stats().flushes >= 10, "{kind}: {}", db.stats());
            db.flush().unwrap();
            // `flush()` returns once every frozen memtable is in the manifest; a background
            // flush that finished meanwhile may still be deleting its segment.
            assert!(
                eventually(|| wals(dir.path()).len() == 1),
                "{kind}: {} WAL segments after flush, round {round}",
                wals(dir.path()).len()
            );
            check(&db, &model, &format!("{kind} round {round}"));
        }
        // Live segments: the active memtable's and one per frozen memtable (at most
        // `max_imm`); plus one whose flush has been installed but not yet cleaned up.
        assert!(most <= max_imm + 2, "{kind}: {most} WAL segments at once");
        let db = Db::open(dir.path(), opts()).unwrap();
        assert_eq!(wals(dir.path()).len(), 1, "{kind}: after the last open");
        check(&db, &model, &format!("{kind}: last open"));
    }
}

fn sst_count_matches_levels(db: &Db) -> bool {
    tables(db.path()).len() == db.stats().files_per_level.iter().sum::<usize>()
}

#[test]
fn obsolete_tables_are_deleted_after_compaction() {
    for kind in MapKind::ALL {
        let dir = tempfile::tempdir().unwrap();
        let mut model = Model::new();
        {
            // Background compactions: once they settle, every file is a live table.
            let db = Db::open(dir.path(), small(kind, SyncPolicy::None)).unwrap();
            for round in 0..4 {
                write_some(&db, &mut model, 0..600, round);
            }
            assert!(db.stats().compactions > 0, "{kind}: {}", db.stats());
            db.compact().unwrap();
            assert!(
                eventually(|| sst_count_matches_levels(&db)),
                "{kind}: {} .sst files, levels {:?}",
                tables(dir.path()).len(),
                db.stats().files_per_level
            );
            check(&db, &model, &format!("{kind}"));
        }
        // Without background work: an iterator alive across a compaction keeps the input
        // tables (and reads them); they go when it is dropped. A snapshot does not pin files.
        let opts = || small(kind, SyncPolicy::None).auto_compaction(false);
        let db = Db::open(dir.path(), opts()).unwrap();
        assert!(sst_count_matches_levels(&db), "{kind}: after reopen");
        let before = model.clone();
        let it = db.iter().unwrap();
        let snap = db.snapshot().unwrap();
        write_some(&db, &mut model, 0..600, 9);
        db.compact().unwrap();
        assert!(
            tables(dir.path()).len() > db.stats().files_per_level.iter().sum::<usize>(),
            "{kind}: the iterator's tables are gone while it is alive"
        );
        let seen: Model = it.map(|e| e.unwrap()).collect();
        assert_eq!(seen, before, "{kind}: iterator across a compaction");
        drop(snap);
        assert!(
            sst_count_matches_levels(&db),
            "{kind}: after dropping the iterator"
        );
        check(&db, &model, &format!("{kind}: after compaction"));
        drop(db);
        let db = Db::open(dir.path(), opts()).unwrap();
        assert!(sst_count_matches_levels(&db), "{kind}: last reopen");
        check(&db, &model, &format!("{kind}: last reopen"));
    }
}

// ---------------------------------------------------------------------------------------------
// Typed errors of open and of a closed database.

#[test]
fn open_errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    for bad in [
        Options::default().memtable_size(100),
        Options::default().block_size(1),
        Options::default().max_immutable_memtables(0),
        Options::default().l0_compaction_trigger(0),
        Options::default()
            .l0_compaction_trigger(9)
            .l0_slowdown_trigger(8),
        Options::default().num_levels(1),
        Options::default().level_size_multiplier(1),
        Options::default().background_threads(0),
        Options::default().bloom_bits_per_key(65),
        Options::default().sync(SyncPolicy::GroupCommit {
            max_delay: Duration::from_secs(5),
        }),
    ] {
        match Db::open(&path, bad.clone()) {
            Err(Error::InvalidOptions(_)) => {}
            other => panic!("{bad:?}: expected InvalidOptions, got {other:?}"),
        }
    }
    assert!(!path.exists(), "invalid options create nothing");

    let no_create = || Options::default().create_if_missing(false);
    assert!(matches!(
        Db::open(&path, no_create()),
        Err(Error::NotFound(_))
    ));
    std::fs::create_dir(&path).unwrap();
    assert!(matches!(
        Db::open(&path, no_create()),
        Err(Error::NotFound(_))
    ));

    let db = Db::open(&path, Options::default().error_if_exists(true)).unwrap();
    db.put("k", "v").unwrap();
    assert!(matches!(
        Db::open(&path, Options::default()),
        Err(Error::Locked(_))
    ));
    assert!(matches!(
        Db::open(&path, no_create()),
        Err(Error::Locked(_))
    ));
    drop(db);
    assert!(matches!(
        Db::open(&path, Options::default().error_if_exists(true)),
        Err(Error::AlreadyExists(_))
    ));
    let db = Db::open(&path, no_create()).unwrap();
    assert_eq!(db.get("k").unwrap().as_deref(), Some(&b"v"[..]));
    db.compact().unwrap(); // tables at the last of 7 levels
    drop(db);
    assert!(matches!(
        Db::open(&path, Options::default().num_levels(3)),
        Err(Error::InvalidOptions(_))
    ));
}

/// Without `CURRENT` a directory holding tables or WAL segments is not a new database:
/// opening it as one would delete the tables as orphans.
#[test]
fn lost_current_is_corruption_not_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), Options::default()).unwrap();
        db.put("k", "v").unwrap();
        db.flush().unwrap();
    }
    let current = dir.path().join("CURRENT");
    let saved = std::fs::read(&current).unwrap();
    std::fs::remove_file(&current).unwrap();
    let before = tables(dir.path());
    assert!(!before.is_empty());
    match Db::open(dir.path(), Options::default()) {
        Err(Error::Corruption { path, .. }) => assert_eq!(path, current),
        other => panic!("expected corruption naming CURRENT, got {other:?}"),
    }
    assert_eq!(
        tables(dir.path()),
        before,
        "the refused open deleted tables"
    );
    std::fs::write(&current, saved).unwrap();
    let db = Db::open(dir.path(), Options::default()).unwrap();
    assert_eq!(db.get("k").unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
fn operations_after_close_are_closed_errors() {
    for kind in MapKind::ALL {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), Options::default().memtable(kind)).unwrap();
        db.put("k", "v").unwrap();
        let snap = db.snapshot().unwrap();
        db.close().unwrap();
        db.close().unwrap(); // idempotent
        let closed = |r: ferrolite::Result<()>, op: &str| {
            assert!(
                matches!(r, Err(Error::Closed)),
                "{kind}: {op} after close: {r:?}"
            )
        };
        closed(db.put("k", "v"), "put");
        closed(db.delete("k"), "delete");
        let mut batch = WriteBatch::new();
        batch.put("a", "b");
        closed(db.write(batch), "write");
        closed(db.get("k").map(drop), "get");
        closed(db.scan::<&str>(..).map(drop), "scan");
        closed(db.iter().map(drop), "iter");
        closed(db.scan_prefix("k").map(drop), "scan_prefix");
        closed(db.snapshot().map(drop), "snapshot");
        closed(snap.get("k").map(drop), "snapshot get");
        closed(snap.iter().map(drop), "snapshot iter");
        closed(db.flush(), "flush");
        closed(db.compact(), "compact");
        closed(db.verify().map(drop), "verify");
        drop(snap);
        drop(db);
        let db = Db::open(dir.path(), Options::default().memtable(kind)).unwrap();
        assert_eq!(db.get("k").unwrap().as_deref(), Some(&b"v"[..]), "{kind}");
    }
}

/// `close()` stops the database; the directory can then be opened again without waiting for
/// the handle to be dropped.
#[test]
fn reopen_after_close_without_drop() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), Options::default()).unwrap();
    db.put("k", "v").unwrap();
    db.close().unwrap();
    let again = Db::open(dir.path(), Options::default())
        .unwrap_or_else(|e| panic!("open after close, handle still alive: {e}"));
    assert_eq!(again.get("k").unwrap().as_deref(), Some(&b"v"[..]));
    drop(db);
}

/// Writers racing `close()`: every write acknowledged before the close is there after reopening,
/// none refused is, and a refused write is refused as `Closed` — also when it was a follower in
/// a commit group whose leader found the database closed.
#[test]
fn close_racing_writers_keeps_every_acknowledged_write() {
    let group = SyncPolicy::GroupCommit {
        max_delay: Duration::from_micros(200),
    };
    for kind in MapKind::ALL {
        for sync in [SyncPolicy::None, SyncPolicy::EveryWrite, group] {
            let what = format!("{kind} {sync:?}");
            let dir = tempfile::tempdir().unwrap();
            let db = Db::open(dir.path(), small(kind, sync)).unwrap();
            let writers = 4;
            let acked: Vec<(usize, Option<String>)> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..writers)
                    .map(|w| {
                        let db = &db;
                        s.spawn(move || {
                            let mut i = 0;
                            loop {
                                let key = format!("w{w}/{i:06}");
                                match db.put(key, v(i, w)) {
                                    Ok(()) => i += 1,
                                    Err(Error::Closed) => return (i, None),
                                    Err(e) => return (i, Some(e.to_string())),
                                }
                            }
                        })
                    })
                    .collect();
                std::thread::sleep(Duration::from_millis(30));
                db.close().unwrap();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            drop(db);
            let db = Db::open(dir.path(), small(kind, sync)).unwrap();
            for (w, (n, _)) in acked.iter().enumerate() {
                let present = db.scan_prefix(format!("w{w}/")).unwrap().count();
                assert_eq!(
                    present, *n,
                    "{what}: writer {w} had {n} writes acknowledged"
                );
            }
            let mistyped: Vec<_> = acked.iter().filter_map(|(_, e)| e.clone()).collect();
            assert!(
                mistyped.is_empty(),
                "{what}: writes refused because of close() returned {mistyped:?}, not Closed"
            );
        }
    }
}

/// A compaction that fails part-way (a damaged block in the middle of an input) leaves no
/// half-written output table behind.
#[test]
fn failed_compaction_leaves_no_partial_tables() {
    for kind in MapKind::ALL {
        let dir = tempfile::tempdir().unwrap();
        let opts = || roomy(kind, SyncPolicy::None).auto_compaction(false);
        {
            let db = Db::open(dir.path(), opts()).unwrap();
            for i in 0..600 {
                db.put(k(i), v(i, 0)).unwrap();
            }
            db.flush().unwrap();
        }
        let sst = tables(dir.path())[0].clone();
        let len = std::fs::metadata(&sst).unwrap().len();
        flip(&sst, len / 2); // a data block in the middle
        let db = Db::open(dir.path(), opts()).unwrap();
        assert!(
            matches!(db.verify(), Err(Error::Corruption { .. })),
            "{kind}"
        );
        db.put("fresh", "x").unwrap();
        assert!(
            db.compact().is_err(),
            "{kind}: compaction over a damaged table"
        );
        assert!(
            sst_count_matches_levels(&db),
            "{kind}: {} .sst files but the levels hold {:?}",
            tables(dir.path()).len(),
            db.stats().files_per_level
        );
    }
}

/// A lost WAL segment that is not the newest leaves a hole in the sequence numbers: the open
/// must refuse (`Corruption` at the first record after the hole) rather than silently drop the
/// acknowledged writes it held. (A lost *newest* segment cannot be told from a database that
/// stopped earlier; nothing names the segments to come.)
#[test]
fn a_lost_older_wal_segment_is_corruption() {
    for kind in MapKind::ALL {
        let dir = tempfile::tempdir().unwrap();
        db_with_two_segments(dir.path(), kind);
        let segs = wals_with_records(dir.path());
        // Any segment but the newest with records: its loss makes a hole before the next one.
        for lost in 0..segs.len() - 1 {
            let copy = tempfile::tempdir().unwrap();
            copy_db(dir.path(), copy.path());
            let gone = copy.path().join(segs[lost].file_name().unwrap());
            std::fs::remove_file(&gone).unwrap();
            let next = copy.path().join(segs[lost + 1].file_name().unwrap());
            let first = read_log(&next, WAL_MAGIC).unwrap().records[0].offset;
            match Db::open(copy.path(), small(kind, SyncPolicy::None)) {
                Err(Error::Corruption {
                    path,
                    offset,
                    reason,
                }) => {
                    assert_eq!((&path, offset), (&next, first), "{kind}: {reason}");
                    assert!(reason.contains("missing"), "{kind}: {reason}");
                }
                Ok(_) => panic!(
                    "{kind}: opened although segment {} was lost",
                    gone.display()
                ),
                Err(e) => panic!("{kind}: expected corruption, got {e}"),
            }
        }
    }
}
