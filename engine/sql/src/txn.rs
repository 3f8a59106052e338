//! A transaction: a read view, a write buffer, and the keys it read.
//!
//! Reads see the transaction's own writes first (the buffer), then its snapshot. Every key
//! read — present or absent, by `get` or by a scan — joins the read set, which the
//! [`crate::oracle::Oracle`] checks at commit. Scans merge the snapshot with the buffer in
//! key order. A statement that fails halfway is undone inside the transaction by
//! [`Txn::rollback_statement`] (the buffer's previous state of each key it wrote is kept), so
//! a failed statement changes nothing, as in SQLite.

use crate::oracle::Ticket;
use crate::storage::{Entry, EntryIter, ReadView};
use crate::Result;
use ferrolite::Bytes;
use std::collections::BTreeMap;
use std::iter::Peekable;
use std::ops::Bound;

/// What a transaction buffers for one key: `Some` puts, `None` deletes.
pub type Pending = Option<Bytes>;

/// An open transaction.
pub struct Txn {
    pub(crate) ticket: Option<Ticket>,
    view: Box<dyn ReadView>,
    writes: BTreeMap<Bytes, Pending>,
    /// Keys read (with repeats: a list is cheaper than a set, and commit checks each).
    reads: Vec<Bytes>,
    /// Per key written by the running statement, the buffer's state before it.
    statement: Vec<(Bytes, Option<Pending>)>,
    /// Before-images of rows this transaction changed: row key → the row before the
    /// transaction (recorded at the first change of each row that existed).
    pub(crate) before: BTreeMap<Bytes, Bytes>,
    /// Whether scans record the keys they return in the read set.
    track_reads: bool,
    /// Per table, the largest rowid this transaction wrote.
    pub(crate) rowid_max: std::collections::HashMap<u32, i64>,
    /// `rowid_max` when the running statement started (restored if it fails, so that the
    /// next rowid is the same as if it had never run).
    statement_rowid_max: std::collections::HashMap<u32, i64>,
    /// Tables where this transaction assigned rowids.
    pub(crate) auto_rowid: std::collections::BTreeSet<u32>,
}

impl Txn {
    pub(crate) fn new(ticket: Ticket, view: Box<dyn ReadView>) -> Txn {
        Txn {
            ticket: Some(ticket),
            view,
            writes: BTreeMap::new(),
            reads: Vec::new(),
            statement: Vec::new(),
            before: BTreeMap::new(),
            track_reads: true,
            rowid_max: Default::default(),
            statement_rowid_max: Default::default(),
            auto_rowid: Default::default(),
        }
    }

    /// The start version (for messages and tests).
    pub fn start_version(&self) -> u64 {
        self.ticket.as_ref().map_or(0, Ticket::start)
    }

    /// Whether the transaction wrote anything.
    pub fn is_read_only(&self) -> bool {
        self.writes.is_empty()
    }

