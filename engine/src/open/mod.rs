//! Opening a database: everything `Db::open` does before the engine starts serving.
//!
//! 1. Validate the options; find or create the directory, take its `LOCK`, load the manifest
//!    `CURRENT` names (a torn last edit is ignored: that flush or compaction never completed)
//!    — `directory.rs`.
//! 2. Delete leftovers no manifest knows (tables of unfinished flushes or compactions,
//!    temporary files) and open every table the manifest lists: a missing one is
//!    `Corruption`.
//! 3. Replay the WAL segments from `log_number` on, oldest first, into a memtable; damage is
//!    handled by [`crate::WalRecovery`] — `replay.rs`.
//! 4. Write the replayed memtable as an L0 table, start a new manifest holding the whole state
//!    (and the new `log_number`), point `CURRENT` at it, delete the replayed segments, and
//!    start a new WAL segment.
//!
//! What comes out ([`Recovered`]) is the durable state the engine starts from; `db.rs` wires
//! it into a running database (memtable, writer queue, workers).

mod directory;
mod replay;

use crate::cache::{new_cache, Cache};
use crate::error::{Error, Result};
use crate::fs::{segment_name, table_name, Dir, DirLock, IoJob, CURRENT};
use crate::memtable::MemTable;
use crate::options::Options;
use crate::sstable::{TableBuilder, TableOptions};
use crate::tables::{Manifest, ManifestState, TableHandle, Version, VersionEdit};
use crate::types::SeqNo;
use crate::wal::{LogWriter, WAL_MAGIC};
use std::path::Path;
use std::sync::Arc;

/// The durable state a database starts from.
pub(crate) struct Recovered {
    pub dir: Dir,
    pub lock: DirLock,
    pub cache: Arc<dyn Cache>,
    pub manifest: Manifest,
    pub version: Version,
    /// The new WAL segment and its number.
    pub wal: LogWriter,
    pub wal_number: u64,
    /// The last sequence number recovered.
    pub last_seq: SeqNo,
    /// The next free file number.
    pub next_file: u64,
    /// Bytes of the table the replayed WAL was written to (0: none).
    pub replayed_table_bytes: u64,
    /// For the log line: a new database, records replayed.
    pub fresh: bool,
    pub replayed_records: u64,
}

/// Recover the database at `path` (steps 1–4 of the module documentation).
pub(crate) fn recover(path: &Path, opts: &Options) -> Result<Recovered> {
    opts.validate()?;
    let found = directory::find(path, opts)?;
    let dir = found.dir;
    let mut state = found.state;
    let cache = new_cache(opts.block_cache_bytes);
    let mut next_file = directory::clean(&dir, &state)?;
    let mut version = open_tables(&dir, &state, &cache)?;

    let replayed = replay::replay(&dir, opts, state.log_number, state.last_seq)?;

    // Allocate what this open needs, then record the state in a fresh manifest.
    let recovered_id = (!replayed.mem.is_empty()).then(|| {
        next_file += 1;
        next_file - 1
    });
    let wal_number = next_file;
    let manifest_id = next_file + 1;
    next_file += 2;
    let mut replayed_table_bytes = 0;
    if let Some(id) = recovered_id {
        let handle = write_replayed(&dir, opts, id, replayed.mem.as_ref(), &cache)?;
        replayed_table_bytes = handle.meta.size;
        state.levels[0].push(handle.meta.clone());
        version.levels[0].push(handle);
    }
    let version = version.apply(&VersionEdit::default(), &[]); // sorts the levels
    state.log_number = wal_number;
    state.next_file = next_file;
    state.last_seq = replayed.last_seq;
    let manifest = Manifest::create(&dir, manifest_id, &state)?;
    for name in &replayed.segments {
        dir.remove(name)?;
    }
    let wal = LogWriter::create(&dir, &segment_name(wal_number), WAL_MAGIC, IoJob::Open)?;
    dir.sync()?;
    Ok(Recovered {
        dir,
        lock: found.lock,
        cache,
        manifest,
        version,
        wal,
        wal_number,
        last_seq: replayed.last_seq,
        next_file,
        replayed_table_bytes,
        fresh: found.fresh,
        replayed_records: replayed.records,
    })
}

/// Open every table the manifest lists; a missing one is `Corruption`.
fn open_tables(dir: &Dir, state: &ManifestState, cache: &Arc<dyn Cache>) -> Result<Version> {
    let mut version = Version::empty(state.levels.len());
    for (level, metas) in state.levels.iter().enumerate() {
        for meta in metas {
            let name = table_name(meta.id);
            if !dir.exists(&name)? {
                return Err(Error::corruption(
                    dir.file(&name),
                    0,
                    format!(
                        "table {} listed in the manifest at L{level} is missing",
                        meta.id
                    ),
                ));
            }
            version.levels[level].push(TableHandle::open(dir, meta.clone(), cache.clone())?);
        }
    }
    let version = version.apply(&VersionEdit::default(), &[]); // sorts the levels
    if let Err(why) = version.check() {
        return Err(Error::corruption(dir.file(CURRENT), 0, why));
    }
    Ok(version)
}

/// Write the replayed memtable to table `id` (synced, with its directory entry).
fn write_replayed(
    dir: &Dir,
    opts: &Options,
    id: u64,
    mem: &dyn MemTable,
    cache: &Arc<dyn Cache>,
) -> Result<Arc<TableHandle>> {
    let table_opts = TableOptions {
        block_size: opts.block_size,
        bloom_bits_per_key: opts.bloom_bits_per_key,
        format: opts.table_format,
    };
    let mut builder = TableBuilder::create(dir, &table_name(id), table_opts, IoJob::Open)?;
    for (key, value) in mem.iter_from(std::ops::Bound::Unbounded) {
        builder.add(&key, &value)?;
    }
    let meta = builder.finish()?;
    dir.sync()?;
    TableHandle::open_built(dir, id, meta, cache.clone())
}
