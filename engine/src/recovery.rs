//! Opening a database: lock, manifest, tables, WAL replay, fresh manifest, workers.
//!
//! 1. Validate options; create the directory (or fail with `NotFound`); take the `LOCK`.
//! 2. Load the manifest `CURRENT` names (a torn last edit is ignored: that flush or compaction
//!    never completed) and open every table it lists — a missing table is `Corruption`. No
//!    `CURRENT` means a new database, unless the directory holds tables or WAL segments: the
//!    first open writes `CURRENT` before either exists, so then `CURRENT` was lost, and
//!    starting afresh would delete the tables as orphans — `Corruption` instead.
//! 3. Delete leftovers no manifest knows: tables of unfinished flushes/compactions, WAL
//!    segments below `log_number`, temporary files.
//! 4. Replay the WAL segments from `log_number` on, oldest first, into a memtable. A torn
//!    tail (a write that was never acknowledged) ends a segment; damage before the tail is
//!    `Corruption` naming file and offset — the database does not open rather than silently
//!    lose acknowledged writes. So is a torn tail followed by a later segment holding records:
//!    those were acknowledged after the torn write, which therefore was acknowledged too. So is
//!    a hole in the sequence numbers (a lost segment other than the newest).
//! 5. Write the replayed memtable as an L0 table, start a new manifest holding the whole state
//!    (and the new `log_number`), point `CURRENT` at it, delete the replayed segments.
//! 6. Start a new WAL segment, the active memtable and the background workers.

use crate::batch::WriteBatch;
use crate::cache::{BlockCache, Cache, NoCache};
use crate::db::{Db, Inner, MemGen, State, SuperVersion, WalState};
use crate::error::IoContext;
use crate::fs::FileSystem;
use crate::memtable::new_memtable;
use crate::options::Options;
use crate::stats::Counters;
use crate::version::{table_path, Manifest, ManifestState, TableHandle, Version, VersionEdit};
use crate::wal::record::{read_log_in, LogWriter, WAL_MAGIC};
use crate::wal::segment::{list_segments_in, segment_path};
use crate::{fsutil, Error, Result};
use arc_swap::ArcSwap;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

