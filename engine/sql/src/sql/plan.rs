//! The logical plan of a query, built from a [`Select`] and the catalog, printed by EXPLAIN.
//!
//! A plan is a pipeline: a row **source** (one table's [`Access`] path, or a join of two),
//! a residual **filter** (the whole WHERE, and the join's ON), optional **aggregation**
//! (GROUP BY keys and aggregate calls, then HAVING), the **projection**, DISTINCT, a
//! **sort** (left out when the access path already yields the ORDER BY), and LIMIT/OFFSET.
//! Names are resolved here (ORDER BY may name a result alias or ordinal, and WHERE, GROUP
//! BY, HAVING and ORDER BY expressions may use result aliases, as in SQLite), so execution
//! only evaluates bound expressions.

use super::access::{self, Access};
use super::aggregate::{AggCall, AggKind};
use super::ast::{Call, Expr, Select, SelectItem};
use super::expr::{constant, BExpr, Binder, Scope};
use crate::catalog::{Catalog, TableDef};
use crate::value::{Affinity, ArithOp, CmpOp};
use crate::{Error, Result, Value};
use std::sync::Arc;

/// Where the rows come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// `SELECT` without `FROM`: one empty row.
    Single,
    /// One table.
    Table(Access),
    /// An inner join: every row of `outer` with its matching rows of the inner table.
    Join {
        /// The first table.
        outer: Access,
        /// How the second is reached per outer row.
        inner: Inner,
        /// The row width of the outer table.
        outer_width: usize,
    },
}

/// How a join reaches the inner table's rows for one outer row.
#[derive(Clone, Debug)]
pub enum Inner {
    /// Look the inner row up by primary key = outer column.
    PrimaryKey {
        /// The inner table.
        table: Arc<TableDef>,
        /// Its label.
        label: String,
        /// The outer column giving the key.
        outer_col: usize,
        /// The inner key column's affinity.
        affinity: Affinity,
    },
    /// Look inner rows up through an index whose first column = outer column.
    Index {
        /// The inner table.
        table: Arc<TableDef>,
        /// Its label.
        label: String,
        /// The index's position.
        index: usize,
        /// The outer column giving the key.
        outer_col: usize,
        /// The inner key column's affinity.
        affinity: Affinity,
    },
    /// Read the inner table once (through its own path) into a hash table on a column.
    Hash {
        /// The inner table's path.
        access: Access,
        /// Outer column, and the conversion applied to it before hashing.
        outer_key: (usize, Option<Affinity>),
        /// Inner column (position in the inner row), and its conversion.
        inner_key: (usize, Option<Affinity>),
    },
    /// Read the inner table once; every pair is tested by the filter.
    Loop {
        /// The inner table's path.
        access: Access,
    },
}

/// Aggregation: group keys and aggregate calls.
#[derive(Clone, Debug)]
pub struct Aggregation {
    /// GROUP BY expressions over the source row.
    pub group_by: Vec<BExpr>,
    /// The aggregate calls, in slot order.
    pub calls: Vec<AggCall>,
    /// Their SQL text, for EXPLAIN.
    pub texts: Vec<String>,
}

/// A query plan.
#[derive(Clone, Debug)]
pub struct QueryPlan {
    /// The row source.
    pub source: Source,
    /// The residual filter (WHERE and ON) over source rows.
    pub filter: Option<BExpr>,
    /// Aggregation, if the query groups or aggregates.
    pub aggregation: Option<Aggregation>,
    /// HAVING, over the group's row and aggregate slots.
    pub having: Option<BExpr>,
    /// The result columns.
    pub project: Vec<BExpr>,
    /// Their names.
    pub names: Vec<String>,
    /// DISTINCT.
    pub distinct: bool,
    /// Sort keys (empty: no sort needed), `true` for descending.
    pub sort: Vec<(BExpr, bool)>,
    /// Whether an ORDER BY was satisfied by the access path (for EXPLAIN).
    pub order_from_access: bool,
    /// LIMIT (`None`: all).
    pub limit: Option<u64>,
    /// OFFSET.
    pub offset: u64,
}

fn label(t: &super::ast::TableRef) -> String {
    t.alias.clone().unwrap_or_else(|| t.name.clone())
}

fn collect_aggregates(e: &Expr, out: &mut Vec<Call>) -> Result<()> {
    if let Expr::Call(c) = e {
        if c.is_aggregate() {
            if c.args.iter().any(Expr::has_aggregate) {
                return Err(Error::Eval(format!(
                    "misuse of aggregate function {}()",
                    c.name
                )));
            }
            if !out.contains(c) {
                out.push(c.clone());
            }
            return Ok(());
        }
    }
    for child in e.children() {
        collect_aggregates(child, out)?;
    }
    Ok(())
}

