//! `dbbench`: db_bench-style end-to-end runs of the engine, one database per run.
//!
//! A *run* is one engine configuration: a memtable kind (× a stage-ladder preset with
//! `--stages`), or fjall with `--engine fjall` (the `yardstick` feature). For each run,
//! `dbbench` opens a fresh database in a temporary directory (or under `--dir`) and runs the
//! selected benchmarks on it in order, each with `--threads` threads sharing the database.
//! The workloads live in [`ferrolite_benches::engine_bench`], where the benchmarks, the key
//! format, the thread split and the latency measurement are documented.
//!
//! Output, on stdout: a header (version, date, CPU, sizes, engines, memtables, stages or
//! features, sync policy), then per benchmark db_bench's line
//! (`fillrandom   :       3.456 micros/op 289300 ops/sec;   33.1 MB/s (note)`) and, with
//! `--histogram`, its latency percentiles per operation type; at the end, per run, its levels
//! (files, MiB) and write amplification, and the summary tables: ops/s, MB/s and latency per
//! benchmark, and the shape of each database. A progress bar goes to stderr. Runs are made
//! one after another in one process, so compare them as ratios.
//!
//! With `--stages S0,S3,...` every run is a stage-ladder preset ([`Options::stage`]) × memtable
//! kind: the preset decides every feature (the feature flags are ignored), only the memtable
//! kind and size come from the command line.

use anyhow::{bail, Context, Result};
use ferrolite::{MapKind, Options, RecordFormat, Stage, SyncPolicy};
use ferrolite_benches::engine_bench::{
    cpu_description, micros, utc_now, BenchConfig, Benchmark, Engine, EngineSummary,
    FerroliteEngine, Outcome, Runner, PERCENTILES,
};
use ferrolite_benches::flags::{list, Flags};
use ferrolite_benches::report::render;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Duration;

const USAGE: &str = "\
dbbench — db_bench-style runs of the Ferrolite engine (and, for comparison, fjall)

USAGE: dbbench [OPTIONS]
  e.g. dbbench --benchmarks=fillrandom,readrandom --num=1000000 --threads=2 \\
               --memtable=epoch --stage=S5 --histogram

Options take their value as the next argument or after `=`; lists are comma-separated.

OPTIONS:
  --benchmarks LIST  benchmarks to run in order on each database (default:
                     fillrandom,readrandom); any of
                       fillseq fillrandom overwrite readrandom readseq deleterandom
                       seekrandom        seek to a random key, read 10 entries
                       readwhilewriting  --threads readers get random keys while one more
                                         thread puts random keys; readers' ops/s reported
                       ycsba .. ycsbf    YCSB core workloads, zipfian(0.99) keys; they load
                                         keys 0..num first if the database is empty
                                         (A 50/50 read/update, B 95/5, C read only,
                                         D 95% read-latest/5% insert, E 95% scans of
                                         1..100/5% insert, F 50% read/50% read-modify-write)
  --num N            key space (keys 0..N) and operations per benchmark (default: 1000000)
  --reads N          operations of readrandom, seekrandom, readwhilewriting (default: --num)
  --threads N        threads sharing the database in every benchmark; each does its share
                     of the operations, ops/s is total ops / wall time (default: 1)
  --histogram        print p50/p75/p99/p99.9/p99.99/max latency (µs) per benchmark and
                     operation type (every operation is timed)
  --engine LIST      ferrolite | fjall (default: ferrolite); fjall needs a build with
                     `--features yardstick` and ignores memtable kinds and stages
  --memtables LIST   memtable kinds (default: every kind: mutex,epoch,hazard,noreclaim,
                     seize,crossbeam,btree); alias --memtable
  --stages LIST      stage-ladder presets to run, e.g. S0,S1,S2,S3,S4,S5 (each × memtable;
                     the preset decides the features, the flags below marked * are ignored);
                     alias --stage
  --key-size N       key bytes (default: 16)
  --value-size N     value bytes (default: 100)
* --sync MODE        none | every | group:MICROS | buffered:MILLIS (default: none);
                     fjall: none or every
  --memtable-mb N    memtable size in MiB (default: 64)
