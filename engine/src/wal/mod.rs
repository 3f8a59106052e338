//! The write-ahead log: every write reaches a log file before it is acknowledged.
//!
//! The WAL is a sequence of *segments*, files named `{number:06}.wal` in the database
//! directory ([`segment`]). There is one segment per memtable generation: when the active
//! memtable is frozen the engine starts a new segment for its successor, so a segment holds
//! exactly the writes of the memtables it covers. Once every memtable a segment covers has been
//! flushed to a table (and the manifest edit recording that is durable), the segment is no
//! longer needed and the engine deletes it. On open, the engine replays the remaining segments
//! in number order.
//!
//! Each segment is a framed record log ([`record`]): a header with [`WAL_MAGIC`], then one
//! record per write batch, each with its own checksum. The same format, with
//! [`MANIFEST_MAGIC`], stores the manifest. Reading distinguishes a *torn tail* — the
//! unfinished last write a crash leaves behind, which recovery drops — from corruption in the
//! middle of a log, which is an error.
//!
//! This module only frames, writes and reads records. Group commit (several writers' batches
//! appended and flushed together) and the sync policy (`sync` on every commit, or only
//! `flush` to the OS) are done by the engine on top of [`LogWriter`].

pub(crate) mod record;
pub(crate) mod segment;

pub(crate) use record::{decode_log, read_log, salvage_log, Damage, LogWriter};
pub(crate) use record::{MANIFEST_MAGIC, MAX_RECORD_LEN, WAL_MAGIC};
pub(crate) use segment::list_segments;
