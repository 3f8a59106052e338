//! Iterators: one sorted stream from many sources, then one entry per user key.
//!
//! A scan (and a compaction) reads several sorted sources at once — the memtables, every L0
//! table, one concatenated run per deeper level. [`MergeIter`] merges them by internal key with
//! a binary heap; because internal keys order versions newest first, the first entry the merge
//! yields for a user key is its newest version. [`DbIter`] then applies a snapshot: it skips
//! versions newer than the snapshot, yields the newest remaining one unless it is a tombstone,
//! and skips every older version of the same key.
//!
//! Memtable sources are read in chunks by re-seeking ([`MemSource`]) so that an iterator can
//! own an `Arc` of its memtable instead of borrowing it: entries at or below the snapshot are
//! never removed from a memtable, so re-seeking after the last key seen loses nothing.

use crate::memtable::MemTable;
use crate::sstable::{Table, TableIter};
use crate::tables::TableHandle;
use crate::types::{InternalKey, SeqNo, ValueKind};
use crate::Result;
use bytes::Bytes;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

/// A sorted source of internal entries.
pub type Source = Box<dyn Iterator<Item = Result<(InternalKey, Bytes)>> + Send>;

/// Entries read from a memtable per re-seek.
const MEM_CHUNK: usize = 64;

/// An owning, chunked iterator over a memtable from a start key.
pub struct MemSource {
    mem: Arc<dyn MemTable>,
    next: Option<Bound<InternalKey>>,
    buf: VecDeque<(InternalKey, Bytes)>,
}

impl MemSource {
    /// Entries of `mem` from `start` on.
    pub fn new(mem: Arc<dyn MemTable>, start: Bound<InternalKey>) -> Self {
        MemSource {
            mem,
            next: Some(start),
            buf: VecDeque::new(),
        }
    }
}

impl Iterator for MemSource {
    type Item = Result<(InternalKey, Bytes)>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            let start = self.next.take()?;
            self.buf
                .extend(self.mem.iter_from(start.as_ref()).take(MEM_CHUNK));
            if self.buf.len() == MEM_CHUNK {
                let last = self.buf.back().map(|(k, _)| k.clone()).expect("non-empty");
                self.next = Some(Bound::Excluded(last));
            }
        }
        self.buf.pop_front().map(Ok)
    }
}

/// The tables of one level ≥ 1 read one after the other (they are disjoint and sorted).
pub struct LevelSource {
    tables: VecDeque<Arc<TableHandle>>,
    start: Option<InternalKey>,
    current: Option<TableIter>,
}

impl LevelSource {
    /// Entries of `tables` (sorted, disjoint) from `start` on.
    pub fn new(tables: Vec<Arc<TableHandle>>, start: Option<InternalKey>) -> Self {
        let tables = match &start {
            Some(s) => tables
                .into_iter()
                .filter(|t| t.meta.largest >= *s)
                .collect(),
            None => tables.into(),
        };
        LevelSource {
            tables,
            start,
            current: None,
        }
    }
}

impl Iterator for LevelSource {
    type Item = Result<(InternalKey, Bytes)>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(it) = &mut self.current {
                if let Some(item) = it.next() {
                    return Some(item);
                }
                self.current = None;
            }
            let table = self.tables.pop_front()?;
            self.current = Some(table_iter(&table.table, self.start.take().as_ref()));
        }
    }
}

/// An iterator over one table from an optional start key.
pub fn table_iter(table: &Arc<Table>, start: Option<&InternalKey>) -> TableIter {
    TableIter::new(table.clone(), start.cloned())
}

struct HeapItem {
    key: InternalKey,
    value: Bytes,
    source: usize,
}

impl PartialEq for HeapItem {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for HeapItem {}
impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapItem {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap and we want the smallest key first. On equal
        // keys (impossible between sources, every write has its own sequence) the earlier
        // source wins.
        other
            .key
            .cmp(&self.key)
            .then_with(|| other.source.cmp(&self.source))
    }
}

/// Merges sorted sources into one sorted stream.
pub struct MergeIter {
    sources: Vec<Source>,
    heap: BinaryHeap<HeapItem>,
    primed: bool,
    failed: bool,
}

impl MergeIter {
    /// Merge `sources`, each sorted by internal key.
    pub fn new(sources: Vec<Source>) -> Self {
        MergeIter {
            heap: BinaryHeap::with_capacity(sources.len()),
            sources,
            primed: false,
            failed: false,
        }
    }

