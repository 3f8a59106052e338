//! [`Dir`]: a database directory — the file port plus a path — and the crash-safe helpers
//! every module writes through.
//!
//! Modules never hold a bare path and a file system apart: they take a `Dir` and name files
//! inside it, and every error comes back as [`Error::Io`] naming the file. On top of the port
//! it adds the three rules of crash-safe file handling:
//!
//! - A file's data and its directory entry reach the disk separately: after creating,
//!   renaming or deleting a file the *directory* must be synced ([`Dir::sync`]) before the
//!   change is durable.
//! - A small file is replaced atomically ([`Dir::write_atomic`]): write `name.tmp`, sync it,
//!   rename it over `name`, sync the directory — after a crash either the old or the new
//!   contents are found, never a mix. That is how `CURRENT`, one line naming the live manifest,
//!   is updated ([`Dir::write_current`], [`Dir::read_current`]).
//! - A database directory is owned by one engine at a time: [`Dir::lock`] takes an exclusive
//!   lock on its `LOCK` file, excluding other processes and other handles in this one.

use super::names::{CURRENT, LOCK};
use super::port::{DirEntry, FileLock, FileSystem, IoJob, RandomAccessFile, WritableFile};
use crate::error::{Error, IoContext, Result};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A directory on a file system. Cheap to clone (an `Arc` and a path).
#[derive(Clone, Debug)]
pub(crate) struct Dir {
    fs: Arc<dyn FileSystem>,
    path: PathBuf,
}

impl Dir {
    /// The directory `path` on `fs` (nothing is checked or created).
    pub(crate) fn new(fs: Arc<dyn FileSystem>, path: impl Into<PathBuf>) -> Dir {
        Dir {
            fs,
            path: path.into(),
        }
    }

    /// The directory's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The file system it lives on.
    pub(crate) fn fs(&self) -> &Arc<dyn FileSystem> {
        &self.fs
    }

    /// The path of the file `name` in this directory.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Create the file `name`, which must not exist, for writing on behalf of `job`.
    pub(crate) fn create_new(&self, name: &str, job: IoJob) -> Result<Box<dyn WritableFile>> {
        let path = self.file(name);
        self.fs.create_new(&path, job).ctx(path)
    }

    /// Open the existing file `name` to append to it.
    pub(crate) fn open_append(&self, name: &str) -> Result<Box<dyn WritableFile>> {
        let path = self.file(name);
        self.fs.open_append(&path).ctx(path)
    }

    /// Open the existing file `name` for positional reads.
    pub(crate) fn open_random(&self, name: &str) -> Result<Arc<dyn RandomAccessFile>> {
        let path = self.file(name);
        self.fs.open_random(&path).ctx(path)
    }

