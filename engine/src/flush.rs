//! Background work: the worker threads, and flushing frozen memtables to L0 tables.
//!
//! Workers sleep on the state condition variable. Each round a worker takes the most urgent
//! job: flushing the oldest frozen memtable (one flush at a time, oldest first, so L0 stays in
//! sequence order and the WAL's `log_number` only grows), else one compaction (one at a time).
//! With two workers a flush can run while a long compaction does.
//!
//! A flush writes the memtable as a table, syncs it and the directory, records the edit
//! (`added` at L0, the new `log_number` = the WAL segment of the oldest memtable still in
//! memory) in the manifest, installs the new super-version without that memtable, and only
//! then deletes the WAL segments below `log_number`. A crash at any point leaves either the
//! memtable's segment (replayed on open) or the recorded table — never neither.

use crate::db::{lock, Inner, SuperVersion};
use crate::error::IoContext;
use crate::memtable::MemTable;
use crate::sstable::{TableBuilder, TableJob, TableOptions};
use crate::types::InternalKey;
use crate::version::{table_path, TableHandle, VersionEdit};
use crate::wal::segment::list_segments_in;
use crate::{fsutil, Error, Result};
use bytes::Bytes;
use std::ops::Bound;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A worker re-checks for work at least this often.
const IDLE_WAIT: Duration = Duration::from_millis(200);

enum Job {
    Flush,
    Compact,
}

impl Inner {
    pub(crate) fn table_options(&self) -> TableOptions {
        TableOptions {
            block_size: self.opts.block_size,
            bloom_bits_per_key: self.opts.bloom_bits_per_key,
            format: self.opts.table_format,
        }
    }

    /// Write `entries` (sorted by internal key) to a new table file `id` and open it.
    /// Returns `None` for no entries.
    ///
    /// On error the partial file is deleted (best effort): no manifest lists it. (Fix: a
    /// failed flush used to leave its partial `.sst` behind until the next open.)
    pub(crate) fn write_table(
        &self,
        id: u64,
        entries: impl Iterator<Item = Result<(InternalKey, Bytes)>>,
    ) -> Result<Option<Arc<TableHandle>>> {
        let path = table_path(&self.dir, id);
        // A failed create left no file of ours (the number is new): nothing to delete.
        let mut builder = TableBuilder::create_in(self.fs().as_ref(), &path, self.table_options())?
            .for_job(TableJob::Flush);
        let written = (|| {
            let mut any = false;
            for entry in entries {
                let (key, value) = entry?;
                builder.add(&key, &value)?;
                any = true;
            }
            if !any {
                return Ok(None);
            }
            let meta = builder.finish()?;
            self.open_table(id, meta).map(Some)
        })();
        if !matches!(written, Ok(Some(_))) {
            // No entries, or a failure: the file (empty or partial) must not stay. A failed
            // delete is harmless: open deletes tables no manifest lists.
            if let Err(e) = self.fs().remove_file(&path) {
                tracing::warn!(file = %path.display(), error = %e, "could not delete an unfinished table");
            }
        }
        written
    }

    /// Open a finished table and wrap it with its manifest metadata.
    pub(crate) fn open_table(
        &self,
        id: u64,
        meta: crate::sstable::TableMeta,
    ) -> Result<Arc<TableHandle>> {
        TableHandle::open_built_in(self.fs().clone(), &self.dir, id, meta, self.cache.clone())
    }

