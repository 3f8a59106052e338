//! Ferrolite: an LSM-tree key-value engine with a pluggable concurrent memtable.
//!
//! ```no_run
//! use ferrolite::{Db, Options, MapKind};
//! # fn main() -> ferrolite::Result<()> {
//! let db = Db::open("/tmp/ferrolite-doc", Options::default().memtable(MapKind::Epoch))?;
//! db.put("hello", "world")?;
//! assert_eq!(db.get("hello")?.as_deref(), Some(&b"world"[..]));
//! # Ok(()) }
//! ```
//!
//! See `ARCHITECTURE.md` for the map of the code: ports (`MemTable`, `Cache`, `FileSystem`,
//! the table reader/builder, the record log) and their adapters, the write path (`write.rs`), the read
//! path (`read.rs`), flushes (`flush.rs`), compactions (`compaction.rs`) and recovery
//! (`recovery.rs`).

pub mod batch;
pub mod cache;
mod compaction;
mod db;
pub mod error;
pub mod fault;
pub mod feed;
mod flush;
pub mod fs;
pub mod fsutil;
pub mod iter;
pub mod kill;
pub mod memtable;
pub mod options;
mod point_index;
pub mod powercut;
pub mod projection;
mod read;
mod recovery;
pub mod sstable;
pub mod stats;
pub mod types;
pub mod version;
pub mod wal;
mod write;

pub use batch::{RecordFormat, WriteBatch};
pub use db::{Db, Snapshot};
pub use error::{Error, Result};
pub use feed::{Event, FeedItem, Subscription};
pub use ferrolite_structures::MapKind;
pub use fs::{FileSystem, StdFs};
pub use iter::DbIter;
pub use options::{CompactionStyle, Options, Stage, SyncPolicy};
pub use stats::DbStats;
pub use types::{InternalKey, SeqNo, ValueKind};

/// Longest key accepted (bytes).
pub const MAX_KEY_LEN: usize = 64 * 1024;
/// Longest value accepted (bytes).
pub const MAX_VALUE_LEN: usize = 64 * 1024 * 1024;
