//! Crash-safe file helpers: directory sync, atomic replacement, the `CURRENT` pointer and the
//! directory lock.
//!
//! A file's data and its directory entry reach the disk separately: after creating, renaming or
//! deleting a file the *directory* must be synced ([`sync_dir`]) before the change is durable.
//! [`write_file_atomic`] replaces a small file so that after a crash either the old or the new
//! contents are found, never a mix: write `name.tmp`, sync it, rename it over `name`, sync the
//! directory. That is how `CURRENT` — one line naming the live manifest file — is updated
//! ([`write_current`], [`read_current`]). [`DirLock`] holds an exclusive lock on the
//! directory's `LOCK` file so that two engines, in one process or in two, never open the same
//! database.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::fs::{FileLock, FileSystem, StdFs};

/// Name of the file holding the manifest's file name.
pub const CURRENT_FILE: &str = "CURRENT";
/// Name of the lock file.
pub const LOCK_FILE: &str = "LOCK";

/// Force the directory entries of `dir` (creations, renames, deletions) to stable storage.
///
/// On platforms that cannot open or sync a directory (Windows) this does nothing.
pub fn sync_dir(dir: &Path) -> Result<()> {
    sync_dir_in(&StdFs, dir)
}

/// [`sync_dir`] through `fs`.
pub fn sync_dir_in(fs: &dyn FileSystem, dir: &Path) -> Result<()> {
    fs.sync_dir(dir).ctx(dir)
}

/// Create `dir` and its missing parents, durably: after creating them, sync the directory
/// that holds each new one (from the deepest existing ancestor down to `dir`'s parent).
///
/// (Fix: `Db::open` with `create_if_missing` created the database directory without syncing
/// its parent, so a power cut after acknowledged, synced writes could lose the directory's
/// entry — and the whole database with it. Found by the power-cut test.)
pub fn create_dir_all_durably_in(fs: &dyn FileSystem, dir: &Path) -> Result<()> {
    let mut missing = Vec::new();
    let mut d = dir;
    while !d.as_os_str().is_empty() && !fs.exists(d).ctx(d)? {
        missing.push(d);
        match d.parent() {
            Some(p) => d = p,
            None => break,
        }
    }
    fs.create_dir_all(dir).ctx(dir)?;
    // Parents first: a child's entry is durable only once its parent's is.
    for created in missing.into_iter().rev() {
        if let Some(parent) = created.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir_in(fs, parent)?;
        }
    }
    Ok(())
}

/// Replace `dir/name` with `contents` atomically: after a crash the file holds either its old
/// or its new contents.
///
/// Writes `dir/name.tmp`, syncs it, renames it over `dir/name` and syncs `dir`. `name` must be a
/// plain file name.
pub fn write_file_atomic(dir: &Path, name: &str, contents: &[u8]) -> Result<()> {
    write_file_atomic_in(&StdFs, dir, name, contents)
}

/// [`write_file_atomic`] through `fs`.
pub fn write_file_atomic_in(
    fs: &dyn FileSystem,
    dir: &Path,
    name: &str,
    contents: &[u8],
) -> Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let target = dir.join(name);
    let result = (|| {
        let mut f = fs.create(&tmp).ctx(&tmp)?;
        f.write_all(contents).ctx(&tmp)?;
        f.sync_all().ctx(&tmp)?;
        drop(f);
        crate::kill::kill_point!("current.before_rename");
        fs.rename(&tmp, &target).ctx(&target)
    })();
    if result.is_err() {
        let _ = fs.remove_file(&tmp);
    }
    result?;
    crate::kill::kill_point!("current.after_rename");
    sync_dir_in(fs, dir)
}

/// Whether `name` can be stored in `CURRENT`: not empty, no path separators or line breaks,
/// not `.` or `..`.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| matches!(c, '/' | '\\' | '\n' | '\r' | '\0'))
}

/// Read the manifest file name from `dir/CURRENT`; `None` if there is no `CURRENT` file.
///
/// Fails with [`Error::Corruption`] unless the file holds a plain file name followed by one
/// newline.
pub fn read_current(dir: &Path) -> Result<Option<String>> {
    read_current_in(&StdFs, dir)
}

/// [`read_current`] through `fs`.
pub fn read_current_in(fs: &dyn FileSystem, dir: &Path) -> Result<Option<String>> {
    let path = dir.join(CURRENT_FILE);
    let bytes = match fs.read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).ctx(&path),
    };
    let bad = |reason: &str| Error::corruption(&path, 0, reason);
    let text = String::from_utf8(bytes).map_err(|_| bad("CURRENT is not valid UTF-8"))?;
    let name = text
        .strip_suffix('\n')
        .ok_or_else(|| bad("CURRENT does not end with a newline"))?;
    if !is_plain_file_name(name) {
        return Err(bad(&format!(
            "CURRENT does not hold a plain file name: {:?}",
            name
        )));
    }
    Ok(Some(name.to_string()))
}

