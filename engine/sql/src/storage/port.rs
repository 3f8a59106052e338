//! The port's types: `Storage`, `ReadView`, `ChangeFeed`, the entry and write types, and the
//! key-range helpers every adapter and the domain use.

pub use ferrolite::{BatchOp, Event, FeedItem, ValueKind};

use crate::Result;
use ferrolite::Bytes;
use std::ops::Bound;
use std::time::Duration;

/// A key and its value.
pub type Entry = (Bytes, Bytes);

/// An owned, ordered iterator of entries.
pub type EntryIter = Box<dyn Iterator<Item = Result<Entry>> + Send>;

/// One write of an atomic batch: `Some(value)` puts, `None` deletes (shared bytes: a
/// transaction's buffer moves into the batch without a copy).
pub type Write = (Bytes, Option<Bytes>);

/// An ordered key-value store the SQL layer runs on.
pub trait Storage: Send + Sync + 'static {
    /// A consistent read view of everything committed so far; it sees no later write.
    fn read_view(&self) -> Result<Box<dyn ReadView>>;
    /// Apply `writes` atomically, in order (a later write of the same key wins). When it
    /// returns `Ok`, a new read view sees all of them.
    fn write(&self, writes: Vec<Write>) -> Result<()>;
    /// Committed batches from sequence number `from` on, in commit order: first the history
    /// still held, then live ones. Queues at most `capacity` live batches (then
    /// [`FeedItem::Lagged`]). See `ferrolite::Db::subscribe` for the exact semantics.
    fn subscribe(&self, from: u64, capacity: usize) -> Result<Box<dyn ChangeFeed>>;
    /// A short name for reports (`engine`, `memory`).
    fn name(&self) -> &'static str;
}

/// A consistent read view (a snapshot).
pub trait ReadView: Send + Sync {
    /// The value of `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Bytes>>;
    /// Entries with keys in the bounds, in ascending key order.
    fn scan(&self, lower: Bound<Vec<u8>>, upper: Bound<Vec<u8>>) -> Result<EntryIter>;
}

/// A subscription to committed batches.
pub trait ChangeFeed: Send {
    /// The next item, waiting at most `timeout`; `Ok(None)` on timeout,
    /// `Err` once the store closed and everything queued was delivered.
    fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<FeedItem>>;
}

/// The smallest key greater than every key starting with `prefix` (`None`: no such key).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Whether bounds hold no key at all: a lower bound above the upper one, or one key that an
/// end excludes. `BTreeMap::range` panics on such bounds, so its callers check first (a
/// contradictory WHERE such as `k > 5 AND k < 3` gives them).
pub fn empty_bounds(lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> bool {
    match (lower, upper) {
        (Bound::Included(l), Bound::Included(u)) => l > u,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Included(u) | Bound::Excluded(u)) => {
            l >= u
        }
        _ => false,
    }
}

/// The bounds of every key starting with `prefix`.
pub fn prefix_bounds(prefix: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let upper = match prefix_end(prefix) {
        Some(end) => Bound::Excluded(end),
        None => Bound::Unbounded,
    };
    (Bound::Included(prefix.to_vec()), upper)
}