* --cache-mb N       block cache in MiB (default: 64)
* --bloom-bits N     bloom bits per key (default: 10)
* --recent-writes-mb N  recent-writes map in MiB, 0 for none (default: 0)
  --no-event-stats   no event-statistics projection (a change-feed handler thread)
* --leader-inserts   the group-commit leader inserts its whole group into the memtable
                     (parallel_memtable_writes off; default: every writer inserts its own)
* --wal-json         JSON WAL records (the ancestor's encoding)
* --wal-reopen       close and reopen the WAL file for every commit group
* --no-compaction    background workers flush but never compact
* --no-background    no background work: the writer flushes inline, no compaction
  --dir PATH         parent directory for the databases (default: a temp dir)
  --seed N           random seed (default: 301)
  -h, --help         print this help
";

/// Which engine a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EngineKind {
    Ferrolite,
    Fjall,
}

struct Args {
    engines: Vec<EngineKind>,
    memtables: Vec<MapKind>,
    benchmarks: Vec<Benchmark>,
    num: u64,
    reads: Option<u64>,
    threads: usize,
    histogram: bool,
    stages: Vec<Stage>,
    key_size: usize,
    value_size: usize,
    sync: SyncPolicy,
    memtable_mb: usize,
    cache_mb: u64,
    bloom_bits: u32,
    recent_writes_mb: u64,
    no_event_stats: bool,
    leader_inserts: bool,
    dir: Option<PathBuf>,
    seed: u64,
    wal_json: bool,
    wal_reopen: bool,
    no_compaction: bool,
    no_background: bool,
}

fn parse() -> Result<Option<Args>> {
    let mut a = Args {
        engines: vec![EngineKind::Ferrolite],
        memtables: MapKind::ALL.to_vec(),
        benchmarks: vec![Benchmark::FillRandom, Benchmark::ReadRandom],
        num: 1_000_000,
        reads: None,
        threads: 1,
        histogram: false,
        stages: Vec::new(),
        key_size: 16,
        value_size: 100,
        sync: SyncPolicy::None,
        memtable_mb: 64,
        cache_mb: 64,
        bloom_bits: 10,
        recent_writes_mb: 0,
        no_event_stats: false,
        leader_inserts: false,
        dir: None,
        seed: 301,
        wal_json: false,
        wal_reopen: false,
        no_compaction: false,
        no_background: false,
    };
    let mut flags = Flags::new(std::env::args().skip(1));
    while let Some(flag) = flags.next_flag() {
        let name = flag.name.clone();
        if name == "-h" || name == "--help" {
            return Ok(None);
        }
        let mut value = || flags.value(&flag);
        match name.as_str() {
            "--wal-json" => a.wal_json = true,
            "--wal-reopen" => a.wal_reopen = true,
            "--no-compaction" => a.no_compaction = true,
            "--no-background" => a.no_background = true,
            "--no-event-stats" => a.no_event_stats = true,
            "--leader-inserts" => a.leader_inserts = true,
            "--histogram" => a.histogram = true,
            "--engine" | "--engines" => {
                a.engines = list(&value()?, |s| {
                    match s {
                    "ferrolite" => Ok(EngineKind::Ferrolite),
                    "fjall" if cfg!(feature = "yardstick") => Ok(EngineKind::Fjall),
                    "fjall" => bail!(
                        "--engine fjall needs the yardstick feature: \
                         cargo run --release -p ferrolite-benches --features yardstick --bin dbbench"
                    ),
                    other => bail!("unknown engine `{other}` (ferrolite, fjall)"),
                }
                })?
            }
            "--memtables" | "--memtable" => {
                a.memtables = list(&value()?, |s| Ok(s.parse::<MapKind>()?))?
            }
            "--benchmarks" => a.benchmarks = list(&value()?, str::parse::<Benchmark>)?,
            "--num" => a.num = value()?.parse()?,
            "--reads" => a.reads = Some(value()?.parse()?),
            "--threads" => a.threads = value()?.parse()?,
            "--stages" | "--stage" => a.stages = list(&value()?, |s| Ok(s.parse::<Stage>()?))?,
            "--key-size" => a.key_size = value()?.parse()?,
            "--value-size" => a.value_size = value()?.parse()?,
            "--memtable-mb" => a.memtable_mb = value()?.parse()?,
            "--cache-mb" => a.cache_mb = value()?.parse()?,
            "--bloom-bits" => a.bloom_bits = value()?.parse()?,
            "--recent-writes-mb" => a.recent_writes_mb = value()?.parse()?,
            "--dir" => a.dir = Some(value()?.into()),
            "--seed" => a.seed = value()?.parse()?,
            "--sync" => {
                let v = value()?;
                a.sync = match v.as_str() {
                    "none" => SyncPolicy::None,
                    "every" => SyncPolicy::EveryWrite,
                    g => {
                        if let Some(us) = g.strip_prefix("group:") {
                            SyncPolicy::GroupCommit {
                                max_delay: Duration::from_micros(us.parse()?),
                            }
                        } else if let Some(ms) = g.strip_prefix("buffered:") {
                            SyncPolicy::Buffered {
                                max_delay: Duration::from_millis(ms.parse()?),
                            }
                        } else {
                            bail!("unknown sync mode `{g}`")
                        }
                    }
                }
            }
            other => bail!("unknown option `{other}` (see --help)"),
        }
    }
    if a.key_size < 8 {
        bail!("--key-size must be at least 8");
    }
    if a.num == 0 {
        bail!("--num must be positive");
    }
    if a.threads == 0 {
        bail!("--threads must be positive");
    }
    if a.engines.contains(&EngineKind::Fjall)
        && !matches!(a.sync, SyncPolicy::None | SyncPolicy::EveryWrite)
    {
        bail!("--engine fjall supports --sync none or every only");
    }
    Ok(Some(a))
}

