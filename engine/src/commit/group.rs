//! The writer queue's vocabulary: a queued writer ([`Pending`]) and its states, a follower's
//! share of the memtable inserts ([`InsertTask`]), and a commit group between its WAL append
//! and its publish ([`Group`]); plus the two unit operations on a batch, [`insert_batch`] and
//! [`record_batch`].

use crate::batch::{BatchOp, WriteBatch};
use crate::control::lock;
use crate::feed::Event;
use crate::memtable::MemTable;
use crate::recent::Recorder;
use crate::types::{SeqNo, ValueKind};
use crate::{Error, Result};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::Thread;

/// Largest group a leader commits at once (bytes of batch payload).
pub const MAX_GROUP_BYTES: usize = 1 << 20;

/// Where a queued writer stands ([`Pending::state`]): waiting behind the front.
pub(super) const WAITING: u8 = 0;
/// At the front of the queue: it commits the next group.
pub(super) const LEADER: u8 = 1;
/// The leader wrote the group's WAL records: insert your own batch ([`Pending::task`]).
pub(super) const INSERT: u8 = 2;
/// The group is published, or failed: [`Pending::result`] holds the outcome.
pub(super) const DONE: u8 = 3;

/// A writer in the queue.
pub(super) struct Pending {
    /// The writer's batch. The leader encodes it; whoever inserts it takes it.
    pub batch: Mutex<WriteBatch>,
    /// Upper bound of the batch's WAL encoding.
    pub bytes: usize,
    /// The writer's thread, unparked on every change of `state`.
    thread: Thread,
    /// [`WAITING`], [`LEADER`], [`INSERT`] or [`DONE`]; stored with Release after the fields
    /// it announces, loaded with Acquire.
    state: AtomicU8,
    /// What to insert where ([`INSERT`]).
    pub task: Mutex<Option<InsertTask>>,
    /// The group's outcome ([`DONE`]).
    pub result: Mutex<Option<Result<()>>>,
}

impl Pending {
    /// The calling thread's batch of `bytes` encoded bytes, waiting.
    pub(super) fn new(batch: WriteBatch, bytes: usize) -> Pending {
        Pending {
            batch: Mutex::new(batch),
            bytes,
            thread: std::thread::current(),
            state: AtomicU8::new(WAITING),
            task: Mutex::new(None),
            result: Mutex::new(None),
        }
    }

    pub(super) fn state(&self) -> u8 {
        // Acquire pairs with the Release in `set`: the task or result it announces is visible.
        self.state.load(Ordering::Acquire)
    }

    /// Move the writer to `state` and wake it (see `handoff.rs`).
    pub(super) fn set(&self, state: u8) {
        self.state.store(state, Ordering::Release);
        self.thread.unpark();
    }

    /// Give the writer its outcome and wake it.
    pub(super) fn finish(&self, result: Result<()>) {
        *lock(&self.result) = Some(result);
        self.set(DONE);
    }
}

/// A writer's share of a group's memtable inserts.
pub(super) struct InsertTask {
    pub mem: Arc<dyn MemTable>,
    /// Sequence number of the batch's first operation.
    pub first: SeqNo,
    /// Keep the operations for the change feed.
    pub keep: bool,
    pub group: Arc<Group>,
}

impl InsertTask {
    /// Insert `batch` as told; the group gets the operations back when it keeps them.
    pub(super) fn run(self, batch: WriteBatch) -> Arc<Group> {
        if let Some(ops) = insert_batch(self.mem.as_ref(), None, self.first, batch, self.keep) {
            lock(&self.group.events).push(Event {
                seq: self.first,
                ops: ops.into(),
            });
        }
        // AcqRel: Release hands this insert to whoever publishes the group; the decrements
        // form one release sequence, so the publisher's Acquire load of 0 sees every insert.
        self.group.remaining.fetch_sub(1, Ordering::AcqRel);
        self.group
    }
}

/// A commit group whose WAL records are written and whose inserts may still be running: it
/// is published — its events handed to the change feed, its last sequence number to readers
/// — once its inserts and every earlier group's are done (`Committer::publish_ready`).
pub(super) struct Group {
    /// The writers to wake when it is published.
    pub members: Vec<Arc<Pending>>,
    /// Its last sequence number.
    pub last: SeqNo,
    /// Inserts still running.
    pub remaining: AtomicUsize,
    /// One event per batch when the change feed is watched (in any order until published).
    pub events: Mutex<Vec<Event>>,
}

impl Group {
    /// Whether every insert of the group is done.
    pub(super) fn inserted(&self) -> bool {
        // Acquire: pairs with the AcqRel decrements in `InsertTask::run`.
        self.remaining.load(Ordering::Acquire) == 0
    }
}

/// The error a follower of a failed group gets: the leader's, rebuilt (an `io::Error` cannot
/// be cloned) so that a WAL failure reaches every writer of the group as an [`Error::Io`]
/// naming the file.
pub(super) fn follower_error(e: &Error) -> Error {
    match e {
        Error::Io { path, source } => Error::Io {
            path: path.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        // The leader found the database closed: so is it for every follower.
        Error::Closed => Error::Closed,
        Error::Background(why) => Error::Background(why.clone()),
        e => Error::Background(format!("group commit failed: {e}")),
    }
}

/// Note `op`, numbered `seq`, in the recent-writes map (a delete as `None`).
fn record_op(recent: &mut Recorder<'_>, seq: SeqNo, op: &BatchOp) {
    let value = (op.kind == ValueKind::Put).then_some(&op.value);
    recent.record(&op.key, seq, value);
}

/// Note each write of `batch` (first operation numbered `first`) in the recent-writes map.
pub(super) fn record_batch(recent: &mut Recorder<'_>, first: SeqNo, batch: &WriteBatch) {
    for (seq, op) in (first..).zip(batch.ops()) {
        record_op(recent, seq, op);
    }
}

/// Insert `batch`, whose first operation has sequence number `first`, into `mem`, noting each
/// write in the recent-writes map when given one; the unit of memtable insertion. The
/// memtable copies the key. With `keep` the memtable shares each value (a reference count)
/// and the operations come back (for the change feed's event); without, the values move in.
pub(super) fn insert_batch(
    mem: &dyn MemTable,
    mut recent: Option<&mut Recorder<'_>>,
    first: SeqNo,
    batch: WriteBatch,
    keep: bool,
) -> Option<Vec<BatchOp>> {
    let mut ops = batch.into_ops();
    for (seq, op) in (first..).zip(ops.iter_mut()) {
        if let Some(recent) = recent.as_deref_mut() {
            record_op(recent, seq, op);
        }
        let value = if keep {
            op.value.clone()
        } else {
            std::mem::take(&mut op.value)
        };
        mem.insert(&op.key, seq, op.kind, value);
    }
    keep.then_some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followers_of_a_failed_group_get_the_leaders_io_error() {
        let leader = Error::Io {
            path: "/db/000007.wal".into(),
            source: std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full"),
        };
        match follower_error(&leader) {
            Error::Io { path, source } => {
                assert_eq!(path, std::path::Path::new("/db/000007.wal"));
                assert_eq!(source.kind(), std::io::ErrorKind::StorageFull);
                assert_eq!(source.to_string(), "disk full");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(follower_error(&Error::Closed), Error::Closed));
        assert!(matches!(
            follower_error(&Error::Background("x".into())),
            Error::Background(w) if w == "x"
        ));
        assert!(matches!(
            follower_error(&Error::corruption("/db/a", 3, "bad")),
            Error::Background(w) if w.contains("bad")
        ));
    }
}
