//! The write path in one place: the writer queue, the WAL, the memtable switch, flow control.
//!
//! **A write, start to finish** ([`Committer::write`]):
//! 1. The batch is checked (keys, values, size) and queued ([`Pending`]).
//! 2. The writer at the front of the queue is the *leader*. It takes every batch queued
//!    behind it (up to [`MAX_GROUP_BYTES`]; only its own without group commit) and, holding
//!    the WAL lock ([`WalState`]):
//! 3. makes room ([`Committer::make_room`]): when the active memtable is full it is frozen and
//!    a new WAL segment starts (the two always switch together, so a memtable's writes are
//!    exactly one segment's records); writers are slowed, then stopped, when flushes and
//!    compactions fall behind;
//! 4. gives the group consecutive sequence numbers and appends one WAL record per batch, then
//!    hands the group to the OS in one write (and one `fdatasync` under `EveryWrite` /
//!    `GroupCommit`, or later under `Buffered`) — [`WalState::append_group`];
//! 5. inserts every batch into the active memtable, in sequence order ([`insert_batch`], which
//!    also notes each write in the recent-writes map, `recent.rs`);
//! 6. publishes the group's last sequence number to readers ([`Visibility::publish`]) and
//!    then hands the group's events to change-feed subscribers (`feed.rs`; only when there
//!    are any does the memtable share the values instead of taking them);
//! 7. pops the group and wakes its followers with the group's result.
//!
//! This is LevelDB's writer queue; a lone writer pays one uncontended lock for it. The leader
//! inserts every batch itself (step 5) — with `insert_batch` the unit of insertion, a writer
//! can insert its own batch instead once groups publish in order behind a countdown (RocksDB's
//! concurrent memtable writes).
//!
//! **Flow control** (step 3), so memory stays bounded:
//! - L0 has `l0_slowdown_trigger` tables: the group is delayed 1 ms (once);
//! - L0 has `l0_stop_trigger` tables, or `max_immutable_memtables` frozen memtables wait for
//!   flush while the active one is full: writers wait until a flush or compaction finishes.
//!
//! Without background workers (`Options::auto_compaction(false)`) the leader flushes the
//! frozen memtable itself. Stall time and count are in [`crate::DbStats`]; a `tracing` event
//! marks each stop.
//!
//! **After a WAL failure** the segment's tail is unknown: a prefix of the group's records may
//! be in the file (a short write), or all of it (a failed `fdatasync` after a complete
//! `write`). Another record appended after a torn one would turn that torn tail into
//! corruption in the middle of the log at recovery, and after a failed `fdatasync` the kernel
//! may have dropped pages written earlier. So, as LevelDB and RocksDB do, the database then
//! refuses every later write until it is reopened, while reads keep working on what was
//! acknowledged. Every acknowledged write survives a reopen; a group whose commit reported an
//! error is, per batch, all-or-nothing after the reopen (each batch is one checksummed record:
//! recovery keeps it whole or drops it as a torn tail).

use crate::background::Flusher;
use crate::batch::{BatchOp, WriteBatch};
use crate::control::{lock, Control};
use crate::feed::{Event, Feed};
use crate::fs::{segment_name, Dir, IoJob};
use crate::memtable::{new_memtable, MemTable};
use crate::options::{Options, SyncPolicy, BUFFERED_WAL_BYTES};
use crate::recent::{RecentWrites, Recorder};
use crate::stats::Counters;
use crate::tables::{MemGen, TableSet};
use crate::types::{SeqNo, ValueKind};
use crate::visibility::Visibility;
use crate::wal::{LogWriter, MAX_RECORD_LEN, WAL_MAGIC};
use crate::{Error, Result};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Largest group a leader commits at once (bytes of batch payload).
pub const MAX_GROUP_BYTES: usize = 1 << 20;

/// How long a stopped writer sleeps before re-checking (it is also woken by background work).
const STALL_RECHECK: Duration = Duration::from_millis(50);

/// A writer waiting in the queue.
struct Pending {
    /// Taken by the group leader.
    batch: Mutex<WriteBatch>,
    /// Upper bound of the batch's WAL encoding.
    bytes: usize,
    /// Set by the leader when the group is done.
    result: Mutex<Option<Result<()>>>,
}

