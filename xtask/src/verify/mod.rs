//! `cargo xtask verify`: every checker over every structure and seeded mutant.
//!
//! 1. Plan the rows (structures, then mutants) and columns (checkers) left by the filters.
//! 2. For each cell, make sure its build exists (one `cargo test --no-run` per build, timed
//!    apart from the cells), then run the cell with the mode's budget and a time limit.
//! 3. Print the matrix, write `verification.md` and `verification.json` into the output
//!    directory — `target/verify-report/` unless `--out` names another, so that a run leaves the
//!    work tree clean; `--out reports` replaces the committed snapshot — and exit non-zero if
//!    any real structure fails any checker or any mutant survives every checker that ran on it.
//!    Paths the reports quote are relative to the repository (see [`exec::Paths`]).
//!
//! A cell of a real structure passes when its tests pass; a cell of a mutant row "catches" the
//! mutant when its tests fail or time out. In `--quick` mode a mutant row stops at its first
//! catch (the remaining cells read "caught already"); the other modes run every cell, to show
//! which checkers catch which bug.
//!
//! Builds: a mutant row runs from a build with the mutants compiled in (`--cfg
//! ferrolite_mutants`), a structure's row from a normal build — except in `--quick` mode, where
//! every row runs from the mutant builds, halving the cold builds CI pays for. A structure's row
//! runs there with `FERROLITE_MUTANT` unset, which selects the correct code of every `mutant!`
//! site (`structures/src/mutant.rs`); the report says which builds its cells came from.

mod exec;
mod plan;

use anyhow::{bail, Result};
use ferrolite_matrix::{Cell, Outcome, Summary};
use indicatif::{ProgressBar, ProgressStyle};
use plan::{Build, Checker, Plan, Row, CHECKERS};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: cargo xtask verify [OPTIONS]

Runs every checker (model, loom, shuttle, lincheck, progress, engine, engine-lin, crash, faults,
soak, miri, engine-miri) over every structure and every seeded mutant, prints a pass/fail
matrix and writes verification.{md,json} into target/verify-report/ (or --out DIR).

OPTIONS:
  --quick              CI bounds (the whole run in minutes)
  --full               long runs
  --structure LIST     only these rows (structure or mutant names, comma-separated)
  --checker LIST       only these checkers (comma-separated)
  --no-mutants         skip the mutant rows
  --seed N             the run's seed (decimal or 0x hex; default: a fresh one, printed):
                       every checker derives its own from it (FERROLITE_SEED), so the same
                       seed replays the same workloads, proptest cases and shuttle schedules
  --seeds K            run every cell with K seeds (N, N+1, …); a cell whose verdict differs
                       between them is marked seed-dependent (‡) in the matrix
  --out DIR            where the reports go, relative to the workspace root (default:
                       target/verify-report; `--out reports` replaces the committed snapshot)
  --separate-builds    in --quick mode too, run the structures' rows from normal builds (the
                       other modes always do; --quick runs every row from the mutant builds,
                       with FERROLITE_MUTANT unset on a structure's row: half the cold builds)
  -h, --help           this text