/// One database to run the benchmarks on.
struct Run {
    label: String,
    engine: EngineKind,
    opts: Options,
}

/// Opens the run's engine in `dir`.
fn open(run: &Run, a: &Args, dir: &Path) -> Result<Box<dyn Engine>> {
    Ok(match run.engine {
        EngineKind::Ferrolite => Box::new(FerroliteEngine::open(dir, run.opts.clone())?),
        EngineKind::Fjall => open_fjall(a, dir)?,
    })
}

#[cfg(feature = "yardstick")]
fn open_fjall(a: &Args, dir: &Path) -> Result<Box<dyn Engine>> {
    use ferrolite_benches::engine_bench::{FjallEngine, FjallOptions};
    Ok(Box::new(FjallEngine::open(
        dir,
        FjallOptions {
            memtable_bytes: u32::try_from(a.memtable_mb << 20)
                .context("fjall memtables are below 4 GiB")?,
            cache_bytes: a.cache_mb << 20,
            bloom_bits: u8::try_from(a.bloom_bits).context("--bloom-bits below 256")?,
            sync_every_write: a.sync == SyncPolicy::EveryWrite,
        },
    )?))
}

#[cfg(not(feature = "yardstick"))]
fn open_fjall(_: &Args, _: &Path) -> Result<Box<dyn Engine>> {
    bail!("built without the yardstick feature")
}

fn main() -> Result<()> {
    let Some(a) = parse()? else {
        print!("{USAGE}");
        return Ok(());
    };
    let parent = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            tempfile::tempdir_in(d)?
        }
        None => tempfile::tempdir()?,
    };
    let runs = plan(&a);
    print_header(&a, &runs, parent.path());

    let bar = ProgressBar::new(a.num).with_style(
        ProgressStyle::with_template("{msg:28} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let cfg = BenchConfig {
        num: a.num,
        reads: a.reads,
        key_size: a.key_size,
        value_size: a.value_size,
        threads: a.threads,
        seed: a.seed,
        ..BenchConfig::default()
    };
    let mut rows = Vec::new();
    let mut shapes = Vec::new();
    for run in &runs {
        let dir = parent.path().join(run.label.replace(' ', "-"));
        let engine = open(run, &a, &dir).with_context(|| format!("opening {}", dir.display()))?;
        say(&bar, &format!("== {}", run.label));
        let runner =
            Runner::new(engine.as_ref(), cfg.clone()).with_progress(bar.clone(), &run.label);
        for &bench in &a.benchmarks {
            let o = runner
                .run(bench)
                .with_context(|| format!("{} {bench}", run.label))?;
            say(&bar, &o.db_bench_line());
            if a.histogram {
                say(&bar, &histogram_table(&o));
            }
            rows.push(summary_row(&run.label, &o));
        }
        shapes.push((run.label.clone(), engine.summary()));
        engine.close()?;
    }
    bar.finish_and_clear();
    for (label, s) in &shapes {
        println!("{}", level_table(label, s));
    }
    print_tables(&rows, &shapes);
    Ok(())
}

