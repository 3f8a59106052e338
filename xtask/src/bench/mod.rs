//! `cargo xtask bench` and `cargo xtask report`.
//!
//! * `bench` runs `$CARGO bench -p ferrolite-benches` (with `FERROLITE_BENCH_SCALE=smoke`
//!   under `--smoke`), then the report.
//! * `report` rereads the saved results without running anything — criterion's estimates
//!   under `<target>/criterion` and the side data the benches write under
//!   `<target>/ferrolite-bench` (see [`data`]) — and writes the figures (`*.svg`, [`plots`])
//!   and `bench.md` ([`markdown`]), whose tables hold the figures' numbers and whose
//!   "Targets" section says which throughput targets are met, into `<target>/bench-report/`,
//!   or into `--out DIR` (`--out reports` replaces the committed snapshot).
//!
//! A group without results is a "no data" section, not an error.

pub mod data;
pub mod markdown;
pub mod model;
pub mod plots;

use anyhow::{bail, Context, Result};
use ferrolite_bench_format::time::UtcTime;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const BENCH_USAGE: &str = "\
usage: cargo xtask bench [--smoke] [--fresh] [--out DIR] [-- <cargo bench args>]

Runs `cargo bench -p ferrolite-benches` (criterion's estimates go to <target>/criterion, the
benches' side data to <target>/ferrolite-bench), then `cargo xtask report`.

OPTIONS:
  --smoke      FERROLITE_BENCH_SCALE=smoke: tiny sizes, a quick check that the benches run
  --fresh      delete earlier results (<target>/criterion, <target>/ferrolite-bench) first,
               so the report holds only this run
  --out DIR    where the report goes, relative to the workspace root (default:
               <target>/bench-report; `--out reports` replaces the committed snapshot)
  -h, --help   this text

Arguments after `--` go to `cargo bench` (e.g. `-- --bench synchro`, or a filter after a
second `--`).";

const REPORT_USAGE: &str = "\
usage: cargo xtask report [--target-dir DIR] [--out DIR]

Regenerates the figures (*.svg) and bench.md from the saved results, without running any
benchmark: criterion's estimates (<target>/criterion/<group>/<function>/<parameter>/new/) and
the benches' side data (<target>/ferrolite-bench/<group>/<function>/<parameter>.json).

OPTIONS:
  --target-dir DIR   the cargo target directory (default: $CARGO_TARGET_DIR, else target/)
  --out DIR          where to write (default: <target>/bench-report; `--out reports`
                     replaces the committed snapshot)
  -h, --help         this text";

fn workspace_root() -> PathBuf {
    // xtask lives in `<root>/xtask`.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .into()
}

/// The cargo target directory: `$CARGO_TARGET_DIR` (relative to the root) or `target/`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => root.join(d),
        _ => root.join("target"),
    }
}

/// Where a report goes unless `--out` says otherwise: under the target directory, so that a
/// run never overwrites the committed snapshot in `reports/`.
fn default_out(root: &Path) -> PathBuf {
    target_dir(root).join("bench-report")
}

/// `cargo xtask bench`.
pub fn bench_main(args: &[String]) -> Result<()> {
    let (ours, theirs) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let root = workspace_root();
    let mut smoke = false;
    let mut fresh = false;
    let mut out = default_out(&root);
    let mut it = ours.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--smoke" => smoke = true,
            "--fresh" => fresh = true,
            "--out" => {
                let dir = it.next().context("--out needs a directory")?;
                out = root.join(dir);
            }
            "-h" | "--help" => {
                println!("{BENCH_USAGE}");
                return Ok(());
            }
            other => bail!("unknown option `{other}`\n\n{BENCH_USAGE}"),
        }
    }
    let target = target_dir(&root);
    if fresh {
        for d in [target.join("criterion"), target.join("ferrolite-bench")] {
            if d.exists() {
                std::fs::remove_dir_all(&d).with_context(|| format!("removing {}", d.display()))?;
            }
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&root)
        .args(["bench", "-p", "ferrolite-benches"])
        .args(theirs);
    if smoke {
        cmd.env("FERROLITE_BENCH_SCALE", "smoke");
    }
    eprintln!(
        "== {cargo} bench -p ferrolite-benches {}{}",
        theirs.join(" "),
        if smoke {
            " (FERROLITE_BENCH_SCALE=smoke)"
        } else {
            ""
        }
    );
    let status = cmd.status().with_context(|| format!("running {cargo}"))?;
    if !status.success() {
        bail!("cargo bench failed ({status}); the report was not regenerated");
    }
    report(&data::Sources::under(&target), &out, &root)
}

/// `cargo xtask report`.
pub fn report_main(args: &[String]) -> Result<()> {
    let root = workspace_root();
    let mut target = target_dir(&root);
    let mut out = default_out(&root);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<PathBuf> {
            let v = it.next().with_context(|| format!("{name} needs a value"))?;
            Ok(std::env::current_dir()?.join(v))
        };
        match a.as_str() {
            "--target-dir" => target = value("--target-dir")?,
            "--out" => out = value("--out")?,
            "-h" | "--help" => {
                println!("{REPORT_USAGE}");
                return Ok(());
            }
            other => bail!("unknown option `{other}`\n\n{REPORT_USAGE}"),
        }
    }
    report(&data::Sources::under(&target), &out, &root)
}

