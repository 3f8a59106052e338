//! The write path: group commit, WAL append, memtable insert, and flow control.
//!
//! Writers queue up; the writer at the front is the *leader*. It takes every batch queued
//! behind it (up to [`MAX_GROUP_BYTES`]), gives them consecutive sequence numbers, appends one
//! WAL record per batch and hands the whole group to the OS in one write (and one `fdatasync`
//! under [`SyncPolicy::EveryWrite`] / [`SyncPolicy::GroupCommit`]), inserts every operation into
//! the active memtable, and only then publishes the group's last sequence number to readers
//! (`visible_seq`, a Release store). Followers sleep until the leader has done their work.
//! This is LevelDB's writer queue; a lone writer pays one uncontended lock for it.
//!
//! Before a group is written the leader makes room (`make_room`): when the active memtable is
//! full it is frozen and a new WAL segment starts (the two always switch together, under the
//! WAL lock, so a memtable's writes are exactly one segment's records). Writers are slowed,
//! then stopped, when background work falls behind — never is memory unbounded:
//! - L0 has `l0_slowdown_trigger` tables: each write group is delayed 1 ms (once);
//! - L0 has `l0_stop_trigger` tables, or `max_immutable_memtables` frozen memtables wait for
//!   flush while the active one is full: writers wait until a flush or compaction finishes.
//!
//! Stall time and count are in [`crate::DbStats`]; a `tracing` event marks each stop.

