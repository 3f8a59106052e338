//! `cargo xtask load`: the server under load, from one build.
//!
//! Builds `ferrolite-server` and `ferrolite-load` (release; `--quick` uses the dev profile
//! through `cargo test --workspace --no-run`, so CI reuses the build the tests made), runs the `loadgen` binary — which
//! starts the server on loopback, runs every face × workload × client count, the in-process
//! reference and the soak, and writes `load.md` and `load.json` — then draws `load.svg` from
//! the JSON (`plots::load_figure`, `plots::load_svg`). Everything goes under
//! `target/bench-report/` unless `--out DIR` says otherwise (`--out reports` replaces the
//! committed snapshot).

use crate::bench::plots;
use anyhow::{bail, Context, Result};
use ferrolite_bench_format::load::LoadReport;
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "\
usage: cargo xtask load [--quick] [--redraw] [--out DIR] [-- <loadgen args>]

Builds ferrolite-server and the load generator (release), runs `loadgen`: gets, puts, SQL point
queries and a 60/20/20 mix over gRPC and REST from 1, 4 and 16 clients (5 s per cell), the same
against the engine in process (the ratio is the network face's cost), a 60 s soak over both
faces with the server's RSS judged bounded or not; writes load.md, load.json and load.svg into
target/bench-report/ (or --out DIR, relative to the workspace root; `--out reports` replaces
the committed snapshot). Any failed request, a server that dies or does not shut down with
exit 0 on SIGTERM, or an unbounded RSS fails the command.

OPTIONS:
  --quick     the dev build and tiny bounds (1 s cells, 1 and 4 clients, a 3 s soak): a check
              that it works, for CI
  --redraw    build and run nothing: draw load.svg again from the load.json in --out
  --out DIR   where the files go
  -h, --help  this text

Arguments after `--` go to loadgen (e.g. `-- --clients 1,2 --seconds 10 --sync every-write`;
`-- --help` lists them).";

/// The workspace root (xtask lives one folder below it).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The cargo target directory.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => root.join(d),
        _ => root.join("target"),
    }
}

/// The command that reproduces a run, as the report prints it.
pub fn rerun_command(quick: bool, out: &str, theirs: &[String]) -> String {
    let mut c = String::from("cargo xtask load");
    if quick {
        c.push_str(" --quick");
    }
    c.push_str(" --out ");
    c.push_str(out);
    if !theirs.is_empty() {
        c.push_str(" -- ");
        c.push_str(&theirs.join(" "));
    }
    c
}

