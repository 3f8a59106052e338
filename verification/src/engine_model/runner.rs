//! The runner: proptest generates and shrinks cases ([`check`], [`check_kind`]); a failure is
//! replayed with a transcript into an [`EngineFailure`]; [`run_cell`] is one verification
//! matrix cell (budget from the mode, `VERIFY-STAT` lines) and [`replay_all_kinds`] the body of
//! a deterministic regression test.

use super::config::EngineConfig;
use super::execute::{execute, scratch_root, CaseStats};
use super::ops::EngineOp;
use super::setup::Setup;
use super::strategy::case_strategy;
use super::watchdog::watched;
use crate::model::{replay_transcript, SEED_VAR};
use crate::Memtable;
use crate::{active_mutant, report, Mode};
use ferrolite::{MapKind, Stage};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use std::cell::Cell;
use std::fmt;
use std::time::{Duration, Instant};

/// What a passing run explored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases run.
    pub cases: u64,
    /// Operations applied.
    pub ops: u64,
    /// Flushes the engine made.
    pub flushes: u64,
    /// Compactions the engine ran.
    pub compactions: u64,
    /// Reopens (each case ends with one).
    pub reopens: u64,
    /// Cases in which some table lived below L1.
    pub deep_cases: u64,
    /// Operations after which a frozen memtable waited for a background flush.
    pub frozen_seen: u64,
    /// Write stalls and slowdowns.
    pub stalls: u64,
    /// Cases per stage-ladder preset (S0 … S5) among them.
    pub staged: [u64; 6],
}

impl Summary {
    fn add(&mut self, c: &CaseStats) {
        self.cases += 1;
        self.ops += c.ops;
        self.flushes += c.flushes;
        self.compactions += c.compactions;
        self.reopens += c.reopens;
        self.deep_cases += c.deep;
        self.frozen_seen += c.frozen_seen;
        self.stalls += c.stalls;
    }

    fn plus(self, o: Summary) -> Summary {
        Summary {
            cases: self.cases + o.cases,
            ops: self.ops + o.ops,
            flushes: self.flushes + o.flushes,
            compactions: self.compactions + o.compactions,
            reopens: self.reopens + o.reopens,
            deep_cases: self.deep_cases + o.deep_cases,
            frozen_seen: self.frozen_seen + o.frozen_seen,
            stalls: self.stalls + o.stalls,
            staged: std::array::from_fn(|i| self.staged[i] + o.staged[i]),
        }
    }
}

/// A divergence from the model, with the shrunk operation sequence.
#[derive(Clone, Debug)]
pub struct EngineFailure {
    /// The memtable.
    pub memtable: Memtable,
    /// The options of the minimal case.
    pub setup: Option<Setup>,
    /// With background work or without.
    pub workload: &'static str,
    /// The generator seed (rerun with [`SEED_VAR`] set to it).
    pub seed: u64,
    /// The active mutant, if any.
    pub mutant: Option<String>,
    /// Cases run up to and including the first failing one, over both workloads.
    pub cases: u64,
    /// Shrinking steps tried.
    pub shrink_steps: u64,
    /// Why the minimal case fails, as proptest reported it.
    pub reason: String,
    /// The minimal failing sequence, one operation per entry.
    pub ops: Vec<String>,
    /// The minimal sequence replayed on a fresh database, one line per operation.
    pub transcript: String,
}

impl fmt::Display for EngineFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "engine model check: memtable `{}` ({})",
            self.memtable.name(),
            self.workload
        )?;
        if let Some(m) = &self.mutant {
            write!(f, " [mutant {m}]")?;
        }
        writeln!(
            f,
            " diverges from the BTreeMap model\n  first failing case after {} cases, shrunk in \
             {} steps; seed {} (rerun with {SEED_VAR}={})",
            self.cases, self.shrink_steps, self.seed, self.seed
        )?;
        if let Some(s) = &self.setup {
            writeln!(
                f,
                "  options: {}{}{s}",
                s.base(),
                self.memtable.builder_call()
            )?;
        }
        writeln!(f, "  reason: {}", self.reason)?;
        writeln!(
            f,
            "  minimal failing sequence ({} ops), replayed on a fresh database:",
            self.ops.len()
        )?;
        f.write_str(&self.transcript)
    }
}

impl std::error::Error for EngineFailure {}

/// The model checker's configuration, with the engine's shrinking bounds.
fn runner_config(cases: u32, seed: u64, max_shrink: Duration) -> Config {
    Config {
        max_shrink_time: max_shrink.as_millis().min(u128::from(u32::MAX)) as u32,
        // Cases take milliseconds: let the time bound, not proptest's automatic 4 × cases,
        // end shrinking.
        max_shrink_iters: 100_000,
        ..crate::model::runner_config(cases, seed)
    }
}