/// Print `line` to stdout, above the progress bar (which `println` on a hidden bar would not).
fn say(bar: &ProgressBar, line: &str) {
    bar.suspend(|| println!("{line}"));
}

/// The runs: per engine, per memtable kind (× stage).
fn plan(a: &Args) -> Vec<Run> {
    let mut runs = Vec::new();
    for &engine in &a.engines {
        if engine == EngineKind::Fjall {
            runs.push(Run {
                label: "fjall".into(),
                engine,
                opts: Options::default(),
            });
            continue;
        }
        let mut ours = Vec::new();
        for &kind in &a.memtables {
            if a.stages.is_empty() {
                ours.push(Run {
                    label: kind.name().to_string(),
                    engine,
                    opts: feature_options(a, kind),
                });
            }
            for &stage in &a.stages {
                ours.push(Run {
                    label: format!("{stage} {}", kind.name()),
                    engine,
                    opts: Options::stage(stage)
                        .event_stats(!a.no_event_stats)
                        .memtable(kind)
                        .memtable_size(a.memtable_mb << 20),
                });
            }
        }
        // Stage runs are listed stage by stage.
        ours.sort_by_key(|r| r.label.starts_with('S').then(|| r.label.clone()));
        runs.extend(ours);
    }
    runs
}

/// The options the feature flags describe, over memtable `kind`.
fn feature_options(a: &Args, kind: MapKind) -> Options {
    Options::default()
        .memtable(kind)
        .sync(a.sync)
        .memtable_size(a.memtable_mb << 20)
        .block_cache_bytes(a.cache_mb << 20)
        .bloom_bits_per_key(a.bloom_bits)
        .recent_writes_bytes(a.recent_writes_mb << 20)
        .event_stats(!a.no_event_stats)
        .parallel_memtable_writes(!a.leader_inserts)
        .wal_format(if a.wal_json {
            RecordFormat::Json
        } else {
            RecordFormat::Binary
        })
        .wal_reopen_per_write(a.wal_reopen)
        .compaction(!a.no_compaction)
        .auto_compaction(!a.no_background)
}

fn sync_name(s: SyncPolicy) -> String {
    match s {
        SyncPolicy::None => "none (written to the OS per commit group, never fsynced)".into(),
        SyncPolicy::EveryWrite => "every (fdatasync per commit group)".into(),
        SyncPolicy::GroupCommit { max_delay } => {
            format!("group commit, leader waits up to {max_delay:?}")
        }
        SyncPolicy::Buffered { max_delay } => {
            format!("buffered in process, handed to the OS within {max_delay:?}")
        }
    }
}