fn arith_symbol(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "+",
        ArithOp::Sub => "-",
        ArithOp::Mul => "*",
        ArithOp::Div => "/",
        ArithOp::Rem => "%",
    }
}

fn cmp_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

/// Text of an expression for result column names and EXPLAIN.
pub fn text(e: &Expr) -> String {
    use super::ast::Expr as E;
    let bin = |a: &Expr, op: &str, b: &Expr| format!("{} {op} {}", text(a), text(b));
    match e {
        E::Literal(v) => crate::catalog::literal(v),
        E::Param(i) => format!("?{}", i + 1),
        E::Column(Some(t), c) => format!("{t}.{c}"),
        E::Column(None, c) => c.clone(),
        E::Neg(x) => format!("-{}", text(x)),
        E::Not(x) => format!("NOT {}", text(x)),
        E::Arith(op, a, b) => bin(a, arith_symbol(*op), b),
        E::Concat(a, b) => bin(a, "||", b),
        E::Cmp(op, a, b) => bin(a, cmp_symbol(*op), b),
        E::And(a, b) => bin(a, "AND", b),
        E::Or(a, b) => format!("({})", bin(a, "OR", b)),
        E::IsNull(x, n) => format!("{} IS {}NULL", text(x), if *n { "NOT " } else { "" }),
        E::InList(x, l, n) => format!(
            "{} {}IN ({})",
            text(x),
            if *n { "NOT " } else { "" },
            l.iter().map(text).collect::<Vec<_>>().join(", ")
        ),
        E::Between(x, lo, hi, n) => {
            format!(
                "{} {}BETWEEN {} AND {}",
                text(x),
                if *n { "NOT " } else { "" },
                text(lo),
                text(hi)
            )
        }
        E::Like(x, p, _, n) => format!(
            "{} {}LIKE {}",
            text(x),
            if *n { "NOT " } else { "" },
            text(p)
        ),
        E::Call(c) => {
            let args = if c.star {
                "*".to_string()
            } else {
                c.args.iter().map(text).collect::<Vec<_>>().join(", ")
            };
            format!(
                "{}({}{args})",
                c.name,
                if c.distinct { "DISTINCT " } else { "" }
            )
        }
    }
}

