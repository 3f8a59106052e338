//! Rowid assignment: a NULL (or absent) INTEGER PRIMARY KEY, or a table's hidden rowid, takes
//! one more than the largest rowid present, or 1 in an empty table — SQLite's rule.
//!
//! A *hint* per table is kept in memory: the largest rowid committed through this process,
//! found on first use by a scan that starts at the table's stored high-water mark
//! (`keys::rowid_mark`, written by commits that assigned rowids; it may lag, never lead,
//! since concurrent commits may store it out of order — hence the scan from it), raised by
//! every commit. A transaction adds its own largest rowid. The hint never lies low, but it
//! lies high once its row is deleted: so the row is looked up in the transaction's view, and
//! if it is gone the largest rowid below it is found by scanning windows that grow fourfold
//! downwards (the storage port has no backward seek). Two transactions that take the same
//! rowid write the same row key, and the commit check fails the second
//! ([`crate::Error::Conflict`]).

use crate::catalog::TableDef;
use crate::keys;
use crate::storage::{prefix_bounds, Storage};
use crate::txn::Txn;
use crate::{keycode, Error, Result, Value};
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Mutex;

/// The largest rowid below `bound` in `table` as `txn` sees it (`None`: no row below).
fn largest_below(txn: &mut Txn, table: &TableDef, bound: i64) -> Result<Option<i64>> {
    let prefix = keys::table_prefix(table.id);
    let start = Bound::Included(prefix.clone());
    let rowid = |k: &[u8]| -> Result<i64> {
        match keycode::decode_key(&k[prefix.len()..])?.as_slice() {
            [Value::Integer(i)] => Ok(*i),
            _ => Err(Error::corrupt(
                "row key",
                "a rowid table's key is not one integer",
            )),
        }
    };
    let mut hi = bound;
    let mut window: i64 = 64;
    loop {
        let lo = hi.saturating_sub(window);
        let upper = Bound::Excluded(keys::row(table.id, &[Value::Integer(hi)]));
        let lower = if lo == i64::MIN {
            start.clone()
        } else {
            Bound::Included(keys::row(table.id, &[Value::Integer(lo)]))
        };
        let mut last = None;
        for e in txn.scan(lower, upper.clone())? {
            last = Some(e?.0);
        }
        if let Some(k) = last {
            return rowid(&k).map(Some);
        }
        if lo == i64::MIN {
            return Ok(None);
        }
        // Nothing in this window: is there anything below it at all?
        let below = Bound::Excluded(keys::row(table.id, &[Value::Integer(lo)]));
        if txn
            .scan(start.clone(), below)?
            .next()
            .transpose()?
            .is_none()
        {
            return Ok(None);
        }
        hi = lo;
        window = window.saturating_mul(4);
    }
}

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
        let hint = match txn.rowid_max.get(&table.id) {
            Some(&local) => committed.max(local),
            None => committed,
        };
        let largest = if txn
            .get(&keys::row(table.id, &[Value::Integer(hint)]))?
            .is_some()
        {
            Some(hint)
        } else {
            largest_below(txn, table, hint)?
        };
        txn.auto_rowid.insert(table.id);
        match largest {
            None => Ok(1),
            Some(m) => m
                .checked_add(1)
                .ok_or_else(|| Error::Eval("database or disk is full (no rowid left)".into())),
        }
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
