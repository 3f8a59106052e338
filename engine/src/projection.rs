//! The engine's own read model built from its events: [`EventStats`].
//!
//! The write path's commands become events (one per committed batch, [`crate::feed`]); a
//! projection is anything computed from them on a worker thread instead of on the write path.
//! With [`crate::Options::event_stats`] the engine subscribes to its own change feed at open
//! (live, from the next sequence number) and runs a handler thread that tallies what was
//! written: batches, puts, deletes, key and value bytes, the largest batch, and the sequence
//! number it has applied. [`crate::Db::stats`] reports the tally as [`DbStats::events`]; it
//! trails the write path by the handler's queue (`applied_seq` says how far it got) and, like
//! any subscriber, it never slows writers: if it falls more than [`EVENT_STATS_QUEUE`] events
//! behind, the missed events are counted in `lagged_events` instead of tallied.
//!
//! [`DbStats::events`]: crate::DbStats::events

use crate::error::IoContext;
use crate::feed::{FeedItem, Subscription};
use crate::types::{SeqNo, ValueKind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Live events the statistics handler may queue before it counts them as lagged.
pub const EVENT_STATS_QUEUE: usize = 1 << 16;

/// What the event-statistics projection has tallied. See the module documentation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventStats {
    /// Committed batches tallied (one event each).
    pub events: u64,
    /// Put operations tallied.
    pub puts: u64,
    /// Delete operations tallied.
    pub deletes: u64,
    /// Bytes of the keys of the tallied operations.
    pub key_bytes: u64,
    /// Bytes of the values of the tallied puts.
    pub value_bytes: u64,
    /// Operations in the largest batch tallied.
    pub largest_batch: u64,
    /// Last sequence number the handler has applied (0 before any).
    pub applied_seq: SeqNo,
    /// Operations the handler missed because its queue overflowed.
    pub lagged_ops: u64,
}

/// The handler's tallies, shared with [`crate::Db::stats`].
#[derive(Debug, Default)]
pub(crate) struct EventStatsCell {
    events: AtomicU64,
    puts: AtomicU64,
    deletes: AtomicU64,
    key_bytes: AtomicU64,
    value_bytes: AtomicU64,
    largest_batch: AtomicU64,
    applied_seq: AtomicU64,
    lagged_ops: AtomicU64,
}

impl EventStatsCell {
    /// Tally one feed item. Only the handler thread writes, so plain loads and stores of
    /// independent `Relaxed` counters suffice; `applied_seq` is stored last with Release so a
    /// reader that sees it (Acquire) sees the tallies up to it.
    fn apply(&self, item: &FeedItem) {
        let add = |c: &AtomicU64, n: u64| c.store(c.load(Ordering::Relaxed) + n, Ordering::Relaxed);
        let last = match item {
            FeedItem::Event(e) => {
                add(&self.events, 1);
                let (mut puts, mut deletes, mut keys, mut values) = (0, 0, 0, 0);
                for op in e.ops.iter() {
                    keys += op.key.len() as u64;
                    match op.kind {
                        ValueKind::Put => {
                            puts += 1;
                            values += op.value.len() as u64;
                        }
                        ValueKind::Delete => deletes += 1,
                    }
                }
                add(&self.puts, puts);
                add(&self.deletes, deletes);
                add(&self.key_bytes, keys);
                add(&self.value_bytes, values);
                self.largest_batch
                    .fetch_max(e.ops.len() as u64, Ordering::Relaxed);
                e.last_seq()
            }
            FeedItem::Lagged {
                missed_from,
                missed_to,
            } => {
                add(&self.lagged_ops, missed_to - missed_from + 1);
                *missed_to
            }
            // Subscribed live from the next sequence number: nothing can be missing before.
            FeedItem::Gap { .. } => return,
        };
        self.applied_seq.store(last, Ordering::Release);
    }

    pub(crate) fn snapshot(&self) -> EventStats {
        let applied_seq = self.applied_seq.load(Ordering::Acquire);
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        EventStats {
            events: get(&self.events),
            puts: get(&self.puts),
            deletes: get(&self.deletes),
            key_bytes: get(&self.key_bytes),
            value_bytes: get(&self.value_bytes),
            largest_batch: get(&self.largest_batch),
            applied_seq,
            lagged_ops: get(&self.lagged_ops),
        }
    }
}

/// How long the statistics handler sleeps when its queue is empty.
const POLL: Duration = Duration::from_millis(1);

/// Start the statistics handler on `sub`; the thread ends when the database closes.
///
/// The handler drains its queue, then sleeps [`POLL`] instead of blocking on the queue: a
/// blocked receiver makes every commit wake it (a system call and a context switch per
/// group, about a third of a lone writer's throughput on this project's 2-core machine),
/// while a polling one lets events pile up and takes them in bursts. The tally trails the
/// writes by about a millisecond.
pub(crate) fn spawn_event_stats(
    mut sub: Subscription,
) -> crate::Result<(Arc<EventStatsCell>, std::thread::JoinHandle<()>)> {
    let cell = Arc::new(EventStatsCell::default());
    let handler_cell = cell.clone();
    let handle = std::thread::Builder::new()
        .name("ferrolite-event-stats".into())
        .spawn(move || loop {
            match sub.try_recv() {
                Ok(Some(item)) => handler_cell.apply(&item),
                Ok(None) => std::thread::sleep(POLL),
                Err(_) => return, // closed and drained
            }
        })
        .ctx("<event statistics thread>")?;
    Ok((cell, handle))
}
