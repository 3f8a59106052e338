//! Running a [`QueryPlan`] inside a transaction.
//!
//! Sources are read in chunks of [`CHUNK`] keys (a scan borrows the transaction, and a join
//! or an index path has to read more rows between chunks); each row goes through the
//! filter, then either into its group (aggregation) or straight to the projection. Without a
//! sort, aggregation or DISTINCT, reading stops as soon as OFFSET + LIMIT rows are out.

use super::access::{storage_form, Access, Path};
use super::aggregate::Acc;
use super::expr::BExpr;
use super::plan::{Inner, QueryPlan, Source};
use crate::keys;
use crate::storage::{prefix_bounds, Entry};
use crate::table::{self, Row};
use crate::txn::Txn;
use crate::value::Affinity;
use crate::{keycode, Error, Result, Value};
use ferrolite::Bytes;
use std::collections::{HashMap, HashSet};
use std::ops::Bound;

/// Keys read per chunk of a scan.
pub const CHUNK: usize = 256;

type RowFn<'f> = dyn FnMut(&mut Txn, Row, Bytes) -> Result<bool> + 'f;

fn chunk(txn: &mut Txn, lo: &Bound<Vec<u8>>, hi: &Bound<Vec<u8>>) -> Result<Vec<Entry>> {
    txn.scan(lo.clone(), hi.clone())?.take(CHUNK).collect()
}

/// Every entry in the bounds, in chunks; `f` returns false to stop.
fn each_entry(
    txn: &mut Txn,
    (mut lo, hi): (Bound<Vec<u8>>, Bound<Vec<u8>>),
    f: &mut dyn FnMut(&mut Txn, Entry) -> Result<bool>,
) -> Result<()> {
    loop {
        let entries = chunk(txn, &lo, &hi)?;
        let full = entries.len() == CHUNK;
        if let Some((last, _)) = entries.last() {
            lo = Bound::Excluded(last.to_vec());
        }
        for e in entries {
            if !f(txn, e)? {
                return Ok(());
            }
        }
        if !full {
            return Ok(());
        }
    }
}

/// Every row an access path reaches, in its order; `f` returns false to stop.
pub fn each_row(txn: &mut Txn, access: &Access, f: &mut RowFn<'_>) -> Result<()> {
    if access.reverse {
        let mut rows = Vec::new();
        let forward = Access {
            reverse: false,
            ..access.clone()
        };
        each_row(txn, &forward, &mut |_, row, raw| {
            rows.push((row, raw));
            Ok(true)
        })?;
        for (row, raw) in rows.into_iter().rev() {
            if !f(txn, row, raw)? {
                break;
            }
        }
        return Ok(());
    }
    let t = &access.table;
    match &access.path {
        // A complete primary key: one get, not a scan (its lower bound is the row's key).
        Path::Pk {
            point: true,
            lo: Bound::Included(key),
            ..
        } => match txn.get(key)? {
            Some(raw) => {
                let row = table::decode(t, &raw)?;
                f(txn, row, raw).map(|_| ())
            }
            None => Ok(()),
        },
        Path::Full | Path::Pk { .. } => each_entry(txn, access.bounds(), &mut |txn, (_, raw)| {
            let row = table::decode(t, &raw)?;
            f(txn, row, raw)
        }),
        Path::Index { index, .. } => {
            let ix = &t.indexes[*index];
            let plen = keys::index_prefix(ix.id).len();
            each_entry(txn, access.bounds(), &mut |txn, (k, v)| {
                let pk = keys::index_entry_pk(plen, ix.columns.len(), &k, &v)?;
                let raw = txn.get(&keys::row(t.id, &pk))?.ok_or_else(|| {
                    Error::corrupt(
                        "index",
                        format!("entry of {} points at a missing row", ix.name),
                    )
                })?;
                let row = table::decode(t, &raw)?;
                f(txn, row, raw)
            })
        }
    }
}

fn convert(v: Value, conv: Option<Affinity>) -> Value {
    match conv {
        Some(a) => v.apply_affinity(a),
        None => v,
    }
}

