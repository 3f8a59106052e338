//! Rowid assignment: a NULL (or absent) INTEGER PRIMARY KEY, or a table's hidden rowid, takes
//! one more than the largest rowid, as in SQLite.
//!
//! The largest *committed* rowid per table is kept in memory, found on first use by a scan
//! that starts at the table's stored high-water mark (`keys::rowid_mark`, written by commits
//! that assigned rowids; it may lag, never lead, since concurrent commits may store it out
//! of order — hence the scan from it). A transaction adds its own largest rowid, so inside
//! one transaction rowids count up. Two transactions that take the same rowid write the
//! same row key, and the commit check fails the second ([`crate::Error::Conflict`]).

use crate::catalog::TableDef;
use crate::keys;
use crate::storage::{prefix_bounds, Storage};
use crate::txn::Txn;
use crate::{keycode, Error, Result, Value};
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Mutex;

/// The committed rowid maxima of one database.
#[derive(Debug, Default)]
pub struct Rowids {
    committed: Mutex<HashMap<u32, i64>>,
}

impl Rowids {
    fn committed_max(&self, storage: &dyn Storage, table: &TableDef) -> Result<i64> {
        if let Some(&m) = self.lock().get(&table.id) {
            return Ok(m);
        }
        let view = storage.read_view()?;
        let mark = match view.get(&keys::rowid_mark(table.id))? {
            Some(raw) => match keycode::decode_key(&raw)?.as_slice() {
                [Value::Integer(i)] => *i,
                _ => return Err(Error::corrupt("rowid mark", "not an integer")),
            },
            None => 0,
        };
        let (_, hi) = prefix_bounds(&keys::table_prefix(table.id));
        let mut max = mark;
        let prefix_len = keys::table_prefix(table.id).len();
        for entry in view.scan(
            Bound::Included(keys::row(table.id, &[Value::Integer(mark)])),
            hi,
        )? {
            let (k, _) = entry?;
            if let [Value::Integer(i)] = keycode::decode_key(&k[prefix_len..])?.as_slice() {
                max = max.max(*i);
            }
        }
        // Rows below the mark may exist but are smaller; rows are keyed by integer here.
        let mut map = self.lock();
        let m = map.entry(table.id).or_insert(max);
        *m = (*m).max(max);
        Ok(*m)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, i64>> {
        self.committed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next rowid for `table` in `txn`.
    pub fn next(&self, storage: &dyn Storage, txn: &mut Txn, table: &TableDef) -> Result<i64> {
        let committed = self.committed_max(storage, table)?;
        let local = txn.rowid_max.get(&table.id).copied().unwrap_or(0);
        let next = committed
            .max(local)
            .checked_add(1)
            .ok_or_else(|| Error::Eval("database or disk is full (no rowid left)".into()))?;
        txn.auto_rowid.insert(table.id);
        Ok(next.max(1))
    }

    /// Record that `txn` wrote rowid `id` in `table`.
    pub fn note(txn: &mut Txn, table: u32, id: i64) {
        let m = txn.rowid_max.entry(table).or_insert(id);
        *m = (*m).max(id);
    }

    /// After a commit: raise the committed maxima.
    pub fn committed(&self, maxima: &HashMap<u32, i64>) {
        let mut map = self.lock();
        for (t, m) in maxima {
            if let Some(c) = map.get_mut(t) {
                *c = (*c).max(*m);
            }
        }
    }

    /// The committed maximum if known (for the stored mark).
    pub fn known(&self, table: u32) -> Option<i64> {
        self.lock().get(&table).copied()
    }

    /// Forget a dropped table.
    pub fn forget(&self, table: u32) {
        self.lock().remove(&table);
    }
}