    fn pull(&mut self, source: usize) -> Result<()> {
        if let Some(item) = self.sources[source].next() {
            let (key, value) = item?;
            self.heap.push(HeapItem { key, value, source });
        }
        Ok(())
    }
}

impl Iterator for MergeIter {
    type Item = Result<(InternalKey, Bytes)>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if !self.primed {
            self.primed = true;
            for i in 0..self.sources.len() {
                if let Err(e) = self.pull(i) {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        let top = self.heap.pop()?;
        if let Err(e) = self.pull(top.source) {
            self.failed = true;
            return Some(Err(e));
        }
        Some(Ok((top.key, top.value)))
    }
}

/// A user-level iterator: the newest visible version per key, tombstones hidden, within an
/// upper bound. Yields `(key, value)` pairs in key order.
pub struct DbIter {
    merge: MergeIter,
    snapshot: SeqNo,
    lower: Bound<Bytes>,
    upper: Bound<Bytes>,
    last_key: Option<Bytes>,
    done: bool,
    /// Keeps the super-version (memtables and tables) alive while the iterator is.
    _pin: Box<dyn Send + Sync>,
}

impl DbIter {
    pub(crate) fn new(
        merge: MergeIter,
        snapshot: SeqNo,
        lower: Bound<Bytes>,
        upper: Bound<Bytes>,
        pin: Box<dyn Send + Sync>,
    ) -> Self {
        DbIter {
            merge,
            snapshot,
            lower,
            upper,
            last_key: None,
            done: false,
            _pin: pin,
        }
    }

    fn beyond_upper(&self, key: &[u8]) -> bool {
        match &self.upper {
            Bound::Included(u) => key > &u[..],
            Bound::Excluded(u) => key >= &u[..],
            Bound::Unbounded => false,
        }
    }
}

impl Iterator for DbIter {
    type Item = Result<(Bytes, Bytes)>;
    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let (key, value) = match self.merge.next() {
                None => {
                    self.done = true;
                    return None;
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Some(Ok(kv)) => kv,
            };
            if key.seq > self.snapshot {
                continue;
            }
            if self.last_key.as_ref() == Some(&key.user_key) {
                continue; // an older version of a key already decided
            }
            if let Bound::Excluded(l) = &self.lower {
                if key.user_key == *l {
                    continue;
                }
            }
            if self.beyond_upper(&key.user_key) {
                self.done = true;
                return None;
            }
            self.last_key = Some(key.user_key.clone());
            if key.kind == ValueKind::Put {
                return Some(Ok((key.user_key, value)));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(items: &[(&str, u64, ValueKind, &str)]) -> Source {
        let v: Vec<_> = items
            .iter()
            .map(|(k, s, kind, val)| {
                Ok((
                    InternalKey::new(Bytes::copy_from_slice(k.as_bytes()), *s, *kind),
                    Bytes::copy_from_slice(val.as_bytes()),
                ))
            })
            .collect();
        Box::new(v.into_iter())
    }

    #[test]
    fn newest_visible_version_wins_and_tombstones_hide() {
        use ValueKind::*;
        // Sources are consumed by a merge: build a fresh pair per read.
        let sources = || {
            vec![
                src(&[
                    ("a", 5, Put, "a5"),
                    ("c", 9, Delete, ""),
                    ("d", 2, Put, "d2"),
                ]),
                src(&[
                    ("a", 3, Put, "a3"),
                    ("b", 4, Put, "b4"),
                    ("c", 1, Put, "c1"),
                ]),
            ]
        };
        let collect = |snap: SeqNo| -> Vec<(String, String)> {
            DbIter::new(
                MergeIter::new(sources()),
                snap,
                Bound::Unbounded,
                Bound::Unbounded,
                Box::new(()),
            )
            .map(|r| {
                let (k, v) = r.unwrap();
                (
                    String::from_utf8(k.to_vec()).unwrap(),
                    String::from_utf8(v.to_vec()).unwrap(),
                )
            })
            .collect()
        };
        let s = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(collect(100), s(&[("a", "a5"), ("b", "b4"), ("d", "d2")]));
        assert_eq!(
            collect(4),
            s(&[("a", "a3"), ("b", "b4"), ("c", "c1"), ("d", "d2")])
        );
    }
}
