//! The file port: every file operation the engine makes goes through a [`FileSystem`].
//!
//! WAL segments and the manifest are appended through a [`WritableFile`] (one `write_all` per
//! commit group, one `sync_data` per synced group), tables are written sequentially through a
//! [`WritableFile`] and read with positional reads through a shared [`RandomAccessFile`]
//! (concurrent readers, no lock, no copy beyond the caller's buffer), and the directory is
//! listed, synced and locked through the [`FileSystem`] itself. Which file system a database
//! uses is [`crate::Options::file_system`]; the default is [`StdFs`], the operating system's,
//! and it is the only code of the engine that names `std::fs`.
//!
//! Every file the engine creates says which job creates it ([`IoJob`]: a commit's WAL
//! segment, a flush's or a compaction's table, what `Db::open` writes), as RocksDB's file
//! system passes an I/O activity with its file options: an adapter may count, throttle or
//! (in tests) crash by job. The file's kind follows from its name ([`FileKind::of`]).
//!
//! The trait is object-safe so that adapters can wrap one another at run time: a
//! fault-injecting, power-cutting or crash-point adapter wraps any `Arc<dyn FileSystem>`
//! (the `ferrolite-testfs` crate has three). Methods return plain `io::Result`s; the engine
//! attaches the path ([`crate::Error::Io`]).
//!
//! Inside the engine a database directory is a `Dir` (`dir.rs`): the port plus a path, with
//! the crash-safe helpers (directory sync, atomic replace, `CURRENT`, the lock) on top.

mod dir;
mod names;
mod os;
mod port;

pub(crate) use dir::{Dir, DirLock};
pub use names::FileKind;
pub(crate) use names::{manifest_name, parse_number, segment_name, table_name, CURRENT};
pub use os::StdFs;
pub(crate) use port::WriteAdapter;
pub use port::{DirEntry, FileLock, FileSystem, IoJob, RandomAccessFile, WritableFile};
