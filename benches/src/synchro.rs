//! A Synchrobench-style throughput runner for any [`ConcurrentMap<u64, u64>`].
//!
//! One *run* ([`run`], [`run_on`], or [`run_kind`] to pick the map by [`MapKind`]; a sweep of
//! many runs over many maps is [`crate::sweep`]'s) follows
//! Synchrobench's protocol: fill the map with `range / 2` distinct random keys from
//! `0..range`, start `threads` workers behind a [`Barrier`], let them run for a fixed
//! duration, then stop them with a flag. Each operation draws a key from the configured
//! distribution; with probability `update_percent`% it is an update — each thread alternates
//! insert and remove, so the size stays near `range / 2` — and otherwise a `get`. Throughput
//! is total operations divided by the nominal duration.
//!
//! After every run the map is **validated** while quiescent: `len()` must equal the initial
//! size plus the effective inserts minus the effective removes, and a full iteration must
//! yield exactly `len()` entries, in strictly increasing key order, each with the value the
//! runner stored for it (every value equals its key). A mismatch is a
//! [`ValidationError`], never a number.
//!
//! [`summarize`] folds repetitions of one configuration into a [`CellSummary`] (median and
//! spread).

use crate::workload::{KeyDist, KeySpace};
use ferrolite_bench_format::ladder::median_and_range;
use ferrolite_structures::{rng, ConcurrentMap, MapKind, MapVisitor, ReclaimStats};
use hdrhistogram::Histogram;
use rand::Rng;
use serde::Serialize;
use std::fmt;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// The parameters of one run.
#[derive(Clone, Debug, Serialize)]
pub struct SynchroConfig {
    /// Keys are drawn from `0..range`; the map starts with `range / 2` of them.
    pub range: u64,
    /// Worker threads.
    pub threads: usize,
    /// Percentage (0–100) of operations that are updates (alternately insert and remove).
    pub update_percent: u32,
    /// How long the workers run.
    #[serde(rename = "duration_ms", serialize_with = "serialize_duration_ms")]
    pub duration: Duration,
    /// The distribution of the keys the workers draw (the pre-fill is always uniform).
    pub dist: KeyDist,
    /// Seed of the pre-fill and of the workers' generators (each derives its own).
    pub seed: u64,
}

impl Default for SynchroConfig {
    fn default() -> Self {
        SynchroConfig {
            range: 131_072,
            threads: 1,
            update_percent: 10,
            duration: Duration::from_millis(1000),
            dist: KeyDist::Uniform,
            seed: 0x5eed,
        }
    }
}

fn serialize_duration_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

/// Reclamation counters as reported after a run (a serialisable copy of [`ReclaimStats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReclaimSnapshot {
    /// Nodes unlinked and handed to the scheme.
    pub nodes_retired: u64,
    /// Nodes destroyed.
    pub nodes_freed: u64,
    /// Values handed to the scheme.
    pub values_retired: u64,
    /// Values destroyed.
    pub values_freed: u64,
    /// Largest retired-but-not-freed count seen during the run.
    pub peak_unreclaimed: u64,
    /// Retired and not yet freed when the run ended.
    pub unreclaimed_at_end: u64,
}

impl From<ReclaimStats> for ReclaimSnapshot {
    fn from(s: ReclaimStats) -> Self {
        ReclaimSnapshot {
            nodes_retired: s.nodes_retired,
            nodes_freed: s.nodes_freed,
            values_retired: s.values_retired,
            values_freed: s.values_freed,
            peak_unreclaimed: s.peak_unreclaimed,
            unreclaimed_at_end: s.unreclaimed(),
        }
    }
}

/// Operation counts of one worker thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ThreadCounts {
    /// All operations.
    pub ops: u64,
    /// `get` calls.
    pub gets: u64,
    /// `insert` calls.
    pub inserts: u64,
    /// `insert` calls that added a key (returned `true`).
    pub effective_inserts: u64,
    /// `remove` calls.
    pub removes: u64,
    /// `remove` calls that removed a key (returned `Some`).
    pub effective_removes: u64,
}

impl ThreadCounts {
    fn add(&mut self, o: &ThreadCounts) {
        self.ops += o.ops;
        self.gets += o.gets;
        self.inserts += o.inserts;
        self.effective_inserts += o.effective_inserts;
        self.removes += o.removes;
        self.effective_removes += o.effective_removes;
    }
}