    /// The whole contents of `name`; `None` if it does not exist.
    pub(crate) fn read_if_exists(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let path = self.file(name);
        match self.fs.read(&path) {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).ctx(path),
        }
    }

    /// The whole contents of `name`.
    pub(crate) fn read(&self, name: &str) -> Result<Vec<u8>> {
        let path = self.file(name);
        self.fs.read(&path).ctx(path)
    }

    /// Whether `name` exists.
    pub(crate) fn exists(&self, name: &str) -> Result<bool> {
        let path = self.file(name);
        self.fs.exists(&path).ctx(path)
    }

    /// Delete the file `name`.
    pub(crate) fn remove(&self, name: &str) -> Result<()> {
        let path = self.file(name);
        self.fs.remove_file(&path).ctx(path)
    }

    /// Delete the file `name` if it is there: a missing file is not an error.
    pub(crate) fn remove_if_exists(&self, name: &str) -> Result<()> {
        let path = self.file(name);
        match self.fs.remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e).ctx(path),
            _ => Ok(()),
        }
    }

    /// The directory's entries that are files, by name, in no particular order.
    pub(crate) fn list_files(&self) -> Result<Vec<String>> {
        let entries: Vec<DirEntry> = self.fs.list_dir(&self.path).ctx(&self.path)?;
        Ok(entries
            .into_iter()
            .filter(|e| !e.is_dir)
            .map(|e| e.name)
            .collect())
    }

    /// Force the directory's entries (creations, renames, deletions) to stable storage.
    pub(crate) fn sync(&self) -> Result<()> {
        self.fs.sync_dir(&self.path).ctx(&self.path)
    }

    /// Create the directory and its missing parents, durably: after creating them, sync the
    /// directory that holds each new one (from the deepest existing ancestor down to this
    /// directory's parent). Returns whether the directory was created.
    ///
    /// (Fix: `Db::open` with `create_if_missing` created the database directory without
    /// syncing its parent, so a power cut after acknowledged, synced writes could lose the
    /// directory's entry — and the whole database with it. Found by the power-cut test.)
    pub(crate) fn create_durably(&self) -> Result<bool> {
        let fs = self.fs.as_ref();
        let mut missing = Vec::new();
        let mut d = self.path.as_path();
        while !d.as_os_str().is_empty() && !fs.exists(d).ctx(d)? {
            missing.push(d);
            match d.parent() {
                Some(p) => d = p,
                None => break,
            }
        }
        if missing.is_empty() {
            return Ok(false);
        }
        fs.create_dir_all(&self.path).ctx(&self.path)?;
        // Parents first: a child's entry is durable only once its parent's is.
        for created in missing.into_iter().rev() {
            if let Some(parent) = created.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs.sync_dir(parent).ctx(parent)?;
            }
        }
        Ok(true)
    }

    /// Replace the file `name` with `contents` atomically: after a crash it holds either its
    /// old or its new contents. Writes `name.tmp`, syncs it, renames it over `name` and syncs
    /// the directory.
    pub(crate) fn write_atomic(&self, name: &str, contents: &[u8], job: IoJob) -> Result<()> {
        let tmp = self.file(&format!("{name}.tmp"));
        let target = self.file(name);
        let result = (|| {
            let mut f = self.fs.create(&tmp, job).ctx(&tmp)?;
            f.write_all(contents).ctx(&tmp)?;
            f.sync_all().ctx(&tmp)?;
            drop(f);
            self.fs.rename(&tmp, &target).ctx(&target)
        })();
        if result.is_err() {
            let _ = self.fs.remove_file(&tmp);
        }
        result?;
        self.sync()
    }

    /// The manifest file name `CURRENT` holds; `None` if there is no `CURRENT` file.
    ///
    /// Fails with [`Error::Corruption`] unless the file holds a plain file name followed by
    /// one newline.
    pub(crate) fn read_current(&self) -> Result<Option<String>> {
        let Some(bytes) = self.read_if_exists(CURRENT)? else {
            return Ok(None);
        };
        let path = self.file(CURRENT);
        let bad = |reason: &str| Error::corruption(&path, 0, reason);
        let text = String::from_utf8(bytes).map_err(|_| bad("CURRENT is not valid UTF-8"))?;
        let name = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("CURRENT does not end with a newline"))?;
        if !is_plain_file_name(name) {
            return Err(bad(&format!(
                "CURRENT does not hold a plain file name: {name:?}"
            )));
        }
        Ok(Some(name.to_string()))
    }

    /// Point `CURRENT` at the manifest `manifest_name`, atomically and durably.
    ///
    /// `manifest_name` must be a plain file name; otherwise an [`Error::Io`] of kind
    /// `InvalidInput` is returned and nothing is written.
    pub(crate) fn write_current(&self, manifest_name: &str) -> Result<()> {
        if !is_plain_file_name(manifest_name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a plain file name: {manifest_name:?}"),
            ))
            .ctx(self.file(CURRENT));
        }
        self.write_atomic(
            CURRENT,
            format!("{manifest_name}\n").as_bytes(),
            IoJob::Open,
        )
    }

    /// Take the directory's lock (`LOCK`, created if needed). Fails with [`Error::Locked`]
    /// if another holder (in any process) has it, and names the directory itself when it is
    /// not a directory.
    pub(crate) fn lock(&self) -> Result<DirLock> {
        let path = self.file(LOCK);
        match self.fs.lock(&path) {
            Ok(lock) => Ok(DirLock { _lock: lock }),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(Error::Locked(self.path.clone()))
            }
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
                Err(Error::NotADirectory(self.path.clone()))
            }
            Err(e) => Err(e).ctx(path),
        }
    }
}

