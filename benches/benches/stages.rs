//! The stage ladder under criterion: every preset `Options::stage(S0..S5)` × the mutex and
//! epoch memtables, on `fillrandom`, `readrandom` and YCSB-A (50 % reads, 50 % updates,
//! zipfian(0.99) keys), 16-byte keys and 100-byte values, one thread.
//!
//! Per (stage, memtable) a fresh database is filled by the `fillrandom` samples (each sample
//! puts `writes` random keys of a key space of `11 × writes`), then `readrandom` and `ycsba`
//! samples run on it. Read-heavy samples of the JSON stages (S0–S3, whose gets parse JSON
//! blocks of every table) do a tenth of the operations. Criterion records time per operation;
//! the side data records our median/spread of ops/s, p50/p99/p99.9 latency (every operation
//! timed), the options of the preset, the database's write counters (write amplification and
//! the bytes behind it, cumulative since the fill began) and the cell's own read counters
//! (gets, recent-writes hits, block-cache hits and misses while its samples ran).

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput};
use ferrolite::{Db, DbStats, MapKind, Options, Stage};
use ferrolite_benches::sidecar::{self, per_iteration, percentiles, Scale, Side, Spread};
use ferrolite_benches::workload::{KeyDist, KeySpace};
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};

const SAMPLES: u64 = 11; // criterion's warm-up run + 10 samples

fn key(i: u64) -> Bytes {
    Bytes::from(format!("{i:016}"))
}

struct Cell {
    ops: Vec<f64>,
    lat: Histogram<u64>,
    /// The database's counters before the cell's samples.
    before: DbStats,
}

impl Cell {
    fn new(db: &Db) -> Cell {
        Cell {
            ops: Vec::new(),
            lat: Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid bounds"),
            before: db.stats(),
        }
    }

    /// Run `n` operations of `op` (given the operation index), timing each.
    fn run(&mut self, n: u64, iters: u64, mut op: impl FnMut(u64)) -> Duration {
        let start = Instant::now();
        for i in 0..n {
            let t = Instant::now();
            op(i);
            self.lat.saturating_record(t.elapsed().as_nanos() as u64);
        }
        let elapsed = start.elapsed();
        self.ops.push(n as f64 / elapsed.as_secs_f64());
        per_iteration(elapsed, n, iters)
    }

    fn write(self, function: &str, workload: &str, stage: Stage, kind: MapKind, db: &Db) {
        let side = Side::new("stages", function, workload)
            .param("stage", stage.name())
            .param("memtable", kind.name())
            .param("workload", workload);
        let mut side = sidecar::engine_options(side, stage.name(), db.options());
        side.ops_per_sec = Spread::of(&self.ops);
        if let Some(p) = percentiles(&self.lat) {
            side.latency_ns.insert("op".into(), p);
        }
        let s = db.stats();
        sidecar::engine_counters(&mut side, &self.before, &s);
        side.set_extra("l0_files", s.files_per_level[0] as f64);
        sidecar::write(&side).expect("writing side data");
    }
}

fn stage_cell(c: &mut Criterion, stage: Stage, kind: MapKind, writes: u64, memtable: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = Options::stage(stage).memtable(kind).memtable_size(memtable);
    let db = Db::open(dir.path(), opts).expect("open");
    let function = format!("{stage}-{}", kind.name());
    let keys = writes * SAMPLES;
    let reads = if stage >= Stage::S4 {
        writes
    } else {
        writes / 10
    };
    let value = Bytes::from(vec![b'v'; 100]);
    let uniform = KeySpace::new(keys, KeyDist::Uniform);
    let zipf = KeySpace::new(keys, KeyDist::zipf());
    let mut group = c.benchmark_group("stages");
    group.throughput(Throughput::Elements(1));

    let mut gen = uniform.generator(1);
    let mut cell = Cell::new(&db);
    group.bench_function(BenchmarkId::new(&function, "fillrandom"), |b| {
        b.iter_custom(|iters| {
            cell.run(writes, iters, |_| {
                db.put(key(gen.next_key()), value.clone()).expect("put")
            })
        })
    });
    cell.write(&function, "fillrandom", stage, kind, &db);

    let mut gen = uniform.generator(2);
    let mut cell = Cell::new(&db);
    group.bench_function(BenchmarkId::new(&function, "readrandom"), |b| {
        b.iter_custom(|iters| {
            cell.run(reads, iters, |_| {
                std::hint::black_box(db.get(key(gen.next_key())).expect("get"));
            })
        })
    });
    cell.write(&function, "readrandom", stage, kind, &db);

    let mut gen = zipf.generator(3);
    let mut cell = Cell::new(&db);
    group.bench_function(BenchmarkId::new(&function, "ycsba"), |b| {
        b.iter_custom(|iters| {
            cell.run(reads, iters, |i| {
                let k = key(gen.next_key());
                if i % 2 == 0 {
                    std::hint::black_box(db.get(k).expect("get"));
                } else {
                    db.put(k, value.clone()).expect("update");
                }
            })
        })
    });
    cell.write(&function, "ycsba", stage, kind, &db);
    group.finish();
    db.close().expect("close");
}

fn main() {
    let scale = Scale::from_env();
    let writes: u64 = scale.pick(2_000, 20_000, 100_000);
    let memtable: usize = scale.pick(64 << 10, 4 << 20, 16 << 20);
    eprintln!(
        "stages: scale {}, {writes} puts per fillrandom sample, memtable {} KiB",
        scale.name(),
        memtable >> 10
    );
    let mut c = sidecar::criterion(10, Duration::from_millis(100));
    for stage in Stage::ALL {
        for kind in [MapKind::Mutex, MapKind::Epoch] {
            stage_cell(&mut c, stage, kind, writes, memtable);
        }
    }
    c.final_summary();
}
