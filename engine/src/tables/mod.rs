//! The table set: what a reader sees (the memtables and the table [`Version`], swapped as one
//! [`SuperVersion`]), the manifest that records every change of it, file numbers, the block
//! cache, and writing and opening tables.
//!
//! **Readers take no lock.** The current super-version is an `Arc` behind an `ArcSwap`: a read
//! loads it (a few atomic operations) and keeps it for as long as it reads, so every memtable
//! and table in it stays alive — and every table file on disk — until the last reader lets
//! go. A reader loads the super-version *before* the visible sequence number (see
//! `visibility.rs`), so a compaction installed in between cannot have dropped a version the
//! reader's sequence number needs (RocksDB documents the same order).
//!
//! **Changes are serialized.** Freezing the active memtable (the committer), installing a
//! flush and installing a compaction each read the current super-version and store a modified
//! one; they do it under the manifest's mutex, so none is lost. A flush or compaction records
//! its [`VersionEdit`] in the manifest (synced) *before* installing the version that follows
//! from it: manifest first, then visible, then (for compaction inputs) deletable.

mod edit;
mod manifest;
mod version;

pub(crate) use edit::VersionEdit;
pub(crate) use manifest::{Manifest, ManifestState};
pub(crate) use version::{TableHandle, Version};

use crate::cache::Cache;
use crate::control::lock;
use crate::fs::{table_name, Dir, IoJob};
use crate::memtable::MemTable;
use crate::sstable::{TableBuilder, TableMeta, TableOptions};
use crate::types::InternalKey;
use crate::Result;
use arc_swap::{ArcSwap, Guard};
use bytes::Bytes;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A memtable and the WAL segment its writes were logged to (one segment per memtable).
pub(crate) struct MemGen {
    pub table: Arc<dyn MemTable>,
    pub wal_number: u64,
}

/// What a reader needs, swapped as one: the memtables and the table version.
pub(crate) struct SuperVersion {
    /// The active memtable.
    pub mem: Arc<MemGen>,
    /// Frozen memtables, newest first.
    pub imm: Vec<Arc<MemGen>>,
    pub version: Arc<Version>,
}

/// See the module documentation.
pub(crate) struct TableSet {
    dir: Dir,
    cache: Arc<dyn Cache>,
    table_opts: TableOptions,
    next_file: AtomicU64,
    current: ArcSwap<SuperVersion>,
    /// Serializes every change of `current`, and records edits.
    manifest: Mutex<Manifest>,
}

impl TableSet {
    /// The set recovered at open: `version` and one empty active memtable.
    pub(crate) fn new(
        dir: Dir,
        cache: Arc<dyn Cache>,
        table_opts: TableOptions,
        next_file: u64,
        manifest: Manifest,
        version: Version,
        mem: Arc<MemGen>,
    ) -> TableSet {
        TableSet {
            dir,
            cache,
            table_opts,
            next_file: AtomicU64::new(next_file),
            current: ArcSwap::from_pointee(SuperVersion {
                mem,
                imm: Vec::new(),
                version: Arc::new(version),
            }),
            manifest: Mutex::new(manifest),
        }
    }

    /// The current super-version, for a short look (a guard, not an `Arc` clone).
    pub(crate) fn current(&self) -> Guard<Arc<SuperVersion>> {
        self.current.load()
    }

    /// The current super-version, to keep.
    pub(crate) fn current_full(&self) -> Arc<SuperVersion> {
        self.current.load_full()
    }

    /// The block cache every table of the set reads through.
    pub(crate) fn cache(&self) -> &Arc<dyn Cache> {
        &self.cache
    }

    /// A file number no file of the database has.
    pub(crate) fn new_file_number(&self) -> u64 {
        // Relaxed: only uniqueness matters; the number reaches the manifest under its lock.
        self.next_file.fetch_add(1, Ordering::Relaxed)
    }

    /// The next file number to be handed out (recorded in edits).
    fn next_file_number(&self) -> u64 {
        self.next_file.load(Ordering::Relaxed)
    }

    /// Freeze the active memtable: `mem` becomes active, the old one the newest frozen.
    /// Returns the frozen memtables (newest first).
    pub(crate) fn freeze(&self, mem: Arc<MemGen>) -> Vec<Arc<MemGen>> {
        let _manifest = lock(&self.manifest);
        let cur = self.current.load_full();
        let mut imm = Vec::with_capacity(cur.imm.len() + 1);
        imm.push(cur.mem.clone());
        imm.extend(cur.imm.iter().cloned());
        self.current.store(Arc::new(SuperVersion {
            mem,
            imm: imm.clone(),
            version: cur.version.clone(),
        }));
        imm
    }

    /// Record an edit and install the version that follows. Under the manifest's lock,
    /// `change` is given the current super-version and returns the edit and the frozen
    /// memtables that remain; `added` are the opened tables the edit adds. The edit is made
    /// durable (the manifest synced) before the new super-version is stored.
    ///
    /// On `Err` the edit may or may not be in the manifest (a failed sync after a complete
    /// write): nothing is installed, and the caller must make the database refuse writes —
    /// the manifest's log is abandoned after a failure.
    pub(crate) fn install(
        &self,
        added: &[Arc<TableHandle>],
        change: impl FnOnce(&SuperVersion) -> (VersionEdit, Vec<Arc<MemGen>>),
    ) -> Result<VersionEdit> {
        let mut manifest = lock(&self.manifest);
        let cur = self.current.load_full();
        let (mut edit, imm) = change(&cur);
        edit.next_file = Some(self.next_file_number());
        manifest.record(&edit)?;
        let version = cur.version.apply(&edit, added);
        debug_assert_eq!(version.check(), Ok(()));
        self.current.store(Arc::new(SuperVersion {
            mem: cur.mem.clone(),
            imm,
            version: Arc::new(version),
        }));
        Ok(edit)
    }

    /// Write `entries` (sorted by internal key) to a new table file `id` on behalf of `job`,
    /// and open it. Returns `None` for no entries.
    ///
    /// On error the partial file is deleted (best effort): no manifest lists it. (Fix: a
    /// failed flush used to leave its partial `.sst` behind until the next open.)
    pub(crate) fn write_table(
        &self,
        id: u64,
        job: IoJob,
        entries: impl Iterator<Item = Result<(InternalKey, Bytes)>>,
    ) -> Result<Option<Arc<TableHandle>>> {
        let name = table_name(id);
        // A failed create left no file of ours (the number is new): nothing to delete.
        let mut builder = TableBuilder::create(&self.dir, &name, self.table_opts, job)?;
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
            self.discard(id);
        }
        written
    }

    /// Start a table file `id` on behalf of `job` (for writers that cut several tables).
    pub(crate) fn create_table(&self, id: u64, job: IoJob) -> Result<TableBuilder> {
        TableBuilder::create(&self.dir, &table_name(id), self.table_opts, job)
    }

    /// Open a finished table and wrap it with its manifest metadata.
    pub(crate) fn open_table(&self, id: u64, meta: TableMeta) -> Result<Arc<TableHandle>> {
        TableHandle::open_built(&self.dir, id, meta, self.cache.clone())
    }

    /// Delete the unfinished table `id`, which no manifest lists (best effort: a failure is
    /// harmless, open deletes tables no manifest lists).
    pub(crate) fn discard(&self, id: u64) {
        if let Err(e) = self.dir.remove_if_exists(&table_name(id)) {
            tracing::warn!(error = %e, "could not delete an unfinished table");
        }
    }

    /// Make the directory entries of new tables durable.
    pub(crate) fn sync_dir(&self) -> Result<()> {
        self.dir.sync()
    }
}
