//! What the criterion benches share: the size scale, criterion's configuration for
//! fixed-duration runs, and the *side data* — measurements criterion cannot hold (latency
//! percentiles, unreclaimed nodes, time series, spreads of our own repetitions) — written
//! next to criterion's estimates for `cargo xtask report`.
//!
//! Side data lives in `<target>/ferrolite-bench/<group>/<function>/<parameter>.json`, one file
//! per measured cell, where `<target>` is `$CARGO_TARGET_DIR` or the workspace's `target/`
//! (criterion's own estimates are under `<target>/criterion/`). Schema: see [`Side`].

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
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

/// Median, extremes and count of repeated measurements.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Spread {
    /// Median (mean of the middle two for an even count).
    pub median: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// Number of measurements.
    pub reps: usize,
}

impl Spread {
    /// Fold `values` (`None` if empty).
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut v: Vec<f64> = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => v[n / 2],
            _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[n - 1],
            reps: n,
        })
    }
}

/// Percentiles of one operation type, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Samples behind them.
    pub samples: u64,
}

impl Percentiles {
    /// From an HDR histogram (`None` if it is empty).
    pub fn of(h: &hdrhistogram::Histogram<u64>) -> Option<Percentiles> {
        (!h.is_empty()).then(|| Percentiles {
            p50: h.value_at_quantile(0.5),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            samples: h.len(),
        })
    }
}

/// Peak and average retired-but-unfreed nodes.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Unreclaimed {
    /// Largest count seen.
    pub peak: u64,
    /// Average of the samples.
    pub avg: f64,
}

/// A time series for a plot.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Series {
    /// What the y values are.
    pub name: String,
    /// The x axis, with its unit.
    pub x_label: String,
    /// `(x, y)` points.
    pub points: Vec<(f64, f64)>,
}

/// One cell's side data (every field but the names optional).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Side {
    /// Criterion group.
    pub group: String,
    /// Criterion function (the map, memtable or stage).
    pub function: String,
    /// Criterion parameter (the workload).
    pub parameter: String,
    /// The cell's parameters by name.
    pub params: BTreeMap<String, serde_json::Value>,
    /// Operations per second over our own repetitions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ops_per_sec: Option<Spread>,
    /// Latency percentiles per operation type.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub latency_ns: BTreeMap<String, Percentiles>,
    /// Retired-but-unfreed nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreclaimed: Option<Unreclaimed>,
    /// A time series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<Series>,
    /// Anything else (write amplification, MB/s, …).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, f64>,
}

impl Side {
    /// An empty record for a cell.
    pub fn new(group: &str, function: &str, parameter: &str) -> Side {
        Side {
            group: group.into(),
            function: function.into(),
            parameter: parameter.into(),
            ..Side::default()
        }
    }

    /// Set a parameter.
    pub fn param(mut self, name: &str, value: impl Into<serde_json::Value>) -> Side {
        self.params.insert(name.into(), value.into());
        self
    }

    /// Write the record to [`side_dir`]`/<group>/<function>/<parameter>.json`.
    pub fn write(&self) -> std::io::Result<PathBuf> {
        let dir = side_dir().join(&self.group).join(&self.function);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}.json", self.parameter));
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&path, json)?;
        Ok(path)
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
    target_dir().join("ferrolite-bench")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_per_iteration() {
        let s = Spread::of(&[3.0, 1.0, 2.0, 10.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.reps), (2.5, 1.0, 10.0, 4));
        assert!(Spread::of(&[]).is_none());
        let d = per_iteration(Duration::from_millis(100), 1_000_000, 10);
        assert_eq!(d, Duration::from_micros(1));
    }
}