    /// Flush the oldest frozen memtable. Returns `false` if there was none or another flush
    /// is running (then `wait` decides whether to wait for it).
    pub(crate) fn flush_oldest(&self, wait: bool) -> Result<bool> {
        {
            let mut state = lock(&self.state);
            loop {
                if state.closing {
                    return Err(Error::Closed);
                }
                if self.sv.load().imm.is_empty() {
                    return Ok(false);
                }
                if !state.flushing {
                    break;
                }
                if !wait {
                    return Ok(false);
                }
                state = self
                    .state_cv
                    .wait_timeout(state, IDLE_WAIT)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            state.flushing = true;
        }
        let result = self.flush_oldest_now();
        lock(&self.state).flushing = false;
        self.state_cv.notify_all();
        result.map(|()| true)
    }

    fn flush_oldest_now(&self) -> Result<()> {
        let mem = self
            .sv
            .load()
            .imm
            .last()
            .cloned()
            .expect("checked under the flushing flag");
        let started = Instant::now();
        let span =
            tracing::info_span!("flush", segment = mem.wal_number, entries = mem.table.len());
        let _enter = span.enter();
        let id = self.new_file_number();
        let handle = self.write_table(id, mem_entries(mem.table.as_ref()))?;
        if let Err(e) = fsutil::sync_dir_in(self.fs().as_ref(), &self.dir) {
            // No manifest lists the table yet: delete it when the handle drops below (fix:
            // it used to stay until the next open). The memtable stays frozen, its WAL
            // segment stays, and a later flush retries.
            if let Some(h) = &handle {
                h.mark_obsolete();
            }
            return Err(e);
        }

        let mut state = lock(&self.state);
        let cur = self.sv.load_full();
        let imm: Vec<_> = cur
            .imm
            .iter()
            .filter(|m| !Arc::ptr_eq(m, &mem))
            .cloned()
            .collect();
        let log_number = imm.last().unwrap_or(&cur.mem).wal_number;
        let mut edit = VersionEdit {
            log_number: Some(log_number),
            next_file: Some(self.next_file.load(Ordering::Relaxed)),
            last_seq: Some(mem.table.max_seq()),
            ..VersionEdit::default()
        };
        let added: Vec<_> = handle.iter().cloned().collect();
        if let Some(h) = &handle {
            edit.added.push((0, h.meta.clone()));
        }
        if let Err(e) = state.manifest.record(&edit) {
            // The edit may have reached the manifest (a failed sync after a complete write),
            // so the table must stay: whether it is live is decided at the next open (listed,
            // or deleted as an orphan, with the WAL segment replayed instead). The manifest's
            // log is abandoned after a failed write, so no later edit could be recorded: the
            // database refuses writes until reopened.
            self.fail(&e);
            return Err(e);
        }
        let version = Arc::new(cur.version.apply(&edit, &added));
        self.sv.store(Arc::new(SuperVersion {
            mem: cur.mem.clone(),
            imm,
            version,
        }));
        drop(state);
        self.delete_obsolete_segments(log_number);
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
        let segments = match list_segments_in(self.fs().as_ref(), &self.dir) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "could not list WAL segments to delete");
                return;
            }
        };
        for (number, path) in segments {
            if number < log_number {
                crate::kill::kill_point!("obsolete.before_delete");
                if let Err(e) = self.fs().remove_file(&path).ctx(&path) {
                    tracing::warn!(error = %e, "could not delete a flushed WAL segment");
                }
                crate::kill::kill_point!("obsolete.after_delete");
            }
        }
    }

    /// Flush every frozen memtable, in this thread.
    pub(crate) fn flush_all_frozen(&self) -> Result<()> {
        while self.flush_oldest(true)? {}
        Ok(())
    }

    /// Freeze the active memtable if it holds anything, then flush everything frozen.
    pub(crate) fn flush_all(&self) -> Result<()> {
        {
            let mut wal = lock(&self.wal);
            if !self.sv.load().mem.table.is_empty() {
                self.switch_memtable(&mut wal)?;
            }
        }
        self.flush_all_frozen()
    }

    /// The body of a worker thread.
    pub(crate) fn worker(self: &Arc<Self>) {
        loop {
            let job = {
                let mut state = lock(&self.state);
                loop {
                    if state.closing || lock(&self.failed).is_some() {
                        return;
                    }
                    let sv = self.sv.load();
                    if !sv.imm.is_empty() && !state.flushing {
                        break Job::Flush;
                    }
                    if self.opts.compaction
                        && !state.compacting
                        && self.pick_compaction(&sv.version, &state).is_some()
                    {
                        break Job::Compact;
                    }
                    let wait = match self.opts.sync {
                        crate::SyncPolicy::Buffered { max_delay } => max_delay.min(IDLE_WAIT),
                        _ => IDLE_WAIT,
                    };
                    state = self
                        .state_cv
                        .wait_timeout(state, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    drop(state);
                    if let Err(e) = self.flush_buffered_wal() {
                        self.fail(&e);
                        return;
                    }
                    state = lock(&self.state);
                }
            };
            let result = match job {
                Job::Flush => self.flush_oldest(false).map(drop),
                Job::Compact => self.compact_once().map(drop),
            };
            match result {
                Err(Error::Closed) => return,
                Err(e) => {
                    self.fail(&e);
                    return;
                }
                Ok(()) => {}
            }
        }
    }
}

/// A frozen memtable's entries, as a table source.
fn mem_entries(mem: &dyn MemTable) -> impl Iterator<Item = Result<(InternalKey, Bytes)>> + '_ {
    mem.iter_from(Bound::Unbounded).map(Ok)
}
