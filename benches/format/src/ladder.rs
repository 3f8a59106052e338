//! The stage ladder's results (`stages.json`), written by the `scaling --ladder` binary of
//! `ferrolite-benches` and drawn by `cargo xtask ladder` (`stages.svg`).

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

impl Ladder {
    /// Read `path`.
    pub fn load(path: &Path) -> std::io::Result<Ladder> {
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }

    /// Write to `path`.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
