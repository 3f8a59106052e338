//! Fault injection, damaged files and bad input — the `faults` column of `cargo xtask verify`,
//! one matrix cell per memtable kind:
//! `cargo test --release -p ferrolite-verification --test faults -- --exact epoch --nocapture`.
//!
//! A cell runs, on that memtable kind:
//! 1. `faults_io`: a failing create/write/sync/dir-sync/rename/remove at every file operation of
//!    a commit, a flush and a compaction, through the engine's file port (`FaultFs`): one-shot
//!    `EIO`, `EIO` after a short write, a sticky full disk;
//! 2. `corrupt`: WAL cuts at every byte offset of its last records, one flipped bit per trial in
//!    every region of every file, missing and extra tables, lost `CURRENT`/manifest;
//! 3. `bad_input`: every rejected input and misuse (the lock case spawns the `lock-holder`
//!    binary: another process).
//!
//! Budget from `FERROLITE_VERIFY_MODE` (quick when unset, so that a plain `cargo test` stays
//! short).
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

use std::path::Path;

use ferrolite_structures::MapKind;
use ferrolite_verification::{bad_input, corrupt, faults_io, Mode};

fn cell(kind: MapKind) {
    let mode = Mode::from_env_or_quick();
    let io = faults_io::run(kind, mode);
    assert!(io.faults_injected > 0 && io.reopens_checked > 0);
    corrupt::run(kind, mode);
    bad_input::run(kind, mode, Path::new(env!("CARGO_BIN_EXE_lock-holder")));
}

ferrolite_verification::cell_tests!(cell);
