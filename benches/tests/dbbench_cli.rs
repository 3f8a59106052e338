//! Smoke test of the `dbbench` command line: every benchmark on a tiny database, with threads
//! and histograms, and the output's landmarks (header, db_bench lines, level table, summary).

use ferrolite_benches::engine_bench::Benchmark;
use std::process::Command;

fn dbbench(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dbbench"))
        .args(args)
        .output()
        .expect("dbbench runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_benchmark_runs_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let all = Benchmark::all_names();
    let (ok, out, err) = dbbench(&[
        &format!("--benchmarks={all}"),
        "--num=2000",
        "--threads",
        "2",
        "--memtable=epoch",
        "--stage",
        "S5",
        "--histogram",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    for landmark in [
        "Ferrolite:  version",
        "Date:",
        "CPU:",
        "Entries:    2000",
        "Threads:    2",
        "Memtables:  epoch",
        "Stage:      S5",
        "Levels of S5 epoch: write amplification",
        "p50 µs |",
        "p99.99 µs |",
        "files per level |",
    ] {
        assert!(out.contains(landmark), "missing `{landmark}` in:\n{out}");
    }
    for b in Benchmark::ALL {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{:<12} :", b.name())))
            .unwrap_or_else(|| panic!("no db_bench line for {b} in:\n{out}"));
        assert!(
            line.contains(" micros/op ") && line.contains(" ops/sec;"),
            "{line}"
        );
    }
    assert!(
        out.contains("readrandom   :") && out.contains("of 2000 found"),
        "{out}"
    );
}

#[test]
fn bad_arguments_are_refused() {
    let (ok, _, err) = dbbench(&["--benchmarks=fillrandom,nosuch"]);
    assert!(!ok && err.contains("unknown benchmark `nosuch`"), "{err}");
    let (ok, _, err) = dbbench(&["--threads=0"]);
    assert!(!ok && err.contains("--threads must be positive"), "{err}");
    let (ok, out, _) = dbbench(&["--help"]);
    assert!(
        ok && out.contains("--threads N") && out.contains("ycsba .. ycsbf"),
        "{out}"
    );
    if !cfg!(feature = "yardstick") {
        let (ok, _, err) = dbbench(&["--engine=fjall"]);
        assert!(!ok && err.contains("yardstick"), "{err}");
    }
}
