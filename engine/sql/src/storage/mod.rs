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
mod port;

pub use engine::EngineStorage;
pub use mem::MemStorage;
pub use port::{
    empty_bounds, prefix_bounds, prefix_end, BatchOp, ChangeFeed, Entry, EntryIter, Event,
    FeedItem, ReadView, Storage, ValueKind, Write,
};

#[cfg(test)]
mod tests {
    use super::*;
    use ferrolite::Bytes;
    use std::ops::Bound;
    use std::time::Duration;

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
