//! End to end: every benchmark, in order, on a small database of each engine; YCSB loads an
//! empty database and only an empty one.

use super::*;
use ferrolite::Options;

/// Every benchmark in order, 2 000 operations on 2 threads; each did some operations.
fn run_every_benchmark(engine: &dyn Engine) -> Vec<(Benchmark, Outcome)> {
    let cfg = BenchConfig {
        num: 2_000,
        threads: 2,
        ..BenchConfig::default()
    };
    let runner = Runner::new(engine, cfg);
    Benchmark::ALL
        .into_iter()
        .map(|bench| {
            let o = runner.run(bench).unwrap();
            assert!(o.ops > 0, "{bench}");
            (bench, o)
        })
        .collect()
}

#[test]
fn every_benchmark_runs_on_ferrolite() {
    let dir = tempfile::tempdir().unwrap();
    let engine =
        FerroliteEngine::open(dir.path(), Options::default().memtable_size(256 << 10)).unwrap();
    for (bench, o) in run_every_benchmark(&engine) {
        assert!(o.secs > 0.0);
        assert!(!o.latencies.is_empty(), "{bench}");
        let total: u64 = o.latencies.iter().map(|(_, h)| h.len()).sum();
        assert_eq!(total, o.ops, "{bench}: every operation is timed");
        assert!(o.db_bench_line().starts_with(bench.name()));
        match bench {
            Benchmark::FillSeq | Benchmark::ReadSeq => assert_eq!(o.ops, 2_000, "{bench}"),
            Benchmark::ReadRandom => {
                assert_eq!(o.note, "2000 of 2000 found");
            }
            Benchmark::SeekRandom => assert!(o.note.ends_with("of 2000 found"), "{}", o.note),
            Benchmark::ReadWhileWriting => assert!(o.note.contains("writer did"), "{}", o.note),
            Benchmark::Ycsb(Ycsb::A) => {
                // After deleterandom the database is not empty: no load.
                assert!(!o.note.contains("loaded"), "{}", o.note);
                assert_eq!(o.ops, 2_000);
            }
            _ => assert_eq!(o.ops, 2_000, "{bench}"),
        }
    }
    let s = engine.summary();
    assert!(s.write_amplification.unwrap() > 1.0);
    engine.close().unwrap();
}

#[cfg(feature = "yardstick")]
#[test]
fn every_benchmark_runs_on_fjall() {
    let dir = tempfile::tempdir().unwrap();
    let engine = FjallEngine::open(
        dir.path(),
        FjallOptions {
            memtable_bytes: 256 << 10,
            cache_bytes: 8 << 20,
            bloom_bits: 10,
            sync_every_write: false,
        },
    )
    .unwrap();
    for (bench, o) in run_every_benchmark(&engine) {
        if bench == Benchmark::ReadRandom {
            assert_eq!(o.note, "2000 of 2000 found");
        }
        if bench == Benchmark::ReadSeq {
            assert_eq!(o.ops, 2_000);
        }
    }
    assert!(!engine.summary().levels.is_empty());
    engine.close().unwrap();
}

#[test]
fn ycsb_loads_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let engine = FerroliteEngine::open(dir.path(), Options::default()).unwrap();
    let cfg = BenchConfig {
        num: 1_000,
        ..BenchConfig::default()
    };
    let runner = Runner::new(&engine, cfg);
    let o = runner.run(Benchmark::Ycsb(Ycsb::C)).unwrap();
    assert!(o.note.starts_with("loaded 1000 keys"), "{}", o.note);
    assert!(o.note.ends_with("reads: 1000 of 1000 found"), "{}", o.note);
    let o = runner.run(Benchmark::Ycsb(Ycsb::D)).unwrap();
    assert!(!o.note.contains("loaded"), "{}", o.note);
    engine.close().unwrap();
}
