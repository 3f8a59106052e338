//! Ferrolite's own statement types: the SQL subset, after parsing and before planning.
//!
//! sqlparser's AST covers a dozen dialects; [`super::parse`] turns the part of it Ferrolite
//! implements into these types and names everything else as unsupported. Names are kept as
//! written; the planner resolves them case-insensitively.

use crate::value::{ArithOp, CmpOp};
use crate::{ColumnType, Value};

/// A parsed statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `CREATE TABLE`.
    CreateTable(CreateTable),
    /// `DROP TABLE [IF EXISTS] name`.
    DropTable {
        /// The table.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (columns)`.
    CreateIndex {
        /// The index name.
        name: String,
        /// The table.
        table: String,
        /// The indexed columns, in order.
        columns: Vec<String>,
        /// `UNIQUE`.
        unique: bool,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `DROP INDEX [IF EXISTS] name`.
    DropIndex {
        /// The index.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `INSERT INTO table [(columns)] VALUES (…), (…)`.
    Insert {
        /// The table.
        table: String,
        /// The columns named, or every column in order when empty.
        columns: Vec<String>,
        /// The rows of expressions.
        rows: Vec<Vec<Expr>>,
    },
    /// `SELECT …`.
    Select(Box<Select>),
    /// `UPDATE table SET col = expr, … [WHERE …]`.
    Update {
        /// The table.
        table: String,
        /// Assignments in order.
        set: Vec<(String, Expr)>,
        /// The filter.
        filter: Option<Expr>,
    },
    /// `DELETE FROM table [WHERE …]`.
    Delete {
        /// The table.
        table: String,
        /// The filter.
        filter: Option<Expr>,
    },
    /// `BEGIN`.
    Begin,
    /// `COMMIT` / `END`.
    Commit,
    /// `ROLLBACK`.
    Rollback,
    /// `EXPLAIN stmt` (also `EXPLAIN QUERY PLAN`).
    Explain(Box<Statement>),
}

/// `CREATE TABLE`.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateTable {
    /// The table name.
    pub name: String,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// The columns.
    pub columns: Vec<ColumnSpec>,
    /// The primary-key columns (from a column or a table constraint).
    pub primary_key: Vec<String>,
    /// UNIQUE constraints (each becomes a unique index).
    pub unique: Vec<Vec<String>>,
}

/// One column of `CREATE TABLE`.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSpec {
    /// The name.
    pub name: String,
    /// The declared type.
    pub ty: ColumnType,
    /// `NOT NULL`.
    pub not_null: bool,
    /// `DEFAULT expr`.
    pub default: Option<Expr>,
}

/// A `SELECT`.
#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    /// `DISTINCT`.
    pub distinct: bool,
    /// The result columns.
    pub items: Vec<SelectItem>,
    /// `FROM`: no table, one, or two joined.
    pub from: Option<From>,
    /// `WHERE`.
    pub filter: Option<Expr>,
    /// `GROUP BY`.
    pub group_by: Vec<Expr>,
    /// `HAVING`.
    pub having: Option<Expr>,
    /// `ORDER BY`, with `true` for descending.
    pub order_by: Vec<(Expr, bool)>,
    /// `LIMIT`.
    pub limit: Option<Expr>,
    /// `OFFSET`.
    pub offset: Option<Expr>,
}

/// A result column.
#[derive(Clone, Debug, PartialEq)]
pub enum SelectItem {
    /// `*`.
    Wildcard,
    /// `t.*`.
    TableWildcard(String),
    /// An expression and its alias.
    Expr(Expr, Option<String>),
}

/// The `FROM` clause.
#[derive(Clone, Debug, PartialEq)]
pub struct From {
    /// The first table.
    pub table: TableRef,
    /// An inner join: the second table and the `ON` condition.
    pub join: Option<(TableRef, Expr)>,
}

/// A table named in `FROM`, with its alias.
#[derive(Clone, Debug, PartialEq)]
pub struct TableRef {
    /// The table's name.
    pub name: String,
    /// `AS alias`.
    pub alias: Option<String>,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A constant.
    Literal(Value),
    /// A `?` / `?N` parameter (0-based).
    Param(usize),
    /// A column, optionally qualified by table or alias.
    Column(Option<String>, String),
    /// `-e`, `+e`.
    Neg(Box<Expr>),
    /// `NOT e`.
    Not(Box<Expr>),
    /// Arithmetic.
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `a || b`.
    Concat(Box<Expr>, Box<Expr>),
    /// A comparison.
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    /// `a AND b`.
    And(Box<Expr>, Box<Expr>),
    /// `a OR b`.
    Or(Box<Expr>, Box<Expr>),
    /// `e IS [NOT] NULL` (`true`: IS NOT NULL).
    IsNull(Box<Expr>, bool),
    /// `e [NOT] IN (list)`.
    InList(Box<Expr>, Vec<Expr>, bool),
    /// `e [NOT] BETWEEN lo AND hi`.
    Between(Box<Expr>, Box<Expr>, Box<Expr>, bool),
    /// `e [NOT] LIKE pattern [ESCAPE c]`.
    Like(Box<Expr>, Box<Expr>, Option<Box<Expr>>, bool),
    /// A function call: name (lowercase), arguments, `DISTINCT`, `*`.
    Call(Call),
}

/// A function call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Lowercase name.
    pub name: String,
    /// Arguments.
    pub args: Vec<Expr>,
    /// `f(DISTINCT x)`.
    pub distinct: bool,
    /// `f(*)`.
    pub star: bool,
}

impl Expr {
    /// Whether the expression calls an aggregate function (anywhere inside it).
    pub fn has_aggregate(&self) -> bool {
        match self {
            Expr::Call(c) => c.is_aggregate() || c.args.iter().any(Expr::has_aggregate),
            other => other.children().iter().any(|e| e.has_aggregate()),
        }
    }

    /// The direct subexpressions.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Literal(_) | Expr::Param(_) | Expr::Column(..) => vec![],
            Expr::Neg(e) | Expr::Not(e) | Expr::IsNull(e, _) => vec![e],
            Expr::Arith(_, a, b)
            | Expr::Concat(a, b)
            | Expr::Cmp(_, a, b)
            | Expr::And(a, b)
            | Expr::Or(a, b) => {
                vec![a, b]
            }
            Expr::InList(e, list, _) => std::iter::once(&**e).chain(list.iter()).collect(),
            Expr::Between(a, b, c, _) => vec![a, b, c],
            Expr::Like(a, b, c, _) => {
                let mut v: Vec<&Expr> = vec![a, b];
                v.extend(c.as_deref());
                v
            }
            Expr::Call(c) => c.args.iter().collect(),
        }
    }
}

impl Call {
    /// Whether this is an aggregate (`min`/`max` with two or more arguments are the scalar
    /// functions, as in SQLite).
    pub fn is_aggregate(&self) -> bool {
        match self.name.as_str() {
            "count" | "sum" | "avg" | "total" => true,
            "min" | "max" => self.args.len() == 1,
            _ => false,
        }
    }
}
