//! db_bench and YCSB end to end under criterion, for every memtable kind: `fillseq` on a
//! fresh database; then, on another, `fillrandom`, `overwrite`, `readrandom`, `readseq`,
//! `seekrandom`, `readwhilewriting`, YCSB A–F (zipfian(0.99) request keys) and
//! `deleterandom`, in that order (16-byte keys, 100-byte values; the workloads are
//! `ferrolite_benches::engine_bench`'s, the same `dbbench` runs). One criterion sample is one
//! whole benchmark of `num` operations; criterion records time per operation, the side data
//! our median/spread of ops/s, MB/s, p50/p99/p99.9 latency per operation type (every
//! operation timed) and the database's write amplification after the benchmark.
//!
//! With the `yardstick` feature, the `yardstick` group runs a subset on fjall and on
//! ferrolite (epoch memtable) with matching settings, so the report can show the ratio.

use criterion::{BenchmarkId, Criterion, Throughput};
use ferrolite::{MapKind, Options};
use ferrolite_benches::engine_bench::{BenchConfig, Benchmark, Engine, FerroliteEngine, Runner};
use ferrolite_benches::sidecar::{self, per_iteration, percentiles, Scale, Side, Spread};
use std::time::Duration;

/// Run `benches` in order on `engine`, each as a criterion benchmark `group/function/name`.
fn run_all(
    c: &mut Criterion,
    group_name: &str,
    function: &str,
    engine: &dyn Engine,
    cfg: &BenchConfig,
    benches: &[Benchmark],
    options: &dyn Fn(Side) -> Side,
) {
    let runner = Runner::new(engine, cfg.clone());
    for &bench in benches {
        let before = engine.summary().db_stats;
        let (mut ops, mut mbs) = (Vec::new(), Vec::new());
        let mut lat: Vec<(&'static str, hdrhistogram::Histogram<u64>)> = Vec::new();
        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new(function, bench.name()), |b| {
            b.iter_custom(|iters| {
                let o = runner
                    .run(bench)
                    .unwrap_or_else(|e| panic!("{function} {bench}: {e:#}"));
                ops.push(o.ops_per_sec());
                mbs.push(o.mb_per_sec());
                for (name, h) in &o.latencies {
                    match lat.iter_mut().find(|(n, _)| n == name) {
                        Some((_, acc)) => acc.add(h).expect("same bounds"),
                        None => lat.push((name, h.clone())),
                    }
                }
                per_iteration(Duration::from_secs_f64(o.secs), o.ops, iters)
            })
        });
        group.finish();
        let side = Side::new(group_name, function, bench.name())
            .param("engine", engine.name())
            .param("function", function)
            .param("workload", bench.name())
            .param("num", cfg.num)
            .param("threads", cfg.threads as u64);
        let mut side = options(side);
        side.ops_per_sec = Spread::of(&ops);
        let mut all: Option<hdrhistogram::Histogram<u64>> = None;
        for (name, h) in &lat {
            if let Some(p) = percentiles(h) {
                side.latency_ns.insert((*name).into(), p);
            }
            match &mut all {
                Some(a) => a.add(h).expect("same bounds"),
                None => all = Some(h.clone()),
            }
        }
        if let Some(p) = all.as_ref().and_then(percentiles) {
            side.latency_ns.insert("op".into(), p);
        }
        if let Some(m) = Spread::of(&mbs).and_then(|s| s.median) {
            side.set_extra("mb_per_sec", m);
        }
        let summary = engine.summary();
        match (&before, &summary.db_stats) {
            (Some(before), Some(after)) => sidecar::engine_counters(&mut side, before, after),
            _ => {
                if let Some(w) = summary.write_amplification {
                    side.set_extra("write_amp", w);
                }
            }
        }
        sidecar::write(&side).expect("writing side data");
    }
}