use crate::batch::{BatchOp, WriteBatch};
use crate::db::{lock, Inner, MemGen, Pending, SuperVersion, WalState};
use crate::memtable::new_memtable;
use crate::options::{SyncPolicy, BUFFERED_WAL_BYTES};
use crate::types::ValueKind;
use crate::wal::record::{LogWriter, MAX_RECORD_LEN, WAL_MAGIC};
use crate::wal::segment::segment_path;
use crate::{fsutil, Error, Result};
use bytes::Bytes;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The error a follower of a failed group gets: the leader's, rebuilt (an `io::Error` cannot
/// be cloned) so that a WAL failure reaches every writer of the group as an [`Error::Io`]
/// naming the file.
fn follower_error(e: &Error) -> Error {
    match e {
        Error::Io { path, source } => Error::Io {
            path: path.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        // The leader found the database closed: so is it for every follower.
        Error::Closed => Error::Closed,
        Error::Background(why) => Error::Background(why.clone()),
        e => Error::Background(format!("group commit failed: {e}")),
    }
}

/// Largest group a leader commits at once (bytes of batch payload).
pub const MAX_GROUP_BYTES: usize = 1 << 20;

/// How long a stopped writer sleeps before re-checking (it is also woken by background work).
const STALL_RECHECK: Duration = Duration::from_millis(50);

impl Inner {
    pub(crate) fn write(&self, batch: WriteBatch) -> Result<()> {
        self.check_writable()?;
        batch.validate()?;
        if batch.is_empty() {
            return Ok(());
        }
        let len = batch.encoded_len();
        if len > MAX_RECORD_LEN {
            return Err(Error::BatchTooLarge {
                len,
                max: MAX_RECORD_LEN,
            });
        }
        let me = Arc::new(Pending {
            bytes: batch.encoded_len(),
            batch: std::sync::Mutex::new(batch),
            result: std::sync::Mutex::new(None),
        });
        let mut queue = lock(&self.queue);
        queue.push_back(me.clone());
        loop {
            if let Some(result) = lock(&me.result).take() {
                return result;
            }
            if queue.front().is_some_and(|f| Arc::ptr_eq(f, &me)) {
                break;
            }
            queue = self.queue_cv.wait(queue).unwrap_or_else(|e| e.into_inner());
        }
        // Leader. The front stays ours until we pop it, so nobody else leads meanwhile.
        if let SyncPolicy::GroupCommit { max_delay } = self.opts.sync {
            if !max_delay.is_zero() {
                drop(queue);
                std::thread::sleep(max_delay);
                queue = lock(&self.queue);
            }
        }
        let mut bytes = 0;
        // Without group commit the leader commits its own batch alone (S0–S1).
        let limit = if self.opts.group_commit {
            usize::MAX
        } else {
            1
        };
        let group: Vec<Arc<Pending>> = queue
            .iter()
            .take(limit)
            .take_while(|p| {
                bytes += p.bytes;
                bytes <= MAX_GROUP_BYTES || Arc::ptr_eq(p, &me)
            })
            .cloned()
            .collect();
        drop(queue);

        let result = self.commit_group(&group);

        let mut queue = lock(&self.queue);
        for p in &group {
            let popped = queue.pop_front().expect("group members are queued");
            debug_assert!(Arc::ptr_eq(&popped, p));
            if !Arc::ptr_eq(p, &me) {
                *lock(&p.result) = Some(match &result {
                    Ok(()) => Ok(()),
                    Err(e) => Err(follower_error(e)),
                });
            }
        }
        drop(queue);
        self.queue_cv.notify_all();
        result
    }

    /// Commit `group` (the leader's own batch first). On `Err` no batch of the group is
    /// visible: the error comes before the memtable inserts and `visible_seq`.
    ///
    /// # After a WAL failure
    ///
    /// If appending to or syncing the WAL fails, the segment's tail is unknown: a prefix of the
    /// group's records may be in the file (a short write), or all of it (a failed `fdatasync`
    /// after a complete `write`). Another record appended after a torn one would turn that
    /// torn tail into corruption in the middle of the log at recovery, and after a failed
    /// `fdatasync` the kernel may have dropped pages written earlier. So, as LevelDB and
    /// RocksDB do, the database then refuses every later write (`Error::Background`, naming
    /// the WAL error) until it is reopened, while gets, scans and snapshots keep working on
    /// what was acknowledged. Guarantee: every acknowledged write survives a reopen; a group
    /// whose commit reported an error is, per batch, all-or-nothing after the reopen (each
    /// batch is one checksummed record: recovery keeps it whole or drops it as a torn tail).
    fn commit_group(&self, group: &[Arc<Pending>]) -> Result<()> {
        let mut wal = lock(&self.wal);
        self.check_writable()?;
        self.make_room(&mut wal)?;

        let first = wal.last_seq + 1;
        let mut seq = first;
        let mut user_bytes = 0u64;
        let mut ops = 0u64;
        let WalState {
            log,
            scratch,
            flushed_at,
            index_fifo,
            ..
        } = &mut *wal;
        let before = log.len();
        // The leader owns the group's batches until it pops them: it takes each one out
        // (the followers wait for their result, not for their batch) and moves the keys and
        // values into the memtable below instead of cloning them.
        let batches: Vec<WriteBatch> = group
            .iter()
            .map(|p| std::mem::take(&mut *lock(&p.batch)))
            .collect();
        for batch in &batches {
            scratch.clear();
            batch.encode_into(seq, self.opts.wal_format, scratch);
            seq += batch.len() as u64;
            ops += batch.len() as u64;
            user_bytes += batch.bytes as u64;
            if let Err(e) = log.append(scratch) {
                self.fail(&e);
                return Err(e);
            }
        }
        let synced = matches!(
            self.opts.sync,
            SyncPolicy::EveryWrite | SyncPolicy::GroupCommit { .. }
        );
        let written = match self.opts.sync {
            SyncPolicy::None => log.flush(),
            SyncPolicy::Buffered { max_delay } => {
                if log.buffered() >= BUFFERED_WAL_BYTES || flushed_at.elapsed() >= max_delay {
                    *flushed_at = Instant::now();
                    log.flush()
                } else {
                    Ok(())
                }
            }
            SyncPolicy::EveryWrite | SyncPolicy::GroupCommit { .. } => log.sync(),
        };
        let written = written.and_then(|()| {
            if self.opts.wal_reopen_per_write {
                log.release()
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            // The segment's tail is unknown now: refuse writes until reopened (recovery cuts
            // a torn tail).
            self.fail(&e);
            return Err(e);
        }
        let wal_bytes = log.len() - before;

        let sv = self.sv.load();
        let mem = &sv.mem.table;
        let mut seq = first;
        let mut index = self
            .point_index
            .as_ref()
            .map(|index| index.recorder(index_fifo));
        let mut apply = |op: &BatchOp, value: Bytes, seq: u64| {
            if let Some(index) = &mut index {
                let value = (op.kind == ValueKind::Put).then_some(&value);
                index.record(&op.key, seq, value);
            }
            // The memtable copies the key; only the value moves in.
            mem.insert(&op.key, seq, op.kind, value);
        };
        // With subscribers the batches' operations move into the events and the memtable
        // shares their values; without, the values move into the memtable.
        let events = match self.feed.capture(first, batches) {
            Ok(captured) => {
                for op in captured.ops() {
                    apply(op, op.value.clone(), seq);
                    seq += 1;
                }
                Some(captured)
            }
            Err(batches) => {
                for batch in batches {
                    for mut op in batch.ops {
                        let value = std::mem::take(&mut op.value);
                        apply(&op, value, seq);
                        seq += 1;
                    }
                }
                None
            }
        };
        drop(index);
        let last = seq - 1;
        wal.last_seq = last;
        // Release: a reader that loads `last` (Acquire) sees every insert above.
        self.visible_seq.store(last, Ordering::Release);
        self.feed.publish(events);

        let s = &self.stats;
        s.batches.fetch_add(group.len() as u64, Ordering::Relaxed);
        s.writes.fetch_add(ops, Ordering::Relaxed);
        s.user_bytes.fetch_add(user_bytes, Ordering::Relaxed);
        s.wal_bytes.fetch_add(wal_bytes, Ordering::Relaxed);
        s.wal_groups.fetch_add(1, Ordering::Relaxed);
        if synced {
            s.wal_syncs.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Make sure the active memtable can take a group; freeze it when full; apply flow
    /// control. Called by the leader with the WAL lock held.
    fn make_room(&self, wal: &mut WalState) -> Result<()> {
        let mut slowed = false;
        let mut stalled_since: Option<Instant> = None;
        let result = loop {
            if let Err(e) = self.check_writable() {
                break Err(e);
            }
            // A guard, not an `Arc` clone: this runs for every write group.
            let sv = self.sv.load();
            let full = sv.mem.table.approximate_bytes() >= self.opts.memtable_size;
            if !self.opts.auto_compaction {
                // No background work: the writer flushes inline (the ancestor's first stage).
                if full {
                    self.switch_memtable(wal)?;
                    self.flush_all_frozen()?;
                }
                break Ok(());
            }
            // Without compaction L0 only grows: flow control by L0 count would stop for good.
            let l0 = if self.opts.compaction {
                sv.version.levels[0].len()
            } else {
                0
            };
            if l0 >= self.opts.l0_stop_trigger
                || (full && sv.imm.len() >= self.opts.max_immutable_memtables)
            {
                if stalled_since.is_none() {
                    tracing::info!(
                        l0_tables = l0,
                        frozen_memtables = sv.imm.len(),
                        "write stall: waiting for flush/compaction"
                    );
                    self.stats.stalls.fetch_add(1, Ordering::Relaxed);
                    stalled_since = Some(Instant::now());
                }
                drop(sv); // don't pin the old super-version (and its memtables) while waiting
                let state = lock(&self.state);
                self.state_cv.notify_all();
                let _ = self.state_cv.wait_timeout(state, STALL_RECHECK);
                continue;
            }
            if l0 >= self.opts.l0_slowdown_trigger && !slowed {
                drop(sv);
                slowed = true;
                self.stats.stalls.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                std::thread::sleep(Duration::from_millis(1));
                self.stats
                    .stall_micros
                    .fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
                continue;
            }
            if full {
                self.switch_memtable(wal)?;
            }
            break Ok(());
        };
        if let Some(t) = stalled_since {
            let waited = t.elapsed();
            self.stats
                .stall_micros
                .fetch_add(waited.as_micros() as u64, Ordering::Relaxed);
            tracing::info!(waited_ms = waited.as_millis() as u64, "write stall over");
        }
        result
    }

    /// Freeze the active memtable and start a new one with a new WAL segment. Called with the
    /// WAL lock held (by the leader, or by `flush`).
    pub(crate) fn switch_memtable(&self, wal: &mut WalState) -> Result<()> {
        let number = self.new_file_number();
        let path = segment_path(&self.dir, number);
        let fresh = LogWriter::create_in(self.fs().clone(), &path, WAL_MAGIC).and_then(|log| {
            fsutil::sync_dir_in(self.fs().as_ref(), &self.dir)?;
            Ok(log)
        });
        let fresh = match fresh {
            Ok(log) => log,
            Err(e) => {
                self.fail(&e);
                return Err(e);
            }
        };
        let mut old = std::mem::replace(&mut wal.log, fresh);
        // The frozen segment is complete: make it as durable as the policy promises.
        let done = match self.opts.sync {
            SyncPolicy::None | SyncPolicy::Buffered { .. } => old.flush(),
            SyncPolicy::EveryWrite | SyncPolicy::GroupCommit { .. } => old.sync(),
        };
        if let Err(e) = done {
            self.fail(&e);
            return Err(e);
        }
        wal.number = number;
        let mem = Arc::new(MemGen {
            table: new_memtable(self.opts.memtable),
            wal_number: number,
        });
        let state = lock(&self.state);
        let cur = self.sv.load_full();
        let mut imm = Vec::with_capacity(cur.imm.len() + 1);
        imm.push(cur.mem.clone());
        imm.extend(cur.imm.iter().cloned());
        tracing::debug!(
            frozen_bytes = cur.mem.table.approximate_bytes(),
            frozen = imm.len(),
            segment = number,
            "memtable frozen"
        );
        self.sv.store(Arc::new(SuperVersion {
            mem,
            imm,
            version: cur.version.clone(),
        }));
        drop(state);
        self.state_cv.notify_all();
        Ok(())
    }

    /// Under [`SyncPolicy::Buffered`], hand the WAL buffer to the OS if it is older than
    /// `max_delay` (called by idle workers). Never waits for the WAL lock.
    pub(crate) fn flush_buffered_wal(&self) -> Result<()> {
        let SyncPolicy::Buffered { max_delay } = self.opts.sync else {
            return Ok(());
        };
        let Ok(mut wal) = self.wal.try_lock() else {
            return Ok(()); // a leader holds it and checks the delay itself
        };
        if wal.log.buffered() > 0 && wal.flushed_at.elapsed() >= max_delay {
            wal.flushed_at = Instant::now();
            wal.log.flush()?;
        }
        Ok(())
    }

    /// Write the WAL buffer to the OS and `fdatasync` it.
    pub(crate) fn sync_wal(&self) -> Result<()> {
        let mut wal = lock(&self.wal);
        wal.flushed_at = Instant::now();
        let result = wal.log.sync();
        if result.is_ok() {
            self.stats.wal_syncs.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// Stop background work, sync the WAL, refuse further operations.
    pub(crate) fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.feed.close();
        {
            let mut state = lock(&self.state);
            state.closing = true;
        }
        self.state_cv.notify_all();
        let workers: Vec<_> = lock(&self.workers).drain(..).collect();
        for w in workers {
            let _ = w.join();
        }
        // A `flush()` or `compact()` running on a user thread finishes its current step (the
        // next one sees `closing`); wait for it, so nothing writes to the directory after the
        // lock is released below.
        {
            let mut state = lock(&self.state);
            while state.flushing || state.compacting {
                state = self
                    .state_cv
                    .wait_timeout(state, STALL_RECHECK)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
        let mut wal = lock(&self.wal);
        let synced = wal.log.sync();
        drop(wal);
        // Release the directory: the database can be opened again while this handle lives.
        lock(&self.dir_lock).take();
        tracing::info!(dir = %self.dir.display(), "database closed");
        synced
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followers_of_a_failed_group_get_the_leaders_io_error() {
        let leader = Error::Io {
            path: "/db/000007.wal".into(),
            source: std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full"),
        };
        match follower_error(&leader) {
            Error::Io { path, source } => {
                assert_eq!(path, std::path::Path::new("/db/000007.wal"));
                assert_eq!(source.kind(), std::io::ErrorKind::StorageFull);
                assert_eq!(source.to_string(), "disk full");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(follower_error(&Error::Closed), Error::Closed));
        assert!(matches!(
            follower_error(&Error::Background("x".into())),
            Error::Background(w) if w == "x"
        ));
        assert!(matches!(
            follower_error(&Error::corruption("/db/a", 3, "bad")),
            Error::Background(w) if w.contains("bad")
        ));
    }
}
