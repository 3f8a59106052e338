//! The storage port: what the SQL domain needs from an ordered key-value store.
//!
//! Four things, as toyDB's storage `Engine` trait and the design sketch name them: an
//! ordered **get** and **range scan** through a consistent read view (a snapshot), an
//! **atomic batch** of puts and deletes, and the **change feed** of committed batches in
//! commit order. The engine ([`EngineStorage`], over `ferrolite::Db`) is the product adapter;
//! [`MemStorage`] (a `BTreeMap`) serves the domain's unit tests and anyone who wants the SQL
//! layer without files. Nothing above this module names `ferrolite::Db`.

mod engine;
mod mem;

pub use engine::EngineStorage;
pub use ferrolite::{BatchOp, Event, FeedItem, ValueKind};
pub use mem::MemStorage;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_skips_trailing_ff() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }

    fn b(s: &'static [u8]) -> Bytes {
        Bytes::from_static(s)
    }

    fn exercise(store: &dyn Storage) {
        store
            .write(vec![(b(b"a"), Some(b(b"1"))), (b(b"b"), Some(b(b"2")))])
            .unwrap();
        let view = store.read_view().unwrap();
        store
            .write(vec![(b(b"a"), None), (b(b"c"), Some(b(b"3")))])
            .unwrap();
        assert_eq!(view.get(b"a").unwrap().as_deref(), Some(&b"1"[..]));
        let keys = |v: &dyn ReadView| -> Vec<Bytes> {
            v.scan(Bound::Unbounded, Bound::Unbounded)
                .unwrap()
                .map(|e| e.unwrap().0)
                .collect()
        };
        assert_eq!(keys(view.as_ref()), [&b"a"[..], b"b"]);
        let now = store.read_view().unwrap();
        assert_eq!(keys(now.as_ref()), [&b"b"[..], b"c"]);
        let (lo, hi) = prefix_bounds(b"c");
        assert_eq!(now.scan(lo, hi).unwrap().count(), 1);
        let mut feed = store.subscribe(0, 16).unwrap();
        let mut ops = Vec::new();
        while let Some(FeedItem::Event(e)) = feed.recv_timeout(Duration::from_millis(200)).unwrap()
        {
            ops.extend(e.ops.iter().map(|op| (op.kind, op.key.clone())));
        }
        assert_eq!(
            ops,
            [
                (ValueKind::Put, Bytes::from_static(b"a")),
                (ValueKind::Put, Bytes::from_static(b"b")),
                (ValueKind::Delete, Bytes::from_static(b"a")),
                (ValueKind::Put, Bytes::from_static(b"c")),
            ]
        );
    }

    #[test]
    fn memory_adapter_keeps_the_contract() {
        exercise(&MemStorage::new());
    }

    #[test]
    fn engine_adapter_keeps_the_contract() {
        let dir = tempfile::tempdir().unwrap();
        let store = EngineStorage::open(dir.path(), ferrolite::Options::default()).unwrap();
        exercise(&store);
    }
}
