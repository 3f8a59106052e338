//! Options for [`crate::Db::open`]: what the engine is built from and how it behaves.
//!
//! `Options` is a plain struct with public fields and a builder-style setter per field, so a
//! user writes `Options::default().memtable(MapKind::Epoch).sync(SyncPolicy::EveryWrite)`.
//! [`Options::validate`] checks ranges and contradictions once, at open; a bad option is an
//! [`Error::InvalidOptions`] naming the field, never a panic later.

use crate::batch::RecordFormat;
use crate::{Error, Result};
use ferrolite_structures::MapKind;
use std::time::Duration;

/// When the WAL is made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPolicy {
    /// Each commit group is written to the operating system before the writers return (it
    /// survives a process crash), but never fsynced: a power loss may lose recent writes.
    None,
    /// Commit groups are appended to the WAL's buffer in this process and handed to the
    /// operating system when the buffer holds [`BUFFERED_WAL_BYTES`], when `max_delay` has
    /// passed since the last hand-over (checked by writers and by the background workers),
    /// at a memtable switch, on [`crate::Db::sync_wal`] and on close. The fastest policy and
    /// the weakest: a *process* crash loses up to `max_delay` of acknowledged writes (RocksDB's
    /// `manual_wal_flush`, fjall's default). Recovery is still consistent: what survives is a
    /// prefix of the commits.
    Buffered {
        /// Longest time an acknowledged write stays in the process's buffer.
        max_delay: Duration,
    },
    /// Each commit group is written and `fdatasync`ed before its writers return.
    EveryWrite,
    /// Like `EveryWrite`, but the group's leader first waits up to `max_delay` for more
    /// writers to join, so one `fdatasync` covers more writes.
    GroupCommit {
        /// Longest time a leader waits for followers before syncing.
        max_delay: Duration,
    },
}

/// Buffered WAL bytes at which [`SyncPolicy::Buffered`] hands them to the operating system.
pub const BUFFERED_WAL_BYTES: usize = 256 << 10;

