//! Versions: which tables make up the database, per level, and the manifest that records them.
//!
//! A [`Version`] is an immutable list of tables per level. L0 holds flushed memtables, which may
//! overlap one another, newest first; every deeper level holds tables with disjoint key ranges
//! sorted by key. Flushes and compactions never modify a version: they describe a change as a
//! [`VersionEdit`] (tables added and removed, the oldest WAL segment still needed, the next file
//! number, the last sequence number), append the edit to the manifest, sync it, and only then
//! build the next version. Readers hold an `Arc<Version>` (inside a super-version), so a table
//! stays readable as long as any reader may look at it.
//!
//! A table file is deleted when it is *obsolete* — removed by an edit that the manifest has
//! recorded — and the last reader has let go of it: [`TableHandle`]'s `Drop` does it. That is
//! the rule "obsolete files are deleted only after the manifest records the new version".
//!
//! The manifest is a framed record log (`MANIFEST-nnnnnn`, see [`crate::wal::record`]) of
//! encoded edits; the `CURRENT` file names the live manifest and is replaced atomically
//! (write, fsync, rename, fsync the directory). Every open writes a fresh manifest holding one
//! snapshot edit of the whole state, so manifests stay small.
//!
//! Format versions: a new manifest framing bumps the log header's version; a new kind of edit
//! gets a new tag. Both are [`Error::Incompatible`] to a build that does not know them (an
//! unknown tag sits in a record whose checksum passed, so it was written, not damaged).

use crate::error::IoContext;
use crate::fs::{FileSystem, StdFs};
use crate::sstable::Table;
use crate::types::{InternalKey, SeqNo};
use crate::wal::record::{read_log_in, LogWriter, MANIFEST_MAGIC};
use crate::{fsutil, Error, Result};
use bytes::Bytes;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What the manifest knows about one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMeta {
    /// File number (`nnnnnn.sst`).
    pub id: u64,
    /// File size in bytes.
    pub size: u64,
    /// Entries (versions, tombstones included).
    pub entries: u64,
    /// Smallest internal key.
    pub smallest: InternalKey,
    /// Largest internal key.
    pub largest: InternalKey,
    /// Smallest sequence number inside.
    pub min_seq: SeqNo,
    /// Largest sequence number inside.
    pub max_seq: SeqNo,
}

impl FileMeta {
    /// True if the table's user-key range meets `[lo, hi]`.
    pub fn overlaps(&self, lo: &[u8], hi: &[u8]) -> bool {
        &self.smallest.user_key[..] <= hi && &self.largest.user_key[..] >= lo
    }

    /// True if `user_key` is within the table's user-key range.
    pub fn covers(&self, user_key: &[u8]) -> bool {
        self.overlaps(user_key, user_key)
    }
}

/// Path of table `id` in `dir`.
pub fn table_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:06}.sst"))
}

/// Path of manifest `id` in `dir`.
pub fn manifest_name(id: u64) -> String {
    format!("MANIFEST-{id:06}")
}

/// An open table with its metadata; deletes its file on drop once marked obsolete.
pub struct TableHandle {
    /// The manifest's record of the table.
    pub meta: FileMeta,
    /// The open reader.
    pub table: Arc<Table>,
    path: PathBuf,
    obsolete: AtomicBool,
}

impl TableHandle {
    /// Wrap an open table.
    pub fn new(meta: FileMeta, table: Arc<Table>, path: PathBuf) -> Self {
        TableHandle {
            meta,
            table,
            path,
            obsolete: AtomicBool::new(false),
        }
    }

    /// Open the table `id` of `dir` that a builder just finished, with its metadata.
    pub fn open_built(
        dir: &Path,
        id: u64,
        built: crate::sstable::TableMeta,
        cache: Arc<dyn crate::cache::Cache>,
    ) -> Result<Arc<TableHandle>> {
        TableHandle::open_built_in(Arc::new(StdFs), dir, id, built, cache)
    }

