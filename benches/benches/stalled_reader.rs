//! Stalled reader: one thread is blocked inside a `get` (`stall_in_get`: its epoch pinned, its
//! hazard pointers published) while updater threads insert and remove (100 % updates, key
//! range 2^16 pre-filled to half). The retired-but-unfreed node count is sampled every 2 ms:
//! under epochs it grows with every remove (nothing retired after the pin can be freed), under
//! seize too (every batch retired while the reader is inside its operation waits for it to
//! leave), under hazard pointers it stays bounded, and without reclamation it grows by design.
//! The side data holds the last run's time series and the peak/average; criterion records the
//! updaters' throughput while the reader is stalled.

use criterion::{BenchmarkId, Criterion, Throughput};
use ferrolite_benches::sidecar::{self, per_iteration, Scale, Series, Side, Spread, Unreclaimed};
use ferrolite_benches::synchro::{measure, prefill_map, Probes, SynchroConfig};
use ferrolite_benches::workload::KeyDist;
use ferrolite_structures::testing::StallInGet;
use ferrolite_structures::{
    ConcurrentMap, EpochSkipList, HazardSkipList, NoReclaimSkipList, SeizeSkipList,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn cell<M: ConcurrentMap<u64, u64> + StallInGet<u64> + Default>(
    c: &mut Criterion,
    name: &str,
    threads: usize,
    duration: Duration,
) {
    let cfg = SynchroConfig {
        range: 1 << 16,
        threads,
        update_percent: 100,
        duration,
        dist: KeyDist::Uniform,
        seed: 0xa11 + threads as u64,
    };
    let probes = Probes {
        latency_every: 0,
        unreclaimed_every: Some(Duration::from_millis(2)),
    };
    let param = format!("t{threads}");
    let (mut ops, mut peaks, mut avgs) = (Vec::new(), Vec::new(), Vec::new());
    let mut series = Vec::new();
    let mut group = c.benchmark_group("stalled_reader");
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new(name, &param), |b| {
        b.iter_custom(|iters| {
            // A fresh map per run: garbage left by the previous stall must not count.
            let map = M::default();
            prefill_map(&map, &cfg);
            let release = AtomicBool::new(false);
            let (r, probe) = std::thread::scope(|s| {
                s.spawn(|| map.stall_in_get(&(cfg.range / 3), &release));
                std::thread::sleep(Duration::from_millis(2)); // let the reader pin
                let out = measure(&map, &cfg, probes);
                release.store(true, Ordering::Release);
                out
            })
            .unwrap_or_else(|e| panic!("{name} {param}: validation failed: {e}"));
            ops.push(r.totals.ops as f64 / duration.as_secs_f64());
            peaks.push(probe.unreclaimed.iter().map(|s| s.1).max().unwrap_or(0));
            avgs.push(probe.unreclaimed_avg());
            series = probe
                .unreclaimed
                .iter()
                .map(|&(t, n)| (t, n as f64))
                .collect();
            per_iteration(duration, r.totals.ops, iters)
        })
    });
    group.finish();
    let mut side = Side::new("stalled_reader", name, &param)
        .param("map", name)
        .param("threads", threads)
        .param("update_percent", 100)
        .param("range", cfg.range);
    side.ops_per_sec = Spread::of(&ops);
    side.unreclaimed = Some(Unreclaimed {
        peak: Some(peaks.iter().copied().max().unwrap_or(0) as f64),
        avg: Some(Spread::of(&avgs).and_then(|s| s.median).unwrap_or(0.0)),
    });
    side.series = Some(Series {
        name: "unreclaimed nodes".into(),
        x_label: "time (ms)".into(),
        points: series,
    });
    sidecar::write(&side).expect("writing side data");
}

fn main() {
    let scale = Scale::from_env();
    let duration = Duration::from_millis(scale.pick(30, 200, 1000));
    let threads: Vec<usize> = scale.pick(vec![1], vec![1, 2], vec![1, 2, 4]);
    eprintln!(
        "stalled_reader: scale {}, updaters {threads:?}, {} ms runs",
        scale.name(),
        duration.as_millis()
    );
    // Each sample also pre-fills a fresh map (2^16 / 2 keys, tens of milliseconds).
    let mut c = sidecar::criterion(10, duration + Duration::from_millis(40));
    for &t in &threads {
        cell::<EpochSkipList<u64, u64>>(&mut c, "epoch", t, duration);
        cell::<SeizeSkipList<u64, u64>>(&mut c, "seize", t, duration);
        cell::<HazardSkipList<u64, u64>>(&mut c, "hazard", t, duration);
        cell::<NoReclaimSkipList<u64, u64>>(&mut c, "noreclaim", t, duration);
    }
    c.final_summary();
}
