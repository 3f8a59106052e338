//! WHERE predicates and scalar expressions over the tables a statement sees.
//!
//! About half of the predicates aim at a key — the primary key or an index — the way the
//! planner can use it: an equality on the first column, equality then a range, equalities on
//! both columns, a range, an IN list, IS NULL, and an equality on the *second* column alone
//! (what the seeded wrong-plan mutant answers wrongly). The rest are comparisons in either
//! order, BETWEEN, IN, `IS [NOT] NULL`, LIKE, arithmetic, column against column and scalar
//! functions, combined with AND, OR and NOT. Literals come from the column's domain, with
//! integers against REAL columns and reals against INTEGER ones mixed in.

use crate::schema::Table;
use crate::values::{self, Ty};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

/// One table in a statement's FROM: how its columns are named, and the table.
#[derive(Clone, Debug)]
pub struct Source<'a> {
    /// The qualifier of its columns (`None`: bare names).
    pub qual: Option<String>,
    /// The table.
    pub table: &'a Table,
}

/// The tables a statement sees (one, or two joined).
#[derive(Clone, Debug)]
pub struct Scope<'a> {
    /// The tables in FROM order.
    pub sources: Vec<Source<'a>>,
}

const CMP: &[&str] = &["=", "<>", "<", "<=", ">", ">=", "!="];

impl<'a> Scope<'a> {
    /// A scope of one table with bare column names.
    pub fn single(table: &'a Table) -> Self {
        Scope {
            sources: vec![Source { qual: None, table }],
        }
    }

    /// The name of column `c` of source `s`.
    pub fn col(&self, s: usize, c: usize) -> String {
        let src = &self.sources[s];
        let name = &src.table.columns[c].name;
        match &src.qual {
            Some(q) => format!("{q}.{name}"),
            None => name.clone(),
        }
    }

    /// The type of column `c` of source `s`.
    pub fn ty(&self, s: usize, c: usize) -> Ty {
        self.sources[s].table.columns[c].ty
    }

    /// A random column (source, column).
    pub fn any(&self, rng: &mut StdRng) -> (usize, usize) {
        let s = rng.random_range(0..self.sources.len());
        (s, rng.random_range(0..self.sources[s].table.columns.len()))
    }

    /// A random column of type `ty` if there is one, preferring it; else any column.
    pub fn of_type(&self, rng: &mut StdRng, want: impl Fn(Ty) -> bool) -> (usize, usize) {
        let all: Vec<(usize, usize)> = self
            .sources
            .iter()
            .enumerate()
            .flat_map(|(s, src)| (0..src.table.columns.len()).map(move |c| (s, c)))
            .filter(|&(s, c)| want(self.ty(s, c)))
            .collect();
        match all.choose(rng) {
            Some(&x) => x,
            None => self.any(rng),
        }
    }

    /// The total number of columns (what `*` expands to).
    pub fn width(&self) -> usize {
        self.sources.iter().map(|s| s.table.columns.len()).sum()
    }
}

/// A random comparison operator.
pub fn cmp_op(rng: &mut StdRng) -> &'static str {
    CMP.choose(rng).unwrap_or(&"=")
}

/// `col op lit` or `lit op col` (the operator flipped so that the meaning is random either way).
fn compare_lit(rng: &mut StdRng, col: &str, ty: Ty, op: &str) -> String {
    let lit = values::comparand(rng, ty);
    if rng.random_bool(0.3) {
        format!("{lit} {op} {col}")
    } else {
        format!("{col} {op} {lit}")
    }
}

fn eq(rng: &mut StdRng, scope: &Scope<'_>, s: usize, c: usize) -> String {
    compare_lit(rng, &scope.col(s, c), scope.ty(s, c), "=")
}

fn range(rng: &mut StdRng, scope: &Scope<'_>, s: usize, c: usize) -> String {
    let (col, ty) = (scope.col(s, c), scope.ty(s, c));
    match rng.random_range(0..4) {
        0 => {
            let op = ["<", "<=", ">", ">="].choose(rng).unwrap_or(&"<");
            compare_lit(rng, &col, ty, op)
        }
        1 => format!(
            "{col} BETWEEN {} AND {}",
            values::comparand(rng, ty),
            values::comparand(rng, ty)
        ),
        2 => format!(
            "{col} > {} AND {col} <= {}",
            values::comparand(rng, ty),
            values::comparand(rng, ty)
        ),
        _ => format!(
            "{} <= {col} AND {col} < {}",
            values::comparand(rng, ty),
            values::comparand(rng, ty)
        ),
    }
}

fn in_list(rng: &mut StdRng, ty: Ty) -> String {
    let n = rng.random_range(1..=4);
    let items: Vec<String> = (0..n).map(|_| values::comparand(rng, ty)).collect();
    items.join(", ")
}

/// A predicate aimed at a key of one of the tables (or any atom if none has a key).
fn key_predicate(rng: &mut StdRng, scope: &Scope<'_>) -> String {
    let s = rng.random_range(0..scope.sources.len());
    let keys = scope.sources[s].table.keys();
    let Some(key) = keys.choose(rng) else {
        return atom(rng, scope);
    };
    let (a, b) = (key[0], key.get(1).copied());
    match (rng.random_range(0..10), b) {
        (0..=2, _) => eq(rng, scope, s, a),
        (3, Some(b)) => format!("{} AND {}", eq(rng, scope, s, a), range(rng, scope, s, b)),
        (4, Some(b)) => format!("{} AND {}", eq(rng, scope, s, a), eq(rng, scope, s, b)),
        (5 | 6, Some(b)) => eq(rng, scope, s, b),
        (7, _) => format!("{} IN ({})", scope.col(s, a), in_list(rng, scope.ty(s, a))),
        (8, _) => format!("{} IS NULL", scope.col(s, a)),
        _ => range(rng, scope, s, a),
    }
}

