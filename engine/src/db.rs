//! The database handle: the public API and the shared state behind it.
//!
//! [`Db`] is the user's handle; everything it owns lives in [`Inner`], shared with the
//! background workers through an `Arc`. The read side never takes a lock the write side
//! holds: a reader loads the current [`SuperVersion`] (an `Arc` swapped atomically: active
//! memtable, frozen memtables, table version) and *then* the last visible sequence number —
//! in that order, so that a compaction that finished in between cannot have dropped a version
//! the reader's sequence needs (RocksDB documents the same order). Writers queue for group
//! commit (`write.rs`); flushes and compactions run on worker threads (`flush.rs`,
//! `compaction.rs`); opening replays the WAL (`recovery.rs`).

use crate::batch::{validate_key, WriteBatch};
use crate::cache::Cache;
use crate::feed::Subscription;
use crate::iter::DbIter;
use crate::memtable::MemTable;
use crate::options::Options;
use crate::stats::{Counters, DbStats};
use crate::types::SeqNo;
use crate::version::{Manifest, Version};
use crate::wal::record::LogWriter;
use crate::{fsutil, Error, Result};
use arc_swap::ArcSwap;
use bytes::Bytes;
use std::collections::{BTreeMap, VecDeque};
use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// A memtable and the WAL segment its writes were logged to.
pub(crate) struct MemGen {
    pub table: Arc<dyn MemTable>,
    pub wal_number: u64,
}

/// What a reader needs, swapped as one: the memtables and the table version.
pub(crate) struct SuperVersion {
    pub mem: Arc<MemGen>,
    /// Frozen memtables, newest first.
    pub imm: Vec<Arc<MemGen>>,
    pub version: Arc<Version>,
}

/// The WAL writer, owned by the current group-commit leader.
pub(crate) struct WalState {
    pub log: LogWriter,
    pub number: u64,
    pub last_seq: SeqNo,
    pub scratch: Vec<u8>,
    /// When the buffer was last handed to the OS ([`crate::SyncPolicy::Buffered`]).
    pub flushed_at: std::time::Instant,
    /// The point-get index's eviction order (only the leader records).
    pub index_fifo: crate::point_index::IndexFifo,
}

/// Background coordination, under one mutex.
pub(crate) struct State {
    pub manifest: Manifest,
    pub flushing: bool,
    pub compacting: bool,
    pub closing: bool,
    /// Per level, the largest key of the last table compacted from it (round-robin picking).
    pub compact_pointer: Vec<Option<Bytes>>,
}

/// A writer waiting in the group-commit queue.
pub(crate) struct Pending {
    /// Taken by the group leader (see `write.rs`).
    pub batch: Mutex<WriteBatch>,
    /// Upper bound of the batch's WAL encoding.
    pub bytes: usize,
    pub result: Mutex<Option<Result<()>>>,
}

/// Everything a database owns.
pub(crate) struct Inner {
    pub dir: PathBuf,
    pub opts: Options,
    /// Held from open to close.
    pub dir_lock: Mutex<Option<fsutil::DirLock>>,
    pub cache: Arc<dyn Cache>,
    pub sv: ArcSwap<SuperVersion>,
    /// Highest sequence number whose writes are all in the memtables.
    pub visible_seq: AtomicU64,
    pub next_file: AtomicU64,
    pub queue: Mutex<VecDeque<Arc<Pending>>>,
    pub queue_cv: Condvar,
    pub wal: Mutex<WalState>,
    pub state: Mutex<State>,
    /// Signalled when a flush or compaction finishes or work arrives.
    pub state_cv: Condvar,
    /// Live snapshots: sequence number → count.
    pub snapshots: Mutex<BTreeMap<SeqNo, usize>>,
    pub stats: Counters,
    pub closed: AtomicBool,
    /// Set when background work or a WAL write failed; writes are refused from then on.
    pub failed: Mutex<Option<String>>,
    /// `failed.is_some()`, readable without the lock: checked on every write.
    pub has_failed: AtomicBool,
    pub workers: Mutex<Vec<JoinHandle<()>>>,
    /// Change-feed subscribers (`feed.rs`).
    pub feed: Arc<crate::feed::Feed>,
    /// The point-get index, when `opts.point_index_bytes > 0` (`point_index.rs`).
    pub point_index: Option<crate::point_index::PointIndex>,
    /// The event-statistics projection's tallies, set at open when `opts.event_stats`.
    pub event_stats: std::sync::OnceLock<Arc<crate::projection::EventStatsCell>>,
}

