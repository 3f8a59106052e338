//! SELECT statements of every shape in the subset: one table or an inner equi-join of two
//! (aliases, self-joins), result columns that are columns, `*`, `t.*` or expressions with
//! aliases, WHERE, GROUP BY with aggregates and HAVING, aggregates without GROUP BY,
//! DISTINCT, ORDER BY and LIMIT/OFFSET.
//!
//! Result order is compared only when it is fixed: a query with ORDER BY gets every result
//! column appended (by ordinal) after its random terms, which makes the order total, and
//! only such a query gets LIMIT/OFFSET. Aggregate queries show only GROUP BY terms and
//! aggregates (a bare column's value is SQLite's arbitrary pick), DISTINCT queries order
//! only by result columns, and result aliases (`r1`, `r2` …) never shadow a column name.

use crate::predicate::{cmp_op, predicate, scalar, Scope, Source};
use crate::schema::Schema;
use crate::values::{self, Ty};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

/// A generated query: its text and whether its row order is fixed.
#[derive(Clone, Debug)]
pub struct Query {
    /// The SQL.
    pub sql: String,
    /// Whether the statement has a total ORDER BY (compare as a sequence).
    pub ordered: bool,
}

/// A result column: its text and its alias.
struct Item {
    expr: String,
    alias: Option<String>,
}

impl Item {
    fn sql(&self) -> String {
        match &self.alias {
            Some(a) => format!("{} AS {a}", self.expr),
            None => self.expr.clone(),
        }
    }
}

/// A random FROM: one table (sometimes with an alias) or a join of two.
fn from<'a>(rng: &mut StdRng, schema: &'a Schema, join: bool) -> (Scope<'a>, String) {
    let t1 = schema.tables.choose(rng).unwrap_or(&schema.tables[0]);
    if !join {
        if rng.random_bool(0.15) {
            let scope = Scope {
                sources: vec![Source {
                    qual: Some("x".into()),
                    table: t1,
                }],
            };
            return (scope, format!("{} AS x", t1.name));
        }
        return (Scope::single(t1), t1.name.clone());
    }
    let t2 = schema.tables.choose(rng).unwrap_or(t1);
    let aliases = t1.name == t2.name || rng.random_bool(0.6);
    let (q1, q2) = if aliases {
        ("a".to_string(), "b".to_string())
    } else {
        (t1.name.clone(), t2.name.clone())
    };
    let scope = Scope {
        sources: vec![
            Source {
                qual: Some(q1.clone()),
                table: t1,
            },
            Source {
                qual: Some(q2.clone()),
                table: t2,
            },
        ],
    };
    // The ON equality: usually columns of the same type, the inner one often a key.
    let c1 = rng.random_range(0..t1.columns.len());
    let ty = t1.columns[c1].ty;
    let keyed: Vec<usize> = t2.keys().iter().map(|k| k[0]).collect();
    let same: Vec<usize> = (0..t2.columns.len())
        .filter(|&c| t2.columns[c].ty == ty)
        .collect();
    let keyed_same: Vec<usize> = keyed.iter().copied().filter(|c| same.contains(c)).collect();
    let c2 = if !keyed_same.is_empty() && rng.random_bool(0.6) {
        *keyed_same.choose(rng).unwrap_or(&0)
    } else if !same.is_empty() && rng.random_bool(0.85) {
        *same.choose(rng).unwrap_or(&0)
    } else {
        rng.random_range(0..t2.columns.len())
    };
    let mut on = format!("{} = {}", scope.col(0, c1), scope.col(1, c2));
    if rng.random_bool(0.5) {
        on = format!("{} = {}", scope.col(1, c2), scope.col(0, c1));
    }
    if rng.random_bool(0.15) {
        let (s, c) = scope.any(rng);
        on = format!(
            "{on} AND {} <> {}",
            scope.col(s, c),
            values::comparand(rng, scope.ty(s, c))
        );
    }
    let text = if aliases {
        format!("{} AS a JOIN {} AS b ON {on}", t1.name, t2.name)
    } else {
        format!("{} JOIN {} ON {on}", t1.name, t2.name)
    };
    (scope, text)
}

fn alias(rng: &mut StdRng, n: usize) -> Option<String> {
    rng.random_bool(0.3).then(|| format!("r{n}"))
}

/// ORDER BY: a few random terms, then every result column by ordinal (a total order). A
/// third of them run in one direction, which an index or the primary key may give without
/// a sort (read backwards for DESC).
fn order_by(rng: &mut StdRng, items: usize, extra: &[String]) -> String {
    let uniform = rng.random_bool(0.35).then(|| rng.random_bool(0.5));
    let dir = |rng: &mut StdRng, p: f64| match uniform.unwrap_or_else(|| rng.random_bool(p)) {
        true => " DESC",
        false => "",
    };
    let mut terms = Vec::new();
    for _ in 0..rng.random_range(0..=2) {
        let t = if !extra.is_empty() && rng.random_bool(0.5) {
            extra.choose(rng).cloned().unwrap_or_default()
        } else {
            rng.random_range(1..=items).to_string()
        };
        terms.push(format!("{t}{}", dir(rng, 0.4)));
    }
    for i in 1..=items {
        terms.push(format!("{i}{}", dir(rng, 0.3)));
    }
    format!(" ORDER BY {}", terms.join(", "))
}

