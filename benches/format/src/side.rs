//! The side data: what a criterion bench measures besides criterion's own estimate, one JSON
//! file per cell at `<target>/ferrolite-bench/<group>/<function>/<parameter>.json`
//! ([`side_dir`], [`Side::write_under`]), read back by `cargo xtask report`.
//!
//! One schema for the writer (the benches) and the reader (xtask). Every field but the ids is
//! optional, so a bench writes only what it measured and a file from an older bench still
//! reads; numbers are `f64` on the wire, and a number that came out NaN or infinite is
//! written as `null` and reads back as absent.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The side-data directory's name under a cargo target directory (next to `criterion/`).
pub const SIDE_DIR: &str = "ferrolite-bench";

/// Where side data lives under the cargo target directory `target`.
pub fn side_dir(target: &Path) -> PathBuf {
    target.join(SIDE_DIR)
}

/// Median, extremes and count of repeated measurements (our own repetitions of a cell).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Median (mean of the middle two for an even count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median: Option<f64>,
    /// Smallest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Number of measurements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reps: Option<u64>,
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
            median: Some(median),
            min: Some(v[0]),
            max: Some(v[n - 1]),
            reps: Some(n as u64),
        })
    }
}

/// Latency percentiles of one operation type, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50: Option<f64>,
    /// 99th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99: Option<f64>,
    /// 99.9th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p999: Option<f64>,
    /// Samples behind them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<u64>,
}

/// Nodes retired but not yet freed over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Unreclaimed {
    /// The most at any sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<f64>,
    /// The mean over the samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg: Option<f64>,
}

/// A time series for a plot (e.g. unreclaimed nodes while a reader is stalled).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// What the y values are.
    #[serde(default)]
    pub name: String,
    /// What the x values are, with the unit.
    #[serde(default)]
    pub x_label: String,
    /// `(x, y)` points.
    #[serde(default)]
    pub points: Vec<(f64, f64)>,
}

/// Where and how a cell was measured, so that a report regenerated later still names the
/// code and the machine behind its numbers (not the checkout it is regenerated from).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The commit the bench was built from (`git rev-parse --short HEAD`, `-dirty` when
    /// tracked files had changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Logical cores of the machine (`std::thread::available_parallelism`): thread counts
    /// above it are oversubscribed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<u64>,
    /// `FERROLITE_BENCH_SCALE` (`smoke`, `default`, `full`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<String>,
    /// When the bench ran, `YYYY-MM-DD HH:MM UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// One cell's side data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// Criterion group.
    pub group: String,
    /// Criterion function (the map, memtable or stage).
    pub function: String,
    /// Criterion parameter (the workload).
    pub parameter: String,
    /// The cell's parameters by name, as the bench describes them.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    /// Operations per second over our own repetitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops_per_sec: Option<Spread>,
    /// Latency percentiles per operation type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub latency_ns: BTreeMap<String, Percentiles>,
    /// Retired-but-unfreed nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreclaimed: Option<Unreclaimed>,
    /// A time series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Series>,
    /// Anything else (write amplification, MB/s, …), numbers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Value>,
    /// The configuration the cell ran with, by name (an engine's preset, memtable and
    /// options; a yardstick's settings), as the bench describes it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, Value>,
    /// The commit, machine and scale of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
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
    pub fn param(mut self, name: &str, value: impl Into<Value>) -> Side {
        self.params.insert(name.into(), value.into());
        self
    }

    /// Set an extra number.
    pub fn set_extra(&mut self, name: &str, value: f64) {
        self.extra.insert(name.into(), value.into());
    }

    /// Set an option the cell ran with.
    pub fn option(mut self, name: &str, value: impl Into<Value>) -> Side {
        self.options.insert(name.into(), value.into());
        self
    }

    /// Write the record to `<side>/<group>/<function>/<parameter>.json`, `side` being a
    /// [`side_dir`]; returns the file's path.
    pub fn write_under(&self, side: &Path) -> std::io::Result<PathBuf> {
        let dir = side.join(&self.group).join(&self.function);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}.json", self.parameter));
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&path, json)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_folds_repetitions() {
        let s = Spread::of(&[3.0, 1.0, 2.0, 10.0]).unwrap();
        assert_eq!(
            (s.median, s.min, s.max, s.reps),
            (Some(2.5), Some(1.0), Some(10.0), Some(4))
        );
        assert_eq!(Spread::of(&[7.0]).unwrap().median, Some(7.0));
        assert!(Spread::of(&[]).is_none());
    }

    #[test]
    fn a_record_round_trips_and_partial_files_read() {
        let dir = std::env::temp_dir().join(format!("ferrolite-side-{}", std::process::id()));
        let mut side = Side::new("g", "f", "p").param("threads", 2);
        side.ops_per_sec = Spread::of(&[1.0, 2.0]);
        side.latency_ns.insert(
            "get".into(),
            Percentiles {
                p50: Some(120.0),
                ..Percentiles::default()
            },
        );
        side.set_extra("write_amp", 2.5);
        side.set_extra("nan", f64::NAN);
        let mut side = side
            .option("memtable", "epoch")
            .option("memtable_bytes", 4096);
        side.run = Some(Run {
            commit: Some("abc1234".into()),
            cores: Some(2),
            ..Run::default()
        });
        let path = side.write_under(&side_dir(&dir)).unwrap();
        assert_eq!(path, dir.join(SIDE_DIR).join("g/f/p.json"));
        let back: Side = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(back.extra["nan"], Value::Null);
        assert_eq!(back.extra["write_amp"].as_f64(), Some(2.5));
        assert_eq!(back.ops_per_sec, side.ops_per_sec);
        assert_eq!(back.latency_ns, side.latency_ns);
        assert_eq!(back.params, side.params);
        assert_eq!(back.options, side.options);
        assert_eq!(back.run, side.run);
        let partial: Side = serde_json::from_str(
            r#"{"group": "g", "function": "f", "parameter": "p",
                "ops_per_sec": {"median": 5.0}, "unreclaimed": {"peak": 3}}"#,
        )
        .unwrap();
        assert_eq!(partial.ops_per_sec.unwrap().min, None);
        assert_eq!(partial.unreclaimed.unwrap().peak, Some(3.0));
        assert!(partial.run.is_none() && partial.options.is_empty());
    }
}