/// Lock a mutex, ignoring poisoning: every critical section leaves its data consistent
/// before doing anything that can panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    pub(crate) fn check_open(&self) -> Result<()> {
        // Acquire pairs with the Release in `close`: a thread that sees `closed` sees the
        // shutdown that preceded it.
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        self.check_open()?;
        // Acquire pairs with the Release in `fail`: the reason is set before the flag.
        if !self.has_failed.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some(why) = lock(&self.failed).as_ref() {
            return Err(Error::Background(why.clone()));
        }
        Ok(())
    }

    /// Record a background failure: the database refuses writes until reopened.
    pub(crate) fn fail(&self, err: &Error) {
        tracing::error!(error = %err, "background failure; database is now read-only");
        let mut failed = lock(&self.failed);
        if failed.is_none() {
            *failed = Some(err.to_string());
        }
        self.has_failed.store(true, Ordering::Release);
        drop(failed);
        self.state_cv.notify_all();
    }

    /// Smallest sequence number any reader may still read at.
    pub(crate) fn smallest_snapshot(&self) -> SeqNo {
        let snaps = lock(&self.snapshots);
        let visible = self.visible_seq.load(Ordering::Acquire);
        snaps.keys().next().copied().unwrap_or(visible).min(visible)
    }

    /// The file system the database lives on ([`Options::file_system`]).
    pub(crate) fn fs(&self) -> &Arc<dyn crate::fs::FileSystem> {
        &self.opts.file_system
    }

    pub(crate) fn new_file_number(&self) -> u64 {
        // Relaxed: only uniqueness matters; the number reaches the manifest under `state`.
        self.next_file.fetch_add(1, Ordering::Relaxed)
    }
}

/// An open database. Share it between threads with `Arc<Db>`; every method takes `&self`.
///
/// Dropping the handle closes the database: background work stops after its current step
/// and the WAL is synced. Unflushed writes are in the WAL and come back on the next open.
pub struct Db {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("dir", &self.inner.dir).finish()
    }
}

impl Db {
    /// Open (or create) the database in directory `path`.
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Db> {
        crate::recovery::open(path.as_ref(), opts)
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    /// The options the database was opened with.
    pub fn options(&self) -> &Options {
        &self.inner.opts
    }

    /// Set `key` to `value`.
    pub fn put(&self, key: impl Into<Bytes>, value: impl Into<Bytes>) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.put(key, value);
        self.write(batch)
    }

