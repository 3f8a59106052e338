//! The engine under I/O failures injected through its file port (`ferrolite::fault::FaultFs`):
//! a failing WAL write or sync fails the commit with an `Error::Io` naming the segment and
//! makes the database refuse writes until reopened (reads keep working); a failed flush
//! leaves no partial table and can be retried; a failed manifest write makes the database
//! read-only; failing to delete a flushed WAL segment is harmless; a failed compaction
//! deletes its outputs and keeps its inputs; a failed background flush is reported as
//! `Error::Background`. Every case reopens on the real file system and finds every
//! acknowledged write. (`ferrolite-verification`'s `faults_io` checker faults every operation
//! of a commit, a flush and a compaction; these are the named cases.)

mod common;

use ferrolite::fs::FileKind;
use ferrolite::{Db, Error, MapKind, Options, SyncPolicy};
use ferrolite_testfs::fault::{FaultFs, FaultRule, OpKind, ShortWrite};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

fn opts(fault: &FaultFs) -> Options {
    Options::default()
        .memtable(MapKind::Epoch)
        .sync(SyncPolicy::EveryWrite)
        .memtable_size(16 << 10)
        .block_size(1024)
        .num_levels(3)
        .auto_compaction(false)
        .event_stats(false)
        .file_system(Arc::new(fault.clone()))
}

fn key(i: usize) -> String {
    format!("k{i:05}")
}

fn fill(db: &Db, range: std::ops::Range<usize>) {
    for i in range {
        db.put(key(i), format!("value-{i}")).unwrap();
    }
}

fn check(db: &Db, range: std::ops::Range<usize>) {
    for i in range.clone() {
        assert_eq!(
            db.get(key(i)).unwrap().as_deref(),
            Some(format!("value-{i}").as_bytes()),
            "{}",
            key(i)
        );
    }
    assert_eq!(db.iter().unwrap().count(), range.len());
}

/// A fresh directory and a database in it over a fault-injecting file system, nothing armed.
fn open_faulty() -> (TempDir, FaultFs, Db) {
    let dir = tempfile::tempdir().unwrap();
    let fault = FaultFs::over_std();
    let db = Db::open(dir.path(), opts(&fault)).unwrap();
    (dir, fault, db)
}

/// How many tables `dir` holds.
fn tables(dir: &Path) -> usize {
    common::tables(dir).len()
}

fn listed(db: &Db) -> usize {
    db.stats().files_per_level.iter().sum()
}

fn reopen_std(dir: &Path) -> Db {
    Db::open(
        dir,
        Options::default()
            .memtable(MapKind::Epoch)
            .auto_compaction(false),
    )
    .unwrap()
}

