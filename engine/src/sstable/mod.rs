//! Sorted string tables: immutable sorted files of internal-key entries.
//!
//! The engine writes one table per memtable flush and per compaction output with a
//! [`TableBuilder`], then reads it through a shared [`Table`] (point reads with
//! [`Table::get`], ordered scans with [`Table::iter`] / [`Table::iter_from`]). The layout
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
mod reader;
#[cfg(test)]
mod tests;

pub use builder::TableBuilder;
pub use iter::TableIter;
pub use reader::Table;

use crate::types::{InternalKey, SeqNo};

/// Largest accepted [`TableOptions::block_size`].
pub const MAX_BLOCK_SIZE: usize = 256 << 20;
/// Largest accepted [`TableOptions::bloom_bits_per_key`].
pub const MAX_BLOOM_BITS_PER_KEY: u32 = 64;

/// How tables are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableOptions {
    /// Target size of a data block in bytes (a block is cut once it reaches this size).
    /// Between 1 and [`MAX_BLOCK_SIZE`]; default 4096.
    pub block_size: usize,
    /// Bloom filter bits per distinct user key; 0 writes no filter. At most
    /// [`MAX_BLOOM_BITS_PER_KEY`]; default 10 (about 1% false positives).
    pub bloom_bits_per_key: u32,
    /// Encoding of data and index blocks (default binary; JSON is the stage ladder's S0–S3).
    /// A reader takes either: every block's trailer names its encoding.
    pub format: crate::RecordFormat,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            block_size: 4096,
            bloom_bits_per_key: 10,
            format: crate::RecordFormat::Binary,
        }
    }
}

impl TableOptions {
    /// Check the options are in range.
    pub fn validate(&self) -> crate::Result<()> {
        if self.block_size == 0 || self.block_size > MAX_BLOCK_SIZE {
            return Err(crate::Error::InvalidOptions(format!(
                "table block_size {} is not between 1 and {MAX_BLOCK_SIZE}",
                self.block_size
            )));
        }
        if self.bloom_bits_per_key > MAX_BLOOM_BITS_PER_KEY {
            return Err(crate::Error::InvalidOptions(format!(
                "bloom_bits_per_key {} exceeds {MAX_BLOOM_BITS_PER_KEY}",
                self.bloom_bits_per_key
            )));
        }
        Ok(())
    }
}

/// What a finished table holds, for the engine's manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableMeta {
    /// Size of the file in bytes.
    pub file_size: u64,
    /// Number of entries (puts and tombstones).
    pub entries: u64,
    /// The first internal key.
    pub smallest: InternalKey,
    /// The last internal key.
    pub largest: InternalKey,
    /// The smallest sequence number of any entry.
    pub min_seq: SeqNo,
    /// The largest sequence number of any entry.
    pub max_seq: SeqNo,
}
