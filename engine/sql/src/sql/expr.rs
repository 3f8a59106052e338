//! Bound expressions: names resolved to column positions, evaluated over a row.
//!
//! [`Binder`] resolves `Column` names against a [`Scope`] (one table, or two joined) and
//! parameters against their values, giving a [`BExpr`]. Evaluation follows SQLite: three-
//! valued logic, affinity in comparisons (a bare column carries its column's affinity, any
//! other expression none), arithmetic and LIKE from [`crate::value`]. Aggregates are
//! computed elsewhere ([`super::aggregate`]) and read here as [`BExpr::Agg`] slots.

use super::ast::{Call, Expr};
use crate::catalog::TableDef;
use crate::value::{self, Affinity, CmpOp};
use crate::{Error, Result, Value};
use std::sync::Arc;

/// A column visible to expressions: its table's name or alias, its name, its affinity.
#[derive(Clone, Debug)]
pub struct ScopeColumn {
    /// The table's alias, or its name.
    pub table: String,
    /// The column name.
    pub name: String,
    /// The column's affinity.
    pub affinity: Affinity,
}

/// The columns of the row an expression sees, in row order.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// The columns.
    pub columns: Vec<ScopeColumn>,
}

impl Scope {
    /// Append a table's columns under `label` (its alias or name).
    pub fn add(&mut self, table: &Arc<TableDef>, label: &str) {
        for c in &table.columns {
            self.columns.push(ScopeColumn {
                table: label.to_string(),
                name: c.name.clone(),
                affinity: c.ty.affinity(),
            });
        }
    }

    /// The position of a column, or a [`Error::Name`] error (unknown or ambiguous).
    pub fn resolve(&self, table: Option<&str>, name: &str) -> Result<usize> {
        let mut found = self.columns.iter().enumerate().filter(|(_, c)| {
            c.name.eq_ignore_ascii_case(name)
                && table.is_none_or(|t| c.table.eq_ignore_ascii_case(t))
        });
        match (found.next(), found.next()) {
            (Some((i, _)), None) => Ok(i),
            (Some(_), Some(_)) => Err(Error::Name(format!("ambiguous column name: {name}"))),
            (None, _) => Err(Error::Name(match table {
                Some(t) => format!("no such column: {t}.{name}"),
                None => format!("no such column: {name}"),
            })),
        }
    }
}

/// A scalar function Ferrolite implements.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Func {
    /// `abs(x)`.
    Abs,
    /// `length(x)`.
    Length,
    /// `lower(x)`.
    Lower,
    /// `upper(x)`.
    Upper,
    /// `coalesce(x, y, …)` and `ifnull(x, y)`.
    Coalesce,
    /// `nullif(x, y)`.
    NullIf,
    /// `typeof(x)`.
    TypeOf,
    /// `min(x, y, …)` (scalar).
    Min,
    /// `max(x, y, …)` (scalar).
    Max,
}

/// A bound expression.
#[derive(Clone, Debug, PartialEq)]
pub enum BExpr {
    /// A constant.
    Lit(Value),
    /// Column `i` of the row, with its affinity.
    Col(usize, Affinity),
    /// Aggregate slot `i`.
    Agg(usize),
    /// `-e`.
    Neg(Box<BExpr>),
    /// `NOT e`.
    Not(Box<BExpr>),
    /// Arithmetic.
    Arith(value::ArithOp, Box<BExpr>, Box<BExpr>),
    /// `||`.
    Concat(Box<BExpr>, Box<BExpr>),
    /// A comparison.
    Cmp(CmpOp, Box<BExpr>, Box<BExpr>),
    /// `AND`.
    And(Box<BExpr>, Box<BExpr>),
    /// `OR`.
    Or(Box<BExpr>, Box<BExpr>),
    /// `IS [NOT] NULL`.
    IsNull(Box<BExpr>, bool),
    /// `[NOT] IN (list)`.
    InList(Box<BExpr>, Vec<BExpr>, bool),
    /// `[NOT] LIKE`.
    Like(Box<BExpr>, Box<BExpr>, Option<Box<BExpr>>, bool),
    /// A scalar function.
    Func(Func, Vec<BExpr>),
}

impl BExpr {
    /// The affinity this expression carries into a comparison.
    pub fn affinity(&self) -> Affinity {
        match self {
            BExpr::Col(_, a) => *a,
            _ => Affinity::Blob,
        }
    }

