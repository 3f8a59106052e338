//! What a workload needs of an engine ([`Engine`]: put, get, delete, bounded forward scans, a
//! shape summary) and its adapter over Ferrolite's [`Db`].

use anyhow::Result;
use bytes::Bytes;
use ferrolite::{Db, DbStats, Options};
use std::path::Path;

/// What a workload needs of an engine. Shared by all threads of a benchmark.
pub trait Engine: Send + Sync {
    /// A short name for headers and tables (`ferrolite`, `fjall`).
    fn name(&self) -> &str;
    /// Set `key` to `value`.
    fn put(&self, key: &[u8], value: &Bytes) -> Result<()>;
    /// The length of `key`'s value, if present.
    fn get(&self, key: &[u8]) -> Result<Option<usize>>;
    /// Remove `key`.
    fn delete(&self, key: &[u8]) -> Result<()>;
    /// Visit at most `limit` entries with keys in `start..end` (`end` `None`: unbounded), in
    /// key order; returns how many were visited.
    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize>;
    /// Visit the first `n` entries at or after `key` (a seek and `n - 1` nexts).
    fn scan_from(
        &self,
        key: &[u8],
        n: usize,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        self.scan(key, None, n, visit)
    }
    /// The shape of the database and what the engine counted.
    fn summary(&self) -> EngineSummary;
    /// Make everything durable and stop background work.
    fn close(&self) -> Result<()>;
}

/// Visit at most `limit` of an engine's `entries`, in order, stopping at the first error;
/// returns how many were visited: the loop of every [`Engine::scan`].
pub(super) fn visit_entries<K, V, E>(
    entries: impl Iterator<Item = std::result::Result<(K, V), E>>,
    limit: usize,
    visit: &mut dyn FnMut(&[u8], &[u8]),
) -> Result<usize>
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
    E: std::error::Error + Send + Sync + 'static,
{
    let mut n = 0;
    for item in entries.take(limit) {
        let (k, v) = item?;
        visit(k.as_ref(), v.as_ref());
        n += 1;
    }
    Ok(n)
}

/// One level of an LSM tree.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LevelShape {
    /// Table files.
    pub files: usize,
    /// Their bytes, if the engine tells.
    pub bytes: Option<u64>,
}

/// An engine's shape and counters after a run; `None` where the engine does not tell.
#[derive(Clone, Debug, Default)]
pub struct EngineSummary {
    /// Levels, L0 first.
    pub levels: Vec<LevelShape>,
    /// (WAL + table bytes written) / user bytes written.
    pub write_amplification: Option<f64>,
    /// Table bytes written / user bytes written.
    pub table_write_amplification: Option<f64>,
    /// Bytes on disk (tables and logs), if known apart from the levels.
    pub disk_bytes: Option<u64>,
    /// Memtable flushes.
    pub flushes: Option<u64>,
    /// Compactions.
    pub compactions: Option<u64>,
    /// Ferrolite's full statistics.
    pub db_stats: Option<DbStats>,
    /// Ferrolite's block cache capacity (0: no cache, every block lookup a miss).
    pub block_cache_bytes: Option<u64>,
    /// Ferrolite's recent-writes map budget (0: no map, no get answered by it).
    pub recent_writes_bytes: Option<u64>,
}

/// A [`ferrolite::Db`] as an [`Engine`].
#[derive(Debug)]
pub struct FerroliteEngine {
    db: Db,
}

impl FerroliteEngine {
    /// Open (or create) the database in `path`.
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Self> {
        Ok(FerroliteEngine {
            db: Db::open(path, opts)?,
        })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }
}

impl Engine for FerroliteEngine {
    fn name(&self) -> &str {
        "ferrolite"
    }

    fn put(&self, key: &[u8], value: &Bytes) -> Result<()> {
        Ok(self.db.put(Bytes::copy_from_slice(key), value.clone())?)
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        Ok(self.db.get(key)?.map(|v| v.len()))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        Ok(self.db.delete(Bytes::copy_from_slice(key))?)
    }

    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        let iter = match end {
            Some(end) => self.db.scan(start..end)?,
            None => self.db.scan(start..)?,
        };
        visit_entries(iter, limit, visit)
    }

    fn summary(&self) -> EngineSummary {
        let s = self.db.stats();
        EngineSummary {
            levels: s
                .files_per_level
                .iter()
                .zip(&s.bytes_per_level)
                .map(|(&files, &bytes)| LevelShape {
                    files,
                    bytes: Some(bytes),
                })
                .collect(),
            write_amplification: Some(s.write_amplification()),
            table_write_amplification: Some(s.table_write_amplification()),
            disk_bytes: None,
            flushes: Some(s.flushes),
            compactions: Some(s.compactions),
            db_stats: Some(s),
            block_cache_bytes: Some(self.db.options().block_cache_bytes),
            recent_writes_bytes: Some(self.db.options().recent_writes_bytes),
        }
    }

    fn close(&self) -> Result<()> {
        Ok(self.db.close()?)
    }
}
