//! `dbbench`: db_bench-style end-to-end runs of the engine, one database per memtable kind.
//!
//! For each selected memtable kind, opens a fresh database in a temporary directory (or under
//! `--dir`), runs the selected benchmarks in order on it, and prints one summary table:
//! ops/s and MB/s per benchmark, p50/p99/p99.9 latency of sampled operations, write
//! amplification, files per level, flushes, compactions and stall time. Progress goes to
//! stderr. Kinds are run one after another in one process, so compare them as ratios.
//!
//! Benchmarks (RocksDB's db_bench names): `fillseq`, `fillrandom`, `overwrite`, `readrandom`,
//! `readseq`, `deleterandom`. Keys are `--key-size`-byte decimal numbers below `--num`,
//! values `--value-size` bytes; random keys are uniform.
//!
//! With `--stages S0,S3,...` every run is a stage-ladder preset ([`Options::stage`]) × memtable
//! kind: the preset decides every feature (the feature flags are ignored), only the memtable
//! kind and size come from the command line.

use anyhow::{bail, Context, Result};
use ferrolite::{Db, MapKind, Options, RecordFormat, Stage, SyncPolicy};
use ferrolite_benches::report::render;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const USAGE: &str = "\
dbbench — db_bench-style runs of the Ferrolite engine per memtable kind

USAGE: dbbench [OPTIONS]

OPTIONS:
  --memtables LIST   memtable kinds (default: mutex,epoch,hazard,noreclaim,crossbeam,btree)
  --benchmarks LIST  fillseq,fillrandom,overwrite,readrandom,readseq,deleterandom
                     (default: fillrandom,readrandom)
  --stages LIST      stage-ladder presets to run, e.g. S0,S1,S2,S3,S4,S5 (each × memtable;
                     the preset decides the features, the flags below marked * are ignored)
  --num N            operations per benchmark and key space (default: 1000000)
  --reads N          operations of readrandom (default: --num)
  --key-size N       key bytes (default: 16)
  --value-size N     value bytes (default: 100)
* --sync MODE        none | every | group:MICROS | buffered:MILLIS (default: none)
  --memtable-mb N    memtable size in MiB (default: 64)
* --cache-mb N       block cache in MiB (default: 64)
* --bloom-bits N     bloom bits per key (default: 10)
* --point-index-mb N point-get index in MiB, 0 for none (default: 0)
  --no-event-stats   no event-statistics projection (a change-feed handler thread)