const AFTER_FILL: [Benchmark; 13] = [
    Benchmark::FillRandom,
    Benchmark::Overwrite,
    Benchmark::ReadRandom,
    Benchmark::ReadSeq,
    Benchmark::SeekRandom,
    Benchmark::ReadWhileWriting,
    Benchmark::Ycsb(ferrolite_benches::engine_bench::Ycsb::A),
    Benchmark::Ycsb(ferrolite_benches::engine_bench::Ycsb::B),
    Benchmark::Ycsb(ferrolite_benches::engine_bench::Ycsb::C),
    Benchmark::Ycsb(ferrolite_benches::engine_bench::Ycsb::D),
    Benchmark::Ycsb(ferrolite_benches::engine_bench::Ycsb::E),
    Benchmark::Ycsb(ferrolite_benches::engine_bench::Ycsb::F),
    Benchmark::DeleteRandom,
];

fn options(kind: MapKind, memtable: usize) -> Options {
    Options::default().memtable(kind).memtable_size(memtable)
}

/// Names a Ferrolite cell's options (`Options::default()` with the memtable's kind and size).
fn ferrolite_options(o: Options) -> impl Fn(Side) -> Side {
    move |side| sidecar::engine_options(side, "default", &o)
}

fn main() {
    let scale = Scale::from_env();
    let num: u64 = scale.pick(2_000, 20_000, 200_000);
    let memtable: usize = scale.pick(256 << 10, 4 << 20, 16 << 20);
    let cfg = BenchConfig {
        num,
        ..BenchConfig::default()
    };
    eprintln!(
        "engine: scale {}, {num} operations per benchmark sample, memtable {} KiB",
        scale.name(),
        memtable >> 10
    );
    let mut c = sidecar::criterion(10, Duration::from_millis(200));
    for kind in MapKind::ALL {
        let dir = tempfile::tempdir().expect("temp dir");
        let seq =
            FerroliteEngine::open(dir.path().join("seq"), options(kind, memtable)).expect("open");
        let described = ferrolite_options(options(kind, memtable));
        run_all(
            &mut c,
            "engine",
            kind.name(),
            &seq,
            &cfg,
            &[Benchmark::FillSeq],
            &described,
        );
        seq.close().expect("close");
        let db =
            FerroliteEngine::open(dir.path().join("db"), options(kind, memtable)).expect("open");
        run_all(
            &mut c,
            "engine",
            kind.name(),
            &db,
            &cfg,
            &AFTER_FILL,
            &described,
        );
        db.close().expect("close");
    }
    #[cfg(feature = "yardstick")]
    yardstick(&mut c, &cfg, memtable);
    c.final_summary();
}

/// The same workloads on fjall and on ferrolite with matching settings.
#[cfg(feature = "yardstick")]
fn yardstick(c: &mut Criterion, cfg: &BenchConfig, memtable: usize) {
    use ferrolite_benches::engine_bench::{FjallEngine, FjallOptions, Ycsb};
    let benches = [
        Benchmark::FillRandom,
        Benchmark::ReadRandom,
        Benchmark::ReadSeq,
        Benchmark::SeekRandom,
        Benchmark::Ycsb(Ycsb::A),
        Benchmark::Ycsb(Ycsb::B),
        Benchmark::Ycsb(Ycsb::C),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = FjallOptions {
        memtable_bytes: memtable as u32,
        cache_bytes: 64 << 20,
        bloom_bits: 10,
        sync_every_write: false,
    };
    let fjall_options = move |side: Side| {
        side.option("engine", "fjall 2.x (uncompressed blocks)")
            .option("memtable_bytes", settings.memtable_bytes)
            .option("block_cache_bytes", settings.cache_bytes)
            .option("bloom_bits_per_key", settings.bloom_bits)
            .option(
                "sync",
                if settings.sync_every_write {
                    "every write"
                } else {
                    "none (journal written to the OS)"
                },
            )
    };
    let fjall = FjallEngine::open(dir.path().join("fjall"), settings).expect("open fjall");
    run_all(
        c,
        "yardstick",
        "fjall",
        &fjall,
        cfg,
        &benches,
        &fjall_options,
    );
    fjall.close().expect("close");
    let ours_options = options(MapKind::Epoch, memtable);
    let described = {
        let named = ferrolite_options(ours_options.clone());
        move |side: Side| named(side).option("engine", "ferrolite")
    };
    let ours = FerroliteEngine::open(dir.path().join("ferrolite"), ours_options).expect("open");
    run_all(
        c,
        "yardstick",
        "ferrolite",
        &ours,
        cfg,
        &benches,
        &described,
    );
    ours.close().expect("close");
}
