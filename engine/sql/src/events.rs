//! Domain events (the write side of CQRS): row inserted, updated, deleted — derived from the
//! engine's change feed.
//!
//! Every committed transaction is one engine batch. Its row puts and deletes say *what* is
//! now stored; what was there before comes from the batch itself: a transaction that
//! changed existing rows also writes their before-images under `keys::undo()` in the same
//! batch (one key, overwritten by every such commit, so it costs one small write and no
//! growth). Decoding a batch gives, per row key of the table: a put with a before-image is
//! an update (old and new values), a put without one an insert, a delete with one a delete.
//! A delete without a before-image is not a row event (a dropped table's data being
//! removed). [`RowEvents`] replays the batches still in the log from a sequence number and
//! then follows new ones, in commit order. A transaction is the unit: its events share its
//! commit sequence number (`seq`, the engine's first sequence number of its batch) and are
//! numbered within it (`index`), so `subscribe(table, seq + 1)` resumes after the last
//! transaction fully seen.

use crate::catalog::TableDef;
use crate::keys;
use crate::storage::{ChangeFeed, Event, FeedItem, Storage, ValueKind};
use crate::table;
use crate::{keycode, Error, Result, Value};
use ferrolite::Bytes;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// What happened to a row.
#[derive(Clone, Debug, PartialEq)]
pub enum RowChange {
    /// A new row.
    Inserted {
        /// Its values.
        new: Vec<Value>,
    },
    /// A changed row.
    Updated {
        /// Values before.
        old: Vec<Value>,
        /// Values after.
        new: Vec<Value>,
    },
    /// A removed row.
    Deleted {
        /// Its values before.
        old: Vec<Value>,
    },
}

/// One row event.
#[derive(Clone, Debug, PartialEq)]
pub struct RowEvent {
    /// The commit's sequence number (commit order; shared by the transaction's events).
    pub seq: u64,
    /// The event's position among its transaction's events of this table.
    pub index: u32,
    /// The table's name.
    pub table: String,
    /// The row's primary key.
    pub pk: Vec<Value>,
    /// What happened.
    pub change: RowChange,
}

/// The before-images of a transaction, encoded for `keys::undo()`.
pub fn encode_before(before: &BTreeMap<Bytes, Bytes>) -> Vec<u8> {
    let mut flat = Vec::with_capacity(before.len() * 2);
    for (k, v) in before {
        flat.push(Value::Blob(k.to_vec()));
        flat.push(Value::Blob(v.to_vec()));
    }
    keycode::encode_row(&flat)
}

fn decode_before(raw: &[u8]) -> Result<HashMap<Vec<u8>, Vec<u8>>> {
    let flat = keycode::decode_row(raw)?;
    let mut out = HashMap::new();
    let mut it = flat.into_iter();
    while let (Some(Value::Blob(k)), Some(Value::Blob(v))) = (it.next(), it.next()) {
        out.insert(k, v);
    }
    Ok(out)
}

/// The row events of `table` in one committed batch.
pub fn decode_batch(table: &TableDef, event: &Event) -> Result<Vec<RowEvent>> {
    let undo = keys::undo();
    let before = match event
        .ops
        .iter()
        .find(|op| op.key.as_ref() == undo.as_slice() && op.kind == ValueKind::Put)
    {
        Some(op) => decode_before(&op.value)?,
        None => HashMap::new(),
    };
    let mut out = Vec::new();
    for op in event.ops.iter() {
        let Some((id, _)) = keys::row_table(&op.key) else {
            continue;
        };
        if id != table.id {
            continue;
        }
        let old = before
            .get(op.key.as_ref())
            .map(|raw| table::decode(table, raw))
            .transpose()?;
        let (pk, change) = match (op.kind, old) {
            (ValueKind::Put, old) => {
                let new = table::decode(table, &op.value)?;
                let change = match old {
                    Some(o) => RowChange::Updated {
                        old: o.values,
                        new: new.values,
                    },
                    None => RowChange::Inserted { new: new.values },
                };
                (new.pk, change)
            }
            (ValueKind::Delete, Some(o)) => (o.pk, RowChange::Deleted { old: o.values }),
            (ValueKind::Delete, None) => continue,
        };
        let index = out.len() as u32;
        out.push(RowEvent {
            seq: event.seq,
            index,
            table: table.name.clone(),
            pk,
            change,
        });
    }
    Ok(out)
}

/// A subscription to one table's row events.
pub struct RowEvents {
    feed: Box<dyn ChangeFeed>,
    table: Arc<TableDef>,
    from: u64,
    ready: VecDeque<RowEvent>,
}

impl std::fmt::Debug for RowEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowEvents")
            .field("table", &self.table.name)
            .finish_non_exhaustive()
    }
}

/// Subscribe to `table`'s row events of the commits with sequence number `from` or later.
pub fn subscribe(storage: &dyn Storage, table: Arc<TableDef>, from: u64) -> Result<RowEvents> {
    Ok(RowEvents {
        feed: storage.subscribe(from, 4096)?,
        table,
        from,
        ready: VecDeque::new(),
    })
}

impl RowEvents {
    /// The next event, waiting at most `timeout` (`Ok(None)` on timeout). A history that
    /// left the log, or a subscriber that fell behind, is [`Error::FeedGap`] or
    /// [`Error::FeedLagged`] naming the sequence numbers; subscribe again from the one it names.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<RowEvent>> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Ok(Some(e));
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.feed.recv_timeout(left)? {
                None => return Ok(None),
                Some(FeedItem::Event(ev)) => {
                    for e in decode_batch(&self.table, &ev)? {
                        if e.seq >= self.from {
                            self.ready.push_back(e);
                        }
                    }
                }
                Some(FeedItem::Gap {
                    from,
                    available_from,
                }) => {
                    return Err(Error::FeedGap {
                        from,
                        available_from,
                    })
                }
                Some(FeedItem::Lagged {
                    missed_from,
                    missed_to,
                }) => {
                    return Err(Error::FeedLagged {
                        missed_from,
                        missed_to,
                    })
                }
            }
        }
    }
}
