//! The change feed: committed write batches as a stream of events ([`crate::Db::subscribe`]).
//!
//! Every committed batch is one [`Event`] numbered by its first sequence number. A
//! [`Subscription`] yields, in sequence order, first the events still held by the WAL segments
//! on disk (*replay*), then the events committed after it was created (*live*):
//!
//! - **Hand-over.** The subscriber is registered under the WAL lock, which the group-commit
//!   leader holds from the WAL append to the publish. At that moment the last committed
//!   sequence number is the *boundary* `B`, and the WAL buffer is handed to the OS: every
//!   group committed later is published to the subscriber live, every batch up to `B` is in the
//!   segments on disk. Replay reads the segments (the active one only up to its length at
//!   registration) and keeps the events in `[from, B]`; live events come after. Nothing is
//!   missed or delivered twice (a live event at or below the last delivered one is skipped, as
//!   a guard).
//! - **Gap.** Flushed memtables' segments are deleted, and `Db::open` replays the WAL into an
//!   L0 table and deletes the replayed segments: events older than the oldest record on disk
//!   cannot be replayed. If any committed event at or after `from` is gone, the first item is
//!   [`FeedItem::Gap`] `{ from, available_from }` and the feed continues at `available_from`.
//!   (A batch whose first sequence number is below `from` but which reaches into it is not an
//!   event at or after `from`; if it is gone the gap is reported conservatively.)
//! - **Bounded buffering.** Each subscription queues at most `capacity` live events. The writer
//!   never blocks on a subscriber: when an event arrives at a full queue, the queued backlog is
//!   dropped, a [`FeedItem::Lagged`] `{ missed_from, missed_to }` (inclusive sequence numbers of
//!   what was dropped) takes its place, and the new event is queued after it. Further overflows
//!   before the subscriber reads extend the same `Lagged` item. The event after a `Lagged`
//!   starts at `missed_to + 1`; `Db::subscribe(missed_from, ..)` replays the missed events if
//!   their segments are still on disk (else it reports a `Gap`). Replayed events are read into
//!   memory by `subscribe` (at most what the WAL on disk holds) and do not count against
//!   `capacity`.
//! - **Cost.** The leader asks `Feed::is_watched` before inserting a group: with no
//!   subscriber that is one atomic load (the subscriber list is an `ArcSwap`) and the values
//!   move into the memtable; with subscribers the memtable shares each value (a reference
//!   count on `Bytes`) and the batch's operations move into its event. The
//!   events are published after `visible_seq` is stored, so an event is visible to readers
//!   before a subscriber sees it. Groups are serial, so publishing is in sequence order.
//! - **End.** `close` (or dropping the `Db`) ends every subscription: items already queued are
//!   still delivered, then `recv` returns `None`. Dropping a [`Subscription`] unregisters it.
//!
//! [`crate::Db::on_event`] runs a handler on its own thread, fed by a subscription.

use crate::batch::{BatchOp, WriteBatch};
use crate::control::lock;
use crate::error::IoContext;
use crate::fs::Dir;
use crate::types::SeqNo;
use crate::wal::{decode_log, list_segments, WAL_MAGIC};
use crate::{Error, Result};
use arc_swap::ArcSwap;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// One committed write batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Sequence number of the batch's first operation; operation `i` has `seq + i`.
    pub seq: SeqNo,
    /// The batch's operations, in order (shared between subscribers).
    pub ops: Arc<[BatchOp]>,
}

impl Event {
    /// Sequence number of the batch's last operation.
    pub fn last_seq(&self) -> SeqNo {
        self.seq + (self.ops.len() as u64).saturating_sub(1)
    }
}

/// One item of a [`Subscription`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedItem {
    /// A committed batch.
    Event(Event),
    /// Events from `from` on were requested, but those below `available_from` are no longer in
    /// the WAL on disk (flushed to tables, or replayed at open). Only ever the first item.
    Gap {
        /// The `from` given to [`crate::Db::subscribe`].
        from: SeqNo,
        /// The first sequence number the feed can still deliver.
        available_from: SeqNo,
    },
    /// The subscriber fell behind: its queue was full, and the events with sequence numbers
    /// `missed_from..=missed_to` were dropped. The next event starts at `missed_to + 1`.
    Lagged {
        /// First sequence number dropped.
        missed_from: SeqNo,
        /// Last sequence number dropped (inclusive).
        missed_to: SeqNo,
    },
}

/// A subscriber's live queue, shared with the publisher.
struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
    capacity: usize,
}

struct QueueState {
    /// Dropped events not yet reported; delivered before `events`.
    lagged: Option<(SeqNo, SeqNo)>,
    events: VecDeque<Event>,
    closed: bool,
    /// Receivers blocked on `ready`: a push wakes one only then (a wake-up is a system call).
    waiters: usize,
}

