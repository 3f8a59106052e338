//! The engine reference-model checker: random operation sequences against the LSM engine
//! ([`ferrolite::Db`]) and a `BTreeMap<Vec<u8>, Vec<u8>>`, once per memtable kind.
//!
//! A case is a sequence of up to 300 [`EngineOp`]s — puts, deletes, batches of 1–5 of them
//! (rarely with an empty key: refused as a whole), point reads, range scans (unbounded,
//! included and excluded bounds, inverted, dropped part-way), prefix scans, snapshots (up to
//! [`MAX_SNAPSHOTS`] live, each with a copy of the model taken with it) and reads through
//! them, iterators held open (up to [`MAX_HELD_ITERS`]) across later operations, flushes,
//! compactions, close-and-reopen and `verify()` — applied to a
//! fresh database in a fresh directory and to the model; every answer is compared. The
//! engine is configured tiny (4 KiB tables, 4 or 16 KiB memtables, 256-byte blocks, an L0
//! trigger of 2, a 4 KiB level 1 growing ×2 per level; see [`Setup`] for what else a case
//! varies) so that flushes, compactions and several levels happen inside a case. Half the
//! cases run with `auto_compaction(false)` (deterministic: tables are written only when a
//! full memtable is flushed inline or when the case asks), half with the background workers
//! on; a single thread's reads must match its own writes either way.
//!
//! Besides the answers, after every operation: the engine's [`DbStats`](ferrolite::DbStats) (level vectors of
//! `num_levels` entries, the last sequence number equals the writes made, counters match the
//! operations of this session, …) and, without background work, the directory (no table
//! file the version does not list, one WAL segment, and right after `compact()` exactly one
//! entry per live key in the tables). At the end of a case every held iterator and live
//! snapshot is read in full, the database is closed, reopened and compared once more, closed
//! again, and must refuse every operation with `Error::Closed`.
//!
//! Cases are generated and **shrunk** by a proptest [`TestRunner`](proptest::test_runner::TestRunner); on failure the minimal
//! sequence is replayed and printed op by op with the engine's and the model's answers
//! ([`EngineFailure`]'s `Display`), under the memtable kind and the options of the case. A
//! case that makes no progress for [`HANG_SECS`] seconds (a deadlocked or stalled engine) is
//! reported with its operations and ends the process. The seed comes from
//! `FERROLITE_MODEL_SEED` (see [`crate::model::seed_from_env`]), the case count from
//! [`CASES_VAR`] when set; directories are created under `FERROLITE_ENGINE_DIR` when set,
//! else `/dev/shm` when it exists (a tmpfs: the engine's fsyncs cost nothing there), else the
//! system temporary directory.
//!
//! The pieces, lowest first: `config` (limits, environment variables, the budget), `ops`
//! (keys, values, operations), `setup` (the options a case varies), `outcome` (answers and
//! the model's side), `session` (what lives between two operations: snapshots, held
//! iterators, counts), `checks` (statistics, level shape, directory, settling, use after
//! close), `step` (one operation on the engine and the model), `execute` (one case: sessions,
//! reopens, the transcript), `strategy` (generation), `watchdog` (hangs) and `runner`
//! (proptest, shrinking, the matrix cell).

mod checks;
mod config;
mod execute;
mod ops;
mod outcome;
mod runner;
mod session;
mod setup;
mod step;
mod strategy;
mod watchdog;

pub use checks::DirFiles;
pub use config::{EngineConfig, CASES_VAR, DIR_VAR, HANG_SECS, MAX_HELD_ITERS, MAX_SNAPSHOTS};
pub use execute::{execute, scratch_root, CaseStats};
pub use ops::{BatchEntry, EngineOp, Key, Val};
pub use runner::{
    check, check_kind, check_memtable, replay_all_kinds, run_cell, EngineFailure, Summary,
};
pub use setup::Setup;
pub use strategy::{case_strategy, key_strategy, op_strategy};
