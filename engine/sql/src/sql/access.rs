//! Access paths: how a table's rows are reached — a full scan, the primary key, or an index.
//!
//! [`choose`] looks at the WHERE conjuncts that compare a column of the table with a
//! constant (`=`, `<`, `<=`, `>`, `>=`, `BETWEEN`, `IS NULL`). Walking the columns of the
//! primary key, and of each index, it takes equalities as long as they last and then one
//! range, and turns them into a key range of the storage (the key encoding preserves
//! SQLite's order, so a range predicate is a range of keys). The path with the most
//! equalities wins (a complete primary key or UNIQUE key is a point lookup), then one with a
//! range, the primary key before an index on a tie. Without any, an index whose columns
//! match the ORDER BY is scanned in order so that no sort is needed. The WHERE clause is
//! always evaluated again on each row, so a path only has to hold *at least* the matching
//! rows.
//!
//! A literal compared with a column takes the conversion SQLite's comparison gives it:
//! numeric affinity against a numeric column, text against a text column.

use super::expr::BExpr;
use crate::catalog::TableDef;
use crate::keycode;
use crate::keys;
use crate::storage::{prefix_bounds, prefix_end};
use crate::value::{Affinity, CmpOp};
use crate::Value;
use std::ops::Bound;
use std::sync::Arc;

/// How a table's rows are reached.
#[derive(Clone, Debug)]
pub struct Access {
    /// The table.
    pub table: Arc<TableDef>,
    /// Its alias or name.
    pub label: String,
    /// The path.
    pub path: Path,
    /// Visit the path's rows in descending key order.
    pub reverse: bool,
}

/// A path and its key range (full storage keys).
#[derive(Clone, Debug)]
pub enum Path {
    /// Every row, in primary-key order.
    Full,
    /// Rows with primary key in a range.
    Pk {
        /// Lower bound.
        lo: Bound<Vec<u8>>,
        /// Upper bound.
        hi: Bound<Vec<u8>>,
        /// Whether it is at most one row.
        point: bool,
        /// The constraints, for EXPLAIN.
        text: String,
    },
    /// Rows found through index `index` (position in the table's indexes).
    Index {
        /// The index's position.
        index: usize,
        /// Lower bound.
        lo: Bound<Vec<u8>>,
        /// Upper bound.
        hi: Bound<Vec<u8>>,
        /// The constraints, for EXPLAIN (empty for a scan in index order).
        text: String,
    },
}

#[derive(Clone, Debug, Default)]
struct ColumnBounds {
    eq: Option<Value>,
    lower: Option<(Value, bool)>,
    upper: Option<(Value, bool)>,
}

/// The value a constant compared with a column of affinity `aff` is compared as.
pub fn converted(v: Value, aff: Affinity) -> Value {
    match aff {
        Affinity::Integer | Affinity::Real | Affinity::Numeric => {
            v.apply_affinity(Affinity::Numeric)
        }
        Affinity::Text => v.apply_affinity(Affinity::Text),
        Affinity::Blob => v,
    }
}

/// The form a value takes in a column of affinity `aff` (INTEGER columns store integers,
/// REAL columns reals) when the conversion is exact, so that a key bound lands on the stored
/// keys: equal values of the two types encode differently (the integer first), and a bound
/// `k >= 2.0` must not skip a stored `2`. An integer that no double holds exactly (beyond
/// 2^53, not a multiple of its power of two) stays as it is for a REAL column: rounding it
/// could cut a range short. One that a double holds — `4503599627370496 * 10` as well as
/// 2 — is a real, or an equality with it would miss the stored real.
pub fn storage_form(v: Value, aff: Affinity) -> Value {
    match (aff, &v) {
        (Affinity::Real, Value::Integer(i)) if (*i as f64) as i128 == i128::from(*i) => {
            Value::Real(*i as f64)
        }
        (Affinity::Integer, Value::Real(r))
            if r.fract() == 0.0 && *r >= -9.223372036854775e18 && *r < 9.223372036854775e18 =>
        {
            Value::Integer(*r as i64)
        }
        _ => v,
    }
}

