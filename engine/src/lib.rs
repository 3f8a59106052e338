//! Ferrolite: an LSM-tree key-value engine with a pluggable concurrent memtable.

pub mod error;
pub mod fsutil;
pub mod sstable;
pub mod types;
pub mod wal;

pub use error::{Error, Result};
pub use types::{InternalKey, SeqNo, ValueKind};

/// Longest key accepted (bytes).
pub const MAX_KEY_LEN: usize = 64 * 1024;
/// Longest value accepted (bytes).
pub const MAX_VALUE_LEN: usize = 64 * 1024 * 1024;
