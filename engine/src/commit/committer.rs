//! [`Committer`]: the writer queue, the group leader's commit, the in-flight groups' ordered
//! publish, and the memtable switch with flow control. The steps are in the module
//! documentation of `commit/mod.rs`.

use super::group::{
    follower_error, insert_batch, record_batch, Group, InsertTask, Pending, DONE, INSERT, LEADER,
    WAITING,
};
use super::wal_state::WalState;
use super::MAX_GROUP_BYTES;
use crate::background::Flusher;
use crate::batch::WriteBatch;
use crate::control::{lock, Control};
use crate::feed::{Event, Feed};
use crate::fs::{segment_name, Dir, IoJob};
use crate::handoff::{wait_until, Waited};
use crate::options::{Options, SyncPolicy};
use crate::recent::RecentWrites;
use crate::stats::Counters;
use crate::tables::{MemGen, TableSet};
use crate::types::SeqNo;
use crate::visibility::Visibility;
use crate::wal::{LogWriter, MAX_RECORD_LEN, WAL_MAGIC};
use crate::{Error, Result};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a stopped writer sleeps before re-checking (it is also woken by background work).
const STALL_RECHECK: Duration = Duration::from_millis(50);

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
    /// The writers, the leader first.
    queue: Mutex<VecDeque<Arc<Pending>>>,
    wal: Mutex<WalState>,
    /// Groups written to the WAL and not yet published, in sequence order (parallel inserts
    /// only; pushed under the WAL lock).
    in_flight: Mutex<VecDeque<Arc<Group>>>,
}

impl Committer {
    /// A committer over the recovered log.
    pub(crate) fn new(parts: Parts, wal: WalState) -> Committer {
        Committer {
            parts,
            queue: Mutex::new(VecDeque::new()),
            wal: Mutex::new(wal),
            in_flight: Mutex::new(VecDeque::new()),
        }
    }

    /// The WAL's sync policy.
    pub(crate) fn sync_policy(&self) -> SyncPolicy {
        self.parts.opts.sync
    }

    /// Wait (see `handoff.rs`) and count how the wait ended.
    /// A condition already true is no hand-off: it is neither waited for nor counted (a lone
    /// writer would otherwise pay two shared counter updates per write for nothing).
    fn wait(&self, mut done: impl FnMut() -> bool) {
        if done() {
            return;
        }
        let s = &self.parts.stats;
        // Relaxed: statistics only.
        match wait_until(done) {
            Waited::Spun => s.waits_spun.fetch_add(1, Ordering::Relaxed),
            Waited::Yielded => s.waits_yielded.fetch_add(1, Ordering::Relaxed),
            Waited::Parked => s.waits_parked.fetch_add(1, Ordering::Relaxed),
        };
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
        let me = Arc::new(Pending::new(batch, len));
        {
            let mut queue = lock(&self.queue);
            queue.push_back(me.clone());
            if queue.len() == 1 {
                // Nobody leads: this writer does, at once (`set` is for another thread).
                me.set(LEADER);
            }
        }
        self.wait(|| me.state() != WAITING);
        match me.state() {
            LEADER => self.lead(&me),
            INSERT => self.insert_own(&me),
            _ => {}
        }
        self.wait(|| me.state() == DONE);
        let result = lock(&me.result).take();
        result.expect("a writer is DONE only with its result")
    }

    /// A follower inserts its own batch where the leader said.
    fn insert_own(&self, me: &Pending) {
        let task = lock(&me.task).take().expect("INSERT comes with a task");
        let batch = std::mem::take(&mut *lock(&me.batch));
        let group = task.run(batch);
        if group.inserted() {
            self.publish_ready();
        }
    }

    /// Lead a group from the front of the queue (`me` is the front); see the module
    /// documentation. Every member, `me` included, is `DONE` or inserting when it returns.
    fn lead(&self, me: &Arc<Pending>) {
        if let SyncPolicy::GroupCommit { max_delay } = self.parts.opts.sync {
            if !max_delay.is_zero() {
                std::thread::sleep(max_delay);
            }
        }
        let members: Vec<Arc<Pending>> = {
            let queue = lock(&self.queue);
            let mut bytes = 0;
            let limit = if self.parts.opts.group_commit {
                usize::MAX
            } else {
                1
            };
            queue
                .iter()
                .take(limit)
                .take_while(|p| {
                    bytes += p.bytes;
                    bytes <= MAX_GROUP_BYTES || Arc::ptr_eq(p, me)
                })
                .cloned()
                .collect()
        };
        debug_assert!(Arc::ptr_eq(&members[0], me), "the leader is the front");

        let committed = self.commit_group(&members);

        // Hand the queue on: the next leader's WAL write overlaps this group's inserts (with
        // parallel inserts) or its wake-ups.
        let next = {
            let mut queue = lock(&self.queue);
            for p in &members {
                let popped = queue.pop_front().expect("group members are queued");
                debug_assert!(Arc::ptr_eq(&popped, p));
            }
            queue.front().cloned()
        };
        if let Some(next) = next {
            next.set(LEADER);
        }
        match committed {
            Err(e) => {
                for p in &members[1..] {
                    p.finish(Err(follower_error(&e)));
                }
                me.finish(Err(e));
            }
            Ok(None) => {
                for p in &members {
                    p.finish(Ok(()));
                }
            }
            Ok(Some(task)) => {
                for p in &members[1..] {
                    p.set(INSERT);
                }
                let batch = std::mem::take(&mut *lock(&me.batch));
                if task.run(batch).inserted() {
                    self.publish_ready();
                }
            }
        }
    }

