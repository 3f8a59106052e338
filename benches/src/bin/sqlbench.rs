//! `sqlbench`: the SQL workload of [`ferrolite_benches::sql_bench`] on Ferrolite's SQL layer
//! and on SQLite, in one process, printed as rows/s with the ratio to SQLite.
//!
//! ```text
//! sqlbench [--rows N] [--reads N] [--targets ferrolite-normal,sqlite-normal,...]
//!          [--memtable KIND] [--writers 1,2,4] [--repeat R]
//! ```
//!
//! For each target: a fresh database; the table filled by one writer (`insert-1w`); point
//! selects, range selects and updates on it; then, on fresh databases, the same inserts from
//! each number of writers in `--writers` above 1. `--repeat` runs everything R times and
//! reports the median with the spread (min–max). A progress bar goes to stderr, the summary
//! table to stdout.

use anyhow::{bail, Result};
use ferrolite::MapKind;
use ferrolite_benches::flags::{list, Flags};
use ferrolite_benches::sidecar::Spread;
use ferrolite_benches::sql_bench::{create, random_ids, timed, TARGETS};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;

struct Args {
    rows: i64,
    reads: usize,
    targets: Vec<String>,
    memtable: MapKind,
    writers: Vec<usize>,
    repeat: usize,
    reads_only: Option<std::path::PathBuf>,
}