The default mode is between the two (a user's run, tens of minutes).";

/// Parsed command line.
#[derive(Debug)]
struct Options {
    mode: &'static str,
    structures: Vec<String>,
    checkers: Vec<Checker>,
    mutants: bool,
    /// `--separate-builds`: no shared mutant build in quick mode.
    separate_builds: bool,
    /// The reports' directory, relative to the workspace root.
    out: String,
    /// The run's seed.
    seed: u64,
    /// Seeds per cell.
    seeds: u64,
}

/// Where a run writes its reports unless told otherwise: a scratch directory, so that a run
/// never overwrites the committed snapshot in `reports/`.
const DEFAULT_OUT: &str = "target/verify-report";

fn parse(args: &[String]) -> Result<Option<Options>> {
    let mut o = Options {
        mode: "default",
        structures: vec![],
        checkers: vec![],
        mutants: true,
        separate_builds: false,
        out: DEFAULT_OUT.into(),
        seed: fresh_seed(),
        seeds: 1,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut list = |name: &str| -> Result<Vec<String>> {
            let v = it
                .next()
                .ok_or_else(|| anyhow::anyhow!("{name} needs a value"))?;
            Ok(v.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect())
        };
        match a.as_str() {
            "--quick" => o.mode = "quick",
            "--full" => o.mode = "full",
            "--no-mutants" => o.mutants = false,
            "--separate-builds" => o.separate_builds = true,
            "--out" => {
                o.out = it
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--out needs a directory"))?
                    .clone()
            }
            "--structure" => o.structures.extend(list("--structure")?),
            "--seed" => {
                let v = it
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--seed needs a number"))?;
                o.seed = match v.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16),
                    None => v.parse(),
                }
                .map_err(|_| anyhow::anyhow!("--seed {v}: expected a u64 (decimal or 0x hex)"))?;
            }
            "--seeds" => {
                let v = it
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--seeds needs a count"))?;
                o.seeds = v.parse().ok().filter(|&k| k >= 1).ok_or_else(|| {
                    anyhow::anyhow!("--seeds {v}: expected a count of at least 1")
                })?;
            }
            "--checker" => {
                for c in list("--checker")? {
                    match Checker::parse(&c) {
                        Some(c) => o.checkers.push(c),
                        None => bail!(
                            "unknown checker `{c}` (expected one of: {})",
                            CHECKERS.map(|c| c.name()).join(", ")
                        ),
                    }
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => bail!("unknown option `{other}`\n\n{USAGE}"),
        }
    }
    if o.checkers.is_empty() {
        o.checkers = CHECKERS.to_vec();
    }
    // An unknown structure or mutant name is an error (with the known names), here rather
    // than at the first build.
    plan::rows(&o.structures, o.mutants).map_err(|e| anyhow::anyhow!(e))?;
    Ok(Some(o))
}

/// A fresh run seed: the clock and the process id, mixed.
/// What one run of a cell came to, from its exit and log.
fn outcome_of(r: &exec::Run, log: &Path, paths: &exec::Paths) -> Outcome {
    match r.exit {
        exec::Exit::Success => Outcome::Pass {
            secs: r.secs,
            stats: exec::stats(log),
            expected: exec::expected(log),
        },
        exec::Exit::Timeout => Outcome::Timeout {
            secs: r.secs,
            log: paths.path(log),
        },
        exec::Exit::Failure => {
            let excerpt = paths.relative(&exec::excerpt(log, 40));
            Outcome::Fail {
                secs: r.secs,
                reason: ferrolite_matrix::reason(&excerpt),
                excerpt,
                log: paths.path(log),
            }
        }
    }
}

fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    ferrolite_structures::rng::mix(nanos ^ (u64::from(std::process::id()) << 32)) & 0xffff_ffff
}

pub(crate) fn workspace_root() -> PathBuf {
    // xtask lives in `<root>/xtask`.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .into()
}

fn time_limit(mode: &str) -> Duration {
    Duration::from_secs(match mode {
        "quick" => 300,
        "full" => 4 * 3600,
        _ => 1800,
    })
}

/// Whether `cargo +nightly miri` works here, installing the Miri component on the nightly
/// toolchain if it is missing (as `.ci/run` does); `Err(reason)`, naming the command that would
/// make it work, if not.
fn miri_available() -> std::result::Result<(), String> {
    let ok = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    const ADD: [&str; 6] = [
        "component",
        "add",
        "miri",
        "rust-src",
        "--toolchain",
        "nightly",
    ];
    if !ok("cargo", &["+nightly", "--version"]) {
        return Err("no nightly toolchain (rustup toolchain install nightly \
             --component miri,rust-src)"
            .into());
    }
    if !ok("cargo", &["+nightly", "miri", "--version"]) {
        eprintln!("verify: installing Miri: rustup {}", ADD.join(" "));
        if !ok("rustup", &ADD) || !ok("cargo", &["+nightly", "miri", "--version"]) {
            return Err(format!(
                "no miri component, and installing it failed (rustup {})",
                ADD.join(" ")
            ));
        }
    }
    Ok(())
}

/// Whether every row runs from the mutant builds: quick mode with mutant rows, unless
/// `--separate-builds` (the module docs).
fn one_build(opts: &Options, rows: &[Row]) -> bool {
    opts.mode == "quick" && !opts.separate_builds && rows.iter().any(|r| r.mutant.is_some())
}

