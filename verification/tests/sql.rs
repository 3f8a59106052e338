//! The `sql` column, one matrix cell per memtable kind:
//! `cargo test --release -p ferrolite-verification --test sql -- --exact epoch --nocapture`.
//!
//! The SQL layer (`ferrolite-sql`) on the engine over the structure as its memtable (16 KiB
//! memtables: many flushes and compactions), checked against SQLite by the differential test
//! (`ferrolite-sql-difftest`): random schemas with keys and indexes, random statements and
//! queries, every outcome compared; a mismatch fails the cell with its shrunk script. Then
//! the seeded wrong plan (`Mutant::WrongPlan`, an index used for a predicate on its second
//! column) must be caught on the same storage, within a bound: that is how the cell shows it
//! can fail. Budget by `FERROLITE_VERIFY_MODE`: 20 / 200 / 1000 scripts of 150 statements
//! (quick / default / full; quick when unset). Seed from `FERROLITE_MODEL_SEED` (printed).
//! `VERIFY-STAT` lines: `statements`, `queries`, `scripts`, `mismatches`, `flushes`,
//! `compactions`, `mutant_caught_after` (statements run before the mutant's first mismatch).
#![cfg(not(any(loom, feature = "shuttle")))]

use ferrolite_sql_difftest::{run, Config, Mutant, Storage};
use ferrolite_structures::MapKind;
use ferrolite_verification::{model, report, Mode};
use std::sync::Mutex;

/// The planner mutant is process-wide: one cell at a time in this process.
static SERIAL: Mutex<()> = Mutex::new(());

fn sql_cell(kind: MapKind) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let mode = Mode::from_env_or_quick();
    let seed = model::seed_from_env();
    let storage = Storage::engine(kind);
    let clean = run(&Config {
        seed,
        scripts: mode.pick(20, 200, 1000),
        statements: 150,
        storage,
        ..Config::default()
    })
    .expect("the differential run");
    for (key, v) in [
        ("statements", clean.statements),
        ("queries", clean.queries),
        ("scripts", clean.scripts as u64),
        ("mismatches", clean.mismatches.len() as u64),
        ("flushes", clean.flushes),
        ("compactions", clean.compactions),
    ] {
        report(key, v);
    }
    println!(
        "sql {}: {} scripts, {} statements, {} queries, {} rows compared, {} flushes, {} compactions, seed {seed}",
        clean.storage, clean.scripts, clean.statements, clean.queries, clean.rows, clean.flushes, clean.compactions
    );
    if let Some(m) = clean.mismatches.first() {
        panic!(
            "SQL differs from SQLite on memtable {} (FERROLITE_MODEL_SEED={seed}):\n{m}",
            kind.name()
        );
    }
    assert!(
        clean.queries > 0 && clean.flushes > 0,
        "the run exercised queries and flushes"
    );

    // The checker can fail: the wrong plan is caught on the same storage.
    let caught = run(&Config {
        seed,
        scripts: 200,
        statements: 150,
        storage,
        mutant: Some(Mutant::WrongPlan),
        max_mismatches: 1,
        ..Config::default()
    })
    .expect("the mutant run");
    let m = caught.mismatches.first().unwrap_or_else(|| {
        panic!(
            "the wrong-plan mutant was not caught in {} statements (seed {seed})",
            caught.statements
        )
    });
    report("mutant_caught_after", caught.statements);
    println!(
        "sql {}: wrong plan caught after {} statements; minimal script:\n{}",
        caught.storage,
        caught.statements,
        m.minimal_sql()
    );
}

ferrolite_verification::cell_tests!(sql_cell);
