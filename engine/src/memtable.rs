//! The memtable port and its one adapter over every concurrent map.
//!
//! A memtable holds the newest writes in memory, keyed by [`InternalKey`] (user key, sequence,
//! kind), so several versions of a key coexist and a snapshot read takes the newest version at
//! or below its sequence number: seek to `(key, snapshot)` and look at the first entry. Every
//! write gets a fresh sequence number, so the map never replaces a value — memtables only grow
//! until they are frozen, flushed to an L0 table and dropped.
//!
//! [`MemTable`] is the port the engine talks to; [`MapMemTable`] adapts any
//! `ConcurrentMap<InternalKey, Bytes>` of `ferrolite-structures` (the mutex, epoch, hazard and
//! no-reclamation skip lists and the two reference maps), chosen by [`MapKind`] at run time.
//! That is the point of the testbed: the same engine, a different structure underneath.

use crate::types::{InternalKey, SeqNo, ValueKind};
use bytes::Bytes;
use ferrolite_structures::{ConcurrentMap, MapKind};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Bytes charged per entry on top of key and value: node, tower and `Bytes` headers. An
/// estimate (the real figure differs per structure); it only decides when to flush.
pub const ENTRY_OVERHEAD: usize = 64;

/// An owned iterator over memtable entries in internal-key order.
pub type MemIter<'a> = Box<dyn Iterator<Item = (InternalKey, Bytes)> + 'a>;

/// What the engine needs from a memtable.
pub trait MemTable: Send + Sync {
    /// The structure's name (`"epoch"`, `"mutex"`, …).
    fn name(&self) -> &'static str;
    /// Add one version. Keys are unique (every write has its own sequence number).
    fn insert(&self, key: InternalKey, value: Bytes);
    /// The newest version of `user_key` with `seq <= snapshot`, tombstones included.
    fn get(&self, user_key: &[u8], snapshot: SeqNo) -> Option<(SeqNo, ValueKind, Bytes)>;
    /// Entries from `start` on, in internal-key order (weakly consistent while writers run;
    /// exact once the memtable is frozen).
    fn iter_from(&self, start: Bound<&InternalKey>) -> MemIter<'_>;
    /// Approximate bytes held (keys, values and [`ENTRY_OVERHEAD`] per entry).
    fn approximate_bytes(&self) -> usize;
    /// Entries held.
    fn len(&self) -> usize;
    /// True if no entry was inserted.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Highest sequence number inserted (0 if empty).
    fn max_seq(&self) -> SeqNo;
}

/// A [`MemTable`] over any concurrent ordered map of `ferrolite-structures`.
pub struct MapMemTable {
    map: Box<dyn ConcurrentMap<InternalKey, Bytes>>,
    bytes: AtomicUsize,
    entries: AtomicUsize,
    max_seq: AtomicU64,
}

impl MapMemTable {
    /// A new, empty memtable over a map of the given kind.
    pub fn new(kind: MapKind) -> Self {
        MapMemTable {
            map: kind.build(),
            bytes: AtomicUsize::new(0),
            entries: AtomicUsize::new(0),
            max_seq: AtomicU64::new(0),
        }
    }
}

impl MemTable for MapMemTable {
    fn name(&self) -> &'static str {
        self.map.name()
    }

    fn insert(&self, key: InternalKey, value: Bytes) {
        let charge = key.user_key.len() + value.len() + 8 + ENTRY_OVERHEAD;
        let seq = key.seq;
        let fresh = self.map.insert(key, value);
        debug_assert!(fresh, "internal keys are unique");
        // Relaxed: these counters only steer flushing and statistics; the entry itself is
        // published by the map.
        self.bytes.fetch_add(charge, Ordering::Relaxed);
        self.entries.fetch_add(1, Ordering::Relaxed);
        self.max_seq.fetch_max(seq, Ordering::Relaxed);
    }

    fn get(&self, user_key: &[u8], snapshot: SeqNo) -> Option<(SeqNo, ValueKind, Bytes)> {
        let seek = InternalKey::seek_key(Bytes::copy_from_slice(user_key), snapshot);
        let (found, value) = self
            .map
            .first_in(Bound::Included(&seek), Bound::Unbounded)?;
        (found.user_key == user_key).then_some((found.seq, found.kind, value))
    }

    fn iter_from(&self, start: Bound<&InternalKey>) -> MemIter<'_> {
        self.map.range(start, Bound::Unbounded)
    }

    fn approximate_bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    fn len(&self) -> usize {
        self.entries.load(Ordering::Relaxed)
    }

    fn max_seq(&self) -> SeqNo {
        self.max_seq.load(Ordering::Relaxed)
    }
}
