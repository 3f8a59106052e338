//! [`Database`] and [`Session`]: the SQL layer's entry points.
//!
//! A `Database` is shared (clone it, or put it in an `Arc`); a [`Session`] is one client's
//! connection: it holds the explicit transaction between `BEGIN` and `COMMIT`/`ROLLBACK`.
//! A statement outside `BEGIN` is its own transaction and, on a [`Error::Conflict`], is run
//! again on a fresh snapshot (up to [`AUTOCOMMIT_RETRIES`] times) — the statement is whole in
//! our hands, so SQLite's promise that a lone statement does not fail for concurrency is
//! kept. Inside `BEGIN`, a failed statement is undone and the transaction goes on (as in
//! SQLite); a conflict at `COMMIT` ends it with nothing applied.
//!
//! Queries read the transaction's snapshot and never wait for writers. Commits of different
//! transactions run in parallel (see `oracle`); DDL waits for running commits and blocks new
//! ones while it works (the schema lock).

use crate::catalog::Catalog;
use crate::events::{self, RowEvents};
use crate::keys;
use crate::oracle::Oracle;
use crate::rowid::Rowids;
use crate::sql::ast::Statement;
use crate::sql::dml::{self, Ctx};
use crate::sql::{ddl, exec, parse, plan};
use crate::storage::{EngineStorage, MemStorage, Storage, Write};
use crate::txn::Txn;
use crate::{keycode, Error, Result, Value};
use ferrolite::Bytes;
use std::path::Path;
use std::sync::{Arc, RwLock};

/// How many times a lone statement is run again after a conflict.
pub const AUTOCOMMIT_RETRIES: usize = 64;

/// The result of a statement.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryResult {
    /// Column names (empty for statements that return no rows).
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Value>>,
    /// Rows inserted, updated or deleted.
    pub rows_affected: u64,
}

impl QueryResult {
    fn affected(n: u64) -> Self {
        QueryResult {
            rows_affected: n,
            ..Default::default()
        }
    }

    /// The rows as an aligned text table (what the shell prints).
    pub fn to_table(&self) -> String {
        crate::shell_format::table(&self.columns, &self.rows)
    }
}

struct Shared {
    storage: Arc<dyn Storage>,
    oracle: Oracle,
    catalog: RwLock<Arc<Catalog>>,
    schema: RwLock<()>,
    rowids: Rowids,
}

/// A SQL database over a storage adapter.
#[derive(Clone)]
pub struct Database {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("storage", &self.shared.storage.name())
            .finish()
    }
}

/// A prepared statement: parsed once, run with `?` parameters.
#[derive(Clone, Debug)]
pub struct Prepared {
    statement: Statement,
    params: usize,
}

impl Prepared {
    /// How many parameters it takes.
    pub fn param_count(&self) -> usize {
        self.params
    }

    /// Whether it only reads: a SELECT, or an EXPLAIN (run outside BEGIN, it commits nothing
    /// and never waits for a writer; a server may run it without a thread hand-off).
    pub fn is_query(&self) -> bool {
        matches!(self.statement, Statement::Select(_) | Statement::Explain(_))
    }
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

impl Database {
    /// Open (or create) a database in directory `path` on the Ferrolite engine.
    pub fn open(path: impl AsRef<Path>, options: ferrolite::Options) -> Result<Database> {
        Database::with_storage(Arc::new(EngineStorage::open(path, options)?))
    }

    /// A database in memory (the `BTreeMap` adapter).
    pub fn in_memory() -> Database {
        // Loading the catalog of an empty map cannot fail.
        Database::with_storage(Arc::new(MemStorage::new())).unwrap_or_else(|_| unreachable!())
    }

    /// A database over any storage adapter; reads the catalog.
    pub fn with_storage(storage: Arc<dyn Storage>) -> Result<Database> {
        let catalog = Catalog::load(storage.read_view()?.as_ref())?;
        Ok(Database {
            shared: Arc::new(Shared {
                storage,
                oracle: Oracle::default(),
                catalog: RwLock::new(Arc::new(catalog)),
                schema: RwLock::new(()),
                rowids: Rowids::default(),
            }),
        })
    }

    /// The storage underneath.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.shared.storage
    }

    /// The current catalog.
    pub fn catalog(&self) -> Arc<Catalog> {
        read(&self.shared.catalog).clone()
    }