fn io_path(r: ferrolite::Result<()>) -> std::path::PathBuf {
    match r {
        Err(Error::Io { path, .. }) => path,
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

#[test]
fn wal_write_or_sync_failure_fails_the_commit_and_makes_the_db_read_only() {
    for op in [OpKind::Write, OpKind::Sync] {
        let (dir, fault, db) = open_faulty();
        fill(&db, 0..10);
        let snap = db.snapshot().unwrap();
        fault.arm(FaultRule::eio().on(&[op]).class(&[FileKind::Wal]));
        let path = io_path(db.put(key(10), "lost?"));
        assert!(path.to_string_lossy().ends_with(".wal"), "{path:?}");
        // Not visible, and every later write is refused (a record after a torn one would be
        // corruption in the middle of the log at recovery).
        assert_eq!(db.get(key(10)).unwrap(), None);
        assert!(matches!(db.put(key(11), "x"), Err(Error::Background(_))));
        assert!(matches!(db.flush(), Err(Error::Background(_))));
        check(&db, 0..10);
        assert_eq!(snap.iter().unwrap().count(), 10);
        drop(snap);
        assert!(
            db.close().is_err(),
            "close syncs the abandoned WAL: an error"
        );
        drop(db);
        let db = reopen_std(dir.path());
        let found = db.get(key(10)).unwrap();
        // A failed write left nothing (one-shot EIO, no short write); a failed sync after a
        // complete write leaves the record in the file: whole, never partial.
        match op {
            OpKind::Write => assert_eq!(found, None),
            _ => assert_eq!(found.as_deref(), Some(&b"lost?"[..])),
        }
        assert_eq!(db.get(key(11)).unwrap(), None);
        for i in 0..10 {
            assert!(db.get(key(i)).unwrap().is_some());
        }
        db.put(key(12), "again").unwrap();
    }
}

#[test]
fn failed_flush_leaves_no_partial_table_and_can_be_retried() {
    for (op, nth) in [(OpKind::Write, 0), (OpKind::Sync, 0), (OpKind::Create, 0)] {
        let (dir, fault, db) = open_faulty();
        fill(&db, 0..50);
        db.flush().unwrap();
        fill(&db, 50..100);
        fault.arm(
            FaultRule::eio()
                .on(&[op])
                .class(&[FileKind::Table])
                .nth(nth),
        );
        let path = io_path(db.flush());
        assert!(path.to_string_lossy().ends_with(".sst"), "{op}: {path:?}");
        // Fix: the partial table used to stay until the next open.
        assert_eq!(tables(dir.path()), listed(&db), "{op}");
        check(&db, 0..100);
        // Still writable; the frozen memtable is flushed by the retry.
        db.put(key(100), "value-100").unwrap();
        db.flush().unwrap();
        assert_eq!(tables(dir.path()), listed(&db));
        check(&db, 0..101);
        drop(db);
        check(&reopen_std(dir.path()), 0..101);
    }
}

#[test]
fn failed_dir_sync_after_a_flush_deletes_the_table() {
    let (dir, fault, db) = open_faulty();
    fill(&db, 0..50);
    // A flush syncs the directory after creating the new WAL segment, then after the table.
    fault.arm(FaultRule::eio().on(&[OpKind::SyncDir]).nth(1));
    assert_eq!(io_path(db.flush()), dir.path());
    assert_eq!(tables(dir.path()), 0, "the unlisted table is deleted");
    check(&db, 0..50);
    db.flush().unwrap();
    assert_eq!(tables(dir.path()), 1);
    drop(db);
    check(&reopen_std(dir.path()), 0..50);
}

#[test]
fn manifest_failure_makes_the_db_read_only_and_reopen_recovers() {
    for op in [OpKind::Write, OpKind::Sync] {
        let (dir, fault, db) = open_faulty();
        fill(&db, 0..50);
        fault.arm(FaultRule::eio().on(&[op]).class(&[FileKind::Manifest]));
        let path = io_path(db.flush());
        assert!(path.to_string_lossy().contains("MANIFEST-"), "{path:?}");
        // The manifest's log is abandoned: no later edit could be recorded.
        assert!(matches!(db.put(key(50), "x"), Err(Error::Background(_))));
        check(&db, 0..50);
        drop(db);
        // Whether the edit reached the manifest or not, nothing is lost.
        let db = reopen_std(dir.path());
        check(&db, 0..50);
        db.verify().unwrap();
        assert_eq!(tables(dir.path()), listed(&db), "{op}");
    }
}

#[test]
fn failed_wal_segment_deletion_is_harmless() {
    let (dir, fault, db) = open_faulty();
    fill(&db, 0..50);
    fault.arm(
        FaultRule::eio()
            .on(&[OpKind::Remove])
            .class(&[FileKind::Wal]),
    );
    db.flush().unwrap();
    assert_eq!(fault.counts().injected, 1);
    let wals = |d: &Path| common::wals(d).len();
    assert_eq!(wals(dir.path()), 2, "the flushed segment stays for now");
    db.put(key(50), "value-50").unwrap();
    drop(db);
    let db = reopen_std(dir.path());
    check(&db, 0..51);
    assert_eq!(wals(dir.path()), 1, "deleted at open");
}

#[test]
fn failed_compaction_deletes_its_outputs_and_keeps_its_inputs() {
    let (dir, fault, db) = open_faulty();
    for round in 0..3 {
        fill(&db, round * 40..round * 40 + 60);
        db.flush().unwrap();
    }
    let before = tables(dir.path());
    assert_eq!(before, 3);
    // A full disk while the compaction writes its output.
    fault.arm(
        FaultRule::full_disk()
            .on(&[OpKind::Write])
            .class(&[FileKind::Table]),
    );
    let path = io_path(db.compact());
    assert!(path.to_string_lossy().ends_with(".sst"), "{path:?}");
    assert_eq!(tables(dir.path()), before);
    assert_eq!(listed(&db), before);
    check(&db, 0..140);
    fault.disarm();
    db.compact().unwrap();
    check(&db, 0..140);
    drop(db);
    check(&reopen_std(dir.path()), 0..140);
}

#[test]
fn failed_background_flush_is_reported_as_background_error() {
    let dir = tempfile::tempdir().unwrap();
    let fault = FaultFs::over_std();
    let db = Db::open(dir.path(), opts(&fault).auto_compaction(true)).unwrap();
    // One-shot, so the WAL keeps working and the worker's failure is what stops writes.
    fault.arm(
        FaultRule::eio()
            .on(&[OpKind::Create])
            .class(&[FileKind::Table]),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut acked = 0;
    let err = loop {
        match db.put(key(acked), format!("value-{acked}")) {
            Ok(()) => acked += 1,
            Err(e) => break e,
        }
        assert!(
            Instant::now() < deadline,
            "no error after {acked} writes on a full disk"
        );
        if acked % 100 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    assert!(matches!(err, Error::Background(_)), "{err:?}");
    assert!(err.to_string().contains(".sst"), "{err}");
    check(&db, 0..acked);
    drop(db);
    check(&reopen_std(dir.path()), 0..acked);
}

#[test]
fn concurrent_writers_of_a_failed_group_get_typed_errors_and_acked_writes_survive() {
    let dir = tempfile::tempdir().unwrap();
    let fault = FaultFs::over_std();
    let db = Arc::new(Db::open(dir.path(), opts(&fault).memtable_size(8 << 20)).unwrap());
    fill(&db, 0..10);
    // The 20th WAL write from now fails: some group in the middle of the run.
    fault.arm(
        FaultRule::full_disk()
            .on(&[OpKind::Write])
            .class(&[FileKind::Wal])
            .nth(20)
            .short_write(ShortWrite::Half),
    );
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                let mut errors = Vec::new();
                for i in 0..50 {
                    let k = 1000 + t * 100 + i;
                    match db.put(key(k), format!("value-{k}")) {
                        Ok(()) => acked.push(k),
                        Err(e) => errors.push(e),
                    }
                }
                (acked, errors)
            })
        })
        .collect();
    let mut acked = Vec::new();
    let mut io_errors = 0;
    for t in threads {
        let (a, errors) = t.join().unwrap();
        acked.extend(a);
        for e in errors {
            match e {
                Error::Io { path, .. } => {
                    assert!(path.to_string_lossy().ends_with(".wal"), "{path:?}");
                    io_errors += 1;
                }
                Error::Background(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert!(io_errors >= 1, "the failing group's writers get Error::Io");
    assert!(acked.len() < 200);
    for &k in &acked {
        assert!(db.get(key(k)).unwrap().is_some());
    }
    drop(db);
    let db = reopen_std(dir.path());
    for k in (0..10).chain(acked.iter().copied()) {
        assert_eq!(
            db.get(key(k)).unwrap().as_deref(),
            Some(format!("value-{k}").as_bytes()),
            "acknowledged {} lost",
            key(k)
        );
    }
}
