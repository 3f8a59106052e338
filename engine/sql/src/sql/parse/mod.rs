//! From SQL text to [`Statement`]s: sqlparser (SQLite dialect), then a strict conversion.
//!
//! The conversion accepts exactly the subset `ast` describes. Everything else becomes
//! [`Error::Unsupported`] naming the construct (a subquery, a LEFT JOIN, a window…), and a
//! parse failure becomes [`Error::Syntax`] with the line and column sqlparser reports. No
//! input panics: sqlparser bounds its recursion, and this module recurses only over what it
//! produced.

mod common;
mod expr;
mod query;
#[cfg(test)]
mod tests;

use crate::sql::ast::{ColumnSpec, CreateTable, Statement};
use crate::{ColumnType, Error, Result};
pub use common::MAX_DEPTH;
use common::{ident, object_name, unsupported, Params};
use expr::expr;
use query::query;
use sqlparser::ast as sp;
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::{Parser, ParserError};

/// The longest SQL text accepted.
pub const MAX_SQL_LEN: usize = 1 << 20;

/// Texts up to this length are parsed on the caller's stack.
const INLINE_LEN: usize = 4096;

/// Parse SQL text holding one or more statements separated by `;`.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    on_a_deep_enough_stack(sql, |sql| {
        let parsed = Parser::parse_sql(&SQLiteDialect {}, sql).map_err(|e| syntax(e, sql))?;
        let mut params = Params::default();
        parsed
            .into_iter()
            .map(|s| statement(s, &mut params))
            .collect()
    })
}

/// Parse SQL text holding one or more statements separated by `;`, each with its own
/// parameter count (a script whose statements are run one by one, as prepared statements).
pub fn parse_script(sql: &str) -> Result<Vec<(Statement, usize)>> {
    on_a_deep_enough_stack(sql, |sql| {
        let parsed = Parser::parse_sql(&SQLiteDialect {}, sql).map_err(|e| syntax(e, sql))?;
        parsed
            .into_iter()
            .map(|s| {
                let mut params = Params::default();
                let stmt = statement(s, &mut params)?;
                Ok((stmt, params.count))
            })
            .collect()
    })
}

/// Parse exactly one statement (a prepared statement), returning it and its parameter count.
pub fn parse_one(sql: &str) -> Result<(Statement, usize)> {
    on_a_deep_enough_stack(sql, |sql| {
        let mut parsed = Parser::parse_sql(&SQLiteDialect {}, sql).map_err(|e| syntax(e, sql))?;
        if parsed.len() != 1 {
            return Err(Error::Unsupported(format!(
                "{} statements where one was expected",
                parsed.len()
            )));
        }
        let mut params = Params::default();
        let stmt = statement(parsed.remove(0), &mut params)?;
        Ok((stmt, params.count))
    })
}

/// sqlparser builds a left-deep tree for a chain like `1 + 1 + 1 …` without recursing, but
/// converting, printing and dropping that tree recurse once per level. A long text could
/// nest deeper than a thread's stack holds, so it is parsed on a thread whose stack grows
/// with the text (converted trees are at most [`MAX_DEPTH`] deep, safe anywhere).
fn on_a_deep_enough_stack<T: Send>(
    sql: &str,
    f: impl FnOnce(&str) -> Result<T> + Send,
) -> Result<T> {
    if sql.len() > MAX_SQL_LEN {
        return unsupported(format!(
            "SQL text of {} bytes (at most {MAX_SQL_LEN})",
            sql.len()
        ));
    }
    if sql.len() <= INLINE_LEN {
        return f(sql);
    }
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("sql-parse".into())
            .stack_size(32 * 1024 * 1024 + sql.len() * 512)
            .spawn_scoped(s, || f(sql))
            .map_err(|e| Error::Eval(format!("cannot start the parser thread: {e}")))?
            .join()
            .unwrap_or_else(|_| Err(Error::Eval("the parser failed".into())))
    })
}

fn syntax(e: ParserError, sql: &str) -> Error {
    let message = match e {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => "expression nested too deeply".to_string(),
    };
    let (mut line, mut column) = position(&message);
    if line == 0 {
        // sqlparser gives no position at the end of the input: point just past the text.
        let text = sql.trim_end();
        line = text.lines().count().max(1) as u64;
        column = text.lines().last().map_or(0, |l| l.chars().count()) as u64 + 1;
    }
    Error::Syntax {
        message,
        line,
        column,
    }
}

