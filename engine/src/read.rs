//! The read path: point reads and scans over memtables and levels.
//!
//! A point read first asks the recent-writes map when there is one (`recent.rs`: the newest
//! version of a recently written key, answered if it is at or below the read's sequence
//! number), then looks at the active memtable, the frozen ones newest first, the L0 tables
//! newest first (each checked against its key range, then its bloom filter inside
//! [`crate::sstable::Table::get`]), and then one table per deeper level, found by binary search
//! on the tables' largest keys. The first version found at or below the read's sequence number
//! decides: a value, or a tombstone meaning "absent". This is correct because a newer version
//! of a key always lives in a newer memtable or a shallower level than an older one: flushes
//! go to L0 in sequence order and compactions move a key's versions down together.
//!
//! A scan merges all of them (see [`crate::iter`]).
//!
//! Neither takes a lock a writer holds: the super-version is loaded from an `ArcSwap`, the
//! sequence number is an atomic, memtables and the recent-writes map are read lock-free (the
//! mutex memtable aside, whose one lock every operation takes), and tables are read with
//! positional reads through the block cache.

use crate::iter::{table_iter, DbIter, LevelSource, MemSource, MergeIter, Source};
use crate::recent::RecentWrites;
use crate::stats::Counters;
use crate::tables::{SuperVersion, TableSet};
use crate::types::{InternalKey, SeqNo, ValueKind, MAX_SEQ};
use crate::visibility::Visibility;
use crate::Result;
use bytes::Bytes;
use std::ops::Bound;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What the read path reads from.
pub(crate) struct Sources<'a> {
    pub tables: &'a TableSet,
    pub visibility: &'a Visibility,
    pub recent: Option<&'a RecentWrites>,
    pub stats: &'a Counters,
}

impl Sources<'_> {
    /// The value of `key` at `snapshot` (now if `None`).
    pub(crate) fn get(&self, key: &[u8], snapshot: Option<SeqNo>) -> Result<Option<Bytes>> {
        // Super-version first, then the sequence number (see `tables/mod.rs`).
        let sv = self.tables.current();
        let seq = snapshot.unwrap_or_else(|| self.visibility.visible());
        self.stats.gets.fetch_add(1, Ordering::Relaxed);
        let found = |kind: ValueKind, value: Bytes| match kind {
            ValueKind::Put => Some(value),
            ValueKind::Delete => None,
        };
        if let Some(answer) = self.recent.and_then(|r| r.get(key, seq)) {
            self.stats.recent_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(answer);
        }
        for mem in std::iter::once(&sv.mem).chain(sv.imm.iter()) {
            if let Some((_, kind, value)) = mem.table.get(key, seq) {
                self.stats.memtable_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(found(kind, value));
            }
        }
        let version = &sv.version;
        for t in &version.levels[0] {
            if t.meta.covers(key) && t.meta.min_seq <= seq {
                if let Some((_, kind, value)) = t.table.get(key, seq)? {
                    return Ok(found(kind, value));
                }
            }
        }
        for level in 1..version.levels.len() {
            if let Some(t) = version.find_in_level(level, key) {
                if let Some((_, kind, value)) = t.table.get(key, seq)? {
                    return Ok(found(kind, value));
                }
            }
        }
        Ok(None)
    }

    /// Entries within `bounds` at `snapshot` (now if `None`).
    pub(crate) fn scan(
        &self,
        bounds: (Bound<Bytes>, Bound<Bytes>),
        snapshot: Option<SeqNo>,
    ) -> Result<DbIter> {
        let sv: Arc<SuperVersion> = self.tables.current_full();
        let seq = snapshot.unwrap_or_else(|| self.visibility.visible());
        let (lower, upper) = bounds;
        // Start at the newest possible version of the lower key; DbIter skips the key itself
        // when the bound is exclusive.
        let start = match &lower {
            Bound::Included(k) | Bound::Excluded(k) => {
                Some(InternalKey::new(k.clone(), MAX_SEQ, ValueKind::Put))
            }
            Bound::Unbounded => None,
        };
        let mem_start = match &start {
            Some(s) => Bound::Included(s.clone()),
            None => Bound::Unbounded,
        };
        let mut sources: Vec<Source> = Vec::new();
        for mem in std::iter::once(&sv.mem).chain(sv.imm.iter()) {
            sources.push(Box::new(MemSource::new(
                mem.table.clone(),
                mem_start.clone(),
            )));
        }
        for t in &sv.version.levels[0] {
            sources.push(Box::new(table_iter(&t.table, start.as_ref())));
        }
        for level in sv.version.levels.iter().skip(1) {
            if !level.is_empty() {
                sources.push(Box::new(LevelSource::new(level.clone(), start.clone())));
            }
        }
        Ok(DbIter::new(
            MergeIter::new(sources),
            seq,
            lower,
            upper,
            Box::new(sv),
        ))
    }
}
