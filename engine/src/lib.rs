//! Ferrolite: an LSM-tree key-value engine with a pluggable concurrent memtable.
//!
//! ```no_run
//! use ferrolite::{Db, MapKind, Options, WriteBatch};
//! # fn main() -> ferrolite::Result<()> {
//! let db = Db::open("/tmp/ferrolite-doc", Options::default().memtable(MapKind::Epoch))?;
//! db.put("hello", "world")?;
//! assert_eq!(db.get("hello")?.as_deref(), Some(&b"world"[..]));
//!
//! let mut batch = WriteBatch::new();
//! batch.put("a", "1").delete("hello");
//! db.write(batch)?; // all or nothing
//!
//! let snapshot = db.snapshot()?;
//! db.put("a", "2")?;
//! assert_eq!(snapshot.get("a")?.as_deref(), Some(&b"1"[..]));
//! for entry in db.scan("a"..)? {
//!     let (key, value) = entry?;
//!     println!("{key:?} = {value:?}");
//! }
//! # Ok(()) }
//! ```
//!
//! # A guide to the API
//!
//! - [`Db`]: open, `put`/`delete`/`write` (a [`WriteBatch`], atomic), `get`, `scan` (any
//!   key range, a [`DbIter`]), `snapshot` (a [`Snapshot`]), `flush`, `compact`, `sync_wal`,
//!   `stats` ([`DbStats`]), `verify`, `close`.
//! - [`Options`]: every setting, with defaults; [`Options::stage`] builds the presets of the
//!   ancestor's stage ladder ([`Stage`]). The memtable is any map of `ferrolite-structures`
//!   ([`MapKind`]); durability is [`SyncPolicy`]; damage in the WAL is handled as
//!   [`WalRecovery`] says.
//! - The change feed: [`Db::subscribe`] yields every committed batch as an [`Event`] in
//!   sequence order ([`Subscription`], [`FeedItem`]); [`Db::on_event`] runs a handler thread.
//! - Errors: one [`Error`] enum, typed variants for bad input, damage and misuse.
//! - Extension points: the file port [`fs`] (bring your own file system; the
//!   `ferrolite-testfs` crate has fault-injecting ones) and [`inspect`] (read a database's
//!   files from outside, for tools).
//!
//! `ARCHITECTURE.md` maps the code: the write path (`commit/`), the read path (`read.rs`),
//! background work (`background/`), the table set (`tables/`), recovery (`open/`).

mod background;
mod batch;
mod cache;
mod commit;
mod control;
mod db;
mod engine;
mod error;
mod feed;
pub mod fs;
mod handoff;
pub mod inspect;
mod iter;
mod key;
mod memtable;
mod open;
mod options;
mod projection;
mod read;
mod recent;
mod snapshot;
mod sstable;
mod stats;
mod tables;
mod types;
mod visibility;
mod wal;
mod workers;

pub use batch::{BatchOp, RecordFormat, WriteBatch};
pub use bytes::Bytes;
pub use commit::MAX_GROUP_BYTES;
pub use db::Db;
pub use error::{Error, Result};
pub use feed::{Event, FeedItem, Subscription};
/// The structures crate: `ConcurrentMap`'s bounds (`MapKey`, `MapValue`) and `ReclaimStats`, for a
/// memtable map of your own ([`Options::memtable_map`]).
pub use ferrolite_structures as structures;
pub use ferrolite_structures::{ConcurrentMap, MapKind};
pub use fs::{FileSystem, StdFs};
pub use inspect::MAX_RECORD_LEN as MAX_BATCH_BYTES;
pub use iter::DbIter;
pub use key::{IntoBytes, KeyRange, MAX_KEY_LEN, MAX_VALUE_LEN};
pub use memtable::{MemKey, MemtableFactory};
pub use options::{CompactionStyle, Options, Stage, SyncPolicy, WalRecovery, BUFFERED_WAL_BYTES};
pub use projection::EventStats;
pub use snapshot::Snapshot;
pub use stats::DbStats;
pub use types::{SeqNo, ValueKind};