/// An exclusive lock on a database directory, held until dropped. See [`Dir::lock`].
#[derive(Debug)]
pub(crate) struct DirLock {
    /// Dropping it releases the lock.
    _lock: Box<dyn FileLock>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::StdFs;

    fn dir(path: &Path) -> Dir {
        Dir::new(Arc::new(StdFs), path)
    }

    #[test]
    fn sync_works_and_reports_missing_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        dir(tmp.path()).sync().unwrap();
        assert!(matches!(
            dir(&tmp.path().join("missing")).sync(),
            Err(Error::Io { .. })
        ));
    }

    #[test]
    fn create_durably_creates_missing_parents_once() {
        let tmp = tempfile::tempdir().unwrap();
        let d = dir(&tmp.path().join("a/b/c"));
        assert!(d.create_durably().unwrap());
        assert!(tmp.path().join("a/b/c").is_dir());
        assert!(!d.create_durably().unwrap());
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let tmp = tempfile::tempdir().unwrap();
        let d = dir(tmp.path());
        d.write_atomic("f", b"first", IoJob::Open).unwrap();
        assert_eq!(d.read("f").unwrap(), b"first");
        // A stale temp file from a crash is overwritten.
        std::fs::write(tmp.path().join("f.tmp"), b"stale junk, longer").unwrap();
        d.write_atomic("f", b"second", IoJob::Open).unwrap();
        assert_eq!(d.read("f").unwrap(), b"second");
        assert!(!d.exists("f.tmp").unwrap());
        assert!(dir(&tmp.path().join("missing"))
            .write_atomic("f", b"x", IoJob::Open)
            .is_err());
    }

    #[test]
    fn current_roundtrip_and_validation() {
        let tmp = tempfile::tempdir().unwrap();
        let d = dir(tmp.path());
        assert_eq!(d.read_current().unwrap(), None);
        d.write_current("MANIFEST-000005").unwrap();
        assert_eq!(d.read(CURRENT).unwrap(), b"MANIFEST-000005\n");
        assert_eq!(
            d.read_current().unwrap().as_deref(),
            Some("MANIFEST-000005")
        );
        d.write_current("MANIFEST-000009").unwrap();
        assert_eq!(
            d.read_current().unwrap().as_deref(),
            Some("MANIFEST-000009")
        );
        for bad in ["", "a/b", "..", "x\ny", "/abs"] {
            assert!(d.write_current(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            d.read_current().unwrap().as_deref(),
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
            std::fs::write(tmp.path().join(CURRENT), bad).unwrap();
            assert!(
                matches!(d.read_current(), Err(Error::Corruption { offset: 0, .. })),
                "{}",
                bad.escape_ascii()
            );
        }
    }

    #[test]
    fn lock_excludes_a_second_holder_until_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let d = dir(tmp.path());
        let lock = d.lock().unwrap();
        assert!(d.exists(LOCK).unwrap());
        match d.lock() {
            Err(Error::Locked(p)) => assert_eq!(p, tmp.path()),
            other => panic!("second lock should fail with Locked, got {other:?}"),
        }
        // Also from another thread.
        let d2 = d.clone();
        let r = std::thread::spawn(move || d2.lock().map(|_| ()))
            .join()
            .unwrap();
        assert!(matches!(r, Err(Error::Locked(_))));
        drop(lock);
        drop(d.lock().unwrap());
        assert!(matches!(
            dir(&tmp.path().join("missing")).lock(),
            Err(Error::Io { .. })
        ));
        let file = tmp.path().join("plain");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(dir(&file).lock(), Err(Error::NotADirectory(p)) if p == file));
    }
}
