//! One operation applied to the engine and to the model: [`step`] returns both answers (and a
//! note for the transcript), counting writes, batches and gets for the statistics checks.

use super::config::{MAX_HELD_ITERS, MAX_SNAPSHOTS};
use super::ops::{BatchEntry, EngineOp, ShowBound};
use super::outcome::{
    collect, done, model_prefix, model_scan, owned_bound, value_of, Model, Outcome,
};
use super::session::{Counts, HeldIter, LiveSnap, Session};
use super::setup::Setup;
use ferrolite::{Db, WriteBatch};
use std::ops::Bound;

/// Apply `op` to the engine and the model: `(engine's answer, model's answer, a note for the
/// transcript)`.
pub(super) fn step<'db>(
    db: &'db Db,
    sess: &mut Session<'db>,
    model: &mut Model,
    c: &mut Counts,
    setup: Setup,
    op: &EngineOp,
) -> (Outcome, Outcome, Option<String>) {
    let pick = |slot: u8, n: usize| usize::from(slot) % n.max(1);
    let snaps = &mut sess.snaps;
    match op {
        EngineOp::Put(k, v) => {
            let empty = k.0.is_empty();
            let got = write_outcome(db.put(k.0.clone(), v.bytes()), 1, c);
            if !empty {
                model.insert(k.0.clone(), v.bytes());
            }
            (got, write_want(empty), None)
        }
        EngineOp::Delete(k) => {
            let empty = k.0.is_empty();
            let got = write_outcome(db.delete(k.0.clone()), 1, c);
            if !empty {
                model.remove(&k.0);
            }
            (got, write_want(empty), None)
        }
        EngineOp::Batch(entries) => {
            let mut batch = WriteBatch::new();
            let mut empty = false;
            for e in entries {
                match e {
                    BatchEntry::Put(k, v) => {
                        empty |= k.0.is_empty();
                        batch.put(k.0.clone(), v.bytes());
                    }
                    BatchEntry::Delete(k) => {
                        empty |= k.0.is_empty();
                        batch.delete(k.0.clone());
                    }
                }
            }
            let got = write_outcome(db.write(batch), entries.len() as u64, c);
            // All or nothing: a batch with an empty key is refused as a whole.
            if !empty {
                for e in entries {
                    match e {
                        BatchEntry::Put(k, v) => {
                            model.insert(k.0.clone(), v.bytes());
                        }
                        BatchEntry::Delete(k) => {
                            model.remove(&k.0);
                        }
                    }
                }
            }
            (got, write_want(empty), None)
        }
        EngineOp::Get(k) => {
            if k.0.is_empty() {
                return (value_of(db.get(&k.0)), Outcome::Refused, None);
            }
            c.session_gets += 1;
            (
                value_of(db.get(&k.0)),
                Outcome::Value(model.get(&k.0).cloned()),
                None,
            )
        }
        EngineOp::Scan { lower, upper, take } => {
            let take = take.map_or(usize::MAX, usize::from);
            let it = if *lower == Bound::Unbounded && *upper == Bound::Unbounded {
                db.iter()
            } else {
                db.scan((owned_bound(lower), owned_bound(upper)))
            };
            (
                collect(it, take),
                model_scan(model, lower, upper, take),
                None,
            )
        }
        EngineOp::ScanPrefix(p) => (
            collect(db.scan_prefix(&p.0), usize::MAX),
            model_prefix(model, &p.0),
            None,
        ),
        EngineOp::Snapshot => {
            if snaps.len() >= MAX_SNAPSHOTS {
                let why = "3 snapshots live";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            match db.snapshot() {
                Ok(snap) => {
                    c.snapshots += 1;
                    let note = format!("seq {}", snap.seq());
                    snaps.push(LiveSnap {
                        serial: c.snapshots,
                        snap,
                        model: model.clone(),
                    });
                    (
                        Outcome::Snap(c.snapshots),
                        Outcome::Snap(c.snapshots),
                        Some(note),
                    )
                }
                Err(e) => (
                    Outcome::Error(e.to_string()),
                    Outcome::Snap(c.snapshots + 1),
                    None,
                ),
            }
        }
        EngineOp::SnapGet(slot, k) => {
            if snaps.is_empty() {
                let why = "no live snapshot";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let s = &snaps[pick(*slot, snaps.len())];
            let want = if k.0.is_empty() {
                Outcome::Refused
            } else {
                c.session_gets += 1;
                Outcome::Value(s.model.get(&k.0).cloned())
            };
            (
                value_of(s.snap.get(&k.0)),
                want,
                Some(format!("snapshot #{}", s.serial)),
            )
        }
        EngineOp::SnapScan { slot, lower, upper } => {
            if snaps.is_empty() {
                let why = "no live snapshot";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let s = &snaps[pick(*slot, snaps.len())];
            let it = if *lower == Bound::Unbounded && *upper == Bound::Unbounded {
                s.snap.iter()
            } else {
                s.snap.scan((owned_bound(lower), owned_bound(upper)))
            };
            (
                collect(it, usize::MAX),
                model_scan(&s.model, lower, upper, usize::MAX),
                Some(format!("snapshot #{}", s.serial)),
            )
        }
        EngineOp::SnapPrefix(slot, p) => {
            if snaps.is_empty() {
                let why = "no live snapshot";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let s = &snaps[pick(*slot, snaps.len())];
            (
                collect(s.snap.scan_prefix(&p.0), usize::MAX),
                model_prefix(&s.model, &p.0),
                Some(format!("snapshot #{}", s.serial)),
            )
        }
        EngineOp::DropSnapshot(slot) => {
            if snaps.is_empty() {
                let why = "no live snapshot";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let s = snaps.remove(pick(*slot, snaps.len()));
            let note = format!("snapshot #{}", s.serial);
            drop(s);
            (Outcome::Done, Outcome::Done, Some(note))
        }
        EngineOp::OpenIter { lower, upper, pre } => {
            if sess.held.len() >= MAX_HELD_ITERS {
                let why = "2 iterators held";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let it = if *lower == Bound::Unbounded && *upper == Bound::Unbounded {
                db.iter()
            } else {
                db.scan((owned_bound(lower), owned_bound(upper)))
            };
            let Outcome::Entries(want) = model_scan(model, lower, upper, usize::MAX) else {
                unreachable!("a scan")
            };
            let mut it = match it {
                Ok(it) => it,
                Err(e) => return (Outcome::Error(e.to_string()), Outcome::Done, None),
            };
            let mut read = Vec::new();
            for item in it.by_ref().take(usize::from(*pre)) {
                match item {
                    Ok((k, v)) => read.push((k.to_vec(), v.to_vec())),
                    Err(e) => return (Outcome::Error(e.to_string()), Outcome::Done, None),
                }
            }
            c.iters += 1;
            let first: Vec<_> = want.iter().take(usize::from(*pre)).cloned().collect();
            let got = Outcome::Opened(c.iters, read.clone());
            sess.held.push(HeldIter {
                serial: c.iters,
                text: format!("scan({}, {})", ShowBound(lower), ShowBound(upper)),
                iter: it,
                read,
                want,
            });
            (got, Outcome::Opened(c.iters, first), None)
        }
        EngineOp::FinishIter(slot) => {
            if sess.held.is_empty() {
                let why = "no held iterator";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let h = sess.held.remove(pick(*slot, sess.held.len()));
            let note = format!("iterator #{}", h.serial);
            let (got, want) = h.finish();
            (got, want, Some(note))
        }
        EngineOp::Flush => (done(db.flush()), Outcome::Done, None),
        EngineOp::Compact => (done(db.compact()), Outcome::Done, None),
        EngineOp::Reopen => unreachable!("handled by execute"),
        EngineOp::Verify => match db.verify() {
            Ok(n) => {
                // Without background work the table count is known; with it, the version
                // may change between the two calls.
                let want = if setup.auto_compaction {
                    n
                } else {
                    db.stats().files_per_level.iter().sum()
                };
                (Outcome::Tables(n), Outcome::Tables(want), None)
            }
            Err(e) => (Outcome::Error(e.to_string()), Outcome::Done, None),
        },
    }
}

/// The outcome of a write of `ops` operations; counts it when it succeeded.
fn write_outcome(r: ferrolite::Result<()>, ops: u64, c: &mut Counts) -> Outcome {
    match r {
        Ok(()) => {
            c.writes += ops;
            c.session_writes += ops;
            c.session_batches += 1;
            Outcome::Done
        }
        Err(ferrolite::Error::EmptyKey) => Outcome::Refused,
        Err(e) => Outcome::Error(e.to_string()),
    }
}

/// What a write must return: refused when it holds an empty key.
fn write_want(empty_key: bool) -> Outcome {
    if empty_key {
        Outcome::Refused
    } else {
        Outcome::Done
    }
}
