//! # ferrolite-verification
//!
//! The checkers that `cargo xtask verify` runs over every structure of `ferrolite-structures`:
//!
//! | checker | where | how it runs |
//! |---|---|---|
//! | proptest model | `tests/model.rs`, [`model`] | random op sequences vs a `BTreeMap`, shrinking |
//! | loom | `tests/loom.rs` | exhaustive interleavings within a preemption bound (`--cfg loom`) |
//! | shuttle | `tests/shuttle.rs` | random and PCT schedules (`--features shuttle`) |
//! | linearizability | `tests/lincheck.rs`, [`lincheck`] | recorded std-thread histories vs the sequential spec |
//! | engine model | `tests/engine.rs`, `engine_model` | the LSM engine over each memtable kind vs a `BTreeMap` |
//! | engine linearizability | `tests/engine_lin.rs`, `engine_lin` | threads on shared keys of one engine (flushes and compactions underneath), histories checked per key |
//! | crash | `tests/crash.rs`, `crash`, `src/bin/crash-child.rs` | a child writes, is killed at kill points or by `SIGKILL`; recovery vs acknowledgements |
//! | I/O faults | `tests/faults.rs`, `faults_io` | a failing create/write/sync/rename/remove at every file operation of a commit, a flush, a compaction |
//! | power cut | `tests/crash.rs`, `powercut` | the engine on a `PowerCutFs`; the power is cut at random moments; unsynced data, creations, renames, removals lost; recovery vs synced acknowledgements |
//! | soak | `tests/soak.rs`, `soak` | 8 threads of mixed operations for a bounded time, full check, peak RSS |
//! | damaged files | `tests/faults.rs`, `corrupt` | WAL cuts, bit flips in every file region, missing/extra tables |
//! | bad input | `tests/faults.rs`, `bad_input` | every rejected input and misuse gets its typed error |
//! | progress | `tests/progress.rs`, `progress` | a thread paused forever mid-operation at every step within a bound (shuttle): the others must finish; a blocking map is expected to block |
//! | Miri | `ferrolite-structures`' own tests | `cargo +nightly miri test` |
//!
//! The structure checkers (model, lincheck, the loom and shuttle models, progress) live in
//! `ferrolite-checkers`, which does not build the engine, and are re-exported here. [`own`]
//! runs the checkers on a map of the user's own crate and writes the same matrix
//! (`ferrolite-matrix`, re-exported as [`matrix`]).
//!
//! Every checker test file has one test function per structure, named after the structure
//! (`epoch`, `hazard`, …), so `cargo test --test loom -- --exact epoch` is one matrix cell. A
//! cell's budget comes from [`Mode`] (environment variable `FERROLITE_VERIFY_MODE`), and it
//! reports what it explored with [`report`] lines that the verifier parses.

#[cfg(not(any(loom, feature = "shuttle")))] // the engine's memtables need a std scheduler
pub mod bad_input;
#[cfg(not(any(loom, feature = "shuttle")))]
pub mod corrupt;
#[cfg(not(any(loom, feature = "shuttle")))] // the memtables need a loom/shuttle scheduler there
pub mod crash;
#[cfg(not(any(loom, feature = "shuttle")))]
pub mod engine_lin;
#[cfg(not(any(loom, feature = "shuttle")))]
pub mod engine_model;
#[cfg(not(any(loom, feature = "shuttle")))]
pub mod faults_io;
#[cfg(not(any(loom, feature = "shuttle")))]
mod memtable;
pub mod own;
#[cfg(not(any(loom, feature = "shuttle")))]
pub mod powercut;
#[cfg(not(any(loom, feature = "shuttle")))]
pub mod soak;

#[cfg(loom)]
pub use ferrolite_checkers::loom_check;
/// The structure checkers (`ferrolite-checkers`, which does not build the engine), re-exported.
pub use ferrolite_checkers::{active_mutant, lincheck, model, report, rng, secs_from_env, Mode};
#[cfg(all(feature = "shuttle", not(loom)))]
pub use ferrolite_checkers::{progress, shuttle_check};
/// The matrix and its reports (`ferrolite-matrix`): what [`own::Report`] holds.
pub use ferrolite_matrix as matrix;
#[cfg(not(any(loom, feature = "shuttle")))]
pub use memtable::Memtable;

/// One `#[test]` per map of the registry, named after it (`mutex`, `epoch`, …), each calling
/// `$run(MapKind::…)`: a matrix cell is `cargo test --test <checker> -- --exact <kind>`.
#[macro_export]
macro_rules! cell_tests {
    ($run:path) => {
        ::ferrolite_structures::for_each_map_named!($crate::__cell_test; $run);
    };
}

/// One test of [`cell_tests!`] (called back by `for_each_map_named!`).
#[doc(hidden)]
#[macro_export]
macro_rules! __cell_test {
    ($t:ident, $id:ident, $name:literal; $run:path) => {
        #[test]
        fn $id() {
            let kind: ::ferrolite_structures::MapKind = $name.parse().expect("a registry name");
            $run(kind);
        }
    };
}