    /// Read `key`: the buffer first, then the snapshot.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Bytes>> {
        if let Some(p) = self.writes.get(key) {
            return Ok(p.clone());
        }
        if self.track_reads {
            self.reads.push(Bytes::copy_from_slice(key));
        }
        self.view.get(key)
    }

    /// Read `key` that this statement is about to write (an insert's check that the key is
    /// free): not recorded as a read, since the write itself is checked at commit.
    pub fn get_for_write(&mut self, key: &[u8]) -> Result<Option<Bytes>> {
        if let Some(p) = self.writes.get(key) {
            return Ok(p.clone());
        }
        self.view.get(key)
    }

    /// Entries in the bounds, merged with the buffer, in key order. Every key returned joins
    /// the read set as the iterator yields it.
    pub fn scan(&mut self, lower: Bound<Vec<u8>>, upper: Bound<Vec<u8>>) -> Result<TxnScan<'_>> {
        let base = self.view.scan(lower.clone(), upper.clone())?;
        let overlay: Vec<(Bytes, Pending)> =
            if self.writes.is_empty() || crate::storage::empty_bounds(&lower, &upper) {
                Vec::new()
            } else {
                self.writes
                    .range::<[u8], _>((as_slice(&lower), as_slice(&upper)))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
        Ok(TxnScan {
            base: base.peekable(),
            overlay: overlay.into_iter().peekable(),
            reads: if self.track_reads {
                Some(&mut self.reads)
            } else {
                None
            },
        })
    }

    /// Buffer a put.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.buffer(Bytes::from(key), Some(Bytes::from(value)));
    }

    /// Buffer a delete.
    pub fn delete(&mut self, key: Vec<u8>) {
        self.buffer(Bytes::from(key), None);
    }

    fn buffer(&mut self, key: Bytes, value: Pending) {
        let old = self.writes.insert(key.clone(), value);
        self.statement.push((key, old));
    }

    /// Start a statement: what it writes can be undone until the next call.
    pub fn begin_statement(&mut self) {
        self.statement.clear();
        self.statement_rowid_max.clone_from(&self.rowid_max);
    }

    /// Undo every buffered write of the running statement (in reverse order).
    pub fn rollback_statement(&mut self) {
        self.rowid_max.clone_from(&self.statement_rowid_max);
        while let Some((key, old)) = self.statement.pop() {
            match old {
                Some(p) => {
                    self.writes.insert(key.clone(), p);
                }
                None => {
                    self.writes.remove(&key);
                    self.before.remove(&key);
                }
            }
        }
    }

    /// Record `old` as the before-image of row `key` unless the transaction already changed it.
    pub fn note_before(&mut self, key: &[u8], old: Bytes) {
        if !self.writes.contains_key(key) {
            self.before.insert(Bytes::copy_from_slice(key), old);
        }
    }

    /// The buffered writes and the keys read, consumed by commit.
    pub(crate) fn into_parts(self) -> Parts {
        Parts {
            ticket: self.ticket,
            writes: self.writes,
            reads: self.reads,
            before: self.before,
            rowid_max: self.rowid_max,
            auto_rowid: self.auto_rowid,
        }
    }

    /// Number of buffered writes (the engine takes a batch of bounded size).
    pub fn pending_writes(&self) -> usize {
        self.writes.len()
    }

    /// The same transaction recording no reads: for a statement that will write nothing
    /// (a lone SELECT), whose reads no commit check ever looks at.
    pub(crate) fn untracked(mut self) -> Txn {
        self.track_reads = false;
        self
    }

    /// Record `key` in the read set without reading it (the schema entry of a table used).
    pub fn note_read(&mut self, key: Vec<u8>) {
        if self.track_reads {
            self.reads.push(Bytes::from(key));
        }
    }
}

fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// What commit takes from a transaction.
pub(crate) struct Parts {
    pub ticket: Option<Ticket>,
    pub writes: BTreeMap<Bytes, Pending>,
    pub reads: Vec<Bytes>,
    pub before: BTreeMap<Bytes, Bytes>,
    pub rowid_max: std::collections::HashMap<u32, i64>,
    pub auto_rowid: std::collections::BTreeSet<u32>,
}

/// A scan of a transaction: the snapshot merged with the buffer.
pub struct TxnScan<'t> {
    base: Peekable<EntryIter>,
    overlay: Peekable<std::vec::IntoIter<(Bytes, Pending)>>,
    reads: Option<&'t mut Vec<Bytes>>,
}

impl Iterator for TxnScan<'_> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let take_overlay = match (self.base.peek(), self.overlay.peek()) {
                (None, None) => return None,
                (Some(Err(_)), _) => {
                    return self.base.next();
                }
                (Some(Ok((bk, _))), Some((ok, _))) => match ok.as_ref().cmp(bk.as_ref()) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Equal => {
                        self.base.next();
                        true
                    }
                    std::cmp::Ordering::Greater => false,
                },
                (None, Some(_)) => true,
                (Some(Ok(_)), None) => false,
            };
            if take_overlay {
                let (k, v) = self.overlay.next()?;
                match v {
                    Some(v) => return Some(Ok((k, v))),
                    None => continue,
                }
            }
            let item = self.base.next()?;
            if let (Ok((k, _)), Some(reads)) = (&item, self.reads.as_mut()) {
                reads.push(k.clone());
            }
            return Some(item);
        }
    }
}