    /// Evaluate over `row` with aggregate slots `aggs`.
    pub fn eval(&self, row: &[Value], aggs: &[Value]) -> Result<Value> {
        match self {
            BExpr::Lit(v) => Ok(v.clone()),
            BExpr::Col(i, _) => Ok(row.get(*i).cloned().unwrap_or(Value::Null)),
            other => stacker::maybe_grow(32 * 1024, 1024 * 1024, || other.eval_at(row, aggs)),
        }
    }

    fn eval_at(&self, row: &[Value], aggs: &[Value]) -> Result<Value> {
        Ok(match self {
            BExpr::Lit(v) => v.clone(),
            BExpr::Col(i, _) => row.get(*i).cloned().unwrap_or(Value::Null),
            BExpr::Agg(i) => aggs.get(*i).cloned().unwrap_or(Value::Null),
            BExpr::Neg(e) => value::negate(&e.eval(row, aggs)?),
            BExpr::Not(e) => match e.eval(row, aggs)?.truthy() {
                None => Value::Null,
                Some(b) => Value::Integer(i64::from(!b)),
            },
            BExpr::Arith(op, a, b) => value::arith(*op, &a.eval(row, aggs)?, &b.eval(row, aggs)?),
            BExpr::Concat(a, b) => value::concat(&a.eval(row, aggs)?, &b.eval(row, aggs)?),
            BExpr::Cmp(op, a, b) => value::compare(
                *op,
                &a.eval(row, aggs)?,
                a.affinity(),
                &b.eval(row, aggs)?,
                b.affinity(),
            ),
            BExpr::And(a, b) => {
                let l = a.eval(row, aggs)?.truthy();
                if l == Some(false) {
                    return Ok(Value::Integer(0));
                }
                match (l, b.eval(row, aggs)?.truthy()) {
                    (_, Some(false)) => Value::Integer(0),
                    (Some(true), Some(true)) => Value::Integer(1),
                    _ => Value::Null,
                }
            }
            BExpr::Or(a, b) => {
                let l = a.eval(row, aggs)?.truthy();
                if l == Some(true) {
                    return Ok(Value::Integer(1));
                }
                match (l, b.eval(row, aggs)?.truthy()) {
                    (_, Some(true)) => Value::Integer(1),
                    (Some(false), Some(false)) => Value::Integer(0),
                    _ => Value::Null,
                }
            }
            BExpr::IsNull(e, negated) => {
                Value::Integer(i64::from(e.eval(row, aggs)?.is_null() != *negated))
            }
            BExpr::InList(e, list, negated) => {
                let v = e.eval(row, aggs)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let mut saw_null = false;
                let mut found = false;
                for item in list {
                    match value::compare(
                        CmpOp::Eq,
                        &v,
                        e.affinity(),
                        &item.eval(row, aggs)?,
                        item.affinity(),
                    ) {
                        Value::Null => saw_null = true,
                        r if r.truthy() == Some(true) => {
                            found = true;
                            break;
                        }
                        _ => {}
                    }
                }
                match (found, saw_null) {
                    (true, _) => Value::Integer(i64::from(!negated)),
                    (false, true) => Value::Null,
                    (false, false) => Value::Integer(i64::from(*negated)),
                }
            }
            BExpr::Like(e, pat, esc, negated) => {
                let esc = match esc {
                    None => None,
                    Some(x) => match x.eval(row, aggs)? {
                        Value::Null => return Ok(Value::Null),
                        Value::Text(s) if s.chars().count() == 1 => s.chars().next(),
                        _ => {
                            return Err(Error::Eval(
                                "ESCAPE expression must be a single character".into(),
                            ))
                        }
                    },
                };
                let r = value::like(&pat.eval(row, aggs)?, &e.eval(row, aggs)?, esc)?;
                match (r.truthy(), negated) {
                    (None, _) => Value::Null,
                    (Some(b), n) => Value::Integer(i64::from(b != *n)),
                }
            }
            BExpr::Func(f, args) => {
                let vals = args
                    .iter()
                    .map(|a| a.eval(row, aggs))
                    .collect::<Result<Vec<_>>>()?;
                scalar(*f, vals)?
            }
        })
    }

    /// Whether the value makes a WHERE/HAVING/ON clause pass.
    pub fn passes(&self, row: &[Value], aggs: &[Value]) -> Result<bool> {
        Ok(self.eval(row, aggs)?.truthy() == Some(true))
    }

