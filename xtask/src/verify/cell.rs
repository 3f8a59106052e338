//! What one cell of the matrix (a row — a structure or a mutant — under one checker) came to:
//! its [`Outcome`] (passed, failed, timed out, skipped, or its build failed) and whether that
//! counts as a failure (for a mutant row: a catch).

use super::plan::{Checker, Row};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The outcome of one cell.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Tests passed.
    Pass {
        secs: f64,
        stats: BTreeMap<String, u64>,
        /// For a map declared non-linearizable (crossbeam's adapter): the violations it showed,
        /// as expected — the count and one minimal timeline (see [`super::exec::expected`]).
        expected: Option<String>,
    },
    /// Tests failed (for a mutant row: caught).
    Fail {
        secs: f64,
        reason: String,
        excerpt: String,
        log: PathBuf,
    },
    /// Killed at the time limit (for a mutant row: caught — the checker did not pass).
    Timeout { secs: f64, log: PathBuf },
    /// Not run, with why.
    Skipped(String),
    /// The build it needs failed.
    BuildFailed(PathBuf),
}

/// One finished cell.
#[derive(Clone, Debug)]
pub struct Cell {
    pub row: Row,
    pub checker: Checker,
    pub outcome: Outcome,
}

impl Cell {
    /// For a real structure: did it fail? For a mutant: was it caught?
    pub fn failed(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Fail { .. } | Outcome::Timeout { .. } | Outcome::BuildFailed(_)
        )
    }
}