    /// A new session (a connection).
    pub fn session(&self) -> Session {
        Session {
            db: self.clone(),
            open: None,
        }
    }

    /// Run SQL text (one or more statements) in a new session; the last statement's result.
    pub fn execute(&self, sql: &str) -> Result<QueryResult> {
        self.session().execute(sql)
    }

    /// Parse one statement with `?` parameters.
    pub fn prepare(&self, sql: &str) -> Result<Prepared> {
        let (statement, params) = parse::parse_one(sql)?;
        Ok(Prepared { statement, params })
    }

    /// Parse SQL text of one or more statements into prepared statements, to be run one by
    /// one with [`Session::execute_prepared`] (each statement's result, not only the last).
    /// An empty text is no statement.
    pub fn prepare_script(&self, sql: &str) -> Result<Vec<Prepared>> {
        Ok(parse::parse_script(sql)?
            .into_iter()
            .map(|(statement, params)| Prepared { statement, params })
            .collect())
    }

    /// Row events of `table` from sequence number `from` on: replayed, then live. See
    /// [`crate::events`].
    pub fn subscribe(&self, table: &str, from: u64) -> Result<RowEvents> {
        let t = self.catalog().table(table)?.clone();
        events::subscribe(self.shared.storage.as_ref(), t, from)
    }

    fn begin(&self) -> Result<(Txn, Arc<Catalog>)> {
        let ticket = self.shared.oracle.begin();
        let catalog = self.catalog();
        match self.shared.storage.read_view() {
            Ok(view) => Ok((Txn::new(ticket, view), catalog)),
            Err(e) => {
                self.shared.oracle.finish(ticket);
                Err(e)
            }
        }
    }

    fn abandon(&self, txn: Txn) {
        if let Some(t) = txn.into_parts().ticket {
            self.shared.oracle.finish(t);
        }
    }

    fn commit(&self, txn: Txn) -> Result<()> {
        let parts = txn.into_parts();
        let Some(ticket) = parts.ticket else {
            return Ok(());
        };
        if parts.writes.is_empty() {
            self.shared.oracle.finish(ticket);
            return Ok(());
        }
        let _schema = read(&self.shared.schema);
        let written: Vec<Bytes> = parts.writes.keys().cloned().collect();
        let mut batch: Vec<Write> = parts.writes.into_iter().collect();
        if !parts.before.is_empty() {
            batch.push((
                keys::undo().into(),
                Some(events::encode_before(&parts.before).into()),
            ));
        }
        for t in &parts.auto_rowid {
            if let Some(m) = parts.rowid_max.get(t) {
                let mut v = Vec::new();
                keycode::encode_key(&[Value::Integer(*m)], &mut v);
                batch.push((keys::rowid_mark(*t).into(), Some(v.into())));
            }
        }
        let storage = &self.shared.storage;
        // Naming the key takes the catalog: only when there is a conflict to report.
        let name = |key: &[u8]| name_key(&self.catalog(), key);
        self.shared.oracle.commit(
            ticket,
            parts.reads.iter().map(|k| k.as_ref()),
            written,
            &name,
            || storage.write(batch),
        )?;
        self.shared.rowids.committed(&parts.rowid_max);
        Ok(())
    }

    /// Apply a catalog change (under the exclusive schema lock, held by the caller).
    fn apply_change(&self, change: ddl::Change) -> Result<()> {
        let ticket = self.shared.oracle.begin();
        let written: Vec<Bytes> = change.writes.iter().map(|(k, _)| k.clone()).collect();
        let storage = &self.shared.storage;
        self.shared
            .oracle
            .commit(ticket, [], written, &|_| None, || {
                storage.write(change.writes)
            })?;
        *write(&self.shared.catalog) = Arc::new(change.catalog);
        ddl::collect_garbage(storage.as_ref(), &change.garbage)
    }

