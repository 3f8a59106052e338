//! Damage to the WAL, for every memtable kind, under each [`WalRecovery`] mode: torn tails
//! (dropped in every mode, everything before the cut kept) versus damage that may hide
//! acknowledged writes — a damaged record in the middle, a damaged complete last record,
//! garbage after the last record, a torn tail in an older segment, a lost segment.
//! `AbsoluteConsistency` refuses all of those with `Error::Corruption` naming file and offset
//! (and the modes that would open); `TolerateCorruptedTail` also drops a damaged last record;
//! `PointInTime` opens with exactly the writes before the damage.
//!
//! Record offsets in WAL segments come from `ferrolite::inspect::read_log`.

mod common;

use bytes::Bytes;
use common::*;
use ferrolite::fs::FileKind;
use ferrolite::inspect::{self, LOG_HEADER_LEN, RECORD_HEADER_LEN};
use ferrolite::{Db, Error, MapKind, SyncPolicy, WalRecovery};
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// WAL damage.

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
    // A real record's bytes to append partially, framed as the log writer frames them.
    let frame = inspect::encode_log(FileKind::Wal, &[&[7u8; 100]])[LOG_HEADER_LEN..].to_vec();
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

/// Open `dir` under `mode` with the small test options.
fn open_in(dir: &Path, kind: MapKind, mode: WalRecovery) -> ferrolite::Result<Db> {
    Db::open(dir, roomy(kind, SyncPolicy::None).wal_recovery(mode))
}

/// Open a copy of `base`, damaged by `damage`, under `mode`; `(copy, result)`.
fn open_damaged(
    base: &Path,
    kind: MapKind,
    mode: WalRecovery,
    damage: impl Fn(&Path),
) -> (tempfile::TempDir, ferrolite::Result<Db>) {
    let dir = tempfile::tempdir().unwrap();
    copy_db(base, dir.path());
    damage(dir.path());
    let result = open_in(dir.path(), kind, mode);
    (dir, result)
}

/// `result` is `Corruption` at `(path, offset)` whose message names the modes that would open.
#[track_caller]
fn refused(result: ferrolite::Result<Db>, path: &Path, offset: u64, what: &str) {
    match result {
        Err(Error::Corruption {
            path: p,
            offset: o,
            reason,
        }) => {
            assert_eq!((p.as_path(), o), (path, offset), "{what}: {reason}");
            assert!(
                reason.contains("PointInTime"),
                "{what}: no hint in {reason:?}"
            );
        }
        Err(e) => panic!("{what}: expected corruption, got {e}"),
        Ok(_) => panic!("{what}: opened"),
    }
}

/// Under the two modes that refuse it, `damage` to a copy of `base` is `Corruption` at
/// `offset` of the file `name`.
#[track_caller]
fn refused_but_in_point_in_time(
    base: &Path,
    kind: MapKind,
    damage: impl Fn(&Path),
    name: &std::ffi::OsStr,
    offset: u64,
    what: &str,
) {
    for mode in [
        WalRecovery::AbsoluteConsistency,
        WalRecovery::TolerateCorruptedTail,
    ] {
        let (dir, result) = open_damaged(base, kind, mode, &damage);
        refused(
            result,
            &dir.path().join(name),
            offset,
            &format!("{what}, {mode:?}"),
        );
    }
}

/// `result` opened with exactly `want`, and the database works on: a write, a reopen under
/// the default mode (the damaged segment was replayed into a table and deleted).
#[track_caller]
fn recovered(result: ferrolite::Result<Db>, dir: &Path, kind: MapKind, want: &Model, what: &str) {
    let db = result.unwrap_or_else(|e| panic!("{what}: {e}"));
    check(&db, want, what);
    db.put("after", "recovery").unwrap();
    drop(db);
    let db = open_in(dir, kind, WalRecovery::AbsoluteConsistency)
        .unwrap_or_else(|e| panic!("{what}, reopened: {e}"));
    let mut want = want.clone();
    want.insert(Bytes::from("after"), Bytes::from("recovery"));
    check(&db, &want, &format!("{what}, reopened"));
}

