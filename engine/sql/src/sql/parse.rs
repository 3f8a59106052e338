//! From SQL text to [`Statement`]s: sqlparser (SQLite dialect), then a strict conversion.
//!
//! The conversion accepts exactly the subset `ast` describes. Everything else becomes
//! [`Error::Unsupported`] naming the construct (a subquery, a LEFT JOIN, a window…), and a
//! parse failure becomes [`Error::Syntax`] with the line and column sqlparser reports. No
//! input panics: sqlparser bounds its recursion, and this module recurses only over what it
//! produced.

use super::ast::{
    Call, ColumnSpec, CreateTable, Expr, From, Select, SelectItem, Statement, TableRef,
};
use crate::value::{ArithOp, CmpOp};
use crate::{ColumnType, Error, Result, Value};
use sqlparser::ast as sp;
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::{Parser, ParserError};

/// The longest SQL text accepted.
pub const MAX_SQL_LEN: usize = 1 << 20;

/// The deepest expression accepted (SQLite's limit is 1000; every level of ours is a few
/// stack frames of the binder and the evaluator).
pub const MAX_DEPTH: usize = 200;

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

#[derive(Default)]
struct Params {
    count: usize,
    depth: usize,
}

impl Params {
    fn take(&mut self, text: &str) -> Result<usize> {
        let digits = text.trim_start_matches('?');
        let index = if digits.is_empty() {
            self.count
        } else {
            match digits.parse::<usize>() {
                Ok(n) if (1..=32766).contains(&n) => n - 1,
                _ => return Err(Error::Unsupported(format!("parameter {text}"))),
            }
        };
        if !text.starts_with('?') {
            return Err(Error::Unsupported(format!("named parameter {text}")));
        }
        self.count = self.count.max(index + 1);
        Ok(index)
    }
}

fn unsupported<T>(what: impl std::fmt::Display) -> Result<T> {
    let mut text = what.to_string();
    if let Some((cut, _)) = text.char_indices().nth(80) {
        text.truncate(cut);
        text.push('…');
    }
    Err(Error::Unsupported(text))
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

fn ident(i: &sp::Ident) -> String {
    i.value.clone()
}

fn object_name(n: &sp::ObjectName) -> Result<String> {
    match n.0.as_slice() {
        [sp::ObjectNamePart::Identifier(i)] => Ok(ident(i)),
        _ => unsupported(format!("qualified name {n}")),
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

fn query(q: sp::Query, p: &mut Params) -> Result<Select> {
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

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn number(text: &str) -> Result<Value> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16)
            .map(|u| Value::Integer(u as i64))
            .map_err(|_| Error::Unsupported(format!("hex literal {text}")));
    }
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Value::Integer(i));
    }
    match text.parse::<f64>() {
        Ok(f) => Ok(Value::Real(f)),
        Err(_) => Err(Error::Syntax {
            message: format!("bad number {text}"),
            line: 0,
            column: 0,
        }),
    }
}

fn blob(hex: &str) -> Result<Value> {
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Syntax {
            message: format!("malformed blob literal X'{hex}'"),
            line: 0,
            column: 0,
        });
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0))
        .collect();
    Ok(Value::Blob(bytes))
}

fn expr(e: sp::Expr, p: &mut Params) -> Result<Expr> {
    if p.depth >= MAX_DEPTH {
        return unsupported(format!(
            "expression tree is too large (maximum depth {MAX_DEPTH})"
        ));
    }
    p.depth += 1;
    // Debug builds spend kilobytes of stack per level here: grow it rather than overflow.
    let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || expr_at(e, p));
    p.depth -= 1;
    r
}

/// Whether `e` is the number literal 2^63 (in parentheses or not).
fn is_two_to_the_63(e: &sp::Expr) -> bool {
    match e {
        sp::Expr::Nested(inner) => is_two_to_the_63(inner),
        sp::Expr::Value(v) => {
            matches!(&v.value, sp::Value::Number(n, _) if n == "9223372036854775808")
        }
        _ => false,
    }
}