* --wal-json         JSON WAL records (the ancestor's encoding)
* --wal-reopen       close and reopen the WAL file for every commit group
* --no-compaction    background workers flush but never compact
* --no-background    no background work: the writer flushes inline, no compaction
  --dir PATH         parent directory for the databases (default: a temp dir)
  --seed N           random seed (default: 301)
  -h, --help         print this help
";

struct Args {
    memtables: Vec<MapKind>,
    benchmarks: Vec<String>,
    num: u64,
    reads: Option<u64>,
    stages: Vec<Stage>,
    key_size: usize,
    value_size: usize,
    sync: SyncPolicy,
    memtable_mb: usize,
    cache_mb: u64,
    bloom_bits: u32,
    point_index_mb: u64,
    no_event_stats: bool,
    dir: Option<PathBuf>,
    seed: u64,
    wal_json: bool,
    wal_reopen: bool,
    no_compaction: bool,
    no_background: bool,
}

const BENCHMARKS: [&str; 6] = [
    "fillseq",
    "fillrandom",
    "overwrite",
    "readrandom",
    "readseq",
    "deleterandom",
];

fn parse() -> Result<Option<Args>> {
    let mut a = Args {
        memtables: MapKind::ALL.to_vec(),
        benchmarks: vec!["fillrandom".into(), "readrandom".into()],
        num: 1_000_000,
        reads: None,
        stages: Vec::new(),
        key_size: 16,
        value_size: 100,
        sync: SyncPolicy::None,
        memtable_mb: 64,
        cache_mb: 64,
        bloom_bits: 10,
        point_index_mb: 0,
        no_event_stats: false,
        dir: None,
        seed: 301,
        wal_json: false,
        wal_reopen: false,
        no_compaction: false,
        no_background: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if name == "-h" || name == "--help" {
            return Ok(None);
        }
        let mut value = || -> Result<String> {
            inline
                .clone()
                .or_else(|| it.next())
                .with_context(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--wal-json" => a.wal_json = true,
            "--wal-reopen" => a.wal_reopen = true,
            "--no-compaction" => a.no_compaction = true,
            "--no-background" => a.no_background = true,
            "--no-event-stats" => a.no_event_stats = true,
            "--memtables" => {
                a.memtables = value()?
                    .split(',')
                    .map(|s| s.parse::<MapKind>())
                    .collect::<Result<_, _>>()?
            }
            "--benchmarks" => {
                a.benchmarks = value()?.split(',').map(str::to_string).collect();
                for b in &a.benchmarks {
                    if !BENCHMARKS.contains(&b.as_str()) {
                        bail!("unknown benchmark `{b}` (known: {})", BENCHMARKS.join(","));
                    }
                }
            }
            "--num" => a.num = value()?.parse()?,
            "--reads" => a.reads = Some(value()?.parse()?),
            "--stages" => {
                a.stages = value()?
                    .split(',')
                    .map(|s| s.parse::<Stage>())
                    .collect::<Result<_, _>>()?
            }
            "--key-size" => a.key_size = value()?.parse()?,
            "--value-size" => a.value_size = value()?.parse()?,
            "--memtable-mb" => a.memtable_mb = value()?.parse()?,
            "--cache-mb" => a.cache_mb = value()?.parse()?,
            "--bloom-bits" => a.bloom_bits = value()?.parse()?,
            "--point-index-mb" => a.point_index_mb = value()?.parse()?,
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
            other => bail!("unknown option `{other}`"),
        }
    }
    if a.key_size < 8 {
        bail!("--key-size must be at least 8");
    }
    if a.num == 0 {
        bail!("--num must be positive");
    }
    Ok(Some(a))
}

/// xorshift64*: cheap and good enough for picking keys.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn key(i: u64, size: usize) -> Vec<u8> {
    let mut k = format!("{i:0size$}").into_bytes();
    k.truncate(size);
    k
}

/// One benchmark's outcome.
struct Outcome {
    name: String,
    ops: u64,
    secs: f64,
    bytes: u64,
    note: String,
    lat: Vec<u32>,
}

impl Outcome {
    fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.secs
    }
    fn pct(&self, p: f64) -> String {
        if self.lat.is_empty() {
            return "-".into();
        }
        let i = ((self.lat.len() as f64 - 1.0) * p).round() as usize;
        format!("{:.1}", self.lat[i] as f64 / 1000.0)
    }
}

/// Every 64th operation is timed for the latency percentiles.
const SAMPLE: u64 = 64;