/// Bytes appended to a segment that are neither zeros nor a prefix of a record are not what a
/// crash leaves: the log format reports them (see `wal::record`), rather than guessing — in
/// every mode but `PointInTime`, which keeps every record before them.
#[test]
fn wal_ending_in_garbage_is_corruption_not_silence() {
    for kind in MapKind::ALL {
        let base = tempfile::tempdir().unwrap();
        let (model, _) = db_with_wal(base.path(), kind, 10);
        let seg_name = wals(base.path())[0].file_name().unwrap().to_owned();
        let len = std::fs::metadata(&wals(base.path())[0]).unwrap().len();
        let garbage = |dir: &Path| {
            let seg = dir.join(&seg_name);
            let mut bytes = std::fs::read(&seg).unwrap();
            bytes.extend((0..64u8).map(|b| b.wrapping_mul(37).wrapping_add(1)));
            std::fs::write(&seg, bytes).unwrap();
        };
        refused_but_in_point_in_time(
            base.path(),
            kind,
            garbage,
            &seg_name,
            len,
            &kind.to_string(),
        );
        let (dir, result) = open_damaged(base.path(), kind, WalRecovery::PointInTime, garbage);
        recovered(
            result,
            dir.path(),
            kind,
            &model,
            &format!("{kind} PointInTime"),
        );
    }
}

/// A complete last record that fails its checksum was damaged after it was written (a crash
/// leaves a record short or zero-filled at its end, see `wal::record`): it may have been
/// acknowledged, so the default mode reports it rather than dropping it as a torn tail;
/// `TolerateCorruptedTail` (for payload damage) and `PointInTime` drop it and keep every
/// earlier write.
#[test]
fn damaged_complete_last_record_is_corruption_not_a_torn_tail() {
    for kind in MapKind::ALL {
        let base = tempfile::tempdir().unwrap();
        let n = 12;
        let (model, offsets) = db_with_wal(base.path(), kind, n);
        let last = offsets[n - 1];
        let seg_name = wals(base.path())[0].file_name().unwrap().to_owned();
        let len = std::fs::metadata(&wals(base.path())[0]).unwrap().len();
        for at in [
            last,
            last + 4,
            last + 11,
            last + RECORD_HEADER_LEN as u64,
            len - 1,
        ] {
            let damage = |dir: &Path| flip(&dir.join(&seg_name), at);
            let what = format!("{kind}: byte {at} of the last record");
            let (dir, result) =
                open_damaged(base.path(), kind, WalRecovery::AbsoluteConsistency, damage);
            refused(result, &dir.path().join(&seg_name), last, &what);
            // A damaged frame header cannot prove that the record ends the file: only
            // payload damage is a tolerable tail.
            let payload = at >= last + RECORD_HEADER_LEN as u64;
            let (dir, result) = open_damaged(
                base.path(),
                kind,
                WalRecovery::TolerateCorruptedTail,
                damage,
            );
            if payload {
                recovered(result, dir.path(), kind, &first(&model, n - 1), &what);
            } else {
                refused(result, &dir.path().join(&seg_name), last, &what);
            }
            let (dir, result) = open_damaged(base.path(), kind, WalRecovery::PointInTime, damage);
            recovered(result, dir.path(), kind, &first(&model, n - 1), &what);
        }
        // A power cut on a file system that extends a file before writing its data: zeros
        // inside the last record.
        let zeros = |dir: &Path| {
            let seg = dir.join(&seg_name);
            let mut bytes = std::fs::read(&seg).unwrap();
            let from = last as usize + RECORD_HEADER_LEN + 2;
            bytes[from..].fill(0);
            std::fs::write(&seg, bytes).unwrap();
        };
        let what = format!("{kind}: zeros inside the last record");
        let (dir, result) =
            open_damaged(base.path(), kind, WalRecovery::AbsoluteConsistency, zeros);
        refused(result, &dir.path().join(&seg_name), last, &what);
        let (dir, result) =
            open_damaged(base.path(), kind, WalRecovery::TolerateCorruptedTail, zeros);
        recovered(result, dir.path(), kind, &first(&model, n - 1), &what);
    }
}