    /// Under the WAL lock: make room, append the group's WAL records, and either insert and
    /// publish the whole group (`Ok(None)`: the leader inserts) or hand out the inserts
    /// (`Ok(Some(task))`: the leader's own task; every follower has its task, the group is in
    /// flight). On `Err` nothing of the group is in the memtable or visible.
    fn commit_group(&self, members: &[Arc<Pending>]) -> Result<Option<InsertTask>> {
        let mut wal = lock(&self.wal);
        self.parts.control.check_writable()?;
        self.make_room(&mut wal)?;

        // The leader reads every batch of the group (nobody else touches a queued batch until
        // it is told to insert it).
        let mut batches: Vec<MutexGuard<'_, WriteBatch>> =
            members.iter().map(|p| lock(&p.batch)).collect();
        let first = wal.last_seq + 1;
        let ops: u64 = batches.iter().map(|b| b.len() as u64).sum();
        let last = first + ops - 1;
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
        wal.last_seq = last;
        self.count_group(members.len() as u64, ops, user_bytes, wal_bytes);

        let watched = self.parts.feed.is_watched();
        let sv = self.parts.tables.current();
        let mut recent = self.parts.recent.as_deref().map(RecentWrites::recorder);
        if !self.parts.opts.parallel_memtable_writes {
            // The leader inserts every batch in sequence order and publishes, all under the
            // WAL lock: groups never overlap.
            let mut events = Vec::new();
            let mut seq = first;
            for batch in &mut batches {
                let n = batch.len() as u64;
                let batch = std::mem::take(&mut **batch);
                let mem = sv.mem.table.as_ref();
                if let Some(ops) = insert_batch(mem, recent.as_mut(), seq, batch, watched) {
                    events.push(Event {
                        seq,
                        ops: ops.into(),
                    });
                }
                seq += n;
            }
            self.parts.visibility.publish(last);
            self.parts.feed.publish(events);
            return Ok(None);
        }
        // Record the whole group in the recent-writes map here, in sequence order across
        // groups (an entry is only read at a published sequence number).
        if let Some(recent) = recent.as_mut() {
            let mut seq = first;
            for batch in &batches {
                record_batch(recent, seq, batch);
                seq += batch.len() as u64;
            }
        }
        let group = Arc::new(Group {
            members: members.to_vec(),
            last,
            remaining: AtomicUsize::new(members.len()),
            events: Mutex::new(Vec::new()),
        });
        let task = |first| InsertTask {
            mem: sv.mem.table.clone(),
            first,
            keep: watched,
            group: group.clone(),
        };
        let mut seq = first + batches[0].len() as u64;
        for (p, batch) in members.iter().zip(&batches).skip(1) {
            *lock(&p.task) = Some(task(seq));
            seq += batch.len() as u64;
        }
        let own = task(first);
        // In WAL order: groups publish in the order they were written.
        lock(&self.in_flight).push_back(group.clone());
        if members.len() > 1 {
            self.parts
                .stats
                .parallel_inserts
                .fetch_add(members.len() as u64 - 1, Ordering::Relaxed);
        }
        Ok(Some(own))
    }

    /// Publish every in-flight group at the front whose inserts are all done: its events to
    /// the change feed and its last sequence number to readers, in sequence order; then wake
    /// its writers. Called by whoever finishes a group's last insert.
    fn publish_ready(&self) {
        let mut published = Vec::new();
        {
            let mut in_flight = lock(&self.in_flight);
            while in_flight.front().is_some_and(|g| g.inserted()) {
                let group = in_flight.pop_front().expect("checked above");
                let mut events = std::mem::take(&mut *lock(&group.events));
                events.sort_unstable_by_key(|e| e.seq);
                self.parts.visibility.publish(group.last);
                self.parts.feed.publish(events);
                published.push(group);
            }
        }
        for group in published {
            for p in &group.members {
                p.finish(Ok(()));
            }
        }
    }

    /// Wait until every group written to the WAL is published (none in flight). Called with
    /// the WAL lock held, so no new group starts meanwhile; rare (a memtable switch, a
    /// change-feed subscription), and the groups in flight only have their inserts left.
    fn drain(&self, wal: &WalState) {
        let start = Instant::now();
        while self.parts.visibility.visible() < wal.last_seq {
            if start.elapsed() < Duration::from_micros(100) {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(50));
            }
        }
    }

    fn count_group(&self, batches: u64, ops: u64, user_bytes: u64, wal_bytes: u64) {
        // Relaxed: statistics only.
        let s = &self.parts.stats;
        s.batches.fetch_add(batches, Ordering::Relaxed);
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
        // The frozen memtable must hold exactly its segment's writes before a flush may
        // make the segment obsolete: let the groups in flight finish their inserts.
        self.drain(wal);
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
            table: self.parts.opts.new_memtable(),
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
        self.drain(&wal);
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

    /// Run `register` at a commit boundary: under the WAL lock, with no group in flight and
    /// the WAL buffer handed to the OS, so no group is between its WAL append and its publish. Returns the last
    /// committed sequence number, the active segment's number and its length — every batch
    /// up to that sequence number is in the segments on disk, every later one is published
    /// after `register` ran (the change feed's hand-over).
    pub(crate) fn at_boundary(
        &self,
        register: impl FnOnce() -> Result<()>,
    ) -> Result<(SeqNo, u64, u64)> {
        let mut wal = lock(&self.wal);
        self.drain(&wal);
        if let Err(e) = wal.log.flush() {
            self.parts.control.fail(&e);
            return Err(e);
        }
        register()?;
        Ok((wal.last_seq, wal.number, wal.log.len()))
    }
}
