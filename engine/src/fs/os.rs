//! The operating system's file system: [`StdFs`], the default adapter of the file port.
//!
//! This is the one place in the engine that names `std::fs`. Tables are read with positional
//! reads (`pread` on Unix; a seek + read under a lock elsewhere), the directory lock is an
//! advisory `flock` held through its own open file, and a directory is synced by opening it
//! and calling `fsync` on it (a no-op where directories cannot be opened).

use super::port::{DirEntry, FileLock, FileSystem, IoJob, RandomAccessFile, WritableFile};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

/// The operating system's file system through `std::fs`: the default.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdFs;

impl StdFs {
    /// A shared handle, as [`crate::Options::file_system`] takes it.
    pub fn shared() -> Arc<dyn FileSystem> {
        Arc::new(StdFs)
    }
}

/// A `std::fs::File` as a [`WritableFile`] and a [`RandomAccessFile`].
#[derive(Debug)]
struct StdFile {
    file: File,
    /// Serializes seek+read pairs where positional reads are unavailable.
    #[cfg(not(unix))]
    seek_lock: std::sync::Mutex<()>,
}

impl StdFile {
    fn new(file: File) -> StdFile {
        StdFile {
            file,
            #[cfg(not(unix))]
            seek_lock: std::sync::Mutex::new(()),
        }
    }
}

impl WritableFile for StdFile {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn sync_all(&mut self) -> io::Result<()> {
        self.file.sync_all()
    }
}

impl RandomAccessFile for StdFile {
    #[cfg(unix)]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }

    #[cfg(not(unix))]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let _guard = self.seek_lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
}

/// An advisory lock held through its own open file (`flock` on Unix).
#[derive(Debug)]
struct StdLock(File);

impl FileLock for StdLock {}

impl Drop for StdLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes it explicit.
        let _ = self.0.unlock();
    }
}

impl FileSystem for StdFs {
    fn create_new(&self, path: &Path, _job: IoJob) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new().write(true).create_new(true).open(path)?;
        Ok(Box::new(StdFile::new(file)))
    }

    fn create(&self, path: &Path, _job: IoJob) -> io::Result<Box<dyn WritableFile>> {
        Ok(Box::new(StdFile::new(File::create(path)?)))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new().append(true).open(path)?;
        Ok(Box::new(StdFile::new(file)))
    }

    fn open_random(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>> {
        Ok(Arc::new(StdFile::new(File::open(path)?)))
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let file = OpenOptions::new().write(true).open(path)?;
        let have = file.metadata()?.len();
        if have < len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot truncate a file of {have} bytes to {len} bytes"),
            ));
        }
        if have > len {
            file.set_len(len)?;
            file.sync_all()?;
        }
        Ok(())
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            out.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                is_dir: entry.file_type()?.is_dir(),
            });
        }
        Ok(out)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        path.try_exists()
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        #[cfg(unix)]
        {
            File::open(dir)?.sync_all()
        }
        #[cfg(not(unix))]
        {
            // Opening a directory as a file fails (access denied / is a directory); directory
            // entries are durable once the file system's metadata journal commits.
            if let Ok(f) = File::open(dir) {
                let _ = f.sync_all();
            }
            Ok(())
        }
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Box::new(StdLock(file))),
            Err(TryLockError::WouldBlock) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the lock is held by another holder",
            )),
            Err(TryLockError::Error(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_fs_roundtrip() {
        let dir = tempfile::tempdir().unwrap();
        let fs = StdFs;
        let p = dir.path().join("a");
        let mut w = fs.create_new(&p, IoJob::Open).unwrap();
        w.write_all(b"hello ").unwrap();
        w.sync_data().unwrap();
        drop(w);
        assert_eq!(
            fs.create_new(&p, IoJob::Open).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        let mut w = fs.open_append(&p).unwrap();
        w.write_all(b"world").unwrap();
        w.sync_all().unwrap();
        drop(w);
        assert_eq!(fs.read(&p).unwrap(), b"hello world");
        let r = fs.open_random(&p).unwrap();
        assert_eq!(r.len().unwrap(), 11);
        let mut buf = [0u8; 5];
        r.read_exact_at(&mut buf, 6).unwrap();
        assert_eq!(&buf, b"world");
        assert!(r.read_exact_at(&mut buf, 8).is_err());
        fs.truncate(&p, 5).unwrap();
        assert_eq!(fs.read(&p).unwrap(), b"hello");
        assert!(fs.truncate(&p, 6).is_err());
        let q = dir.path().join("b");
        fs.rename(&p, &q).unwrap();
        assert!(!fs.exists(&p).unwrap() && fs.exists(&q).unwrap());
        fs.create_dir_all(&dir.path().join("sub/deeper")).unwrap();
        let mut names = fs.list_dir(dir.path()).unwrap();
        names.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(
            names,
            vec![
                DirEntry {
                    name: "b".into(),
                    is_dir: false
                },
                DirEntry {
                    name: "sub".into(),
                    is_dir: true
                }
            ]
        );
        fs.sync_dir(dir.path()).unwrap();
        fs.remove_file(&q).unwrap();
        assert_eq!(
            fs.remove_file(&q).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        let lock = fs.lock(&dir.path().join("LOCK")).unwrap();
        assert_eq!(
            fs.lock(&dir.path().join("LOCK")).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        drop(lock);
        drop(fs.lock(&dir.path().join("LOCK")).unwrap());
    }
}