impl Queue {
    /// Queue `event`; on overflow replace the backlog by a `Lagged` range. Never blocks beyond
    /// the queue's own short critical sections.
    fn push(&self, event: &Event) {
        let mut st = lock(&self.state);
        if st.closed {
            return;
        }
        if st.events.len() >= self.capacity {
            let first = st.events.front().map_or(event.seq, |e| e.seq);
            let last = st.events.back().map_or(event.seq, |e| e.last_seq());
            st.lagged = Some(match st.lagged {
                Some((from, _)) => (from, last),
                None => (first, last),
            });
            st.events.clear();
        }
        st.events.push_back(event.clone());
        let wake = st.waiters > 0;
        drop(st);
        if wake {
            self.ready.notify_one();
        }
    }

    fn close(&self) {
        lock(&self.state).closed = true;
        self.ready.notify_all();
    }
}

impl QueueState {
    fn pop(&mut self) -> Option<FeedItem> {
        if let Some((missed_from, missed_to)) = self.lagged.take() {
            return Some(FeedItem::Lagged {
                missed_from,
                missed_to,
            });
        }
        self.events.pop_front().map(FeedItem::Event)
    }
}

/// The registry of subscribers, owned by the database (`Inner::feed`).
pub(crate) struct Feed {
    subs: ArcSwap<Vec<Arc<Queue>>>,
    /// Serializes registration changes; `true` once the database closed.
    closed: Mutex<bool>,
}

impl Feed {
    pub(crate) fn new() -> Feed {
        Feed {
            subs: ArcSwap::from_pointee(Vec::new()),
            closed: Mutex::new(false),
        }
    }

    /// Whether anybody subscribed (one atomic load): then the committer keeps each batch's
    /// operations for an [`Event`]. Called by the leader with the WAL lock held, so it agrees
    /// with registrations (also under it).
    pub(crate) fn is_watched(&self) -> bool {
        !self.subs.load().is_empty()
    }

    /// Deliver a group's events to every subscriber (after they became visible to readers).
    pub(crate) fn publish(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let subs = self.subs.load();
        for q in subs.iter() {
            for e in &events {
                q.push(e);
            }
        }
    }

    /// A new, not yet registered subscription with a live queue of `capacity` events; see
    /// [`Subscription::register`] and [`Subscription::replay`].
    pub(crate) fn subscription(self: &Arc<Self>, capacity: usize) -> Result<Subscription> {
        if capacity == 0 {
            return Err(Error::InvalidOptions(
                "subscription capacity must be at least 1".into(),
            ));
        }
        let queue = Arc::new(Queue {
            state: Mutex::new(QueueState {
                lagged: None,
                events: VecDeque::new(),
                closed: false,
                waiters: 0,
            }),
            ready: Condvar::new(),
            capacity,
        });
        Ok(Subscription {
            feed: self.clone(),
            queue,
            replay: VecDeque::new(),
            delivered: None,
        })
    }

    fn register(&self, q: &Arc<Queue>) -> Result<()> {
        let closed = lock(&self.closed);
        if *closed {
            return Err(Error::Closed);
        }
        let mut next = Vec::clone(&self.subs.load());
        next.push(q.clone());
        self.subs.store(Arc::new(next));
        Ok(())
    }

    fn unregister(&self, q: &Arc<Queue>) {
        let _closed = lock(&self.closed);
        let cur = self.subs.load();
        if cur.iter().any(|s| Arc::ptr_eq(s, q)) {
            let next: Vec<_> = cur.iter().filter(|s| !Arc::ptr_eq(s, q)).cloned().collect();
            self.subs.store(Arc::new(next));
        }
    }

    /// End every subscription and refuse new ones.
    pub(crate) fn close(&self) {
        let mut closed = lock(&self.closed);
        *closed = true;
        let subs = self.subs.swap(Arc::new(Vec::new()));
        drop(closed);
        for q in subs.iter() {
            q.close();
        }
    }

    /// Number of registered subscriptions.
    pub(crate) fn subscribers(&self) -> usize {
        self.subs.load().len()
    }
}

/// A receiver of committed events. See [`crate::Db::subscribe`] and the module documentation
/// of `feed.rs` for the guarantees. Also an [`Iterator`] (ending when the database closes).
pub struct Subscription {
    feed: Arc<Feed>,
    queue: Arc<Queue>,
    /// The gap (if any) and the replayed events, delivered before the live queue.
    replay: VecDeque<FeedItem>,
    /// Last sequence number delivered: live events at or below it are skipped.
    delivered: Option<SeqNo>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("replay_left", &self.replay.len())
            .field("delivered", &self.delivered)
            .field("capacity", &self.queue.capacity)
            .finish()
    }
}

impl Subscription {
    /// The next item, waiting for one; `None` once the database closed and everything queued
    /// was delivered.
    pub fn recv(&mut self) -> Option<FeedItem> {
        self.next_item(None).ok().flatten()
    }

