//! The power-loss test, one matrix cell per memtable kind:
//! `cargo test --release -p ferrolite-verification --test powercut -- --exact epoch --nocapture`.
//!
//! The engine runs on a `ferrolite::powercut::PowerCutFs`; the power is cut at random moments
//! (while writing, flushing, compacting, or opening), which loses unsynced file data (or tears
//! it) and undoes unsynced creations, renames and removals; every reopen must hold every batch
//! acknowledged under a syncing policy, no half batch, and a prefix of each writer's commits.
//! Budget from `FERROLITE_VERIFY_MODE` (quick 3 s, default 30 s, full 180 s per kind;
//! `FERROLITE_POWERCUT_CYCLES` fixes the cycle count), seed from `FERROLITE_POWERCUT_SEED`.
//! See `ferrolite_verification::powercut`.
#![cfg(not(any(loom, feature = "shuttle")))]

use ferrolite_structures::MapKind;
use ferrolite_verification::{powercut, Mode};

fn cell(kind: MapKind) {
    let mode = match std::env::var("FERROLITE_VERIFY_MODE") {
        Ok(_) => Mode::from_env(),
        // A plain `cargo test` runs the quick bound.
        Err(_) => Mode::Quick,
    };
    let r = powercut::run(kind, mode);
    assert!(r.cycles > 0);
    assert!(
        r.acked_batches > 0,
        "no synced batch was acknowledged: {r:?}"
    );
}

ferrolite_verification::cell_tests!(cell);