/// Point `dir/CURRENT` at the manifest `manifest_name`, atomically and durably.
///
/// `manifest_name` must be a plain file name; otherwise an [`Error::Io`] of kind
/// `InvalidInput` is returned and nothing is written.
pub fn write_current(dir: &Path, manifest_name: &str) -> Result<()> {
    write_current_in(&StdFs, dir, manifest_name)
}

/// [`write_current`] through `fs`.
pub fn write_current_in(fs: &dyn FileSystem, dir: &Path, manifest_name: &str) -> Result<()> {
    if !is_plain_file_name(manifest_name) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a plain file name: {manifest_name:?}"),
        ))
        .ctx(dir.join(CURRENT_FILE));
    }
    write_file_atomic_in(
        fs,
        dir,
        CURRENT_FILE,
        format!("{manifest_name}\n").as_bytes(),
    )
}

/// An exclusive lock on a database directory, held until dropped.
///
/// The lock is an advisory lock (`flock` on Unix, through [`FileSystem::lock`]) on `dir/LOCK`,
/// taken through its own open file, so it excludes other processes and also other `DirLock`s
/// in this process. The `LOCK` file itself is left in place.
#[derive(Debug)]
pub struct DirLock {
    /// Dropping it releases the lock.
    _lock: Box<dyn FileLock>,
    dir: PathBuf,
}

impl DirLock {
    /// Lock `dir`, creating `dir/LOCK` if needed. Fails with [`Error::Locked`] if another
    /// `DirLock` (in any process) holds it.
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        DirLock::acquire_in(&StdFs, dir)
    }

    /// [`DirLock::acquire`] through `fs`.
    pub fn acquire_in(fs: &dyn FileSystem, dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE);
        match fs.lock(&path) {
            Ok(lock) => Ok(DirLock {
                _lock: lock,
                dir: dir.to_path_buf(),
            }),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(Error::Locked(dir.to_path_buf()))
            }
            Err(e) => Err(e).ctx(&path),
        }
    }

    /// The locked directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_dir_works_and_reports_missing_dirs() {
        let dir = tempfile::tempdir().unwrap();
        sync_dir(dir.path()).unwrap();
        assert!(matches!(
            sync_dir(&dir.path().join("missing")),
            Err(Error::Io { .. })
        ));
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        write_file_atomic(dir.path(), "f", b"first").unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"first");
        // A stale temp file from a crash is overwritten.
        std::fs::write(dir.path().join("f.tmp"), b"stale junk, longer").unwrap();
        write_file_atomic(dir.path(), "f", b"second").unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"second");
        assert!(!dir.path().join("f.tmp").exists());
        assert!(write_file_atomic(&dir.path().join("missing"), "f", b"x").is_err());
    }

    #[test]
    fn current_roundtrip_and_validation() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_current(dir.path()).unwrap(), None);
        write_current(dir.path(), "MANIFEST-000005").unwrap();
        assert_eq!(
            std::fs::read(dir.path().join(CURRENT_FILE)).unwrap(),
            b"MANIFEST-000005\n"
        );
        assert_eq!(
            read_current(dir.path()).unwrap().as_deref(),
            Some("MANIFEST-000005")
        );
        write_current(dir.path(), "MANIFEST-000009").unwrap();
        assert_eq!(
            read_current(dir.path()).unwrap().as_deref(),
            Some("MANIFEST-000009")
        );
        for bad in ["", "a/b", "..", "x\ny", "/abs"] {
            assert!(write_current(dir.path(), bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            read_current(dir.path()).unwrap().as_deref(),
            Some("MANIFEST-000009")
        );
        for bad in [
            &b""[..],
            b"\n",
            b"MANIFEST-1",
            b"MANIFEST-1\n\n",
            b"../x\n",
            b"a/b\n",
            b"\xff\xfe\n",
            b"MANIFEST-1\r\n",
        ] {
            std::fs::write(dir.path().join(CURRENT_FILE), bad).unwrap();
            assert!(
                matches!(
                    read_current(dir.path()),
                    Err(Error::Corruption { offset: 0, .. })
                ),
                "{}",
                bad.escape_ascii()
            );
        }
    }

    #[test]
    fn dir_lock_excludes_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let lock = DirLock::acquire(dir.path()).unwrap();
        assert_eq!(lock.dir(), dir.path());
        assert!(dir.path().join(LOCK_FILE).exists());
        match DirLock::acquire(dir.path()) {
            Err(Error::Locked(p)) => assert_eq!(p, dir.path()),
            other => panic!("second acquire should fail with Locked, got {other:?}"),
        }
        // Also from another thread.
        let d = dir.path().to_path_buf();
        let r = std::thread::spawn(move || DirLock::acquire(&d).map(|_| ()))
            .join()
            .unwrap();
        assert!(matches!(r, Err(Error::Locked(_))));
        drop(lock);
        let again = DirLock::acquire(dir.path()).unwrap();
        assert!(dir.path().join(LOCK_FILE).exists());
        drop(again);
        assert!(matches!(
            DirLock::acquire(&dir.path().join("missing")),
            Err(Error::Io { .. })
        ));
    }
}