    /// Whether the expression reads no column and no aggregate (a constant).
    pub fn is_constant(&self) -> bool {
        match self {
            BExpr::Lit(_) => true,
            BExpr::Col(..) | BExpr::Agg(_) => false,
            BExpr::Neg(e) | BExpr::Not(e) | BExpr::IsNull(e, _) => e.is_constant(),
            BExpr::Arith(_, a, b)
            | BExpr::Concat(a, b)
            | BExpr::Cmp(_, a, b)
            | BExpr::And(a, b)
            | BExpr::Or(a, b) => a.is_constant() && b.is_constant(),
            BExpr::InList(e, l, _) => e.is_constant() && l.iter().all(BExpr::is_constant),
            BExpr::Like(a, b, c, _) => {
                a.is_constant() && b.is_constant() && c.as_ref().is_none_or(|c| c.is_constant())
            }
            BExpr::Func(_, args) => args.iter().all(BExpr::is_constant),
        }
    }

    /// The columns read, appended to `out`.
    pub fn columns(&self, out: &mut Vec<usize>) {
        match self {
            BExpr::Col(i, _) => out.push(*i),
            BExpr::Lit(_) | BExpr::Agg(_) => {}
            BExpr::Neg(e) | BExpr::Not(e) | BExpr::IsNull(e, _) => e.columns(out),
            BExpr::Arith(_, a, b)
            | BExpr::Concat(a, b)
            | BExpr::Cmp(_, a, b)
            | BExpr::And(a, b)
            | BExpr::Or(a, b) => {
                a.columns(out);
                b.columns(out);
            }
            BExpr::InList(e, l, _) => {
                e.columns(out);
                l.iter().for_each(|x| x.columns(out));
            }
            BExpr::Like(a, b, c, _) => {
                a.columns(out);
                b.columns(out);
                if let Some(c) = c {
                    c.columns(out);
                }
            }
            BExpr::Func(_, args) => args.iter().for_each(|x| x.columns(out)),
        }
    }
}

fn scalar(f: Func, mut vals: Vec<Value>) -> Result<Value> {
    let first = vals.first().cloned().unwrap_or(Value::Null);
    Ok(match f {
        Func::Abs => match first {
            Value::Null => Value::Null,
            Value::Integer(i) => Value::Integer(
                i.checked_abs()
                    .ok_or_else(|| Error::Eval("integer overflow".into()))?,
            ),
            Value::Real(r) => Value::Real(r.abs()),
            other => match value::arith(value::ArithOp::Add, &other, &Value::Integer(0)) {
                Value::Integer(i) => Value::Real((i as f64).abs()),
                Value::Real(r) => Value::Real(r.abs()),
                _ => Value::Real(0.0),
            },
        },
        Func::Length => match first {
            Value::Null => Value::Null,
            Value::Blob(b) => Value::Integer(b.len() as i64),
            Value::Text(s) => Value::Integer(s.chars().take_while(|&c| c != '\0').count() as i64),
            other => Value::Integer(other.to_string().chars().count() as i64),
        },
        Func::Lower | Func::Upper => match first {
            Value::Null => Value::Null,
            other => {
                let s = match other {
                    Value::Text(s) => s,
                    Value::Blob(b) => String::from_utf8_lossy(&b).into_owned(),
                    v => v.to_string(),
                };
                Value::Text(if f == Func::Lower {
                    s.to_ascii_lowercase()
                } else {
                    s.to_ascii_uppercase()
                })
            }
        },
        Func::Coalesce => vals
            .into_iter()
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null),
        Func::NullIf => {
            let second = vals.get(1).cloned().unwrap_or(Value::Null);
            if value::compare(CmpOp::Eq, &first, Affinity::Blob, &second, Affinity::Blob).truthy()
                == Some(true)
            {
                Value::Null
            } else {
                first
            }
        }
        Func::TypeOf => Value::Text(first.type_name().to_ascii_lowercase()),
        Func::Min | Func::Max => {
            if vals.iter().any(Value::is_null) {
                return Ok(Value::Null);
            }
            let pick = |a: Value, b: Value| {
                let less = b.sqlite_cmp(&a) == std::cmp::Ordering::Less;
                if less == (f == Func::Min) {
                    b
                } else {
                    a
                }
            };
            let mut it = vals.drain(..);
            let init = it.next().unwrap_or(Value::Null);
            it.fold(init, pick)
        }
    })
}

/// How names and parameters bind: the scope, the parameter values, and (for queries with
/// aggregates) the aggregate calls already assigned to slots.
pub struct Binder<'a> {
    /// The row's columns.
    pub scope: &'a Scope,
    /// Values of `?` parameters.
    pub params: &'a [Value],
    /// Aggregate calls in slot order; `None` where aggregates are not allowed.
    pub aggregates: Option<&'a [Call]>,
}

