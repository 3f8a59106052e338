//! The manifest: an append-only log of [`VersionEdit`]s (`MANIFEST-nnnnnn`, a framed record
//! log like the WAL), named by `CURRENT`, and the durable state it describes
//! ([`ManifestState`]). Every open writes a fresh manifest holding one snapshot edit of the
//! whole state and points `CURRENT` at it, so manifests stay small.

use super::edit::{FileMeta, VersionEdit};
use crate::fs::{manifest_name, Dir, IoJob, CURRENT};
use crate::types::SeqNo;
use crate::wal::{read_log, LogWriter, MANIFEST_MAGIC};
use crate::{Error, Result};
use std::path::Path;

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
    pub(crate) fn load(dir: &Dir, num_levels: usize) -> Result<Option<ManifestState>> {
        let Some(name) = dir.read_current()? else {
            return Ok(None);
        };
        if !dir.exists(&name)? {
            return Err(Error::corruption(
                dir.file(CURRENT),
                0,
                format!("CURRENT names {name}, which does not exist"),
            ));
        }
        let contents = read_log(dir, &name, MANIFEST_MAGIC)?;
        let path = dir.file(&name);
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
    pub(crate) fn create(dir: &Dir, id: u64, state: &ManifestState) -> Result<Manifest> {
        let old = dir.read_current()?;
        let name = manifest_name(id);
        let mut log = LogWriter::create(dir, &name, MANIFEST_MAGIC, IoJob::Open)?;
        log.append(&state.snapshot_edit().encode())?;
        log.sync()?;
        dir.sync()?;
        dir.write_current(&name)?;
        if let Some(old) = old.filter(|o| *o != name) {
            dir.remove_if_exists(&old)?;
        }
        Ok(Manifest { log })
    }

    /// Append `edit` and make it durable.
    pub fn record(&mut self, edit: &VersionEdit) -> Result<()> {
        self.log.append(&edit.encode())?;
        self.log.sync()
    }
}