    /// Remove `key` (a tombstone; removing an absent key is not an error).
    pub fn delete(&self, key: impl Into<Bytes>) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete(key);
        self.write(batch)
    }

    /// Apply every operation of `batch`, atomically: readers see all of it or none.
    pub fn write(&self, batch: WriteBatch) -> Result<()> {
        self.inner.write(batch)
    }

    /// The current value of `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        let key = key.as_ref();
        self.inner.check_open()?;
        validate_key(key)?;
        self.inner.get(key, None)
    }

    /// Entries with keys in `range`, in key order, as of now (later writes are not seen).
    pub fn scan<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> Result<DbIter> {
        self.inner.check_open()?;
        self.inner.scan(to_bounds(&range), None)
    }

    /// Every entry, in key order (`scan(..)` needs a key type; this does not).
    pub fn iter(&self) -> Result<DbIter> {
        self.inner.check_open()?;
        self.inner.scan((Bound::Unbounded, Bound::Unbounded), None)
    }

    /// Entries whose keys start with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Result<DbIter> {
        self.inner.check_open()?;
        self.inner.scan(prefix_bounds(prefix.as_ref()), None)
    }

    /// A consistent read view at the current sequence number, kept until dropped (compaction
    /// keeps the versions it needs).
    pub fn snapshot(&self) -> Result<Snapshot<'_>> {
        self.inner.check_open()?;
        let mut snaps = lock(&self.inner.snapshots);
        let seq = self.inner.visible_seq.load(Ordering::Acquire);
        *snaps.entry(seq).or_insert(0) += 1;
        Ok(Snapshot { db: self, seq })
    }

    /// Freeze the active memtable (if it holds anything) and write every frozen memtable to
    /// an L0 table; returns when they are durable in the manifest.
    pub fn flush(&self) -> Result<()> {
        self.inner.check_writable()?;
        self.inner.flush_all()
    }

    /// Flush, then compact every level down into the last one (tombstones and overwritten
    /// versions no snapshot needs are dropped). Returns when done.
    pub fn compact(&self) -> Result<()> {
        self.inner.check_writable()?;
        self.inner.flush_all()?;
        self.inner.compact_all()
    }

    /// Make every acknowledged write durable now: hand the WAL buffer to the OS and
    /// `fdatasync` it, whatever the sync policy.
    pub fn sync_wal(&self) -> Result<()> {
        self.inner.check_writable()?;
        self.inner.sync_wal()
    }

    /// Counters and shape of the database.
    pub fn stats(&self) -> DbStats {
        let inner = &self.inner;
        let mut out = DbStats::default();
        inner.stats.fill(&mut out);
        let sv = inner.sv.load();
        out.files_per_level = sv.version.files_per_level();
        out.bytes_per_level = sv.version.bytes_per_level();
        out.immutable_memtables = sv.imm.len();
        out.memtable_bytes = sv.mem.table.approximate_bytes() as u64;
        out.memtable = sv.mem.table.name();
        let cache = inner.cache.stats();
        out.cache_blocks = inner.cache.len();
        out.cache_hits = cache.hits;
        out.cache_misses = cache.misses;
        out.last_seq = inner.visible_seq.load(Ordering::Acquire);
        // The engine's own statistics handler is not a user's subscription.
        let own = usize::from(inner.event_stats.get().is_some());
        out.feed_subscribers = inner.feed.subscribers().saturating_sub(own);
        out.events = inner.event_stats.get().map(|cell| cell.snapshot());
        out.point_index_keys = inner.point_index.as_ref().map_or(0, |ix| ix.len());
        out
    }

    /// Check every checksum of every table; returns the number of tables checked.
    pub fn verify(&self) -> Result<usize> {
        self.inner.check_open()?;
        let sv = self.inner.sv.load_full();
        let mut n = 0;
        for level in &sv.version.levels {
            for t in level {
                t.table.verify()?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Subscribe to the change feed: every committed batch with first sequence number
    /// `>= from`, in order — first replayed from the WAL segments still on disk (a
    /// [`crate::FeedItem::Gap`] first if some are gone), then live, queueing at most `capacity` live
    /// events (a slow subscriber gets [`crate::FeedItem::Lagged`] instead of blocking writers).
    /// Ends when the database closes. See the `feed` module for the exact semantics.
    ///
    /// Errors: [`Error::Closed`], [`Error::InvalidOptions`] for `capacity == 0`, and the
    /// errors of reading the WAL segments.
    pub fn subscribe(&self, from: SeqNo, capacity: usize) -> Result<Subscription> {
        self.inner.subscribe(from, capacity)
    }

    /// Run `handler` on a new thread for every item of [`Db::subscribe`]`(from, capacity)`,
    /// in order, until the database closes (the thread then ends; join the returned handle to
    /// wait for it). The handler sees `Gap` and `Lagged` items too: a slow handler loses
    /// events rather than blocking writers.
    pub fn on_event(
        &self,
        from: SeqNo,
        capacity: usize,
        handler: impl FnMut(&crate::FeedItem) + Send + 'static,
    ) -> Result<JoinHandle<()>> {
        let sub = self.subscribe(from, capacity)?;
        crate::feed::spawn_handler(sub, handler)
    }

    /// Stop background work, sync the WAL and refuse further operations. Dropping the handle
    /// does the same; `close` reports errors that drop has to swallow.
    pub fn close(&self) -> Result<()> {
        self.inner.close()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Err(e) = self.inner.close() {
            tracing::warn!(error = %e, "error while closing the database");
        }
    }
}

/// A read view at a fixed sequence number. See [`Db::snapshot`].
pub struct Snapshot<'a> {
    db: &'a Db,
    seq: SeqNo,
}

impl Snapshot<'_> {
    /// The sequence number this snapshot reads at.
    pub fn seq(&self) -> SeqNo {
        self.seq
    }

    /// The value of `key` as of the snapshot.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        let key = key.as_ref();
        self.db.inner.check_open()?;
        validate_key(key)?;
        self.db.inner.get(key, Some(self.seq))
    }

    /// Entries in `range` as of the snapshot.
    pub fn scan<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> Result<DbIter> {
        self.db.inner.check_open()?;
        self.db.inner.scan(to_bounds(&range), Some(self.seq))
    }

    /// Every entry as of the snapshot.
    pub fn iter(&self) -> Result<DbIter> {
        self.db.inner.check_open()?;
        self.db
            .inner
            .scan((Bound::Unbounded, Bound::Unbounded), Some(self.seq))
    }

    /// Entries with `prefix` as of the snapshot.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Result<DbIter> {
        self.db.inner.check_open()?;
        self.db
            .inner
            .scan(prefix_bounds(prefix.as_ref()), Some(self.seq))
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        let mut snaps = lock(&self.db.inner.snapshots);
        if let Some(n) = snaps.get_mut(&self.seq) {
            *n -= 1;
            if *n == 0 {
                snaps.remove(&self.seq);
            }
        }
    }
}

