//! The stage ladder: every preset works on its own, reads what every other preset wrote, and
//! each stage's switches do what they say (JSON on disk, one WAL write per writer without
//! group commit, S3's background flush without compaction, the single-run compaction style, gets
//! answered by S5's index).

use ferrolite::{CompactionStyle, Db, MapKind, Options, Stage};
use std::collections::BTreeMap;
use std::path::Path;

/// `stage`'s preset with small sizes, so that a few thousand writes flush and compact.
fn small(stage: Stage) -> Options {
    Options::stage(stage)
        .memtable_size(16 << 10)
        .target_file_size(16 << 10)
        .level1_size(32 << 10)
        .block_size(512)
}

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Write `n` keys starting at `round` (overwrites and deletes included), mirrored in `model`.
fn write_round(db: &Db, model: &mut Model, round: u32, n: u32) {
    for i in 0..n {
        let k = format!("k{:05}", (i * 7 + round * 13) % 1500);
        let v = format!("r{round}-v{i}-{}", "x".repeat((i % 40) as usize));
        if i % 9 == 4 {
            db.delete(k.clone()).unwrap();
            model.remove(k.as_bytes());
        } else {
            db.put(k.clone(), v.clone()).unwrap();
            model.insert(k.into_bytes(), v.into_bytes());
        }
    }
}

fn check(db: &Db, model: &Model, what: &str) {
    for i in (0..1500).step_by(7) {
        let k = format!("k{i:05}");
        assert_eq!(
            db.get(&k).unwrap().as_deref(),
            model.get(k.as_bytes()).map(Vec::as_slice),
            "{what}: get {k}"
        );
    }
    let scanned: Vec<(Vec<u8>, Vec<u8>)> = db
        .iter()
        .unwrap()
        .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<(Vec<u8>, Vec<u8>)> =
        model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert!(scanned == expected, "{what}: scan differs from the model");
    db.verify().unwrap();
}

#[test]
fn every_preset_works_for_the_mutex_and_epoch_memtables() {
    for stage in Stage::ALL {
        for kind in [MapKind::Mutex, MapKind::Epoch] {
            let what = format!("{stage} {kind}");
            let dir = tempfile::tempdir().unwrap();
            let mut model = Model::new();
            let opts = small(stage).memtable(kind);
            {
                let db = Db::open(dir.path(), opts.clone()).unwrap();
                write_round(&db, &mut model, 0, 2500);
                let snap = db.snapshot().unwrap();
                let before = snap.get("k00007").unwrap();
                write_round(&db, &mut model, 1, 1200);
                assert_eq!(snap.get("k00007").unwrap(), before, "{what}: snapshot");
                drop(snap);
                check(&db, &model, &what);
                db.compact().unwrap();
                check(&db, &model, &format!("{what} after compact"));
                write_round(&db, &mut model, 2, 300); // left in the WAL
                db.close().unwrap();
            }
            let db = Db::open(dir.path(), opts).unwrap();
            check(&db, &model, &format!("{what} after reopen"));
        }
    }
}

/// Every preset opens what every other one wrote — tables flushed, compacted and still in
/// the WAL — and the database stays whole when the older preset opens it again.
#[test]
fn every_preset_reopens_every_other_presets_database() {
    for first in Stage::ALL {
        for second in Stage::ALL {
            let what = format!("{first} then {second}");
            let dir = tempfile::tempdir().unwrap();
            let mut model = Model::new();
            {
                let db = Db::open(dir.path(), small(first)).unwrap();
                write_round(&db, &mut model, 0, 1500);
                db.flush().unwrap();
                write_round(&db, &mut model, 1, 200);
            }
            {
                let db = Db::open(dir.path(), small(second)).unwrap();
                check(&db, &model, &what);
                write_round(&db, &mut model, 2, 1200);
                db.compact().unwrap();
                write_round(&db, &mut model, 3, 100);
            }
            let db = Db::open(dir.path(), small(first)).unwrap();
            check(&db, &model, &format!("{what} then {first}"));
        }
    }
}