/// Line and column from sqlparser's "… at Line: 3, Column: 7" suffix.
fn position(message: &str) -> (u64, u64) {
    let num = |tag: &str| -> u64 {
        message
            .rfind(tag)
            .map(|i| &message[i + tag.len()..])
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|d| d.parse().ok())
            .unwrap_or(0)
    };
    (num("Line: "), num("Column: "))
}

fn statement(s: sp::Statement, p: &mut Params) -> Result<Statement> {
    use sp::Statement as S;
    match s {
        S::Query(q) => Ok(Statement::Select(Box::new(query(*q, p)?))),
        S::Insert(ins) => insert(ins, p),
        S::Update(u) => update(u, p),
        S::Delete(d) => delete(d, p),
        S::CreateTable(c) => create_table(c, p),
        S::CreateIndex(c) => create_index(c),
        S::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            ..
        } => {
            if cascade {
                return unsupported("DROP … CASCADE");
            }
            let [name] = names.as_slice() else {
                return unsupported("DROP of several objects");
            };
            let name = object_name(name)?;
            match object_type {
                sp::ObjectType::Table => Ok(Statement::DropTable { name, if_exists }),
                sp::ObjectType::Index => Ok(Statement::DropIndex { name, if_exists }),
                other => unsupported(format!("DROP {other}")),
            }
        }
        S::StartTransaction {
            modes,
            statements,
            exception,
            ..
        } => {
            if !modes.is_empty() || !statements.is_empty() || exception.is_some() {
                return unsupported("BEGIN with transaction modes or a block");
            }
            Ok(Statement::Begin)
        }
        S::Commit { chain: false, .. } => Ok(Statement::Commit),
        S::Rollback {
            chain: false,
            savepoint: None,
        } => Ok(Statement::Rollback),
        S::Rollback { .. } => unsupported("ROLLBACK TO SAVEPOINT"),
        S::Explain {
            statement, analyze, ..
        } => {
            if analyze {
                return unsupported("EXPLAIN ANALYZE");
            }
            let inner = self::statement(*statement, p)?;
            Ok(Statement::Explain(Box::new(inner)))
        }
        other => {
            let text = other.to_string();
            let head: String = text
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            unsupported(format!("statement {head}"))
        }
    }
}

fn create_table(c: sp::CreateTable, p: &mut Params) -> Result<Statement> {
    if c.query.is_some() || c.like.is_some() || c.temporary || c.or_replace {
        return unsupported("CREATE TABLE … AS / LIKE / TEMPORARY / OR REPLACE");
    }
    let mut out = CreateTable {
        name: object_name(&c.name)?,
        if_not_exists: c.if_not_exists,
        columns: Vec::new(),
        primary_key: Vec::new(),
        unique: Vec::new(),
    };
    for col in c.columns {
        let type_name = col.data_type.to_string();
        let ty = ColumnType::from_sql_type(&type_name)
            .ok_or_else(|| Error::Unsupported(format!("column type {type_name}")))?;
        let name = ident(&col.name);
        let mut spec = ColumnSpec {
            name: name.clone(),
            ty,
            not_null: false,
            default: None,
        };
        for opt in col.options {
            match opt.option {
                sp::ColumnOption::Null => {}
                sp::ColumnOption::NotNull => spec.not_null = true,
                sp::ColumnOption::Default(e) => spec.default = Some(expr(e, p)?),
                sp::ColumnOption::PrimaryKey(_) => {
                    if !out.primary_key.is_empty() {
                        return Err(Error::Schema(format!(
                            "table {} has more than one primary key",
                            out.name
                        )));
                    }
                    out.primary_key.push(name.clone());
                }
                sp::ColumnOption::Unique(_) => out.unique.push(vec![name.clone()]),
                other => return unsupported(format!("column constraint {other}")),
            }
        }
        out.columns.push(spec);
    }
    for con in c.constraints {
        match con {
            sp::TableConstraint::PrimaryKey(pk) => {
                if !out.primary_key.is_empty() {
                    return Err(Error::Schema(format!(
                        "table {} has more than one primary key",
                        out.name
                    )));
                }
                out.primary_key = index_columns(&pk.columns)?;
            }
            sp::TableConstraint::Unique(u) => out.unique.push(index_columns(&u.columns)?),
            other => return unsupported(format!("table constraint {other}")),
        }
    }
    Ok(Statement::CreateTable(out))
}

