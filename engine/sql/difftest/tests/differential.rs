//! The differential test in plain `cargo test`: thousands of generated statements on
//! Ferrolite (in memory, and on the engine with the epoch memtable) and on SQLite must
//! agree, and the seeded wrong-plan mutant must be caught with a small script.
//!
//! The mutant is process-wide, so the tests of this file take turns.

use ferrolite_sql_difftest::{run, Config, GenOptions, MapKind, Mutant, Report, Storage};
use std::sync::Mutex;

/// The mutant switch is global to the process: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn known_bugs_avoided() -> GenOptions {
    GenOptions::default()
}

fn check(report: &Report) {
    eprintln!(
        "{}: {} scripts, {} statements, {} queries ({} rows), {} failing on both sides, \
         {} flushes, {} compactions, {} mismatches in {:.1} s",
        report.storage,
        report.scripts,
        report.statements,
        report.queries,
        report.rows,
        report.errors,
        report.flushes,
        report.compactions,
        report.mismatches.len(),
        report.elapsed.as_secs_f64()
    );
    for m in &report.mismatches {
        eprintln!("{m}\n");
    }
    assert!(
        report.mismatches.is_empty(),
        "{} mismatches (printed above)",
        report.mismatches.len()
    );
}

#[test]
fn ferrolite_agrees_with_sqlite_in_memory() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let report = run(&Config {
        seed: 1,
        scripts: 300,
        statements: 100,
        storage: Storage::Memory,
        generator: known_bugs_avoided(),
        ..Config::default()
    })
    .unwrap();
    check(&report);
    assert!(report.statements >= 25_000, "{}", report.statements);
}

#[test]
fn long_scripts_agree_in_memory() {
    // Tables of hundreds of rows: scans cross the executor's chunks of 256 keys.
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let report = run(&Config {
        seed: 5_001,
        scripts: 10,
        statements: 600,
        storage: Storage::Memory,
        generator: known_bugs_avoided(),
        ..Config::default()
    })
    .unwrap();
    check(&report);
}

#[test]
fn ferrolite_agrees_with_sqlite_on_the_engine() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let report = run(&Config {
        seed: 10_001,
        scripts: 20,
        statements: 300,
        storage: Storage::engine("epoch".parse::<MapKind>().unwrap()),
        generator: known_bugs_avoided(),
        ..Config::default()
    })
    .unwrap();
    check(&report);
    assert!(report.flushes > 0, "the memtable never flushed");
}

#[test]
fn the_wrong_plan_is_caught() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let report = run(&Config {
        seed: 1,
        scripts: 400,
        statements: 60,
        mutant: Some(Mutant::WrongPlan),
        max_mismatches: 1,
        generator: known_bugs_avoided(),
        ..Config::default()
    })
    .unwrap();
    let Some(m) = report.mismatches.first() else {
        panic!(
            "the wrong-plan mutant survived {} scripts ({} queries)",
            report.scripts, report.queries
        );
    };
    eprintln!(
        "mutant caught after {} scripts ({} statements):\n{m}",
        report.scripts, report.statements
    );
    assert!(
        m.minimal.len() <= 8,
        "the shrunk script has {} statements",
        m.minimal.len()
    );
    assert!(
        m.minimal_sql().contains("INDEX"),
        "the mutant needs an index:\n{}",
        m.minimal_sql()
    );
}
