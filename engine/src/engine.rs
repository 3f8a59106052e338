//! [`Engine`]: the parts of an open database and how they are wired. No logic of its own
//! beyond calling the parts in order.
//!
//! ```text
//!          Db (db.rs: the public API)
//!           │
//!        Engine ───────────────┬──────────────┬───────────────┬──────────────┐
//!           │                  │              │               │              │
//!   Committer (commit/)      Workers      read::Sources      Feed        projection
//!     │  │  │  └─ Flusher ─┐  (background/) (read.rs)       (feed.rs)    (projection.rs)
//!     │  │  │              ├── Compactor                       │
//!     │  │  └──────────────┴─► TableSet (tables/): super-version, manifest, tables, cache
//!     │  └─► Visibility (visibility.rs): published sequence number, live snapshots
//!     └────► Control (control.rs): open/closed, healthy/failed, job flags, the one condvar
//! ```
//!
//! Every arrow points down: the parts below never name the parts above. `open/` recovers the
//! durable state ([`Recovered`]); [`Engine::start`] builds the parts on it and starts the
//! workers; [`Engine::close`] stops them in order.

use crate::background::{Compactor, Flusher};
use crate::commit::{self, Committer, WalState};
use crate::control::{lock, Control};
use crate::feed::{Feed, Subscription};
use crate::fs::{Dir, DirLock};
use crate::iter::DbIter;
use crate::open::Recovered;
use crate::options::Options;
use crate::projection::{self, EventStatsCell};
use crate::read::Sources;
use crate::recent::RecentWrites;
use crate::sstable::TableOptions;
use crate::stats::{Counters, DbStats};
use crate::tables::{MemGen, TableSet};
use crate::types::SeqNo;
use crate::visibility::Visibility;
use crate::workers::Workers;
use crate::Result;
use bytes::Bytes;
use std::ops::Bound;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A closing database waits for a job on a user's thread at least this often.
const CLOSE_RECHECK: Duration = Duration::from_millis(50);