fn expr_at(e: sp::Expr, p: &mut Params) -> Result<Expr> {
    use sp::Expr as E;
    Ok(match e {
        E::Identifier(i) => Expr::Column(None, ident(&i)),
        E::CompoundIdentifier(parts) => match parts.as_slice() {
            [t, c] => Expr::Column(Some(ident(t)), ident(c)),
            _ => return unsupported(format!("name {}", E::CompoundIdentifier(parts.clone()))),
        },
        E::Value(v) => match v.value {
            sp::Value::Number(n, _) => Expr::Literal(number(&n)?),
            sp::Value::SingleQuotedString(s) => Expr::Literal(Value::Text(s)),
            sp::Value::DoubleQuotedString(s) => Expr::Column(None, s),
            sp::Value::HexStringLiteral(h) => Expr::Literal(blob(&h)?),
            sp::Value::Boolean(b) => Expr::Literal(Value::Integer(i64::from(b))),
            sp::Value::Null => Expr::Literal(Value::Null),
            sp::Value::Placeholder(t) => Expr::Param(p.take(&t)?),
            other => return unsupported(format!("literal {other}")),
        },
        E::Nested(inner) => expr(*inner, p)?,
        // `-9223372036854775808` is i64::MIN, as in SQLite (the literal alone is REAL).
        E::UnaryOp {
            op: sp::UnaryOperator::Minus,
            expr: inner,
        } if is_two_to_the_63(&inner) => Expr::Literal(Value::Integer(i64::MIN)),
        E::UnaryOp { op, expr: inner } => {
            let inner = expr(*inner, p)?;
            match op {
                sp::UnaryOperator::Minus => match inner {
                    Expr::Literal(Value::Integer(i)) if i != i64::MIN => {
                        Expr::Literal(Value::Integer(-i))
                    }
                    Expr::Literal(Value::Real(r)) => Expr::Literal(Value::Real(-r)),
                    other => Expr::Neg(bx(other)),
                },
                sp::UnaryOperator::Plus => inner,
                sp::UnaryOperator::Not => Expr::Not(bx(inner)),
                other => return unsupported(format!("operator {other}")),
            }
        }
        E::BinaryOp { left, op, right } => {
            let (l, r) = (bx(expr(*left, p)?), bx(expr(*right, p)?));
            use sp::BinaryOperator as B;
            match op {
                B::Plus => Expr::Arith(ArithOp::Add, l, r),
                B::Minus => Expr::Arith(ArithOp::Sub, l, r),
                B::Multiply => Expr::Arith(ArithOp::Mul, l, r),
                B::Divide => Expr::Arith(ArithOp::Div, l, r),
                B::Modulo => Expr::Arith(ArithOp::Rem, l, r),
                B::StringConcat => Expr::Concat(l, r),
                B::Eq => Expr::Cmp(CmpOp::Eq, l, r),
                B::NotEq => Expr::Cmp(CmpOp::Ne, l, r),
                B::Lt => Expr::Cmp(CmpOp::Lt, l, r),
                B::LtEq => Expr::Cmp(CmpOp::Le, l, r),
                B::Gt => Expr::Cmp(CmpOp::Gt, l, r),
                B::GtEq => Expr::Cmp(CmpOp::Ge, l, r),
                B::And => Expr::And(l, r),
                B::Or => Expr::Or(l, r),
                other => return unsupported(format!("operator {other}")),
            }
        }
        E::IsNull(inner) => Expr::IsNull(bx(expr(*inner, p)?), false),
        E::IsNotNull(inner) => Expr::IsNull(bx(expr(*inner, p)?), true),
        E::In {
            expr: inner,
            target,
            negated,
            ..
        } => match target {
            sp::InTarget::List(list) => {
                let list = list
                    .into_iter()
                    .map(|e| expr(e, p))
                    .collect::<Result<Vec<_>>>()?;
                Expr::InList(bx(expr(*inner, p)?), list, negated)
            }
            sp::InTarget::Subquery(_) => return unsupported("IN (subquery)"),
            _ => return unsupported("IN of this form"),
        },
        E::Between {
            expr: inner,
            negated,
            low,
            high,
        } => Expr::Between(
            bx(expr(*inner, p)?),
            bx(expr(*low, p)?),
            bx(expr(*high, p)?),
            negated,
        ),
        E::Like {
            negated,
            any: false,
            expr: inner,
            pattern,
            escape_char,
        } => {
            let escape = escape_char.map(|e| expr(*e, p)).transpose()?.map(bx);
            Expr::Like(
                bx(expr(*inner, p)?),
                bx(expr(*pattern, p)?),
                escape,
                negated,
            )
        }
        E::Function(f) => call(f, p)?,
        E::Subquery(_) | E::Exists { .. } => return unsupported("a subquery"),
        E::Case { .. } => return unsupported("CASE"),
        E::Cast { .. } => return unsupported("CAST"),
        E::Collate { .. } => return unsupported("COLLATE"),
        other => {
            let text = other.to_string();
            let short: String = text.chars().take(40).collect();
            return unsupported(format!("expression {short}"));
        }
    })
}

