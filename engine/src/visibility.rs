//! [`Visibility`]: what readers may see — the last published sequence number and the live
//! snapshots.
//!
//! A commit group becomes visible when the committer stores its last sequence number
//! ([`Visibility::publish`], Release); a read loads it (Acquire) and sees exactly the writes
//! at or below it — whole batches, a prefix of the commit order. A snapshot pins a sequence
//! number; compaction keeps every version a pinned (or the current) sequence number may read
//! ([`Visibility::smallest_readable`]).

use crate::control::lock;
use crate::types::SeqNo;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The published sequence number and the live snapshots.
#[derive(Debug)]
pub(crate) struct Visibility {
    /// Highest sequence number whose writes (and every earlier one's) are all in the
    /// memtables.
    visible: AtomicU64,
    /// Live snapshots: sequence number → count.
    live: Mutex<BTreeMap<SeqNo, usize>>,
}

impl Visibility {
    /// Nothing above `last_seq` exists yet.
    pub(crate) fn new(last_seq: SeqNo) -> Visibility {
        Visibility {
            visible: AtomicU64::new(last_seq),
            live: Mutex::new(BTreeMap::new()),
        }
    }

    /// The last published sequence number.
    pub(crate) fn visible(&self) -> SeqNo {
        // Acquire pairs with the Release in `publish`: a reader that sees `seq` sees every
        // memtable insert up to it.
        self.visible.load(Ordering::Acquire)
    }

    /// Make every write up to `seq` visible. Called in sequence order, after the inserts.
    pub(crate) fn publish(&self, seq: SeqNo) {
        self.visible.store(seq, Ordering::Release);
    }

    /// Pin the current sequence number.
    pub(crate) fn pin(&self) -> SeqNo {
        let mut live = lock(&self.live);
        let seq = self.visible();
        *live.entry(seq).or_insert(0) += 1;
        seq
    }

    pub(crate) fn unpin(&self, seq: SeqNo) {
        let mut live = lock(&self.live);
        if let Some(n) = live.get_mut(&seq) {
            *n -= 1;
            if *n == 0 {
                live.remove(&seq);
            }
        }
    }

    /// The smallest sequence number any reader may still read at.
    pub(crate) fn smallest_readable(&self) -> SeqNo {
        let live = lock(&self.live);
        let visible = self.visible();
        live.keys().next().copied().unwrap_or(visible).min(visible)
    }
}
