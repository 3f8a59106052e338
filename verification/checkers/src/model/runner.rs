//! Runs and shrinking: `check` over a map type, `check_kind` through the registry,
//! [`Failure`] with its replayed transcript, `run_cell` for the matrix. The proptest
//! configuration (`runner_config`) and the replay of a minimal case (`replay_transcript`)
//! serve the engine model's runner too.

use super::config::{ModelConfig, SEED_VAR};
use super::execute::execute;
use super::ops::Tracked;
use super::strategy::op_strategy;
use crate::{active_mutant, report, Mode};
use ferrolite_structures::{ConcurrentMap, MapKey, MapKind, MapVisitor};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRunner};
use std::any::Any;
use std::cell::Cell;
use std::fmt::{self, Debug, Write as _};
use std::panic::{self, AssertUnwindSafe};

/// What a passing run explored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Operation sequences run.
    pub cases: u64,
    /// Operations applied (final checks not counted).
    pub ops: u64,
}

/// A divergence from the model, with the shrunk operation sequence.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The map's name.
    pub map: String,
    /// The workload (`u64 keys`, `byte-string keys`).
    pub workload: &'static str,
    /// The generator seed (rerun with [`SEED_VAR`] set to it).
    pub seed: u64,
    /// The active mutant, if any.
    pub mutant: Option<String>,
    /// Cases run up to and including the first failing one, over every workload of the cell.
    pub cases: u64,
    /// Shrinking steps tried.
    pub shrink_steps: u64,
    /// Why the minimal case fails, as proptest reported it.
    pub reason: String,
    /// The minimal failing sequence, one operation per entry (`insert(3, 7)`, …).
    pub ops: Vec<String>,
    /// The minimal sequence replayed on a fresh map, one line per operation with its result.
    pub transcript: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "model check: map `{}` ({})", self.map, self.workload)?;
        if let Some(m) = &self.mutant {
            write!(f, " [mutant {m}]")?;
        }
        writeln!(
            f,
            " diverges from BTreeMap\n  first failing case after {} cases, shrunk in {} steps; \
             seed {} (rerun with {SEED_VAR}={})",
            self.cases, self.shrink_steps, self.seed, self.seed
        )?;
        writeln!(f, "  reason: {}", self.reason)?;
        writeln!(
            f,
            "  minimal failing sequence ({} ops), replayed on a fresh map:",
            self.ops.len()
        )?;
        f.write_str(&self.transcript)
    }
}

impl std::error::Error for Failure {}

/// The proptest configuration of a checker's run: `cases` cases from the fixed `seed`.
pub fn runner_config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        // The verifier owns its budget and writes no regression files; the seed reproduces.
        failure_persistence: None,
        // XorShift: ChaCha dominates the time of an unoptimised build.
        rng_algorithm: RngAlgorithm::XorShift,
        rng_seed: RngSeed::Fixed(seed),
        // Shrinking a single-threaded failure is fast; bound it anyway (milliseconds).
        max_shrink_time: 120_000,
        ..Config::default()
    }
}

/// The message of a panic payload, if it is a string.
fn panic_text(p: &(dyn Any + Send)) -> Option<String> {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
}

/// The transcript of the minimal case replayed by `replay` (which writes it), with a note when
/// the replay passed (`passed`) or panicked.
pub fn replay_transcript<T, E>(
    replay: impl FnOnce(&mut String) -> Result<T, E>,
    passed: &str,
) -> String {
    let mut transcript = String::new();
    match panic::catch_unwind(AssertUnwindSafe(|| replay(&mut transcript))) {
        Ok(Err(_)) => {}
        Ok(Ok(_)) => transcript.push_str(passed),
        Err(p) => {
            let msg = panic_text(&*p).unwrap_or_else(|| "<non-string panic>".into());
            let _ = writeln!(transcript, "  (the next operation panicked: {msg})");
        }
    }
    transcript
}

