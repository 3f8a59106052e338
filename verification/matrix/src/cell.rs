//! What one cell of the matrix (a row — a structure or a mutant — under one checker) came to:
//! its [`Outcome`] (passed, failed, timed out, skipped, or its build failed) and whether that
//! counts as a failure (for a mutant row: a catch).

use crate::Checker;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The outcome of one cell.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Tests passed.
    Pass {
        /// Its time.
        secs: f64,
        /// What it explored (`VERIFY-STAT` lines: histories, cases, …).
        stats: BTreeMap<String, u64>,
        /// For a map declared non-linearizable (crossbeam's adapter): the violations it showed,
        /// as expected — the count and one minimal timeline (see `xtask`'s `exec::expected`).
        expected: Option<String>,
    },
    /// Tests failed (for a mutant row: caught).
    Fail {
        /// Its time.
        secs: f64,
        /// What kind of evidence and what was seen ([`crate::reason`]).
        reason: String,
        /// The interesting part of the log: the reproduction.
        excerpt: String,
        /// The whole log.
        log: PathBuf,
    },
    /// Killed at the time limit (for a mutant row: caught — the checker did not pass).
    Timeout {
        /// Its time.
        secs: f64,
        /// The whole log.
        log: PathBuf,
    },
    /// Not run, with why.
    Skipped(String),
    /// The build it needs failed.
    BuildFailed(PathBuf),
}

/// A row of the matrix: a structure, or a seeded mutant exercised on one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The structure's name (`epoch`, or a user's map's `ConcurrentMap::name`).
    pub structure: String,
    /// The seeded mutant, if this is a mutant row.
    pub mutant: Option<RowMutant>,
}

/// The seeded mutant of a mutant row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowMutant {
    /// Its name (`relaxed_publish`).
    pub name: String,
    /// The bug it seeds, in a sentence.
    pub description: String,
}

impl Row {
    /// The row of a structure.
    pub fn structure(name: impl Into<String>) -> Row {
        Row {
            structure: name.into(),
            mutant: None,
        }
    }

    /// Its label in the matrix: `epoch`, or `epoch + relaxed_publish` for a mutant row.
    pub fn label(&self) -> String {
        match &self.mutant {
            Some(m) => format!("{} + {}", self.structure, m.name),
            None => self.structure.clone(),
        }
    }
}

/// What a cell left behind beside its verdict: a drawn counterexample and the minimal history
/// behind it (a linearizability checker's, failing or expected).
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// A web page with the counterexample drawn, relative to the report's directory.
    pub timeline: Option<PathBuf>,
    /// The minimal history, as the checker wrote it (JSON).
    pub history: Option<serde_json::Value>,
    /// With several seeds per cell (`--seeds K`): each seed and whether the cell failed (for a
    /// mutant: caught) with it. The first is the cell's outcome.
    pub seeds: Vec<(u64, bool)>,
}

impl Evidence {
    /// Whether the verdict depended on the seed: some seed failed and some passed.
    pub fn seed_dependent(&self) -> bool {
        self.seeds.iter().any(|s| s.1) && self.seeds.iter().any(|s| !s.1)
    }
}

/// One finished cell.
#[derive(Clone, Debug)]
pub struct Cell {
    /// Its row.
    pub row: Row,
    /// Its column.
    pub checker: Checker,
    /// What it came to.
    pub outcome: Outcome,
    /// Its counterexample, drawn and as data, if it has one.
    pub evidence: Evidence,
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