pub fn main(args: &[String]) -> Result<()> {
    let Some(opts) = parse(args)? else {
        return Ok(());
    };
    let root = workspace_root();
    let paths = exec::Paths::of_machine(&root);
    let started = Instant::now();
    let commit = crate::bench::commit(&root);
    let rows = plan::rows(&opts.structures, opts.mutants).map_err(|e| anyhow::anyhow!(e))?;
    let miri =
        if opts.checkers.contains(&Checker::Miri) || opts.checkers.contains(&Checker::EngineMiri) {
            Some(miri_available())
        } else {
            None
        };

    // Quick mode runs every row from the mutant builds when there are mutant rows (the module
    // docs): one cold build per checker family instead of two.
    let one_build = one_build(&opts, &rows);
    // Every (row, checker) pair, with the build it needs or why it is skipped.
    let mut todo: Vec<(Row, Checker, std::result::Result<Build, String>)> = Vec::new();
    for row in &rows {
        for &checker in &opts.checkers {
            let skip = checker
                .skip_reason(row.structure, row.mutant)
                .map(str::to_string)
                .or_else(|| match (&miri, checker) {
                    (Some(Err(why)), Checker::Miri | Checker::EngineMiri) => Some(why.clone()),
                    _ => None,
                });
            let what = match skip {
                Some(why) => Err(why),
                None => Ok(checker.build(row.mutant.is_some() || one_build)),
            };
            todo.push((row.clone(), checker, what));
        }
    }
    let builds_needed: Vec<Build> = {
        let mut seen = BTreeSet::new();
        todo.iter()
            .filter_map(|(_, _, b)| b.as_ref().ok())
            .filter(|b| seen.insert(b.key.clone()))
            .cloned()
            .collect()
    };

    let bar = ProgressBar::new((todo.len() + builds_needed.len()) as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30.green/blue} {pos}/{len} {wide_msg} [{elapsed_precise}]",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    say(
        &bar,
        format!(
            "verify ({} mode, seed {:#x}{}): {} × {}, {}",
            opts.mode,
            opts.seed,
            if opts.seeds > 1 {
                format!(", {} seeds per cell", opts.seeds)
            } else {
                String::new()
            },
            ferrolite_matrix::plural(rows.len(), "row"),
            ferrolite_matrix::plural(opts.checkers.len(), "checker"),
            ferrolite_matrix::plural(builds_needed.len(), "build")
        ),
    );

    let logs = root.join("target/verify/logs");
    // Where cells leave their drawn counterexamples; copied next to the report when used
    // (`<out>/timelines/`, emptied first: a report links only its own run's pages).
    let artifacts = root.join("target/verify/artifacts");
    let _ = std::fs::remove_dir_all(&artifacts);
    let _ = std::fs::remove_dir_all(root.join(&opts.out).join("timelines"));
    let limit = time_limit(opts.mode);
    let mut built: BTreeMap<String, std::result::Result<f64, PathBuf>> = BTreeMap::new();
    let mut cells = Vec::new();
    for (row, checker, what) in todo {
        let mut seed_runs: Vec<(u64, bool)> = Vec::new();
        // Quick mode stops a mutant row at its first catch: one catch is what the row needs.
        let caught_already = opts.mode == "quick"
            && row.mutant.is_some()
            && cells
                .iter()
                .any(|c: &Cell| c.row.label() == row.label() && c.failed());
        let outcome = match what {
            Err(why) => Outcome::Skipped(why),
            Ok(_) if caught_already => {
                Outcome::Skipped("caught already; quick mode stops there".into())
            }
            Ok(build) => {
                if !built.contains_key(&build.key) {
                    bar.set_message(format!("building {}", build.key));
                    let log = logs.join(format!("build-{}.log", build.key));
                    let mut extra: Vec<String> =
                        build.tests.iter().map(|t| format!("--test={t}")).collect();
                    extra.push("--no-run".into());
                    let r = exec::run(&root, &build, &extra, &[], &log, limit)?;
                    let result = if r.exit == exec::Exit::Success {
                        Ok(r.secs)
                    } else {
                        Err(paths.path(&log))
                    };
                    say(
                        &bar,
                        format!(
                            "  build {:<16} {}",
                            build.key,
                            match &result {
                                Ok(s) => format!("{s:.0} s"),
                                Err(l) => format!("FAILED (log: {})", l.display()),
                            }
                        ),
                    );
                    built.insert(build.key.clone(), result);
                    bar.inc(1);
                }
                match &built[&build.key] {
                    Err(log) => Outcome::BuildFailed(log.clone()),
                    Ok(_) => {
                        bar.set_message(format!("{} × {}", row.label(), checker.name()));
                        let mut env = vec![
                            ("FERROLITE_VERIFY_MODE", opts.mode.to_string()),
                            (
                                "FERROLITE_VERIFY_ARTIFACTS",
                                artifacts.display().to_string(),
                            ),
                        ];
                        if let Some(m) = row.mutant {
                            env.push(("FERROLITE_MUTANT", m.name.to_string()));
                        }
                        env.extend(checker.cell_env(row.structure));
                        // One run per seed; the first one's is the cell's outcome and log.
                        let mut first = None;
                        for i in 0..opts.seeds {
                            let seed = opts.seed.wrapping_add(i);
                            let mut env = env.clone();
                            env.push(("FERROLITE_SEED", seed.to_string()));
                            let log = logs.join(format!(
                                "{}-{}{}.log",
                                row.label().replace(" + ", "+"),
                                checker.name(),
                                if i == 0 {
                                    String::new()
                                } else {
                                    format!("-seed{i}")
                                }
                            ));
                            let r = exec::run(
                                &root,
                                &build,
                                &checker.cell_args(row.structure, opts.mode),
                                &env,
                                &log,
                                limit,
                            )?;
                            let outcome = outcome_of(&r, &log, &paths);
                            let failed = !matches!(outcome, Outcome::Pass { .. });
                            seed_runs.push((seed, failed));
                            if first.is_none() {
                                first = Some(outcome);
                            }
                        }
                        first.expect("at least one seed")
                    }
                }
            }
        };
        let log = logs.join(format!(
            "{}-{}.log",
            row.label().replace(" + ", "+"),
            checker.name()
        ));
        let mut evidence = if matches!(outcome, Outcome::Skipped(_) | Outcome::BuildFailed(_)) {
            ferrolite_matrix::Evidence::default()
        } else {
            exec::evidence(&log, &root.join(&opts.out))
        };
        evidence.seeds = seed_runs;
        let cell = Cell {
            row: row.matrix(),
            checker,
            outcome,
            evidence,
        };
        say(&bar, format!("  {}", ferrolite_matrix::line(&cell)));
        cells.push(cell);
        bar.inc(1);
    }
    bar.finish_and_clear();

    let build_secs: BTreeMap<String, f64> = built
        .iter()
        .filter_map(|(k, v)| v.as_ref().ok().map(|s| (k.clone(), *s)))
        .collect();
    let matrix_rows: Vec<ferrolite_matrix::Row> = rows.iter().map(Row::matrix).collect();
    let summary = Summary {
        command: format!(
            "`cargo xtask verify{} --seed {:#x}{}`",
            match opts.mode {
                "quick" => " --quick",
                "full" => " --full",
                _ => "",
            },
            opts.seed,
            if opts.seeds > 1 {
                format!(" --seeds {}", opts.seeds)
            } else {
                String::new()
            }
        ),
        mode: opts.mode,
        rows: &matrix_rows,
        checkers: &opts.checkers,
        cells: &cells,
        builds: build_secs,
        elapsed: started.elapsed(),
        commit,
    };
    print!("{}", summary.body());
    let out = root.join(&opts.out);
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("verification.md"), summary.markdown())?;
    std::fs::write(out.join("verification.json"), summary.json())?;
    let shown = paths.path(&out);
    println!(
        "\nwrote {} and {}",
        shown.join("verification.md").display(),
        shown.join("verification.json").display()
    );
    println!("{}", summary.verdict());
    if !summary.ok() {
        bail!("verify failed (the verdict above)");
    }
    Ok(())
}

/// A line above the progress bar; a plain line on stderr when the bar is hidden (output
/// redirected: CI logs, `| tee`), so that a long run still shows each finished cell.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(args: &[&str]) -> Options {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse(&args).unwrap().unwrap()
    }

    #[test]
    fn quick_mode_runs_every_row_from_the_mutant_builds_unless_told_not_to() {
        let all = plan::rows(&[], true).unwrap();
        let structures_only = plan::rows(&[], false).unwrap();
        assert!(one_build(&opts(&["--quick"]), &all));
        assert!(!one_build(&opts(&["--quick", "--separate-builds"]), &all));
        assert!(!one_build(&opts(&[]), &all));
        assert!(!one_build(&opts(&["--full"]), &all));
        // No mutant row: nothing to share, the normal builds.
        assert!(!one_build(&opts(&["--quick"]), &structures_only));
        // The shared build is the mutant build: same key, same flags.
        let shared = Checker::Loom.build(true);
        assert!(shared.key.ends_with("-mutants"));
        assert!(shared.rustflags.contains("--cfg ferrolite_mutants"));
    }
}
