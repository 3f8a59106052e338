//! The engine adapter: the storage port over `ferrolite::Db`.
//!
//! A read view is an owned engine snapshot (`Db::snapshot_owned`), a batch one `WriteBatch`
//! (atomic and durable as the database's sync policy says), the feed `Db::subscribe`.

use super::port::{ChangeFeed, EntryIter, ReadView, Storage, Write};
use crate::Result;
use ferrolite::{Bytes, Db, FeedItem, Options, Snapshot, Subscription, WriteBatch};
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The storage port over a Ferrolite database.
#[derive(Debug, Clone)]
pub struct EngineStorage {
    db: Arc<Db>,
}

impl EngineStorage {
    /// Open (or create) the database in `path`.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        Ok(Self::new(Arc::new(Db::open(path, options)?)))
    }

    /// Use an open database (shared with other users of the key-value API).
    pub fn new(db: Arc<Db>) -> Self {
        EngineStorage { db }
    }

    /// The database underneath.
    pub fn db(&self) -> &Arc<Db> {
        &self.db
    }
}

struct View(Snapshot<'static>);

impl ReadView for View {
    fn get(&self, key: &[u8]) -> Result<Option<Bytes>> {
        Ok(self.0.get(key)?)
    }

    fn scan(&self, lower: Bound<Vec<u8>>, upper: Bound<Vec<u8>>) -> Result<EntryIter> {
        let iter = self.0.scan((lower, upper))?;
        Ok(Box::new(iter.map(|e| e.map_err(crate::Error::from))))
    }
}

struct Feed(Subscription);

impl ChangeFeed for Feed {
    fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<FeedItem>> {
        Ok(self.0.recv_timeout(timeout)?)
    }
}

impl Storage for EngineStorage {
    fn read_view(&self) -> Result<Box<dyn ReadView>> {
        Ok(Box::new(View(self.db.snapshot_owned()?)))
    }

    fn write(&self, writes: Vec<Write>) -> Result<()> {
        let mut batch = WriteBatch::new();
        for (key, value) in writes {
            match value {
                Some(v) => batch.put(key, v),
                None => batch.delete(key),
            };
        }
        Ok(self.db.write(batch)?)
    }

    fn subscribe(&self, from: u64, capacity: usize) -> Result<Box<dyn ChangeFeed>> {
        Ok(Box::new(Feed(self.db.subscribe(from, capacity)?)))
    }

    fn name(&self) -> &'static str {
        "engine"
    }
}
