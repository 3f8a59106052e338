//! A differential run: many seeded scripts on Ferrolite and SQLite, a report, and each
//! mismatch shrunk to a minimal script.
//!
//! Script `i` of a run with seed `s` is generated from seed `s + i`, so `--seed s+i
//! --scripts 1` runs that one script again. A script stops at its first mismatch (the two
//! databases differ from there on); the mismatch is shrunk and the run goes on with the next
//! script, until [`Config::max_mismatches`] are found.

use crate::exec::Storage;
use crate::script::{self, sql_text, GenOptions, Stmt};
use crate::shrink::{run_statements, shrink};
use ferrolite_sql::mutant::{self, Mutant};
use std::fmt;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The seed of the first script (script `i` has seed `seed + i`).
    pub seed: u64,
    /// How many scripts.
    pub scripts: usize,
    /// Statements per script (about: a transaction group may end a little after).
    pub statements: usize,
    /// Where Ferrolite keeps its data.
    pub storage: Storage,
    /// A seeded planner bug to activate for the run (process-wide: see
    /// [`ferrolite_sql::mutant::activate`]); `None` runs the correct planner.
    pub mutant: Option<Mutant>,
    /// Stop after this many mismatches.
    pub max_mismatches: usize,
    /// Shrink mismatches, with at most this many re-runs each (0: do not shrink).
    pub shrink_budget: usize,
    /// The generator's switches.
    pub generator: GenOptions,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 0,
            scripts: 50,
            statements: 100,
            storage: Storage::Memory,
            mutant: None,
            max_mismatches: 5,
            shrink_budget: 3000,
            generator: GenOptions::default(),
        }
    }
}

/// A statement on which Ferrolite and SQLite disagree.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// The seed of the script.
    pub seed: u64,
    /// The statement's position in the script (0-based).
    pub statement: usize,
    /// The statement.
    pub sql: String,
    /// Ferrolite's outcome.
    pub ferrolite: String,
    /// SQLite's outcome.
    pub sqlite: String,
    /// The shrunk script; its last statement mismatches.
    pub minimal: Vec<Stmt>,
    /// Ferrolite's outcome of the shrunk script's last statement.
    pub minimal_ferrolite: String,
    /// SQLite's outcome of the shrunk script's last statement.
    pub minimal_sqlite: String,
}

impl Mismatch {
    /// The shrunk script as SQL text (one statement a line).
    pub fn minimal_sql(&self) -> String {
        sql_text(&self.minimal)
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "mismatch in script seed {} at statement {}: {}",
            self.seed, self.statement, self.sql
        )?;
        writeln!(f, "  ferrolite: {}", self.ferrolite)?;
        writeln!(f, "  sqlite:    {}", self.sqlite)?;
        writeln!(
            f,
            "minimal script ({} statements; SQLite runs each CREATE TABLE as STRICT):",
            self.minimal.len()
        )?;
        for line in self.minimal_sql().lines() {
            writeln!(f, "  {line}")?;
        }
        writeln!(f, "  -- ferrolite: {}", self.minimal_ferrolite)?;
        write!(f, "  -- sqlite:    {}", self.minimal_sqlite)
    }
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The storage, as a label (`memory`, `engine/epoch`).
    pub storage: String,
    /// Scripts run.
    pub scripts: usize,
    /// Statements run (on each side).
    pub statements: u64,
    /// Queries among them.
    pub queries: u64,
    /// Statements that failed on both sides (constraint violations, type errors…).
    pub errors: u64,
    /// Rows the queries returned (and that were compared).
    pub rows: u64,
    /// Mismatches found (each shrunk).
    pub mismatches: Vec<Mismatch>,
    /// Engine flushes during the scripts (0 in memory).
    pub flushes: u64,
    /// Engine compactions during the scripts (0 in memory).
    pub compactions: u64,
    /// Time taken (shrinking included).
    pub elapsed: Duration,
}

/// Run `config`.
pub fn run(config: &Config) -> anyhow::Result<Report> {
    run_with(config, &mut |_| {})
}

/// Restores "no mutant" when a run ends, even by an error or a panic.
struct MutantGuard;

impl Drop for MutantGuard {
    fn drop(&mut self) {
        mutant::activate(None);
    }
}

/// Run `config`, calling `progress` after each script with the report so far.
pub fn run_with(config: &Config, progress: &mut dyn FnMut(&Report)) -> anyhow::Result<Report> {
    let start = Instant::now();
    mutant::activate(config.mutant);
    let _guard = MutantGuard;
    let mut report = Report {
        storage: config.storage.to_string(),
        ..Report::default()
    };
    for i in 0..config.scripts {
        if report.mismatches.len() >= config.max_mismatches {
            break;
        }
        let seed = config.seed.wrapping_add(i as u64);
        let script = script::generate(seed, config.statements, &config.generator);
        let run = run_statements(&script.stmts, config.storage)?;
        report.scripts += 1;
        report.statements += run.executed as u64;
        report.queries += run.queries as u64;
        report.errors += run.errors as u64;
        report.rows += run.rows;
        report.flushes += run.flushes;
        report.compactions += run.compactions;
        if let Some((at, ours, theirs)) = run.mismatch {
            let failing = &script.stmts[..=at];
            let (minimal, mo, mt) = if config.shrink_budget > 0 {
                shrink(failing, config.storage, config.shrink_budget)?
            } else {
                (failing.to_vec(), ours.clone(), theirs.clone())
            };
            report.mismatches.push(Mismatch {
                seed,
                statement: at,
                sql: script.stmts[at].sql(),
                ferrolite: ours.to_string(),
                sqlite: theirs.to_string(),
                minimal,
                minimal_ferrolite: mo.to_string(),
                minimal_sqlite: mt.to_string(),
            });
        }
        report.elapsed = start.elapsed();
        progress(&report);
    }
    report.elapsed = start.elapsed();
    Ok(report)
}
