//! # ferrolite-checkers
//!
//! The checkers of a concurrent map, on any [`ConcurrentMap`](ferrolite_structures::ConcurrentMap)
//! and without the engine: the proptest model against a `BTreeMap` ([`model`]), linearizability
//! of recorded std-thread histories ([`lincheck`]), exhaustive loom models (`loom_check`, under
//! `--cfg loom`), shuttle's random and PCT schedules (`shuttle_check`, with the `shuttle`
//! feature) and progress with a thread paused forever (`progress`, shuttle) — and what they
//! share: the budget ([`Mode`]), the `VERIFY-STAT` lines ([`report`]),
//! the active seeded mutant ([`active_mutant`]).
//!
//! `ferrolite-verification` re-exports all of it beside the engine checkers; this crate is
//! separate so that checking a map never builds the engine. Its test targets
//! (`tests/quick.rs`) are the quick checks `cargo xtask mutants` runs against each mutation of
//! the structures' lock-free core.

mod budget;
pub mod lincheck;
#[cfg(loom)]
pub mod loom_check;
pub mod model;
#[cfg(all(feature = "shuttle", not(loom)))]
pub mod progress;
#[cfg(all(feature = "shuttle", not(loom)))]
pub mod shuttle_check;

/// The workspace's seeded generator (`ferrolite_structures::rng`), as `crate::rng` for the
/// checkers.
pub use ferrolite_structures::rng;

pub use budget::{active_mutant, report, secs_from_env, Mode};
