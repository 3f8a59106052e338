//! The `yardstick` engine: the same workloads on fjall 2.x, a production Rust LSM engine, as an
//! [`Engine`] over one partition (feature `yardstick`), so a run can put our numbers next to
//! theirs.

use super::engine::{visit_entries, Engine, EngineSummary, LevelShape};
use anyhow::Result;
use bytes::Bytes;
use fjall::{
    AbstractTree, CompressionType, Config, Keyspace, PartitionCreateOptions, PartitionHandle,
    PersistMode,
};
use std::path::Path;

/// The settings of a fjall run, named like ferrolite's.
#[derive(Clone, Copy, Debug)]
pub struct FjallOptions {
    /// Memtable size in bytes (fjall's `max_memtable_size`; the keyspace's write buffer
    /// is set to twice it, at least fjall's default 64 MiB).
    pub memtable_bytes: u32,
    /// Block cache bytes.
    pub cache_bytes: u64,
    /// Bloom filter bits per key.
    pub bloom_bits: u8,
    /// `fdatasync` the journal after every write (`--sync every`); otherwise each write
    /// reaches the OS buffers, unsynced — fjall's default, like ferrolite's
    /// `SyncPolicy::None`.
    pub sync_every_write: bool,
}

/// A fjall (2.x) partition as an [`Engine`]: the "yardstick" — a production Rust LSM
/// engine. Blocks are stored uncompressed, as ferrolite stores them.
pub struct FjallEngine {
    keyspace: Keyspace,
    part: PartitionHandle,
    sync_every_write: bool,
}

impl FjallEngine {
    /// Open (or create) a keyspace in `path` with one partition, `bench`.
    pub fn open(path: impl AsRef<Path>, opts: FjallOptions) -> Result<Self> {
        let keyspace = Config::new(path.as_ref())
            .cache_size(opts.cache_bytes)
            .max_write_buffer_size((2 * u64::from(opts.memtable_bytes)).max(64 << 20))
            .open()?;
        let part = keyspace.open_partition(
            "bench",
            PartitionCreateOptions::default()
                .compression(CompressionType::None)
                .max_memtable_size(opts.memtable_bytes)
                .bloom_filter_bits(Some(opts.bloom_bits)),
        )?;
        Ok(FjallEngine {
            keyspace,
            part,
            sync_every_write: opts.sync_every_write,
        })
    }

    fn synced(&self) -> Result<()> {
        if self.sync_every_write {
            self.keyspace.persist(PersistMode::SyncData)?;
        }
        Ok(())
    }
}

impl Engine for FjallEngine {
    fn name(&self) -> &str {
        "fjall"
    }

    fn put(&self, key: &[u8], value: &Bytes) -> Result<()> {
        self.part.insert(key, value.as_ref())?;
        self.synced()
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        Ok(self.part.get(key)?.map(|v| v.len()))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.part.remove(key)?;
        self.synced()
    }

    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        match end {
            Some(end) => visit_entries(self.part.range(start..end), limit, visit),
            None => visit_entries(self.part.range(start..), limit, visit),
        }
    }

    fn summary(&self) -> EngineSummary {
        let tree = &self.part.tree;
        let levels = (0..)
            .map_while(|i| tree.level_segment_count(i))
            .map(|files| LevelShape { files, bytes: None })
            .collect();
        EngineSummary {
            levels,
            disk_bytes: Some(self.keyspace.disk_space()),
            flushes: Some(self.keyspace.flushes_completed() as u64),
            compactions: Some(self.keyspace.compactions_completed() as u64),
            ..EngineSummary::default()
        }
    }

    fn close(&self) -> Result<()> {
        Ok(self.keyspace.persist(PersistMode::SyncAll)?)
    }
}
