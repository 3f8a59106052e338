//! One error type for the whole engine.
//!
//! Every fallible public function returns [`Result<T>`]. Bad input (an empty or oversized key,
//! wrong options), damaged files and misuse (a closed database) are typed variants, never
//! panics; I/O failures carry the path they happened on, corruption carries file and offset so
//! that a user can look at the bytes.

use std::io;
use std::path::PathBuf;

/// The engine's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system I/O error on a named file or directory.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory the operation was on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Bytes on disk that fail a checksum, a magic number or a structural check.
    #[error("corruption in {path} at offset {offset}: {reason}")]
    Corruption {
        /// The damaged file.
        path: PathBuf,
        /// Byte offset of the damaged record or block.
        offset: u64,
        /// What check failed.
        reason: String,
    },
    /// A file written by an incompatible format version (or by another program).
    #[error("incompatible file {path}: {reason}")]
    Incompatible {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        reason: String,
    },
    /// Keys must not be empty.
    #[error("empty key")]
    EmptyKey,
    /// A key longer than [`crate::MAX_KEY_LEN`].
    #[error("key of {len} bytes exceeds the maximum of {max}")]
    KeyTooLarge {
        /// Length given.
        len: usize,
        /// Largest length accepted.
        max: usize,
    },
    /// A value longer than [`crate::MAX_VALUE_LEN`].
    #[error("value of {len} bytes exceeds the maximum of {max}")]
    ValueTooLarge {
        /// Length given.
        len: usize,
        /// Largest length accepted.
        max: usize,
    },
    /// A write batch larger than the WAL accepts in one record.
    #[error("write batch of {len} bytes exceeds the maximum of {max}")]
    BatchTooLarge {
        /// Encoded length.
        len: usize,
        /// Largest length accepted.
        max: usize,
    },
    /// Options that contradict each other or are out of range.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// `Db::open` on a path with no database while `create_if_missing` is off.
    #[error("no database at {0} (set Options::create_if_missing to create one)")]
    NotFound(PathBuf),
    /// `Db::open` with `error_if_exists` on a path that holds a database.
    #[error("a database already exists at {0}")]
    AlreadyExists(PathBuf),
    /// `Db::open` on a path that is not a directory: a regular file, or a path through one.
    #[error("{0} is not a directory (a database is a directory)")]
    NotADirectory(PathBuf),
    /// Another `Db` (in this or another process) holds the directory's lock file.
    #[error(
        "database at {0} is locked by another instance (in this or another process: its LOCK \
         file is held); close that instance first"
    )]
    Locked(PathBuf),
    /// The database was closed; no further operations are accepted.
    #[error("database is closed")]
    Closed,
    /// A background flush or compaction failed; the database refuses writes until reopened.
    #[error("background work failed, database is read-only until reopened: {0}")]
    Background(String),
}

impl Error {
    /// Shorthand for a [`Error::Corruption`].
    pub fn corruption(path: impl Into<PathBuf>, offset: u64, reason: impl Into<String>) -> Self {
        Error::Corruption {
            path: path.into(),
            offset,
            reason: reason.into(),
        }
    }
}

/// Attach a path to an `io::Result`.
pub(crate) trait IoContext<T> {
    /// Convert an I/O error into [`Error::Io`] naming `path`.
    fn ctx(self, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.into(),
            source,
        })
    }
}
