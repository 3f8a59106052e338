//! The two sides: a statement run on Ferrolite (in memory, or on the engine in a temporary
//! directory) and on SQLite (rusqlite's bundled library, in memory), each giving an
//! [`Outcome`].
//!
//! Each script gets fresh databases on both sides. The engine side uses a small memtable,
//! so that flushes (and, in long scripts, compactions) happen while the script runs; the
//! counts of both are kept for the report.

use crate::script::{Kind, Stmt};
use anyhow::Context;
use ferrolite::MapKind;
use ferrolite_sql::storage::EngineStorage;
use ferrolite_sql::{Database, Session, Value};
use rusqlite::types::ValueRef;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// Where Ferrolite keeps its data during a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// The in-memory adapter (a `BTreeMap`).
    Memory,
    /// The Ferrolite engine in a temporary directory.
    Engine {
        /// The memtable's map.
        memtable: MapKind,
        /// Bytes after which a memtable is flushed.
        memtable_size: usize,
    },
}

impl Storage {
    /// The engine with memtable `kind` and a 16 KiB memtable (many flushes).
    pub fn engine(kind: MapKind) -> Storage {
        Storage::Engine {
            memtable: kind,
            memtable_size: 16 << 10,
        }
    }
}

impl fmt::Display for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Storage::Memory => f.pad("memory"),
            Storage::Engine { memtable, .. } => f.pad(&format!("engine/{memtable}")),
        }
    }
}

/// What a statement gave.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// A query's rows.
    Rows(Vec<Vec<Value>>),
    /// Rows inserted, updated or deleted.
    Affected(u64),
    /// Success without a result (DDL, transaction control).
    Done,
    /// An error, with its message.
    Error(String),
    /// Ferrolite panicked (a bug whatever SQLite says), with the panic's message.
    Panic(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Rows(rows) => {
                write!(
                    f,
                    "{} row{}",
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" }
                )?;
                for r in rows.iter().take(12) {
                    let vals: Vec<String> = r.iter().map(show).collect();
                    write!(f, "\n    ({})", vals.join(", "))?;
                }
                if rows.len() > 12 {
                    write!(f, "\n    …")?;
                }
                Ok(())
            }
            Outcome::Affected(n) => write!(f, "{n} row(s) affected"),
            Outcome::Done => f.write_str("ok"),
            Outcome::Error(e) => write!(f, "error: {e}"),
            Outcome::Panic(e) => write!(f, "PANIC: {e}"),
        }
    }
}

/// A value as the report shows it: its SQL literal, reals with every digit.
pub fn show(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => crate::values::real_sql(*r),
        Value::Text(s) => crate::values::text_sql(s),
        Value::Blob(b) => crate::values::blob_sql(b),
    }
}

/// Ferrolite's side: a database and one session on it.
pub struct Ferrolite {
    // Field order is drop order: the session and database before the engine and its directory.
    session: Session,
    engine: Option<Arc<ferrolite::Db>>,
    _dir: Option<tempfile::TempDir>,
}

impl Ferrolite {
    /// A fresh, empty database on `storage`.
    pub fn open(storage: Storage) -> anyhow::Result<Ferrolite> {
        match storage {
            Storage::Memory => Ok(Ferrolite {
                session: Database::in_memory().session(),
                engine: None,
                _dir: None,
            }),
            Storage::Engine {
                memtable,
                memtable_size,
            } => {
                let dir = tempfile::tempdir().context("a temporary directory for the engine")?;
                let options = ferrolite::Options::default()
                    .memtable(memtable)
                    .memtable_size(memtable_size);
                let db = Arc::new(
                    ferrolite::Db::open(dir.path(), options).context("opening the engine")?,
                );
                let storage = Arc::new(EngineStorage::new(db.clone()));
                let database = Database::with_storage(storage).context("the SQL database")?;
                Ok(Ferrolite {
                    session: database.session(),
                    engine: Some(db),
                    _dir: Some(dir),
                })
            }
        }
    }

    /// Run one statement; a panic becomes [`Outcome::Panic`].
    pub fn run(&mut self, stmt: &Stmt) -> Outcome {
        let sql = stmt.sql();
        let session = &mut self.session;
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| session.execute(&sql)));
        let result = match result {
            Ok(r) => r,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".into());
                return Outcome::Panic(msg);
            }
        };
        match result {
            Ok(r) => match stmt.kind {
                Kind::Query { .. } => Outcome::Rows(r.rows),
                Kind::Insert | Kind::Update | Kind::Delete => Outcome::Affected(r.rows_affected),
                _ => Outcome::Done,
            },
            Err(e) => Outcome::Error(e.to_string()),
        }
    }

    /// Flushes and compactions the engine ran so far (zeros in memory).
    pub fn engine_work(&self) -> (u64, u64) {
        match &self.engine {
            Some(db) => {
                let s = db.stats();
                (s.flushes, s.compactions)
            }
            None => (0, 0),
        }
    }
}

/// SQLite's side: an in-memory connection.
pub struct Sqlite {
    conn: rusqlite::Connection,
}

/// A SQLite value as ours. Text that is not UTF-8 — SQLite keeps a blob's bytes in `||`,
/// Ferrolite replaces them (a deliberate rule) — is read with the same replacement; the
/// generator makes no such text.
pub fn value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl Sqlite {
    /// A fresh in-memory database.
    pub fn open() -> anyhow::Result<Sqlite> {
        Ok(Sqlite {
            conn: rusqlite::Connection::open_in_memory().context("opening SQLite")?,
        })
    }

    fn try_run(&self, stmt: &Stmt) -> rusqlite::Result<Outcome> {
        let mut st = self.conn.prepare(&stmt.sqlite_sql())?;
        let n = st.column_count();
        if n > 0 {
            let mut rows = st.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(
                    (0..n)
                        .map(|i| row.get_ref(i).map(value))
                        .collect::<rusqlite::Result<Vec<_>>>()?,
                );
            }
            return Ok(Outcome::Rows(out));
        }
        let changed = st.execute([])?;
        Ok(match stmt.kind {
            Kind::Insert | Kind::Update | Kind::Delete => Outcome::Affected(changed as u64),
            _ => Outcome::Done,
        })
    }

    /// Run one statement.
    pub fn run(&mut self, stmt: &Stmt) -> Outcome {
        self.try_run(stmt)
            .unwrap_or_else(|e| Outcome::Error(e.to_string()))
    }
}