/// Check the engine over `memtable` with background work `auto` on `cases` sequences.
pub fn check(
    memtable: &Memtable,
    auto: bool,
    config: &EngineConfig,
    cases: u32,
) -> Result<Summary, Box<EngineFailure>> {
    let workload = if auto {
        "background flushes and compactions"
    } else {
        "auto_compaction(false): deterministic"
    };
    let strategy = case_strategy(auto, config.max_ops);
    let mut runner = TestRunner::new(runner_config(cases, config.seed, config.max_shrink));
    let summary = Cell::new(Summary::default());
    let (failed, shrinks) = (Cell::new(false), Cell::new(0u64));
    let result = runner.run(&strategy, |(setup, ops)| {
        if failed.get() {
            shrinks.set(shrinks.get() + 1);
        }
        let r = watched(memtable, setup, &ops, || {
            execute(memtable, setup, &ops, None)
        });
        match r {
            Ok(stats) => {
                if !failed.get() {
                    let mut s = summary.get();
                    s.add(&stats);
                    if let Some(stage) = setup.stage {
                        s.staged[stage as usize] += 1;
                    }
                    summary.set(s);
                }
                Ok(())
            }
            Err(why) => {
                if !failed.get() {
                    let mut s = summary.get();
                    s.cases += 1;
                    summary.set(s);
                }
                failed.set(true);
                Err(TestCaseError::fail(why))
            }
        }
    });
    let failure = |setup: Option<Setup>, reason: String, ops: Vec<String>, transcript: String| {
        Box::new(EngineFailure {
            memtable: memtable.clone(),
            setup,
            workload,
            seed: config.seed,
            mutant: active_mutant(),
            cases: summary.get().cases,
            shrink_steps: shrinks.get(),
            reason,
            ops,
            transcript,
        })
    };
    match result {
        Ok(()) => Ok(summary.get()),
        Err(TestError::Abort(reason)) => Err(failure(
            None,
            format!("proptest aborted: {reason}"),
            Vec::new(),
            String::new(),
        )),
        Err(TestError::Fail(reason, (setup, minimal))) => {
            let transcript = replay_transcript(
                |t| {
                    watched(memtable, setup, &minimal, || {
                        execute(memtable, setup, &minimal, Some(t))
                    })
                },
                "  (the replay passed: the failure depends on timing — background work — or on \
                 more than the operations)\n",
            );
            Err(failure(
                Some(setup),
                reason.to_string(),
                minimal.iter().map(|op| op.to_string()).collect(),
                transcript,
            ))
        }
    }
}

/// Check one memtable kind: half the cases without background work, half with it.
pub fn check_kind(kind: MapKind, config: &EngineConfig) -> Result<Summary, Box<EngineFailure>> {
    check_memtable(&kind.into(), config)
}

/// Check the engine over `memtable` (a built-in kind or a map of the user's own): half the
/// cases without background work, half with it.
pub fn check_memtable(
    memtable: &Memtable,
    config: &EngineConfig,
) -> Result<Summary, Box<EngineFailure>> {
    let quiet = config.cases / 2;
    let first = check(memtable, false, config, quiet)?;
    let second = check(memtable, true, config, config.cases - quiet).map_err(|mut f| {
        f.cases += first.cases;
        f
    })?;
    Ok(first.plus(second))
}

/// One verification-matrix cell: check `kind` with the budget of [`Mode::from_env`] (quick
/// when `FERROLITE_VERIFY_MODE` is unset, unlike the other checkers), print
/// `VERIFY-STAT` lines (`cases`, `ops`, `flushes`, `compactions`, `reopens`, `deep_cases`,
/// `frozen_seen`, `stalls`), and panic with the shrunk sequence on failure.
pub fn run_cell(kind: MapKind) {
    let mode = Mode::from_env_or_quick();
    let config = EngineConfig::for_mode(mode);
    println!(
        "engine model: memtable {kind}, mode {mode}, {} cases, seed {}, databases under {}",
        config.cases,
        config.seed,
        scratch_root().display()
    );
    let started = Instant::now();
    match check_kind(kind, &config) {
        Ok(s) => {
            println!(
                "engine model: memtable {kind}: {} cases, {} ops, {} flushes, {} compactions, \
                 {} reopens, {} cases reached L2 or deeper, {} operations with a frozen memtable \
                 waiting, {} write stalls, cases per preset S0..S5 {:?}, in {:.1} s",
                s.cases,
                s.ops,
                s.flushes,
                s.compactions,
                s.reopens,
                s.deep_cases,
                s.frozen_seen,
                s.stalls,
                s.staged,
                started.elapsed().as_secs_f64()
            );
            report("cases", s.cases);
            report("ops", s.ops);
            report("flushes", s.flushes);
            report("compactions", s.compactions);
            report("reopens", s.reopens);
            report("deep_cases", s.deep_cases);
            report("frozen_seen", s.frozen_seen);
            report("stalls", s.stalls);
            for stage in Stage::ALL {
                report(
                    &format!("cases_{}", stage.name().to_lowercase()),
                    s.staged[stage as usize],
                );
            }
        }
        Err(failure) => {
            report("cases", failure.cases);
            panic!("{failure}");
        }
    }
}

/// Run `ops` with `setup` on a fresh database over every memtable kind and panic with the
/// transcript of the first divergence: the body of a deterministic regression test.
pub fn replay_all_kinds(setup: Setup, ops: &[EngineOp]) {
    for kind in MapKind::ALL {
        let mut transcript = String::new();
        if let Err(why) = execute(&kind.into(), setup, ops, Some(&mut transcript)) {
            panic!(
                "memtable `{}`, options Options::default().memtable(MapKind::{kind:?}){setup}:\n  \
                 {why}\n{transcript}",
                kind.name()
            );
        }
    }
}