fn limit(rng: &mut StdRng) -> String {
    match rng.random_range(0..10) {
        0..=4 => format!(" LIMIT {}", rng.random_range(0..5)),
        5..=8 => format!(
            " LIMIT {} OFFSET {}",
            rng.random_range(0..5),
            rng.random_range(0..4)
        ),
        _ => format!(" LIMIT -1 OFFSET {}", rng.random_range(0..4)),
    }
}

fn where_clause(rng: &mut StdRng, scope: &Scope<'_>, p: f64) -> String {
    if rng.random_bool(p) {
        format!(" WHERE {}", predicate(rng, scope, 2))
    } else {
        String::new()
    }
}

/// A plain query: result columns, WHERE, maybe DISTINCT, ORDER BY, LIMIT.
fn plain(rng: &mut StdRng, schema: &Schema, join: bool) -> Query {
    let (scope, from) = from(rng, schema, join);
    let distinct = rng.random_bool(0.15);
    let mut items: Vec<Item> = Vec::new();
    let mut width = 0;
    let star = rng.random_bool(0.12);
    if star {
        width = scope.width();
    } else {
        if join && rng.random_bool(0.2) {
            let s = rng.random_range(0..2);
            if let Some(q) = &scope.sources[s].qual {
                items.push(Item {
                    expr: format!("{q}.*"),
                    alias: None,
                });
                width += scope.sources[s].table.columns.len();
            }
        }
        for _ in 0..rng.random_range(1..=4) {
            let expr = if rng.random_bool(0.6) {
                let (s, c) = scope.any(rng);
                scope.col(s, c)
            } else {
                scalar(rng, &scope)
            };
            width += 1;
            items.push(Item {
                expr,
                alias: alias(rng, width),
            });
        }
    }
    let list = if star {
        "*".to_string()
    } else {
        items.iter().map(Item::sql).collect::<Vec<_>>().join(", ")
    };
    let mut sql = format!(
        "SELECT {}{list} FROM {from}",
        if distinct { "DISTINCT " } else { "" }
    );
    sql.push_str(&where_clause(rng, &scope, 0.8));
    let aliases: Vec<String> = items.iter().filter_map(|i| i.alias.clone()).collect();
    // SQLite lets WHERE name a result alias (when no column has the name).
    if let Some(a) = aliases.choose(rng).filter(|_| rng.random_bool(0.1)) {
        let cond = format!("{a} {} {}", cmp_op(rng), values::small_int(rng));
        sql.push_str(&if sql.contains(" WHERE ") {
            format!(" AND {cond}")
        } else {
            format!(" WHERE {cond}")
        });
    }
    let ordered = rng.random_bool(0.45);
    if ordered {
        let mut extra: Vec<String> = aliases.clone();
        // An alias inside an ORDER BY expression.
        extra.extend(aliases.iter().map(|a| format!("-{a}")));
        if !distinct {
            for _ in 0..2 {
                let (s, c) = scope.any(rng);
                extra.push(scope.col(s, c));
            }
            extra.push(scalar(rng, &scope));
        }
        sql.push_str(&order_by(rng, width, &extra));
        if rng.random_bool(0.35) {
            sql.push_str(&limit(rng));
        }
    }
    Query { sql, ordered }
}

/// A query in the order of a key: the columns of the primary key, or of an index and then
/// the primary key, ordered by all of them in one direction — the order the key's storage
/// already has, so the planner may skip the sort (and stop early for a LIMIT). `None` if
/// the table has no primary key to make the order total.
fn key_ordered(rng: &mut StdRng, schema: &Schema) -> Option<Query> {
    let t = schema.tables.choose(rng)?;
    let pk = t.pk_columns();
    if pk.is_empty() {
        return None;
    }
    let mut cols = match t.indexes.choose(rng) {
        Some(ix) if rng.random_bool(0.6) => ix.columns.clone(),
        _ => Vec::new(),
    };
    for c in pk {
        if !cols.contains(&c) {
            cols.push(c);
        }
    }
    let scope = Scope::single(t);
    let list: Vec<String> = cols.iter().map(|&c| scope.col(0, c)).collect();
    let dir = if rng.random_bool(0.5) { " DESC" } else { "" };
    let order: Vec<String> = (1..=cols.len()).map(|i| format!("{i}{dir}")).collect();
    let mut sql = format!("SELECT {} FROM {}", list.join(", "), t.name);
    sql.push_str(&where_clause(rng, &scope, 0.5));
    sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
    if rng.random_bool(0.5) {
        sql.push_str(&limit(rng));
    }
    Some(Query { sql, ordered: true })
}