/// The WAL writer, owned by the current group leader (or by whoever holds the lock).
pub(crate) struct WalState {
    log: LogWriter,
    /// The active segment's number.
    number: u64,
    /// The last sequence number written to the log.
    last_seq: SeqNo,
    /// Reused encoding buffer.
    scratch: Vec<u8>,
    /// When the buffer was last handed to the OS ([`SyncPolicy::Buffered`]).
    flushed_at: Instant,
}

impl WalState {
    /// The recovered log: segment `number`, sequence numbers up to `last_seq` taken.
    pub(crate) fn new(log: LogWriter, number: u64, last_seq: SeqNo) -> WalState {
        WalState {
            log,
            number,
            last_seq,
            scratch: Vec::new(),
            flushed_at: Instant::now(),
        }
    }

    /// Append one record per batch (the first operation numbered `first`) and make them as
    /// durable as `opts.sync` promises. Returns the bytes appended. On `Err` the log is
    /// failed: the caller refuses writes from then on.
    fn append_group(
        &mut self,
        batches: &[WriteBatch],
        first: SeqNo,
        opts: &Options,
    ) -> Result<u64> {
        let before = self.log.len();
        let mut seq = first;
        for batch in batches {
            self.scratch.clear();
            batch.encode_into(seq, opts.wal_format, &mut self.scratch);
            seq += batch.len() as u64;
            self.log.append(&self.scratch)?;
        }
        match opts.sync {
            SyncPolicy::None => self.log.flush()?,
            SyncPolicy::Buffered { max_delay } => {
                if self.log.buffered() >= BUFFERED_WAL_BYTES
                    || self.flushed_at.elapsed() >= max_delay
                {
                    self.flushed_at = Instant::now();
                    self.log.flush()?;
                }
            }
            SyncPolicy::EveryWrite | SyncPolicy::GroupCommit { .. } => self.log.sync()?,
        }
        if opts.wal_reopen_per_write {
            self.log.release()?;
        }
        Ok(self.log.len() - before)
    }
}

/// What a [`Committer`] works with (built by `engine.rs`).
pub(crate) struct Parts {
    pub opts: Arc<Options>,
    pub dir: Dir,
    pub control: Arc<Control>,
    pub tables: Arc<TableSet>,
    pub visibility: Arc<Visibility>,
    /// Flushes inline when there are no background workers.
    pub flusher: Arc<Flusher>,
    pub feed: Arc<Feed>,
    pub recent: Option<Arc<RecentWrites>>,
    pub stats: Arc<Counters>,
}

/// See the module documentation.
pub(crate) struct Committer {
    parts: Parts,
    queue: Mutex<VecDeque<Arc<Pending>>>,
    queue_cv: Condvar,
    wal: Mutex<WalState>,
}

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

/// Insert `batch`, whose first operation has sequence number `first`, into `mem`, noting each
/// write in the recent-writes map; the unit of memtable insertion. The memtable copies the
/// key. With `keep` the memtable shares each value (a reference count) and the operations
/// come back (for the change feed's event); without, the values move in.
fn insert_batch(
    mem: &dyn MemTable,
    recent: &mut Option<Recorder<'_>>,
    first: SeqNo,
    batch: WriteBatch,
    keep: bool,
) -> Option<Vec<BatchOp>> {
    let mut ops = batch.into_ops();
    for (seq, op) in (first..).zip(ops.iter_mut()) {
        if let Some(recent) = recent {
            let value = (op.kind == ValueKind::Put).then_some(&op.value);
            recent.record(&op.key, seq, value);
        }
        let value = if keep {
            op.value.clone()
        } else {
            std::mem::take(&mut op.value)
        };
        mem.insert(&op.key, seq, op.kind, value);
    }
    keep.then_some(ops)
}

impl Committer {
    /// A committer over the recovered log.
    pub(crate) fn new(parts: Parts, wal: WalState) -> Committer {
        Committer {
            parts,
            queue: Mutex::new(VecDeque::new()),
            queue_cv: Condvar::new(),
            wal: Mutex::new(wal),
        }
    }

    /// The WAL's sync policy.
    pub(crate) fn sync_policy(&self) -> SyncPolicy {
        self.parts.opts.sync
    }