fn index_columns(cols: &[sp::IndexColumn]) -> Result<Vec<String>> {
    cols.iter()
        .map(|c| {
            if c.column.options.sort == Some(sp::OrderBySort::Desc) || c.operator_class.is_some() {
                return unsupported("a descending or operator-class index column");
            }
            match &c.column.expr {
                sp::Expr::Identifier(i) => Ok(ident(i)),
                other => unsupported(format!("index on expression {other}")),
            }
        })
        .collect()
}

fn create_index(c: sp::CreateIndex) -> Result<Statement> {
    if c.predicate.is_some() || !c.include.is_empty() || c.using.is_some() {
        return unsupported("partial, covering or typed index");
    }
    let name = match &c.name {
        Some(n) => object_name(n)?,
        None => return Err(Error::Schema("CREATE INDEX needs a name".into())),
    };
    Ok(Statement::CreateIndex {
        name,
        table: object_name(&c.table_name)?,
        columns: index_columns(&c.columns)?,
        unique: c.unique,
        if_not_exists: c.if_not_exists,
    })
}

fn table_of(t: &sp::TableObject) -> Result<String> {
    match t {
        sp::TableObject::TableName(n) => object_name(n),
        other => unsupported(format!("INSERT INTO {other}")),
    }
}

fn insert(ins: sp::Insert, p: &mut Params) -> Result<Statement> {
    if ins.or.is_some() || ins.ignore || ins.replace_into {
        return unsupported("INSERT OR … / REPLACE");
    }
    if ins.returning.is_some() || ins.on.is_some() {
        return unsupported("INSERT … RETURNING / ON CONFLICT");
    }
    if !ins.assignments.is_empty() || ins.partitioned.is_some() || ins.table_alias.is_some() {
        return unsupported("INSERT … SET / alias");
    }
    let table = table_of(&ins.table)?;
    let columns = ins
        .columns
        .iter()
        .map(object_name)
        .collect::<Result<Vec<_>>>()?;
    let Some(source) = ins.source else {
        return unsupported("INSERT … DEFAULT VALUES");
    };
    let source = *source;
    if source.with.is_some() || source.order_by.is_some() || source.limit_clause.is_some() {
        return unsupported("INSERT with WITH / ORDER BY / LIMIT");
    }
    let sp::SetExpr::Values(values) = *source.body else {
        return unsupported("INSERT … SELECT");
    };
    let rows = values
        .rows
        .into_iter()
        .map(|row| {
            row.content
                .into_iter()
                .map(|e| expr(e, p))
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Statement::Insert {
        table,
        columns,
        rows,
    })
}

fn single_table(t: &sp::TableWithJoins) -> Result<String> {
    if !t.joins.is_empty() {
        return unsupported("a join in UPDATE or DELETE");
    }
    match &t.relation {
        sp::TableFactor::Table {
            name,
            alias: None,
            args: None,
            ..
        } => object_name(name),
        other => unsupported(format!("table reference {other}")),
    }
}

fn update(u: sp::Update, p: &mut Params) -> Result<Statement> {
    if u.from.is_some()
        || u.returning.is_some()
        || u.or.is_some()
        || u.limit.is_some()
        || !u.order_by.is_empty()
    {
        return unsupported("UPDATE … FROM / RETURNING / OR / ORDER BY / LIMIT");
    }
    let table = single_table(&u.table)?;
    let mut set = Vec::new();
    for a in u.assignments {
        let sp::AssignmentTarget::ColumnName(col) = &a.target else {
            return unsupported("a tuple assignment");
        };
        set.push((object_name(col)?, expr(a.value, p)?));
    }
    let filter = u.selection.map(|e| expr(e, p)).transpose()?;
    Ok(Statement::Update { table, set, filter })
}

fn delete(d: sp::Delete, p: &mut Params) -> Result<Statement> {
    if !d.tables.is_empty()
        || d.using.is_some()
        || d.returning.is_some()
        || d.limit.is_some()
        || !d.order_by.is_empty()
    {
        return unsupported("DELETE … USING / RETURNING / ORDER BY / LIMIT");
    }
    let from = match &d.from {
        sp::FromTable::WithFromKeyword(f) | sp::FromTable::WithoutKeyword(f) => f,
    };
    let [t] = from.as_slice() else {
        return unsupported("DELETE from several tables");
    };
    let table = single_table(t)?;
    let filter = d.selection.map(|e| expr(e, p)).transpose()?;
    Ok(Statement::Delete { table, filter })
}