impl Binder<'_> {
    /// Bind an expression.
    pub fn bind(&self, e: &Expr) -> Result<BExpr> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.bind_at(e))
    }

    fn bind_at(&self, e: &Expr) -> Result<BExpr> {
        let b = |x: &Expr| self.bind(x).map(Box::new);
        Ok(match e {
            Expr::Literal(v) => BExpr::Lit(v.clone()),
            Expr::Param(i) => BExpr::Lit(self.params.get(*i).cloned().ok_or_else(|| {
                Error::Eval(format!(
                    "parameter {} has no value ({} given)",
                    i + 1,
                    self.params.len()
                ))
            })?),
            Expr::Column(t, name) => {
                let i = self.scope.resolve(t.as_deref(), name)?;
                BExpr::Col(i, self.scope.columns[i].affinity)
            }
            Expr::Neg(x) => BExpr::Neg(b(x)?),
            Expr::Not(x) => BExpr::Not(b(x)?),
            Expr::Arith(op, x, y) => BExpr::Arith(*op, b(x)?, b(y)?),
            Expr::Concat(x, y) => BExpr::Concat(b(x)?, b(y)?),
            Expr::Cmp(op, x, y) => BExpr::Cmp(*op, b(x)?, b(y)?),
            Expr::And(x, y) => BExpr::And(b(x)?, b(y)?),
            Expr::Or(x, y) => BExpr::Or(b(x)?, b(y)?),
            Expr::IsNull(x, n) => BExpr::IsNull(b(x)?, *n),
            Expr::InList(x, list, n) => BExpr::InList(
                b(x)?,
                list.iter().map(|i| self.bind(i)).collect::<Result<_>>()?,
                *n,
            ),
            Expr::Between(x, lo, hi, negated) => {
                let x = self.bind(x)?;
                let ge = BExpr::Cmp(CmpOp::Ge, Box::new(x.clone()), b(lo)?);
                let le = BExpr::Cmp(CmpOp::Le, Box::new(x), b(hi)?);
                let both = BExpr::And(Box::new(ge), Box::new(le));
                if *negated {
                    BExpr::Not(Box::new(both))
                } else {
                    both
                }
            }
            Expr::Like(x, p, esc, n) => {
                let esc = match esc {
                    Some(e) => Some(b(e)?),
                    None => None,
                };
                BExpr::Like(b(x)?, b(p)?, esc, *n)
            }
            Expr::Call(c) if c.is_aggregate() => match self.aggregates {
                Some(slots) => match slots.iter().position(|s| s == c) {
                    Some(i) => BExpr::Agg(i),
                    None => return Err(Error::Eval(format!("misuse of aggregate: {}()", c.name))),
                },
                None => {
                    return Err(Error::Eval(format!(
                        "misuse of aggregate function {}()",
                        c.name
                    )))
                }
            },
            Expr::Call(c) => {
                if c.distinct || c.star {
                    return Err(Error::Eval(format!("{}() takes no DISTINCT or *", c.name)));
                }
                let (f, min, max) = match c.name.as_str() {
                    "abs" => (Func::Abs, 1, 1),
                    "length" => (Func::Length, 1, 1),
                    "lower" => (Func::Lower, 1, 1),
                    "upper" => (Func::Upper, 1, 1),
                    "coalesce" => (Func::Coalesce, 2, usize::MAX),
                    "ifnull" => (Func::Coalesce, 2, 2),
                    "nullif" => (Func::NullIf, 2, 2),
                    "typeof" => (Func::TypeOf, 1, 1),
                    "min" => (Func::Min, 2, usize::MAX),
                    "max" => (Func::Max, 2, usize::MAX),
                    other => return Err(Error::Unsupported(format!("function {other}()"))),
                };
                if c.args.len() < min || c.args.len() > max {
                    return Err(Error::Eval(format!(
                        "wrong number of arguments to function {}()",
                        c.name
                    )));
                }
                BExpr::Func(
                    f,
                    c.args.iter().map(|a| self.bind(a)).collect::<Result<_>>()?,
                )
            }
        })
    }
}

/// Evaluate a constant expression (no columns): parameters and literals only.
pub fn constant(e: &Expr, params: &[Value]) -> Result<Value> {
    let scope = Scope::default();
    Binder {
        scope: &scope,
        params,
        aggregates: None,
    }
    .bind(e)?
    .eval(&[], &[])
}
