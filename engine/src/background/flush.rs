//! [`Flusher`]: frozen memtables written to L0 tables, oldest first.
//!
//! A flush writes the oldest frozen memtable as a table, syncs it and the directory, records
//! the edit (`added` at L0, the new `log_number` = the WAL segment of the oldest memtable
//! still in memory) in the manifest, installs the new super-version without that memtable, and
//! only then deletes the WAL segments below `log_number`. A crash at any point leaves either
//! the memtable's segment (replayed on open) or the recorded table — never neither.
//!
//! One flush at a time (the `flushing` flag of [`Control`]), oldest first, so L0 stays in
//! sequence order and `log_number` only grows. Flushes run on the background workers, on the
//! writer's thread when there are none (`Options::auto_compaction(false)`: the ancestor's first
//! stage), and on a user's thread in `Db::flush`.

use crate::control::Control;
use crate::fs::{Dir, IoJob};
use crate::memtable::MemTable;
use crate::stats::Counters;
use crate::tables::{TableSet, VersionEdit};
use crate::types::InternalKey;
use crate::wal::list_segments;
use crate::{Error, Result};
use bytes::Bytes;
use std::ops::Bound;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A waiting flusher re-checks at least this often.
const RECHECK: Duration = Duration::from_millis(200);

/// See the module documentation.
pub(crate) struct Flusher {
    pub(crate) dir: Dir,
    pub(crate) control: Arc<Control>,
    pub(crate) tables: Arc<TableSet>,
    pub(crate) stats: Arc<Counters>,
}

impl Flusher {
    /// Flush the oldest frozen memtable. Returns `false` if there was none or another flush
    /// is running (then `wait` decides whether to wait for it).
    pub(crate) fn flush_oldest(&self, wait: bool) -> Result<bool> {
        {
            let mut jobs = self.control.jobs();
            loop {
                if jobs.closing {
                    return Err(Error::Closed);
                }
                if self.tables.current().imm.is_empty() {
                    return Ok(false);
                }
                if !jobs.flushing {
                    break;
                }
                if !wait {
                    return Ok(false);
                }
                jobs = self.control.wait(jobs, RECHECK);
            }
            jobs.flushing = true;
        }
        let result = self.flush_oldest_now();
        self.control.jobs().flushing = false;
        self.control.notify();
        result.map(|()| true)
    }

    /// Flush every frozen memtable, in this thread.
    pub(crate) fn flush_all_frozen(&self) -> Result<()> {
        while self.flush_oldest(true)? {}
        Ok(())
    }

    fn flush_oldest_now(&self) -> Result<()> {
        let mem = self
            .tables
            .current()
            .imm
            .last()
            .cloned()
            .expect("checked under the flushing flag");
        let started = Instant::now();
        let span =
            tracing::info_span!("flush", segment = mem.wal_number, entries = mem.table.len());
        let _enter = span.enter();
        let id = self.tables.new_file_number();
        let handle = self
            .tables
            .write_table(id, IoJob::Flush, entries(mem.table.as_ref()))?;
        if let Err(e) = self.tables.sync_dir() {
            // No manifest lists the table yet: delete it when the handle drops below (fix:
            // it used to stay until the next open). The memtable stays frozen, its WAL
            // segment stays, and a later flush retries.
            if let Some(h) = &handle {
                h.mark_obsolete();
            }
            return Err(e);
        }
        let added: Vec<_> = handle.iter().cloned().collect();
        let installed = self.tables.install(&added, |cur| {
            let imm: Vec<_> = cur
                .imm
                .iter()
                .filter(|m| !Arc::ptr_eq(m, &mem))
                .cloned()
                .collect();
            let log_number = imm.last().unwrap_or(&cur.mem).wal_number;
            let mut edit = VersionEdit {
                log_number: Some(log_number),
                last_seq: Some(mem.table.max_seq()),
                ..VersionEdit::default()
            };
            if let Some(h) = &handle {
                edit.added.push((0, h.meta.clone()));
            }
            (edit, imm)
        });
        let edit = match installed {
            Ok(edit) => edit,
            Err(e) => {
                // The edit may have reached the manifest (a failed sync after a complete
                // write), so the table must stay: whether it is live is decided at the next
                // open (listed, or deleted as an orphan, with the WAL segment replayed
                // instead). The manifest's log is abandoned after a failed write, so no later
                // edit could be recorded: the database refuses writes until reopened.
                self.control.fail(&e);
                return Err(e);
            }
        };
        if let Some(log_number) = edit.log_number {
            self.delete_obsolete_segments(log_number);
        }
        let bytes = handle.as_ref().map_or(0, |h| h.meta.size);
        self.stats.flushes.fetch_add(1, Ordering::Relaxed);
        self.stats.flush_bytes.fetch_add(bytes, Ordering::Relaxed);
        tracing::info!(
            table = id,
            bytes,
            ms = started.elapsed().as_millis() as u64,
            "memtable flushed to L0"
        );
        Ok(())
    }

    /// Delete the WAL segments below `log_number` (their memtables are in tables the manifest
    /// records). Best effort: a segment that cannot be listed or deleted now is harmless —
    /// the next open deletes every segment below the manifest's `log_number` — so a failure
    /// here does not fail the flush that already succeeded.
    fn delete_obsolete_segments(&self, log_number: u64) {
        let segments = match list_segments(&self.dir) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "could not list WAL segments to delete");
                return;
            }
        };
        for (number, name) in segments {
            if number < log_number {
                if let Err(e) = self.dir.remove(&name) {
                    tracing::warn!(error = %e, "could not delete a flushed WAL segment");
                }
            }
        }
    }
}

/// A frozen memtable's entries, as a table source.
fn entries(mem: &dyn MemTable) -> impl Iterator<Item = Result<(InternalKey, Bytes)>> + '_ {
    mem.iter_from(Bound::Unbounded).map(Ok)
}