/// Options of a database. Construct with [`Options::default`] and the setters.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// Create the database if the directory holds none (default `true`).
    pub create_if_missing: bool,
    /// Refuse to open an existing database (default `false`).
    pub error_if_exists: bool,
    /// The concurrent map behind the memtable (default: the epoch skip list).
    pub memtable: MapKind,
    /// Bytes of keys, values and per-entry overhead after which the active memtable is frozen
    /// and flushed (default 64 MiB, as RocksDB and fjall).
    pub memtable_size: usize,
    /// Frozen memtables allowed to wait for flush before writers stop (default 2).
    pub max_immutable_memtables: usize,
    /// WAL durability (default [`SyncPolicy::None`]).
    pub sync: SyncPolicy,
    /// Target size of an SSTable data block in bytes (default 4096).
    pub block_size: usize,
    /// Bloom filter bits per key, 0 for none (default 10).
    pub bloom_bits_per_key: u32,
    /// Block cache capacity in bytes, 0 for none (default 64 MiB).
    pub block_cache_bytes: u64,
    /// Number of L0 files that triggers an L0→L1 compaction (default 4).
    pub l0_compaction_trigger: usize,
    /// Number of L0 files at which each write is delayed by 1 ms (default 8).
    pub l0_slowdown_trigger: usize,
    /// Number of L0 files at which writes stop until compaction catches up (default 12).
    pub l0_stop_trigger: usize,
    /// Target total size of level 1 in bytes (default 256 MiB); level n+1 is
    /// `level_size_multiplier` times level n.
    pub level1_size: u64,
    /// Growth factor between levels (default 10).
    pub level_size_multiplier: u64,
    /// Number of levels, L0 included (default 7).
    pub num_levels: usize,
    /// Target size of one compaction output table (default 64 MiB).
    pub target_file_size: u64,
    /// Background threads for flush and compaction (default 2; at least 1).
    pub background_threads: usize,
    /// Encoding of WAL records (default binary; JSON is the stage ladder's S0–S3).
    pub wal_format: RecordFormat,
    /// Close the WAL file after every commit group and reopen it (append) for the next —
    /// the ancestor's first stage (default `false`).
    pub wal_reopen_per_write: bool,
    /// Let the background workers compact (default `true`). With `false` they only flush and
    /// L0 grows until [`crate::Db::compact`] (flow control's L0 stop trigger is then ignored).
    pub compaction: bool,
    /// Run flushes and compactions automatically (default `true`). With `false` only
    /// [`crate::Db::flush`] and [`crate::Db::compact`] write tables — for tests.
    pub auto_compaction: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            create_if_missing: true,
            error_if_exists: false,
            memtable: MapKind::Epoch,
            memtable_size: 64 << 20,
            max_immutable_memtables: 2,
            sync: SyncPolicy::None,
            block_size: 4096,
            bloom_bits_per_key: 10,
            block_cache_bytes: 64 << 20,
            l0_compaction_trigger: 4,
            l0_slowdown_trigger: 8,
            l0_stop_trigger: 12,
            level1_size: 256 << 20,
            level_size_multiplier: 10,
            num_levels: 7,
            target_file_size: 64 << 20,
            background_threads: 2,
            auto_compaction: true,
            wal_format: RecordFormat::Binary,
            wal_reopen_per_write: false,
            compaction: true,
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty),* $(,)?) => {
        impl Options {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $field(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Set [`Options::create_if_missing`].
    create_if_missing: bool,
    /// Set [`Options::error_if_exists`].
    error_if_exists: bool,
    /// Set [`Options::memtable`].
    memtable: MapKind,
    /// Set [`Options::memtable_size`].
    memtable_size: usize,
    /// Set [`Options::max_immutable_memtables`].
    max_immutable_memtables: usize,
    /// Set [`Options::sync`].
    sync: SyncPolicy,
    /// Set [`Options::block_size`].
    block_size: usize,
    /// Set [`Options::bloom_bits_per_key`].
    bloom_bits_per_key: u32,
    /// Set [`Options::block_cache_bytes`].
    block_cache_bytes: u64,
    /// Set [`Options::l0_compaction_trigger`].
    l0_compaction_trigger: usize,
    /// Set [`Options::l0_slowdown_trigger`].
    l0_slowdown_trigger: usize,
    /// Set [`Options::l0_stop_trigger`].
    l0_stop_trigger: usize,
    /// Set [`Options::level1_size`].
    level1_size: u64,
    /// Set [`Options::level_size_multiplier`].
    level_size_multiplier: u64,
    /// Set [`Options::num_levels`].
    num_levels: usize,
    /// Set [`Options::target_file_size`].
    target_file_size: u64,
    /// Set [`Options::background_threads`].
    background_threads: usize,
    /// Set [`Options::auto_compaction`].
    auto_compaction: bool,
    /// Set [`Options::wal_format`].
    wal_format: RecordFormat,
    /// Set [`Options::wal_reopen_per_write`].
    wal_reopen_per_write: bool,
    /// Set [`Options::compaction`].
    compaction: bool,
}

impl Options {
    /// Check every field; the first problem is returned as [`Error::InvalidOptions`].
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::InvalidOptions(msg));
        if self.memtable_size < 4096 {
            return bad(format!(
                "memtable_size {} is below the minimum of 4096 bytes",
                self.memtable_size
            ));
        }
        if self.max_immutable_memtables == 0 {
            return bad("max_immutable_memtables must be at least 1".into());
        }
        if !(256..=(16 << 20)).contains(&self.block_size) {
            return bad(format!(
                "block_size {} is outside 256 B ..= 16 MiB",
                self.block_size
            ));
        }
        if self.bloom_bits_per_key > 64 {
            return bad(format!(
                "bloom_bits_per_key {} is above 64",
                self.bloom_bits_per_key
            ));
        }
        if self.l0_compaction_trigger == 0 {
            return bad("l0_compaction_trigger must be at least 1".into());
        }
        if !(self.l0_compaction_trigger <= self.l0_slowdown_trigger
            && self.l0_slowdown_trigger <= self.l0_stop_trigger)
        {
            return bad(format!(
                "L0 triggers must satisfy compaction ({}) <= slowdown ({}) <= stop ({})",
                self.l0_compaction_trigger, self.l0_slowdown_trigger, self.l0_stop_trigger
            ));
        }
        if !(2..=16).contains(&self.num_levels) {
            return bad(format!("num_levels {} is outside 2..=16", self.num_levels));
        }
        if self.level_size_multiplier < 2 {
            return bad("level_size_multiplier must be at least 2".into());
        }
        if self.level1_size < 4096 || self.target_file_size < 4096 {
            return bad("level1_size and target_file_size must be at least 4096 bytes".into());
        }
        if self.background_threads == 0 {
            return bad("background_threads must be at least 1".into());
        }
        if let SyncPolicy::GroupCommit { max_delay } | SyncPolicy::Buffered { max_delay } =
            self.sync
        {
            if max_delay > Duration::from_secs(1) {
                return bad(format!("sync max_delay {max_delay:?} is above 1 s"));
            }
        }
        Ok(())
    }

    /// Target size of level `level` (1-based levels; L0 is counted in files, not bytes).
    pub fn level_target(&self, level: usize) -> u64 {
        let mut size = self.level1_size;
        for _ in 1..level {
            size = size.saturating_mul(self.level_size_multiplier);
        }
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        Options::default().validate().unwrap();
        let err = Options::default().block_size(10).validate().unwrap_err();
        assert!(err.to_string().contains("block_size"), "{err}");
        let err = Options::default()
            .l0_slowdown_trigger(2)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("slowdown"), "{err}");
        assert!(Options::default().background_threads(0).validate().is_err());
    }
}
