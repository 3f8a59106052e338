//! Recovery scenarios, for every memtable kind: reopening after a drop without flush (WAL
//! replay), after a flush, after a compaction and after many reopen cycles, under both
//! `SyncPolicy::None` and `SyncPolicy::EveryWrite`; a damaged table (found by `verify`, a `get`
//! is an error); WAL segments and obsolete tables (and the outputs of a failed compaction)
//! deleted once no longer needed; writers racing `close()`; and the typed errors of `Db::open`
//! and of a closed database. Damage to the WAL is in `wal_damage.rs`.
//!
//! The files of a database directory are `nnnnnn.wal` (WAL segments), `nnnnnn.sst` (tables),
//! `MANIFEST-nnnnnn`, `CURRENT` and `LOCK`. Damage is simulated by editing those files while the
//! database is closed.

mod common;

use common::*;
use ferrolite::{Db, Error, MapKind, Options, SyncPolicy, WriteBatch};
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Reopening.

#[test]
fn reopen_after_drop_without_flush_replays_the_wal() {
    each_kind_and_sync(|kind, sync, what| {
        let dir = tempfile::tempdir().unwrap();
        let mut model = Model::new();
        {
            let db = Db::open(dir.path(), roomy(kind, sync)).unwrap();
            write_some(&db, &mut model, 0..300, 0);
            check(&db, &model, what);
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
        let last = format!("{what}: second reopen");
        reopen_and_check(dir.path(), roomy(kind, sync), &model, &last);
    });
}

#[test]
fn reopen_after_flush() {
    each_kind_and_sync(|kind, sync, what| {
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
        let last = format!("{what}: reopened");
        reopen_and_check(dir.path(), roomy(kind, sync), &model, &last);
    });
}

#[test]
fn reopen_after_compaction() {
    each_kind_and_sync(|kind, sync, what| {
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
            check(&db, &model, what);
            write_some(&db, &mut model, 150..250, 2);
        }
        let last = format!("{what}: reopened");
        reopen_and_check(dir.path(), small(kind, sync), &model, &last);
    });
}

#[test]
fn many_reopen_cycles_with_writes_between() {
    each_kind_and_sync(|kind, sync, what| {
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
        let last = format!("{what}: last open");
        reopen_and_check(dir.path(), small(kind, sync), &model, &last);
    });
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
        reopen_and_check(dir.path(), opts(), &model, &format!("{what}: last open"));
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
        closed(db.scan(..).map(drop), "scan");
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
