//! The port itself: the traits a file system implements ([`FileSystem`], [`WritableFile`],
//! [`RandomAccessFile`], [`FileLock`]) and what they exchange ([`DirEntry`], [`IoJob`]).

use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

/// A file opened for writing at its end (a new file, or an existing one in append mode).
pub trait WritableFile: Send + Sync + fmt::Debug {
    /// Write all of `buf` at the end of the file. On error a prefix of `buf` may have been
    /// written.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    /// Force the file's data (not necessarily its metadata, e.g. times) to stable storage:
    /// `fdatasync`.
    fn sync_data(&mut self) -> io::Result<()>;
    /// Force the file's data and metadata to stable storage: `fsync`.
    fn sync_all(&mut self) -> io::Result<()>;
}

/// A file opened for positional reads, shared by many threads.
pub trait RandomAccessFile: Send + Sync + fmt::Debug {
    /// Fill `buf` from the file at `offset`; an `UnexpectedEof` error if the file ends first.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// The file's length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        self.len().map(|n| n == 0)
    }
}

/// An exclusive lock on a file, released when dropped.
pub trait FileLock: Send + Sync + fmt::Debug {}

/// One entry of [`FileSystem::list_dir`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's file name (not a path).
    pub name: String,
    /// Whether the entry is a directory.
    pub is_dir: bool,
}

/// The engine job on whose behalf a file is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IoJob {
    /// `Db::open`: the manifest it starts, `CURRENT`, the first WAL segment, and the table
    /// that the replayed WAL is written to (recovery).
    Open,
    /// A commit: the WAL segment started when the active memtable is frozen.
    Commit,
    /// A flush: a frozen memtable written to an L0 table.
    Flush,
    /// A compaction: an output table.
    Compaction,
}

impl IoJob {
    /// Every job.
    pub const ALL: [IoJob; 4] = [IoJob::Open, IoJob::Commit, IoJob::Flush, IoJob::Compaction];

    /// A short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            IoJob::Open => "open",
            IoJob::Commit => "commit",
            IoJob::Flush => "flush",
            IoJob::Compaction => "compaction",
        }
    }
}

impl fmt::Display for IoJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Where the engine's files live. See the module documentation.
///
/// Paths are full paths (the database directory joined with a file name).
pub trait FileSystem: Send + Sync + fmt::Debug {
    /// Create `path`, which must not exist, for writing, on behalf of `job`.
    fn create_new(&self, path: &Path, job: IoJob) -> io::Result<Box<dyn WritableFile>>;
    /// Create `path` for writing, truncating it if it exists (temporary files), on behalf of
    /// `job`.
    fn create(&self, path: &Path, job: IoJob) -> io::Result<Box<dyn WritableFile>>;
    /// Open the existing file `path` to append to it.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;
    /// Open the existing file `path` for positional reads.
    fn open_random(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>>;
    /// The whole contents of `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Rename `from` to `to`, replacing `to` if it exists (atomically, as `rename(2)`).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Delete the file `path`.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Cut the file `path` to `len` bytes (which must not exceed its length) and sync it.
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()>;
    /// The entries of directory `dir`, in no particular order.
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<DirEntry>>;
    /// Create `dir` and its missing parents.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Whether `path` exists (a file or a directory).
    fn exists(&self, path: &Path) -> io::Result<bool>;
    /// Force the directory entries of `dir` (creations, renames, deletions) to stable
    /// storage. May do nothing where directories cannot be synced.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Take an exclusive lock on the file `path`, creating it if needed. Fails with an error
    /// of kind [`io::ErrorKind::WouldBlock`] if another holder (in any process) has it.
    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>>;
}

/// A [`WritableFile`] as an `io::Write`, for `BufWriter` (each `write` writes everything).
pub(crate) struct WriteAdapter(pub Box<dyn WritableFile>);

impl Write for WriteAdapter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for WriteAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