/// db_bench's header: what ran, where, with which settings.
fn print_header(a: &Args, runs: &[Run], dir: &Path) {
    let mut h: Vec<(&str, String)> = vec![
        (
            "Ferrolite",
            format!("version {} (dbbench)", env!("CARGO_PKG_VERSION")),
        ),
        (
            "Commit",
            ferrolite_benches::sidecar::workspace_commit()
                .unwrap_or_else(|| "unknown (not a git checkout)".into()),
        ),
        ("Date", utc_now()),
        ("CPU", cpu_description()),
        ("Keys", format!("{} bytes each", a.key_size)),
        ("Values", format!("{} bytes each", a.value_size)),
        ("Entries", a.num.to_string()),
        (
            "RawSize",
            format!(
                "{:.1} MB (estimated)",
                a.num as f64 * (a.key_size + a.value_size) as f64 / 1e6
            ),
        ),
        ("Threads", a.threads.to_string()),
        (
            "Benchmarks",
            a.benchmarks
                .iter()
                .map(|b| b.name())
                .collect::<Vec<_>>()
                .join(","),
        ),
    ];
    let ours = a.engines.contains(&EngineKind::Ferrolite);
    let engines: Vec<&str> = a
        .engines
        .iter()
        .map(|e| match e {
            EngineKind::Ferrolite => "ferrolite",
            EngineKind::Fjall => "fjall 2.x (yardstick)",
        })
        .collect();
    h.push(("Engines", engines.join(", ")));
    if ours {
        h.push((
            "Memtables",
            format!(
                "{} ({} MiB)",
                a.memtables
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(","),
                a.memtable_mb
            ),
        ));
        if a.stages.is_empty() {
            h.push((
                "Features",
                format!(
                    "cache {} MiB, bloom {} bits/key, recent writes {} MiB, WAL {}{}, {}, event stats {}",
                    a.cache_mb,
                    a.bloom_bits,
                    a.recent_writes_mb,
                    if a.wal_json { "JSON" } else { "binary" },
                    if a.wal_reopen { " reopened per write" } else { "" },
                    if a.no_background {
                        "no background work"
                    } else if a.no_compaction {
                        "background flush, no compaction"
                    } else {
                        "background flush + compaction"
                    },
                    if a.no_event_stats { "off" } else { "on" },
                ),
            ));
            h.push((
                "Memtable inserts",
                if a.leader_inserts {
                    "by the group leader".to_string()
                } else {
                    "parallel (each writer its own batch)".to_string()
                },
            ));
            h.push(("Sync", sync_name(a.sync)));
        } else {
            for &s in &a.stages {
                h.push((
                    "Stage",
                    format!(
                        "{s}: {} (sync {})",
                        s.summary(),
                        sync_name(Options::stage(s).sync)
                    ),
                ));
            }
        }
    }
    if a.engines.contains(&EngineKind::Fjall) {
        h.push((
            "fjall",
            format!(
                "memtable {} MiB, cache {} MiB, bloom {} bits/key, no compression, sync {}",
                a.memtable_mb,
                a.cache_mb,
                a.bloom_bits,
                if a.sync == SyncPolicy::EveryWrite {
                    "every (fdatasync per write)"
                } else {
                    "none (written to the OS per write)"
                }
            ),
        ));
    }
    h.push((
        "Latency",
        "every operation timed (since the thread's previous one), HDR histograms".into(),
    ));
    h.push((
        "Runs",
        runs.iter()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    ));
    h.push(("Directory", dir.display().to_string()));
    for (k, v) in h {
        println!("{:<11} {v}", format!("{k}:"));
    }
    println!("{}", "-".repeat(48));
}

fn histogram_table(o: &Outcome) -> String {
    let mut header = vec!["op".to_string(), "count".to_string()];
    header.extend(PERCENTILES.iter().map(|p| format!("p{p} µs")));
    header.push("max µs".into());
    render(&header, &o.histogram_rows())
}

fn summary_row(label: &str, o: &Outcome) -> Vec<String> {
    let all = o.all_latencies();
    let pct = |p: f64| {
        all.as_ref()
            .map_or_else(|| "-".into(), |h| micros(h.value_at_percentile(p)))
    };
    vec![
        label.to_string(),
        o.benchmark.name().to_string(),
        format!("{:.0}", o.ops_per_sec()),
        format!("{:.1}", o.mb_per_sec()),
        pct(50.0),
        pct(99.0),
        pct(99.9),
        o.note.clone(),
    ]
}

fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map_or_else(|| "-".into(), f)
}

