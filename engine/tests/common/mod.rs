//! Helpers of the recovery tests: option sets, file listings, damage, a model check, a loop
//! over every memtable kind and sync policy with the final reopen-and-check, and databases
//! left with WAL segments to replay.

#![allow(dead_code)] // each test file uses its own subset

use bytes::Bytes;
use ferrolite::fs::StdFs;
use ferrolite::inspect::{self, LogFile};
use ferrolite::{Db, MapKind, Options, SyncPolicy, WriteBatch};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The records of the log at `path`, as recovery reads them.
pub fn read_log(path: &Path) -> ferrolite::Result<LogFile> {
    inspect::read_log(&StdFs::shared(), path)
}

pub type Model = BTreeMap<Bytes, Bytes>;

pub const SYNCS: [SyncPolicy; 2] = [SyncPolicy::None, SyncPolicy::EveryWrite];

/// Run `scenario` once per memtable kind and sync policy of [`SYNCS`], with the pair's name
/// (`"epoch EveryWrite"`) for failure messages.
pub fn each_kind_and_sync(mut scenario: impl FnMut(MapKind, SyncPolicy, &str)) {
    for kind in MapKind::ALL {
        for sync in SYNCS {
            scenario(kind, sync, &format!("{kind} {sync:?}"));
        }
    }
}

/// Open the closed database in `dir` with `opts`: it must hold exactly `model` and pass
/// `verify`.
#[track_caller]
pub fn reopen_and_check(dir: &Path, opts: Options, model: &Model, what: &str) {
    let db = Db::open(dir, opts).unwrap();
    check(&db, model, what);
    db.verify().unwrap();
}

/// Small sizes: a few hundred writes fill a memtable; flushes and compactions are quick.
pub fn small(kind: MapKind, sync: SyncPolicy) -> Options {
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
pub fn roomy(kind: MapKind, sync: SyncPolicy) -> Options {
    small(kind, sync).memtable_size(8 << 20)
}

/// Files of `dir` whose names end with `suffix`, sorted by name (= by number).
pub fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
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

pub fn wals(dir: &Path) -> Vec<PathBuf> {
    files(dir, ".wal")
}

pub fn tables(dir: &Path) -> Vec<PathBuf> {
    files(dir, ".sst")
}

/// Copy a closed database directory (everything but `LOCK`).
pub fn copy_db(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "LOCK" {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// XOR one byte of `path` at `offset`.
pub fn flip(path: &Path, offset: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x5a;
    std::fs::write(path, bytes).unwrap();
}

pub fn k(i: usize) -> Bytes {
    Bytes::from(format!("key{i:06}"))
}

pub fn v(i: usize, round: usize) -> Bytes {
    Bytes::from(format!("value-{i}-{round}-{}", "x".repeat(i % 40)))
}

/// Check that the whole database holds exactly `model`, by a scan and by gets.
#[track_caller]
pub fn check(db: &Db, model: &Model, what: &str) {
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
pub fn write_some(db: &Db, model: &mut Model, range: std::ops::Range<usize>, round: usize) {
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

/// A closed database whose (single) WAL segment holds one record per key `0..n` (no flush,
/// no table). Returns the model and the segment's record offsets.
pub fn db_with_wal(dir: &Path, kind: MapKind, n: usize) -> (Model, Vec<u64>) {
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
    let contents = read_log(&segs[0]).unwrap();
    assert!(contents.torn_tail.is_none());
    let offsets: Vec<u64> = contents.records.iter().map(|r| r.offset).collect();
    assert_eq!(offsets.len(), n, "one record per write");
    (model, offsets)
}

/// The model holding only keys `0..n`.
pub fn first(model: &Model, n: usize) -> Model {
    model
        .iter()
        .take(n)
        .map(|(a, b)| (a.clone(), b.clone()))
        .collect()
}

/// The WAL segments of `dir` that hold at least one record, oldest first.
pub fn wals_with_records(dir: &Path) -> Vec<PathBuf> {
    wals(dir)
        .into_iter()
        .filter(|p| !read_log(p).unwrap().records.is_empty())
        .collect()
}

/// A closed database with at least two WAL segments that hold records (frozen memtables the
/// background had not flushed when the handle was dropped). Returns the model of every write.
pub fn db_with_two_segments(dir: &Path, kind: MapKind) -> Model {
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