fn call(f: sp::Function, p: &mut Params) -> Result<Expr> {
    if f.over.is_some()
        || f.filter.is_some()
        || !f.within_group.is_empty()
        || f.null_treatment.is_some()
    {
        return unsupported("a window, FILTER or WITHIN GROUP");
    }
    if !matches!(f.parameters, sp::FunctionArguments::None) {
        return unsupported("function parameters");
    }
    let name = object_name(&f.name)?.to_lowercase();
    let mut c = Call {
        name,
        args: Vec::new(),
        distinct: false,
        star: false,
    };
    match f.args {
        sp::FunctionArguments::None => {}
        sp::FunctionArguments::Subquery(_) => return unsupported("a subquery argument"),
        sp::FunctionArguments::List(list) => {
            if !list.clauses.is_empty() {
                return unsupported("function argument clauses");
            }
            c.distinct = matches!(
                list.duplicate_treatment,
                Some(sp::DuplicateTreatment::Distinct)
            );
            for a in list.args {
                match a {
                    sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => {
                        c.args.push(expr(e, p)?)
                    }
                    sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard) => c.star = true,
                    _ => return unsupported("a named or qualified-wildcard argument"),
                }
            }
        }
    }
    Ok(Expr::Call(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_names_its_position() {
        match parse("SELECT * FROM t WHERE") {
            Err(Error::Syntax { line, column, .. }) => {
                assert!(line >= 1 && column >= 1, "{line}:{column}")
            }
            other => panic!("{other:?}"),
        }
        match parse("SELECT 1;\nSELEC 2") {
            Err(Error::Syntax { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn constructs_outside_the_subset_are_named() {
        for (sql, needle) in [
            ("SELECT * FROM a LEFT JOIN b ON a.x = b.x", "LEFT JOIN"),
            ("SELECT 1 UNION SELECT 2", "UNION"),
            ("SELECT * FROM (SELECT 1)", "subquery"),
            ("WITH x AS (SELECT 1) SELECT * FROM x", "WITH"),
            ("SELECT CASE WHEN 1 THEN 2 END", "CASE"),
            ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
            ("SELECT x FROM t WHERE x IN (SELECT 1)", "IN (subquery)"),
        ] {
            match parse(sql) {
                Err(Error::Unsupported(m)) => assert!(m.contains(needle), "{sql}: {m}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_subset_parses() {
        let stmts = parse(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER NOT NULL DEFAULT 3, v TEXT, UNIQUE (v));
             CREATE UNIQUE INDEX ik ON t (k, v);
             INSERT INTO t (id, k) VALUES (1, 2), (?, ?);
             SELECT DISTINCT t.k AS kk, count(*) FROM t JOIN u ON t.id = u.id WHERE k BETWEEN 1 AND 2
               AND v LIKE 'a%' AND k IN (1, 2) AND v IS NOT NULL GROUP BY k HAVING count(*) > 1
               ORDER BY kk DESC LIMIT 10 OFFSET 2;
             UPDATE t SET k = k + 1 WHERE id = 1; DELETE FROM t WHERE id >= 5;
             BEGIN; COMMIT; ROLLBACK; EXPLAIN SELECT * FROM t; DROP INDEX ik; DROP TABLE IF EXISTS t",
        )
        .unwrap();
        assert_eq!(stmts.len(), 12);
        let Statement::CreateTable(ct) = &stmts[0] else {
            panic!()
        };
        assert_eq!(ct.primary_key, ["id"]);
        assert_eq!(ct.unique, [vec!["v".to_string()]]);
        assert!(
            matches!(&stmts[2], Statement::Insert { rows, .. } if rows[1] == [Expr::Param(0), Expr::Param(1)])
        );
    }
}