    fn ddl(&self, stmt: &Statement) -> Result<QueryResult> {
        let _schema = write(&self.shared.schema);
        let catalog = self.catalog();
        let change = match stmt {
            Statement::CreateTable(ct) => ddl::create_table(&catalog, ct)?,
            Statement::DropTable { name, if_exists } => {
                let change = ddl::drop_table(&catalog, name, *if_exists)?;
                if let Ok(t) = catalog.table(name) {
                    self.shared.rowids.forget(t.id);
                }
                change
            }
            Statement::DropIndex { name, if_exists } => {
                ddl::drop_index(&catalog, name, *if_exists)?
            }
            Statement::CreateIndex {
                name,
                table,
                columns,
                unique,
                if_not_exists,
            } => {
                if *if_not_exists && catalog.index(name).is_some() {
                    return Ok(QueryResult::default());
                }
                let (t, ix, next) = ddl::new_index(&catalog, name, table, columns, *unique)?;
                self.shared.storage.write(vec![ddl::reserve(next)?])?;
                ddl::backfill(self.shared.storage.as_ref(), &t, &ix)?;
                Some(ddl::publish_index(&catalog, t, ix, next)?)
            }
            _ => return Err(Error::Unsupported("not a DDL statement".into())),
        };
        if let Some(change) = change {
            self.apply_change(change)?;
        }
        Ok(QueryResult::default())
    }
}

/// Wait before running a lone statement again after its `attempt`-th conflict: a yield at
/// first, then a random sleep whose bound doubles (to 4 ms), so that writers racing for one
/// row stop colliding in lock step.
fn backoff(attempt: usize) {
    if attempt < 3 {
        std::thread::yield_now();
        return;
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_usize(attempt);
    let bound_us = 1u64 << attempt.min(12);
    std::thread::sleep(std::time::Duration::from_micros(h.finish() % bound_us));
}

/// A key in words for a conflict message: the table (or index) it belongs to, by name.
fn name_key(catalog: &Catalog, key: &[u8]) -> Option<String> {
    let rest = key.strip_prefix(keys::RESERVED_PREFIX)?;
    let id = u32::from_be_bytes(rest.get(1..5)?.try_into().ok()?);
    match rest.first()? {
        b't' => catalog
            .table_by_id(id)
            .map(|t| format!("a row of table {}", t.name)),
        b'i' => catalog.tables().find_map(|t| {
            t.indexes
                .iter()
                .find(|ix| ix.id == id)
                .map(|ix| format!("an entry of index {} on table {}", ix.name, t.name))
        }),
        _ => None,
    }
}

/// One client's connection: runs statements, holds an explicit transaction.
pub struct Session {
    db: Database,
    open: Option<(Txn, Arc<Catalog>)>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("in_transaction", &self.open.is_some())
            .finish()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some((txn, _)) = self.open.take() {
            self.db.abandon(txn);
        }
    }
}

impl Session {
    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Whether a `BEGIN` is open.
    pub fn in_transaction(&self) -> bool {
        self.open.is_some()
    }

    /// Run SQL text (one or more statements); the last statement's result. Statements run
    /// in order and the first error stops the rest.
    pub fn execute(&mut self, sql: &str) -> Result<QueryResult> {
        let stmts = parse::parse(sql)?;
        let mut last = QueryResult::default();
        for s in &stmts {
            last = self.run(s, &[])?;
        }
        Ok(last)
    }

    /// Run a prepared statement with parameters.
    pub fn execute_prepared(&mut self, p: &Prepared, params: &[Value]) -> Result<QueryResult> {
        if params.len() != p.params {
            return Err(Error::Eval(format!(
                "{} parameters given, {} expected",
                params.len(),
                p.params
            )));
        }
        self.run(&p.statement, params)
    }

