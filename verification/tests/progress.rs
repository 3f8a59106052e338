//! # Progress with a thread paused forever, one matrix cell per structure
//!
//! `cargo test -p ferrolite-verification --features shuttle --test progress -- --exact epoch`.
//! What the checker does: `ferrolite_verification::progress` (`ferrolite-checkers`). Budget from
//! `FERROLITE_VERIFY_MODE` (quick 60 pause points × 4 schedules, default 150 × 10, full 400 ×
//! 30). Prints `VERIFY-STAT executions`, `paused`, `progressed`, `stalled`, `vacuous`.
//!
//! A map whose registry entry says `lock_free: true` must let the others finish at every pause
//! point: the first execution where they did not fails the cell with its pause point, the
//! operation the paused thread was in and the schedule. A blocking map (`lock_free: false`)
//! is expected to be blocked: the cell prints the first blocked execution "as expected of this
//! map" and passes; if it was never blocked the cell fails (the checker could not fail).

#![cfg(all(feature = "shuttle", not(loom)))]

use ferrolite_structures::MapKind;
use ferrolite_verification::progress::{check, Budget, Verdict};
use ferrolite_verification::{report, Mode};

fn cell<M: ferrolite_structures::ConcurrentMap<u8, u32> + Default + 'static>(name: &str) {
    let kind: MapKind = name.parse().unwrap_or_else(|e| panic!("{e}"));
    let budget = Budget::for_mode(Mode::from_env());
    println!(
        "progress {name}: {} pause points x {} schedules, spin bound {} steps, seed {:#x}",
        budget.pause_points, budget.repeats, budget.spin_bound, budget.seed
    );
    let r = check::<M>(name, budget);
    report("executions", r.executions);
    report("paused", r.paused);
    report("progressed", r.progressed);
    report("stalled", r.stalled);
    report("vacuous", r.vacuous);
    println!(
        "progress {name}: {} executions, {} with the victim paused mid-run ({} finished before \
         their pause point), {} progressed, {} stalled",
        r.executions, r.paused, r.vacuous, r.progressed, r.stalled
    );
    // The map's claim is its registry entry's `lock_free` (the registry's tests check it).
    assert_eq!(r.claim, Some(kind.info().lock_free), "{name}");
    match r.verdict() {
        Verdict::Broken(f) => panic!("progress {name}: {f}"),
        Verdict::Expected(f) => println!(
            "progress {name}: {} of {} paused executions blocked, as expected of this map \
             (lock_free: false); the first one:\n{f}",
            r.stalled, r.paused
        ),
        Verdict::NeverBlocked => panic!(
            "progress {name}: a blocking map was never blocked by a paused thread in {} \
             executions: the checker could not fail",
            r.executions
        ),
        Verdict::Progressed => {}
    }
}

/// One test per map the registry says runs under shuttle, named after it.
macro_rules! progress_cell {
    ($t:ident, $id:ident, $name:literal) => {
        #[test]
        fn $id() {
            cell::<ferrolite_structures::$t<u8, u32>>($name);
        }
    };
}

ferrolite_structures::for_each_map_named!(progress_cell, shuttle);
