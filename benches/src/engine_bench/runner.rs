//! [`Runner`]: runs benchmarks on one engine — threads started behind a barrier, each doing its
//! share; the loop of every benchmark (fills, reads, seeks, deletes, read-while-writing, the
//! YCSB workloads with their load), progress, and the merge of the threads' histograms.

use super::benchmark::{key, share, BenchConfig, Benchmark};
use super::engine::Engine;
use super::outcome::Outcome;
use super::worker::{OpKind, Worker};
use super::ycsb::{YcsbGen, YcsbOp};
use crate::workload::{KeyDist, KeySpace};
use anyhow::Result;
use bytes::Bytes;
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, OnceLock};
use std::time::Instant;

/// Runs benchmarks on one engine.
pub struct Runner<'a> {
    engine: &'a dyn Engine,
    cfg: BenchConfig,
    value: Bytes,
    bar: Option<ProgressBar>,
    label: String,
    /// The next fresh key number for YCSB inserts.
    next_insert: AtomicU64,
    /// Benchmarks run so far (varies the seeds).
    round: AtomicU64,
    ycsb_space: OnceLock<KeySpace>,
}

impl<'a> Runner<'a> {
    /// A runner of benchmarks with `cfg` on `engine`.
    ///
    /// # Panics
    /// If `cfg.num` or `cfg.threads` is zero.
    pub fn new(engine: &'a dyn Engine, cfg: BenchConfig) -> Self {
        assert!(cfg.num > 0, "num must be positive");
        assert!(cfg.threads > 0, "threads must be positive");
        let value: Vec<u8> = (0..cfg.value_size).map(|i| b'a' + (i % 26) as u8).collect();
        Runner {
            engine,
            next_insert: AtomicU64::new(cfg.num),
            value: Bytes::from(value),
            cfg,
            bar: None,
            label: String::new(),
            round: AtomicU64::new(0),
            ycsb_space: OnceLock::new(),
        }
    }

    /// Report progress on `bar` (its length and message are set per benchmark, prefixed with
    /// `label`).
    pub fn with_progress(mut self, bar: ProgressBar, label: impl Into<String>) -> Self {
        self.bar = Some(bar);
        self.label = label.into();
        self
    }

    /// The configuration.
    pub fn config(&self) -> &BenchConfig {
        &self.cfg
    }

    fn key(&self, i: u64) -> Vec<u8> {
        key(i, self.cfg.key_size)
    }

