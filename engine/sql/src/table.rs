//! Row operations: a row and all its index entries change together, checked first.
//!
//! [`insert`], [`update`] and [`delete`] buffer writes in a [`Txn`]. Each first checks
//! everything that can fail — column types (the strict store rule of
//! [`Value::coerce_to_column`]), NOT NULL, the primary key and every UNIQUE index — and only
//! then buffers the row and its entries, so a failed call buffers nothing; the statement
//! above undoes its earlier rows ([`Txn::rollback_statement`]).

use crate::catalog::{IndexDef, TableDef};
use crate::keycode;
use crate::keys;
use crate::storage::prefix_bounds;
use crate::txn::Txn;
use crate::{Error, Result, Value};
use ferrolite::Bytes;
use std::ops::Bound;

/// A stored row: its primary key and every column's value.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The primary key (the rowid for a rowid table).
    pub pk: Vec<Value>,
    /// Column values, in declaration order.
    pub values: Vec<Value>,
}

/// The stored form of a row: the primary key's values (a hidden rowid first, if any) then
/// the columns.
pub fn encode(table: &TableDef, row: &Row) -> Vec<u8> {
    if table.primary_key.is_empty() {
        let mut all = Vec::with_capacity(row.values.len() + 1);
        all.push(row.pk[0].clone());
        all.extend(row.values.iter().cloned());
        keycode::encode_row(&all)
    } else {
        keycode::encode_row(&row.values)
    }
}

/// A row from its stored form.
pub fn decode(table: &TableDef, raw: &[u8]) -> Result<Row> {
    let mut values = keycode::decode_row(raw)?;
    let hidden = table.primary_key.is_empty();
    let expect = table.columns.len() + usize::from(hidden);
    if values.len() != expect {
        return Err(Error::corrupt(
            "row",
            format!(
                "table {} has {} columns, the row {}",
                table.name,
                expect,
                values.len()
            ),
        ));
    }
    let pk = if hidden {
        vec![values.remove(0)]
    } else {
        table
            .primary_key
            .iter()
            .map(|&c| values[c].clone())
            .collect()
    };
    Ok(Row { pk, values })
}

/// Check and convert the values of a new or changed row: types, NOT NULL.
pub fn check_values(table: &TableDef, values: Vec<Value>) -> Result<Vec<Value>> {
    values
        .into_iter()
        .zip(&table.columns)
        .map(|(v, col)| {
            let v = v
                .coerce_to_column(col.ty)
                .map_err(|got| Error::TypeMismatch {
                    column: format!("{}.{}", table.name, col.name),
                    expected: col.ty.name(),
                    got,
                })?;
            if v.is_null() && col.not_null {
                return Err(Error::NotNull(format!("{}.{}", table.name, col.name)));
            }
            Ok(v)
        })
        .collect()
}

fn index_values(ix: &IndexDef, values: &[Value]) -> Vec<Value> {
    ix.columns.iter().map(|&c| values[c].clone()).collect()
}

/// Whether another row than `pk` holds `values` in unique index `ix`.
fn unique_taken(txn: &mut Txn, ix: &IndexDef, values: &[Value], pk: &[Value]) -> Result<bool> {
    if values.iter().any(Value::is_null) {
        return Ok(false);
    }
    let (key, _) = keys::index_entry(ix.id, true, values, pk);
    match txn.get(&key)? {
        None => Ok(false),
        Some(owner) => Ok(keycode::decode_key(&owner)? != pk),
    }
}

/// Read a row by primary key.
pub fn get(txn: &mut Txn, table: &TableDef, pk: &[Value]) -> Result<Option<Row>> {
    match txn.get(&keys::row(table.id, pk))? {
        Some(raw) => Ok(Some(decode(table, &raw)?)),
        None => Ok(None),
    }
}

/// Insert a checked row (see [`check_values`]); `pk` is its primary key (the rowid already
/// assigned). A primary key or UNIQUE value that is taken is [`Error::Unique`].
pub fn insert(txn: &mut Txn, table: &TableDef, row: &Row) -> Result<()> {
    let key = keys::row(table.id, &row.pk);
    if txn.get_for_write(&key)?.is_some() {
        return Err(Error::Unique(table.key_list()));
    }
    for ix in table.indexes.iter().filter(|ix| ix.unique) {
        if unique_taken(txn, ix, &index_values(ix, &row.values), &row.pk)? {
            return Err(Error::Unique(table.column_list(&ix.columns)));
        }
    }
    txn.put(key, encode(table, row));
    for ix in &table.indexes {
        let (k, v) = keys::index_entry(ix.id, ix.unique, &index_values(ix, &row.values), &row.pk);
        txn.put(k, v);
    }
    Ok(())
}

/// Delete a row read in this transaction.
pub fn delete(txn: &mut Txn, table: &TableDef, row: &Row, raw: Bytes) -> Result<()> {
    let key = keys::row(table.id, &row.pk);
    txn.note_before(&key, raw);
    for ix in &table.indexes {
        let (k, _) = keys::index_entry(ix.id, ix.unique, &index_values(ix, &row.values), &row.pk);
        txn.delete(k);
    }
    txn.delete(key);
    Ok(())
}

/// Replace row `old` (read in this transaction, stored as `raw`) by `new` (checked).
pub fn update(txn: &mut Txn, table: &TableDef, old: &Row, raw: Bytes, new: &Row) -> Result<()> {
    let old_key = keys::row(table.id, &old.pk);
    let pk_changed = old.pk != new.pk;
    let new_key = if pk_changed {
        keys::row(table.id, &new.pk)
    } else {
        old_key.clone()
    };
    if pk_changed && txn.get(&new_key)?.is_some() {
        return Err(Error::Unique(table.key_list()));
    }
    for ix in table.indexes.iter().filter(|ix| ix.unique) {
        let nv = index_values(ix, &new.values);
        if (pk_changed || nv != index_values(ix, &old.values))
            && unique_taken(txn, ix, &nv, &old.pk)?
        {
            return Err(Error::Unique(table.column_list(&ix.columns)));
        }
    }
    txn.note_before(&old_key, raw);
    for ix in &table.indexes {
        let ov = index_values(ix, &old.values);
        let nv = index_values(ix, &new.values);
        if !pk_changed && ov == nv && same_types(&ov, &nv) {
            continue;
        }
        let (ok, _) = keys::index_entry(ix.id, ix.unique, &ov, &old.pk);
        let (nk, nval) = keys::index_entry(ix.id, ix.unique, &nv, &new.pk);
        txn.delete(ok);
        txn.put(nk, nval);
    }
    if pk_changed {
        txn.delete(old_key);
    }
    txn.put(new_key, encode(table, new));
    Ok(())
}

fn same_types(a: &[Value], b: &[Value]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.type_name() == y.type_name())
}

/// Every row of a table with primary key in the bounds (encoded keys), in key order.
pub fn scan_rows(
    txn: &mut Txn,
    table: &TableDef,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    mut each: impl FnMut(Row, Bytes) -> Result<bool>,
) -> Result<()> {
    for entry in txn.scan(lower, upper)? {
        let (_, raw) = entry?;
        let row = decode(table, &raw)?;
        if !each(row, raw)? {
            break;
        }
    }
    Ok(())
}

/// The bounds of a whole table.
pub fn table_bounds(table: &TableDef) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    prefix_bounds(&keys::table_prefix(table.id))
}