/// A scalar expression over one column, for result columns and comparisons.
pub fn scalar(rng: &mut StdRng, scope: &Scope<'_>) -> String {
    let (s, c) = scope.any(rng);
    let (col, ty) = (scope.col(s, c), scope.ty(s, c));
    let k = values::small_int(rng);
    match (rng.random_range(0..16), ty) {
        (0, Ty::Integer | Ty::Real) => format!("{col} + {k}"),
        (1, Ty::Integer | Ty::Real) => format!("{col} * 2"),
        (2, Ty::Integer) => format!("-{col}"),
        // `0 - c`, not `-c`: no -0.0 (see values).
        (2, Ty::Real) => format!("0 - {col}"),
        (3, Ty::Integer | Ty::Real) => format!("abs({col})"),
        (4, Ty::Integer) => format!("{col} % 3"),
        (5, Ty::Integer | Ty::Real) => format!("{col} / 2"),
        (6, Ty::Text | Ty::Integer | Ty::Real) => format!("{col} || 'x'"),
        (7, Ty::Text) => format!(
            "{}({col})",
            ["lower", "upper"].choose(rng).unwrap_or(&"lower")
        ),
        (8, _) => format!("length({col})"),
        (9, _) => format!("coalesce({col}, {})", values::expr_literal(rng, ty)),
        (10, _) => format!("ifnull({col}, {})", values::expr_literal(rng, ty)),
        (11, _) => format!("nullif({col}, {})", values::expr_literal(rng, ty)),
        (12, _) => format!("typeof({col})"),
        (14, Ty::Integer | Ty::Real) => {
            let (s2, c2) = scope.of_type(rng, Ty::numeric);
            // A positive factor: no -0.0 (see values).
            format!("({col} + {}) * {}", scope.col(s2, c2), k.abs().max(1))
        }
        (13, _) => {
            let (s2, c2) = scope.of_type(rng, |t| t == ty);
            format!(
                "{}({col}, {})",
                ["min", "max"].choose(rng).unwrap_or(&"min"),
                scope.col(s2, c2)
            )
        }
        _ => col,
    }
}

/// A predicate that is not a combination.
fn atom(rng: &mut StdRng, scope: &Scope<'_>) -> String {
    let (s, c) = scope.any(rng);
    let (col, ty) = (scope.col(s, c), scope.ty(s, c));
    match rng.random_range(0..13) {
        0 | 1 => {
            let op = cmp_op(rng);
            compare_lit(rng, &col, ty, op)
        }
        2 => format!(
            "{col} {}BETWEEN {} AND {}",
            if rng.random_bool(0.3) { "NOT " } else { "" },
            values::comparand(rng, ty),
            values::comparand(rng, ty)
        ),
        3 => format!(
            "{col} {}IN ({})",
            if rng.random_bool(0.3) { "NOT " } else { "" },
            in_list(rng, ty)
        ),
        4 => format!(
            "{col} IS {}NULL",
            if rng.random_bool(0.5) { "NOT " } else { "" }
        ),
        5 => {
            let (s, c) = scope.of_type(rng, |t| t == Ty::Text);
            let not = if rng.random_bool(0.25) { "NOT " } else { "" };
            let col = scope.col(s, c);
            if rng.random_bool(0.15) {
                let pat = ["'a!%'", "'!_x'", "'b!%%'", "'%!!%'", "'a!'"]
                    .choose(rng)
                    .unwrap_or(&"'a!%'");
                format!("{col} {not}LIKE {pat} ESCAPE '!'")
            } else {
                format!("{col} {not}LIKE {}", values::like_pattern(rng))
            }
        }
        6 => {
            let (s, c) = scope.of_type(rng, Ty::numeric);
            let col = scope.col(s, c);
            let k = values::small_int(rng);
            let op = cmp_op(rng);
            let lhs = match rng.random_range(0..5) {
                0 => format!("{col} + {k}"),
                4 => format!("{col} + {}", values::int_sql(values::int(rng))),
                1 => format!("{col} * {k}"),
                2 => format!("{col} - {}", values::real_sql(values::real(rng))),
                _ => format!("{col} % 3"),
            };
            format!("{lhs} {op} {}", values::small_int(rng))
        }
        7 => {
            let (s2, c2) = scope.any(rng);
            format!("{col} {} {}", cmp_op(rng), scope.col(s2, c2))
        }
        8 => {
            let e = scalar(rng, scope);
            format!("{e} {} {}", cmp_op(rng), values::comparand(rng, ty))
        }
        9 => ["1", "0", "NULL", "1 = 1", "NOT 0"]
            .choose(rng)
            .unwrap_or(&"1")
            .to_string(),
        _ => eq(rng, scope, s, c),
    }
}

/// A random predicate of nesting at most `depth`.
pub fn predicate(rng: &mut StdRng, scope: &Scope<'_>, depth: u32) -> String {
    let p = rng.random_range(0..100);
    if depth > 0 && p < 25 {
        let a = predicate(rng, scope, depth - 1);
        let b = predicate(rng, scope, depth - 1);
        match rng.random_range(0..5) {
            0 | 1 => format!("{a} AND {b}"),
            2 | 3 => format!("({a} OR {b})"),
            _ => format!("NOT ({a})"),
        }
    } else if p < 62 {
        key_predicate(rng, scope)
    } else {
        atom(rng, scope)
    }
}