/// An aggregate call over the scope.
fn aggregate(rng: &mut StdRng, scope: &Scope<'_>) -> String {
    let (s, c) = scope.any(rng);
    let (col, ty) = (scope.col(s, c), scope.ty(s, c));
    let distinct = if rng.random_bool(0.15) {
        "DISTINCT "
    } else {
        ""
    };
    match rng.random_range(0..9) {
        0 => "count(*)".to_string(),
        1 => format!("count({distinct}{col})"),
        2 | 3 => {
            let (s, c) = scope.of_type(rng, Ty::numeric);
            let f = ["sum", "total", "avg"].choose(rng).unwrap_or(&"sum");
            format!("{f}({distinct}{})", scope.col(s, c))
        }
        4 => format!("min({col})"),
        5 => format!("max({col})"),
        6 if ty.numeric() => format!("sum({col} * 2)"),
        7 if ty.numeric() => format!("avg({col} + 0.5)"),
        _ => format!(
            "{}({col})",
            ["count", "min", "max", "sum"]
                .choose(rng)
                .unwrap_or(&"count")
        ),
    }
}

/// A grouped or aggregate query: GROUP BY columns, aggregates, HAVING, ORDER BY, LIMIT.
fn grouped(rng: &mut StdRng, schema: &Schema, join: bool) -> Query {
    let (scope, from) = from(rng, schema, join);
    let mut items: Vec<Item> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    if rng.random_bool(0.8) {
        for _ in 0..rng.random_range(1..=2) {
            // Prefer a key's first column (an ordered scan may serve the grouping).
            let s = rng.random_range(0..scope.sources.len());
            let keys = scope.sources[s].table.keys();
            let c = match keys.choose(rng) {
                Some(k) if rng.random_bool(0.5) => k[0],
                _ => rng.random_range(0..scope.sources[s].table.columns.len()),
            };
            // Sometimes an expression (`c % 3`, `length(c)` …).
            let g = if rng.random_bool(0.2) {
                scalar(rng, &scope)
            } else {
                scope.col(s, c)
            };
            if !groups.contains(&g) {
                groups.push(g.clone());
                let n = items.len() + 1;
                items.push(Item {
                    expr: g,
                    alias: alias(rng, n),
                });
            }
        }
    }
    let mut aggs = Vec::new();
    for _ in 0..rng.random_range(1..=3) {
        let a = aggregate(rng, &scope);
        aggs.push(a.clone());
        let n = items.len() + 1;
        items.push(Item {
            expr: a,
            alias: alias(rng, n),
        });
    }
    let list = items.iter().map(Item::sql).collect::<Vec<_>>().join(", ");
    let mut sql = format!("SELECT {list} FROM {from}");
    sql.push_str(&where_clause(rng, &scope, 0.6));
    let agg_aliases: Vec<String> = items[groups.len()..]
        .iter()
        .filter_map(|i| i.alias.clone())
        .collect();
    if !groups.is_empty() {
        // GROUP BY may name a group column's alias.
        let by: Vec<String> = items[..groups.len()]
            .iter()
            .map(|i| match &i.alias {
                Some(a) if rng.random_bool(0.3) => a.clone(),
                _ => i.expr.clone(),
            })
            .collect();
        sql.push_str(&format!(" GROUP BY {}", by.join(", ")));
        if rng.random_bool(0.4) {
            let h = match rng.random_range(0..5) {
                // HAVING may name an aggregate's alias, inside an expression too.
                4 if !agg_aliases.is_empty() => format!(
                    "{} + 1 > {}",
                    agg_aliases.choose(rng).cloned().unwrap_or_default(),
                    values::small_int(rng)
                ),
                0 => format!("count(*) > {}", rng.random_range(0..3)),
                1 => format!(
                    "{} {} {}",
                    aggs.choose(rng).cloned().unwrap_or_default(),
                    [">", "<", ">=", "<>"].choose(rng).unwrap_or(&">"),
                    values::small_int(rng)
                ),
                2 => {
                    let g = groups.choose(rng).cloned().unwrap_or_default();
                    format!("{g} IS NOT NULL")
                }
                _ => format!("{} IS NOT NULL AND count(*) >= 1", aggregate(rng, &scope)),
            };
            sql.push_str(&format!(" HAVING {h}"));
        }
    }
    let ordered = !groups.is_empty() && rng.random_bool(0.5);
    if ordered {
        let mut extra: Vec<String> = items.iter().filter_map(|i| i.alias.clone()).collect();
        extra.extend(agg_aliases.iter().map(|a| format!("{a} * 2")));
        extra.extend(aggs.iter().cloned());
        extra.extend(groups.iter().cloned());
        sql.push_str(&order_by(rng, items.len(), &extra));
        if rng.random_bool(0.3) {
            sql.push_str(&limit(rng));
        }
    }
    Query { sql, ordered }
}

/// A random query over the schema's tables (`SELECT 1` if there are none).
pub fn query(rng: &mut StdRng, schema: &Schema) -> Query {
    if schema.tables.is_empty() {
        return Query {
            sql: "SELECT 1".into(),
            ordered: false,
        };
    }
    let join = rng.random_bool(0.25);
    if rng.random_bool(0.08) {
        if let Some(q) = key_ordered(rng, schema) {
            return q;
        }
    }
    if rng.random_bool(0.3) {
        grouped(rng, schema, join)
    } else {
        plain(rng, schema, join)
    }
}
