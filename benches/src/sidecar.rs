//! What the criterion benches share: the size scale, criterion's configuration for
//! fixed-duration runs, and the *side data* — measurements criterion cannot hold (latency
//! percentiles, unreclaimed nodes, time series, spreads of our own repetitions) — written
//! next to criterion's estimates for `cargo xtask report`.
//!
//! Side data lives in `<target>/ferrolite-bench/<group>/<function>/<parameter>.json`, one file
//! per measured cell, where `<target>` is `$CARGO_TARGET_DIR` or the workspace's `target/`
//! (criterion's own estimates are under `<target>/criterion/`). Schema: [`Side`], defined in
//! `ferrolite-bench-format` for this writer and for the reader, `cargo xtask report`.
//!
//! Every file names its run ([`run`]: the commit the bench was built from, the machine's
//! logical cores, the scale, the date), and an engine cell the options it ran with
//! ([`engine_options`]), so that a report regenerated from it later says what was measured.

pub use ferrolite_bench_format::side::{Percentiles, Run, Series, Side, Spread, Unreclaimed};
use ferrolite_bench_format::time::UtcTime;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// How big a benchmark run is, from `FERROLITE_BENCH_SCALE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Seconds in all: every bench and plot exists, the numbers mean little (CI).
    Smoke,
    /// The default: finishes in well under 30 minutes on the 2-core machine.
    Default,
    /// Every configuration the design names, longer runs.
    Full,
}

impl Scale {
    /// `FERROLITE_BENCH_SCALE` = `smoke` | `default` | `full` (unset: default).
    ///
    /// # Panics
    /// On any other value (a typo should not silently run the default).
    pub fn from_env() -> Scale {
        match std::env::var("FERROLITE_BENCH_SCALE").as_deref() {
            Err(_) | Ok("") | Ok("default") => Scale::Default,
            Ok("smoke") => Scale::Smoke,
            Ok("full") => Scale::Full,
            Ok(other) => panic!("FERROLITE_BENCH_SCALE={other}: expected smoke, default or full"),
        }
    }

    /// `smoke`, `default` or `full`.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Smoke => "smoke",
            Scale::Default => "default",
            Scale::Full => "full",
        }
    }

    /// Pick by scale.
    pub fn pick<T>(self, smoke: T, default: T, full: T) -> T {
        match self {
            Scale::Smoke => smoke,
            Scale::Default => default,
            Scale::Full => full,
        }
    }
}

/// Criterion configured for benches whose iteration is one fixed-duration run of about `run`:
/// `samples` runs per cell (at least 10, criterion's minimum), a warm-up of one run, no
/// criterion plots (ours are drawn by `cargo xtask report`), fewer bootstrap resamples.
///
/// Such a bench's `iter_custom` runs for its fixed duration whatever the iteration count and
/// returns `duration × iters / operations`, so criterion's "time per iteration" is the time
/// per operation and its throughput (`Throughput::Elements(1)`) is operations per second.
pub fn criterion(samples: usize, run: Duration) -> criterion::Criterion {
    let samples = samples.max(10);
    criterion::Criterion::default()
        .sample_size(samples)
        .warm_up_time(Duration::from_nanos(1))
        // What the samples take in wall time, so criterion does not warn about it.
        .measurement_time(run * (samples as u32 + 1))
        .nresamples(2_000)
        .without_plots()
        .configure_from_args()
}

/// The time criterion should see for `iters` iterations of a run that did `ops` operations
/// in `elapsed`.
pub fn per_iteration(elapsed: Duration, ops: u64, iters: u64) -> Duration {
    Duration::from_secs_f64(elapsed.as_secs_f64() * iters as f64 / ops.max(1) as f64)
}

/// Percentiles of an HDR histogram of nanoseconds (`None` if it is empty).
pub fn percentiles(h: &hdrhistogram::Histogram<u64>) -> Option<Percentiles> {
    (!h.is_empty()).then(|| Percentiles {
        p50: Some(h.value_at_quantile(0.5) as f64),
        p99: Some(h.value_at_quantile(0.99) as f64),
        p999: Some(h.value_at_quantile(0.999) as f64),
        samples: Some(h.len()),
    })
}