/// See the module documentation.
pub(crate) struct Engine {
    pub(crate) opts: Arc<Options>,
    pub(crate) dir: Dir,
    /// Held from open to close.
    lock: Mutex<Option<DirLock>>,
    pub(crate) control: Arc<Control>,
    pub(crate) visibility: Arc<Visibility>,
    pub(crate) tables: Arc<TableSet>,
    pub(crate) committer: Arc<Committer>,
    flusher: Arc<Flusher>,
    compactor: Arc<Compactor>,
    feed: Arc<Feed>,
    recent: Option<Arc<RecentWrites>>,
    stats: Arc<Counters>,
    /// The event-statistics projection's tallies, when `opts.event_stats`.
    event_stats: OnceLock<Arc<EventStatsCell>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Engine {
    /// Start a database on the state `Db::open` recovered: the parts, the event-statistics
    /// projection and the background workers.
    pub(crate) fn start(rec: Recovered, opts: Options, started: Instant) -> Result<Arc<Engine>> {
        let opts = Arc::new(opts);
        let control = Arc::new(Control::new(opts.num_levels));
        let visibility = Arc::new(Visibility::new(rec.last_seq));
        let stats = Arc::new(Counters::default());
        if rec.replayed_table_bytes > 0 {
            // The replayed WAL was written to a table: counted as a flush.
            stats
                .flushes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            stats.flush_bytes.fetch_add(
                rec.replayed_table_bytes,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        let table_opts = TableOptions {
            block_size: opts.block_size,
            bloom_bits_per_key: opts.bloom_bits_per_key,
            format: opts.table_format,
        };
        let mem = Arc::new(MemGen {
            table: opts.new_memtable(),
            wal_number: rec.wal_number,
        });
        let tables = Arc::new(TableSet::new(
            rec.dir.clone(),
            rec.cache,
            table_opts,
            rec.next_file,
            rec.manifest,
            rec.version,
            mem,
        ));
        let flusher = Arc::new(Flusher {
            dir: rec.dir.clone(),
            control: control.clone(),
            tables: tables.clone(),
            stats: stats.clone(),
        });
        let compactor = Arc::new(Compactor {
            opts: opts.clone(),
            control: control.clone(),
            tables: tables.clone(),
            visibility: visibility.clone(),
            stats: stats.clone(),
        });
        let feed = Arc::new(Feed::new());
        let recent = (opts.recent_writes_bytes > 0)
            .then(|| Arc::new(RecentWrites::new(opts.recent_writes_bytes)));
        let parts = commit::Parts {
            opts: opts.clone(),
            dir: rec.dir.clone(),
            control: control.clone(),
            tables: tables.clone(),
            visibility: visibility.clone(),
            flusher: flusher.clone(),
            feed: feed.clone(),
            recent: recent.clone(),
            stats: stats.clone(),
        };
        let wal = WalState::new(rec.wal, rec.wal_number, rec.last_seq);
        let committer = Arc::new(Committer::new(parts, wal));
        let engine = Arc::new(Engine {
            opts: opts.clone(),
            dir: rec.dir,
            lock: Mutex::new(Some(rec.lock)),
            control: control.clone(),
            visibility,
            tables,
            committer: committer.clone(),
            flusher: flusher.clone(),
            compactor: compactor.clone(),
            feed,
            recent,
            stats,
            event_stats: OnceLock::new(),
            workers: Mutex::new(Vec::new()),
        });
        if opts.event_stats {
            // Live from the next sequence number: the projection tallies this session's writes.
            let sub = engine.subscribe(rec.last_seq + 1, projection::EVENT_STATS_QUEUE)?;
            let (cell, handle) = projection::spawn_event_stats(sub)?;
            let _ = engine.event_stats.set(cell);
            lock(&engine.workers).push(handle);
        }
        if opts.auto_compaction {
            let workers = Workers {
                control,
                committer,
                flusher,
                compactor,
            };
            let handles = workers.spawn(opts.background_threads)?;
            lock(&engine.workers).extend(handles);
        }
        tracing::info!(
            fresh = rec.fresh,
            replayed_records = rec.replayed_records,
            last_seq = rec.last_seq,
            tables = engine
                .tables
                .current()
                .version
                .levels
                .iter()
                .map(Vec::len)
                .sum::<usize>(),
            ms = started.elapsed().as_millis() as u64,
            "database open"
        );
        Ok(engine)
    }

    fn sources(&self) -> Sources<'_> {
        Sources {
            tables: &self.tables,
            visibility: &self.visibility,
            recent: self.recent.as_deref(),
            stats: &self.stats,
        }
    }

    /// The value of `key` at `snapshot` (now if `None`).
    pub(crate) fn get(&self, key: &[u8], snapshot: Option<SeqNo>) -> Result<Option<Bytes>> {
        self.sources().get(key, snapshot)
    }

    /// Entries within `bounds` at `snapshot` (now if `None`).
    pub(crate) fn scan(
        &self,
        bounds: (Bound<Bytes>, Bound<Bytes>),
        snapshot: Option<SeqNo>,
    ) -> Result<DbIter> {
        self.sources().scan(bounds, snapshot)
    }

    /// Freeze the active memtable if it holds anything, then flush every frozen one.
    pub(crate) fn flush(&self) -> Result<()> {
        self.committer.freeze()?;
        self.flusher.flush_all_frozen()
    }

    /// Flush, then compact every level into the last.
    pub(crate) fn compact(&self) -> Result<()> {
        self.flush()?;
        self.compactor.compact_all()
    }

    /// A change-feed subscription from `from`, queueing at most `capacity` live events.
    pub(crate) fn subscribe(&self, from: SeqNo, capacity: usize) -> Result<Subscription> {
        self.control.check_open()?;
        let mut sub = self.feed.subscription(capacity)?;
        let (boundary, active, active_len) = self.committer.at_boundary(|| sub.register())?;
        // On error `sub` is dropped, which unregisters it.
        sub.replay(&self.dir, from, boundary, active, active_len)?;
        Ok(sub)
    }

    /// Counters and shape of the database.
    pub(crate) fn stats(&self) -> DbStats {
        let mut out = DbStats::default();
        self.stats.fill(&mut out);
        let sv = self.tables.current();
        out.files_per_level = sv.version.files_per_level();
        out.bytes_per_level = sv.version.bytes_per_level();
        out.immutable_memtables = sv.imm.len();
        out.memtable_bytes = sv.mem.table.approximate_bytes() as u64;
        out.memtable = sv.mem.table.name();
        let cache = self.tables.cache();
        let cache_stats = cache.stats();
        out.cache_blocks = cache.len();
        out.cache_bytes = cache.size_bytes();
        out.cache_hits = cache_stats.hits;
        out.cache_misses = cache_stats.misses;
        out.last_seq = self.visibility.visible();
        // The engine's own statistics handler is not a user's subscription.
        let own = usize::from(self.event_stats.get().is_some());
        out.feed_subscribers = self.feed.subscribers().saturating_sub(own);
        out.events = self.event_stats.get().map(|cell| cell.snapshot());
        out.recent_writes_keys = self.recent.as_ref().map_or(0, |r| r.len());
        out
    }

    /// Check every checksum of every table; the number of tables checked.
    pub(crate) fn verify(&self) -> Result<usize> {
        let sv = self.tables.current_full();
        let mut n = 0;
        for level in &sv.version.levels {
            for t in level {
                t.table.verify()?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Stop background work, sync the WAL, release the directory. Idempotent.
    pub(crate) fn close(&self) -> Result<()> {
        if !self.control.close() {
            return Ok(());
        }
        self.feed.close();
        self.control.jobs().closing = true;
        self.control.notify();
        let workers: Vec<_> = lock(&self.workers).drain(..).collect();
        for w in workers {
            let _ = w.join();
        }
        // A `flush()` or `compact()` running on a user thread finishes its current step (the
        // next one sees `closing`); wait for it, so nothing writes to the directory after the
        // lock is released below.
        {
            let mut jobs = self.control.jobs();
            while jobs.flushing || jobs.compacting {
                jobs = self.control.wait(jobs, CLOSE_RECHECK);
            }
        }
        let synced = self.committer.sync_wal().map(drop);
        // Release the directory: the database can be opened again while this handle lives.
        lock(&self.lock).take();
        tracing::info!(dir = %self.dir.path().display(), "database closed");
        synced
    }
}
