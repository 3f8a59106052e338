//! `scaling` — the engine scaling report: fillrandom, overwrite, readwhilewriting and YCSB-A
//! at 1, 2 and 4 threads, for every memtable with and without parallel memtable writes (and
//! fjall with `--features yardstick`), several runs each, alternating; writes
//! `reports/engine-scaling.md`-style Markdown (see `ferrolite_benches::scaling`).
//!
//! With `--ladder` it runs the stage ladder instead: every preset `Options::stage(S0..S5)` ×
//! memtable (mutex, epoch, hazard) × fillrandom at 1 and 2 threads, readrandom and YCSB-A,
//! and writes `stages.md` and `stages.json` (drawn by `cargo xtask ladder`).
//!
//! ```text
//! cargo run --release -p ferrolite-benches --features yardstick --bin scaling -- \
//!     --num 300000 --runs 3 --out reports/engine-scaling.md
//! cargo xtask ladder --out reports      # the ladder, its report and its figure
//! ```

use anyhow::{bail, Context, Result};
use ferrolite::{MapKind, Options, Stage, SyncPolicy};
use std::time::Duration;

/// The ladder's memtable size: small enough that every stage flushes.
const LADDER_MEMTABLE: usize = 4 << 20;

/// The buffered WAL's delay in the durability-matched row.
const BUFFERED_DELAY: Duration = Duration::from_millis(10);
use ferrolite_benches::engine_bench::{
    cpu_description, utc_now, BenchConfig, Benchmark, Engine, FerroliteEngine, Runner,
};
use ferrolite_benches::flags::{list, Flags};
use ferrolite_benches::scaling::{
    ladder_json, ladder_markdown, markdown, Config, Meta, Sample, Table, S5_NO_RECENT,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Instant;

const USAGE: &str = "\
scaling — does the memtable's concurrency matter inside the engine?

USAGE: scaling [--num N] [--runs R] [--threads 1,2,4] [--memtables LIST]
               [--benchmarks LIST] [--no-fjall] [--out FILE]

  --num N          operations per benchmark (default 300000; 16-byte keys, 100-byte values)
  --runs R         runs per configuration, alternating (default 3)
  --threads LIST   thread counts (default 1,2,4)
  --memtables LIST memtable kinds (default: every kind)
  --benchmarks LIST  default fillrandom,overwrite,readwhilewriting,ycsba (fillrandom first:
                   the others run on the database it filled)
  --no-fjall       skip the fjall yardstick (it needs --features yardstick anyway)
  --out FILE       the Markdown report (default target/bench-report/engine-scaling.md, or
                   stages.md with --ladder; the ladder's JSON goes next to it)
  --ladder         the stage ladder: S0..S5 × --memtables (default mutex,epoch,hazard) ×
                   fillrandom (1 and 2 threads), readrandom, ycsba; --num defaults to 100000,
                   4 MiB memtables so that every stage flushes
  --reads N        readrandom's operations in the ladder (default 20000)
  --fill N         the ladder's fillrandom cells: keys written on a fresh database (default
                   500000, so that the fast stages' cells last about a second); readrandom
                   and YCSB-A run on a database of --num keys
";

struct Args {
    num: u64,
    runs: usize,
    threads: Vec<usize>,
    memtables: Vec<MapKind>,
    benchmarks: Vec<Benchmark>,
    fjall: bool,
    out: PathBuf,
    ladder: bool,
    reads: u64,
    fill: u64,
}

fn parse() -> Result<Option<Args>> {
    let mut a = Args {
        num: 300_000,
        runs: 3,
        threads: vec![1, 2, 4],
        memtables: MapKind::ALL.to_vec(),
        benchmarks: list("fillrandom,overwrite,readwhilewriting,ycsba", |s| s.parse())?,
        fjall: cfg!(feature = "yardstick"),
        out: PathBuf::new(),
        ladder: false,
        reads: 20_000,
        fill: 500_000,
    };
    let (mut num_set, mut memtables_set, mut out_set) = (false, false, false);
    let mut flags = Flags::new(std::env::args().skip(1));
    while let Some(flag) = flags.next_flag() {
        let name = flag.name.clone();
        let mut value = || flags.value(&flag);
        match name.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            "--num" => {
                a.num = value()?.parse()?;
                num_set = true;
            }
            "--runs" => a.runs = value()?.parse()?,
            "--threads" => a.threads = list(&value()?, |s| Ok(s.parse()?))?,
            "--memtables" => {
                a.memtables = list(&value()?, |s| Ok(s.parse::<MapKind>()?))?;
                memtables_set = true;
            }
            "--benchmarks" => a.benchmarks = list(&value()?, |s| s.parse())?,
            "--no-fjall" => a.fjall = false,
            "--out" => {
                a.out = value()?.into();
                out_set = true;
            }
            "--ladder" => a.ladder = true,
            "--reads" => a.reads = value()?.parse()?,
            "--fill" => a.fill = value()?.parse()?,
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    if a.ladder {
        if !num_set {
            a.num = 100_000;
        }
        if !memtables_set {
            a.memtables = vec![MapKind::Mutex, MapKind::Epoch, MapKind::Hazard];
        }
        a.benchmarks = list("fillrandom,readrandom,ycsba", |s| s.parse())?;
        a.fjall = false;
    }
    if !out_set {
        a.out = if a.ladder {
            "target/bench-report/stages.md".into()
        } else {
            "target/bench-report/engine-scaling.md".into()
        };
    }
    if a.num == 0 || a.fill == 0 || a.runs == 0 || a.threads.is_empty() || a.threads.contains(&0) {
        bail!("--num, --fill, --runs and every thread count must be positive");
    }
    if a.benchmarks.first() != Some(&Benchmark::FillRandom) {
        bail!("the benchmark list must start with fillrandom (the others read what it wrote)");
    }
    Ok(Some(a))
}

/// One engine of the matrix: a Ferrolite memtable and insert mode, or fjall.
#[derive(Clone, Copy)]
enum Subject {
    Ferrolite {
        kind: MapKind,
        parallel: bool,
    },
    /// The default engine with the WAL buffered in the process as fjall's journal is (8 KiB
    /// `BufWriter`, handed to the OS when full): the durability-matched comparison.
    Buffered,
    /// A stage preset of the ladder, over a memtable.
    Stage {
        stage: Stage,
        kind: MapKind,
    },
    /// S5 without its recent-writes map: what the map costs the write path.
    S5NoRecent {
        kind: MapKind,
    },
    #[cfg_attr(not(feature = "yardstick"), allow(dead_code))]
    Fjall,
}

fn options(kind: MapKind, parallel: bool) -> Options {
    Options::default()
        .memtable(kind)
        .parallel_memtable_writes(parallel)
}

#[cfg(feature = "yardstick")]
fn fjall(dir: &std::path::Path) -> Result<Box<dyn Engine>> {
    use ferrolite_benches::engine_bench::{FjallEngine, FjallOptions};
    let d = Options::default();
    Ok(Box::new(FjallEngine::open(
        dir,
        FjallOptions {
            memtable_bytes: d.memtable_size as u32,
            cache_bytes: d.block_cache_bytes,
            bloom_bits: d.bloom_bits_per_key as u8,
            sync_every_write: false,
        },
    )?))
}

#[cfg(not(feature = "yardstick"))]
fn fjall(_: &std::path::Path) -> Result<Box<dyn Engine>> {
    bail!("fjall needs a build with --features yardstick")
}

/// Which of a configuration's benchmarks one fresh database runs.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    /// Every benchmark of the list (the scaling matrix).
    All,
    /// The ladder's fill cell: fillrandom of `--fill` keys.
    Fill,
    /// The ladder's read cells: an unmeasured fillrandom of `--num` keys, then the others.
    Reads,
}

/// Run the benchmarks of `pass` once on a fresh database of `subject` with `threads` threads.
fn run_once(
    a: &Args,
    subject: Subject,
    threads: usize,
    pass: Pass,
    table: &mut Table,
    bar: &ProgressBar,
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (engine, memtable, parallel): (Box<dyn Engine>, String, bool) = match subject {
        Subject::Ferrolite { kind, parallel } => (
            Box::new(FerroliteEngine::open(dir.path(), options(kind, parallel))?),
            kind.name().to_string(),
            parallel,
        ),
        Subject::Buffered => (
            Box::new(FerroliteEngine::open(
                dir.path(),
                Options::default().sync(SyncPolicy::Buffered {
                    max_delay: BUFFERED_DELAY,
                }),
            )?),
            Options::default().memtable.name().to_string(),
            true,
        ),
        Subject::Stage { stage, kind } => (
            Box::new(FerroliteEngine::open(
                dir.path(),
                Options::stage(stage)
                    .memtable(kind)
                    .memtable_size(LADDER_MEMTABLE),
            )?),
            kind.name().to_string(),
            true,
        ),
        Subject::S5NoRecent { kind } => (
            Box::new(FerroliteEngine::open(
                dir.path(),
                Options::stage(Stage::S5)
                    .memtable(kind)
                    .memtable_size(LADDER_MEMTABLE)
                    .recent_writes_bytes(0),
            )?),
            kind.name().to_string(),
            true,
        ),
        Subject::Fjall => (fjall(dir.path())?, "-".into(), true),
    };
    let engine_name = match subject {
        Subject::S5NoRecent { .. } => S5_NO_RECENT.to_string(),
        Subject::Buffered => "ferrolite-buffered".to_string(),
        Subject::Stage { stage, .. } => stage.name().to_string(),
        _ => engine.name().to_string(),
    };
    let benches: Vec<Benchmark> = match pass {
        Pass::Fill => vec![Benchmark::FillRandom],
        Pass::All | Pass::Reads => a.benchmarks.clone(),
    };
    let cfg = BenchConfig {
        num: if pass == Pass::Fill { a.fill } else { a.num },
        reads: a.ladder.then_some(a.reads),
        threads,
        ..BenchConfig::default()
    };
    let runner = Runner::new(engine.as_ref(), cfg);
    for &bench in &benches {
        let before = engine.summary().db_stats;
        let o = runner.run(bench)?;
        if pass == Pass::Reads && bench == Benchmark::FillRandom {
            continue; // the read cells' set-up, not a cell
        }
        let after = engine.summary().db_stats;
        let mut sample = Sample {
            ops_per_sec: o.ops_per_sec(),
            ..Sample::default()
        };
        if let (Some(b), Some(x)) = (before, after) {
            let batches = x.batches - b.batches;
            sample.groups_per_write =
                (batches > 0).then(|| (x.wal_groups - b.wal_groups) as f64 / batches as f64);
            sample.waits = Some([
                x.waits_spun - b.waits_spun,
                x.waits_yielded - b.waits_yielded,
                x.waits_parked - b.waits_parked,
            ]);
            sample.stalls = Some(x.stalls - b.stalls);
            sample.stall_ms = Some((x.stall_micros - b.stall_micros) as f64 / 1000.0);
            sample.flushes = Some(x.flushes - b.flushes);
            sample.compactions = Some(x.compactions - b.compactions);
            sample.write_amp = Some(x.write_amplification());
        }
        table.push(
            Config {
                engine: engine_name.clone(),
                memtable: memtable.clone(),
                parallel,
                threads,
                bench: bench.name().to_string(),
            },
            sample,
        );
        bar.inc(1);
    }
    engine.close()?;
    Ok(())
}

fn git_commit() -> String {
    let out = std::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => "unknown".into(),
    }
}

fn main() -> Result<()> {
    let Some(a) = parse()? else {
        return Ok(());
    };
    let mut subjects: Vec<Subject> = Vec::new();
    if a.ladder {
        for stage in Stage::ALL {
            for &kind in &a.memtables {
                subjects.push(Subject::Stage { stage, kind });
            }
        }
        for &kind in &a.memtables {
            subjects.push(Subject::S5NoRecent { kind });
        }
    } else {
        for &kind in &a.memtables {
            for parallel in [true, false] {
                subjects.push(Subject::Ferrolite { kind, parallel });
            }
        }
    }
    if a.fjall {
        subjects.push(Subject::Buffered);
        subjects.push(Subject::Fjall);
    }
    let threads_list: Vec<usize> = if a.ladder {
        vec![1, 2]
    } else {
        a.threads.clone()
    };
    let per_subject: usize = if a.ladder {
        a.benchmarks.len() + 1
    } else {
        threads_list.len() * a.benchmarks.len()
    };
    let total = (a.runs * subjects.len() * per_subject) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}")
            .expect("template"),
    );
    let started = Instant::now();
    let mut table = Table::default();
    for run in 0..a.runs {
        for &subject in &subjects {
            for &threads in &threads_list {
                let label = match subject {
                    Subject::Stage { stage, kind } => format!("{stage} {kind}"),
                    Subject::S5NoRecent { kind } => format!("{S5_NO_RECENT} {kind}"),
                    Subject::Ferrolite { kind, parallel } => {
                        format!("{kind} {}", if parallel { "parallel" } else { "leader" })
                    }
                    Subject::Buffered => "default, buffered WAL".into(),
                    Subject::Fjall => "fjall".into(),
                };
                bar.set_message(format!(
                    "run {}/{}: {label}, {threads} thr",
                    run + 1,
                    a.runs
                ));
                // The ladder: a fill cell per thread count, the read cells at 1 thread.
                let passes: &[Pass] = match (a.ladder, threads) {
                    (false, _) => &[Pass::All],
                    (true, 1) => &[Pass::Fill, Pass::Reads],
                    (true, _) => &[Pass::Fill],
                };
                for &pass in passes {
                    run_once(&a, subject, threads, pass, &mut table, &bar)?;
                }
            }
        }
    }
    bar.finish_and_clear();
    let d = Options::default();
    let meta = Meta {
        command: std::iter::once("scaling".to_string())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" "),
        commit: git_commit(),
        date: utc_now(),
        machine: cpu_description(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        num: a.num,
        key_size: 16,
        value_size: 100,
        runs: a.runs,
        options: format!(
            "`Options::default()` with the row's memtable and insert mode: SyncPolicy::None \
             (one write to the OS per group, no fsync), group commit on, {} MiB memtable, \
             binary WAL and tables, leveled compaction on {} background threads, {} MiB block \
             cache, bloom {} bits/key, event statistics (a change-feed handler thread) on, no \
             recent-writes map",
            d.memtable_size >> 20,
            d.background_threads,
            d.block_cache_bytes >> 20,
            d.bloom_bits_per_key
        ),
        fjall_options: a.fjall.then(|| {
            format!(
                "fjall 2.x, one partition, {} MiB memtable, {} MiB cache, bloom {} bits/key, \
                 no compression, journal in an 8 KiB in-process buffer handed to the OS when \
                 full, never fsynced (its default). Its acknowledged writes are not yet in \
                 the OS: a process crash loses up to a buffer, where Ferrolite's default \
                 `SyncPolicy::None` loses nothing. The `ferrolite-buffered` rows are the \
                 default engine with `SyncPolicy::Buffered {{ max_delay: 10 ms }}` (a 256 KiB \
                 in-process buffer), the durability-matched comparison",
                d.memtable_size >> 20,
                d.block_cache_bytes >> 20,
                d.bloom_bits_per_key
            )
        }),
    };
    if let Some(parent) = a.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if a.ladder {
        let setup = format!(
            "fillrandom cells: {} keys of 16 bytes with 100-byte values written on a fresh \
             database per cell; readrandom ({} gets) and YCSB-A ({} operations) on another \
             fresh database filled with {} keys (unmeasured), 1 thread; each stage's preset \
             with a {} MiB memtable (so that every stage flushes) and the row's memtable",
            a.fill,
            a.reads,
            a.num,
            a.num,
            LADDER_MEMTABLE >> 20
        );
        let md = ladder_markdown(&table, &meta, &setup);
        std::fs::write(&a.out, &md).with_context(|| format!("writing {}", a.out.display()))?;
        let json = a.out.with_extension("json");
        ladder_json(&table, &meta, &setup)
            .save(&json)
            .with_context(|| format!("writing {}", json.display()))?;
        let losses = md.split("## Steps that lose").nth(1).unwrap_or("").trim();
        println!("## Steps that lose\n{losses}");
        println!(
            "{} cells × {} runs in {:.0?}; report: {}, data: {}",
            table.samples.len(),
            a.runs,
            started.elapsed(),
            a.out.display(),
            json.display()
        );
        return Ok(());
    }
    let md = markdown(&table, &meta);
    std::fs::write(&a.out, &md).with_context(|| format!("writing {}", a.out.display()))?;
    // The summary: the targets, as the report states them.
    let targets: String = md
        .split("## Targets")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or("")
        .to_string();
    println!("## Targets{targets}");
    println!(
        "{} configurations × {} runs in {:.0?}; report: {}",
        subjects.len() * a.threads.len(),
        a.runs,
        started.elapsed(),
        a.out.display()
    );
    Ok(())
}