/// The key an outer value looks up in an inner column of affinity `aff` (`None` for NULL,
/// which equals nothing): converted as `=` converts it, in the column's stored form.
fn lookup_key(v: &Value, aff: Affinity) -> Option<Value> {
    (!v.is_null()).then(|| storage_form(super::access::converted(v.clone(), aff), aff))
}

/// Every source row of the plan (joined rows concatenated), in source order.
fn each_source_row(
    txn: &mut Txn,
    source: &Source,
    f: &mut dyn FnMut(&mut Txn, Vec<Value>) -> Result<bool>,
) -> Result<()> {
    match source {
        Source::Single => {
            f(txn, Vec::new())?;
            Ok(())
        }
        Source::Table(a) => each_row(txn, a, &mut |txn, row, _| f(txn, row.values)),
        Source::Join { outer, inner, .. } => {
            // Build what is read once.
            let mut hash: HashMap<Value, Vec<Vec<Value>>> = HashMap::new();
            let mut all: Vec<Vec<Value>> = Vec::new();
            match inner {
                Inner::Hash {
                    access,
                    inner_key: (col, conv),
                    ..
                } => each_row(txn, access, &mut |_, row, _| {
                    let k = convert(row.values[*col].clone(), *conv);
                    if !k.is_null() {
                        hash.entry(k).or_default().push(row.values);
                    }
                    Ok(true)
                })?,
                Inner::Loop { access } => each_row(txn, access, &mut |_, row, _| {
                    all.push(row.values);
                    Ok(true)
                })?,
                _ => {}
            }
            each_row(txn, outer, &mut |txn, orow, _| {
                let joined = |irow: &[Value]| {
                    let mut r = orow.values.clone();
                    r.extend_from_slice(irow);
                    r
                };
                match inner {
                    Inner::PrimaryKey {
                        table: t2,
                        outer_col,
                        affinity,
                        ..
                    } => {
                        let Some(key) = lookup_key(&orow.values[*outer_col], *affinity) else {
                            return Ok(true);
                        };
                        if let Some(irow) = table::get(txn, t2, &[key])? {
                            return f(txn, joined(&irow.values));
                        }
                        Ok(true)
                    }
                    Inner::Index {
                        table: t2,
                        index,
                        outer_col,
                        affinity,
                        ..
                    } => {
                        let Some(key) = lookup_key(&orow.values[*outer_col], *affinity) else {
                            return Ok(true);
                        };
                        let ix = &t2.indexes[*index];
                        let mut prefix = keys::index_prefix(ix.id);
                        let plen = prefix.len();
                        keycode::encode_value(&key, &mut prefix);
                        let mut pks = Vec::new();
                        each_entry(txn, prefix_bounds(&prefix), &mut |_, (k, val)| {
                            pks.push(keys::index_entry_pk(plen, ix.columns.len(), &k, &val)?);
                            Ok(true)
                        })?;
                        for pk in pks {
                            let irow = table::get(txn, t2, &pk)?.ok_or_else(|| {
                                Error::corrupt(
                                    "index",
                                    format!("entry of {} points at a missing row", ix.name),
                                )
                            })?;
                            if !f(txn, joined(&irow.values))? {
                                return Ok(false);
                            }
                        }
                        Ok(true)
                    }
                    Inner::Hash {
                        outer_key: (col, conv),
                        ..
                    } => {
                        let k = convert(orow.values[*col].clone(), *conv);
                        if let Some(rows) = hash.get(&k) {
                            for irow in rows {
                                if !f(txn, joined(irow))? {
                                    return Ok(false);
                                }
                            }
                        }
                        Ok(true)
                    }
                    Inner::Loop { .. } => {
                        for irow in &all {
                            if !f(txn, joined(irow))? {
                                return Ok(false);
                            }
                        }
                        Ok(true)
                    }
                }
            })
        }
    }
}

struct Group {
    rep: Vec<Value>,
    accs: Vec<Acc>,
}

struct Out {
    rows: Vec<(Vec<Value>, Vec<Value>)>,
    seen: HashSet<Vec<Value>>,
}