/// Plan a SELECT.
pub fn plan_select(sel: &Select, catalog: &Catalog, params: &[Value]) -> Result<QueryPlan> {
    // The scope: the FROM tables' columns, in row order.
    let mut scope = Scope::default();
    let mut tables = Vec::new();
    if let Some(from) = &sel.from {
        let t = catalog.table(&from.table.name)?.clone();
        scope.add(&t, &label(&from.table));
        tables.push((t, label(&from.table)));
        if let Some((j, _)) = &from.join {
            let t2 = catalog.table(&j.name)?.clone();
            if label(j).eq_ignore_ascii_case(&tables[0].1) {
                return Err(Error::Name(format!(
                    "ambiguous table name {} in a self-join without aliases",
                    label(j)
                )));
            }
            scope.add(&t2, &label(j));
            tables.push((t2, label(j)));
        }
    }

    // Result columns (expanding wildcards) as expressions.
    let mut items: Vec<(Expr, String)> = Vec::new();
    for item in &sel.items {
        match item {
            SelectItem::Wildcard | SelectItem::TableWildcard(_) => {
                if tables.is_empty() {
                    return Err(Error::Name("no tables specified".into()));
                }
                let want = match item {
                    SelectItem::TableWildcard(t) => Some(t),
                    _ => None,
                };
                let before = items.len();
                for c in &scope.columns {
                    if want.is_none_or(|t| c.table.eq_ignore_ascii_case(t)) {
                        items.push((
                            Expr::Column(Some(c.table.clone()), c.name.clone()),
                            c.name.clone(),
                        ));
                    }
                }
                if items.len() == before {
                    return Err(Error::Name(format!(
                        "no such table: {}",
                        want.map_or("", String::as_str)
                    )));
                }
            }
            SelectItem::Expr(e, alias) => {
                let name = alias.clone().unwrap_or_else(|| match e {
                    Expr::Column(_, c) => c.clone(),
                    other => text(other),
                });
                items.push((e.clone(), name));
            }
        }
    }

    // ORDER BY terms: an ordinal or a result alias names a result column (SQLite's rule).
    let resolve_output = |e: &Expr, what: &str| -> Result<Expr> {
        match e {
            Expr::Literal(Value::Integer(k)) => {
                let k = usize::try_from(*k)
                    .ok()
                    .filter(|k| (1..=items.len()).contains(k))
                    .ok_or_else(|| {
                        Error::Eval(format!(
                            "{what} term out of range - should be between 1 and {}",
                            items.len()
                        ))
                    })?;
                Ok(items[k - 1].0.clone())
            }
            Expr::Column(None, name) => {
                if let Some((e, _)) = items.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)) {
                    if scope.resolve(None, name).is_err() || what == "ORDER BY" {
                        return Ok(e.clone());
                    }
                }
                Ok(e.clone())
            }
            other => Ok(substitute_aliases(other, &items, &scope)),
        }
    };
    let order_exprs: Vec<(Expr, bool)> = sel
        .order_by
        .iter()
        .map(|(e, d)| Ok((resolve_output(e, "ORDER BY")?, *d)))
        .collect::<Result<_>>()?;
    let group_exprs: Vec<Expr> = sel
        .group_by
        .iter()
        .map(|e| resolve_output(e, "GROUP BY"))
        .collect::<Result<_>>()?;
    let having_expr = sel
        .having
        .as_ref()
        .map(|h| substitute_aliases(h, &items, &scope));
    let where_expr = sel
        .filter
        .as_ref()
        .map(|w| substitute_aliases(w, &items, &scope));

    // Aggregates.
    let mut calls = Vec::new();
    for (e, _) in &items {
        collect_aggregates(e, &mut calls)?;
    }
    if let Some(h) = &having_expr {
        collect_aggregates(h, &mut calls)?;
    }
    for (e, _) in &order_exprs {
        collect_aggregates(e, &mut calls)?;
    }
    if let Some(w) = &where_expr {
        if w.has_aggregate() {
            return Err(Error::Eval("misuse of aggregate function in WHERE".into()));
        }
    }
    for g in &group_exprs {
        if g.has_aggregate() {
            return Err(Error::Eval(
                "aggregate functions are not allowed in the GROUP BY clause".into(),
            ));
        }
    }
    let grouped = !calls.is_empty() || !group_exprs.is_empty();
    if having_expr.is_some() && !grouped {
        return Err(Error::Eval(
            "a GROUP BY clause is required before HAVING".into(),
        ));
    }

    let plain = Binder {
        scope: &scope,
        params,
        aggregates: None,
    };
    let with_aggs = Binder {
        scope: &scope,
        params,
        aggregates: Some(&calls),
    };
    let post = if grouped { &with_aggs } else { &plain };

    let filter = where_expr.as_ref().map(|w| plain.bind(w)).transpose()?;
    let join_on = match sel.from.as_ref().and_then(|f| f.join.as_ref()) {
        Some((_, on)) => {
            if on.has_aggregate() {
                return Err(Error::Eval("misuse of aggregate function in ON".into()));
            }
            Some(plain.bind(on)?)
        }
        None => None,
    };
    let project = items
        .iter()
        .map(|(e, _)| post.bind(e))
        .collect::<Result<Vec<_>>>()?;
    let names = items.iter().map(|(_, n)| n.clone()).collect();
    let having = having_expr.as_ref().map(|h| post.bind(h)).transpose()?;
    let sort_keys = order_exprs
        .iter()
        .map(|(e, d)| Ok((post.bind(e)?, *d)))
        .collect::<Result<Vec<_>>>()?;

    let aggregation = if grouped {
        let agg_calls = calls
            .iter()
            .map(|c| {
                let kind = match (c.name.as_str(), c.star) {
                    ("count", true) => AggKind::CountStar,
                    ("count", false) => AggKind::Count,
                    ("sum", _) => AggKind::Sum,
                    ("total", _) => AggKind::Total,
                    ("avg", _) => AggKind::Avg,
                    ("min", _) => AggKind::Min,
                    ("max", _) => AggKind::Max,
                    _ => return Err(Error::Eval(format!("bad aggregate {}", c.name))),
                };
                let arity_ok = match kind {
                    AggKind::CountStar => c.args.is_empty() && !c.distinct,
                    _ => c.args.len() == 1 && !c.star,
                };
                if !arity_ok {
                    return Err(Error::Eval(format!(
                        "wrong number of arguments to function {}()",
                        c.name
                    )));
                }
                let arg = match c.args.first() {
                    Some(a) => plain.bind(a)?,
                    None => BExpr::Lit(Value::Null),
                };
                Ok(AggCall {
                    kind,
                    arg,
                    distinct: c.distinct,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Some(Aggregation {
            group_by: group_exprs
                .iter()
                .map(|g| plain.bind(g))
                .collect::<Result<_>>()?,
            calls: agg_calls,
            texts: calls.iter().map(|c| text(&Expr::Call(c.clone()))).collect(),
        })
    } else {
        None
    };

    // The source and its access paths.
    let mut conj = Vec::new();
    if let Some(f) = &filter {
        access::conjuncts(f, &mut conj);
    }
    let order_cols: Option<Vec<(usize, bool)>> = if grouped || sort_keys.is_empty() {
        None
    } else {
        sort_keys
            .iter()
            .map(|(e, d)| match e {
                BExpr::Col(i, _) => Some((*i, *d)),
                _ => None,
            })
            .collect()
    };
    let mut order_from_access = false;
    let source = match tables.as_slice() {
        [] => Source::Single,
        [(t, l)] => {
            let (acc, ordered) = access::choose(t, l, 0, &conj, order_cols.as_deref());
            order_from_access = ordered;
            Source::Table(acc)
        }
        [(t1, l1), (t2, l2)] => {
            let width = t1.columns.len();
            let (outer, ordered) = access::choose(t1, l1, 0, &conj, order_cols.as_deref());
            order_from_access = ordered;
            let mut on_conj = Vec::new();
            if let Some(on) = &join_on {
                access::conjuncts(on, &mut on_conj);
            }
            let inner = plan_inner(t2, l2, width, &on_conj, &conj);
            Source::Join {
                outer,
                inner,
                outer_width: width,
            }
        }
        _ => return Err(Error::Unsupported("a join of more than two tables".into())),
    };
    let filter = match (filter, join_on) {
        (Some(w), Some(on)) => Some(BExpr::And(Box::new(on), Box::new(w))),
        (w, on) => w.or(on),
    };

    let limit = match &sel.limit {
        None => None,
        Some(e) => match constant(e, params)? {
            Value::Integer(n) if n < 0 => None,
            Value::Integer(n) => Some(n as u64),
            _ => {
                return Err(Error::Eval(
                    "datatype mismatch: LIMIT must be an integer".into(),
                ))
            }
        },
    };
    let offset = match &sel.offset {
        None => 0,
        Some(e) => match constant(e, params)? {
            Value::Integer(n) => n.max(0) as u64,
            _ => {
                return Err(Error::Eval(
                    "datatype mismatch: OFFSET must be an integer".into(),
                ))
            }
        },
    };
    Ok(QueryPlan {
        source,
        filter,
        aggregation,
        having,
        project,
        names,
        distinct: sel.distinct,
        sort: if order_from_access {
            Vec::new()
        } else {
            sort_keys
        },
        order_from_access,
        limit,
        offset,
    })
}

/// WHERE, GROUP BY, HAVING and ORDER BY expressions may name a result alias anywhere inside
/// them; a name stands for the alias's expression when no column of the FROM tables has it
/// (SQLite's rule: columns first, then aliases).
fn substitute_aliases(e: &Expr, items: &[(Expr, String)], scope: &Scope) -> Expr {
    let sub = |x: &Expr| Box::new(substitute_aliases(x, items, scope));
    match e {
        Expr::Column(None, name)
            if !scope
                .columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(name)) =>
        {
            items
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(name))
                .map(|(x, _)| x.clone())
                .unwrap_or_else(|| e.clone())
        }
        Expr::Literal(_) | Expr::Param(_) | Expr::Column(..) => e.clone(),
        Expr::Neg(x) => Expr::Neg(sub(x)),
        Expr::Not(x) => Expr::Not(sub(x)),
        Expr::Arith(op, a, b) => Expr::Arith(*op, sub(a), sub(b)),
        Expr::Concat(a, b) => Expr::Concat(sub(a), sub(b)),
        Expr::Cmp(op, a, b) => Expr::Cmp(*op, sub(a), sub(b)),
        Expr::And(a, b) => Expr::And(sub(a), sub(b)),
        Expr::Or(a, b) => Expr::Or(sub(a), sub(b)),
        Expr::IsNull(x, n) => Expr::IsNull(sub(x), *n),
        Expr::InList(x, list, n) => Expr::InList(
            sub(x),
            list.iter()
                .map(|i| substitute_aliases(i, items, scope))
                .collect(),
            *n,
        ),
        Expr::Between(x, lo, hi, n) => Expr::Between(sub(x), sub(lo), sub(hi), *n),
        Expr::Like(x, p, esc, n) => Expr::Like(sub(x), sub(p), esc.as_deref().map(sub), *n),
        Expr::Call(c) => Expr::Call(Call {
            args: c
                .args
                .iter()
                .map(|a| substitute_aliases(a, items, scope))
                .collect(),
            ..c.clone()
        }),
    }
}

fn affinity_class(a: Affinity) -> u8 {
    match a {
        Affinity::Integer | Affinity::Real | Affinity::Numeric => 0,
        Affinity::Text => 1,
        Affinity::Blob => 2,
    }
}

/// The conversions SQLite's `=` applies to each side of `outer = inner`.
fn eq_conversions(a: Affinity, b: Affinity) -> (Option<Affinity>, Option<Affinity>) {
    match (affinity_class(a), affinity_class(b)) {
        (0, 1 | 2) => (None, Some(Affinity::Numeric)),
        (1 | 2, 0) => (Some(Affinity::Numeric), None),
        (1, 2) => (None, Some(Affinity::Text)),
        (2, 1) => (Some(Affinity::Text), None),
        _ => (None, None),
    }
}

fn plan_inner(t2: &Arc<TableDef>, l2: &str, width: usize, on: &[BExpr], conj: &[BExpr]) -> Inner {
    // An equality between an outer and an inner column.
    let eq = on.iter().chain(conj).find_map(|c| match c {
        BExpr::Cmp(CmpOp::Eq, a, b) => match (&**a, &**b) {
            (BExpr::Col(i, ai), BExpr::Col(j, aj)) if *i < width && *j >= width => {
                Some((*i, *ai, *j - width, *aj))
            }
            (BExpr::Col(j, aj), BExpr::Col(i, ai)) if *i < width && *j >= width => {
                Some((*i, *ai, *j - width, *aj))
            }
            _ => None,
        },
        _ => None,
    });
    let inner_conj: Vec<BExpr> = conj.to_vec();
    let (scan, _) = access::choose(t2, l2, width, &inner_conj, None);
    let Some((oc, oa, ic, ia)) = eq else {
        return Inner::Loop { access: scan };
    };
    if affinity_class(oa) == affinity_class(ia) {
        if t2.primary_key == [ic] {
            return Inner::PrimaryKey {
                table: t2.clone(),
                label: l2.to_string(),
                outer_col: oc,
                affinity: ia,
            };
        }
        if let Some(ix) = t2.indexes.iter().position(|ix| ix.columns[0] == ic) {
            return Inner::Index {
                table: t2.clone(),
                label: l2.to_string(),
                index: ix,
                outer_col: oc,
                affinity: ia,
            };
        }
    }
    let (co, ci) = eq_conversions(oa, ia);
    Inner::Hash {
        access: scan,
        outer_key: (oc, co),
        inner_key: (ic, ci),
    }
}

impl QueryPlan {
    /// The plan as indented lines (what EXPLAIN prints), outermost step first.
    pub fn explain(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.limit.is_some() || self.offset > 0 {
            let limit = self.limit.map_or("all".to_string(), |l| l.to_string());
            lines.push(format!("LIMIT {limit} OFFSET {}", self.offset));
        }
        if !self.sort.is_empty() {
            lines.push(format!("SORT ({} keys)", self.sort.len()));
        } else if self.order_from_access {
            lines.push("ORDER BY from the access path (no sort)".to_string());
        }
        if self.distinct {
            lines.push("DISTINCT".to_string());
        }
        lines.push(format!("PROJECT {}", self.names.join(", ")));
        if let Some(agg) = &self.aggregation {
            if self.having.is_some() {
                lines.push("HAVING".to_string());
            }
            lines.push(format!(
                "AGGREGATE {} (groups: {})",
                agg.texts.join(", "),
                agg.group_by.len()
            ));
        }
        if self.filter.is_some() {
            lines.push("FILTER".to_string());
        }
        match &self.source {
            Source::Single => lines.push("ONE ROW".to_string()),
            Source::Table(a) => lines.push(a.explain()),
            Source::Join { outer, inner, .. } => {
                lines.push("JOIN (nested loop)".to_string());
                lines.push(format!("  {}", outer.explain()));
                lines.push(format!(
                    "  {}",
                    match inner {
                        Inner::PrimaryKey { label, .. } =>
                            format!("SEARCH {label} USING PRIMARY KEY (per outer row)"),
                        Inner::Index {
                            table,
                            label,
                            index,
                            ..
                        } => {
                            format!(
                                "SEARCH {label} USING INDEX {} (per outer row)",
                                table.indexes[*index].name
                            )
                        }
                        Inner::Hash { access, .. } =>
                            format!("HASH {} (built once)", access.explain()),
                        Inner::Loop { access } => format!("LOOP {} (read once)", access.explain()),
                    }
                ));
            }
        }
        lines
            .iter()
            .enumerate()
            .map(|(depth, l)| format!("{}{l}", "  ".repeat(depth.min(8))))
            .collect()
    }
}
