//! How much the checker explores ([`ModelConfig`], by [`Mode`]) and the seed of a run.

use crate::Mode;
use std::fmt::Debug;

/// The environment variable that fixes the random seed of a run.
pub const SEED_VAR: &str = "FERROLITE_MODEL_SEED";

/// How much the checker explores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelConfig {
    /// Random operation sequences per matrix cell (split between the two key types).
    pub cases: u32,
    /// Longest operation sequence.
    pub max_ops: usize,
    /// `u64` keys are drawn from `0..keys`.
    pub keys: u64,
    /// The seed of the case generator.
    pub seed: u64,
}

impl ModelConfig {
    /// The budget of `mode`: 200, 2 000 or 20 000 cases; the seed from [`SEED_VAR`] or fresh.
    pub fn for_mode(mode: Mode) -> ModelConfig {
        ModelConfig {
            cases: mode.pick(200, 2_000, 20_000),
            max_ops: 100,
            keys: 32,
            seed: seed_from_env(),
        }
    }
}

/// The seed named by [`SEED_VAR`], or a fresh one (time and process id) when it is unset.
/// Panics on a malformed value.
pub fn seed_from_env() -> u64 {
    crate::rng::seed_from_var(SEED_VAR)
}

// ---------------------------------------------------------------------------------------------
// Values with a live-instance count
// ---------------------------------------------------------------------------------------------
