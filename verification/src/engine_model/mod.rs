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
//! The pieces: `ops` (keys, values, operations), `setup` (the options a case varies),
//! `strategy` (generation), `execute` (one case: sessions, reopens, the transcript), `step`
//! (one operation on the engine and the model), `outcome` (answers and the model's side),
//! `checks` (statistics, level shape, directory, settling, use after close), `watchdog`
//! (hangs) and `runner` (proptest, shrinking, the matrix cell).

mod checks;
mod execute;
mod ops;
mod outcome;
mod runner;
mod setup;
mod step;
mod strategy;
mod watchdog;

pub use checks::DirFiles;
pub use execute::{execute, scratch_root, CaseStats};
pub use ops::{BatchEntry, EngineOp, Key, Val};
pub use runner::{check, check_kind, replay_all_kinds, run_cell, EngineFailure, Summary};
pub use setup::Setup;
pub use strategy::{case_strategy, key_strategy, op_strategy};

use crate::model::seed_from_env;
use crate::Mode;
use std::time::Duration;

/// Snapshots a case keeps alive at most; taking one more is a no-op.
pub const MAX_SNAPSHOTS: usize = 3;

/// Iterators a case holds open at most ([`EngineOp::OpenIter`]).
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
    /// The budget of `mode`: 400, 1 600 or 8 000 cases per kind (or [`CASES_VAR`]); the seed
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
            cases: cases.unwrap_or_else(|| mode.pick(400, 1_600, 8_000)),
            max_ops: 300,
            seed: seed_from_env(),
            max_shrink: Duration::from_secs(mode.pick(90, 180, 600)),
        }
    }
}