    /// Commit `batch`: see the module documentation.
    pub(crate) fn write(&self, batch: WriteBatch) -> Result<()> {
        self.parts.control.check_writable()?;
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
            bytes: len,
            batch: Mutex::new(batch),
            result: Mutex::new(None),
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
        if let SyncPolicy::GroupCommit { max_delay } = self.parts.opts.sync {
            if !max_delay.is_zero() {
                drop(queue);
                std::thread::sleep(max_delay);
                queue = lock(&self.queue);
            }
        }
        let mut bytes = 0;
        let limit = if self.parts.opts.group_commit {
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

    /// Steps 3–6 for `group` (the leader's own batch first). On `Err` no batch of the group is
    /// visible: the error comes before the memtable inserts and the publish.
    fn commit_group(&self, group: &[Arc<Pending>]) -> Result<()> {
        let mut wal = lock(&self.wal);
        self.parts.control.check_writable()?;
        self.make_room(&mut wal)?;

        // The leader owns the group's batches until it pops them: it takes each one out (the
        // followers wait for their result, not for their batch).
        let batches: Vec<WriteBatch> = group
            .iter()
            .map(|p| std::mem::take(&mut *lock(&p.batch)))
            .collect();
        let first = wal.last_seq + 1;
        let ops: u64 = batches.iter().map(|b| b.len() as u64).sum();
        let user_bytes: u64 = batches.iter().map(|b| b.bytes as u64).sum();
        let wal_bytes = match wal.append_group(&batches, first, &self.parts.opts) {
            Ok(n) => n,
            Err(e) => {
                // The segment's tail is unknown now: refuse writes until reopened (recovery
                // cuts a torn tail).
                self.parts.control.fail(&e);
                return Err(e);
            }
        };

        let watched = self.parts.feed.is_watched();
        let sv = self.parts.tables.current();
        let mut recent = self.parts.recent.as_deref().map(RecentWrites::recorder);
        let mut events = Vec::new();
        let mut seq = first;
        for batch in batches {
            let n = batch.len() as u64;
            if let Some(ops) = insert_batch(sv.mem.table.as_ref(), &mut recent, seq, batch, watched)
            {
                events.push(Event {
                    seq,
                    ops: ops.into(),
                });
            }
            seq += n;
        }
        drop(recent);
        let last = first + ops - 1;
        wal.last_seq = last;
        self.parts.visibility.publish(last);
        self.parts.feed.publish(events);

        let s = &self.parts.stats;
        s.batches.fetch_add(group.len() as u64, Ordering::Relaxed);
        s.writes.fetch_add(ops, Ordering::Relaxed);
        s.user_bytes.fetch_add(user_bytes, Ordering::Relaxed);
        s.wal_bytes.fetch_add(wal_bytes, Ordering::Relaxed);
        s.wal_groups.fetch_add(1, Ordering::Relaxed);
        if matches!(
            self.parts.opts.sync,
            SyncPolicy::EveryWrite | SyncPolicy::GroupCommit { .. }
        ) {
            s.wal_syncs.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Make sure the active memtable can take a group; freeze it when full; apply flow
    /// control. Called by the leader with the WAL lock held.
    fn make_room(&self, wal: &mut WalState) -> Result<()> {
        let opts = &self.parts.opts;
        let mut slowed = false;
        let mut stalled_since: Option<Instant> = None;
        let result = loop {
            if let Err(e) = self.parts.control.check_writable() {
                break Err(e);
            }
            // A guard, not an `Arc` clone: this runs for every write group.
            let sv = self.parts.tables.current();
            let full = sv.mem.table.approximate_bytes() >= opts.memtable_size;
            if !opts.auto_compaction {
                // No background work: the writer flushes inline (the ancestor's first stage).
                if full {
                    drop(sv);
                    self.switch_memtable(wal)?;
                    self.parts.flusher.flush_all_frozen()?;
                }
                break Ok(());
            }
            // Without compaction L0 only grows: flow control by L0 count would stop for good.
            let l0 = if opts.compaction {
                sv.version.levels[0].len()
            } else {
                0
            };
            if l0 >= opts.l0_stop_trigger || (full && sv.imm.len() >= opts.max_immutable_memtables)
            {
                if stalled_since.is_none() {
                    tracing::info!(
                        l0_tables = l0,
                        frozen_memtables = sv.imm.len(),
                        "write stall: waiting for flush/compaction"
                    );
                    self.parts.stats.stalls.fetch_add(1, Ordering::Relaxed);
                    stalled_since = Some(Instant::now());
                }
                drop(sv); // don't pin the old super-version (and its memtables) while waiting
                let jobs = self.parts.control.jobs();
                self.parts.control.notify();
                drop(self.parts.control.wait(jobs, STALL_RECHECK));
                continue;
            }
            if l0 >= opts.l0_slowdown_trigger && !slowed {
                drop(sv);
                slowed = true;
                self.parts.stats.stalls.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                std::thread::sleep(Duration::from_millis(1));
                self.parts
                    .stats
                    .stall_micros
                    .fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
                continue;
            }
            if full {
                drop(sv);
                self.switch_memtable(wal)?;
            }
            break Ok(());
        };
        if let Some(t) = stalled_since {
            let waited = t.elapsed();
            self.parts
                .stats
                .stall_micros
                .fetch_add(waited.as_micros() as u64, Ordering::Relaxed);
            tracing::info!(waited_ms = waited.as_millis() as u64, "write stall over");
        }
        result
    }

    /// Freeze the active memtable and start a new one with a new WAL segment. Called with the
    /// WAL lock held.
    fn switch_memtable(&self, wal: &mut WalState) -> Result<()> {
        let number = self.parts.tables.new_file_number();
        let fresh = LogWriter::create(
            &self.parts.dir,
            &segment_name(number),
            WAL_MAGIC,
            IoJob::Commit,
        )
        .and_then(|log| {
            self.parts.dir.sync()?;
            Ok(log)
        });
        let fresh = match fresh {
            Ok(log) => log,
            Err(e) => {
                self.parts.control.fail(&e);
                return Err(e);
            }
        };
        let mut old = std::mem::replace(&mut wal.log, fresh);
        // The frozen segment is complete: make it as durable as the policy promises.
        let done = match self.parts.opts.sync {
            SyncPolicy::None | SyncPolicy::Buffered { .. } => old.flush(),
            SyncPolicy::EveryWrite | SyncPolicy::GroupCommit { .. } => old.sync(),
        };
        if let Err(e) = done {
            self.parts.control.fail(&e);
            return Err(e);
        }
        wal.number = number;
        let mem = Arc::new(MemGen {
            table: new_memtable(self.parts.opts.memtable),
            wal_number: number,
        });
        let frozen = self.parts.tables.freeze(mem);
        tracing::debug!(
            frozen_bytes = frozen[0].table.approximate_bytes(),
            frozen = frozen.len(),
            segment = number,
            "memtable frozen"
        );
        self.parts.control.notify();
        Ok(())
    }

    /// Freeze the active memtable if it holds anything (`Db::flush`).
    pub(crate) fn freeze(&self) -> Result<()> {
        let mut wal = lock(&self.wal);
        if !self.parts.tables.current().mem.table.is_empty() {
            self.switch_memtable(&mut wal)?;
        }
        Ok(())
    }

    /// Under [`SyncPolicy::Buffered`], hand the WAL buffer to the OS if it is older than
    /// `max_delay` (called by idle workers). Never waits for the WAL lock.
    pub(crate) fn flush_buffered_wal(&self) -> Result<()> {
        let SyncPolicy::Buffered { max_delay } = self.parts.opts.sync else {
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

    /// Write the WAL buffer to the OS and `fdatasync` it (`Db::sync_wal`, and at close).
    pub(crate) fn sync_wal(&self) -> Result<()> {
        let mut wal = lock(&self.wal);
        wal.flushed_at = Instant::now();
        let result = wal.log.sync();
        if result.is_ok() {
            self.parts.stats.wal_syncs.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// Run `register` at a commit boundary: under the WAL lock, with the WAL buffer handed to
    /// the OS, so no group is between its WAL append and its publish. Returns the last
    /// committed sequence number, the active segment's number and its length — every batch
    /// up to that sequence number is in the segments on disk, every later one is published
    /// after `register` ran (the change feed's hand-over).
    pub(crate) fn at_boundary(
        &self,
        register: impl FnOnce() -> Result<()>,
    ) -> Result<(SeqNo, u64, u64)> {
        let mut wal = lock(&self.wal);
        if let Err(e) = wal.log.flush() {
            self.parts.control.fail(&e);
            return Err(e);
        }
        register()?;
        Ok((wal.last_seq, wal.number, wal.log.len()))
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