fn report(src: &data::Sources, out: &Path, root: &Path) -> Result<()> {
    let prov = provenance(root);
    let written = generate(src, out, &prov)?;
    for w in &written.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "read {} cells from {} and {}",
        written.cells,
        src.criterion.display(),
        src.side.display()
    );
    for f in &written.files {
        println!("wrote {}", out.join(f).display());
    }
    Ok(())
}

/// What [`generate`] wrote.
#[derive(Debug)]
pub struct Written {
    /// File names under the output directory (the SVGs, then `bench.md`).
    pub files: Vec<String>,
    /// Cells read.
    pub cells: usize,
    /// Files that could not be read.
    pub warnings: Vec<String>,
}

/// Is this one of the figure files the report owns (and may replace or remove)? Not
/// `stages.svg`: `cargo xtask ladder` draws it, into the same directory.
fn is_our_figure(name: &str) -> bool {
    name.ends_with(".svg")
        && (name.starts_with("structures-")
            || name.starts_with("engine-")
            || matches!(
                name,
                "unreclaimed.svg" | "stalled-reader.svg" | "sql-vs-sqlite.svg"
            ))
}

/// Reads the saved results in `src` and writes the figures and `bench.md` into `out`.
/// Figures of an earlier report that this data no longer produces are removed, so that the
/// directory matches `bench.md`.
pub fn generate(src: &data::Sources, out: &Path, prov: &markdown::Provenance) -> Result<Written> {
    let ds = data::load(src)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;

    let structures = model::structures(&ds);
    let engine = model::grid(&ds, "engine");
    let yardstick = model::grid(&ds, "yardstick");
    let sql = model::sql_grid(&ds);
    let unreclaimed = model::unreclaimed(&ds);
    let targets = model::targets(&structures);

    let mut figures = BTreeSet::new();
    for f in &structures {
        plots::structures(out, f)?;
        figures.insert(f.file_name());
    }
    if plots::engine_throughput(out, &engine)? {
        figures.insert("engine-throughput.svg".into());
    }
    if plots::engine_latency(out, &engine)? {
        figures.insert("engine-latency.svg".into());
    }
    if plots::sql_vs_sqlite(out, &sql)? {
        figures.insert("sql-vs-sqlite.svg".into());
    }
    if plots::unreclaimed(out, &unreclaimed)? {
        figures.insert("unreclaimed.svg".into());
    }
    if plots::stalled_reader(out, &ds.group("stalled_reader"), ds.cores())? {
        figures.insert("stalled-reader.svg".into());
    }

    for e in std::fs::read_dir(out)? {
        let name = e?.file_name().to_string_lossy().into_owned();
        if is_our_figure(&name) && !figures.contains(&name) {
            std::fs::remove_file(out.join(&name))?;
        }
    }

    let md = markdown::render(&markdown::Inputs {
        prov,
        ds: &ds,
        structures: &structures,
        engine: &engine,
        yardstick: &yardstick,
        sql: &sql,
        unreclaimed: &unreclaimed,
        targets: &targets,
        figures: &figures,
    });
    std::fs::write(out.join("bench.md"), md)?;
    let mut files: Vec<String> = figures.into_iter().collect();
    files.push("bench.md".into());
    Ok(Written {
        files,
        cells: ds.cells.len(),
        warnings: ds.warnings.clone(),
    })
}

/// The machine, the date and the commit.
pub fn provenance(root: &Path) -> markdown::Provenance {
    markdown::Provenance {
        cpu: cpu(),
        memory: memory(),
        date: utc_now(),
        commit: commit(root),
    }
}

fn cpu() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "model name").then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown model".into());
    let listed = info
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
        .count();
    let cores = if listed > 0 {
        listed
    } else {
        std::thread::available_parallelism().map_or(0, |n| n.get())
    };
    format!("{model}, {cores} logical cores")
}

fn memory() -> String {
    let info = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    info.lines()
        .find_map(|l| {
            let kb: f64 = l
                .strip_prefix("MemTotal:")?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some(format!("{:.1} GiB", kb / (1024.0 * 1024.0)))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The commit a report ran at (`-dirty` when tracked files differ from it).
pub(crate) fn commit(root: &Path) -> String {
    ferrolite_bench_format::git_commit(root)
        .unwrap_or_else(|| "unknown (not a git checkout)".into())
}

/// Now, as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    show_utc(UtcTime::now())
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar).
#[cfg(test)]
fn format_utc(secs: u64) -> String {
    show_utc(UtcTime::from_unix(secs))
}

fn show_utc(t: UtcTime) -> String {
    format!("{} {:02}:{:02} UTC", t.date(), t.hour, t.minute)
}

#[cfg(test)]
mod tests;