    /// [`TableHandle::open_built`] on the file system `fs`.
    pub fn open_built_in(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        id: u64,
        built: crate::sstable::TableMeta,
        cache: Arc<dyn crate::cache::Cache>,
    ) -> Result<Arc<TableHandle>> {
        let path = table_path(dir, id);
        let table = Arc::new(Table::open_in(fs, &path, id, cache)?);
        let meta = FileMeta {
            id,
            size: built.file_size,
            entries: built.entries,
            smallest: built.smallest,
            largest: built.largest,
            min_seq: built.min_seq,
            max_seq: built.max_seq,
        };
        Ok(Arc::new(TableHandle::new(meta, table, path)))
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
            crate::kill::kill_point!("obsolete.before_delete");
            // Through the file system the table was opened on.
            let removed = self.table.file_system().remove_file(&self.path);
            crate::kill::kill_point!("obsolete.after_delete");
            match removed {
                Ok(()) => tracing::debug!(file = %self.path.display(), "deleted obsolete table"),
                Err(e) => {
                    tracing::warn!(file = %self.path.display(), error = %e, "could not delete obsolete table")
                }
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

/// A change to the set of tables, as recorded in the manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionEdit {
    /// Tables added, with their level.
    pub added: Vec<(usize, FileMeta)>,
    /// Tables removed: (level, id).
    pub deleted: Vec<(usize, u64)>,
    /// WAL segments numbered below this are no longer needed.
    pub log_number: Option<u64>,
    /// The next unused file number.
    pub next_file: Option<u64>,
    /// The largest sequence number in any table.
    pub last_seq: Option<SeqNo>,
}

const TAG_ADD: u8 = 1;
const TAG_DELETE: u8 = 2;
const TAG_LOG: u8 = 3;
const TAG_NEXT_FILE: u8 = 4;
const TAG_LAST_SEQ: u8 = 5;

impl VersionEdit {
    /// Encode as a manifest record.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let key = |out: &mut Vec<u8>, k: &InternalKey| {
            out.extend_from_slice(&(k.encoded_len() as u32).to_le_bytes());
            k.encode_into(out);
        };
        for (level, m) in &self.added {
            out.push(TAG_ADD);
            out.push(*level as u8);
            for v in [m.id, m.size, m.entries, m.min_seq, m.max_seq] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            key(&mut out, &m.smallest);
            key(&mut out, &m.largest);
        }
        for (level, id) in &self.deleted {
            out.push(TAG_DELETE);
            out.push(*level as u8);
            out.extend_from_slice(&id.to_le_bytes());
        }
        for (tag, v) in [
            (TAG_LOG, self.log_number),
            (TAG_NEXT_FILE, self.next_file),
            (TAG_LAST_SEQ, self.last_seq),
        ] {
            if let Some(v) = v {
                out.push(tag);
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// Decode a manifest record; `path`/`offset` name it in errors.
    pub fn decode(data: &[u8], path: &Path, offset: u64) -> Result<VersionEdit> {
        let bad = |why: &str| Error::corruption(path, offset, format!("version edit: {why}"));
        let mut r = Reader { data, pos: 0 };
        let mut edit = VersionEdit::default();
        while r.pos < data.len() {
            let tag = r.u8().ok_or_else(|| bad("truncated tag"))?;
            match tag {
                TAG_ADD => {
                    let level = r.u8().ok_or_else(|| bad("truncated"))? as usize;
                    let mut v = [0u64; 5];
                    for x in &mut v {
                        *x = r.u64().ok_or_else(|| bad("truncated"))?;
                    }
                    let smallest = r.key().ok_or_else(|| bad("bad smallest key"))?;
                    let largest = r.key().ok_or_else(|| bad("bad largest key"))?;
                    edit.added.push((
                        level,
                        FileMeta {
                            id: v[0],
                            size: v[1],
                            entries: v[2],
                            min_seq: v[3],
                            max_seq: v[4],
                            smallest,
                            largest,
                        },
                    ));
                }
                TAG_DELETE => {
                    let level = r.u8().ok_or_else(|| bad("truncated"))? as usize;
                    let id = r.u64().ok_or_else(|| bad("truncated"))?;
                    edit.deleted.push((level, id));
                }
                TAG_LOG | TAG_NEXT_FILE | TAG_LAST_SEQ => {
                    let v = r.u64().ok_or_else(|| bad("truncated"))?;
                    match tag {
                        TAG_LOG => edit.log_number = Some(v),
                        TAG_NEXT_FILE => edit.next_file = Some(v),
                        _ => edit.last_seq = Some(v),
                    }
                }
                // The record's checksum passed: a tag this build does not know was written
                // by a newer version (a new kind of edit), not damaged.
                other => {
                    return Err(Error::Incompatible {
                        path: path.to_path_buf(),
                        reason: format!(
                            "manifest record at offset {offset} holds edit tag {other}, written \
                             by a newer version; this build knows tags {TAG_ADD}..={TAG_LAST_SEQ}"
                        ),
                    })
                }
            }
        }
        Ok(edit)
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let out = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn key(&mut self) -> Option<InternalKey> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        let raw = self.take(len)?;
        let (user, seq, kind) = InternalKey::decode(raw)?;
        Some(InternalKey::new(Bytes::copy_from_slice(user), seq, kind))
    }
}

/// The durable state a manifest describes.
#[derive(Clone, Debug, Default)]
pub struct ManifestState {
    /// Tables per level, as metadata.
    pub levels: Vec<Vec<FileMeta>>,
    /// Oldest WAL segment still needed.
    pub log_number: u64,
    /// Next unused file number.
    pub next_file: u64,
    /// Largest sequence number in any table.
    pub last_seq: SeqNo,
}

impl ManifestState {
    /// Apply one edit's metadata.
    pub fn apply(&mut self, edit: &VersionEdit, path: &Path, offset: u64) -> Result<()> {
        for (level, id) in &edit.deleted {
            let files = self.levels.get_mut(*level).ok_or_else(|| {
                Error::corruption(path, offset, format!("level {level} out of range"))
            })?;
            files.retain(|m| m.id != *id);
        }
        for (level, meta) in &edit.added {
            self.levels
                .get_mut(*level)
                .ok_or_else(|| {
                    Error::corruption(path, offset, format!("level {level} out of range"))
                })?
                .push(meta.clone());
        }
        if let Some(v) = edit.log_number {
            self.log_number = self.log_number.max(v);
        }
        if let Some(v) = edit.next_file {
            self.next_file = self.next_file.max(v);
        }
        if let Some(v) = edit.last_seq {
            self.last_seq = self.last_seq.max(v);
        }
        Ok(())
    }

    /// One edit that rebuilds this whole state.
    pub fn snapshot_edit(&self) -> VersionEdit {
        VersionEdit {
            added: self
                .levels
                .iter()
                .enumerate()
                .flat_map(|(l, files)| files.iter().map(move |m| (l, m.clone())))
                .collect(),
            deleted: Vec::new(),
            log_number: Some(self.log_number),
            next_file: Some(self.next_file),
            last_seq: Some(self.last_seq),
        }
    }
}

/// The live manifest: an append-only log of edits.
pub struct Manifest {
    log: LogWriter,
}

impl Manifest {
    /// Read the manifest `CURRENT` names, if any. A torn last edit (a crash while it was
    /// written) is ignored: the flush or compaction it described never completed.
    pub fn load(dir: &Path, num_levels: usize) -> Result<Option<ManifestState>> {
        Manifest::load_in(&StdFs, dir, num_levels)
    }

    /// [`Manifest::load`] on the file system `fs`.
    pub fn load_in(
        fs: &dyn FileSystem,
        dir: &Path,
        num_levels: usize,
    ) -> Result<Option<ManifestState>> {
        let Some(name) = fsutil::read_current_in(fs, dir)? else {
            return Ok(None);
        };
        let path = dir.join(&name);
        if !fs.exists(&path).ctx(&path)? {
            return Err(Error::corruption(
                dir.join("CURRENT"),
                0,
                format!("CURRENT names {name}, which does not exist"),
            ));
        }
        let contents = read_log_in(fs, &path, MANIFEST_MAGIC)?;
        if let Some(tail) = &contents.torn_tail {
            tracing::warn!(file = %path.display(), offset = tail.offset, reason = %tail.reason, "manifest has a torn tail; ignoring the unfinished edit");
        }
        let mut state = ManifestState {
            levels: vec![Vec::new(); num_levels],
            ..ManifestState::default()
        };
        for rec in &contents.records {
            let edit = VersionEdit::decode(&rec.payload, &path, rec.offset)?;
            if let Some((level, _)) = edit.added.iter().find(|(l, _)| *l >= num_levels) {
                return Err(Error::InvalidOptions(format!(
                    "the database has tables at level {level} but num_levels is {num_levels}"
                )));
            }
            state.apply(&edit, &path, rec.offset)?;
        }
        Ok(Some(state))
    }

    /// Start a new manifest numbered `id` holding `state`, point `CURRENT` at it, and delete
    /// the manifest it replaces.
    pub fn create(dir: &Path, id: u64, state: &ManifestState) -> Result<Manifest> {
        Manifest::create_in(Arc::new(StdFs), dir, id, state)
    }

    /// [`Manifest::create`] on the file system `fs`.
    pub fn create_in(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        id: u64,
        state: &ManifestState,
    ) -> Result<Manifest> {
        let old = fsutil::read_current_in(fs.as_ref(), dir)?;
        let name = manifest_name(id);
        let path = dir.join(&name);
        let mut log = LogWriter::create_in(fs.clone(), &path, MANIFEST_MAGIC)?;
        log.append(&state.snapshot_edit().encode())?;
        log.sync()?;
        fsutil::sync_dir_in(fs.as_ref(), dir)?;
        fsutil::write_current_in(fs.as_ref(), dir, &name)?;
        if let Some(old) = old.filter(|o| *o != name) {
            crate::kill::kill_point!("obsolete.before_delete");
            fs.remove_file(&dir.join(&old))
                .ctx(dir.join(&old))
                .or_else(|e| match &e {
                    Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                        Ok(())
                    }
                    _ => Err(e),
                })?;
        }
        Ok(Manifest { log })
    }

    /// Append `edit` and make it durable.
    pub fn record(&mut self, edit: &VersionEdit) -> Result<()> {
        self.log.append(&edit.encode())?;
        self.log.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ValueKind;

    fn meta(id: u64) -> FileMeta {
        FileMeta {
            id,
            size: 100 + id,
            entries: 7,
            smallest: InternalKey::new(&b"a"[..], 3, ValueKind::Put),
            largest: InternalKey::new(&b"zz"[..], 1, ValueKind::Delete),
            min_seq: 1,
            max_seq: 3,
        }
    }

    #[test]
    fn edit_roundtrip_and_truncation_is_an_error() {
        let edit = VersionEdit {
            added: vec![(0, meta(5)), (3, meta(9))],
            deleted: vec![(1, 2), (2, 4)],
            log_number: Some(11),
            next_file: Some(12),
            last_seq: Some(99),
        };
        let bytes = edit.encode();
        assert_eq!(
            VersionEdit::decode(&bytes, Path::new("m"), 0).unwrap(),
            edit
        );
        for cut in 1..bytes.len() {
            if let Ok(e) = VersionEdit::decode(&bytes[..cut], Path::new("m"), 0) {
                assert_ne!(e, edit, "cut at {cut} decoded to the full edit");
            }
        }
    }
}