    fn start_bar(&self, what: &str, len: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(len);
            bar.set_position(0);
            bar.set_message(format!("{} {what}", self.label).trim().to_string());
        }
    }

    /// Run `workers` threads of `body(thread index, tallies)`, released together; the first
    /// `counted` report progress. Returns their tallies and when the first one started.
    ///
    /// The start is the threads' own earliest clock reading, not the spawning thread's: on a
    /// machine with as many cores as workers, the spawning thread may wake from the barrier
    /// only after the workers are done.
    fn run_workers<F>(
        &self,
        workers: usize,
        counted: usize,
        body: F,
    ) -> Result<(Vec<Worker>, Instant)>
    where
        F: Fn(usize, &mut Worker) -> Result<()> + Sync,
    {
        let barrier = Barrier::new(workers + 1);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|t| {
                    let (barrier, body) = (&barrier, &body);
                    let bar = if t < counted { self.bar.clone() } else { None };
                    s.spawn(move || -> Result<Worker> {
                        let mut w = Worker::new(bar);
                        barrier.wait();
                        w.begin = Instant::now();
                        w.last = w.begin;
                        let r = body(t, &mut w);
                        w.finish();
                        r.map(|()| w)
                    })
                })
                .collect();
            barrier.wait();
            let mut out = Vec::with_capacity(workers);
            for h in handles {
                out.push(h.join().expect("benchmark thread panicked")?);
            }
            let start = out
                .iter()
                .map(|w| w.begin)
                .min()
                .unwrap_or_else(Instant::now);
            Ok((out, start))
        })
    }

    /// The seed of thread `t` in the current round.
    fn seed(&self, round: u64, t: usize) -> u64 {
        let mut x = self.cfg.seed ^ round.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x = x.wrapping_add((t as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9));
        x ^ (x >> 31)
    }

    /// Run `bench`.
    pub fn run(&self, bench: Benchmark) -> Result<Outcome> {
        let round = self.round.fetch_add(1, Ordering::Relaxed);
        let threads = self.cfg.threads;
        let num = self.cfg.num;
        let reads = self.cfg.reads.unwrap_or(num);
        let mut note = String::new();
        let (workers, start) = match bench {
            Benchmark::FillSeq
            | Benchmark::FillRandom
            | Benchmark::Overwrite
            | Benchmark::DeleteRandom => {
                self.start_bar(bench.name(), num);
                self.run_workers(threads, threads, |t, w| {
                    let mut rng = SmallRng::seed_from_u64(self.seed(round, t));
                    for i in share(num, threads, t) {
                        let k = match bench {
                            Benchmark::FillSeq => i,
                            _ => rng.random_range(0..num),
                        };
                        let k = self.key(k);
                        if bench == Benchmark::DeleteRandom {
                            self.engine.delete(&k)?;
                            w.bytes += k.len() as u64;
                            w.done(OpKind::Delete);
                        } else {
                            self.engine.put(&k, &self.value)?;
                            w.bytes += (k.len() + self.value.len()) as u64;
                            w.done(OpKind::Put);
                        }
                    }
                    Ok(())
                })?
            }
            Benchmark::ReadRandom | Benchmark::SeekRandom => {
                self.start_bar(bench.name(), reads);
                let r = self.run_workers(threads, threads, |t, w| {
                    let mut rng = SmallRng::seed_from_u64(self.seed(round, t));
                    for _ in share(reads, threads, t) {
                        let k = self.key(rng.random_range(0..num));
                        if bench == Benchmark::ReadRandom {
                            self.get(w, &k, OpKind::Get)?;
                        } else {
                            self.seek(w, &k)?;
                        }
                    }
                    Ok(())
                })?;
                note = found_note(&r.0);
                r
            }
            Benchmark::ReadSeq => {
                self.start_bar(bench.name(), num);
                let r = self.run_workers(threads, threads, |t, w| {
                    let part = share(num, threads, t);
                    let from = if t == 0 {
                        Vec::new()
                    } else {
                        self.key(part.start)
                    };
                    let to = (t + 1 < threads).then(|| self.key(part.end));
                    self.engine
                        .scan(&from, to.as_deref(), usize::MAX, &mut |k, v| {
                            w.bytes += (k.len() + v.len()) as u64;
                            w.done(OpKind::Next);
                        })?;
                    Ok(())
                })?;
                note = format!("{} entries", r.0.iter().map(|w| w.ops).sum::<u64>());
                r
            }
            Benchmark::ReadWhileWriting => {
                self.start_bar(bench.name(), reads);
                let stop = AtomicBool::new(false);
                let readers_left = AtomicUsize::new(threads);
                let (mut workers, start) = self.run_workers(threads + 1, threads, |t, w| {
                    let mut rng = SmallRng::seed_from_u64(self.seed(round, t));
                    if t == threads {
                        while !stop.load(Ordering::Relaxed) {
                            let k = self.key(rng.random_range(0..num));
                            self.engine.put(&k, &self.value)?;
                            w.done(OpKind::Put);
                        }
                        return Ok(());
                    }
                    let mut result = Ok(());
                    for _ in share(reads, threads, t) {
                        let k = self.key(rng.random_range(0..num));
                        if let Err(e) = self.get(w, &k, OpKind::Get) {
                            result = Err(e);
                            break;
                        }
                    }
                    if readers_left.fetch_sub(1, Ordering::AcqRel) == 1 {
                        stop.store(true, Ordering::Relaxed);
                    }
                    result
                })?;
                let writer = workers.pop().expect("the writer");
                note = format!("{}; writer did {} puts", found_note(&workers), writer.ops);
                (workers, start)
            }
            Benchmark::Ycsb(workload) => {
                if let Some((loaded, secs)) = self.load_if_empty()? {
                    note = format!("loaded {loaded} keys in {secs:.2} s first; ");
                }
                let space = self
                    .ycsb_space
                    .get_or_init(|| KeySpace::new(num, KeyDist::zipf()));
                self.start_bar(bench.name(), num);
                let r = self.run_workers(threads, threads, |t, w| {
                    let mut gen =
                        YcsbGen::new(workload, space, self.seed(round, t), &self.next_insert);
                    for _ in share(num, threads, t) {
                        self.ycsb_op(w, gen.next_op())?;
                    }
                    Ok(())
                })?;
                let looked: u64 = r.0.iter().map(|w| w.looked).sum();
                if looked > 0 {
                    note.push_str(&format!("reads: {}", found_note(&r.0)));
                }
                r
            }
        };
        let end = workers.iter().map(|w| w.end).max().unwrap_or(start);
        let secs = end.saturating_duration_since(start).as_secs_f64().max(1e-9);
        let mut hists: [Option<Histogram<u64>>; OpKind::COUNT] = Default::default();
        for w in &workers {
            for (acc, h) in hists.iter_mut().zip(&w.hists) {
                if let Some(h) = h {
                    match acc {
                        Some(a) => a.add(h).expect("same bounds"),
                        None => *acc = Some(h.clone()),
                    }
                }
            }
        }
        Ok(Outcome {
            benchmark: bench,
            threads,
            ops: workers.iter().map(|w| w.ops).sum(),
            secs,
            bytes: workers.iter().map(|w| w.bytes).sum(),
            note: note.trim_end_matches([';', ' ']).to_string(),
            latencies: hists
                .into_iter()
                .enumerate()
                .filter_map(|(i, h)| h.map(|h| (OpKind::NAMES[i], h)))
                .collect(),
        })
    }

    fn get(&self, w: &mut Worker, k: &[u8], kind: OpKind) -> Result<()> {
        w.looked += 1;
        if let Some(len) = self.engine.get(k)? {
            w.found += 1;
            w.bytes += (k.len() + len) as u64;
        }
        w.done(kind);
        Ok(())
    }

    fn seek(&self, w: &mut Worker, k: &[u8]) -> Result<()> {
        w.looked += 1;
        let mut first = true;
        let mut bytes = 0;
        let mut hit = false;
        self.engine
            .scan_from(k, self.cfg.seek_nexts, &mut |key, v| {
                if first {
                    hit = key == k;
                    first = false;
                }
                bytes += (key.len() + v.len()) as u64;
            })?;
        w.found += u64::from(hit);
        w.bytes += bytes;
        w.done(OpKind::Seek);
        Ok(())
    }

    fn ycsb_op(&self, w: &mut Worker, op: YcsbOp) -> Result<()> {
        match op {
            YcsbOp::Read(i) => self.get(w, &self.key(i), OpKind::Read)?,
            YcsbOp::Update(i) | YcsbOp::Insert(i) => {
                let k = self.key(i);
                self.engine.put(&k, &self.value)?;
                w.bytes += (k.len() + self.value.len()) as u64;
                w.done(if matches!(op, YcsbOp::Update(_)) {
                    OpKind::Update
                } else {
                    OpKind::Insert
                });
            }
            YcsbOp::Scan(i, len) => {
                let mut bytes = 0;
                self.engine.scan_from(&self.key(i), len, &mut |k, v| {
                    bytes += (k.len() + v.len()) as u64;
                })?;
                w.bytes += bytes;
                w.done(OpKind::Scan);
            }
            YcsbOp::ReadModifyWrite(i) => {
                let k = self.key(i);
                w.looked += 1;
                if let Some(len) = self.engine.get(&k)? {
                    w.found += 1;
                    w.bytes += (k.len() + len) as u64;
                }
                self.engine.put(&k, &self.value)?;
                w.bytes += (k.len() + self.value.len()) as u64;
                w.done(OpKind::Rmw);
            }
        }
        Ok(())
    }

    /// YCSB's load phase: keys `0..num` in order, if the engine holds nothing.
    fn load_if_empty(&self) -> Result<Option<(u64, f64)>> {
        if self.engine.scan(b"", None, 1, &mut |_, _| {})? > 0 {
            return Ok(None);
        }
        let num = self.cfg.num;
        let threads = self.cfg.threads;
        self.start_bar("ycsb load", num);
        let (workers, start) = self.run_workers(threads, threads, |t, w| {
            for i in share(num, threads, t) {
                self.engine.put(&self.key(i), &self.value)?;
                w.done(OpKind::Put);
            }
            Ok(())
        })?;
        let end = workers.iter().map(|w| w.end).max().unwrap_or(start);
        Ok(Some((
            num,
            end.saturating_duration_since(start).as_secs_f64(),
        )))
    }
}

fn found_note(workers: &[Worker]) -> String {
    let looked: u64 = workers.iter().map(|w| w.looked).sum();
    let found: u64 = workers.iter().map(|w| w.found).sum();
    format!("{found} of {looked} found")
}
