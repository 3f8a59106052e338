//! Replaying the WAL at open: the segments from the manifest's `log_number` on, oldest first,
//! into a memtable — and what to do with damage ([`WalRecovery`]).
//!
//! A torn tail (a write that was never acknowledged) ends a segment and is dropped in every
//! mode. Anything else is decided by the mode:
//!
//! | found | `AbsoluteConsistency` (default) | `TolerateCorruptedTail` | `PointInTime` |
//! |---|---|---|---|
//! | a damaged record with data after it | `Corruption` | `Corruption` | stop before it |
//! | a damaged *last* record of the last segment (complete, checksum fails) | `Corruption` | dropped | stop before it |
//! | a torn tail followed by a later segment holding writes | `Corruption` | `Corruption` | stop at the tear |
//! | a hole in the sequence numbers (a lost segment) | `Corruption` | `Corruption` | stop before the hole |
//!
//! "Stop" replays everything before the damage and drops the rest, later segments included: a
//! consistent prefix of the commits that may lack acknowledged writes (RocksDB's
//! `kPointInTimeRecovery`). Under `AbsoluteConsistency` the damage may hide acknowledged
//! writes, so the database does not open; the error names the file, the offset and the modes
//! that would open it. A record of another format or version is `Incompatible` in every mode.

use crate::batch::WriteBatch;
use crate::error::{Error, Result};
use crate::fs::Dir;
use crate::memtable::MemTable;
use crate::options::{Options, WalRecovery};
use crate::types::SeqNo;
use crate::wal::{list_segments, salvage_log, Damage, WAL_MAGIC};
use bytes::Bytes;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the replay produced.
pub(super) struct Replayed {
    /// The replayed writes (those above the manifest's `last_seq`).
    pub mem: Arc<dyn MemTable>,
    /// The last sequence number recovered.
    pub last_seq: SeqNo,
    /// Every segment read (to delete once the writes are in a table), by name; under
    /// `PointInTime` also those dropped after a stop.
    pub segments: Vec<String>,
    /// Records replayed.
    pub records: u64,
}

/// Why replay stopped early (`PointInTime`).
struct Stop {
    path: PathBuf,
    offset: u64,
    reason: String,
}

