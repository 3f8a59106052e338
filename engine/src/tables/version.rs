//! Versions: which tables make up the database, per level.
//!
//! A [`Version`] is an immutable list of tables per level. L0 holds flushed memtables, which may
//! overlap one another, newest first; every deeper level holds tables with disjoint key ranges
//! sorted by key. Flushes and compactions never modify a version: they describe a change as a
//! [`VersionEdit`], append it to the manifest, sync it, and only then build the next version
//! ([`Version::apply`]). Readers hold an `Arc<Version>` (inside a super-version), so a table
//! stays readable as long as any reader may look at it.
//!
//! A table file is deleted when it is *obsolete* — removed by an edit that the manifest has
//! recorded — and the last reader has let go of it: [`TableHandle`]'s `Drop` does it. That is
//! the rule "obsolete files are deleted only after the manifest records the new version".

use super::edit::{FileMeta, VersionEdit};
use crate::cache::Cache;
use crate::fs::{table_name, Dir};
use crate::sstable::{Table, TableMeta};
use crate::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
/// An open table with its metadata; deletes its file on drop once marked obsolete.
pub struct TableHandle {
    /// The manifest's record of the table.
    pub meta: FileMeta,
    /// The open reader.
    pub table: Arc<Table>,
    /// Where the file lives, to delete it once obsolete.
    dir: Dir,
    obsolete: AtomicBool,
}

impl TableHandle {
    /// Open the table `id` of `dir` that a builder just finished, with its metadata.
    pub(crate) fn open_built(
        dir: &Dir,
        id: u64,
        built: TableMeta,
        cache: Arc<dyn Cache>,
    ) -> Result<Arc<TableHandle>> {
        let meta = FileMeta {
            id,
            size: built.file_size,
            entries: built.entries,
            smallest: built.smallest,
            largest: built.largest,
            min_seq: built.min_seq,
            max_seq: built.max_seq,
        };
        TableHandle::open(dir, meta, cache)
    }

    /// Open the table `meta` describes.
    pub(crate) fn open(
        dir: &Dir,
        meta: FileMeta,
        cache: Arc<dyn Cache>,
    ) -> Result<Arc<TableHandle>> {
        let table = Arc::new(Table::open(dir, &table_name(meta.id), meta.id, cache)?);
        Ok(Arc::new(TableHandle {
            meta,
            table,
            dir: dir.clone(),
            obsolete: AtomicBool::new(false),
        }))
    }

    /// Mark the file for deletion when the last reader drops it. Call only after the
    /// manifest has durably recorded the edit that removes it.
    pub fn mark_obsolete(&self) {
        // Relaxed: read in `drop`, which runs after every other `Arc` owner is gone — the
        // `Arc` refcount's release/acquire orders this store before that load.
        self.obsolete.store(true, Ordering::Relaxed);
    }
}

impl Drop for TableHandle {
    fn drop(&mut self) {
        if self.obsolete.load(Ordering::Relaxed) {
            match self.dir.remove(&table_name(self.meta.id)) {
                Ok(()) => tracing::debug!(table = self.meta.id, "deleted obsolete table"),
                Err(e) => tracing::warn!(error = %e, "could not delete obsolete table"),
            }
        }
    }
}

impl std::fmt::Debug for TableHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableHandle")
            .field("meta", &self.meta)
            .finish()
    }
}

/// The tables of the database at one moment.
#[derive(Clone, Debug, Default)]
pub struct Version {
    /// `levels[0]`: L0 tables, newest first. `levels[n]`, n ≥ 1: disjoint, sorted by key.
    pub levels: Vec<Vec<Arc<TableHandle>>>,
}

impl Version {
    /// An empty version with `num_levels` levels.
    pub fn empty(num_levels: usize) -> Self {
        Version {
            levels: vec![Vec::new(); num_levels],
        }
    }

    /// Tables per level.
    pub fn files_per_level(&self) -> Vec<usize> {
        self.levels.iter().map(Vec::len).collect()
    }

    /// Bytes per level.
    pub fn bytes_per_level(&self) -> Vec<u64> {
        self.levels
            .iter()
            .map(|l| l.iter().map(|t| t.meta.size).sum())
            .collect()
    }

    /// The table of level `level` (≥ 1) whose range may hold `user_key`.
    pub fn find_in_level(&self, level: usize, user_key: &[u8]) -> Option<&Arc<TableHandle>> {
        let files = &self.levels[level];
        let i = files.partition_point(|t| &t.meta.largest.user_key[..] < user_key);
        files.get(i).filter(|t| t.meta.covers(user_key))
    }

    /// Tables of `level` overlapping the user-key range `[lo, hi]`.
    pub fn overlapping(&self, level: usize, lo: &[u8], hi: &[u8]) -> Vec<Arc<TableHandle>> {
        self.levels[level]
            .iter()
            .filter(|t| t.meta.overlaps(lo, hi))
            .cloned()
            .collect()
    }

    /// The next version: `edit` applied, with `opened` holding the handles of added tables.
    pub fn apply(&self, edit: &VersionEdit, opened: &[Arc<TableHandle>]) -> Version {
        let mut next = self.clone();
        for (level, id) in &edit.deleted {
            next.levels[*level].retain(|t| t.meta.id != *id);
        }
        for (level, meta) in &edit.added {
            let handle = opened
                .iter()
                .find(|h| h.meta.id == meta.id)
                .expect("every added table is opened")
                .clone();
            next.levels[*level].push(handle);
        }
        // L0 newest first: flushes are installed in sequence order, so max_seq orders them.
        next.levels[0].sort_by_key(|t| std::cmp::Reverse(t.meta.max_seq));
        for level in next.levels.iter_mut().skip(1) {
            level.sort_by(|a, b| a.meta.smallest.cmp(&b.meta.smallest));
        }
        next
    }

    /// Check the level invariants (deeper levels sorted and disjoint); for tests and debug.
    pub fn check(&self) -> std::result::Result<(), String> {
        for (n, level) in self.levels.iter().enumerate().skip(1) {
            for pair in level.windows(2) {
                if pair[0].meta.largest.user_key >= pair[1].meta.smallest.user_key {
                    return Err(format!(
                        "L{n}: tables {} and {} overlap",
                        pair[0].meta.id, pair[1].meta.id
                    ));
                }
            }
        }
        Ok(())
    }
}
