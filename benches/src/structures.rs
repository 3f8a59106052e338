//! The `structures` criterion bench's plan and its one cell, generic over the map: the
//! Synchrobench protocol under criterion, with side data for `cargo xtask report`.
//!
//! A [`Plan`] is the workloads (update ratio × key range × key distribution), the thread
//! counts and the run length of a [`Scale`]. A [`cell`] pre-fills one map to half its key
//! range, then criterion takes samples; each sample is one fixed-duration run
//! ([`measure`]) started behind a barrier, validated against its own effective inserts and
//! removes (a failed validation aborts the bench). Criterion records time per operation (so
//! its throughput is operations per second); the side data ([`crate::sidecar`]) records our
//! own median and spread of ops/s, latency percentiles per operation type (every 16th
//! operation timed into HDR histograms) and the peak and average retired-but-unfreed nodes
//! (sampled every 5 ms; absent for a map whose counters are no measurement,
//! `ConcurrentMap::counts_unreclaimed`).
//!
//! The cell is named by the caller, not by a `MapKind`, so the registry's maps and a map of
//! one's own (a [`crate::sweep::Row`]) produce the same files under the same layout:
//! criterion's `structures/<name>/t{threads}-u{update}-r{range}-{dist}` and the side data's
//! `structures/<name>/<parameter>.json`, which the report turns into one row per name.

use crate::sidecar::{self, per_iteration, percentiles, Scale, Side, Spread, Unreclaimed};
use crate::synchro::{measure, prefill_map, Latencies, Probes, SynchroConfig};
use crate::workload::KeyDist;
use criterion::{BenchmarkId, Criterion, Throughput};
use ferrolite_structures::ConcurrentMap;
use std::time::Duration;

/// The criterion group every cell belongs to (the report's `structures` sections).
pub const GROUP: &str = "structures";

/// One workload: update ratio, key range, key distribution; run at each thread count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Workload {
    /// Percentage (0–100) of operations that are updates (alternately insert and remove).
    pub update: u32,
    /// Keys are drawn from `0..range`; the map is pre-filled with `range / 2` of them.
    pub range: u64,
    /// The distribution of the keys the workers draw.
    pub dist: KeyDist,
}

impl Workload {
    /// The criterion parameter (and side-data file name) of this workload at `threads`:
    /// `t{threads}-u{update}-r{range}-{uniform|zipf}`.
    pub fn parameter(&self, threads: usize) -> String {
        format!(
            "t{threads}-u{}-r{}-{}",
            self.update,
            self.range,
            dist_name(self.dist)
        )
    }
}

/// How the report names a distribution.
pub fn dist_name(d: KeyDist) -> &'static str {
    match d {
        KeyDist::Uniform => "uniform",
        KeyDist::Zipf { .. } => "zipf",
    }
}

/// What a sweep runs: every workload at every thread count, runs of `duration` each.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The workloads, in the order they run.
    pub workloads: Vec<Workload>,
    /// The thread counts, in the order they run.
    pub threads: Vec<usize>,
    /// The length of one run (one criterion sample).
    pub duration: Duration,
}

impl Plan {
    /// The plan of a scale (`FERROLITE_BENCH_SCALE`): smoke — two workloads on 1024 keys at
    /// 1 and 2 threads, 20 ms runs; default — 0/10/50/100 % updates on 65536 uniform and
    /// zipfian keys plus 10/50 % on 1024 and 1048576 uniform keys, at 1, 2, 4 and 8 threads,
    /// 50 ms runs; full — every update ratio × range × distribution, 200 ms runs.
    pub fn for_scale(scale: Scale) -> Plan {
        let w = |update, range, dist| Workload {
            update,
            range,
            dist,
        };
        let zipf = KeyDist::zipf();
        match scale {
            Scale::Smoke => Plan {
                workloads: vec![
                    w(10, 1 << 10, KeyDist::Uniform),
                    w(50, 1 << 10, KeyDist::Uniform),
                ],
                threads: vec![1, 2],
                duration: Duration::from_millis(20),
            },
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
                Plan {
                    workloads: v,
                    threads: vec![1, 2, 4, 8],
                    duration: Duration::from_millis(50),
                }
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
                Plan {
                    workloads: v,
                    threads: vec![1, 2, 4, 8],
                    duration: Duration::from_millis(200),
                }
            }
        }
    }
}

/// Criterion configured for a plan's cells: 10 samples of one run each (see
/// [`sidecar::criterion`]).
pub fn criterion_for(plan: &Plan) -> Criterion {
    sidecar::criterion(10, plan.duration)
}

/// Measure one cell: a fresh `M`, pre-filled, sampled by criterion as `structures/<name>/
/// <parameter>`, and its side data written.
///
/// # Panics
/// If a run fails validation (its numbers would be meaningless), or the side data cannot be
/// written.
pub fn cell<M: ConcurrentMap<u64, u64> + Default>(
    c: &mut Criterion,
    name: &str,
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
    let param = w.parameter(threads);
    let map = M::default();
    prefill_map(&map, &cfg);
    let (mut ops_per_sec, mut avgs, mut peak) = (Vec::new(), Vec::new(), 0u64);
    let mut lat = Latencies::default();
    let mut group = c.benchmark_group(GROUP);
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new(name, &param), |b| {
        b.iter_custom(|iters| {
            let (r, probe) = measure(&map, &cfg, probes)
                .unwrap_or_else(|e| panic!("{name} {param}: validation failed: {e}"));
            ops_per_sec.push(r.totals.ops as f64 / duration.as_secs_f64());
            lat.merge(&probe.latency);
            avgs.push(probe.unreclaimed_avg());
            peak = peak.max(r.reclamation.peak_unreclaimed);
            per_iteration(duration, r.totals.ops, iters)
        })
    });
    group.finish();
    let mut side = Side::new(GROUP, name, &param)
        .param("map", name)
        .param("threads", threads)
        .param("update_percent", w.update)
        .param("range", w.range)
        .param("dist", dist_name(w.dist));
    side.ops_per_sec = Spread::of(&ops_per_sec);
    for (op, h) in [
        ("get", &lat.get),
        ("insert", &lat.insert),
        ("remove", &lat.remove),
    ] {
        if let Some(p) = percentiles(h) {
            side.latency_ns.insert(op.into(), p);
        }
    }
    // A map whose counters are not a measurement (crossbeam's, scc's) gets no unreclaimed
    // record: absent means "not measured", never zero.
    side.unreclaimed = map.counts_unreclaimed().then(|| Unreclaimed {
        peak: Some(peak as f64),
        avg: Some(Spread::of(&avgs).and_then(|s| s.median).unwrap_or(0.0)),
    });
    sidecar::write(&side).expect("writing side data");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_name_the_workload() {
        let w = Workload {
            update: 50,
            range: 1024,
            dist: KeyDist::zipf(),
        };
        assert_eq!(w.parameter(2), "t2-u50-r1024-zipf");
        let smoke = Plan::for_scale(Scale::Smoke);
        assert_eq!(smoke.threads, [1, 2]);
        assert_eq!(smoke.workloads.len(), 2);
        assert_eq!(Plan::for_scale(Scale::Default).workloads.len(), 12);
        assert_eq!(Plan::for_scale(Scale::Full).workloads.len(), 24);
    }
}