/// Write a cell's side data under [`side_dir`], naming its [`run`] unless it names one;
/// returns the file's path.
pub fn write(side: &Side) -> std::io::Result<PathBuf> {
    if side.run.is_some() {
        return side.write_under(&side_dir());
    }
    let mut side = side.clone();
    side.run = Some(run().clone());
    side.write_under(&side_dir())
}

/// This process's run: the workspace's commit, the logical cores, the scale and the date
/// (computed once, at the first call).
pub fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let t = UtcTime::now();
        Run {
            commit: workspace_commit(),
            cores: std::thread::available_parallelism()
                .ok()
                .map(|n| n.get() as u64),
            scale: Some(Scale::from_env().name().into()),
            date: Some(format!("{} {:02}:{:02} UTC", t.date(), t.hour, t.minute)),
        }
    })
}

/// The short commit of the checkout the benches were built from, `-dirty` if tracked files
/// had changes; `None` outside a git checkout (or without git).
pub fn workspace_commit() -> Option<String> {
    ferrolite_bench_format::git_commit(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// `side` with the engine options `o` it ran with: the `preset` they started from (`default`
/// for `Options::default()`, `S0`..`S5` for `Options::stage`) and the settings that shape
/// the numbers — memtable kind and size, WAL sync policy and encodings, commit grouping,
/// compaction, bloom filter, block cache, recent-writes map, background threads.
pub fn engine_options(side: Side, preset: &str, o: &ferrolite::Options) -> Side {
    let compaction = if o.compaction && o.auto_compaction {
        format!("{:?}", o.compaction_style)
    } else {
        "off".into()
    };
    side.option("preset", preset)
        .option("memtable", o.memtable.name())
        .option("memtable_bytes", o.memtable_size as u64)
        .option("sync", format!("{:?}", o.sync))
        .option("wal_format", format!("{:?}", o.wal_format))
        .option("table_format", format!("{:?}", o.table_format))
        .option("group_commit", o.group_commit)
        .option("compaction", compaction)
        .option("bloom_bits_per_key", o.bloom_bits_per_key)
        .option("block_cache_bytes", o.block_cache_bytes)
        .option("recent_writes_bytes", o.recent_writes_bytes)
        .option("background_threads", o.background_threads as u64)
}

/// Record the engine's counters in `side`'s extras: the bytes behind write amplification
/// (`user_bytes`, `wal_bytes`, `flush_bytes`, `compaction_bytes`) and the ratio itself
/// (`write_amp`), and the read counters `after - before` (the cell's own: `gets`,
/// `recent_hits`, `cache_hits`, `cache_misses`).
pub fn engine_counters(side: &mut Side, before: &ferrolite::DbStats, after: &ferrolite::DbStats) {
    let s = after;
    side.set_extra("write_amp", s.write_amplification());
    for (name, v) in [
        ("user_bytes", s.user_bytes),
        ("wal_bytes", s.wal_bytes),
        ("flush_bytes", s.flush_bytes),
        ("compaction_bytes", s.compaction_bytes),
        ("gets", s.gets.saturating_sub(before.gets)),
        (
            "recent_hits",
            s.recent_hits.saturating_sub(before.recent_hits),
        ),
        ("cache_hits", s.cache_hits.saturating_sub(before.cache_hits)),
        (
            "cache_misses",
            s.cache_misses.saturating_sub(before.cache_misses),
        ),
    ] {
        side.set_extra(name, v as f64);
    }
}

/// The cargo target directory: `$CARGO_TARGET_DIR`, else the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("benches/ lives in the workspace")
            .join("target"),
    }
}

/// Where side data goes: `<target>/ferrolite-bench`.
pub fn side_dir() -> PathBuf {
    ferrolite_bench_format::side::side_dir(&target_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_iteration_is_time_per_operation() {
        let d = per_iteration(Duration::from_millis(100), 1_000_000, 10);
        assert_eq!(d, Duration::from_micros(1));
    }
}
