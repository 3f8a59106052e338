//! Synchrobench-style structure sweep under criterion: every map × threads × update ratio ×
//! key range × key distribution (`FERROLITE_BENCH_SCALE` picks how many; see [`plan`]).
//!
//! A cell pre-fills one map to half its key range, then criterion takes samples; each sample
//! is one fixed-duration run ([`measure`]) started behind a barrier, validated against its own
//! effective inserts and removes (a failed validation aborts the bench). Criterion records
//! time per operation (so its throughput is operations per second); the side data
//! (`ferrolite_benches::sidecar`) records our own median and spread of ops/s, latency
//! percentiles per operation type (every 16th operation timed into HDR histograms) and the
//! peak and average retired-but-unfreed nodes (sampled every 5 ms; absent for a map whose
//! counters are no measurement, `ConcurrentMap::counts_unreclaimed`).

use criterion::{BenchmarkId, Criterion, Throughput};
use ferrolite_benches::sidecar::{
    self, per_iteration, percentiles, Scale, Side, Spread, Unreclaimed,
};
use ferrolite_benches::synchro::{measure, prefill_map, Latencies, Probes, SynchroConfig};
use ferrolite_benches::workload::KeyDist;
use ferrolite_structures::{ConcurrentMap, MapKind, MapVisitor};
use std::time::Duration;

/// One workload: update ratio, key range, distribution; run at each thread count.
#[derive(Clone, Copy)]
struct Workload {
    update: u32,
    range: u64,
    dist: KeyDist,
}

fn dist_name(d: KeyDist) -> &'static str {
    match d {
        KeyDist::Uniform => "uniform",
        _ => "zipf",
    }
}

/// The workloads, thread counts and run length of a scale.
fn plan(scale: Scale) -> (Vec<Workload>, Vec<usize>, Duration) {
    let w = |update, range, dist| Workload {
        update,
        range,
        dist,
    };
    let zipf = KeyDist::zipf();
    match scale {
        Scale::Smoke => (
            vec![
                w(10, 1 << 10, KeyDist::Uniform),
                w(50, 1 << 10, KeyDist::Uniform),
            ],
            vec![1, 2],
            Duration::from_millis(20),
        ),
        Scale::Default => {
            let mut v = Vec::new();
            for update in [0, 10, 50, 100] {
                v.push(w(update, 1 << 16, KeyDist::Uniform));
                v.push(w(update, 1 << 16, zipf));
            }
            for update in [10, 50] {
                v.push(w(update, 1 << 10, KeyDist::Uniform));
                v.push(w(update, 1 << 20, KeyDist::Uniform));
            }
            (v, vec![1, 2, 4, 8], Duration::from_millis(50))
        }
        Scale::Full => {
            let mut v = Vec::new();
            for range in [1 << 10, 1 << 16, 1 << 20] {
                for dist in [KeyDist::Uniform, zipf] {
                    for update in [0, 10, 50, 100] {
                        v.push(w(update, range, dist));
                    }
                }
            }
            (v, vec![1, 2, 4, 8], Duration::from_millis(200))
        }
    }
}

fn cell<M: ConcurrentMap<u64, u64> + Default + Sync>(
    c: &mut Criterion,
    kind: MapKind,
    w: Workload,
    threads: usize,
    duration: Duration,
) {
    let cfg = SynchroConfig {
        range: w.range,
        threads,
        update_percent: w.update,
        duration,
        dist: w.dist,
        seed: 0x5eed ^ (threads as u64) << 8 ^ u64::from(w.update),
    };
    let probes = Probes {
        latency_every: 16,
        unreclaimed_every: Some(Duration::from_millis(5)),
    };
    let param = format!(
        "t{threads}-u{}-r{}-{}",
        w.update,
        w.range,
        dist_name(w.dist)
    );
    let map = M::default();
    prefill_map(&map, &cfg);
    let (mut ops_per_sec, mut avgs, mut peak) = (Vec::new(), Vec::new(), 0u64);
    let mut lat = Latencies::default();
    let mut group = c.benchmark_group("structures");
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new(kind.name(), &param), |b| {
        b.iter_custom(|iters| {
            let (r, probe) = measure(&map, &cfg, probes)
                .unwrap_or_else(|e| panic!("{} {param}: validation failed: {e}", kind.name()));
            ops_per_sec.push(r.totals.ops as f64 / duration.as_secs_f64());
            lat.merge(&probe.latency);
            avgs.push(probe.unreclaimed_avg());
            peak = peak.max(r.reclamation.peak_unreclaimed);
            per_iteration(duration, r.totals.ops, iters)
        })
    });
    group.finish();
    let mut side = Side::new("structures", kind.name(), &param)
        .param("map", kind.name())
        .param("threads", threads)
        .param("update_percent", w.update)
        .param("range", w.range)
        .param("dist", dist_name(w.dist));
    side.ops_per_sec = Spread::of(&ops_per_sec);
    for (name, h) in [
        ("get", &lat.get),
        ("insert", &lat.insert),
        ("remove", &lat.remove),
    ] {
        if let Some(p) = percentiles(h) {
            side.latency_ns.insert(name.into(), p);
        }
    }
    // A map whose counters are not a measurement (crossbeam's) gets no unreclaimed record:
    // absent means "not measured", never zero.
    side.unreclaimed = map.counts_unreclaimed().then(|| Unreclaimed {
        peak: Some(peak as f64),
        avg: Some(Spread::of(&avgs).and_then(|s| s.median).unwrap_or(0.0)),
    });
    sidecar::write(&side).expect("writing side data");
}

/// One [`cell`] on the visited map type (the registry's static dispatch).
struct Cell<'a> {
    c: &'a mut Criterion,
    kind: MapKind,
    w: Workload,
    threads: usize,
    duration: Duration,
}

impl MapVisitor<u64, u64> for Cell<'_> {
    type Output = ();
    fn visit<M: ConcurrentMap<u64, u64> + Default + 'static>(self) {
        cell::<M>(self.c, self.kind, self.w, self.threads, self.duration)
    }
}

fn main() {
    let scale = Scale::from_env();
    let (workloads, threads, duration) = plan(scale);
    eprintln!(
        "structures: scale {}, {} workloads × {:?} threads × {} maps, {} ms runs; \
         side data in {}",
        scale.name(),
        workloads.len(),
        threads,
        MapKind::COUNT,
        duration.as_millis(),
        sidecar::side_dir().display()
    );
    let mut c = sidecar::criterion(10, duration);
    for w in &workloads {
        for &t in &threads {
            for kind in MapKind::ALL {
                kind.visit(Cell {
                    c: &mut c,
                    kind,
                    w: *w,
                    threads: t,
                    duration,
                });
            }
        }
    }
    c.final_summary();
}