/// Per level: files and MiB, and the run's write amplification.
fn level_table(label: &str, s: &EngineSummary) -> String {
    let mib = |b: u64| format!("{:.1}", b as f64 / (1 << 20) as f64);
    // Levels down to the last one holding anything (L0 at least).
    let used = s
        .levels
        .iter()
        .rposition(|l| l.files > 0)
        .map_or(1, |i| i + 1);
    let mut rows: Vec<Vec<String>> = s
        .levels
        .iter()
        .take(used.min(s.levels.len()))
        .enumerate()
        .map(|(i, l)| vec![format!("L{i}"), l.files.to_string(), opt(l.bytes, mib)])
        .collect();
    let files: usize = s.levels.iter().map(|l| l.files).sum();
    let bytes: Option<u64> = s.levels.iter().map(|l| l.bytes).sum();
    rows.push(vec!["total".into(), files.to_string(), opt(bytes, mib)]);
    let header = ["level", "files", "size MiB"].map(String::from);
    let mut out = format!(
        "Levels of {label}: write amplification {} (tables only {})",
        opt(s.write_amplification, |w| format!("{w:.2}")),
        opt(s.table_write_amplification, |w| format!("{w:.2}")),
    );
    if let Some(d) = s.disk_bytes {
        out.push_str(&format!(", {} MiB on disk (tables and journals)", mib(d)));
    }
    out.push('\n');
    out.push_str(&render(&header, &rows));
    out
}

fn print_tables(rows: &[Vec<String>], shapes: &[(String, EngineSummary)]) {
    let header = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    println!(
        "{}",
        render(
            &header(&[
                "run",
                "benchmark",
                "ops/s",
                "MB/s",
                "p50 µs",
                "p99 µs",
                "p99.9 µs",
                "note"
            ]),
            rows
        )
    );
    let shape: Vec<Vec<String>> = shapes
        .iter()
        .map(|(label, s)| {
            let files: Vec<usize> = s.levels.iter().map(|l| l.files).collect();
            let mut row = vec![
                label.clone(),
                opt(s.write_amplification, |w| format!("{w:.2}")),
                opt(s.table_write_amplification, |w| format!("{w:.2}")),
                format!("{files:?}"),
                opt(s.flushes, |f| f.to_string()),
            ];
            match &s.db_stats {
                Some(d) => row.extend([
                    format!("{} ({} moves)", d.compactions, d.trivial_moves),
                    format!(
                        "{} / {:.0} ms",
                        d.stalls,
                        d.stall_time().as_secs_f64() * 1e3
                    ),
                    hit_rate(
                        s.block_cache_bytes != Some(0),
                        d.cache_hits,
                        d.cache_hits + d.cache_misses,
                    ),
                    hit_rate(s.recent_writes_bytes != Some(0), d.recent_hits, d.gets),
                ]),
                None => row.extend([
                    opt(s.compactions, |c| c.to_string()),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ]),
            }
            row
        })
        .collect();
    println!(
        "{}",
        render(
            &header(&[
                "run",
                "write amp",
                "table w-amp",
                "files per level",
                "flushes",
                "compactions",
                "stalls / time",
                "block-cache hit",
                "recent-writes hit"
            ]),
            &shape
        )
    );
    println!("{RATE_NOTE}");
}

/// What the shape table's ratios count.
const RATE_NOTE: &str = "\
write amp = (WAL + flush + compaction bytes) / user bytes (keys + values put); table w-amp = \
(flush + compaction bytes) / user bytes. Bytes are counted in the run's encodings: JSON \
records and blocks (presets S0-S3) take several times the binary ones, so there the ratio \
mostly measures the encoding's size, not how often data is rewritten.
block-cache hit = hits / (hits + misses) over every data-block lookup through the block \
cache (gets, scans and background compactions alike), since the database opened; - where \
there is no block cache (block_cache_bytes 0: every lookup a miss by construction).
recent-writes hit = gets answered by the recent-writes map / all gets; - where there is \
no such map (recent_writes_bytes 0, presets below S5).";

/// `part / whole` as a percentage, or `-` when the structure is absent or nothing was looked
/// up (a 0% there would claim a measurement that was not made).
fn hit_rate(present: bool, part: u64, whole: u64) -> String {
    if !present || whole == 0 {
        return "-".into();
    }
    format!("{:.0}%", 100.0 * part as f64 / whole as f64)
}