    fn run(&mut self, stmt: &Statement, params: &[Value]) -> Result<QueryResult> {
        match stmt {
            Statement::Begin => {
                if self.open.is_some() {
                    return Err(Error::Transaction(
                        "cannot start a transaction within a transaction".into(),
                    ));
                }
                self.open = Some(self.db.begin()?);
                Ok(QueryResult::default())
            }
            Statement::Commit => match self.open.take() {
                None => Err(Error::Transaction(
                    "cannot commit - no transaction is active".into(),
                )),
                Some((txn, _)) => self.db.commit(txn).map(|_| QueryResult::default()),
            },
            Statement::Rollback => match self.open.take() {
                None => Err(Error::Transaction(
                    "cannot rollback - no transaction is active".into(),
                )),
                Some((txn, _)) => {
                    self.db.abandon(txn);
                    Ok(QueryResult::default())
                }
            },
            Statement::CreateTable(_)
            | Statement::DropTable { .. }
            | Statement::CreateIndex { .. }
            | Statement::DropIndex { .. } => {
                if self.open.is_some() {
                    return Err(Error::Transaction(
                        "DDL inside a transaction is not supported".into(),
                    ));
                }
                self.db.ddl(stmt)
            }
            Statement::Explain(inner) => self.explain(inner, params),
            _ => {
                if let Some((txn, catalog)) = self.open.as_mut() {
                    txn.begin_statement();
                    let r = run_in(&self.db, txn, catalog, stmt, params);
                    if r.is_err() {
                        txn.rollback_statement();
                    }
                    return r;
                }
                let mut attempt = 0;
                loop {
                    let (txn, catalog) = self.db.begin()?;
                    // A lone SELECT commits nothing, so nothing checks what it read: it
                    // records no read set (an allocation per row read, on the hot path).
                    let mut txn = if matches!(stmt, Statement::Select(_)) {
                        txn.untracked()
                    } else {
                        txn
                    };
                    let r = run_in(&self.db, &mut txn, &catalog, stmt, params);
                    let r = match r {
                        Ok(res) => self.db.commit(txn).map(|_| res),
                        Err(e) => {
                            self.db.abandon(txn);
                            Err(e)
                        }
                    };
                    match r {
                        Err(Error::Conflict(_)) if attempt < AUTOCOMMIT_RETRIES => {
                            attempt += 1;
                            backoff(attempt);
                        }
                        other => return other,
                    }
                }
            }
        }
    }

    fn explain(&mut self, stmt: &Statement, params: &[Value]) -> Result<QueryResult> {
        let catalog = match &self.open {
            Some((_, c)) => c.clone(),
            None => self.db.catalog(),
        };
        let ctx = Ctx {
            catalog: &catalog,
            storage: self.db.shared.storage.as_ref(),
            rowids: &self.db.shared.rowids,
            params,
        };
        let lines = match stmt {
            Statement::Select(sel) => plan::plan_select(sel, &catalog, params)?.explain(),
            Statement::Update { table, filter, .. } => vec![
                format!("UPDATE {table}"),
                format!("  {}", dml::explain_target(&ctx, table, filter.as_ref())?),
            ],
            Statement::Delete { table, filter } => vec![
                format!("DELETE FROM {table}"),
                format!("  {}", dml::explain_target(&ctx, table, filter.as_ref())?),
            ],
            Statement::Insert { table, rows, .. } => {
                catalog.table(table)?;
                vec![format!("INSERT INTO {table} ({} rows)", rows.len())]
            }
            other => vec![format!("{other:?}").chars().take(60).collect()],
        };
        Ok(QueryResult {
            columns: vec!["plan".into()],
            rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
            rows_affected: 0,
        })
    }
}

fn run_in(
    db: &Database,
    txn: &mut Txn,
    catalog: &Catalog,
    stmt: &Statement,
    params: &[Value],
) -> Result<QueryResult> {
    let ctx = Ctx {
        catalog,
        storage: db.shared.storage.as_ref(),
        rowids: &db.shared.rowids,
        params,
    };
    let note_table = |txn: &mut Txn, name: &str| txn.note_read(keys::catalog(name));
    match stmt {
        Statement::Select(sel) => {
            if let Some(from) = &sel.from {
                note_table(txn, &from.table.name);
                if let Some((j, _)) = &from.join {
                    note_table(txn, &j.name);
                }
            }
            let plan = plan::plan_select(sel, catalog, params)?;
            let rows = exec::run_query(txn, &plan)?;
            Ok(QueryResult {
                columns: plan.names,
                rows,
                rows_affected: 0,
            })
        }
        Statement::Insert {
            table,
            columns,
            rows,
        } => {
            note_table(txn, table);
            Ok(QueryResult::affected(dml::insert(
                &ctx, txn, table, columns, rows,
            )?))
        }
        Statement::Update { table, set, filter } => {
            note_table(txn, table);
            Ok(QueryResult::affected(dml::update(
                &ctx,
                txn,
                table,
                set,
                filter.as_ref(),
            )?))
        }
        Statement::Delete { table, filter } => {
            note_table(txn, table);
            Ok(QueryResult::affected(dml::delete(
                &ctx,
                txn,
                table,
                filter.as_ref(),
            )?))
        }
        _ => Err(Error::Unsupported("statement here".into())),
    }
}