impl Out {
    fn push(&mut self, plan: &QueryPlan, row: &[Value], aggs: &[Value]) -> Result<()> {
        let values = plan
            .project
            .iter()
            .map(|e| e.eval(row, aggs))
            .collect::<Result<Vec<_>>>()?;
        if plan.distinct && !self.seen.insert(values.clone()) {
            return Ok(());
        }
        let keys = plan
            .sort
            .iter()
            .map(|(e, _)| e.eval(row, aggs))
            .collect::<Result<Vec<_>>>()?;
        self.rows.push((values, keys));
        Ok(())
    }
}

fn passes(e: &Option<BExpr>, row: &[Value], aggs: &[Value]) -> Result<bool> {
    match e {
        None => Ok(true),
        Some(e) => e.passes(row, aggs),
    }
}

/// Run a query: its result rows.
pub fn run_query(txn: &mut Txn, plan: &QueryPlan) -> Result<Vec<Vec<Value>>> {
    let mut out = Out {
        rows: Vec::new(),
        seen: HashSet::new(),
    };
    let stop_at = match (
        plan.limit,
        plan.sort.is_empty() && plan.aggregation.is_none(),
    ) {
        (Some(l), true) => Some(plan.offset.saturating_add(l)),
        _ => None,
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut group_index: HashMap<Vec<Value>, usize> = HashMap::new();
    each_source_row(txn, &plan.source, &mut |_, row| {
        if !passes(&plan.filter, &row, &[])? {
            return Ok(true);
        }
        match &plan.aggregation {
            Some(agg) => {
                let key = agg
                    .group_by
                    .iter()
                    .map(|g| g.eval(&row, &[]))
                    .collect::<Result<Vec<_>>>()?;
                let i = match group_index.get(&key) {
                    Some(&i) => i,
                    None => {
                        groups.push(Group {
                            rep: Vec::new(),
                            accs: vec![Acc::default(); agg.calls.len()],
                        });
                        group_index.insert(key, groups.len() - 1);
                        groups.len() - 1
                    }
                };
                let g = &mut groups[i];
                for (acc, call) in g.accs.iter_mut().zip(&agg.calls) {
                    acc.step(call, &row)?;
                }
                g.rep = row;
                Ok(true)
            }
            None => {
                out.push(plan, &row, &[])?;
                Ok(stop_at.is_none_or(|n| (out.rows.len() as u64) < n))
            }
        }
    })?;
    if let Some(agg) = &plan.aggregation {
        if groups.is_empty() && agg.group_by.is_empty() {
            let width = match &plan.source {
                Source::Single => 0,
                Source::Table(a) => a.table.columns.len(),
                Source::Join { outer, inner, .. } => {
                    outer.table.columns.len()
                        + match inner {
                            Inner::PrimaryKey { table, .. } | Inner::Index { table, .. } => {
                                table.columns.len()
                            }
                            Inner::Hash { access, .. } | Inner::Loop { access } => {
                                access.table.columns.len()
                            }
                        }
                }
            };
            groups.push(Group {
                rep: vec![Value::Null; width],
                accs: vec![Acc::default(); agg.calls.len()],
            });
        }
        for g in &groups {
            let aggs = g
                .accs
                .iter()
                .zip(&agg.calls)
                .map(|(a, c)| a.finish(c))
                .collect::<Result<Vec<_>>>()?;
            if passes(&plan.having, &g.rep, &aggs)? {
                out.push(plan, &g.rep, &aggs)?;
            }
        }
    }
    let mut rows = out.rows;
    if !plan.sort.is_empty() {
        rows.sort_by(|(_, a), (_, b)| {
            for ((x, y), (_, desc)) in a.iter().zip(b).zip(&plan.sort) {
                let o = x.sqlite_cmp(y);
                if o.is_ne() {
                    return if *desc { o.reverse() } else { o };
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    let skip = usize::try_from(plan.offset).unwrap_or(usize::MAX);
    let take = plan
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    Ok(rows
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|(v, _)| v)
        .collect())
}
