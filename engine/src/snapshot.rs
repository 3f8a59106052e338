//! [`Snapshot`]: a consistent read view at a fixed sequence number.
//!
//! Taking one pins the current sequence number in the engine's [`Visibility`]; while it
//! lives, compaction keeps every version it may read. Reads through it see exactly the writes
//! at or below its sequence number, whatever is written, flushed or compacted meanwhile.

use crate::engine::Engine;
use crate::iter::DbIter;
use crate::key::{prefix_bounds, validate_key, KeyRange};
use crate::types::SeqNo;
use crate::Result;
use bytes::Bytes;
use std::marker::PhantomData;
use std::sync::Arc;

/// A read view at a fixed sequence number, kept until dropped. See [`crate::Db::snapshot`].
///
/// The lifetime ties a snapshot from [`crate::Db::snapshot`] to its `Db` handle; one from
/// [`crate::Db::snapshot_owned`] is `Snapshot<'static>` and may outlive the handle (the
/// engine stays allocated while it lives; after `close`, its reads fail with
/// [`crate::Error::Closed`]).
pub struct Snapshot<'a> {
    engine: Arc<Engine>,
    seq: SeqNo,
    _db: PhantomData<&'a ()>,
}

impl<'a> Snapshot<'a> {
    pub(crate) fn new(engine: &Arc<Engine>) -> Snapshot<'a> {
        Snapshot {
            seq: engine.visibility.pin(),
            engine: Arc::clone(engine),
            _db: PhantomData,
        }
    }

    /// The sequence number this snapshot reads at.
    pub fn seq(&self) -> SeqNo {
        self.seq
    }

    /// The value of `key` as of the snapshot.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        let key = key.as_ref();
        self.engine.control.check_open()?;
        validate_key(key)?;
        self.engine.get(key, Some(self.seq))
    }

    /// Entries in `range` as of the snapshot (any key range: `..`, `"a".."c"`, `k..=l`, …).
    pub fn scan(&self, range: impl KeyRange) -> Result<DbIter> {
        self.engine.control.check_open()?;
        self.engine.scan(range.into_bounds(), Some(self.seq))
    }

    /// Every entry as of the snapshot.
    pub fn iter(&self) -> Result<DbIter> {
        self.scan(..)
    }

    /// Entries with `prefix` as of the snapshot.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Result<DbIter> {
        self.engine.control.check_open()?;
        self.engine
            .scan(prefix_bounds(prefix.as_ref()), Some(self.seq))
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        self.engine.visibility.unpin(self.seq);
    }
}

impl std::fmt::Debug for Snapshot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("seq", &self.seq).finish()
    }
}
