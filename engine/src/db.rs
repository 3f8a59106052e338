//! [`Db`]: the database handle, the public API. Each method checks its input and the
//! database's state, then calls the part of the engine that does the work (`engine.rs`).

use crate::batch::WriteBatch;
use crate::engine::Engine;
use crate::feed::{FeedItem, Subscription};
use crate::iter::DbIter;
use crate::key::{prefix_bounds, validate_key, IntoBytes, KeyRange};
use crate::options::Options;
use crate::snapshot::Snapshot;
use crate::stats::DbStats;
use crate::types::SeqNo;
use crate::Result;
use bytes::Bytes;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;

/// An open database. Share it between threads with `Arc<Db>`; every method takes `&self`.
///
/// Dropping the handle closes the database: background work stops after its current step
/// and the WAL is synced. Unflushed writes are in the WAL and come back on the next open.
///
/// ```no_run
/// use ferrolite::{Db, Options};
/// # fn main() -> ferrolite::Result<()> {
/// let db = Db::open("/tmp/ferrolite-doc-db", Options::default())?;
/// let (key, value) = (String::from("k"), vec![1u8, 2, 3]);
/// db.put(&key, &value)?; // borrowed: copied
/// db.put(key, value)?; // owned: moved in
/// for entry in db.scan(..)? {
///     let (k, v) = entry?;
///     println!("{k:?} = {v:?}");
/// }
/// # Ok(()) }
/// ```
pub struct Db {
    engine: Arc<Engine>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("dir", &self.engine.dir.path())
            .finish()
    }
}

impl Db {
    /// Open (or create) the database in directory `path`: see `open/` for what recovery does,
    /// and [`Options`] for every setting.
    ///
    /// Errors: [`crate::Error::InvalidOptions`], [`crate::Error::NotFound`] (no database and
    /// `create_if_missing` off), [`crate::Error::AlreadyExists`] (`error_if_exists`),
    /// [`crate::Error::NotADirectory`], [`crate::Error::Locked`] (another handle, in any
    /// process, has it open), [`crate::Error::Corruption`] and [`crate::Error::Incompatible`]
    /// for damaged files or files of a newer format, [`crate::Error::Io`].
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Db> {
        let started = std::time::Instant::now();
        let path = path.as_ref();
        let span =
            tracing::info_span!("open", dir = %path.display(), memtable = opts.memtable_name());
        let _enter = span.enter();
        let rec = crate::open::recover(path, &opts)?;
        Ok(Db {
            engine: Engine::start(rec, opts, started)?,
        })
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        self.engine.dir.path()
    }

    /// The options the database was opened with.
    pub fn options(&self) -> &Options {
        &self.engine.opts
    }

