//! Maps outside the registry, verified through the public path a researcher's own map takes
//! (`ferrolite_verification::own`): one test per (map, checker), named `<map>_<checker>`, so
//! `cargo test --test outside -- --exact scc_treeindex_lincheck` is one cell of the matrix
//! (`cargo xtask verify` runs them as the rows of its `OUTSIDE` list).
//!
//! **scc-treeindex** (`ferrolite-scc`: scc's `TreeIndex`, a concurrent B+ tree) runs the
//! checkers of the normal build: model, lincheck, engine, engine-lin. Its adapter declares
//! itself not linearizable under same-key contention (`linearizable()` false, the reasons in
//! `SccTreeIndex`'s documentation), so its lincheck cell counts violations as expected instead
//! of failing. loom and shuttle cannot schedule it: scc uses its own atomics and epochs, not
//! the sync shim.
//!
//! Each test prints `VERIFY-STAT` lines like the registry's cells, and panics with the
//! failure's kind and reproduction.

#![cfg(not(any(loom, feature = "shuttle")))]

use ferrolite_structures::{MapFamily, MapKey, MapValue};
use ferrolite_verification::matrix::{Checker, Outcome, Row};
use ferrolite_verification::{own, report, Mode};

/// The family of scc `TreeIndex` maps.
struct Scc;
impl MapFamily for Scc {
    type Map<K: MapKey, V: MapValue> = ferrolite_scc::SccTreeIndex<K, V>;
}

/// One cell: `checker` on `F` through `own::cell`.
fn cell<F: MapFamily>(checker: Checker) {
    let name = own::family_name::<F>();
    let mode = Mode::from_env_or_quick();
    println!(
        "{} {name}: mode {mode}, through ferrolite_verification::own (the public path)",
        checker.name()
    );
    let logs = std::env::temp_dir().join("ferrolite-outside-logs");
    let (outcome, evidence) = own::cell::<F>(checker, &Row::structure(name), mode, &logs);
    // Hand the drawn counterexample to the verifier as the registry's cells do.
    if let Some(history) = &evidence.history {
        println!("VERIFY-HISTORY {history}");
    }
    if let Some(page) = &evidence.timeline {
        let page = logs.parent().unwrap_or(&logs).join(page);
        println!("VERIFY-ARTIFACT timeline {}", page.display());
    }
    match outcome {
        Outcome::Pass {
            stats, expected, ..
        } => {
            for (key, value) in &stats {
                report(key, *value);
            }
            if let Some(text) = expected {
                report("expected_nonlinearizable", 1);
                println!("{} {name}: {text}", checker.name());
            }
        }
        Outcome::Fail {
            reason,
            excerpt,
            log,
            ..
        } => panic!("{reason}\n{excerpt}\n(whole text: {})", log.display()),
        other => panic!("{} {name}: {other:?}", checker.name()),
    }
}

#[test]
fn scc_treeindex_model() {
    cell::<Scc>(Checker::Model);
}

#[test]
fn scc_treeindex_lincheck() {
    cell::<Scc>(Checker::Lincheck);
}

#[test]
fn scc_treeindex_engine() {
    cell::<Scc>(Checker::Engine);
}

#[test]
fn scc_treeindex_engine_lin() {
    cell::<Scc>(Checker::EngineLin);
}
