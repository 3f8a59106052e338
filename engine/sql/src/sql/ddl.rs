//! CREATE/DROP TABLE and CREATE/DROP INDEX: changes of the catalog.
//!
//! DDL runs alone: it holds the database's schema lock exclusively, so no transaction
//! commits while it works, and it writes the changed catalog entry through the commit
//! oracle, so every transaction that used the table and started before fails its commit
//! with a conflict. The catalog entry and the counters change in one batch. Work that can
//! be large is split around that batch so that a crash leaves only unreferenced keys:
//!
//! - `CREATE INDEX` first reserves the index's id (counters), then back-fills its entries in
//!   chunks, and only then publishes the catalog entry that names it. A UNIQUE index whose
//!   rows hold duplicates fails before anything is written.
//! - `DROP TABLE`/`DROP INDEX` first remove the catalog entry, then delete the keys in
//!   chunks. Keys of an id no catalog entry names are garbage, never read (ids are never
//!   reused).

use super::ast::CreateTable;
use super::expr::constant;
use crate::catalog::{Catalog, Column, Counters, IndexDef, TableDef};
use crate::keys;
use crate::storage::{prefix_bounds, Storage, Write};
use crate::table;
use crate::{keycode, Error, Result, Value};
use std::collections::HashSet;

/// Keys written or deleted per chunk of a back-fill or a drop.
pub const DDL_CHUNK: usize = 1024;

/// A catalog change to commit: the writes of its batch and the new catalog.
pub struct Change {
    /// The batch (catalog entry, counters).
    pub writes: Vec<Write>,
    /// The catalog after it.
    pub catalog: Catalog,
    /// Key prefixes to delete after the batch (dropped table or index data).
    pub garbage: Vec<Vec<u8>>,
}

fn entry(t: &TableDef) -> Result<Write> {
    let json = serde_json::to_vec(t).map_err(|e| Error::corrupt("catalog entry", e))?;
    Ok((keys::catalog(&t.name).into(), Some(json.into())))
}

fn counters(c: Counters) -> Result<Write> {
    let json = serde_json::to_vec(&c).map_err(|e| Error::corrupt("catalog counters", e))?;
    Ok((keys::meta().into(), Some(json.into())))
}

/// `CREATE TABLE`: `None` if it exists and `IF NOT EXISTS` was given.
pub fn create_table(catalog: &Catalog, ct: &CreateTable) -> Result<Option<Change>> {
    if catalog.has_table(&ct.name) {
        if ct.if_not_exists {
            return Ok(None);
        }
        return Err(Error::Exists {
            kind: "table",
            name: ct.name.clone(),
        });
    }
    if ct.name.to_ascii_lowercase().starts_with("sqlite_") {
        return Err(Error::Schema(format!(
            "object name reserved for internal use: {}",
            ct.name
        )));
    }
    if ct.columns.is_empty() {
        return Err(Error::Schema(format!("table {} has no columns", ct.name)));
    }
    let mut cols: Vec<Column> = Vec::new();
    for spec in &ct.columns {
        if cols.iter().any(|c| c.name.eq_ignore_ascii_case(&spec.name)) {
            return Err(Error::Schema(format!(
                "duplicate column name: {}",
                spec.name
            )));
        }
        let default = match &spec.default {
            None => Value::Null,
            Some(e) => constant(e, &[])
                .map_err(|_| {
                    Error::Schema(format!(
                        "default value of column {} is not constant",
                        spec.name
                    ))
                })?
                .coerce_to_column(spec.ty)
                .map_err(|got| Error::TypeMismatch {
                    column: format!("{}.{}", ct.name, spec.name),
                    expected: spec.ty.name(),
                    got,
                })?,
        };
        cols.push(Column {
            name: spec.name.clone(),
            ty: spec.ty,
            not_null: spec.not_null,
            default,
        });
    }
    let names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
    let position = |name: &String| {
        names
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::Schema(format!("no such column in key: {name}")))
    };
    let primary_key = ct
        .primary_key
        .iter()
        .map(position)
        .collect::<Result<Vec<_>>>()?;
    if primary_key.iter().collect::<HashSet<_>>().len() != primary_key.len() {
        return Err(Error::Schema(
            "a column appears twice in the primary key".into(),
        ));
    }
    for &c in &primary_key {
        cols[c].not_null = true;
    }
    let mut next = catalog.counters;
    let id = next.next_id;
    next.next_id += 1;
    let mut indexes = Vec::new();
    for (n, u) in ct.unique.iter().enumerate() {
        let columns = u.iter().map(position).collect::<Result<Vec<_>>>()?;
        if columns == primary_key {
            continue;
        }
        indexes.push(IndexDef {
            id: next.next_id,
            name: format!("sqlite_autoindex_{}_{}", ct.name, n + 1),
            columns,
            unique: true,
        });
        next.next_id += 1;
    }
    let t = TableDef {
        id,
        name: ct.name.clone(),
        columns: cols,
        primary_key,
        indexes,
    };
    let mut catalog = catalog.with_table(t.clone());
    catalog.counters = next;
    Ok(Some(Change {
        writes: vec![entry(&t)?, counters(next)?],
        catalog,
        garbage: vec![],
    }))
}

