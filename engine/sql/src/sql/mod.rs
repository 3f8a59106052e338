//! The SQL front end: parse → plan → execute.
//!
//! `parse` turns text into [`ast`] statements (sqlparser underneath); `plan` resolves names
//! and chooses [`access`] paths; `exec` runs query plans; `dml` and `ddl` change rows and
//! the catalog.

pub mod access;
pub mod aggregate;
pub mod ast;
pub mod ddl;
pub mod dml;
pub mod exec;
pub mod expr;
pub mod parse;
pub mod plan;
