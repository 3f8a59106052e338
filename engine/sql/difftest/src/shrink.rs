//! Running statements on both sides, and shrinking a mismatching script to a minimal one.
//!
//! [`run_statements`] runs statements in order on fresh databases and stops at the first
//! statement whose outcomes disagree. [`shrink`] takes a script whose *last* statement is
//! its first mismatch and removes what it can while that stays true (each candidate re-run
//! from scratch): chunks of statements, halving the chunk size down to single statements
//! (delta debugging), then single rows of multi-row INSERTs, then clauses of queries,
//! UPDATEs and DELETEs ([`crate::simplify`]), until nothing more goes. The
//! statements a mismatch needs — the tables, the rows, the index — stay because removing
//! them makes the mismatch disappear; a candidate whose first mismatch moves to another
//! statement is rejected, so the shrunk script shows the same difference.

use crate::compare::agree;
use crate::exec::{Ferrolite, Outcome, Sqlite, Storage};
use crate::script::Stmt;
use crate::simplify;

/// What running statements on both sides gave.
#[derive(Debug, Default)]
pub struct Run {
    /// Statements run.
    pub executed: usize,
    /// Queries among them.
    pub queries: usize,
    /// Statements that failed on both sides (agreeing).
    pub errors: usize,
    /// Rows the agreeing queries returned.
    pub rows: u64,
    /// The first mismatch: its position, Ferrolite's outcome, SQLite's.
    pub mismatch: Option<(usize, Outcome, Outcome)>,
    /// Flushes the engine ran (0 in memory).
    pub flushes: u64,
    /// Compactions the engine ran (0 in memory).
    pub compactions: u64,
}

/// Run `stmts` in order on fresh databases, up to the first mismatch.
pub fn run_statements(stmts: &[Stmt], storage: Storage) -> anyhow::Result<Run> {
    let mut ours = Ferrolite::open(storage)?;
    let mut theirs = Sqlite::open()?;
    let mut run = Run::default();
    for (i, s) in stmts.iter().enumerate() {
        let a = ours.run(s);
        let b = theirs.run(s);
        run.executed += 1;
        run.queries += usize::from(s.is_query());
        if !agree(&s.kind, &a, &b) {
            run.mismatch = Some((i, a, b));
            break;
        }
        match b {
            Outcome::Error(_) => run.errors += 1,
            Outcome::Rows(r) => run.rows += r.len() as u64,
            _ => {}
        }
    }
    (run.flushes, run.compactions) = ours.engine_work();
    Ok(run)
}

/// Run every statement of `stmts` on fresh databases: each one's two outcomes and whether
/// they agree (the run goes on past mismatches; to replay a script by hand).
pub fn replay(stmts: &[Stmt], storage: Storage) -> anyhow::Result<Vec<(Outcome, Outcome, bool)>> {
    let mut ours = Ferrolite::open(storage)?;
    let mut theirs = Sqlite::open()?;
    Ok(stmts
        .iter()
        .map(|s| {
            let (a, b) = (ours.run(s), theirs.run(s));
            let ok = agree(&s.kind, &a, &b);
            (a, b, ok)
        })
        .collect())
}

struct Shrinker {
    storage: Storage,
    budget: usize,
    runs: usize,
}

impl Shrinker {
    /// Whether `c`'s first mismatch is its last statement (no run left: assume not).
    fn fails(&mut self, c: &[Stmt]) -> anyhow::Result<bool> {
        if self.runs >= self.budget || c.is_empty() {
            return Ok(false);
        }
        self.runs += 1;
        let run = run_statements(c, self.storage)?;
        Ok(matches!(run.mismatch, Some((i, ..)) if i + 1 == c.len()))
    }

    /// Remove chunks of the statements before the last, halving the chunk size.
    fn statements(&mut self, cur: &mut Vec<Stmt>) -> anyhow::Result<bool> {
        let mut changed = false;
        let mut chunk = (cur.len() / 2).max(1);
        loop {
            let mut start = 0;
            while start + 1 < cur.len() {
                let end = (start + chunk).min(cur.len() - 1);
                let candidate: Vec<Stmt> =
                    cur[..start].iter().chain(&cur[end..]).cloned().collect();
                if self.fails(&candidate)? {
                    *cur = candidate;
                    changed = true;
                } else {
                    start = end;
                }
            }
            if chunk == 1 {
                return Ok(changed);
            }
            chunk = chunk.div_ceil(2);
        }
    }

    /// Replace statements by simpler variants ([`crate::simplify`]).
    fn clauses(&mut self, cur: &mut [Stmt]) -> anyhow::Result<bool> {
        let mut changed = false;
        for i in 0..cur.len() {
            'again: loop {
                for variant in simplify::simpler(&cur[i]) {
                    let mut candidate = cur.to_vec();
                    candidate[i] = variant;
                    if self.fails(&candidate)? {
                        cur[i] = candidate.swap_remove(i);
                        changed = true;
                        continue 'again;
                    }
                }
                break;
            }
        }
        Ok(changed)
    }

    /// Remove single rows of multi-row INSERTs.
    fn rows(&mut self, cur: &mut [Stmt]) -> anyhow::Result<bool> {
        let mut changed = false;
        for i in 0..cur.len() {
            let mut j = 0;
            while cur[i].rows.len() > 1 && j < cur[i].rows.len() {
                let mut candidate = cur.to_vec();
                candidate[i].rows.remove(j);
                if self.fails(&candidate)? {
                    cur[i] = candidate.swap_remove(i);
                    changed = true;
                } else {
                    j += 1;
                }
            }
        }
        Ok(changed)
    }
}

/// Shrink `stmts`, whose last statement is its first mismatch, within `budget` re-runs.
/// Gives the minimal statements and the two outcomes of the last one.
pub fn shrink(
    stmts: &[Stmt],
    storage: Storage,
    budget: usize,
) -> anyhow::Result<(Vec<Stmt>, Outcome, Outcome)> {
    let mut s = Shrinker {
        storage,
        budget,
        runs: 0,
    };
    let mut cur = stmts.to_vec();
    loop {
        let a = s.statements(&mut cur)?;
        let b = s.rows(&mut cur)?;
        let c = s.clauses(&mut cur)?;
        if !(a || b || c) || s.runs >= s.budget {
            break;
        }
    }
    let run = run_statements(&cur, storage)?;
    match run.mismatch {
        Some((_, ours, theirs)) => Ok((cur, ours, theirs)),
        // Not reproducible (it should be: both sides are deterministic): keep the original.
        None => {
            let run = run_statements(stmts, storage)?;
            let (ours, theirs) = run
                .mismatch
                .map(|(_, a, b)| (a, b))
                .unwrap_or((Outcome::Done, Outcome::Done));
            Ok((stmts.to_vec(), ours, theirs))
        }
    }
}
