//! The recent-writes map: the newest committed value of recently written keys, for point gets
//! (the stage ladder's S5, "an in-memory index for gets"; [`crate::Options::recent_writes_bytes`]).
//!
//! A lock-free hash map (`papaya`) from user key to the key's **newest** committed version:
//! its sequence number and its value, or `None` for a delete — a cache of rows filled by the
//! write path instead of by reads. A point get asks it first; an entry at or below the read's
//! sequence number answers the get at once — no memtable search, no table, no level walk.
//! Otherwise (absent, evicted, or newer than a snapshot) the get takes the normal path.
//!
//! **Why an answer is right.** The group-commit leader, holding the WAL lock, is the only
//! writer: it records every operation of a group in sequence order, groups in sequence order
//! (with parallel memtable writes too: the leader records the group before handing out its
//! inserts), before the group's last sequence number is published (`Visibility::publish`,
//! Release). An entry newer than the published sequence number answers nobody (`get` checks
//! `seq <= s`, and every reader reads at or below the published number). So an entry present
//! for `key` with `seq <= s` is the newest version of `key` at or below `s`. Eviction
//! only removes entries; a key's entry is replaced only by a newer version. Readers never take
//! a lock: `papaya` reads are lock-free, and removed entries are reclaimed once no reader can
//! still hold them.
//!
//! **Budget.** Each entry weighs its key and value bytes plus [`ENTRY_OVERHEAD`]. The leader
//! keeps a FIFO of (key, seq, weight) in insertion order (behind a mutex only the leader
//! takes, once per group); while the recorded weight is over budget it pops the oldest record and removes the
//! key's entry if it still is that version. The index therefore holds the most recently
//! written keys. It starts empty at open (recovery does not fill it).

use crate::control::lock;
use crate::types::SeqNo;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Bytes charged per entry beyond its key and value (map slot, FIFO record, allocations).
pub(crate) const ENTRY_OVERHEAD: u64 = 80;

#[derive(Clone, Debug)]
struct Entry {
    seq: SeqNo,
    value: Option<Bytes>,
}

/// The map; see the module documentation.
pub(crate) struct RecentWrites {
    map: papaya::HashMap<Bytes, Entry>,
    capacity: u64,
    /// Live entries (for stats).
    entries: AtomicU64,
    /// The writer's side: the insertion-order FIFO and its total weight. Only the commit
    /// group's leader takes it.
    fifo: Mutex<Fifo>,
}

#[derive(Default)]
struct Fifo {
    queue: VecDeque<(Bytes, SeqNo, u64)>,
    bytes: u64,
}

impl RecentWrites {
    /// An empty map holding at most about `capacity` bytes.
    pub(crate) fn new(capacity: u64) -> RecentWrites {
        // Size the table for the entries the budget allows at ~128 B each (at most 4 Mi
        // slots), so that filling it does not resize it on the write path.
        let slots = (capacity / 128).min(4 << 20) as usize;
        RecentWrites {
            map: papaya::HashMap::builder()
                .capacity(slots)
                .resize_mode(papaya::ResizeMode::Blocking)
                .build(),
            capacity,
            entries: AtomicU64::new(0),
            fifo: Mutex::new(Fifo::default()),
        }
    }

    /// The answer for `key` at sequence number `seq`: `Some(Some(value))`, `Some(None)` for
    /// deleted, or `None` when the index cannot tell (the caller searches).
    pub(crate) fn get(&self, key: &[u8], seq: SeqNo) -> Option<Option<Bytes>> {
        let map = self.map.pin();
        let entry = map.get(key)?;
        (entry.seq <= seq).then(|| entry.value.clone())
    }

    /// Number of keys held.
    pub(crate) fn len(&self) -> u64 {
        self.entries.load(Ordering::Relaxed)
    }

    /// A recorder for one commit group (pins the map and takes the FIFO once).
    pub(crate) fn recorder(&self) -> Recorder<'_> {
        Recorder {
            index: self,
            map: self.map.pin(),
            fifo: lock(&self.fifo),
        }
    }
}

/// Records a commit group's operations; see [`RecentWrites::recorder`].
pub(crate) struct Recorder<'a> {
    index: &'a RecentWrites,
    map: papaya::HashMapRef<'a, Bytes, Entry, std::hash::RandomState, papaya::LocalGuard<'a>>,
    fifo: MutexGuard<'a, Fifo>,
}

impl Recorder<'_> {
    /// Record that `key` became `value` (`None`: deleted) at `seq`. Must be called in
    /// sequence order, by the leader, before `seq` is published.
    pub(crate) fn record(&mut self, key: &Bytes, seq: SeqNo, value: Option<&Bytes>) {
        let weight = key.len() as u64 + value.map_or(0, |v| v.len() as u64) + ENTRY_OVERHEAD;
        if weight > self.index.capacity {
            // Too big to keep: drop any older version, which would now be stale.
            if self.map.remove(key.as_ref()).is_some() {
                self.index.entries.fetch_sub(1, Ordering::Relaxed);
            }
            return;
        }
        let entry = Entry {
            seq,
            value: value.cloned(),
        };
        if self.map.insert(key.clone(), entry).is_none() {
            self.index.entries.fetch_add(1, Ordering::Relaxed);
        }
        self.fifo.queue.push_back((key.clone(), seq, weight));
        self.fifo.bytes += weight;
        while self.fifo.bytes > self.index.capacity {
            let Some((old_key, old_seq, old_weight)) = self.fifo.queue.pop_front() else {
                break;
            };
            self.fifo.bytes -= old_weight;
            // Only the leader writes the map, so the check and the removal cannot be split
            // by another write.
            if self
                .map
                .get(old_key.as_ref())
                .is_some_and(|e| e.seq == old_seq)
                && self.map.remove(old_key.as_ref()).is_some()
            {
                self.index.entries.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_only_at_or_above_the_entry_and_evicts_oldest_first() {
        // Room for two entries of 1-byte keys and values (82 B each), not three.
        let index = RecentWrites::new(200);
        let k = |s: &str| Bytes::copy_from_slice(s.as_bytes());
        {
            let mut r = index.recorder();
            r.record(&k("a"), 1, Some(&k("1")));
            r.record(&k("b"), 2, None);
        }
        assert_eq!(index.get(b"a", 1), Some(Some(k("1"))));
        assert_eq!(index.get(b"a", 0), None, "older snapshot: cannot tell");
        assert_eq!(index.get(b"b", 5), Some(None), "deleted");
        assert_eq!(index.get(b"c", 5), None);
        {
            let mut r = index.recorder();
            r.record(&k("a"), 3, Some(&k("3"))); // over budget: pops a@1, stale, a stays
            r.record(&k("c"), 4, Some(&k("4"))); // over budget: pops b@2, b goes
        }
        assert_eq!(index.get(b"a", 9), Some(Some(k("3"))));
        assert_eq!(index.get(b"b", 9), None, "b was evicted");
        assert_eq!(index.get(b"c", 9), Some(Some(k("4"))));
        assert_eq!(index.len(), 2);
        {
            let mut r = index.recorder();
            let huge = Bytes::from(vec![0u8; 1000]);
            r.record(&k("c"), 5, Some(&huge)); // too big: the stale c@4 must go
        }
        assert_eq!(index.get(b"c", 9), None);
        assert_eq!(index.len(), 1);
    }
}
