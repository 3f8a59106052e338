//! The in-memory adapter: a copy-on-write `BTreeMap` for the domain's unit tests.
//!
//! A read view is a clone of an `Arc` of the map: O(1) to take; the next write then copies
//! the map once (`Arc::make_mut`), which is fine at test sizes. Every committed batch is kept
//! as an [`Event`] (the history is never trimmed, so the feed never reports a gap) and sent
//! to live subscribers through unbounded channels (capacity is not enforced).

use super::port::{ChangeFeed, EntryIter, ReadView, Storage, Write};
use crate::{Error, Result};
use ferrolite::{BatchOp, Bytes, Event, FeedItem, ValueKind};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

type Map = BTreeMap<Bytes, Bytes>;

/// The storage port over an in-memory ordered map.
#[derive(Default)]
pub struct MemStorage {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    map: Arc<Map>,
    next_seq: u64,
    history: Vec<Event>,
    live: Vec<Sender<FeedItem>>,
}

impl MemStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the map consistent (writes are applied in
        // full before the guard drops), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for MemStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemStorage").finish_non_exhaustive()
    }
}

struct View(Arc<Map>);

impl ReadView for View {
    fn get(&self, key: &[u8]) -> Result<Option<Bytes>> {
        Ok(self.0.get(key).cloned())
    }

    fn scan(&self, lower: Bound<Vec<u8>>, upper: Bound<Vec<u8>>) -> Result<EntryIter> {
        if super::port::empty_bounds(&lower, &upper) {
            return Ok(Box::new(std::iter::empty()));
        }
        let lower = lower.map(Bytes::from);
        let upper = upper.map(Bytes::from);
        let entries: Vec<_> = self
            .0
            .range::<Bytes, _>((lower, upper))
            .map(|(k, v)| Ok((k.clone(), v.clone())))
            .collect();
        Ok(Box::new(entries.into_iter()))
    }
}

struct Feed {
    replay: std::vec::IntoIter<Event>,
    live: Receiver<FeedItem>,
}

impl ChangeFeed for Feed {
    fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<FeedItem>> {
        if let Some(e) = self.replay.next() {
            return Ok(Some(FeedItem::Event(e)));
        }
        match self.live.recv_timeout(timeout) {
            Ok(item) => Ok(Some(item)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(Error::Storage(ferrolite::Error::Closed)),
        }
    }
}

impl Storage for MemStorage {
    fn read_view(&self) -> Result<Box<dyn ReadView>> {
        Ok(Box::new(View(Arc::clone(&self.lock().map))))
    }

    fn write(&self, writes: Vec<Write>) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut st = self.lock();
        let seq = st.next_seq;
        st.next_seq += writes.len() as u64;
        let map = Arc::make_mut(&mut st.map);
        let mut ops = Vec::with_capacity(writes.len());
        for (key, value) in writes {
            match value {
                Some(v) => {
                    map.insert(key.clone(), v.clone());
                    ops.push(BatchOp {
                        kind: ValueKind::Put,
                        key,
                        value: v,
                    });
                }
                None => {
                    map.remove(&key);
                    ops.push(BatchOp {
                        kind: ValueKind::Delete,
                        key,
                        value: Bytes::new(),
                    });
                }
            }
        }
        let event = Event {
            seq,
            ops: ops.into(),
        };
        st.live
            .retain(|tx| tx.send(FeedItem::Event(event.clone())).is_ok());
        st.history.push(event);
        Ok(())
    }

    fn subscribe(&self, from: u64, _capacity: usize) -> Result<Box<dyn ChangeFeed>> {
        let mut st = self.lock();
        let replay: Vec<Event> = st
            .history
            .iter()
            .filter(|e| e.seq >= from)
            .cloned()
            .collect();
        let (tx, rx) = channel();
        st.live.push(tx);
        Ok(Box::new(Feed {
            replay: replay.into_iter(),
            live: rx,
        }))
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}