fn files_with(dir: &Path, ext: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == ext) {
            out.push(std::fs::read(path).unwrap());
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// S0–S3 write JSON into WAL records and table blocks; S4 writes neither.
#[test]
fn json_stages_write_json_tables_and_records() {
    for stage in Stage::ALL {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), small(stage)).unwrap();
        for i in 0..200 {
            db.put(format!("key{i}"), "value").unwrap();
        }
        db.sync_wal().unwrap();
        let wal = files_with(dir.path(), "wal");
        db.flush().unwrap();
        let tables = files_with(dir.path(), "sst");
        assert!(!tables.is_empty() && !wal.is_empty(), "{stage}");
        let json = stage < Stage::S4;
        let json_table = tables.iter().any(|t| contains(t, br#""kind":"put""#));
        let json_wal = wal.iter().any(|w| contains(w, br#""op":"put""#));
        assert_eq!(json_table, json, "{stage}: JSON table blocks");
        assert_eq!(json_wal, json, "{stage}: JSON WAL records");
    }
}

/// Without group commit every batch is its own WAL write; with it, concurrent writers share.
#[test]
fn group_commit_switch_changes_the_number_of_wal_writes() {
    for (group_commit, stage) in [(false, Stage::S1), (true, Stage::S2)] {
        let dir = tempfile::tempdir().unwrap();
        let opts = small(stage).group_commit(group_commit);
        let db = Db::open(dir.path(), opts).unwrap();
        std::thread::scope(|s| {
            for t in 0..4 {
                let db = &db;
                s.spawn(move || {
                    for i in 0..2000 {
                        db.put(format!("t{t}-{i}"), "v").unwrap();
                    }
                });
            }
        });
        let stats = db.stats();
        assert_eq!(stats.batches, 8000);
        if group_commit {
            assert!(stats.wal_groups <= stats.batches);
        } else {
            assert_eq!(stats.wal_groups, stats.batches, "one WAL write per batch");
        }
    }
}

/// S3 flushes in the background and never compacts: L0 only grows (and writers are not
/// stopped by its table count).
#[test]
fn background_flush_without_compaction_only_grows_l0() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), small(Stage::S3)).unwrap();
    let mut model = Model::new();
    for round in 0..4 {
        write_round(&db, &mut model, round, 2000);
    }
    db.flush().unwrap();
    let stats = db.stats();
    assert!(stats.flushes > 3, "{stats}");
    assert_eq!(stats.compactions, 0, "{stats}");
    assert_eq!(stats.files_per_level[0] as u64, stats.flushes, "{stats}");
    check(&db, &model, "S3");
}

/// The single run (`CompactionStyle::SingleRun`, a user's choice; no preset uses it):
/// compactions merge L0 into L1 and never deeper.
#[test]
fn single_run_compaction_keeps_everything_in_l0_and_l1() {
    let dir = tempfile::tempdir().unwrap();
    let opts = small(Stage::S3)
        .compaction(true)
        .compaction_style(CompactionStyle::SingleRun)
        .level1_size(4096);
    let db = Db::open(dir.path(), opts).unwrap();
    let mut model = Model::new();
    for round in 0..6 {
        write_round(&db, &mut model, round, 2000);
    }
    db.flush().unwrap();
    db.compact().unwrap();
    let stats = db.stats();
    assert!(stats.compactions > 0, "{stats}");
    assert!(
        stats.files_per_level.iter().skip(2).all(|&n| n == 0),
        "levels below L1 hold tables: {:?}",
        stats.files_per_level
    );
    check(&db, &model, "single run");
    // The same database under leveled compaction spreads over the deeper levels.
    drop(db);
    let db = Db::open(dir.path(), small(Stage::S4).level1_size(4096)).unwrap();
    write_round(&db, &mut model, 9, 2000);
    db.compact().unwrap();
    check(&db, &model, "leveled after single run");
    let deep: usize = db.stats().files_per_level.iter().skip(2).sum();
    assert!(deep > 0, "leveled compact() reaches the last level");
}

/// S5's index answers gets for keys written recently, also after they are flushed, and
/// never answers for a snapshot older than the version it holds.
#[test]
fn recent_writes_answer_recent_keys_and_respects_snapshots() {
    for kind in [MapKind::Mutex, MapKind::Epoch] {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), small(Stage::S5).memtable(kind)).unwrap();
        db.put("a", "1").unwrap();
        let snap = db.snapshot().unwrap();
        db.put("a", "2").unwrap();
        db.delete("b").unwrap();
        db.flush().unwrap();
        let hits = db.stats().recent_hits;
        assert_eq!(db.get("a").unwrap().as_deref(), Some(&b"2"[..]));
        assert_eq!(db.get("b").unwrap(), None);
        assert_eq!(
            db.stats().recent_hits,
            hits + 2,
            "{kind}: both from the index"
        );
        assert_eq!(snap.get("a").unwrap().as_deref(), Some(&b"1"[..]));
        assert_eq!(
            db.stats().recent_hits,
            hits + 2,
            "{kind}: snapshot read searched"
        );
        assert_eq!(db.stats().recent_writes_keys, 2);

        // A small budget keeps only the newest keys; the rest are found the normal way.
        drop(snap);
        drop(db);
        let db = Db::open(
            dir.path(),
            small(Stage::S5)
                .memtable(kind)
                .recent_writes_bytes(100 * 100),
        )
        .unwrap();
        assert_eq!(db.stats().recent_writes_keys, 0, "starts empty");
        for i in 0..1000 {
            db.put(format!("key{i:04}"), format!("value{i}")).unwrap();
        }
        let keys = db.stats().recent_writes_keys;
        assert!(
            (50..=125).contains(&keys),
            "{kind}: {keys} keys in a 10 kB index"
        );
        for i in 0..1000 {
            let got = db.get(format!("key{i:04}")).unwrap();
            assert_eq!(got.as_deref(), Some(format!("value{i}").as_bytes()));
        }
    }
}
