//! The proptest reference-model checker.
//!
//! Random single-threaded sequences of operations (`insert` of new and present keys, i.e.
//! insert and replace; `get`, `remove`, `contains`; `range` with unbounded, included and
//! excluded bounds, inverted and single-key ranges, sometimes dropped part-way; `len`,
//! `is_empty`, `iter`) are applied to a fresh map and to a `BTreeMap`, and every result is
//! compared. After the sequence the final contents, the length and the reclamation counters
//! are checked, the map is dropped, and every value it held must have been dropped exactly once
//! (values carry a shared live-instance counter: a double drop or a leak shows up as a non-zero
//! count).
//!
//! The key space is small, so inserts often replace and removes often hit. Each matrix cell runs
//! two workloads: `u64` keys, and variable-length byte-string keys (the empty key and prefixes).
//!
//! Cases are generated and **shrunk** by a `proptest` `TestRunner` whose case count the
//! caller chooses ([`ModelConfig::for_mode`] maps [`crate::Mode`] to a budget). On failure the minimal
//! sequence is replayed on a fresh map and printed op by op with the map's and the model's
//! answers ([`Failure`]'s `Display`). Concurrency is not this checker's job: see the lincheck,
//! loom and shuttle checkers.
//!
//! Runs are reproducible: the random seed comes from `FERROLITE_MODEL_SEED` (decimal or `0x`
//! hex) when set, and is printed in every failure.

mod config;
mod execute;
mod ops;
mod runner;
mod strategy;
#[cfg(test)]
mod tests;

pub use config::{seed_from_env, ModelConfig, SEED_VAR};
pub use ops::{Op, Tracked};
pub use runner::{check, check_kind, run_cell, Failure, Summary};
pub use strategy::op_strategy;

// For the engine model's runner and outcomes (not built under loom or shuttle).
#[cfg(not(any(loom, feature = "shuttle")))]
#[doc(hidden)] // shared with the engine model
pub use ops::{within, write_list};
#[cfg(not(any(loom, feature = "shuttle")))]
#[doc(hidden)] // shared with the engine model
pub use runner::{replay_transcript, runner_config};
