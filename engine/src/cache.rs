//! The block cache: a port ([`Cache`]) and two adapters.
//!
//! Tables read their data blocks through a shared cache keyed by `(table id, block offset)`.
//! A cache holds only blocks whose checksum and structure were verified when they were read
//! from disk, so a hit skips both the read and the checks. The engine picks an adapter at
//! open: [`BlockCache`] (a weighted CLOCK-Pro cache from `quick_cache`, bounded in bytes) or
//! [`NoCache`] (holds nothing; every read goes to disk). [`new_cache`] chooses between them
//! by capacity.
//!
//! There is no call to evict the blocks of one table: when a table is deleted its blocks are
//! no longer read and age out of the cache like any other cold entry. This requires table ids
//! never to be reused while a cache lives (the engine uses file numbers, which only grow).

use bytes::Bytes;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A shared cache of verified table blocks, keyed by table id and block offset.
pub trait Cache: Send + Sync + fmt::Debug {
    /// The bytes of a verified block, if held.
    fn get(&self, table_id: u64, offset: u64) -> Option<Bytes>;
    /// Offer a verified block; the cache may drop it (or others) to stay within its capacity.
    fn insert(&self, table_id: u64, offset: u64, block: Bytes);
    /// Number of blocks held.
    fn len(&self) -> usize;
    /// Bytes of the blocks held (approximate: block contents, not bookkeeping).
    fn size_bytes(&self) -> u64;
    /// Counters since creation.
    fn stats(&self) -> CacheStats;
}

/// Cache counters (monotonic since the cache was created).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found the block.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Blocks offered with [`Cache::insert`].
    pub inserts: u64,
}

/// Relaxed atomic counters behind [`CacheStats`].
#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    inserts: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            inserts: self.inserts.load(Ordering::Relaxed),
        }
    }
}

/// A cache key: table id and the block's offset in the table file.
type BlockKey = (u64, u64);

/// Weighs a block by its length in bytes (at least 1, so that every block can be evicted).
#[derive(Clone, Copy, Debug, Default)]
struct ByteWeighter;

impl quick_cache::Weighter<BlockKey, Bytes> for ByteWeighter {
    fn weight(&self, _key: &BlockKey, block: &Bytes) -> u64 {
        block.len().max(1) as u64
    }
}

/// A byte-bounded block cache over `quick_cache::sync::Cache`.
pub struct BlockCache {
    inner: quick_cache::sync::Cache<BlockKey, Bytes, ByteWeighter>,
    capacity_bytes: u64,
    counters: Counters,
}

impl BlockCache {
    /// A cache holding at most about `capacity_bytes` of block contents. A block larger than
    /// the cache's share for it is not kept.
    pub fn new(capacity_bytes: u64) -> Self {
        // quick_cache pre-sizes its tables from an item estimate; assume 4 KiB blocks.
        let estimated_items = (capacity_bytes / 4096).clamp(16, 1 << 20) as usize;
        BlockCache {
            inner: quick_cache::sync::Cache::with_weighter(
                estimated_items,
                capacity_bytes,
                ByteWeighter,
            ),
            capacity_bytes,
            counters: Counters::default(),
        }
    }
}

impl fmt::Debug for BlockCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockCache")
            .field("capacity_bytes", &self.capacity_bytes)
            .field("blocks", &self.inner.len())
            .field("size_bytes", &self.inner.weight())
            .field("stats", &self.counters.snapshot())
            .finish()
    }
}

impl Cache for BlockCache {
    fn get(&self, table_id: u64, offset: u64) -> Option<Bytes> {
        let found = self.inner.get(&(table_id, offset));
        let counter = if found.is_some() {
            &self.counters.hits
        } else {
            &self.counters.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn insert(&self, table_id: u64, offset: u64, block: Bytes) {
        self.counters.inserts.fetch_add(1, Ordering::Relaxed);
        self.inner.insert((table_id, offset), block);
    }

    fn len(&self) -> usize {
        self.inner.len()
    }

    fn size_bytes(&self) -> u64 {
        self.inner.weight()
    }

    fn stats(&self) -> CacheStats {
        self.counters.snapshot()
    }
}

/// A cache that holds nothing: every lookup is a miss (and counted as one).
#[derive(Debug, Default)]
pub struct NoCache {
    counters: Counters,
}

impl NoCache {
    /// A new empty non-cache.
    pub fn new() -> Self {
        NoCache::default()
    }
}

impl Cache for NoCache {
    fn get(&self, _table_id: u64, _offset: u64) -> Option<Bytes> {
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        None
    }

    fn insert(&self, _table_id: u64, _offset: u64, _block: Bytes) {
        self.counters.inserts.fetch_add(1, Ordering::Relaxed);
    }

    fn len(&self) -> usize {
        0
    }

    fn size_bytes(&self) -> u64 {
        0
    }

    fn stats(&self) -> CacheStats {
        self.counters.snapshot()
    }
}

/// The cache the engine should use for `capacity_bytes`: a [`BlockCache`], or [`NoCache`]
/// when the capacity is 0.
pub fn new_cache(capacity_bytes: u64) -> Arc<dyn Cache> {
    if capacity_bytes == 0 {
        Arc::new(NoCache::new())
    } else {
        Arc::new(BlockCache::new(capacity_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_cache_counts_and_returns_blocks() {
        let cache = BlockCache::new(1 << 20);
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.get(1, 0), None);
        cache.insert(1, 0, Bytes::from_static(b"hello"));
        assert_eq!(cache.get(1, 0).as_deref(), Some(&b"hello"[..]));
        assert_eq!(cache.get(2, 0), None, "keys include the table id");
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.size_bytes(), 5);
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 1,
                misses: 2,
                inserts: 1
            }
        );
    }

    #[test]
    fn block_cache_stays_within_capacity() {
        let cache = BlockCache::new(64 * 1024);
        let block = Bytes::from(vec![7u8; 4096]);
        for offset in 0..200u64 {
            cache.insert(9, offset * 4096, block.clone());
        }
        assert!(cache.size_bytes() <= 64 * 1024, "{cache:?}");
        assert!(cache.len() <= 16, "{cache:?}");
        assert!(cache.len() > 0, "{cache:?}");
    }

    #[test]
    fn no_cache_holds_nothing() {
        let cache = new_cache(0);
        cache.insert(1, 0, Bytes::from_static(b"x"));
        assert_eq!(cache.get(1, 0), None);
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.size_bytes(), 0);
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 0,
                misses: 1,
                inserts: 1
            }
        );
    }
}