/// The outcome of one validated run.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    /// The map's name.
    pub map: String,
    /// The configuration it ran with.
    pub config: SynchroConfig,
    /// Wall time from the barrier to the last worker's exit (a little over the duration).
    pub elapsed_ms: f64,
    /// Size after the pre-fill.
    pub initial_len: usize,
    /// Size after the run.
    pub final_len: usize,
    /// Counts summed over the threads.
    pub totals: ThreadCounts,
    /// Operations per thread.
    pub ops_per_thread: Vec<u64>,
    /// Millions of operations per second: total operations over the nominal duration.
    pub mops: f64,
    /// The map's reclamation counters after the run.
    pub reclamation: ReclaimSnapshot,
    /// Whether those counters are a measurement ([`ConcurrentMap::counts_unreclaimed`]):
    /// false for a map that counts nothing (crossbeam's, scc's), whose zeros mean "not
    /// measured".
    pub counts_unreclaimed: bool,
}

/// A run whose final state contradicts what its operations reported.
#[derive(Clone, Debug)]
pub struct ValidationError {
    /// The map's name.
    pub map: String,
    /// What did not add up.
    pub detail: String,
    /// What the run measured before validation failed (its numbers are not to be trusted).
    pub measured: Box<RunResult>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "validation failed for `{}`: {}", self.map, self.detail)
    }
}

impl std::error::Error for ValidationError {}

/// Run once on a fresh `M::default()`.
pub fn run<M>(config: &SynchroConfig) -> Result<RunResult, ValidationError>
where
    M: ConcurrentMap<u64, u64> + Default,
{
    let map = M::default();
    run_on(&map, config)
}

/// Run once on the map of kind `kind` (static dispatch to [`run`]); results are labelled
/// with `kind`'s name.
pub fn run_kind(kind: MapKind, config: &SynchroConfig) -> Result<RunResult, ValidationError> {
    /// [`run`] on the visited map type.
    struct Run<'a>(&'a SynchroConfig);
    impl MapVisitor<u64, u64> for Run<'_> {
        type Output = Result<RunResult, ValidationError>;
        fn visit<M: ConcurrentMap<u64, u64> + Default + 'static>(self) -> Self::Output {
            run::<M>(self.0)
        }
    }
    let result = kind.visit(Run(config));
    match result {
        Ok(mut r) => {
            r.map = kind.name().to_string();
            Ok(r)
        }
        Err(mut e) => {
            e.map = kind.name().to_string();
            e.measured.map = e.map.clone();
            Err(e)
        }
    }
}

/// Optional measurements of a run besides its throughput ([`measure`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Probes {
    /// Time every `n`th operation of each worker into a per-operation-type HDR histogram
    /// (0: none). Timing costs two clock reads per timed operation.
    pub latency_every: u32,
    /// Sample the map's retired-but-unfreed count this often while the workers run.
    pub unreclaimed_every: Option<Duration>,
}

/// Latencies of the timed operations, in nanoseconds (3 significant digits).
#[derive(Clone, Debug)]
pub struct Latencies {
    /// `get` calls.
    pub get: Histogram<u64>,
    /// `insert` calls.
    pub insert: Histogram<u64>,
    /// `remove` calls.
    pub remove: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        let h = || Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid bounds");
        Latencies {
            get: h(),
            insert: h(),
            remove: h(),
        }
    }
}

impl Latencies {
    /// Add `other`'s samples.
    pub fn merge(&mut self, other: &Latencies) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.get.add(&other.get);
        let _ = self.insert.add(&other.insert);
        let _ = self.remove.add(&other.remove);
    }
}

/// What the [`Probes`] of a run measured.
#[derive(Clone, Debug, Default)]
pub struct ProbeResult {
    /// Timed operations (empty histograms without `latency_every`).
    pub latency: Latencies,
    /// `(milliseconds since the start, unreclaimed)` samples.
    pub unreclaimed: Vec<(f64, u64)>,
}

impl ProbeResult {
    /// Mean of the unreclaimed samples (0 without samples).
    pub fn unreclaimed_avg(&self) -> f64 {
        if self.unreclaimed.is_empty() {
            return 0.0;
        }
        self.unreclaimed.iter().map(|s| s.1 as f64).sum::<f64>() / self.unreclaimed.len() as f64
    }
}

/// Run once on `map`, which should be empty: pre-fill, measure, validate.
///
/// # Panics
/// If `config.range < 2` or `config.threads == 0` or `config.update_percent > 100`.
pub fn run_on<M>(map: &M, config: &SynchroConfig) -> Result<RunResult, ValidationError>
where
    M: ConcurrentMap<u64, u64> + ?Sized,
{
    prefill(map, config);
    measure(map, config, Probes::default()).map(|(r, _)| r)
}

/// Fill `map` (which should be empty) with `range / 2` distinct uniform keys, as a run does.
pub fn prefill_map<M: ConcurrentMap<u64, u64> + ?Sized>(map: &M, config: &SynchroConfig) {
    prefill(map, config);
}

