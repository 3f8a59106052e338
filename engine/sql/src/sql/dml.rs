//! INSERT, UPDATE and DELETE: statements that change rows inside a transaction.
//!
//! UPDATE and DELETE first collect the rows their WHERE selects (through the same access
//! paths as queries), then change them, so a row moved by the change is not met again.
//! Each row goes through [`crate::table`], which checks it before buffering anything.

use super::access::{self, Access};
use super::ast::Expr;
use super::exec::each_row;
use super::expr::{constant, BExpr, Binder, Scope};
use crate::catalog::{Catalog, TableDef};
use crate::rowid::Rowids;
use crate::storage::Storage;
use crate::table::{self, Row};
use crate::txn::Txn;
use crate::{Error, Result, Value};
use ferrolite::Bytes;
use std::sync::Arc;

/// What a DML statement needs besides the transaction.
pub struct Ctx<'a> {
    /// The catalog the transaction runs with.
    pub catalog: &'a Catalog,
    /// The storage (for rowid assignment).
    pub storage: &'a dyn Storage,
    /// The rowid allocator.
    pub rowids: &'a Rowids,
    /// Parameter values.
    pub params: &'a [Value],
}

/// The primary key of a checked row, assigning a rowid where SQLite would.
fn primary_key(
    ctx: &Ctx<'_>,
    txn: &mut Txn,
    t: &TableDef,
    values: &mut [Value],
) -> Result<Vec<Value>> {
    if t.primary_key.is_empty() {
        let id = ctx.rowids.next(ctx.storage, txn, t)?;
        Rowids::note(txn, t.id, id);
        return Ok(vec![Value::Integer(id)]);
    }
    if let Some(c) = t.rowid_alias() {
        if values[c].is_null() {
            values[c] = Value::Integer(ctx.rowids.next(ctx.storage, txn, t)?);
        }
        if let Value::Integer(id) = values[c] {
            Rowids::note(txn, t.id, id);
        }
    }
    Ok(t.primary_key.iter().map(|&c| values[c].clone()).collect())
}

/// `INSERT`: the number of rows inserted.
pub fn insert(
    ctx: &Ctx<'_>,
    txn: &mut Txn,
    table: &str,
    columns: &[String],
    rows: &[Vec<Expr>],
) -> Result<u64> {
    let t = ctx.catalog.table(table)?.clone();
    let targets: Vec<usize> = if columns.is_empty() {
        (0..t.columns.len()).collect()
    } else {
        columns
            .iter()
            .map(|c| {
                t.column(c)
                    .ok_or_else(|| Error::Name(format!("table {} has no column named {c}", t.name)))
            })
            .collect::<Result<_>>()?
    };
    for row in rows {
        if row.len() != targets.len() {
            return Err(Error::Eval(format!(
                "{} values for {} columns",
                row.len(),
                targets.len()
            )));
        }
        let mut values: Vec<Value> = t.columns.iter().map(|c| c.default.clone()).collect();
        // An omitted INTEGER PRIMARY KEY takes the next rowid, whatever its DEFAULT says
        // (SQLite's rule: the rowid is assigned, the default never used).
        if let Some(c) = t.rowid_alias() {
            values[c] = Value::Null;
        }
        for (&col, e) in targets.iter().zip(row) {
            values[col] = match e {
                // The common cases without binding an expression.
                Expr::Literal(v) => v.clone(),
                Expr::Param(i) if *i < ctx.params.len() => ctx.params[*i].clone(),
                other => constant(other, ctx.params)?,
            };
        }
        // The rowid first: a NULL INTEGER PRIMARY KEY is assigned, not a NOT NULL failure.
        if let Some(c) = t.rowid_alias() {
            if values[c].is_null() {
                primary_key(ctx, txn, &t, &mut values)?;
            }
        }
        let mut values = table::check_values(&t, values)?;
        let pk = primary_key(ctx, txn, &t, &mut values)?;
        table::insert(txn, &t, &Row { pk, values })?;
    }
    Ok(rows.len() as u64)
}

/// The table, its scope and bound WHERE for UPDATE/DELETE, and the access path.
fn target(
    ctx: &Ctx<'_>,
    table: &str,
    filter: Option<&Expr>,
) -> Result<(Arc<TableDef>, Scope, Option<BExpr>, Access)> {
    let t = ctx.catalog.table(table)?.clone();
    let mut scope = Scope::default();
    scope.add(&t, &t.name);
    let binder = Binder {
        scope: &scope,
        params: ctx.params,
        aggregates: None,
    };
    let filter = filter.map(|f| binder.bind(f)).transpose()?;
    let mut conj = Vec::new();
    if let Some(f) = &filter {
        access::conjuncts(f, &mut conj);
    }
    let (acc, _) = access::choose(&t, &t.name, 0, &conj, None);
    Ok((t, scope, filter, acc))
}

fn matching(txn: &mut Txn, acc: &Access, filter: &Option<BExpr>) -> Result<Vec<(Row, Bytes)>> {
    let mut rows = Vec::new();
    each_row(txn, acc, &mut |_, row, raw| {
        if filter
            .as_ref()
            .map_or(Ok(true), |f| f.passes(&row.values, &[]))?
        {
            rows.push((row, raw));
        }
        Ok(true)
    })?;
    Ok(rows)
}

/// The access path UPDATE/DELETE would use (for EXPLAIN).
pub fn explain_target(ctx: &Ctx<'_>, table: &str, filter: Option<&Expr>) -> Result<String> {
    Ok(target(ctx, table, filter)?.3.explain())
}

/// `UPDATE`: the number of rows changed.
pub fn update(
    ctx: &Ctx<'_>,
    txn: &mut Txn,
    table: &str,
    set: &[(String, Expr)],
    filter: Option<&Expr>,
) -> Result<u64> {
    let (t, scope, filter, acc) = target(ctx, table, filter)?;
    let binder = Binder {
        scope: &scope,
        params: ctx.params,
        aggregates: None,
    };
    let assignments = set
        .iter()
        .map(|(c, e)| {
            let col = t
                .column(c)
                .ok_or_else(|| Error::Name(format!("no such column: {c}")))?;
            Ok((col, binder.bind(e)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let rows = matching(txn, &acc, &filter)?;
    let n = rows.len() as u64;
    for (old, raw) in rows {
        let mut values = old.values.clone();
        for (col, e) in &assignments {
            values[*col] = e.eval(&old.values, &[])?;
        }
        let values = table::check_values(&t, values)?;
        let pk = if t.primary_key.is_empty() {
            old.pk.clone()
        } else {
            t.primary_key.iter().map(|&c| values[c].clone()).collect()
        };
        if let (Some(c), [Value::Integer(id)]) = (t.rowid_alias(), pk.as_slice()) {
            let _ = c;
            Rowids::note(txn, t.id, *id);
        }
        table::update(txn, &t, &old, raw, &Row { pk, values })?;
    }
    Ok(n)
}

/// `DELETE`: the number of rows deleted.
pub fn delete(ctx: &Ctx<'_>, txn: &mut Txn, table: &str, filter: Option<&Expr>) -> Result<u64> {
    let (t, _, filter, acc) = target(ctx, table, filter)?;
    let rows = matching(txn, &acc, &filter)?;
    let n = rows.len() as u64;
    for (row, raw) in rows {
        table::delete(txn, &t, &row, raw)?;
    }
    Ok(n)
}