/// Split a WHERE clause into its AND-ed parts.
pub fn conjuncts(e: &BExpr, out: &mut Vec<BExpr>) {
    match e {
        BExpr::And(a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        other => out.push(other.clone()),
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// Bounds per column (positions `base..base + n` of the row) from the conjuncts.
fn column_bounds(conj: &[BExpr], base: usize, n: usize) -> Vec<ColumnBounds> {
    let mut cols = vec![ColumnBounds::default(); n];
    for c in conj {
        let (col, aff, op, v) = match c {
            BExpr::Cmp(op, a, b) => match (&**a, &**b) {
                (BExpr::Col(i, aff), k) if k.is_constant() => (*i, *aff, *op, k),
                (k, BExpr::Col(i, aff)) if k.is_constant() => (*i, *aff, flip(*op), k),
                _ => continue,
            },
            BExpr::IsNull(e, false) => match &**e {
                BExpr::Col(i, aff) => (*i, *aff, CmpOp::Eq, &BExpr::Lit(Value::Null)),
                _ => continue,
            },
            _ => continue,
        };
        if col < base || col >= base + n || op == CmpOp::Ne {
            continue;
        }
        let Ok(v) = v.eval(&[], &[]) else { continue };
        let is_null_test = matches!(c, BExpr::IsNull(..));
        if v.is_null() && !is_null_test {
            continue; // never true; the filter removes everything
        }
        let v = storage_form(converted(v, aff), aff);
        let b = &mut cols[col - base];
        match op {
            CmpOp::Eq => b.eq = Some(v),
            CmpOp::Gt | CmpOp::Ge => {
                let incl = op == CmpOp::Ge;
                if b.lower
                    .as_ref()
                    .is_none_or(|(l, _)| v.sqlite_cmp(l).is_gt())
                {
                    b.lower = Some((v, incl));
                }
            }
            CmpOp::Lt | CmpOp::Le => {
                let incl = op == CmpOp::Le;
                if b.upper
                    .as_ref()
                    .is_none_or(|(u, _)| v.sqlite_cmp(u).is_lt())
                {
                    b.upper = Some((v, incl));
                }
            }
            CmpOp::Ne => {}
        }
    }
    cols
}

struct Candidate {
    eqs: usize,
    range: bool,
    point: bool,
    lo: Bound<Vec<u8>>,
    hi: Bound<Vec<u8>>,
    text: String,
}

fn show(v: &Value) -> String {
    crate::catalog::literal(v)
}

/// The key range for `prefix` + equalities on the first key columns + a range on the next.
fn candidate(
    table: &TableDef,
    prefix: Vec<u8>,
    key_cols: &[usize],
    bounds: &[ColumnBounds],
    unique: bool,
) -> Candidate {
    let mut key = prefix;
    let mut eqs = 0;
    let mut parts = Vec::new();
    for &c in key_cols {
        match &bounds[c].eq {
            Some(v) => {
                keycode::encode_value(v, &mut key);
                parts.push(if v.is_null() {
                    format!("{} IS NULL", table.columns[c].name)
                } else {
                    format!("{} = {}", table.columns[c].name, show(v))
                });
                eqs += 1;
            }
            None => break,
        }
    }
    let (mut lo, mut hi) = prefix_bounds(&key);
    let mut range = false;
    if let Some(&c) = key_cols.get(eqs) {
        let b = &bounds[c];
        let name = &table.columns[c].name;
        if let Some((v, incl)) = &b.lower {
            let mut k = key.clone();
            keycode::encode_value(v, &mut k);
            lo = if *incl { Bound::Included(k) } else { after(&k) };
            parts.push(format!(
                "{name} {} {}",
                if *incl { ">=" } else { ">" },
                show(v)
            ));
            range = true;
        } else if b.upper.is_some() {
            // Skip NULLs, which sort first and never satisfy a comparison.
            let mut k = key.clone();
            keycode::encode_value(&Value::Null, &mut k);
            lo = after(&k);
        }
        if let Some((v, incl)) = &b.upper {
            let mut k = key.clone();
            keycode::encode_value(v, &mut k);
            hi = if *incl {
                before_next(&k)
            } else {
                Bound::Excluded(k)
            };
            parts.push(format!(
                "{name} {} {}",
                if *incl { "<=" } else { "<" },
                show(v)
            ));
            range = true;
        }
    }
    let point = unique
        && eqs == key_cols.len()
        && !bounds[key_cols[0]].eq.as_ref().is_some_and(Value::is_null);
    Candidate {
        eqs,
        range,
        point,
        lo,
        hi,
        text: parts.join(" AND "),
    }
}

/// The lower bound just above every key starting with `k`.
fn after(k: &[u8]) -> Bound<Vec<u8>> {
    match prefix_end(k) {
        Some(e) => Bound::Included(e),
        None => Bound::Excluded(k.to_vec()),
    }
}

/// The upper bound including every key starting with `k`.
fn before_next(k: &[u8]) -> Bound<Vec<u8>> {
    match prefix_end(k) {
        Some(e) => Bound::Excluded(e),
        None => Bound::Unbounded,
    }
}

/// The seeded bug [`crate::mutant::Mutant::WrongPlan`], when active: the bounds an index
/// `key_cols` is planned with if an equality on its second column is taken for one on its
/// first (`None`: the mutant is off or does not apply).
#[cfg(feature = "test-mutants")]
fn wrong_plan(bounds: &[ColumnBounds], key_cols: &[usize]) -> Option<Vec<ColumnBounds>> {
    use crate::mutant::{active, Mutant};
    let (&first, &second) = (key_cols.first()?, key_cols.get(1)?);
    if !active(Mutant::WrongPlan) || bounds[first].eq.is_some() || bounds[second].eq.is_none() {
        return None;
    }
    let mut wrong = bounds.to_vec();
    wrong[first] = ColumnBounds {
        eq: bounds[second].eq.clone(),
        ..ColumnBounds::default()
    };
    wrong[second] = ColumnBounds::default();
    Some(wrong)
}

/// Choose the access path for `table`, whose columns are at `base..` of the row, given the
/// WHERE conjuncts and the ORDER BY (column positions and directions, if all are columns).
pub fn choose(
    table: &Arc<TableDef>,
    label: &str,
    base: usize,
    conj: &[BExpr],
    order: Option<&[(usize, bool)]>,
) -> (Access, bool) {
    let bounds = column_bounds(conj, base, table.columns.len());
    let mut best: Option<(Candidate, Option<usize>)> = None;
    let better = |c: &Candidate, b: &Option<(Candidate, Option<usize>)>| match b {
        None => c.eqs > 0 || c.range,
        Some((b, _)) => (c.point, c.eqs, c.range) > (b.point, b.eqs, b.range),
    };
    if !table.primary_key.is_empty() {
        let c = candidate(
            table,
            keys::table_prefix(table.id),
            &table.primary_key,
            &bounds,
            true,
        );
        if better(&c, &best) {
            best = Some((c, None));
        }
    }
    for (i, ix) in table.indexes.iter().enumerate() {
        #[cfg(feature = "test-mutants")]
        let mutated = wrong_plan(&bounds, &ix.columns);
        #[cfg(feature = "test-mutants")]
        let ix_bounds = mutated.as_deref().unwrap_or(&bounds);
        #[cfg(not(feature = "test-mutants"))]
        let ix_bounds = &bounds;
        let c = candidate(
            table,
            keys::index_prefix(ix.id),
            &ix.columns,
            ix_bounds,
            ix.unique,
        );
        if better(&c, &best) {
            best = Some((c, Some(i)));
        }
    }
    let key_cols = |ix: Option<usize>| -> Vec<usize> {
        match ix {
            None => table.primary_key.clone(),
            Some(i) => {
                let mut k = table.indexes[i].columns.clone();
                k.extend(table.primary_key.iter().copied());
                k
            }
        }
    };
    // Does the path's key order give the ORDER BY? Equality-bound key columns are constant
    // and may be skipped.
    let satisfies = |ix: Option<usize>| -> Option<bool> {
        let order = order?;
        if order.is_empty() {
            return None;
        }
        let desc = order[0].1;
        if order.iter().any(|&(_, d)| d != desc) {
            return None;
        }
        let keys = key_cols(ix);
        let mut j = 0;
        for &(col, _) in order {
            let col = col.checked_sub(base)?;
            while j < keys.len() && keys[j] != col && bounds[keys[j]].eq.is_some() {
                j += 1;
            }
            if j >= keys.len() || keys[j] != col {
                return None;
            }
            j += 1;
        }
        Some(desc)
    };
    let (path, ix) = match best {
        Some((c, None)) => (
            Path::Pk {
                lo: c.lo,
                hi: c.hi,
                point: c.point,
                text: c.text,
            },
            None,
        ),
        Some((c, Some(i))) => (
            Path::Index {
                index: i,
                lo: c.lo,
                hi: c.hi,
                text: c.text,
            },
            Some(i),
        ),
        None => {
            // No usable predicate: scan in an order that makes the ORDER BY free, if any.
            let by_index = (0..table.indexes.len())
                .find(|&i| satisfies(Some(i)).is_some() && satisfies(None).is_none());
            match by_index {
                Some(i) => {
                    let (lo, hi) = prefix_bounds(&keys::index_prefix(table.indexes[i].id));
                    (
                        Path::Index {
                            index: i,
                            lo,
                            hi,
                            text: String::new(),
                        },
                        Some(i),
                    )
                }
                None => (Path::Full, None),
            }
        }
    };
    let ordered = satisfies(ix);
    let access = Access {
        table: table.clone(),
        label: label.to_string(),
        path,
        reverse: ordered == Some(true),
    };
    (access, ordered.is_some())
}

impl Access {
    /// One line for EXPLAIN.
    pub fn explain(&self) -> String {
        let dir = if self.reverse { " (descending)" } else { "" };
        match &self.path {
            Path::Full => format!("SCAN {}{dir}", self.label),
            Path::Pk {
                point: true, text, ..
            } => format!("SEARCH {} USING PRIMARY KEY ({text})", self.label),
            Path::Pk { text, .. } => format!(
                "SEARCH {} USING PRIMARY KEY RANGE ({text}){dir}",
                self.label
            ),
            Path::Index { index, text, .. } if text.is_empty() => {
                format!(
                    "SCAN {} USING INDEX {} (in index order){dir}",
                    self.label, self.table.indexes[*index].name
                )
            }
            Path::Index { index, text, .. } => {
                format!(
                    "SEARCH {} USING INDEX {} ({text}){dir}",
                    self.label, self.table.indexes[*index].name
                )
            }
        }
    }

    /// The storage bounds of the path (table rows for `Full`/`Pk`, index entries for `Index`).
    pub fn bounds(&self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        match &self.path {
            Path::Full => prefix_bounds(&keys::table_prefix(self.table.id)),
            Path::Pk { lo, hi, .. } | Path::Index { lo, hi, .. } => (lo.clone(), hi.clone()),
        }
    }
}
