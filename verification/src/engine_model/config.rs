//! The checker's limits and budget: how many snapshots and held iterators a case keeps, when
//! a case counts as hung, the environment variables that override the case count and the
//! scratch directory, and [`EngineConfig`] (cases, case length, seed and shrinking time per
//! mode).

use crate::model::seed_from_env;
use crate::Mode;
use std::time::Duration;

/// Snapshots a case keeps alive at most; taking one more is a no-op.
pub const MAX_SNAPSHOTS: usize = 3;

/// Iterators a case holds open at most ([`crate::engine_model::EngineOp::OpenIter`]).
pub const MAX_HELD_ITERS: usize = 2;

/// A case that runs longer than this is reported as hung and the process exits.
pub const HANG_SECS: u64 = 120;

/// The environment variable that overrides the number of cases per memtable kind.
pub const CASES_VAR: &str = "FERROLITE_ENGINE_CASES";

/// The environment variable naming the directory the cases' databases are created in.
pub const DIR_VAR: &str = "FERROLITE_ENGINE_DIR";

/// How much the checker explores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Operation sequences per memtable kind (half without, half with background work).
    pub cases: u32,
    /// Longest operation sequence.
    pub max_ops: usize,
    /// The seed of the case generator.
    pub seed: u64,
    /// Longest time spent shrinking a failure.
    pub max_shrink: Duration,
}

impl EngineConfig {
    /// The budget of `mode`: 400, 1 600 or 8 000 cases per kind, a quarter of that unoptimised
    /// (or [`CASES_VAR`]); the seed
    /// from [`SEED_VAR`](crate::model::SEED_VAR) or fresh. A case takes about 3 ms on a tmpfs, 15 ms on a disk.
    pub fn for_mode(mode: Mode) -> EngineConfig {
        let cases = std::env::var(CASES_VAR)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                s.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{CASES_VAR}={s}: expected a number of cases"))
            });
        EngineConfig {
            // A quarter in unoptimised builds (a plain `cargo test`; the verifier builds
            // optimised).
            cases: cases.unwrap_or_else(|| {
                mode.pick(400, 1_600, 8_000) / if cfg!(debug_assertions) { 4 } else { 1 }
            }),
            max_ops: 300,
            seed: seed_from_env(),
            max_shrink: Duration::from_secs(mode.pick(90, 180, 600)),
        }
    }
}
