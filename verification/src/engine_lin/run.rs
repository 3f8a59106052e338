//! The run over one memtable kind: open a database, record and check history after history on
//! it (reopening it now and then with the next [`Setup`]), count what the engine did
//! underneath, and stop at the budget or at the first failure; [`run_cell`] is one cell of the
//! verification matrix.

use super::budget::{Budget, Setup};
use super::record::{record, Answer, CallError, Recording};
use super::target::LinTarget;
use super::workload::{Call, Shape};
use crate::engine_model::scratch_root;
use crate::lincheck::{check_history, Violation};
use crate::rng::derive;
use crate::Memtable;
use crate::{report, Mode};
use ferrolite::{Db, MapKind};
use std::fmt::{self, Write as _};
use std::time::{Duration, Instant};

/// Makes the target a history runs against from the open database: `&|db| Box::new(db)` for
/// the engine itself, a wrapper for the deliberately wrong targets of the tests.
pub type Wrap<'w> = &'w dyn for<'a> Fn(&'a Db) -> Box<dyn LinTarget + 'a>;

/// What a run recorded and checked, and what the engine did meanwhile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Histories recorded and checked.
    pub histories: u64,
    /// Calls made (a batch or a scan is one call).
    pub calls: u64,
    /// Per-key operations checked (a batch or a scan gives one per key).
    pub operations: u64,
    /// Calls that overlapped a call of another thread.
    pub concurrent_calls: u64,
    /// Batches among the calls.
    pub batches: u64,
    /// Scans among the calls.
    pub scans: u64,
    /// Search configurations explored.
    pub states: u64,
    /// The most operations on one key in one history.
    pub max_key_ops: usize,
    /// Memtables the engine flushed, over every opening.
    pub flushes: u64,
    /// Compactions the engine ran, over every opening.
    pub compactions: u64,
    /// Times the database was closed and opened again.
    pub reopens: u64,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl Stats {
    /// The figures a matrix cell reports (`VERIFY-STAT` names), in order.
    pub fn figures(&self) -> [(&'static str, u64); 10] {
        [
            ("histories", self.histories),
            ("calls", self.calls),
            ("ops", self.operations),
            ("concurrent_calls", self.concurrent_calls),
            ("batches", self.batches),
            ("scans", self.scans),
            ("states", self.states),
            ("flushes", self.flushes),
            ("compactions", self.compactions),
            ("reopens", self.reopens),
        ]
    }
}

/// Why a run failed.
#[derive(Debug)]
pub enum Failure {
    /// A history had no linearization: the shrunk sub-history, its context naming the run,
    /// the history, and the batches and scans behind its operations.
    Violation(Box<Violation>),
    /// A call failed (an engine error, or bytes the checker never wrote).
    Call {
        /// The call and its error.
        error: CallError,
        /// The run and the history.
        context: String,
    },
    /// The database could not be created, opened or closed.
    Database(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Violation(v) => write!(f, "not linearizable: {v}"),
            Failure::Call { error, context } => write!(
                f,
                "t{} {} failed: {}\n{context}",
                error.thread, error.call, error.error
            ),
            Failure::Database(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Failure {}

/// What a run came to: its figures, and the failure that ended it, if any.
#[derive(Debug)]
pub struct Outcome {
    /// What was recorded and checked (up to and including a failing history).
    pub stats: Stats,
    /// The first failure.
    pub failure: Option<Failure>,
}

/// Runs the checker on the engine over memtable `kind`.
pub fn check_kind(kind: MapKind, budget: &Budget) -> Outcome {
    run_with(kind, budget, &|db| Box::new(db))
}

/// Runs the checker on the engine over `memtable` (a built-in kind or a map of the user's own).
pub fn check_memtable(memtable: &Memtable, budget: &Budget) -> Outcome {
    run_with(memtable.clone(), budget, &|db| Box::new(db))
}

/// Runs the checker over `memtable` (a kind, or a map of the user's own) on the targets `wrap`
/// makes of the database (a new one per history).
pub fn run_with(memtable: impl Into<Memtable>, budget: &Budget, wrap: Wrap<'_>) -> Outcome {
    let started = Instant::now();
    let mut stats = Stats::default();
    let failure = histories(&memtable.into(), budget, wrap, &mut stats).err();
    stats.elapsed = started.elapsed();
    Outcome { stats, failure }
}

/// Adds a session's flushes and compactions to `stats`, then closes the database.
fn close(db: Db, stats: &mut Stats, what: &str) -> Result<(), Failure> {
    let s = db.stats();
    stats.flushes += s.flushes;
    stats.compactions += s.compactions;
    db.close()
        .map_err(|e| Failure::Database(format!("{what}: close: {e}")))
}

/// The loop of [`run_with`].
fn histories(
    memtable: &Memtable,
    budget: &Budget,
    wrap: Wrap<'_>,
    stats: &mut Stats,
) -> Result<(), Failure> {
    let run = format!(
        "engine-lin: memtable `{memtable}`, seed {:#x} (FERROLITE_LINCHECK_SEED replays the \
         workloads, not the schedules)",
        budget.seed
    );
    let root = scratch_root();
    let dir = tempfile::Builder::new()
        .prefix("ferrolite-engine-lin-")
        .tempdir_in(&root)
        .map_err(|e| Failure::Database(format!("{run}: a directory in {}: {e}", root.display())))?;
    let (mut open, mut setup) = (0, Setup::draw(budget.seed, 0));
    let open_db = |setup: Setup| {
        Db::open(dir.path(), setup.options(memtable))
            .map_err(|e| Failure::Database(format!("{run}: open with {setup}: {e}")))
    };
    let mut db = open_db(setup)?;
    let deadline = Instant::now() + budget.time;
    let mut next_key = 0;
    for h in 0.. {
        if budget.max_histories.is_some_and(|m| h >= m) {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            // Go on (up to the extension) until the engine flushed and compacted.
            let s = db.stats();
            let (flushed, compacted) =
                (stats.flushes + s.flushes, stats.compactions + s.compactions);
            if (flushed > 0 && compacted > 0) || now >= deadline + budget.extension {
                break;
            }
        }
        if h > 0 && h % budget.histories_per_open.max(1) == 0 {
            close(db, stats, &run)?;
            (open, setup) = (open + 1, Setup::draw(budget.seed, open + 1));
            db = open_db(setup)?;
            stats.reopens += 1;
        }
        let seed = derive(budget.seed, h);
        let shape = Shape::draw(
            seed,
            budget.max_threads,
            budget.calls_per_thread,
            budget.keys,
        );
        // Keys of their own, so that the history starts with them absent.
        let key_base = next_key;
        next_key += shape.keys;
        let plans = shape.plans(seed, key_base);
        let target = wrap(&db);
        let context = || {
            format!(
                "{run}\n  target {}, history {h} (seed {seed:#x}: {} threads x {} calls, keys \
                 {key_base}..={}, {}), opening {open}: Options::default(){}{setup}",
                target.describe(),
                shape.threads,
                shape.calls_per_thread,
                key_base + shape.keys - 1,
                shape.mix.name,
                memtable.builder_call(),
            )
        };
        let recording =
            record(&*target, &plans, budget.stall_timeout, &context).map_err(|error| {
                Failure::Call {
                    error,
                    context: context(),
                }
            })?;
        let history = recording.history();
        stats.histories += 1;
        stats.calls += recording.calls.len() as u64;
        stats.operations += history.len() as u64;
        stats.concurrent_calls += recording.concurrent_calls() as u64;
        for call in plans.iter().flatten() {
            match call {
                Call::Batch(_) => stats.batches += 1,
                Call::Scan(..) => stats.scans += 1,
                _ => {}
            }
        }
        match check_history(&history) {
            Ok(check) => {
                stats.states += check.states;
                stats.max_key_ops = stats.max_key_ops.max(check.max_key_ops);
            }
            Err(mut violation) => {
                stats.states += violation.states;
                violation.context = context() + &origins(&recording, &violation);
                return Err(Failure::Violation(Box::new(violation)));
            }
        }
    }
    close(db, stats, &run)
}

/// The batches and scans behind a violation's operations, each once, with their answers.
fn origins(recording: &Recording, violation: &Violation) -> String {
    let mut out = String::new();
    let mut seen = Vec::new();
    for event in &violation.minimal {
        let Some(done) = recording.origin(event) else {
            continue;
        };
        if !matches!(done.call, Call::Batch(_) | Call::Scan(..)) || seen.contains(&done.invoke) {
            continue;
        }
        if seen.is_empty() {
            out += "\n  the batches and scans behind these operations (one call each):";
        }
        seen.push(done.invoke);
        write!(
            out,
            "\n    t{} [{}, {}] {}",
            done.thread, done.invoke, done.response, done.call
        )
        .unwrap_or_default();
        if let Answer::Scanned(entries) = &done.answer {
            let shown: Vec<String> = entries
                .iter()
                .map(|&(k, v)| format!("{k}={}", crate::lincheck::ValueLabel(v)))
                .collect();
            write!(out, " returned [{}]", shown.join(", ")).unwrap_or_default();
        }
    }
    out
}

/// One verification-matrix cell: the engine over `kind` with the budget of
/// [`Mode::from_env_or_quick`] (quick when `FERROLITE_VERIFY_MODE` is unset), `VERIFY-STAT`
/// lines (`histories`, `calls`, `ops`, `concurrent_calls`, `batches`, `scans`, `states`,
/// `flushes`, `compactions`, `reopens`), and a panic with the shrunk timeline on a violation.
pub fn run_cell(kind: MapKind) {
    let mode = Mode::from_env_or_quick();
    let budget = Budget::for_mode(mode);
    println!(
        "engine-lin {kind}: mode {mode}, {:.0} s of histories of 2-{} threads x <= {} calls on \
         {}-{} keys, seed {:#x}, databases under {}",
        budget.time.as_secs_f64(),
        budget.max_threads,
        budget.calls_per_thread,
        budget.keys.0,
        budget.keys.1,
        budget.seed,
        scratch_root().display()
    );
    let Outcome { stats: s, failure } = check_kind(kind, &budget);
    for (key, value) in s.figures() {
        report(key, value);
    }
    println!(
        "engine-lin {kind}: {} histories, {} calls ({:.0}% concurrent; {} batches, {} scans), {} \
         per-key operations, {} search states, at most {} operations per key; the engine \
         flushed {} times and compacted {} times, {} reopens; {:.1?}",
        s.histories,
        s.calls,
        100.0 * s.concurrent_calls as f64 / s.calls.max(1) as f64,
        s.batches,
        s.scans,
        s.operations,
        s.states,
        s.max_key_ops,
        s.flushes,
        s.compactions,
        s.reopens,
        s.elapsed
    );
    if let Some(failure) = failure {
        if let Failure::Violation(v) = &failure {
            let label = match crate::active_mutant() {
                Some(m) => format!("{kind}+{m}"),
                None => kind.to_string(),
            };
            crate::lincheck::publish(
                v,
                &format!("{label} × engine-lin: not linearizable"),
                &format!("{label}-engine-lin"),
            );
        }
        panic!("engine-lin {kind}: {failure}");
    }
    assert!(
        s.flushes > 0 && s.compactions > 0,
        "engine-lin {kind}: {} flushes and {} compactions in {:.1?}: the histories did not run \
         across flushes and compactions",
        s.flushes,
        s.compactions,
        s.elapsed
    );
}
