//! The write path in one place: the writer queue, the WAL, the memtable inserts, the ordered
//! publish, the memtable switch, flow control.
//!
//! | file | what it holds |
//! |---|---|
//! | `group.rs` | a queued writer ([`Pending`](group::Pending)) and its states, a writer's insert task, an in-flight group, [`insert_batch`](group::insert_batch) |
//! | `wal_state.rs` | [`WalState`]: the active segment's writer and the last sequence number written |
//! | `committer.rs` | [`Committer`]: the queue, the leader's commit, the publish, the memtable switch and flow control |
//!
//! **A write, start to finish** ([`Committer::write`]):
//! 1. The batch is checked (keys, values, size) and queued.
//! 2. The writer at the front of the queue is the *leader*; a writer that finds the queue
//!    empty leads at once, the others wait (`handoff.rs`: spin, yield, then park). The leader
//!    takes every batch queued behind it (up to [`MAX_GROUP_BYTES`]; only its own without
//!    group commit) and, holding the WAL lock:
//! 3. makes room: when the active memtable is full it is frozen and a new WAL segment starts
//!    (the two always switch together, so a memtable's writes are exactly one segment's
//!    records); writers are slowed, then stopped, when flushes and compactions fall behind;
//! 4. gives the group consecutive sequence numbers and appends one WAL record per batch, then
//!    hands the group to the OS in one write (and one `fdatasync` under `EveryWrite` /
//!    `GroupCommit`, or later under `Buffered`);
//! 5. **with [`Options::parallel_memtable_writes`]** (the default; RocksDB's concurrent
//!    memtable writes): notes the group in the recent-writes map (`recent.rs`), gives every
//!    follower its first sequence number and the memtable, and queues the group as *in
//!    flight*; then it releases the WAL lock, pops the group, makes the next writer the
//!    leader — whose WAL append now overlaps this group's inserts — and tells the followers
//!    to insert. Every writer inserts its own batch, concurrently with the others and with
//!    later groups. Whoever finishes a group's last insert publishes every in-flight group at
//!    the front whose inserts are done, in sequence order: its events to the change feed
//!    (`feed.rs`) and its last sequence number to readers ([`Visibility::publish`]), and wakes
//!    its writers. So a group is visible only when its inserts and every earlier group's are
//!    done: no reader or snapshot sees part of a group, and the published sequence number
//!    only grows;
//! 6. **without it**: inserts every batch itself, in sequence order, publishes, and releases
//!    the WAL lock, the queue and the followers — one group at a time, one inserting thread.
//!
//! A memtable switch, `Db::flush` and a change-feed subscription first wait, under the WAL
//! lock, for the groups in flight to publish (`Committer::drain`): a frozen memtable holds
//! exactly its segment's writes, and size accounting and flush stay exact.
//!
//! [`Options::parallel_memtable_writes`]: crate::Options::parallel_memtable_writes
//! [`Visibility::publish`]: crate::visibility::Visibility::publish
//!
//! **Flow control** (step 3), so memory stays bounded:
//! - L0 has `l0_slowdown_trigger` tables: the group is delayed 1 ms (once);
//! - L0 has `l0_stop_trigger` tables, or `max_immutable_memtables` frozen memtables wait for
//!   flush while the active one is full: writers wait until a flush or compaction finishes.
//!
//! Without background workers (`Options::auto_compaction(false)`) the leader flushes the
//! frozen memtable itself. Stall time and count are in [`crate::DbStats`]; a `tracing` event
//! marks each stop.
//!
//! **After a WAL failure** the segment's tail is unknown: a prefix of the group's records may
//! be in the file (a short write), or all of it (a failed `fdatasync` after a complete
//! `write`). Another record appended after a torn one would turn that torn tail into
//! corruption in the middle of the log at recovery, and after a failed `fdatasync` the kernel
//! may have dropped pages written earlier. So, as LevelDB and RocksDB do, the database then
//! refuses every later write until it is reopened, while reads keep working on what was
//! acknowledged. Every acknowledged write survives a reopen; a group whose commit reported an
//! error is, per batch, all-or-nothing after the reopen (each batch is one checksummed record:
//! recovery keeps it whole or drops it as a torn tail).

mod committer;
mod group;
mod wal_state;

pub(crate) use committer::{Committer, Parts};
pub use group::MAX_GROUP_BYTES;
pub(crate) use wal_state::WalState;