fn run_one(
    db: &Db,
    label: &str,
    bench: &str,
    a: &Args,
    rng: &mut Rng,
    bar: &ProgressBar,
) -> Result<Outcome> {
    let value: Vec<u8> = (0..a.value_size).map(|i| b'a' + (i % 26) as u8).collect();
    let value = bytes::Bytes::from(value);
    let mut lat = Vec::with_capacity((a.num / SAMPLE) as usize + 1);
    let mut bytes = 0u64;
    let mut found = 0u64;
    let mut ops = 0u64;
    let count = match bench {
        "readrandom" => a.reads.unwrap_or(a.num),
        _ => a.num,
    };
    bar.set_length(count);
    bar.set_position(0);
    bar.set_message(format!("{label} {bench}"));
    let start = Instant::now();
    if bench == "readseq" {
        for item in db.iter()? {
            let (k, v) = item?;
            bytes += (k.len() + v.len()) as u64;
            ops += 1;
            if ops.is_multiple_of(4096) {
                bar.set_position(ops.min(a.num));
            }
        }
    } else {
        for i in 0..count {
            let k = match bench {
                "fillseq" => i,
                _ => rng.next() % a.num,
            };
            let k = key(k, a.key_size);
            let timed = i.is_multiple_of(SAMPLE);
            let t = timed.then(Instant::now);
            match bench {
                "fillseq" | "fillrandom" | "overwrite" => {
                    bytes += (k.len() + value.len()) as u64;
                    db.put(k, value.clone())?;
                }
                "readrandom" => {
                    if let Some(v) = db.get(&k)? {
                        found += 1;
                        bytes += (k.len() + v.len()) as u64;
                    }
                }
                "deleterandom" => {
                    bytes += k.len() as u64;
                    db.delete(k)?;
                }
                other => bail!("unknown benchmark {other}"),
            }
            if let Some(t) = t {
                lat.push(t.elapsed().as_nanos().min(u32::MAX as u128) as u32);
            }
            ops += 1;
            if i.is_multiple_of(4096) {
                bar.set_position(i);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    let note = match bench {
        "readrandom" => format!("{found} of {count} found"),
        "readseq" => format!("{ops} entries"),
        _ => String::new(),
    };
    Ok(Outcome {
        name: bench.to_string(),
        ops,
        secs,
        bytes,
        note,
        lat,
    })
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
    eprintln!(
        "dbbench: {} ops per benchmark, keys {} B, values {} B, sync {:?}, memtable {} MiB, cache {} MiB, bloom {} bits/key, dir {}",
        a.num,
        a.key_size,
        a.value_size,
        a.sync,
        a.memtable_mb,
        a.cache_mb,
        a.bloom_bits,
        parent.path().display()
    );
    let bar = ProgressBar::new(a.num).with_style(
        ProgressStyle::with_template("{msg:24} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut rows = Vec::new();
    let mut shape = Vec::new();
    let mut runs: Vec<(String, Options)> = Vec::new();
    for &kind in &a.memtables {
        if a.stages.is_empty() {
            runs.push((kind.name().to_string(), feature_options(&a, kind)));
        }
        for &stage in &a.stages {
            let opts = Options::stage(stage)
                .event_stats(!a.no_event_stats)
                .memtable(kind)
                .memtable_size(a.memtable_mb << 20);
            runs.push((format!("{stage} {}", kind.name()), opts));
        }
    }
    // Stage runs are listed stage by stage.
    runs.sort_by_key(|(label, _)| label.starts_with('S').then(|| label.clone()));
    for (label, opts) in runs {
        let dir = parent.path().join(label.replace(' ', "-"));
        let db = Db::open(&dir, opts).with_context(|| format!("opening {}", dir.display()))?;
        let mut rng = Rng(a.seed | 1);
        for bench in &a.benchmarks {
            let o = run_one(&db, &label, bench, &a, &mut rng, &bar)?;
            bar.println(format!(
                "{:10} {:12} {:>10.0} ops/s {:>7.1} MB/s  {}",
                label,
                o.name,
                o.ops_per_sec(),
                o.bytes as f64 / o.secs / 1e6,
                o.note
            ));
            rows.push(vec![
                label.clone(),
                o.name.clone(),
                format!("{:.0}", o.ops_per_sec()),
                format!("{:.1}", o.bytes as f64 / o.secs / 1e6),
                o.pct(0.5),
                o.pct(0.99),
                o.pct(0.999),
                o.note.clone(),
            ]);
        }
        let s = db.stats();
        shape.push(vec![
            label.clone(),
            format!("{:.2}", s.write_amplification()),
            format!("{:.2}", s.table_write_amplification()),
            format!("{:?}", s.files_per_level),
            s.flushes.to_string(),
            format!("{} ({} moves)", s.compactions, s.trivial_moves),
            format!(
                "{} / {:.0} ms",
                s.stalls,
                s.stall_time().as_secs_f64() * 1e3
            ),
            format!(
                "{:.0}%",
                100.0 * s.cache_hits as f64 / (s.cache_hits + s.cache_misses).max(1) as f64
            ),
            format!("{:.0}%", 100.0 * s.index_hits as f64 / s.gets.max(1) as f64),
        ]);
        db.close()?;
    }
    bar.finish_and_clear();
    print_tables(&rows, &shape);
    Ok(())
}

/// The options the feature flags describe, over memtable `kind`.
fn feature_options(a: &Args, kind: MapKind) -> Options {
    Options::default()
        .memtable(kind)
        .sync(a.sync)
        .memtable_size(a.memtable_mb << 20)
        .block_cache_bytes(a.cache_mb << 20)
        .bloom_bits_per_key(a.bloom_bits)
        .point_index_bytes(a.point_index_mb << 20)
        .event_stats(!a.no_event_stats)
        .wal_format(if a.wal_json {
            RecordFormat::Json
        } else {
            RecordFormat::Binary
        })
        .wal_reopen_per_write(a.wal_reopen)
        .compaction(!a.no_compaction)
        .auto_compaction(!a.no_background)
}

fn print_tables(rows: &[Vec<String>], shape: &[Vec<String>]) {
    let header = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    println!(
        "\n{}",
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
                "cache hit",
                "index hit"
            ]),
            shape
        )
    );
}
