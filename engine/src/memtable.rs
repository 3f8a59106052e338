//! The memtable port and its one adapter over every concurrent map.
//!
//! A memtable holds the newest writes in memory, keyed by (user key, sequence, kind), so
//! several versions of a key coexist and a snapshot read takes the newest version at or below
//! its sequence number: seek to `(key, snapshot)` and look at the first entry. Every write gets
//! a fresh sequence number, so the map never replaces a value — memtables only grow until they
//! are frozen, flushed to an L0 table and dropped.
//!
//! [`MemTable`] is the port the engine talks to; [`MapMemTable<M>`] adapts any
//! `ConcurrentMap<MemKey, Bytes>` of `ferrolite-structures` (the mutex, epoch, hazard and
//! no-reclamation skip lists and the two reference maps). [`new_memtable`] builds the one
//! that a [`MapKind`] names, at run time, through the structures' registry
//! ([`MapKind::visit`]): the engine holds it as an `Arc<dyn MemTable>`, and inside the
//! adapter every map call is statically dispatched. That is the point of the testbed: the
//! same engine, a different structure underneath.
//!
//! **Why `dyn`.** The one virtual call per insert and get was measured against an `enum` over
//! the map kinds and against a fully generic map (`benches/benches/dispatch.rs`: the same
//! inserts and seeks of memtable-shaped keys, one thread; two runs on the project's 2-core
//! machine, 2026-12-05). For the lock-free maps — what the engine is for — no way was
//! consistently faster: the order changed between runs, and one cell moved by 30 % from one
//! run to the next. The `enum` was 4–12 % faster than `dyn` for the mutex skip list and the
//! B-tree, whose operations are short enough for a call to show; that is a bound (the engine
//! does more per operation) for the baselines, not for the structures under study, and an
//! `enum` would close the engine to maps defined outside this workspace. So the memtable stays
//! a trait object.
//!
//! Inside the map a key is a [`MemKey`]: user keys of up to [`INLINE_KEY`] bytes are stored in
//! the key itself, so a search compares keys that sit in the skip-list node it already loaded
//! instead of following a pointer to a separate allocation on every step (one cache miss less
//! per visited node), and building a seek key allocates nothing.

use crate::types::{compare_bytes, split_trailer, trailer, InternalKey, SeqNo, ValueKind};
use bytes::Bytes;
use ferrolite_structures::{ConcurrentMap, MapKind, MapVisitor};
use std::cmp::Ordering;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Arc;

/// Bytes charged per entry on top of key and value: node, tower and `Bytes` headers. An
/// estimate (the real figure differs per structure); it only decides when to flush.
pub const ENTRY_OVERHEAD: usize = 64;

/// User keys up to this length are stored inline in a [`MemKey`].
pub const INLINE_KEY: usize = 24;

/// An owned iterator over memtable entries in internal-key order.
pub type MemIter<'a> = Box<dyn Iterator<Item = (InternalKey, Bytes)> + 'a>;

/// What the engine needs from a memtable.
pub trait MemTable: Send + Sync {
    /// The structure's name (`"epoch"`, `"mutex"`, …).
    fn name(&self) -> &'static str;
    /// Add one version. Keys are unique (every write has its own sequence number).
    fn insert(&self, user_key: &[u8], seq: SeqNo, kind: ValueKind, value: Bytes);
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

#[derive(Clone)]
enum UserBytes {
    Inline { len: u8, buf: [u8; INLINE_KEY] },
    Heap(Bytes),
}

/// The memtable's key: a user key (inline when short) and the trailer `seq << 8 | kind`.
/// Ordered like [`InternalKey`]: user key ascending, trailer descending.
#[derive(Clone)]
pub struct MemKey {
    user: UserBytes,
    trailer: u64,
}

impl MemKey {
    /// A key for `user_key` at `seq` of `kind`.
    pub fn new(user_key: &[u8], seq: SeqNo, kind: ValueKind) -> Self {
        let user = if user_key.len() <= INLINE_KEY {
            let mut buf = [0u8; INLINE_KEY];
            buf[..user_key.len()].copy_from_slice(user_key);
            UserBytes::Inline {
                len: user_key.len() as u8,
                buf,
            }
        } else {
            UserBytes::Heap(Bytes::copy_from_slice(user_key))
        };
        MemKey {
            user,
            trailer: trailer(seq, kind),
        }
    }

