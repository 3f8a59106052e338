//! Sorted string tables: immutable sorted files of internal-key entries.
//!
//! The engine writes one table per memtable flush and per compaction output with a
//! [`TableBuilder`], then reads it through a shared [`Table`] (point reads with
//! [`Table::get`], ordered scans with a [`TableIter`]). The layout
//! follows LevelDB's in spirit, simplified (full keys, a whole-table filter):
//!
//! ```text
//! [data block 0][trailer] ... [data block n-1][trailer]
//! [filter block][trailer]           (absent when bloom_bits_per_key = 0)
//! [index block][trailer]
//! [footer: 64 bytes]
//! ```
//!
//! * A **block** (`block.rs`) is a run of entries `[key_len varint][val_len varint][encoded
//!   internal key][value]` followed by a u32 LE offset per entry and a u32 LE entry count, so a
//!   reader binary-searches it in place. On disk every block is followed by a 5-byte
//!   **trailer**: encoding type (0 = binary, 1 = JSON, see `block.rs`) and the crc32c of block
//!   bytes + type byte. The type is the block-level format version: a type this build does not
//!   know, under a valid checksum, is [`crate::Error::Incompatible`] (a newer version wrote it).
//! * Data blocks hold the entries in internal-key order and are cut once they reach
//!   [`TableOptions::block_size`].
//! * The **filter block** (`filter.rs`) is one bloom filter over the table's distinct user keys.
//! * The **index block** has one entry per data block: the block's last encoded internal key
//!   and its handle (offset u64 LE, size u32 LE, the size excluding the trailer).
//! * The **footer** (`footer.rs`) holds the filter and index handles, the entry count, the
//!   smallest and largest sequence numbers, the format version, a crc32c and the magic
//!   `FLITESST`.
//!
//! Every byte of a table is covered by a checksum, so damage shows up as a typed
//! [`crate::Error::Corruption`] naming the file and the offset of the damaged block.

mod block;
mod builder;
mod filter;
mod footer;
mod iter;
mod meta;
mod reader;
#[cfg(test)]
mod tests;

pub use builder::TableBuilder;
pub use iter::TableIter;
pub use meta::{TableMeta, TableOptions};
pub use reader::Table;
