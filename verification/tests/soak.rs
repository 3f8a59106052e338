//! The soak test, one matrix cell per memtable kind:
//! `cargo test --release -p ferrolite-verification --test soak -- --exact epoch --nocapture`.
//!
//! Eight threads of mixed operations (puts of varied sizes, overwrites, deletes, batches, gets,
//! scans, held snapshots, user flushes) on one database with background flushes and
//! compactions, for 2 / 20 / 120 s by `FERROLITE_VERIFY_MODE` (quick / default / full; quick
//! when the variable is unset, so that a plain `cargo test` stays short; `FERROLITE_SOAK_SECS`
//! overrides it), then a full check against the threads' models before and after a reopen,
//! and a bound on the RSS growth. Seed from `FERROLITE_MODEL_SEED` (printed on failure);
//! prints `VERIFY-STAT` lines (see them with `--nocapture`). See
//! `ferrolite_verification::soak`.
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

use ferrolite_structures::MapKind;
use ferrolite_verification::{soak, Mode};

fn soak_cell(kind: MapKind) {
    // A plain `cargo test` (no mode set: a debug build, most likely) gets the quick budget;
    // the verifier always names its mode.
    let named = std::env::var_os("FERROLITE_VERIFY_MODE").is_some_and(|v| !v.is_empty());
    let mode = if named { Mode::from_env() } else { Mode::Quick };
    let r = soak::run(kind, mode);
    // What the report claims must add up (run() already checked it against the engine).
    assert!(
        r.ops > 0
            && r.keys_checked >= 2 * (soak::THREADS as u64) * u64::from(soak::KEYS_PER_THREAD)
    );
    assert!(r.stats.flushes > 0 && r.stats.compactions > 0);
    assert!(r.rss_growth_kib <= r.rss_bound_kib || r.rss_samples == 0);
}

ferrolite_verification::cell_tests!(soak_cell);