    /// From an internal key (no copy for long keys: the `Bytes` is shared).
    pub fn from_internal(key: &InternalKey) -> Self {
        if key.user_key.len() > INLINE_KEY {
            MemKey {
                user: UserBytes::Heap(key.user_key.clone()),
                trailer: key.trailer(),
            }
        } else {
            MemKey::new(&key.user_key, key.seq, key.kind)
        }
    }

    /// The user key.
    #[inline]
    pub fn user_key(&self) -> &[u8] {
        match &self.user {
            UserBytes::Inline { len, buf } => &buf[..*len as usize],
            UserBytes::Heap(b) => b,
        }
    }

    /// Sequence number.
    pub fn seq(&self) -> SeqNo {
        self.split().0
    }

    /// Put or delete.
    pub fn kind(&self) -> ValueKind {
        self.split().1
    }

    fn split(&self) -> (SeqNo, ValueKind) {
        split_trailer(self.trailer).expect("a memtable key's trailer is built from a ValueKind")
    }

    /// As an [`InternalKey`] (copies an inline user key into a `Bytes`).
    pub fn to_internal(&self) -> InternalKey {
        let user = match &self.user {
            UserBytes::Inline { .. } => Bytes::copy_from_slice(self.user_key()),
            UserBytes::Heap(b) => b.clone(),
        };
        InternalKey::new(user, self.seq(), self.kind())
    }
}

impl PartialEq for MemKey {
    fn eq(&self, other: &Self) -> bool {
        self.trailer == other.trailer && self.user_key() == other.user_key()
    }
}
impl Eq for MemKey {}
impl PartialOrd for MemKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MemKey {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        compare_bytes(self.user_key(), other.user_key())
            .then_with(|| other.trailer.cmp(&self.trailer))
    }
}

impl std::fmt::Debug for MemKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_internal().fmt(f)
    }
}

/// A new, empty memtable over a map of the given kind.
pub(crate) fn new_memtable(kind: MapKind) -> Arc<dyn MemTable> {
    kind.visit(NewMemTable)
}

/// Makes memtables over a map type given by the user rather than by a [`MapKind`]: any
/// `ConcurrentMap<MemKey, Bytes> + Default`, defined in any crate. Set it with
/// [`crate::Options::memtable_map`]; the engine calls it once per memtable (at open and at
/// every memtable switch), and every map call inside is statically dispatched, as for the
/// built-in kinds.
#[derive(Clone)]
pub struct MemtableFactory {
    name: &'static str,
    make: Arc<dyn Fn() -> Arc<dyn MemTable> + Send + Sync>,
}

impl MemtableFactory {
    /// Memtables over `M`.
    pub fn of<M: ConcurrentMap<MemKey, Bytes> + Default + 'static>() -> MemtableFactory {
        MemtableFactory {
            name: M::default().name(),
            make: Arc::new(|| Arc::new(MapMemTable::<M>::default()) as Arc<dyn MemTable>),
        }
    }

    /// The map's name (`ConcurrentMap::name`), as stats and logs show it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn make(&self) -> Arc<dyn MemTable> {
        (self.make)()
    }
}

impl std::fmt::Debug for MemtableFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemtableFactory({})", self.name)
    }
}

/// The visitor behind [`new_memtable`]: a [`MapMemTable`] over the visited map type.
struct NewMemTable;

impl MapVisitor<MemKey, Bytes> for NewMemTable {
    type Output = Arc<dyn MemTable>;

    fn visit<M: ConcurrentMap<MemKey, Bytes> + Default + 'static>(self) -> Arc<dyn MemTable> {
        Arc::new(MapMemTable::<M>::default())
    }
}

/// A [`MemTable`] over any concurrent ordered map `M` of `ferrolite-structures`.
pub struct MapMemTable<M> {
    map: M,
    bytes: AtomicUsize,
    entries: AtomicUsize,
    max_seq: AtomicU64,
}

