//! [`TableOptions`]: how a table is written; [`TableMeta`]: what a finished one holds.

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
