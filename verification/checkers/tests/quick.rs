//! The quick checks of every map of the registry, the test target `cargo xtask mutants` runs
//! against each mutation of the structures' lock-free core (`cargo-mutants` runs `cargo test`,
//! so a checker it uses must be a test). One module per checker the build can run, with one test
//! per map it can run (the registry says which), named after the map:
//!
//! | build | tests | budget (`FERROLITE_VERIFY_MODE`, quick unless set) |
//! |:--|:--|:--|
//! | normal | `model::<map>`, `lincheck::<map>` | 200 proptest cases; 4 000 histories (a tenth in a debug build) |
//! | `--features shuttle` | `shuttle::<map>` | 4 000 random and PCT schedules |
//! | `RUSTFLAGS="--cfg loom --cfg crossbeam_loom"` | `loom::<map>` | the 11 scenarios, preemption bound 3 (1 for hazard) |
//!
//! Every test but loom's runs with the use-after-free detector on (`limited`).
//!
//! Every test has a hard limit (`limit()`, 120 s unless `FERROLITE_QUICK_LIMIT_SECS`): a mutant that livelocks a checker (a search that
//! restarts forever) ends the test with "timeout" instead of hanging `cargo-mutants` — which
//! also kills a test that outlives its own timeout.
//!
//! A map the registry declares not linearizable (crossbeam's adapter) has its lincheck run
//! counted, not asserted, as in the matrix.

#![allow(missing_docs)]

use ferrolite_checkers::Mode;
use std::time::Duration;

/// The longest a quick check may run before it counts as a livelock or a hang: 120 s, or
/// `FERROLITE_QUICK_LIMIT_SECS` (`cargo xtask mutants` raises it for its loom pass, whose
/// models take minutes on a loaded machine).
fn limit() -> Duration {
    ferrolite_checkers::secs_from_env("FERROLITE_QUICK_LIMIT_SECS")
        .unwrap_or(Duration::from_secs(120))
}

/// The budget: the mode named by `FERROLITE_VERIFY_MODE`, quick when unset.
fn mode() -> Mode {
    Mode::from_env_or_quick()
}

/// Runs `f` on a thread of its own and fails the test if it is not done within `limit()`.
/// Outside loom, with the use-after-free detector on (`testing::quarantine_freed`): a freed
/// node is poisoned and kept, and the hazard scheme reclaims at every retirement and reports a
/// `protect` that hands out freed memory — so a lost hazard protection fails the check instead
/// of reading freed memory unseen. (Under loom the reclamation runs inside the model already,
/// and loom tracks its own objects.)
fn limited(what: &str, f: impl FnOnce() + Send + 'static) {
    #[cfg(not(loom))]
    ferrolite_structures::testing::quarantine_freed(true);
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::Builder::new()
        .name(what.to_string())
        .spawn(move || {
            f();
            let _ = tx.send(());
        })
        .expect("a checker thread");
    let limit = limit();
    match rx.recv_timeout(limit) {
        Ok(()) => worker.join().expect("the checker finished"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            // The checker panicked: re-raise its panic here, with its message.
            if let Err(p) = worker.join() {
                std::panic::resume_unwind(p);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            eprintln!("timeout: {what} made no progress within {limit:?} (livelock or hang)");
            std::process::exit(124);
        }
    }
}

#[cfg(not(any(loom, feature = "shuttle")))]
mod model {
    macro_rules! cell {
        ($t:ident, $id:ident, $name:literal) => {
            #[test]
            fn $id() {
                super::limited(concat!($name, " model"), || {
                    let kind: ferrolite_structures::MapKind =
                        $name.parse().expect("a registry name");
                    let config = ferrolite_checkers::model::ModelConfig::for_mode(super::mode());
                    if let Err(f) = ferrolite_checkers::model::check_kind(kind, &config) {
                        panic!("{f}");
                    }
                });
            }
        };
    }
    ferrolite_structures::for_each_map_named!(cell);
}

#[cfg(not(any(loom, feature = "shuttle")))]
mod lincheck {
    macro_rules! cell {
        ($t:ident, $id:ident, $name:literal) => {
            #[test]
            fn $id() {
                super::limited(concat!($name, " lincheck"), || {
                    let kind: ferrolite_structures::MapKind =
                        $name.parse().expect("a registry name");
                    let budget = ferrolite_checkers::lincheck::Budget::for_mode(super::mode());
                    let declared = kind.info().linearizable;
                    let survey = ferrolite_checkers::lincheck::survey_map(kind, &budget, declared);
                    if let (Some(v), true) = (survey.first, declared) {
                        panic!("not linearizable: {v}");
                    }
                });
            }
        };
    }
    ferrolite_structures::for_each_map_named!(cell);
}

#[cfg(all(feature = "shuttle", not(loom)))]
mod shuttle {
    macro_rules! cell {
        ($t:ident, $id:ident, $name:literal) => {
            #[test]
            fn $id() {
                super::limited(concat!($name, " shuttle"), || {
                    ferrolite_checkers::shuttle_check::run_all::<ferrolite_structures::$t<u8, u32>>(
                        $name,
                        super::mode(),
                    );
                });
            }
        };
    }
    ferrolite_structures::for_each_map_named!(cell, shuttle);
}

#[cfg(all(feature = "shuttle", not(loom)))]
mod progress {
    macro_rules! cell {
        ($t:ident, $id:ident, $name:literal) => {
            #[test]
            fn $id() {
                super::limited(concat!($name, " progress"), || {
                    use ferrolite_checkers::progress;
                    let budget = progress::Budget::for_mode(super::mode());
                    let r = progress::check::<ferrolite_structures::$t<u8, u32>>($name, budget);
                    println!("progress {}: {r:?}", $name);
                    match r.verdict() {
                        progress::Verdict::Broken(f) => panic!("{f}"),
                        progress::Verdict::NeverBlocked => panic!(
                            "{}: a blocking map was never blocked by a paused thread ({} executions)",
                            $name, r.executions
                        ),
                        _ => {}
                    }
                });
            }
        };
    }
    ferrolite_structures::for_each_map_named!(cell, shuttle);
}

#[cfg(loom)]
mod loom {
    macro_rules! cell {
        ($t:ident, $id:ident, $name:literal) => {
            #[test]
            fn $id() {
                super::limited(concat!($name, " loom"), || {
                    ferrolite_checkers::loom_check::run_all::<ferrolite_structures::$t<u8, u8>>(
                        $name,
                        super::mode(),
                    );
                });
            }
        };
    }
    ferrolite_structures::for_each_map_named!(cell, loom);
}