pub(crate) fn open(dir: &Path, opts: Options) -> Result<Db> {
    opts.validate()?;
    let started = Instant::now();
    let span = tracing::info_span!("open", dir = %dir.display(), memtable = opts.memtable.name());
    let _enter = span.enter();
    let fs = opts.file_system.clone();
    if !fs.exists(dir).ctx(dir)? {
        if !opts.create_if_missing {
            return Err(Error::NotFound(dir.to_path_buf()));
        }
        fsutil::create_dir_all_durably_in(fs.as_ref(), dir)?;
    }
    // A path that exists but is not a directory is named plainly, not as a failure to create
    // `<file>/LOCK` inside it.
    let lock = fsutil::DirLock::acquire_in(fs.as_ref(), dir).map_err(|e| match e {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotADirectory => {
            Error::Io {
                path: dir.to_path_buf(),
                source,
            }
        }
        e => e,
    })?;
    let loaded = Manifest::load_in(fs.as_ref(), dir, opts.num_levels)?;
    if loaded.is_none() {
        refuse_tables_without_current(fs.as_ref(), dir)?;
    }
    let fresh = loaded.is_none();
    if !fresh && opts.error_if_exists {
        return Err(Error::AlreadyExists(dir.to_path_buf()));
    }
    if fresh && !opts.create_if_missing {
        return Err(Error::NotFound(dir.to_path_buf()));
    }
    let mut ms = loaded.unwrap_or_else(|| ManifestState {
        levels: vec![Vec::new(); opts.num_levels],
        log_number: 0,
        next_file: 1,
        last_seq: 0,
    });

    let cache: Arc<dyn Cache> = if opts.block_cache_bytes > 0 {
        Arc::new(BlockCache::new(opts.block_cache_bytes))
    } else {
        Arc::new(NoCache::default())
    };

    // File numbers: above everything in the manifest and in the directory.
    let mut next_file = ms.next_file.max(1);
    let listed: HashSet<u64> = ms.levels.iter().flatten().map(|m| m.id).collect();
    for entry in fs.list_dir(dir).ctx(dir)? {
        let name = entry.name;
        let entry_path = dir.join(&name);
        let number = name
            .strip_suffix(".sst")
            .or_else(|| name.strip_suffix(".wal"))
            .or_else(|| name.strip_prefix("MANIFEST-"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(n) = number {
            next_file = next_file.max(n + 1);
        }
        if let Some(id) = name
            .strip_suffix(".sst")
            .and_then(|n| n.parse::<u64>().ok())
        {
            if !listed.contains(&id) {
                tracing::info!(
                    table = id,
                    "deleting a table no manifest lists (unfinished flush or compaction)"
                );
                crate::kill::kill_point!("obsolete.before_delete");
                fs.remove_file(&entry_path).ctx(&entry_path)?;
                crate::kill::kill_point!("obsolete.after_delete");
            }
        }
        if name.ends_with(".tmp") {
            fs.remove_file(&entry_path).ctx(&entry_path)?;
        }
    }

    // Open the manifest's tables.
    let mut version = Version::empty(opts.num_levels);
    for (level, metas) in ms.levels.iter().enumerate() {
        for meta in metas {
            let path = table_path(dir, meta.id);
            if !fs.exists(&path).ctx(&path)? {
                return Err(Error::corruption(
                    &path,
                    0,
                    format!(
                        "table {} listed in the manifest at L{level} is missing",
                        meta.id
                    ),
                ));
            }
            let table = Arc::new(crate::sstable::Table::open_in(
                fs.clone(),
                &path,
                meta.id,
                cache.clone(),
            )?);
            version.levels[level].push(Arc::new(TableHandle::new(meta.clone(), table, path)));
        }
    }
    let version = version.apply(&VersionEdit::default(), &[]); // sorts the levels
    if let Err(why) = version.check() {
        return Err(Error::corruption(dir.join("CURRENT"), 0, why));
    }

    // Replay the WAL.
    let replay = new_memtable(opts.memtable);
    let mut last_seq = ms.last_seq;
    let mut replayed_segments = Vec::new();
    let mut records = 0u64;
    let mut torn: Option<(std::path::PathBuf, u64)> = None;
    for (number, path) in list_segments_in(fs.as_ref(), dir)? {
        if number < ms.log_number {
            crate::kill::kill_point!("obsolete.before_delete");
            fs.remove_file(&path).ctx(&path)?;
            continue;
        }
        let contents = read_log_in(fs.as_ref(), &path, WAL_MAGIC)?;
        if let (Some((torn_path, offset)), false) = (&torn, contents.records.is_empty()) {
            return Err(Error::corruption(
                torn_path,
                *offset,
                format!(
                    "torn record, but the later segment {} holds writes",
                    path.display()
                ),
            ));
        }
        if let Some(tail) = &contents.torn_tail {
            torn = Some((path.clone(), tail.offset));
            tracing::warn!(file = %path.display(), offset = tail.offset, reason = %tail.reason, "WAL segment ends in a torn record; it was never acknowledged and is dropped");
        }
        for rec in &contents.records {
            let (first, batch) = WriteBatch::decode(&rec.payload, &path, rec.offset)?;
            // Sequence numbers have no holes: each commit takes the next ones, a failed WAL
            // write stops all writing until reopen, and the manifest's `last_seq` covers what
            // was flushed before `log_number`. A record starting past the next expected number
            // means a segment (or the start of this one) is gone: acknowledged writes would be
            // lost silently, so refuse to open.
            if first > last_seq + 1 {
                return Err(Error::corruption(
                    &path,
                    rec.offset,
                    format!(
                        "sequence numbers {}..={} are missing before this record: a WAL \
                         segment before it was lost",
                        last_seq + 1,
                        first - 1
                    ),
                ));
            }
            for (seq, op) in (first..).zip(batch.ops()) {
                if seq > ms.last_seq {
                    replay.insert(&op.key, seq, op.kind, op.value.clone());
                }
                last_seq = last_seq.max(seq);
            }
            records += 1;
        }
        replayed_segments.push(path);
    }

    let mut counters = Counters::default();
    let stats_flush = |counters: &mut Counters, bytes: u64| {
        *counters.flushes.get_mut() += 1;
        *counters.flush_bytes.get_mut() += bytes;
    };

    // Allocate what this open needs, then record the state in a fresh manifest.
    let mut added: Vec<Arc<TableHandle>> = Vec::new();
    let recovered_id = (!replay.is_empty()).then(|| {
        next_file += 1;
        next_file - 1
    });
    let wal_number = next_file;
    let manifest_id = next_file + 1;
    next_file += 2;
    if let Some(id) = recovered_id {
        let path = table_path(dir, id);
        let mut builder = crate::sstable::TableBuilder::create_in(
            fs.as_ref(),
            &path,
            crate::sstable::TableOptions {
                block_size: opts.block_size,
                bloom_bits_per_key: opts.bloom_bits_per_key,
                format: opts.table_format,
            },
        )?
        .for_job(crate::sstable::TableJob::Recovery);
        for (key, value) in replay.iter_from(std::ops::Bound::Unbounded) {
            builder.add(&key, &value)?;
        }
        let meta = builder.finish()?;
        fsutil::sync_dir_in(fs.as_ref(), dir)?;
        let handle = TableHandle::open_built_in(fs.clone(), dir, id, meta, cache.clone())?;
        stats_flush(&mut counters, handle.meta.size);
        ms.levels[0].push(handle.meta.clone());
        added.push(handle);
    }
    ms.log_number = wal_number;
    ms.next_file = next_file;
    ms.last_seq = last_seq;
    let manifest = Manifest::create_in(fs.clone(), dir, manifest_id, &ms)?;
    for path in &replayed_segments {
        crate::kill::kill_point!("obsolete.before_delete");
        fs.remove_file(path).ctx(path)?;
        crate::kill::kill_point!("obsolete.after_delete");
    }
    let mut version = version;
    for h in added {
        version.levels[0].push(h);
    }
    let version = version.apply(&VersionEdit::default(), &[]);

    let log = LogWriter::create_in(fs.clone(), &segment_path(dir, wal_number), WAL_MAGIC)?;
    fsutil::sync_dir_in(fs.as_ref(), dir)?;
    let mem = Arc::new(MemGen {
        table: new_memtable(opts.memtable),
        wal_number,
    });
    let levels = opts.num_levels;
    let workers = if opts.auto_compaction {
        opts.background_threads
    } else {
        0
    };
    let point_index = (opts.point_index_bytes > 0)
        .then(|| crate::point_index::PointIndex::new(opts.point_index_bytes));
    let inner = Arc::new(Inner {
        dir: dir.to_path_buf(),
        opts,
        dir_lock: Mutex::new(Some(lock)),
        cache,
        sv: ArcSwap::from_pointee(SuperVersion {
            mem,
            imm: Vec::new(),
            version: Arc::new(version),
        }),
        visible_seq: AtomicU64::new(last_seq),
        next_file: AtomicU64::new(next_file),
        queue: Mutex::new(VecDeque::new()),
        queue_cv: Condvar::new(),
        wal: Mutex::new(WalState {
            log,
            number: wal_number,
            last_seq,
            scratch: Vec::new(),
            flushed_at: std::time::Instant::now(),
            index_fifo: Default::default(),
        }),
        state: Mutex::new(State {
            manifest,
            flushing: false,
            compacting: false,
            closing: false,
            compact_pointer: vec![None; levels],
        }),
        state_cv: Condvar::new(),
        snapshots: Mutex::new(BTreeMap::new()),
        stats: counters,
        feed: Arc::new(crate::feed::Feed::new()),
        closed: AtomicBool::new(false),
        failed: Mutex::new(None),
        has_failed: AtomicBool::new(false),
        workers: Mutex::new(Vec::new()),
        point_index,
        event_stats: std::sync::OnceLock::new(),
    });
    if inner.opts.event_stats {
        // Live from the next sequence number: the projection tallies this session's writes.
        let sub = inner.subscribe(last_seq + 1, crate::projection::EVENT_STATS_QUEUE)?;
        let (cell, handle) = crate::projection::spawn_event_stats(sub)?;
        let _ = inner.event_stats.set(cell);
        crate::db::lock(&inner.workers).push(handle);
    }
    for i in 0..workers {
        let w = inner.clone();
        let handle = std::thread::Builder::new()
            .name(format!("ferrolite-bg-{i}"))
            .spawn(move || w.worker())
            .ctx(dir)?;
        crate::db::lock(&inner.workers).push(handle);
    }
    tracing::info!(
        fresh,
        replayed_records = records,
        last_seq,
        tables = inner
            .sv
            .load()
            .version
            .levels
            .iter()
            .map(Vec::len)
            .sum::<usize>(),
        ms = started.elapsed().as_millis() as u64,
        "database open"
    );
    Ok(Db { inner })
}

/// A directory without `CURRENT` is a new database only if it holds no table and no WAL
/// segment: the first open points `CURRENT` at its manifest before it creates either (a crash
/// before that leaves at most a manifest no `CURRENT` names). Otherwise `CURRENT` was lost, and
/// opening the directory as a new database would delete every table as an orphan.
fn refuse_tables_without_current(fs: &dyn FileSystem, dir: &Path) -> Result<()> {
    for entry in fs.list_dir(dir).ctx(dir)? {
        let name = entry.name;
        let numbered = |suffix: &str| {
            name.strip_suffix(suffix)
                .is_some_and(|n| n.parse::<u64>().is_ok())
        };
        if numbered(".sst") || numbered(".wal") {
            return Err(Error::corruption(
                dir.join(fsutil::CURRENT_FILE),
                0,
                format!(
                    "CURRENT is missing but the directory holds {name}: the database's file \
                     list is lost (not opening it as a new database, which would delete it)"
                ),
            ));
        }
    }
    Ok(())
}