    /// Set `key` to `value`. Keys and values may be borrowed (copied) or owned (moved in):
    /// see [`IntoBytes`].
    pub fn put(&self, key: impl IntoBytes, value: impl IntoBytes) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.put(key, value);
        self.write(batch)
    }

    /// Remove `key` (a tombstone; removing an absent key is not an error).
    pub fn delete(&self, key: impl IntoBytes) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete(key);
        self.write(batch)
    }

    /// Apply every operation of `batch`, atomically: readers see all of it or none.
    pub fn write(&self, batch: WriteBatch) -> Result<()> {
        self.engine.committer.write(batch)
    }

    /// The current value of `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        let key = key.as_ref();
        self.engine.control.check_open()?;
        validate_key(key)?;
        self.engine.get(key, None)
    }

    /// Entries with keys in `range`, in key order, as of now (later writes are not seen): any
    /// range form over any byte-like key — `..`, `"a".."c"`, `&k1..=&k2`, … ([`KeyRange`]).
    pub fn scan(&self, range: impl KeyRange) -> Result<DbIter> {
        self.engine.control.check_open()?;
        self.engine.scan(range.into_bounds(), None)
    }

    /// Every entry, in key order (the same as `scan(..)`).
    pub fn iter(&self) -> Result<DbIter> {
        self.scan(..)
    }

    /// Entries whose keys start with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Result<DbIter> {
        self.engine.control.check_open()?;
        self.engine.scan(prefix_bounds(prefix.as_ref()), None)
    }

    /// A consistent read view at the current sequence number, kept until dropped (compaction
    /// keeps the versions it needs).
    pub fn snapshot(&self) -> Result<Snapshot<'_>> {
        self.engine.control.check_open()?;
        Ok(Snapshot::new(&self.engine))
    }

    /// [`Db::snapshot`], but owned: it does not borrow the handle, so it can be moved into
    /// a struct or another thread (a SQL transaction holds one). It keeps the engine's memory
    /// alive, not the database open: after [`Db::close`] its reads fail with
    /// [`crate::Error::Closed`].
    pub fn snapshot_owned(&self) -> Result<Snapshot<'static>> {
        self.engine.control.check_open()?;
        Ok(Snapshot::new(&self.engine))
    }

    /// Freeze the active memtable (if it holds anything) and write every frozen memtable to
    /// an L0 table; returns when they are durable in the manifest.
    pub fn flush(&self) -> Result<()> {
        self.engine.control.check_writable()?;
        self.engine.flush()
    }

    /// Flush, then compact every level down into the last one (tombstones and overwritten
    /// versions no snapshot needs are dropped). Returns when done.
    pub fn compact(&self) -> Result<()> {
        self.engine.control.check_writable()?;
        self.engine.compact()
    }

    /// Make every acknowledged write durable now: hand the WAL buffer to the OS and
    /// `fdatasync` it, whatever the sync policy.
    pub fn sync_wal(&self) -> Result<()> {
        self.engine.control.check_writable()?;
        self.engine.committer.sync_wal()
    }

    /// The last sequence number visible to readers (one atomic load; what `stats().last_seq`
    /// reports without building the rest of the statistics).
    pub fn visible_seq(&self) -> SeqNo {
        self.engine.visibility.visible()
    }

    /// Counters and shape of the database.
    pub fn stats(&self) -> DbStats {
        self.engine.stats()
    }

    /// Check every checksum of every table; returns the number of tables checked.
    pub fn verify(&self) -> Result<usize> {
        self.engine.control.check_open()?;
        self.engine.verify()
    }

    /// Subscribe to the change feed: every committed batch with first sequence number
    /// `>= from`, in order — first replayed from the WAL segments still on disk (a
    /// [`FeedItem::Gap`] first if some are gone), then live, queueing at most `capacity` live
    /// events (a slow subscriber gets [`FeedItem::Lagged`] instead of blocking writers). Ends
    /// when the database closes. See the `feed` module for the exact semantics.
    ///
    /// Errors: [`crate::Error::Closed`], [`crate::Error::InvalidOptions`] for
    /// `capacity == 0`, and the errors of reading the WAL segments.
    pub fn subscribe(&self, from: SeqNo, capacity: usize) -> Result<Subscription> {
        self.engine.subscribe(from, capacity)
    }

    /// Run `handler` on a new thread for every item of [`Db::subscribe`]`(from, capacity)`,
    /// in order, until the database closes (the thread then ends; join the returned handle to
    /// wait for it). The handler sees `Gap` and `Lagged` items too: a slow handler loses
    /// events rather than blocking writers.
    pub fn on_event(
        &self,
        from: SeqNo,
        capacity: usize,
        handler: impl FnMut(&FeedItem) + Send + 'static,
    ) -> Result<JoinHandle<()>> {
        let sub = self.subscribe(from, capacity)?;
        crate::feed::spawn_handler(sub, handler)
    }

    /// Stop background work, sync the WAL and refuse further operations. Dropping the handle
    /// does the same; `close` reports errors that drop has to swallow.
    pub fn close(&self) -> Result<()> {
        self.engine.close()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Err(e) = self.engine.close() {
            tracing::warn!(error = %e, "error while closing the database");
        }
    }
}
