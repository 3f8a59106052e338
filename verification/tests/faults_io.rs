//! I/O failures at every file operation of a commit, a flush and a compaction, one matrix cell
//! per memtable kind: `cargo test --release -p ferrolite-verification --test faults_io --
//! --exact epoch` (add `--nocapture` to see the `VERIFY-STAT` lines).
//!
//! Budget from `FERROLITE_VERIFY_MODE` (quick when unset, so that a plain `cargo test` stays
//! short); see `ferrolite_verification::faults_io`.
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

use ferrolite_structures::MapKind;
use ferrolite_verification::{faults_io, Mode};

fn cell(kind: MapKind) {
    let named = std::env::var_os("FERROLITE_VERIFY_MODE").is_some_and(|v| !v.is_empty());
    let mode = if named { Mode::from_env() } else { Mode::Quick };
    let stats = faults_io::run(kind, mode);
    assert!(stats.faults_injected > 0 && stats.reopens_checked > 0);
}

ferrolite_verification::cell_tests!(cell);
