//! What a case is made of: user keys, values described by a number and a length, and the
//! [`EngineOp`]s applied to the engine and the model, each printed as the Rust call it stands
//! for (`put("ab", v7×9)`, `scan(Included("a"), Unbounded).take(2)`) so that a failing
//! sequence reads like a test.

use std::fmt;
use std::ops::Bound;

/// A user key (printed as an escaped string).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key(pub Vec<u8>);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

/// A value, described by a number and a length: its bytes are `v<id>.` repeated and cut to
/// `len` (so `v7×9` is `v7.v7.v7.`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Val {
    /// Distinguishes values.
    pub id: u16,
    /// Length in bytes.
    pub len: u16,
}

impl Val {
    /// The value's bytes.
    pub fn bytes(self) -> Vec<u8> {
        format!("v{}.", self.id)
            .into_bytes()
            .into_iter()
            .cycle()
            .take(usize::from(self.len))
            .collect()
    }
}

impl fmt::Debug for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}×{}", self.id, self.len)
    }
}

/// One operation of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchEntry {
    /// Put `key` = `value`.
    Put(Key, Val),
    /// Delete `key`.
    Delete(Key),
}

/// One step of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineOp {
    /// `db.put(key, value)`.
    Put(Key, Val),
    /// `db.delete(key)`.
    Delete(Key),
    /// `db.write(batch)`.
    Batch(Vec<BatchEntry>),
    /// `db.get(key)`.
    Get(Key),
    /// `db.scan(lower..upper)` (`db.iter()` when both are unbounded), keeping the first
    /// `take` entries when given (the iterator is then dropped part-way).
    Scan {
        /// Lower bound.
        lower: Bound<Key>,
        /// Upper bound.
        upper: Bound<Key>,
        /// How many entries to consume.
        take: Option<u8>,
    },
    /// `db.scan_prefix(prefix)`.
    ScanPrefix(Key),
    /// `db.snapshot()`, kept with a copy of the model (a no-op when [`MAX_SNAPSHOTS`](super::MAX_SNAPSHOTS) live).
    Snapshot,
    /// `get` on live snapshot number `slot % live` (a no-op when none is live).
    SnapGet(u8, Key),
    /// `scan` on live snapshot number `slot % live`.
    SnapScan {
        /// Which live snapshot.
        slot: u8,
        /// Lower bound.
        lower: Bound<Key>,
        /// Upper bound.
        upper: Bound<Key>,
    },
    /// `scan_prefix` on live snapshot number `slot % live`.
    SnapPrefix(u8, Key),
    /// Drop live snapshot number `slot % live`.
    DropSnapshot(u8),
    /// `db.flush()`.
    Flush,
    /// `db.compact()`.
    Compact,
    /// Open a scan (`db.iter()` when both bounds are unbounded) and read its first `pre`
    /// entries now; the rest is read by a later [`EngineOp::FinishIter`] (or at the end of the
    /// case), and must still be the state at opening — whatever was written, flushed or
    /// compacted in between. At most [`MAX_HELD_ITERS`](super::MAX_HELD_ITERS) are held; opening more is a no-op.
    OpenIter {
        /// Lower bound.
        lower: Bound<Key>,
        /// Upper bound.
        upper: Bound<Key>,
        /// Entries read at once.
        pre: u8,
    },
    /// Read the rest of held iterator number `slot % held` and compare it all.
    FinishIter(u8),
    /// Drop every snapshot and held iterator, close the database, open the directory again.
    Reopen,
    /// `db.verify()`: every checksum of every table.
    Verify,
}

pub(super) struct ShowBound<'a>(pub(super) &'a Bound<Key>);

impl fmt::Display for ShowBound<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Bound::Included(k) => write!(f, "Included({k:?})"),
            Bound::Excluded(k) => write!(f, "Excluded({k:?})"),
            Bound::Unbounded => f.write_str("Unbounded"),
        }
    }
}

/// Rust-like: `put("ab", v7×9)`, `scan(Included("a"), Unbounded).take(2)`.
impl fmt::Display for EngineOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineOp::Put(k, v) => write!(f, "put({k:?}, {v:?})"),
            EngineOp::Delete(k) => write!(f, "delete({k:?})"),
            EngineOp::Batch(entries) => {
                f.write_str("write(batch[")?;
                for (i, e) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match e {
                        BatchEntry::Put(k, v) => write!(f, "put({k:?}, {v:?})")?,
                        BatchEntry::Delete(k) => write!(f, "delete({k:?})")?,
                    }
                }
                f.write_str("])")
            }
            EngineOp::Get(k) => write!(f, "get({k:?})"),
            EngineOp::Scan { lower, upper, take } => {
                if *lower == Bound::Unbounded && *upper == Bound::Unbounded {
                    f.write_str("iter()")?;
                } else {
                    write!(f, "scan({}, {})", ShowBound(lower), ShowBound(upper))?;
                }
                match take {
                    Some(n) => write!(f, ".take({n})"),
                    None => Ok(()),
                }
            }
            EngineOp::ScanPrefix(p) => write!(f, "scan_prefix({p:?})"),
            EngineOp::Snapshot => f.write_str("snapshot()"),
            EngineOp::SnapGet(s, k) => write!(f, "snap[{s}].get({k:?})"),
            EngineOp::SnapScan { slot, lower, upper } => write!(
                f,
                "snap[{slot}].scan({}, {})",
                ShowBound(lower),
                ShowBound(upper)
            ),
            EngineOp::SnapPrefix(s, p) => write!(f, "snap[{s}].scan_prefix({p:?})"),
            EngineOp::DropSnapshot(s) => write!(f, "drop(snap[{s}])"),
            EngineOp::OpenIter { lower, upper, pre } => write!(
                f,
                "let it = scan({}, {}); it.take({pre})",
                ShowBound(lower),
                ShowBound(upper)
            ),
            EngineOp::FinishIter(s) => write!(f, "iter[{s}].rest()"),
            EngineOp::Flush => f.write_str("flush()"),
            EngineOp::Compact => f.write_str("compact()"),
            EngineOp::Reopen => f.write_str("close(); reopen()"),
            EngineOp::Verify => f.write_str("verify()"),
        }
    }
}
