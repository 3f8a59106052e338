//! `synchro`: Synchrobench-style throughput comparison of Ferrolite's concurrent maps.
//!
//! For every (threads, update%) pair and every selected map, runs the validated workload of
//! [`ferrolite_benches::synchro`] `--reps` times, then prints to stdout a table of median
//! Mops/s with the min–max spread and the ratio to `crossbeam`, and a table of peak
//! unreclaimed objects. Progress goes to stderr. `--json PATH` writes every raw run. A run
//! that fails validation is reported loudly on stderr, its cell's numbers are marked `!`, and
//! the command exits with status 1 after printing the tables. Run with `--help` for options.

use anyhow::{Context, Result};
use ferrolite_benches::cli::{self, Command, Options, USAGE};
use ferrolite_benches::report::{reclamation_table, throughput_table, CellOutcome, INVALID_NOTE};
use ferrolite_benches::synchro::{run_kind, summarize, RunResult, SynchroConfig};
use ferrolite_structures::rng;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::Path;

/// The JSON document `--json` writes.
#[derive(Serialize)]
struct Report<'a> {
    maps: Vec<&'static str>,
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

    println!(
        "synchro: range {} (pre-filled {}), {} ms × {} reps, {} keys, seed {}",
        opts.range,
        opts.range / 2,
        opts.duration.as_millis(),
        opts.reps,
        opts.dist,
        opts.seed
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
    let report = Report {
        maps: opts.maps.iter().map(|m| m.name()).collect(),
        threads: &opts.threads,
        updates: &opts.updates,
        range: opts.range,
        duration_ms: opts.duration.as_millis(),
        reps: opts.reps,
        dist: opts.dist.to_string(),
        seed: opts.seed,
        cells,
    };
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    serde_json::to_writer_pretty(std::io::BufWriter::new(file), &report)
        .with_context(|| format!("writing {}", path.display()))
}

/// Run every cell, (threads, update%) outermost so the maps of one column run close in time.
fn sweep(opts: &Options) -> Vec<CellOutcome> {
    let total = opts.threads.len() * opts.updates.len() * opts.maps.len() * opts.reps;
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30.cyan/blue} {pos}/{len} runs {msg} [{elapsed_precise}, eta {eta}]",
        )
        .expect("valid progress template")
        .progress_chars("=> "),
    );
    let mut cells = Vec::with_capacity(total);
    for &threads in &opts.threads {
        for &update_percent in &opts.updates {
            // Repetitions outermost, maps innermost: a burst of noise on the host hits every map
            // of a repetition alike instead of all repetitions of one map.
            let mut runs: Vec<Vec<RunResult>> = vec![Vec::new(); opts.maps.len()];
            let mut errors: Vec<Option<String>> = vec![None; opts.maps.len()];
            for rep in 0..opts.reps {
                for (i, &kind) in opts.maps.iter().enumerate() {
                    bar.set_message(format!(
                        "{kind} t={threads} u={update_percent}% rep {}/{}",
                        rep + 1,
                        opts.reps
                    ));
                    // The same seed for every map in a repetition: same pre-fill, same keys.
                    let config = SynchroConfig {
                        range: opts.range,
                        threads,
                        update_percent,
                        duration: opts.duration,
                        dist: opts.dist,
                        seed: rng::derive(opts.seed, rep as u64),
                    };
                    match run_kind(kind, &config) {
                        Ok(r) => runs[i].push(r),
                        Err(e) => {
                            bar.suspend(|| {
                                eprintln!(
                                    "!!! {e} (t={threads} \
                                     u={update_percent}% rep {})",
                                    rep + 1
                                )
                            });
                            errors[i].get_or_insert_with(|| e.to_string());
                            runs[i].push(*e.measured);
                        }
                    }
                    bar.inc(1);
                }
            }
            for ((&kind, runs), error) in opts.maps.iter().zip(runs).zip(errors) {
                let summary = summarize(runs);
                if let Some(s) = &summary {
                    let invalid = if error.is_some() { "  [INVALID]" } else { "" };
                    bar.suspend(|| {
                        eprintln!(
                            "{:>10} t={threads} u={update_percent:>3}%: {:8.3} Mops/s \
                             ({:.3}–{:.3}), peak unreclaimed {}{invalid}",
                            s.map, s.median_mops, s.min_mops, s.max_mops, s.peak_unreclaimed
                        )
                    });
                }
                cells.push(CellOutcome {
                    map: kind.name().to_string(),
                    threads,
                    update_percent,
                    summary,
                    error,
                });
            }
        }
    }
    bar.finish_and_clear();
    cells
}