    /// The next item if one is ready: `Ok(None)` if not, [`Error::Closed`] once the database
    /// closed and everything queued was delivered.
    pub fn try_recv(&mut self) -> Result<Option<FeedItem>> {
        self.next_item(Some(Instant::now()))
    }

    /// The next item, waiting at most `timeout`: `Ok(None)` on timeout, [`Error::Closed`] once
    /// the database closed and everything queued was delivered.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<FeedItem>> {
        self.next_item(Some(Instant::now() + timeout))
    }

    /// `deadline: None` waits forever; `Ok(None)` means the deadline passed.
    fn next_item(&mut self, deadline: Option<Instant>) -> Result<Option<FeedItem>> {
        if let Some(item) = self.replay.pop_front() {
            self.note(&item);
            return Ok(Some(item));
        }
        let mut st = lock(&self.queue.state);
        loop {
            match st.pop() {
                Some(FeedItem::Event(e)) if self.delivered.is_some_and(|d| e.seq <= d) => continue,
                Some(item) => {
                    drop(st);
                    self.note(&item);
                    return Ok(Some(item));
                }
                None if st.closed => return Err(Error::Closed),
                None => {}
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
            st.waiters += 1;
            st = match deadline {
                None => self.queue.ready.wait(st).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    self.queue
                        .ready
                        .wait_timeout(st, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
            st.waiters -= 1;
        }
    }

    fn note(&mut self, item: &FeedItem) {
        let last = match item {
            FeedItem::Event(e) => e.last_seq(),
            FeedItem::Lagged { missed_to, .. } => *missed_to,
            FeedItem::Gap { .. } => return,
        };
        self.delivered = Some(self.delivered.map_or(last, |d| d.max(last)));
    }
}

impl Iterator for Subscription {
    type Item = FeedItem;

    fn next(&mut self) -> Option<FeedItem> {
        self.recv()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.feed.unregister(&self.queue);
    }
}

/// The thread behind [`crate::Db::on_event`].
pub(crate) fn spawn_handler(
    mut sub: Subscription,
    mut handler: impl FnMut(&FeedItem) + Send + 'static,
) -> Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("ferrolite-feed".into())
        .spawn(move || {
            while let Some(item) = sub.recv() {
                handler(&item);
            }
        })
        .ctx("<feed handler thread>")
}

impl Subscription {
    /// Start receiving live events. Called at a commit boundary (under the WAL lock), so that
    /// the events up to the boundary are in the WAL on disk and every later one is delivered
    /// live.
    pub(crate) fn register(&self) -> Result<()> {
        self.feed.register(&self.queue)
    }

    /// Queue the events `>= from` that the WAL segments in `dir` hold up to `boundary` (the
    /// active segment `active` only up to `active_len` bytes), a `Gap` first if some are
    /// gone; live events then start after the boundary.
    pub(crate) fn replay(
        &mut self,
        dir: &Dir,
        from: SeqNo,
        boundary: SeqNo,
        active: u64,
        active_len: u64,
    ) -> Result<()> {
        let (earliest, events) = replay_wal(dir, from, boundary, active, active_len)?;
        let available_from = earliest.unwrap_or(boundary + 1);
        if available_from > from.max(1) {
            self.replay.push_back(FeedItem::Gap {
                from,
                available_from,
            });
        }
        self.replay.extend(events.into_iter().map(FeedItem::Event));
        // Live events start after the boundary even if replay delivered nothing.
        self.delivered = Some(boundary.max(from.saturating_sub(1)));
        Ok(())
    }
}

/// Events with `from <= seq <= boundary` from the segments on disk, and the first sequence
/// number the disk still holds (`None`: no record at all).
fn replay_wal(
    dir: &Dir,
    from: SeqNo,
    boundary: SeqNo,
    active: u64,
    active_len: u64,
) -> Result<(Option<SeqNo>, Vec<Event>)> {
    let mut earliest = None;
    let mut events = Vec::new();
    for (number, name) in list_segments(dir)? {
        if number > active {
            break;
        }
        let Some(data) = dir.read_if_exists(&name)? else {
            // Deleted after a flush since it was listed: so are the older ones.
            earliest = None;
            events.clear();
            continue;
        };
        let path = dir.file(&name);
        let mut data = Bytes::from(data);
        if number == active {
            // Records appended after registration are delivered live.
            data.truncate(active_len as usize);
        }
        let log = decode_log(&path, WAL_MAGIC, data)?;
        for rec in log.records {
            let (seq, batch) = WriteBatch::decode(&rec.payload, &path, rec.offset)?;
            if earliest.is_none() {
                earliest = Some(seq);
            }
            if seq >= from && seq <= boundary {
                events.push(Event {
                    seq,
                    ops: batch.into_ops().into(),
                });
            }
        }
    }
    Ok((earliest, events))
}