/// Check the maps `make` builds against the model over `cases` sequences of operations on keys
/// drawn from `key`. `check_drops`: require every value to be dropped once the map is dropped.
/// `name` and `workload` only label the failure.
pub fn check<K: MapKey + Debug, M: ConcurrentMap<K, Tracked>>(
    name: &str,
    workload: &'static str,
    config: &ModelConfig,
    cases: u32,
    key: impl Strategy<Value = K> + Clone + 'static,
    make: &dyn Fn() -> M,
    check_drops: bool,
) -> Result<Summary, Box<Failure>> {
    let strategy = vec(op_strategy(key), 0..=config.max_ops);
    let mut runner = TestRunner::new(runner_config(cases, config.seed));
    let (run, ops, failed, shrinks) = (
        Cell::new(0u64),
        Cell::new(0u64),
        Cell::new(false),
        Cell::new(0u64),
    );
    let result = runner.run(&strategy, |seq| {
        if failed.get() {
            shrinks.set(shrinks.get() + 1);
        } else {
            run.set(run.get() + 1);
            ops.set(ops.get() + seq.len() as u64);
        }
        let r = execute(make, &seq, check_drops, None).map_err(TestCaseError::fail);
        if r.is_err() {
            failed.set(true);
        }
        r
    });
    let failure = |reason: String, ops: Vec<String>, transcript: String| {
        Box::new(Failure {
            map: name.to_string(),
            workload,
            seed: config.seed,
            mutant: active_mutant(),
            cases: run.get(),
            shrink_steps: shrinks.get(),
            reason,
            ops,
            transcript,
        })
    };
    match result {
        Ok(()) => Ok(Summary {
            cases: run.get(),
            ops: ops.get(),
        }),
        Err(TestError::Abort(reason)) => Err(failure(
            format!("proptest aborted: {reason}"),
            Vec::new(),
            String::new(),
        )),
        Err(TestError::Fail(reason, minimal)) => {
            let transcript = replay_transcript(
                |t| execute(make, &minimal, check_drops, Some(t)),
                "  (the replay passed: the failure depends on more than the operations)\n",
            );
            Err(failure(
                reason.to_string(),
                minimal.iter().map(|op| op.to_string()).collect(),
                transcript,
            ))
        }
    }
}

/// Check one kind of map: three quarters of the cases with `u64` keys in `0..config.keys`, a
/// quarter with byte-string keys of length 0 to 3 over a 3-letter alphabet (40 keys).
pub fn check_kind(kind: MapKind, config: &ModelConfig) -> Result<Summary, Box<Failure>> {
    let byte_cases = config.cases / 4;
    let ints = kind.visit(CheckKind {
        kind,
        config,
        workload: "u64 keys",
        cases: config.cases - byte_cases,
        key: 0..config.keys,
    })?;
    let bytes = kind
        .visit(CheckKind {
            kind,
            config,
            workload: "byte-string keys",
            cases: byte_cases,
            key: vec(0..3u8, 0..=3),
        })
        .map_err(|mut f| {
            f.cases += ints.cases;
            f
        })?;
    Ok(Summary {
        cases: ints.cases + bytes.cases,
        ops: ints.ops + bytes.ops,
    })
}

/// [`check`] on fresh maps of the visited type, keys drawn from `key` ([`check_kind`]'s
/// visitor).
pub(super) struct CheckKind<'a, S> {
    kind: MapKind,
    config: &'a ModelConfig,
    workload: &'static str,
    cases: u32,
    key: S,
}

impl<K, S> MapVisitor<K, Tracked> for CheckKind<'_, S>
where
    K: MapKey + Debug,
    S: Strategy<Value = K> + Clone + 'static,
{
    type Output = Result<Summary, Box<Failure>>;

    fn visit<M: ConcurrentMap<K, Tracked> + Default + 'static>(self) -> Self::Output {
        check(
            self.kind.name(),
            self.workload,
            self.config,
            self.cases,
            self.key,
            &M::default,
            // A map whose drop does not free everything (crossbeam's global collector) may
            // drop values after the map is gone.
            self.kind.info().frees_on_drop,
        )
    }
}

/// One verification-matrix cell: check `kind` with the budget of [`Mode::from_env`], print
/// `VERIFY-STAT cases` and `VERIFY-STAT ops`, and panic with the shrunk sequence on failure.
pub fn run_cell(kind: MapKind) {
    let mode = Mode::from_env();
    let config = ModelConfig::for_mode(mode);
    println!(
        "model: map {kind}, mode {mode}, {} cases, seed {}",
        config.cases, config.seed
    );
    match check_kind(kind, &config) {
        Ok(summary) => {
            report("cases", summary.cases);
            report("ops", summary.ops);
        }
        Err(failure) => {
            report("cases", failure.cases);
            panic!("{failure}");
        }
    }
}