/// Measure one run on `map` as it is (pre-filled by [`prefill_map`] or an earlier run — the
/// alternating updates keep it near half the range), with `probes`, and validate it.
///
/// # Panics
/// If `config.range < 2` or `config.threads == 0` or `config.update_percent > 100`.
pub fn measure<M>(
    map: &M,
    config: &SynchroConfig,
    probes: Probes,
) -> Result<(RunResult, ProbeResult), ValidationError>
where
    M: ConcurrentMap<u64, u64> + ?Sized,
{
    assert!(
        config.range >= 2,
        "the key range must hold at least two keys"
    );
    assert!(config.threads > 0, "at least one thread is needed");
    assert!(
        config.update_percent <= 100,
        "the update ratio is a percentage"
    );

    let initial_len = map.len();

    let space = KeySpace::new(config.range, config.dist);
    let barrier = Barrier::new(config.threads + 1);
    let stop = StopFlag::default();
    let mut samples = Vec::new();

    let (per_thread, elapsed) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..config.threads)
            .map(|t| {
                let (space, barrier, stop) = (&space, &barrier, &stop);
                let seed = rng::derive(config.seed, 1 + t as u64);
                let every = probes.latency_every;
                s.spawn(move || {
                    worker(
                        map,
                        space,
                        seed,
                        config.update_percent,
                        every,
                        barrier,
                        stop,
                    )
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        match probes.unreclaimed_every {
            None => std::thread::sleep(config.duration),
            Some(every) => loop {
                let now = start.elapsed();
                samples.push((now.as_secs_f64() * 1e3, map.reclamation().unreclaimed()));
                if now >= config.duration {
                    break;
                }
                std::thread::sleep(every.min(config.duration - now));
            },
        }
        stop.0.store(true, Ordering::Relaxed);
        let counts: Vec<(ThreadCounts, Latencies)> = workers
            .into_iter()
            .map(|w| w.join().expect("a worker thread panicked"))
            .collect();
        (counts, start.elapsed())
    });

    let mut totals = ThreadCounts::default();
    let mut probe = ProbeResult {
        unreclaimed: samples,
        ..ProbeResult::default()
    };
    for (c, lat) in &per_thread {
        totals.add(c);
        probe.latency.merge(lat);
    }
    let per_thread: Vec<ThreadCounts> = per_thread.into_iter().map(|(c, _)| c).collect();

    let final_len = map.len();
    let result = RunResult {
        map: map.name().to_string(),
        config: config.clone(),
        elapsed_ms: elapsed.as_secs_f64() * 1e3,
        initial_len,
        final_len,
        totals,
        ops_per_thread: per_thread.iter().map(|c| c.ops).collect(),
        mops: totals.ops as f64 / config.duration.as_secs_f64() / 1e6,
        reclamation: map.reclamation().into(),
        counts_unreclaimed: map.counts_unreclaimed(),
    };

    // Validation, on the quiescent map.
    let expected =
        initial_len as i128 + totals.effective_inserts as i128 - totals.effective_removes as i128;
    // A map whose results are not linearizable under same-key contention (the crossbeam
    // adapter, see `ConcurrentMap::linearizable`) cannot be held to its own counts.
    let verdict = if map.linearizable() && final_len as i128 != expected {
        Err(format!(
            "len() is {final_len} but initial {initial_len} + {} effective inserts - {} \
             effective removes = {expected}",
            totals.effective_inserts, totals.effective_removes
        ))
    } else {
        check_contents(map, config.range, final_len)
    };
    match verdict {
        Ok(()) => Ok((result, probe)),
        Err(detail) => Err(ValidationError {
            map: result.map.clone(),
            detail,
            measured: Box::new(result),
        }),
    }
}

/// The stop flag, alone on its cache line: workers read it on every operation.
#[derive(Default)]
#[repr(align(128))]
struct StopFlag(AtomicBool);

/// Insert uniformly random keys until `range / 2` distinct ones have gone in.
fn prefill<M: ConcurrentMap<u64, u64> + ?Sized>(map: &M, config: &SynchroConfig) {
    let target = config.range / 2;
    let mut rng = KeySpace::new(config.range, KeyDist::Uniform).generator(config.seed);
    let mut added = 0;
    while added < target {
        let key = rng.rng().random_range(0..config.range);
        if map.insert(key, key) {
            added += 1;
        }
    }
}

fn worker<M: ConcurrentMap<u64, u64> + ?Sized>(
    map: &M,
    space: &KeySpace,
    seed: u64,
    update_percent: u32,
    latency_every: u32,
    barrier: &Barrier,
    stop: &StopFlag,
) -> (ThreadCounts, Latencies) {
    let mut keys = space.generator(seed);
    let mut c = ThreadCounts::default();
    let mut lat = Latencies::default();
    let mut insert_next = true;
    let mut until_timed = latency_every;
    barrier.wait();
    while !stop.0.load(Ordering::Relaxed) {
        let key = keys.next_key();
        let timed = latency_every > 0 && {
            until_timed -= 1;
            until_timed == 0
        };
        let t = timed.then(Instant::now);
        let hist = if keys.chance_percent(update_percent) {
            let hist = if insert_next {
                c.inserts += 1;
                if map.insert(key, key) {
                    c.effective_inserts += 1;
                }
                &mut lat.insert
            } else {
                c.removes += 1;
                if map.remove(&key).is_some() {
                    c.effective_removes += 1;
                }
                &mut lat.remove
            };
            insert_next = !insert_next;
            hist
        } else {
            c.gets += 1;
            black_box(map.get(&key));
            &mut lat.get
        };
        if let Some(t) = t {
            hist.saturating_record(t.elapsed().as_nanos() as u64);
            until_timed = latency_every;
        }
        c.ops += 1;
    }
    (c, lat)
}

/// Iterate the quiescent map: exactly `len` entries, strictly increasing keys in range, each
/// value equal to its key.
fn check_contents<M: ConcurrentMap<u64, u64> + ?Sized>(
    map: &M,
    range: u64,
    len: usize,
) -> Result<(), String> {
    let mut count = 0usize;
    let mut prev: Option<u64> = None;
    for (k, v) in map.iter() {
        if prev.is_some_and(|p| p >= k) {
            return Err(format!("iteration yielded key {k} after {prev:?}"));
        }
        if k >= range {
            return Err(format!("key {k} outside the range 0..{range}"));
        }
        if v != k {
            return Err(format!("key {k} holds value {v}"));
        }
        prev = Some(k);
        count += 1;
    }
    if count != len {
        return Err(format!(
            "iteration yielded {count} entries but len() is {len}"
        ));
    }
    Ok(())
}

/// The repetitions of one (map, configuration) cell, folded.
#[derive(Clone, Debug, Serialize)]
pub struct CellSummary {
    /// The map's name.
    pub map: String,
    /// Worker threads.
    pub threads: usize,
    /// Update percentage.
    pub update_percent: u32,
    /// Median Mops/s over the repetitions (mean of the two middle ones for an even count).
    pub median_mops: f64,
    /// Slowest repetition.
    pub min_mops: f64,
    /// Fastest repetition.
    pub max_mops: f64,
    /// Largest `peak_unreclaimed` over the repetitions.
    pub peak_unreclaimed: u64,
    /// Every repetition.
    pub runs: Vec<RunResult>,
}

/// Fold the repetitions of one cell; `None` if `runs` is empty.
pub fn summarize(runs: Vec<RunResult>) -> Option<CellSummary> {
    let first = runs.first()?;
    let mops: Vec<f64> = runs.iter().map(|r| r.mops).collect();
    let (median, min, max) = median_and_range(&mops)?;
    Some(CellSummary {
        map: first.map.clone(),
        threads: first.config.threads,
        update_percent: first.config.update_percent,
        median_mops: median,
        min_mops: min,
        max_mops: max,
        peak_unreclaimed: runs
            .iter()
            .map(|r| r.reclamation.peak_unreclaimed)
            .max()
            .unwrap_or(0),
        runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(mops: f64) -> RunResult {
        RunResult {
            map: "x".into(),
            config: SynchroConfig::default(),
            elapsed_ms: 0.0,
            initial_len: 0,
            final_len: 0,
            totals: ThreadCounts::default(),
            ops_per_thread: vec![],
            mops,
            reclamation: ReclaimSnapshot {
                peak_unreclaimed: mops as u64,
                ..Default::default()
            },
            counts_unreclaimed: true,
        }
    }

    #[test]
    fn summary_median_and_spread() {
        let s = summarize(vec![fake(3.0), fake(1.0), fake(2.0)]).unwrap();
        assert_eq!((s.median_mops, s.min_mops, s.max_mops), (2.0, 1.0, 3.0));
        assert_eq!(s.peak_unreclaimed, 3);
        let s = summarize(vec![fake(4.0), fake(1.0), fake(2.0), fake(3.0)]).unwrap();
        assert_eq!(s.median_mops, 2.5);
        assert!(summarize(vec![]).is_none());
    }

    #[test]
    fn prefill_reaches_half_the_range() {
        let map = ferrolite_structures::MutexBTreeMap::<u64, u64>::default();
        prefill(
            &map,
            &SynchroConfig {
                range: 1000,
                ..Default::default()
            },
        );
        assert_eq!(map.len(), 500);
    }
}
