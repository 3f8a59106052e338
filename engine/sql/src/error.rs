//! One error type for the SQL layer: every bad input is a typed variant, never a panic.
//!
//! Parse errors carry the position sqlparser reports; constructs outside the subset are
//! [`Error::Unsupported`] naming the construct; constraint violations name the table and
//! column or index; an optimistic transaction that lost a race is [`Error::Conflict`], and
//! nothing of it was applied.

/// The SQL layer's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the SQL layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SQL text does not parse; `line` and `column` are 1-based (0 when unknown).
    #[error("syntax error at line {line}, column {column}: {message}")]
    Syntax {
        /// What the parser expected or found.
        message: String,
        /// 1-based line of the error.
        line: u64,
        /// 1-based column of the error.
        column: u64,
    },
    /// Valid SQL outside the subset Ferrolite implements.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A table, column, index or function that does not exist, or an ambiguous name.
    #[error("{0}")]
    Name(String),
    /// `CREATE TABLE`/`CREATE INDEX` of a name that exists.
    #[error("{kind} {name} already exists")]
    Exists {
        /// `table` or `index`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// A schema that cannot be built (no columns, duplicate column, bad default, …).
    #[error("invalid schema: {0}")]
    Schema(String),
    /// A UNIQUE index or the primary key already holds the value.
    #[error("UNIQUE constraint failed: {0}")]
    Unique(String),
    /// NULL written to a NOT NULL column (`table.column`).
    #[error("NOT NULL constraint failed: {0}")]
    NotNull(String),
    /// A value of the wrong type for a column.
    #[error("type mismatch: {column} is {expected}, got {got}")]
    TypeMismatch {
        /// `table.column`.
        column: String,
        /// The column's declared type.
        expected: &'static str,
        /// The value's type.
        got: &'static str,
    },
    /// An expression that cannot be evaluated (integer overflow in SUM, wrong argument count…).
    #[error("{0}")]
    Eval(String),
    /// The optimistic transaction read or wrote a key that another transaction changed after
    /// this one's snapshot; nothing of it was applied.
    #[error("transaction conflict: {0}")]
    Conflict(String),
    /// `BEGIN` inside a transaction, `COMMIT`/`ROLLBACK` outside one, DDL inside one, …
    #[error("transaction: {0}")]
    Transaction(String),
    /// Stored data that does not decode (a damaged catalog entry, row or index key).
    #[error("corrupt {what}: {detail}")]
    Corrupt {
        /// What was being decoded.
        what: &'static str,
        /// Why it failed.
        detail: String,
    },
    /// A change-feed subscription asked for history that has left the log.
    #[error("feed: events from {from} are no longer in the log; the oldest available is {available_from}")]
    FeedGap {
        /// The first sequence number asked for.
        from: u64,
        /// The first one the log still holds.
        available_from: u64,
    },
    /// A change-feed subscriber fell behind and events were dropped.
    #[error("feed: the subscriber fell behind: events {missed_from}..={missed_to} were dropped; subscribe again from {missed_from}")]
    FeedLagged {
        /// First sequence number dropped.
        missed_from: u64,
        /// Last sequence number dropped (inclusive).
        missed_to: u64,
    },
    /// An error of the storage underneath (the engine's, for the engine adapter).
    #[error("storage: {0}")]
    Storage(#[from] ferrolite::Error),
}

impl Error {
    /// A [`Error::Corrupt`] error.
    pub fn corrupt(what: &'static str, detail: impl std::fmt::Display) -> Self {
        Error::Corrupt {
            what,
            detail: detail.to_string(),
        }
    }
}
