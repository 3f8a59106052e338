//! The stage ladder's results (`stages.json`), written by the `scaling --ladder` binary of
//! `ferrolite-benches` and drawn by `cargo xtask ladder` (`stages.svg`); and the median with
//! its range that every repeated measurement of the benches reports ([`median_and_range`]).

use serde::{Deserialize, Serialize};
use std::path::Path;

/// One run of the ladder: every (stage, memtable, workload) cell with all its runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ladder {
    /// The commit the binary was built from (`git describe --always --dirty`).
    pub commit: String,
    /// When the run ended (UTC).
    pub date: String,
    /// The CPU.
    pub machine: String,
    /// Its cores.
    pub cores: usize,
    /// Runs per cell.
    pub runs: usize,
    /// What the cells ran with (keys, sizes, options beyond the preset).
    pub setup: String,
    /// The cells, stages in order.
    pub cells: Vec<LadderCell>,
}

/// One (stage, memtable, workload) cell.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LadderCell {
    /// `S0` … `S5`.
    pub stage: String,
    /// The memtable kind.
    pub memtable: String,
    /// The workload, e.g. `fillrandom 1 thr`, `readrandom`.
    pub workload: String,
    /// ops/s of each run, in run order.
    pub ops: Vec<f64>,
}

/// The median (the mean of the middle two for an even count), the smallest and the largest
/// of the finite `values`; `None` when there are none.
pub fn median_and_range(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some((median, v[0], v[n - 1]))
}

impl Ladder {
    /// Read `path`.
    pub fn load(path: &Path) -> std::io::Result<Ladder> {
        crate::files::read_json(path)
    }

    /// Write to `path`.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        crate::files::write_json(self, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ranges() {
        assert_eq!(median_and_range(&[3.0, 1.0, 2.0]), Some((2.0, 1.0, 3.0)));
        assert_eq!(
            median_and_range(&[1.0, 4.0, f64::NAN]),
            Some((2.5, 1.0, 4.0))
        );
        assert_eq!(median_and_range(&[]), None);
    }

    #[test]
    fn round_trips_through_json() {
        let l = Ladder {
            commit: "abc".into(),
            runs: 2,
            cells: vec![LadderCell {
                stage: "S0".into(),
                memtable: "mutex".into(),
                workload: "readrandom".into(),
                ops: vec![1.0, 2.5],
            }],
            ..Ladder::default()
        };
        let dir = std::env::temp_dir().join(format!("ladder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("stages.json");
        l.save(&p).unwrap();
        assert_eq!(Ladder::load(&p).unwrap(), l);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