/// Replay the WAL of `dir` above `log_number`/`last_seq` (the manifest's).
pub(super) fn replay(
    dir: &Dir,
    opts: &Options,
    log_number: u64,
    flushed_seq: SeqNo,
) -> Result<Replayed> {
    let mode = opts.wal_recovery;
    let mem = opts.new_memtable();
    let mut last_seq = flushed_seq;
    let mut segments = Vec::new();
    let mut records = 0u64;
    // A torn tail seen so far: (segment, offset).
    let mut torn: Option<(PathBuf, u64)> = None;
    // A damaged last record tolerated so far: it must be the end of the whole log.
    let mut tolerated: Option<(PathBuf, Damage)> = None;
    let mut stop: Option<Stop> = None;
    for (number, name) in list_segments(dir)? {
        if number < log_number {
            dir.remove(&name)?;
            continue;
        }
        segments.push(name.clone());
        if stop.is_some() {
            continue; // PointInTime: everything after the stop is dropped
        }
        let path = dir.file(&name);
        let (contents, damage) = salvage_log(&path, WAL_MAGIC, Bytes::from(dir.read(&name)?))?;
        if !contents.records.is_empty() {
            if let Some((torn_path, offset)) = torn.take() {
                let reason = format!(
                    "torn record, but the later segment {} holds writes",
                    path.display()
                );
                stop = Some(refuse_or_stop(mode, torn_path, offset, reason)?);
                continue;
            }
            if let Some((t_path, d)) = tolerated.take() {
                // Not the end of the log after all: the damaged record had writes after it.
                return Err(refused(mode, &t_path, d.offset, &d.reason));
            }
        }
        for rec in &contents.records {
            let (first, batch) = match WriteBatch::decode(&rec.payload, &path, rec.offset) {
                Ok(decoded) => decoded,
                Err(Error::Corruption { reason, .. }) if mode == WalRecovery::PointInTime => {
                    stop = Some(Stop {
                        path: path.clone(),
                        offset: rec.offset,
                        reason,
                    });
                    break;
                }
                Err(e) => return Err(e),
            };
            // Sequence numbers have no holes: each commit takes the next ones, a failed WAL
            // write stops all writing until reopen, and the manifest's `last_seq` covers what
            // was flushed before `log_number`. A record starting past the next expected number
            // means a segment (or the start of this one) is gone: acknowledged writes would be
            // lost silently.
            if first > last_seq + 1 {
                let reason = format!(
                    "sequence numbers {}..={} are missing before this record: a WAL segment \
                     before it was lost",
                    last_seq + 1,
                    first - 1
                );
                stop = Some(refuse_or_stop(mode, path.clone(), rec.offset, reason)?);
                break;
            }
            for (seq, op) in (first..).zip(batch.ops()) {
                if seq > flushed_seq {
                    mem.insert(&op.key, seq, op.kind, op.value.clone());
                }
                last_seq = last_seq.max(seq);
            }
            records += 1;
        }
        if stop.is_some() {
            continue;
        }
        if let Some(d) = damage {
            match mode {
                WalRecovery::AbsoluteConsistency => {
                    return Err(refused(mode, &path, d.offset, &d.reason))
                }
                WalRecovery::TolerateCorruptedTail if d.last => tolerated = Some((path, d)),
                WalRecovery::TolerateCorruptedTail => {
                    return Err(refused(mode, &path, d.offset, &d.reason))
                }
                WalRecovery::PointInTime => {
                    stop = Some(Stop {
                        path,
                        offset: d.offset,
                        reason: d.reason,
                    })
                }
            }
            continue;
        }
        if let Some(tail) = &contents.torn_tail {
            tracing::warn!(file = %path.display(), offset = tail.offset, reason = %tail.reason, "WAL segment ends in a torn record; it was never acknowledged and is dropped");
            torn = Some((path, tail.offset));
        }
    }
    if let Some((path, d)) = tolerated {
        tracing::warn!(file = %path.display(), offset = d.offset, reason = %d.reason, "dropping a damaged last WAL record (WalRecovery::TolerateCorruptedTail)");
    }
    if let Some(s) = stop {
        tracing::warn!(file = %s.path.display(), offset = s.offset, reason = %s.reason, last_seq, "WAL replay stopped at damage; later writes are dropped (WalRecovery::PointInTime)");
    }
    Ok(Replayed {
        mem,
        last_seq,
        segments,
        records,
    })
}

/// Under `PointInTime`, where to stop; otherwise the error.
fn refuse_or_stop(mode: WalRecovery, path: PathBuf, offset: u64, reason: String) -> Result<Stop> {
    match mode {
        WalRecovery::PointInTime => Ok(Stop {
            path,
            offset,
            reason,
        }),
        _ => Err(refused(mode, &path, offset, &reason)),
    }
}

/// The `Corruption` of a WAL that `mode` does not open, naming the modes that would.
fn refused(mode: WalRecovery, path: &Path, offset: u64, reason: &str) -> Error {
    let hint = match mode {
        WalRecovery::AbsoluteConsistency => {
            "; not opened under WalRecovery::AbsoluteConsistency (Options::wal_recovery: \
             TolerateCorruptedTail drops a damaged last record, PointInTime recovers the writes \
             before the damage and drops the rest)"
        }
        WalRecovery::TolerateCorruptedTail => {
            "; not a damaged last record, so not opened under \
             WalRecovery::TolerateCorruptedTail (Options::wal_recovery: PointInTime recovers \
             the writes before the damage and drops the rest)"
        }
        WalRecovery::PointInTime => "",
    };
    Error::corruption(path, offset, format!("{reason}{hint}"))
}