fn args() -> Result<Args> {
    let mut a = Args {
        rows: 1_000_000,
        reads: 100_000,
        targets: TARGETS.iter().map(|s| s.to_string()).collect(),
        memtable: MapKind::Epoch,
        writers: vec![1, 2, 4],
        repeat: 1,
        reads_only: None,
    };
    let mut flags = Flags::new(std::env::args().skip(1));
    while let Some(flag) = flags.next_flag() {
        let mut v = || flags.value(&flag);
        match flag.name.as_str() {
            "--rows" => a.rows = v()?.parse()?,
            "--reads" => a.reads = v()?.parse()?,
            "--targets" => a.targets = list(&v()?, |s| Ok(s.to_string()))?,
            "--memtable" => a.memtable = v()?.parse().map_err(|e| anyhow::anyhow!("{e}"))?,
            "--writers" => a.writers = list(&v()?, |s| Ok(s.parse()?))?,
            "--repeat" => a.repeat = v()?.parse()?,
            "--reads-only" => a.reads_only = Some(v()?.into()),
            "-h" | "--help" => {
                println!("sqlbench [--rows N] [--reads N] [--targets LIST] [--memtable KIND] [--writers 1,2,4] [--repeat R] [--reads-only DIR]");
                std::process::exit(0);
            }
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

/// `--reads-only DIR`: fill a table of `--rows` rows in DIR once (kept), then only time point
/// and range selects on it, for each target — for profiling the read path.
fn reads_only(a: &Args, dir: &std::path::Path) -> Result<()> {
    for target in &a.targets {
        let d = dir.join(target);
        let fresh = !d.exists();
        std::fs::create_dir_all(&d)?;
        let t = if fresh {
            let t = create(target, &d, a.memtable)?;
            t.insert(0, a.rows, a.rows, 1)?;
            t.settle()?;
            t
        } else {
            ferrolite_benches::sql_bench::open(target, &d, a.memtable)?
        };
        let ids = random_ids(a.reads, a.rows, 7);
        let (found, s) = timed(|| t.point_selects(&ids))?;
        let starts = random_ids(a.reads / 10, a.rows - 100, 11);
        let (rows, r) = timed(|| t.range_selects(&starts))?;
        println!(
            "{target}: point-select {:.0}/s ({found} found), range-select {:.0} rows/s",
            ids.len() as f64 / s,
            rows as f64 / r
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let a = args()?;
    if let Some(dir) = a.reads_only.clone() {
        return reads_only(&a, &dir);
    }
    let workloads: Vec<String> = a
        .writers
        .iter()
        .map(|w| format!("insert-{w}w"))
        .chain(["point-select", "range-select", "update"].map(String::from))
        .collect();
    let steps = (a.targets.len() * a.repeat * workloads.len()) as u64;
    let bar = ProgressBar::new(steps).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // results[workload][target] = rows/s per repetition
    let mut results: BTreeMap<(usize, String), Vec<f64>> = BTreeMap::new();
    for rep in 0..a.repeat {
        for target in &a.targets {
            let dir = tempfile::tempdir()?;
            let t = create(target, dir.path(), a.memtable)?;
            bar.set_message(format!("{target}: insert-1w"));
            let (_, s) = timed(|| t.insert(0, a.rows, a.rows, 1))?;
            results
                .entry((0, target.clone()))
                .or_default()
                .push(a.rows as f64 / s);
            bar.inc(1);
            t.settle()?;
            let ids = random_ids(a.reads, a.rows, 7 + rep as u64);
            bar.set_message(format!("{target}: point-select"));
            let (found, s) = timed(|| t.point_selects(&ids))?;
            if found != ids.len() as u64 {
                bail!("{target}: point selects found {found} of {}", ids.len());
            }
            let wi = a.writers.len();
            results
                .entry((wi, target.clone()))
                .or_default()
                .push(ids.len() as f64 / s);
            bar.inc(1);
            let starts = random_ids(a.reads / 10, a.rows - 100, 11 + rep as u64);
            bar.set_message(format!("{target}: range-select"));
            let (found, s) = timed(|| t.range_selects(&starts))?;
            if found != 100 * starts.len() as u64 {
                bail!(
                    "{target}: range selects found {found}, expected {}",
                    100 * starts.len()
                );
            }
            results
                .entry((wi + 1, target.clone()))
                .or_default()
                .push(found as f64 / s);
            bar.inc(1);
            let upd = random_ids(a.reads / 5, a.rows, 13 + rep as u64);
            bar.set_message(format!("{target}: update"));
            let (_, s) = timed(|| t.updates(&upd, 1 + rep as u32))?;
            results
                .entry((wi + 2, target.clone()))
                .or_default()
                .push(upd.len() as f64 / s);
            bar.inc(1);
            drop(t);
            for (i, &w) in a.writers.iter().enumerate().skip(1) {
                let dir = tempfile::tempdir()?;
                let t = create(target, dir.path(), a.memtable)?;
                bar.set_message(format!("{target}: insert-{w}w"));
                let (_, s) = timed(|| t.insert(0, a.rows, a.rows, w))?;
                results
                    .entry((i, target.clone()))
                    .or_default()
                    .push(a.rows as f64 / s);
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();
    // Median and min–max, as the criterion benches' side data fold repetitions.
    let median = |v: &[f64]| {
        let s = Spread::of(v).unwrap_or_default();
        (
            s.median.unwrap_or(0.0),
            s.min.unwrap_or(0.0),
            s.max.unwrap_or(0.0),
        )
    };
    println!(
        "sqlbench: {} rows, {} point reads, memtable {}, {} repetition(s); rows/s (median, min-max); ratio = ferrolite / sqlite of the same sync",
        a.rows, a.reads, a.memtable.name(), a.repeat
    );
    print!("{:<14}", "workload");
    for t in &a.targets {
        print!(" {t:>26}");
    }
    println!(" {:>8} {:>8}", "ratio-n", "ratio-o");
    for (i, w) in workloads.iter().enumerate() {
        print!("{w:<14}");
        let mut med = BTreeMap::new();
        for t in &a.targets {
            match results.get(&(i, t.clone())) {
                Some(v) => {
                    let (m, lo, hi) = median(v);
                    med.insert(t.as_str(), m);
                    print!(" {:>26}", format!("{m:.0} ({lo:.0}-{hi:.0})"));
                }
                None => print!(" {:>26}", "-"),
            }
        }
        for sync in ["normal", "off"] {
            match (
                med.get(format!("ferrolite-{sync}").as_str()),
                med.get(format!("sqlite-{sync}").as_str()),
            ) {
                (Some(f), Some(s)) => print!(" {:>8.2}", f / s),
                _ => print!(" {:>8}", "-"),
            }
        }
        println!();
    }
    Ok(())
}
