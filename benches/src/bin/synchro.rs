//! `synchro`: Synchrobench-style throughput comparison of Ferrolite's concurrent maps.
//!
//! For every (threads, update%) pair and every selected map — the rows of
//! [`Sweep::standard`](ferrolite_benches::sweep::Sweep::standard): the registry's maps and
//! `scc-treeindex` — runs the validated workload of [`ferrolite_benches::synchro`] `--reps`
//! times ([`Sweep::synchro`](ferrolite_benches::sweep::Sweep::synchro)), then prints to stdout
//! a table of median Mops/s with the min–max spread and the ratio to `crossbeam`, and a table
//! of peak unreclaimed objects. Progress goes to stderr. `--json PATH` writes every raw run. A
//! run that fails validation is reported loudly on stderr, its cell's numbers are marked `!`,
//! and the command exits with status 1 after printing the tables. Run with `--help` for
//! options.

use anyhow::{Context, Result};
use ferrolite_benches::cli::{self, Command, Options, USAGE};
use ferrolite_benches::report::{reclamation_table, throughput_table, CellOutcome, INVALID_NOTE};
use ferrolite_benches::sweep::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::Path;

/// The JSON document `--json` writes.
#[derive(Serialize)]
struct Report<'a> {
    maps: &'a [String],
    threads: &'a [usize],
    updates: &'a [u32],
    range: u64,
    duration_ms: u128,
    reps: usize,
    dist: String,
    seed: u64,
    cells: &'a [CellOutcome],
}

fn main() -> Result<()> {
    let opts = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(o)) => o,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return Ok(());
        }
        Err(e) => {
            eprint!("error: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let cells = sweep(&opts);

    let plan = &opts.plan;
    println!(
        "synchro: range {} (pre-filled {}), {} ms × {} reps, {} keys, seed {}",
        plan.range,
        plan.range / 2,
        plan.duration.as_millis(),
        plan.reps,
        plan.dist,
        plan.seed
    );
    println!("\nThroughput, median Mops/s (min–max over reps); ×crossbeam = ratio of medians\n");
    print!("{}", throughput_table(&cells));
    println!("\nReclamation: peak unreclaimed objects (max over reps)\n");
    print!("{}", reclamation_table(&cells));

    let failed: Vec<&CellOutcome> = cells.iter().filter(|c| c.error.is_some()).collect();
    if !failed.is_empty() {
        println!("\n{INVALID_NOTE}");
    }
    if let Some(path) = &opts.json {
        write_json(path, &opts, &cells)?;
        eprintln!("raw results written to {}", path.display());
    }
    if !failed.is_empty() {
        eprintln!("\nerror: {} cell(s) FAILED VALIDATION:", failed.len());
        for c in failed {
            let e = c.error.as_deref().unwrap_or_default();
            eprintln!("  {} t={} u={}%: {e}", c.map, c.threads, c.update_percent);
        }
        std::process::exit(1);
    }
    Ok(())
}

fn write_json(path: &Path, opts: &Options, cells: &[CellOutcome]) -> Result<()> {
    let plan = &opts.plan;
    let report = Report {
        maps: &opts.maps,
        threads: &plan.threads,
        updates: &plan.updates,
        range: plan.range,
        duration_ms: plan.duration.as_millis(),
        reps: plan.reps,
        dist: plan.dist.to_string(),
        seed: plan.seed,
        cells,
    };
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    serde_json::to_writer_pretty(std::io::BufWriter::new(file), &report)
        .with_context(|| format!("writing {}", path.display()))
}

/// Run every cell (see `Sweep::synchro` for the order), with a progress bar and a line per
/// cell on stderr.
fn sweep(opts: &Options) -> Vec<CellOutcome> {
    let sweep = opts.sweep();
    let bar = ProgressBar::new(opts.plan.runs(sweep.rows().len()) as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30.cyan/blue} {pos}/{len} runs {msg} [{elapsed_precise}, eta {eta}]",
        )
        .expect("valid progress template")
        .progress_chars("=> "),
    );
    let cells = sweep.synchro(&opts.plan, |p| match p {
        Progress::Run {
            map,
            config,
            rep,
            reps,
        } => {
            bar.set_message(format!(
                "{map} t={} u={}% rep {}/{reps}",
                config.threads,
                config.update_percent,
                rep + 1
            ));
            bar.inc(1); // runs started
        }
        Progress::Invalid { error, config, rep } => bar.suspend(|| {
            eprintln!(
                "!!! {error} (t={} u={}% rep {})",
                config.threads,
                config.update_percent,
                rep + 1
            )
        }),
        Progress::Cell(c) => {
            if let Some(s) = &c.summary {
                let invalid = if c.error.is_some() { "  [INVALID]" } else { "" };
                bar.suspend(|| {
                    eprintln!(
                        "{:>13} t={} u={:>3}%: {:8.3} Mops/s ({:.3}–{:.3}), peak unreclaimed {}{invalid}",
                        s.map, c.threads, c.update_percent, s.median_mops, s.min_mops, s.max_mops,
                        s.peak_unreclaimed
                    )
                });
            }
        }
    });
    bar.finish_and_clear();
    cells
}