impl<M: Default> Default for MapMemTable<M> {
    fn default() -> Self {
        MapMemTable {
            map: M::default(),
            bytes: AtomicUsize::new(0),
            entries: AtomicUsize::new(0),
            max_seq: AtomicU64::new(0),
        }
    }
}

impl<M: ConcurrentMap<MemKey, Bytes>> MemTable for MapMemTable<M> {
    fn name(&self) -> &'static str {
        self.map.name()
    }

    fn insert(&self, user_key: &[u8], seq: SeqNo, kind: ValueKind, value: Bytes) {
        let charge = user_key.len() + value.len() + 8 + ENTRY_OVERHEAD;
        let fresh = self.map.insert(MemKey::new(user_key, seq, kind), value);
        debug_assert!(fresh, "memtable keys are unique");
        // Relaxed: these counters only steer flushing and statistics; the entry itself is
        // published by the map.
        self.bytes.fetch_add(charge, AtomicOrdering::Relaxed);
        self.entries.fetch_add(1, AtomicOrdering::Relaxed);
        self.max_seq.fetch_max(seq, AtomicOrdering::Relaxed);
    }

    fn get(&self, user_key: &[u8], snapshot: SeqNo) -> Option<(SeqNo, ValueKind, Bytes)> {
        let seek = MemKey::new(user_key, snapshot, ValueKind::Put);
        let (found, value) = self.map.first_in(seek..)?;
        (found.user_key() == user_key).then(|| (found.seq(), found.kind(), value))
    }

    fn iter_from(&self, start: Bound<&InternalKey>) -> MemIter<'_> {
        let start = match start {
            Bound::Included(k) => Bound::Included(MemKey::from_internal(k)),
            Bound::Excluded(k) => Bound::Excluded(MemKey::from_internal(k)),
            Bound::Unbounded => Bound::Unbounded,
        };
        Box::new(
            self.map
                .range((start, Bound::Unbounded))
                .map(|(k, v)| (k.to_internal(), v)),
        )
    }

    fn approximate_bytes(&self) -> usize {
        self.bytes.load(AtomicOrdering::Relaxed)
    }

    fn len(&self) -> usize {
        self.entries.load(AtomicOrdering::Relaxed)
    }

    fn max_seq(&self) -> SeqNo {
        self.max_seq.load(AtomicOrdering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_keys_order_like_internal_keys() {
        let users: [&[u8]; 5] = [b"", b"a", b"ab", &[7u8; 24], &[7u8; 40]];
        let mut keys = Vec::new();
        for u in users {
            for seq in [0, 1, 1000] {
                for kind in [ValueKind::Put, ValueKind::Delete] {
                    keys.push(InternalKey::new(Bytes::copy_from_slice(u), seq, kind));
                }
            }
        }
        for a in &keys {
            for b in &keys {
                let (ma, mb) = (MemKey::from_internal(a), MemKey::from_internal(b));
                assert_eq!(ma.cmp(&mb), a.cmp(b), "{a:?} vs {b:?}");
                assert_eq!(ma.to_internal(), *a);
            }
        }
    }

    #[test]
    fn get_sees_the_newest_version_at_a_snapshot() {
        for kind in MapKind::ALL {
            let m = new_memtable(kind);
            assert_eq!(m.name(), kind.name());
            m.insert(b"k", 1, ValueKind::Put, Bytes::from_static(b"v1"));
            m.insert(b"k", 3, ValueKind::Delete, Bytes::new());
            m.insert(b"k", 5, ValueKind::Put, Bytes::from_static(b"v5"));
            m.insert(b"l", 2, ValueKind::Put, Bytes::from_static(b"l2"));
            assert_eq!(m.get(b"k", 0), None);
            assert_eq!(m.get(b"k", 2).map(|r| r.2), Some(Bytes::from_static(b"v1")));
            assert_eq!(m.get(b"k", 4).map(|r| r.1), Some(ValueKind::Delete));
            assert_eq!(m.get(b"k", 9).map(|r| r.2), Some(Bytes::from_static(b"v5")));
            assert_eq!(m.get(b"j", 9), None);
            assert_eq!(m.iter_from(Bound::Unbounded).count(), 4);
            assert_eq!(m.max_seq(), 5);
        }
    }
}