/// `cargo xtask load`.
pub fn main(args: &[String]) -> Result<()> {
    let root = root();
    let (ours, theirs) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let mut out_arg = None;
    let mut quick = false;
    let mut redraw = false;
    let mut it = ours.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--redraw" => redraw = true,
            "--out" => out_arg = Some(it.next().context("--out needs a directory")?.clone()),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown option `{other}`\n\n{USAGE}"),
        }
    }
    let target = target_dir(&root);
    let out = match &out_arg {
        Some(o) => root.join(o),
        None => target.join("bench-report"),
    };
    let out_shown = out
        .strip_prefix(&root)
        .unwrap_or(&out)
        .display()
        .to_string();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let json = out.join("load.json");
    if redraw {
        let report =
            LoadReport::load(&json).with_context(|| format!("reading {}", json.display()))?;
        plots::load_svg(&out, &plots::load_figure(&report))?;
        println!("load: {out_shown}/load.svg");
        return Ok(());
    }

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let profile = if quick { "debug" } else { "release" };
    // Quick: exactly the build `cargo test --workspace` makes (it builds both binaries, for the
    // server's end-to-end tests and loadgen's own), so after the tests this is a no-op; a build
    // of the two packages alone would unify features differently and rebuild half the
    // dependency tree.
    let args: &[&str] = if quick {
        &["test", "--workspace", "--no-run"]
    } else {
        &[
            "build",
            "--release",
            "-p",
            "ferrolite-server",
            "-p",
            "ferrolite-load",
        ]
    };
    let mut build = Command::new(&cargo);
    build.current_dir(&root).args(args);
    eprintln!("== {cargo} {}", args.join(" "));
    let status = build.status().with_context(|| format!("running {cargo}"))?;
    if !status.success() {
        bail!("building the server and the load generator failed ({status})");
    }
    let bin = target.join(profile);
    let exe = |name: &str| bin.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));

    let mut run = Command::new(exe("loadgen"));
    run.current_dir(&root)
        .arg("--server-bin")
        .arg(exe("ferrolite-server"))
        .arg("--out")
        .arg(&out)
        .arg("--command")
        .arg(rerun_command(quick, &out_shown, theirs));
    if quick {
        run.arg("--quick");
    }
    run.args(theirs);
    eprintln!("== loadgen → {out_shown}");
    let status = run
        .status()
        .with_context(|| format!("running {}", exe("loadgen").display()))?;

    // Draw what was measured, also when the run failed part-way.
    let drawn = match LoadReport::load(&json) {
        Ok(report) => plots::load_svg(&out, &plots::load_figure(&report))?,
        Err(e) if status.success() => {
            return Err(e).with_context(|| format!("reading {}", json.display()))
        }
        Err(_) => false,
    };
    if !status.success() {
        bail!("the load run failed ({status}); what it measured is in {out_shown}/load.md");
    }
    println!(
        "load: {out_shown}/load.md, {out_shown}/load.json{}",
        if drawn {
            format!(", {out_shown}/load.svg")
        } else {
            String::new()
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plots::Measure;

    /// A small `load.json` as `loadgen` writes it: two faces, two workloads, two client
    /// counts, the in-process reference for one workload only.
    const JSON: &str = r#"{
      "commit": "abc1234", "date": "2026-12-05 10:00:00 UTC", "machine": "CPU", "cores": 2,
      "command": "cargo xtask load", "in_process": [], "repeat": null, "server_log": [],
      "setup": {"keys": 10, "value_bytes": 100, "sql_rows": 5, "mix": "60% get, 20% put, 20% sql",
        "memtable": "epoch", "sync": "none", "memtable_bytes": 67108864, "max_immutable_memtables": 2,
        "block_cache_bytes": 67108864, "clients": [1, 4], "cell_seconds": 1.0, "cell_requests": 100,
        "warmup_seconds": 0.1, "client_threads": 2, "connections": "one each"},
      "cells": [
        {"face": "grpc", "workload": "get", "clients": 4, "requests": 10, "seconds": 1.0,
         "throughput": 400.0, "latency_us": {"p50": 5.0, "p99": 9.0, "p999": 12.0, "max": 20.0, "mean": 6.0},
         "errors": 0, "stopped_by": "seconds", "server_cpu_s": null, "client_cpu_s": null, "server_rss_mib": null},
        {"face": "grpc", "workload": "get", "clients": 1, "requests": 10, "seconds": 1.0,
         "throughput": 100.0, "latency_us": {"p50": 1.0, "p99": 2.0, "p999": 3.0, "max": 4.0, "mean": 1.5},
         "errors": 0, "stopped_by": "seconds", "server_cpu_s": null, "client_cpu_s": null, "server_rss_mib": null},
        {"face": "rest", "workload": "put", "clients": 1, "requests": 10, "seconds": 1.0,
         "throughput": 50.0, "latency_us": {"p50": 2.0, "p99": 4.0, "p999": 6.0, "max": 8.0, "mean": 2.5},
         "errors": 0, "stopped_by": "seconds", "server_cpu_s": null, "client_cpu_s": null, "server_rss_mib": null}
      ],
      "soak": null
    }"#;

    fn report() -> LoadReport {
        let mut r: LoadReport = serde_json::from_str(JSON).unwrap();
        let mut ip = r.cells[1].clone();
        ip.face = "in-process".into();
        ip.throughput = 10_000.0;
        r.in_process.push(ip);
        r
    }

    #[test]
    fn the_json_becomes_the_figures_data() {
        let f = plots::load_figure(&report());
        assert_eq!(f.workloads, ["get", "put"]);
        assert_eq!(
            f.faces,
            ["grpc", "rest"],
            "the in-process cells are no series"
        );
        assert_eq!(f.clients, [1, 4], "client counts ascend");
        assert_eq!(f.value("get", Measure::Throughput, "grpc", 4), Some(400.0));
        assert_eq!(f.value("get", Measure::P999, "grpc", 1), Some(3.0));
        assert_eq!(f.value("put", Measure::P50, "rest", 1), Some(2.0));
        assert_eq!(
            f.value("get", Measure::Ratio, "grpc", 1),
            Some(1.0),
            "100 req/s of 10,000 in process: 1 %"
        );
        assert_eq!(
            f.value("get", Measure::Ratio, "grpc", 4),
            None,
            "no in-process pair, no ratio"
        );
        assert_eq!(
            f.value("put", Measure::Throughput, "grpc", 1),
            None,
            "not measured is not zero"
        );
        assert!(f.run.contains("commit abc1234"));
    }

    #[test]
    fn the_figure_is_drawn_with_its_headers_and_faces() {
        let dir = tempfile::tempdir().unwrap();
        assert!(plots::load_svg(dir.path(), &plots::load_figure(&report())).unwrap());
        let svg = std::fs::read_to_string(dir.path().join("load.svg")).unwrap();
        for text in ["throughput (req/s)", "p99.9 latency (µs)", "grpc", "rest"] {
            assert!(svg.contains(text), "{text} is missing");
        }
        let empty = LoadReport::default();
        assert!(!plots::load_svg(dir.path(), &plots::load_figure(&empty)).unwrap());
    }

    #[test]
    fn the_rerun_command_names_what_was_given() {
        assert_eq!(
            rerun_command(false, "reports", &[]),
            "cargo xtask load --out reports"
        );
        assert_eq!(
            rerun_command(true, "target/x", &["--seconds".into(), "2".into()]),
            "cargo xtask load --quick --out target/x -- --seconds 2"
        );
    }
}
