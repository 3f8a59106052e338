//! `sql-difftest`: run the differential test of ferrolite-sql against SQLite from the
//! command line.
//!
//! ```text
//! sql-difftest [--seed N] [--scripts N] [--statements N] [--storage memory|engine]
//!              [--memtable KIND|all] [--memtable-size BYTES] [--mutant wrong-plan]
//!              [--max-mismatches N] [--print] [--sql FILE]
//! ```
//!
//! One row per storage (memory, or the engine with each memtable asked for) runs the
//! scripts with a progress bar on stderr; a summary table follows, then each mismatch with
//! its minimal script. The exit code is 1 if any mismatch was found — or, with `--mutant`,
//! if the mutant was *not* caught (the summary then says "mutant caught" and shows the
//! minimal script that caught it). `--print` prints the script of `--seed` and exits; `--sql FILE` replays a
//! script (one statement a line, as the reports print them) on both sides and prints every
//! outcome.

use anyhow::{bail, Context};
use ferrolite_sql_difftest::script::parse_script;
use ferrolite_sql_difftest::shrink::replay;
use ferrolite_sql_difftest::{generate, run_with, Config, MapKind, Mutant, Report, Storage};
use indicatif::{ProgressBar, ProgressStyle};
use std::process::ExitCode;

const USAGE: &str = "usage: sql-difftest [--seed N] [--scripts N] [--statements N] \
[--storage memory|engine] [--memtable KIND|all] [--memtable-size BYTES] [--mutant wrong-plan] \
[--max-mismatches N] [--print] [--sql FILE]";

struct Args {
    config: Config,
    storages: Vec<Storage>,
    print: bool,
    sql: Option<String>,
}

fn number<T: std::str::FromStr>(flag: &str, v: Option<String>) -> anyhow::Result<T> {
    let v = v.with_context(|| format!("{flag} needs a value"))?;
    v.parse()
        .map_err(|_| anyhow::anyhow!("{flag}: not a number: {v}"))
}

fn parse(mut it: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut config = Config {
        seed: 1,
        scripts: 100,
        ..Config::default()
    };
    let mut storage: Option<String> = None;
    let mut memtable: Option<String> = None;
    let mut memtable_size: usize = 16 << 10;
    let mut print = false;
    let mut max_mismatches = None;
    let mut sql = None;
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--seed" => config.seed = number(&flag, it.next())?,
            "--scripts" => config.scripts = number(&flag, it.next())?,
            "--statements" => config.statements = number(&flag, it.next())?,
            "--memtable-size" => memtable_size = number(&flag, it.next())?,
            "--max-mismatches" => max_mismatches = Some(number(&flag, it.next())?),
            "--storage" => storage = Some(it.next().context("--storage needs a value")?),
            "--memtable" => memtable = Some(it.next().context("--memtable needs a value")?),
            "--mutant" => {
                let name = it.next().context("--mutant needs a value")?;
                let m = Mutant::ALL
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, m)| *m)
                    .with_context(|| format!("unknown mutant {name}"))?;
                config.mutant = Some(m);
            }
            "--print" => print = true,
            "--sql" => sql = Some(it.next().context("--sql needs a file")?),
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    let engine = match storage.as_deref() {
        None => memtable.is_some(),
        Some("memory") => false,
        Some("engine") => true,
        Some(other) => bail!("unknown storage {other} (memory or engine)"),
    };
    let storages = if !engine {
        if memtable.is_some() {
            bail!("--memtable needs --storage engine");
        }
        vec![Storage::Memory]
    } else {
        let kinds: Vec<MapKind> = match memtable.as_deref() {
            None => vec![MapKind::Epoch],
            Some("all") => MapKind::ALL.to_vec(),
            Some(k) => vec![k.parse().map_err(|e| anyhow::anyhow!("{e}"))?],
        };
        kinds
            .into_iter()
            .map(|memtable| Storage::Engine {
                memtable,
                memtable_size,
            })
            .collect()
    };
    config.max_mismatches = match (max_mismatches, config.mutant) {
        (Some(n), _) => n,
        (None, Some(_)) => 1,
        (None, None) => config.max_mismatches,
    };
    Ok(Args {
        config,
        storages,
        print,
        sql,
    })
}

fn one_row(config: &Config) -> anyhow::Result<Report> {
    let bar = ProgressBar::new(config.scripts as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix:>16} [{bar:30}] {pos}/{len} scripts {msg} ({elapsed})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(config.storage.to_string());
    let report = run_with(config, &mut |r| {
        bar.set_position(r.scripts as u64);
        bar.set_message(format!(
            "{} statements, {} mismatches",
            r.statements,
            r.mismatches.len()
        ));
    });
    bar.finish_and_clear();
    report
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sql-difftest: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> anyhow::Result<ExitCode> {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    let args = parse(std::env::args().skip(1))?;
    if args.print {
        let script = generate(
            args.config.seed,
            args.config.statements,
            &args.config.generator,
        );
        print!("{script}");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(file) = &args.sql {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
        let stmts = parse_script(&text);
        let mut all_agree = true;
        for &storage in &args.storages {
            println!("-- {storage}");
            for (s, (ours, theirs, ok)) in stmts.iter().zip(replay(&stmts, storage)?) {
                println!("{};", s.sql());
                if ok {
                    println!("  -- both: {ours}");
                } else {
                    all_agree = false;
                    println!("  -- MISMATCH\n  -- ferrolite: {ours}\n  -- sqlite:    {theirs}");
                }
            }
        }
        return Ok(if all_agree {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let mut reports = Vec::new();
    for &storage in &args.storages {
        let config = Config {
            storage,
            ..args.config.clone()
        };
        reports.push(one_row(&config)?);
    }
    println!(
        "{:<18} {:>8} {:>11} {:>9} {:>9} {:>7} {:>11} {:>8} {:>12} {:>8}",
        "storage",
        "scripts",
        "statements",
        "queries",
        "rows",
        "errors",
        "mismatches",
        "flushes",
        "compactions",
        "seconds"
    );
    for r in &reports {
        println!(
            "{:<18} {:>8} {:>11} {:>9} {:>9} {:>7} {:>11} {:>8} {:>12} {:>8.1}",
            r.storage,
            r.scripts,
            r.statements,
            r.queries,
            r.rows,
            r.errors,
            r.mismatches.len(),
            r.flushes,
            r.compactions,
            r.elapsed.as_secs_f64()
        );
    }
    let mut failed = false;
    for r in &reports {
        match (args.config.mutant, r.mismatches.first()) {
            (Some(m), Some(found)) => {
                println!("\n{}: mutant caught ({m:?})\n{found}", r.storage);
            }
            (Some(m), None) => {
                println!(
                    "\n{}: mutant NOT caught ({m:?}) in {} scripts",
                    r.storage, r.scripts
                );
                failed = true;
            }
            (None, _) => {
                for found in &r.mismatches {
                    println!("\n{}: {found}", r.storage);
                    failed = true;
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