fn to_bounds<K: AsRef<[u8]>>(range: &impl RangeBounds<K>) -> (Bound<Bytes>, Bound<Bytes>) {
    let conv = |b: Bound<&K>| match b {
        Bound::Included(k) => Bound::Included(Bytes::copy_from_slice(k.as_ref())),
        Bound::Excluded(k) => Bound::Excluded(Bytes::copy_from_slice(k.as_ref())),
        Bound::Unbounded => Bound::Unbounded,
    };
    (conv(range.start_bound()), conv(range.end_bound()))
}

/// `[prefix, successor(prefix))`, where the successor drops trailing 0xff bytes and
/// increments the last byte (no successor: unbounded above).
fn prefix_bounds(prefix: &[u8]) -> (Bound<Bytes>, Bound<Bytes>) {
    let lower = if prefix.is_empty() {
        Bound::Unbounded
    } else {
        Bound::Included(Bytes::copy_from_slice(prefix))
    };
    let mut succ = prefix.to_vec();
    while let Some(last) = succ.pop() {
        if last != 0xff {
            succ.push(last + 1);
            return (lower, Bound::Excluded(Bytes::from(succ)));
        }
    }
    (lower, Bound::Unbounded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successors() {
        assert_eq!(
            prefix_bounds(b"ab").1,
            Bound::Excluded(Bytes::from_static(b"ac"))
        );
        assert_eq!(
            prefix_bounds(b"a\xff").1,
            Bound::Excluded(Bytes::from_static(b"b"))
        );
        assert_eq!(prefix_bounds(b"\xff\xff").1, Bound::Unbounded);
        assert_eq!(prefix_bounds(b"").0, Bound::Unbounded);
    }
}