#[test]
fn damage_in_the_middle_of_a_wal_segment_is_corruption() {
    for kind in MapKind::ALL {
        let base = tempfile::tempdir().unwrap();
        let n = 30;
        let (model, offsets) = db_with_wal(base.path(), kind, n);
        let seg_name = wals(base.path())[0].file_name().unwrap().to_owned();
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
            let damage = |dir: &Path| flip(&dir.join(&seg_name), offsets[rec] + at);
            for mode in [
                WalRecovery::AbsoluteConsistency,
                WalRecovery::TolerateCorruptedTail,
            ] {
                let (dir, result) = open_damaged(base.path(), kind, mode, damage);
                let seg = dir.path().join(&seg_name);
                let before = std::fs::read(&seg).unwrap().len();
                refused(result, &seg, offsets[rec], &format!("{what}, {mode:?}"));
                // Nothing was deleted or rewritten by the failed open; a second try agrees.
                let again = open_in(dir.path(), kind, mode);
                refused(
                    again,
                    &seg,
                    offsets[rec],
                    &format!("{what}, {mode:?} again"),
                );
                assert_eq!(std::fs::read(&seg).unwrap().len(), before, "{what}");
                assert!(tables(dir.path()).is_empty(), "{what}");
            }
            let (dir, result) = open_damaged(base.path(), kind, WalRecovery::PointInTime, damage);
            recovered(result, dir.path(), kind, &first(&model, rec), &what);
        }
    }
}

/// The number `m` of keys of `db` if they are exactly `k(0)..k(m)`: a prefix of the writes
/// of `db_with_two_segments`.
#[track_caller]
fn prefix_len(db: &Db, what: &str) -> usize {
    let keys: Vec<Bytes> = db.iter().unwrap().map(|e| e.unwrap().0).collect();
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(key, &k(i), "{what}: not a prefix of the writes");
    }
    keys.len()
}

/// A torn tail is only a torn tail at the end of the log. The last record of an *older*
/// segment was acknowledged before every write in the newer segments; losing it while keeping
/// them would give a state that no prefix of the writes explains. `PointInTime` recovers the
/// prefix up to the tear.
#[test]
fn torn_tail_in_an_older_segment_is_corruption() {
    for kind in MapKind::ALL {
        let base = tempfile::tempdir().unwrap();
        let model = db_with_two_segments(base.path(), kind);
        let segs = wals_with_records(base.path());
        let older = segs[0].file_name().unwrap().to_owned();
        let last = read_log(&segs[0]).unwrap().records.last().unwrap().offset;
        let tear = |dir: &Path| {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(dir.join(&older))
                .unwrap();
            file.set_len(last + 5).unwrap();
        };
        refused_but_in_point_in_time(base.path(), kind, tear, &older, last, &kind.to_string());
        let (_dir, result) = open_damaged(base.path(), kind, WalRecovery::PointInTime, tear);
        let db = result.unwrap_or_else(|e| panic!("{kind}: {e}"));
        let m = prefix_len(&db, &format!("{kind} PointInTime"));
        assert!(m < model.len(), "{kind}: the torn record came back");
    }
}

/// A lost WAL segment that is not the newest leaves a hole in the sequence numbers: the open
/// must refuse (`Corruption` at the first record after the hole) rather than silently drop the
/// lost writes while keeping later ones; `PointInTime` recovers the prefix before the hole.
#[test]
fn a_lost_older_wal_segment_is_corruption() {
    for kind in MapKind::ALL {
        let base = tempfile::tempdir().unwrap();
        let model = db_with_two_segments(base.path(), kind);
        let segs = wals_with_records(base.path());
        // Any segment but the newest with records: its loss makes a hole before the next one.
        for lost in 0..segs.len() - 1 {
            let gone = segs[lost].file_name().unwrap().to_owned();
            let next = segs[lost + 1].file_name().unwrap().to_owned();
            let first_after = read_log(&segs[lost + 1]).unwrap().records[0].offset;
            let lose = |dir: &Path| std::fs::remove_file(dir.join(&gone)).unwrap();
            let what = format!("{kind}: segment {gone:?} lost");
            refused_but_in_point_in_time(base.path(), kind, lose, &next, first_after, &what);
            let (_dir, result) = open_damaged(base.path(), kind, WalRecovery::PointInTime, lose);
            let db = result.unwrap_or_else(|e| panic!("{kind}: {e}"));
            let m = prefix_len(&db, &format!("{kind} PointInTime, {gone:?} lost"));
            assert!(m < model.len(), "{kind}: writes after the hole came back");
        }
    }
}
