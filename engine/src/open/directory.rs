//! The directory steps of an open: find or create the database directory, take its lock, load
//! the manifest `CURRENT` names, and clear what no manifest knows.
//!
//! No `CURRENT` means a new database, unless the directory holds tables or WAL segments: the
//! first open writes `CURRENT` before either exists, so then `CURRENT` was lost, and starting
//! afresh would delete the tables as orphans — `Corruption` instead. Leftovers are deleted:
//! tables of unfinished flushes or compactions (no manifest lists them) and temporary files.
//! File numbers continue above everything in the manifest and in the directory.

use crate::error::{Error, Result};
use crate::fs::{parse_number, Dir, DirLock, FileKind, CURRENT};
use crate::options::Options;
use crate::tables::{Manifest, ManifestState};
use std::collections::HashSet;
use std::path::Path;

/// The database directory, locked, and the state its manifest records (a fresh state for a
/// new database).
pub(super) struct Found {
    pub dir: Dir,
    pub lock: DirLock,
    pub state: ManifestState,
    /// No manifest was found: a new database.
    pub fresh: bool,
}

/// Find (or create) and lock the database at `path`, and load its manifest.
pub(super) fn find(path: &Path, opts: &Options) -> Result<Found> {
    let dir = Dir::new(opts.file_system.clone(), path);
    let exists = dir
        .fs()
        .exists(dir.path())
        .map_err(|e| not_a_directory(&dir, e))?;
    if !exists {
        if !opts.create_if_missing {
            return Err(Error::NotFound(path.to_path_buf()));
        }
        dir.create_durably().map_err(|e| match e {
            Error::Io { source, .. } => not_a_directory(&dir, source),
            e => e,
        })?;
    }
    let lock = dir.lock()?;
    let loaded = Manifest::load(&dir, opts.num_levels)?;
    if loaded.is_none() {
        refuse_tables_without_current(&dir)?;
    }
    let fresh = loaded.is_none();
    if !fresh && opts.error_if_exists {
        return Err(Error::AlreadyExists(path.to_path_buf()));
    }
    if fresh && !opts.create_if_missing {
        return Err(Error::NotFound(path.to_path_buf()));
    }
    let state = loaded.unwrap_or_else(|| ManifestState {
        levels: vec![Vec::new(); opts.num_levels],
        log_number: 0,
        next_file: 1,
        last_seq: 0,
    });
    Ok(Found {
        dir,
        lock,
        state,
        fresh,
    })
}

/// Delete the tables no manifest lists and temporary files; the next free file number.
pub(super) fn clean(dir: &Dir, state: &ManifestState) -> Result<u64> {
    let mut next_file = state.next_file.max(1);
    let listed: HashSet<u64> = state.levels.iter().flatten().map(|m| m.id).collect();
    for name in dir.list_files()? {
        let numbered = parse_number(&name);
        if let Some((_, n)) = numbered {
            next_file = next_file.max(n + 1);
        }
        if let Some((FileKind::Table, id)) = numbered {
            if !listed.contains(&id) {
                tracing::info!(
                    table = id,
                    "deleting a table no manifest lists (unfinished flush or compaction)"
                );
                dir.remove(&name)?;
            }
        }
        if name.ends_with(".tmp") {
            dir.remove(&name)?;
        }
    }
    Ok(next_file)
}

/// A directory without `CURRENT` is a new database only if it holds no table and no WAL
/// segment: the first open points `CURRENT` at its manifest before it creates either (a crash
/// before that leaves at most a manifest no `CURRENT` names). Otherwise `CURRENT` was lost, and
/// opening the directory as a new database would delete every table as an orphan.
fn refuse_tables_without_current(dir: &Dir) -> Result<()> {
    for name in dir.list_files()? {
        if let Some((FileKind::Table | FileKind::Wal, _)) = parse_number(&name) {
            return Err(Error::corruption(
                dir.file(CURRENT),
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

/// A path that is not a directory (a regular file, or a path through one) is named plainly,
/// not as a failure to create something inside it.
fn not_a_directory(dir: &Dir, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotADirectory {
        Error::NotADirectory(dir.path().to_path_buf())
    } else {
        Error::Io {
            path: dir.path().to_path_buf(),
            source: e,
        }
    }
}
