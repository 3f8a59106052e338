//! SELECT: the query, its FROM (one table or an inner join of two), result columns,
//! GROUP BY, HAVING, ORDER BY, LIMIT and OFFSET.

use super::common::{ident, object_name, unsupported, Params};
use super::expr::expr;
use crate::sql::ast::{From, Select, SelectItem, TableRef};
use crate::Result;
use sqlparser::ast as sp;

pub(super) fn query(q: sp::Query, p: &mut Params) -> Result<Select> {
    if q.with.is_some() {
        return unsupported("WITH (common table expressions)");
    }
    if q.fetch.is_some()
        || !q.locks.is_empty()
        || q.for_clause.is_some()
        || !q.pipe_operators.is_empty()
    {
        return unsupported("FETCH / FOR / locking clause");
    }
    let mut sel = match *q.body {
        sp::SetExpr::Select(s) => select(*s, p)?,
        sp::SetExpr::Query(_) => return unsupported("a parenthesized subquery"),
        sp::SetExpr::SetOperation { op, .. } => {
            return unsupported(format!("{op} (compound SELECT)"))
        }
        sp::SetExpr::Values(_) => return unsupported("VALUES as a query"),
        _ => return unsupported("this query form"),
    };
    if let Some(ob) = q.order_by {
        if ob.interpolate.is_some() {
            return unsupported("ORDER BY … INTERPOLATE");
        }
        match ob.kind {
            sp::OrderByKind::Expressions(list) => {
                for o in list {
                    if o.with_fill.is_some() || o.options.nulls_first.is_some() {
                        return unsupported("ORDER BY … NULLS FIRST/LAST or WITH FILL");
                    }
                    let desc = o.options.sort == Some(sp::OrderBySort::Desc);
                    sel.order_by.push((expr(o.expr, p)?, desc));
                }
            }
            sp::OrderByKind::All(_) => return unsupported("ORDER BY ALL"),
        }
    }
    match q.limit_clause {
        None => {}
        Some(sp::LimitClause::LimitOffset {
            limit,
            offset,
            limit_by,
        }) => {
            if !limit_by.is_empty() {
                return unsupported("LIMIT BY");
            }
            sel.limit = limit.map(|e| expr(e, p)).transpose()?;
            sel.offset = offset.map(|o| expr(o.value, p)).transpose()?;
        }
        Some(sp::LimitClause::OffsetCommaLimit { offset, limit }) => {
            sel.offset = Some(expr(offset, p)?);
            sel.limit = Some(expr(limit, p)?);
        }
    }
    Ok(sel)
}

fn table_ref(t: &sp::TableFactor) -> Result<TableRef> {
    match t {
        sp::TableFactor::Table {
            name,
            alias,
            args: None,
            ..
        } => {
            let alias = match alias {
                None => None,
                Some(a) if a.columns.is_empty() => Some(ident(&a.name)),
                Some(_) => return unsupported("a table alias with column names"),
            };
            Ok(TableRef {
                name: object_name(name)?,
                alias,
            })
        }
        sp::TableFactor::Derived { .. } => unsupported("a subquery in FROM"),
        other => unsupported(format!("table reference {other}")),
    }
}

fn select(s: sp::Select, p: &mut Params) -> Result<Select> {
    if s.top.is_some()
        || s.into.is_some()
        || !s.lateral_views.is_empty()
        || s.prewhere.is_some()
        || s.qualify.is_some()
    {
        return unsupported("TOP / INTO / LATERAL VIEW / PREWHERE / QUALIFY");
    }
    if !s.named_window.is_empty()
        || !s.cluster_by.is_empty()
        || !s.distribute_by.is_empty()
        || !s.sort_by.is_empty()
        || !s.connect_by.is_empty()
    {
        return unsupported("WINDOW / CLUSTER BY / DISTRIBUTE BY / SORT BY / CONNECT BY");
    }
    let distinct = match s.distinct {
        None | Some(sp::Distinct::All) => false,
        Some(sp::Distinct::Distinct) => true,
        Some(sp::Distinct::On(_)) => return unsupported("DISTINCT ON"),
    };
    let from = match s.from.as_slice() {
        [] => None,
        [twj] => {
            let table = table_ref(&twj.relation)?;
            let join = match twj.joins.as_slice() {
                [] => None,
                [j] => {
                    let on = match &j.join_operator {
                        sp::JoinOperator::Join(sp::JoinConstraint::On(e))
                        | sp::JoinOperator::Inner(sp::JoinConstraint::On(e)) => expr(e.clone(), p)?,
                        sp::JoinOperator::Join(_) | sp::JoinOperator::Inner(_) => {
                            return unsupported("a join without ON (USING, NATURAL)")
                        }
                        sp::JoinOperator::Left(_) | sp::JoinOperator::LeftOuter(_) => {
                            return unsupported("LEFT JOIN")
                        }
                        sp::JoinOperator::CrossJoin(_) => return unsupported("CROSS JOIN"),
                        _ => return unsupported("this kind of join"),
                    };
                    Some((table_ref(&j.relation)?, on))
                }
                _ => return unsupported("a join of more than two tables"),
            };
            Some(From { table, join })
        }
        _ => return unsupported("a comma join (several tables in FROM)"),
    };
    let mut items = Vec::new();
    for item in s.projection {
        items.push(match item {
            sp::SelectItem::UnnamedExpr(e) => SelectItem::Expr(expr(e, p)?, None),
            sp::SelectItem::ExprWithAlias { expr: e, alias } => {
                SelectItem::Expr(expr(e, p)?, Some(ident(&alias)))
            }
            sp::SelectItem::Wildcard(_) => SelectItem::Wildcard,
            sp::SelectItem::QualifiedWildcard(
                sp::SelectItemQualifiedWildcardKind::ObjectName(n),
                _,
            ) => SelectItem::TableWildcard(object_name(&n)?),
            _ => return unsupported("this result column form"),
        });
    }
    let group_by = match s.group_by {
        sp::GroupByExpr::Expressions(list, mods) if mods.is_empty() => list
            .into_iter()
            .map(|e| expr(e, p))
            .collect::<Result<Vec<_>>>()?,
        _ => return unsupported("GROUP BY ALL / ROLLUP / CUBE"),
    };
    Ok(Select {
        distinct,
        items,
        from,
        filter: s.selection.map(|e| expr(e, p)).transpose()?,
        group_by,
        having: s.having.map(|e| expr(e, p)).transpose()?,
        order_by: Vec::new(),
        limit: None,
        offset: None,
    })
}
