//! `ferrolite-sql`: SQLite 1.0's tables and indexes as a domain model over the Ferrolite
//! engine, with a SQL subset, optimistic transactions and domain events (CQRS).
//!
//! ```
//! use ferrolite_sql::{Database, Value};
//! # fn main() -> ferrolite_sql::Result<()> {
//! let db = Database::in_memory();
//! db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")?;
//! db.execute("INSERT INTO t (name) VALUES ('ada'), ('grace')")?;
//! let r = db.execute("SELECT id, name FROM t WHERE id >= 2")?;
//! assert_eq!(r.rows, vec![vec![Value::Integer(2), Value::Text("grace".into())]]);
//! # Ok(()) }
//! ```
//!
//! `ARCHITECTURE.md` (the "SQL layer" part) maps the modules: the storage port
//! ([`storage`]), the key layout ([`keys`]), the catalog, rows and indexes ([`table`]),
//! optimistic transactions (`oracle`, `txn`), the SQL front end ([`sql`]) and the events
//! ([`events`]).

pub mod catalog;
mod database;
mod error;
pub mod events;
pub mod keycode;
pub mod keys;
#[cfg(feature = "test-mutants")]
pub mod mutant;
mod oracle;
mod rowid;
mod shell_format;
pub mod sql;
pub mod storage;
pub mod table;
mod txn;
pub mod value;

pub use database::{Database, Prepared, QueryResult, Session, AUTOCOMMIT_RETRIES};
pub use error::{Error, Result};
pub use events::{RowChange, RowEvent, RowEvents};
pub use txn::Txn;
pub use value::{Affinity, ColumnType, Value};