/// `DROP TABLE`.
pub fn drop_table(catalog: &Catalog, name: &str, if_exists: bool) -> Result<Option<Change>> {
    if !catalog.has_table(name) {
        if if_exists {
            return Ok(None);
        }
        return Err(Error::Name(format!("no such table: {name}")));
    }
    let t = catalog.table(name)?.clone();
    let mut garbage = vec![keys::table_prefix(t.id), keys::rowid_mark(t.id)];
    garbage.extend(t.indexes.iter().map(|ix| keys::index_prefix(ix.id)));
    Ok(Some(Change {
        writes: vec![(keys::catalog(&t.name).into(), None)],
        catalog: catalog.without_table(name),
        garbage,
    }))
}

/// `DROP INDEX`.
pub fn drop_index(catalog: &Catalog, name: &str, if_exists: bool) -> Result<Option<Change>> {
    let Some((t, i)) = catalog.index(name) else {
        if if_exists {
            return Ok(None);
        }
        return Err(Error::Name(format!("no such index: {name}")));
    };
    if t.indexes[i].name.starts_with("sqlite_autoindex_") {
        return Err(Error::Schema(format!(
            "index associated with UNIQUE constraint cannot be dropped: {name}"
        )));
    }
    let mut t2 = (**t).clone();
    let ix = t2.indexes.remove(i);
    Ok(Some(Change {
        writes: vec![entry(&t2)?],
        catalog: catalog.with_table(t2),
        garbage: vec![keys::index_prefix(ix.id)],
    }))
}

/// The definition `CREATE INDEX` adds, before back-fill (checks names).
pub fn new_index(
    catalog: &Catalog,
    name: &str,
    table: &str,
    columns: &[String],
    unique: bool,
) -> Result<(TableDef, IndexDef, Counters)> {
    if catalog.index(name).is_some() || catalog.has_table(name) {
        return Err(Error::Exists {
            kind: "index",
            name: name.to_string(),
        });
    }
    let t = catalog.table(table)?;
    let cols = columns
        .iter()
        .map(|c| {
            t.column(c)
                .ok_or_else(|| Error::Name(format!("no such column: {c}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut next = catalog.counters;
    let ix = IndexDef {
        id: next.next_id,
        name: name.to_string(),
        columns: cols,
        unique,
    };
    next.next_id += 1;
    Ok(((**t).clone(), ix, next))
}

/// Back-fill an index from every row of its table (read through `storage`'s current view),
/// writing its entries in chunks. A UNIQUE index whose rows collide fails before any write.
pub fn backfill(storage: &dyn Storage, t: &TableDef, ix: &IndexDef) -> Result<u64> {
    let view = storage.read_view()?;
    let (lo, hi) = prefix_bounds(&keys::table_prefix(t.id));
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    for e in view.scan(lo, hi)? {
        let (_, raw) = e?;
        let row = table::decode(t, &raw)?;
        let values: Vec<Value> = ix.columns.iter().map(|&c| row.values[c].clone()).collect();
        if ix.unique && !values.iter().any(Value::is_null) {
            let mut k = Vec::new();
            keycode::encode_key(&values, &mut k);
            if !seen.insert(k) {
                return Err(Error::Unique(t.column_list(&ix.columns)));
            }
        }
        entries.push(keys::index_entry(ix.id, ix.unique, &values, &row.pk));
    }
    let n = entries.len() as u64;
    let mut chunk = Vec::with_capacity(DDL_CHUNK);
    for (k, v) in entries {
        chunk.push((k.into(), Some(v.into())));
        if chunk.len() == DDL_CHUNK {
            storage.write(std::mem::take(&mut chunk))?;
        }
    }
    if !chunk.is_empty() {
        storage.write(chunk)?;
    }
    Ok(n)
}

/// The writes that publish an index (its table's entry) and the new catalog.
pub fn publish_index(
    catalog: &Catalog,
    mut t: TableDef,
    ix: IndexDef,
    next: Counters,
) -> Result<Change> {
    t.indexes.push(ix);
    let mut catalog = catalog.with_table(t.clone());
    catalog.counters = next;
    Ok(Change {
        writes: vec![entry(&t)?, counters(next)?],
        catalog,
        garbage: vec![],
    })
}

/// The counters write that reserves ids up to `next` (before a back-fill).
pub fn reserve(next: Counters) -> Result<Write> {
    counters(next)
}

/// Delete every key under each prefix, in chunks.
pub fn collect_garbage(storage: &dyn Storage, prefixes: &[Vec<u8>]) -> Result<()> {
    for p in prefixes {
        loop {
            let view = storage.read_view()?;
            let (lo, hi) = prefix_bounds(p);
            let keys: Vec<Write> = view
                .scan(lo, hi)?
                .take(DDL_CHUNK)
                .map(|e| e.map(|(k, _)| (k, None)))
                .collect::<Result<_>>()?;
            let done = keys.len() < DDL_CHUNK;
            if !keys.is_empty() {
                storage.write(keys)?;
            }
            if done {
                break;
            }
        }
    }
    Ok(())
}
