//! The server load generator's results (`load.json`), written by the `loadgen` binary of
//! `ferrolite-load` and drawn by `cargo xtask load` (`load.svg`): every measured cell (a face —
//! gRPC, REST or the in-process engine — a workload and a number of concurrent clients), the
//! soak's RSS samples and its judgement, and what the run ran on.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The face name of the in-process reference cells.
pub const IN_PROCESS: &str = "in-process";

/// One run of the load generator.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// The commit the binaries were built from (`-dirty` with local changes).
    pub commit: String,
    /// When the run ended (`YYYY-MM-DD hh:mm:ss UTC`).
    pub date: String,
    /// The CPU.
    pub machine: String,
    /// Its logical cores.
    pub cores: usize,
    /// The command that reproduces the run (relative paths).
    pub command: String,
    /// Sizes, options and bounds every cell ran with.
    pub setup: LoadSetup,
    /// The server's cells (faces `grpc` and `rest`), in run order.
    pub cells: Vec<LoadCell>,
    /// The in-process reference cells (face [`IN_PROCESS`]), in run order.
    pub in_process: Vec<LoadCell>,
    /// The first server cell run again after the others: how far apart two runs of one cell
    /// are on this machine.
    pub repeat: Option<LoadCell>,
    /// What the servers logged at warning level or above (they run with `--log-level warn`).
    pub server_log: Vec<String>,
    /// The soak, when it ran.
    pub soak: Option<Soak>,
}

/// What every cell ran with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadSetup {
    /// Keys preloaded into the key space (gets and puts pick uniformly among them).
    pub keys: u64,
    /// Bytes of every value written.
    pub value_bytes: usize,
    /// Rows preloaded into the SQL table `t` (point queries pick uniformly among them).
    pub sql_rows: u64,
    /// The `mixed` workload's shares, e.g. `60% get, 20% put, 20% sql`.
    pub mix: String,
    /// The memtable kind (server and in-process).
    pub memtable: String,
    /// The WAL sync policy (server and in-process).
    pub sync: String,
    /// The engine's memtable size in bytes (the default options').
    pub memtable_bytes: u64,
    /// The soak server's memtable size in bytes (`--memtable-bytes`; small, so that the
    /// soak sees memtables frozen, flushed and compacted).
    #[serde(default)]
    pub soak_memtable_bytes: u64,
    /// The soak server's block cache in bytes (`--cache-bytes`; small, so that it fills).
    #[serde(default)]
    pub soak_cache_bytes: u64,
    /// Frozen memtables allowed to wait for flush.
    pub max_immutable_memtables: u64,
    /// The block cache's capacity in bytes.
    pub block_cache_bytes: u64,
    /// The client counts of the cells.
    pub clients: Vec<u32>,
    /// A cell's time bound in seconds (after its warm-up).
    pub cell_seconds: f64,
    /// A cell's request bound (the cell stops at whichever bound comes first).
    pub cell_requests: u64,
    /// Unrecorded warm-up before each cell, in seconds.
    pub warmup_seconds: f64,
    /// Worker threads of the load generator's tokio runtime.
    pub client_threads: usize,
    /// How clients connect (one gRPC channel, one HTTP/1.1 keep-alive connection per client).
    pub connections: String,
}

/// Latency percentiles of one cell, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// The slowest request.
    pub max: f64,
    /// The mean.
    pub mean: f64,
}

/// One measured cell.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadCell {
    /// `grpc`, `rest` or [`IN_PROCESS`].
    pub face: String,
    /// `get`, `put`, `sql` or `mixed`.
    pub workload: String,
    /// Concurrent clients (tasks over their own connection, or OS threads in process).
    pub clients: u32,
    /// Requests completed in the measured window.
    pub requests: u64,
    /// The measured window in seconds.
    pub seconds: f64,
    /// Requests per second.
    pub throughput: f64,
    /// Latency per request, in microseconds.
    pub latency_us: Latency,
    /// Failed requests (a run with any fails; they are recorded so the report can say so).
    pub errors: u64,
    /// Which bound ended the cell: `seconds` or `requests`.
    pub stopped_by: String,
    /// CPU seconds the server process used during the cell (not for in-process cells).
    pub server_cpu_s: Option<f64>,
    /// CPU seconds the load generator's process used during the cell.
    pub client_cpu_s: Option<f64>,
    /// The server's resident set at the cell's end, in MiB.
    pub server_rss_mib: Option<f64>,
}

/// One sample of the soak: the server's resident set and what the engine says it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RssSample {
    /// Seconds since the soak began.
    pub t: f64,
    /// `VmRSS` of the server process, in MiB.
    pub rss_mib: f64,
    /// Bytes in the active memtable (the engine's estimate), in MiB.
    pub memtable_mib: f64,
    /// Frozen memtables waiting for flush.
    pub immutable_memtables: u64,
    /// Bytes of blocks in the block cache, in MiB.
    pub cache_mib: f64,
    /// Memtables flushed so far (the engine's counter).
    #[serde(default)]
    pub flushes: u64,
    /// Compactions run so far (the engine's counter).
    #[serde(default)]
    pub compactions: u64,
}

/// The soak: both faces at once, the mixed workload, the server's RSS sampled every second.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Soak {
    /// How long it ran, in seconds.
    pub seconds: f64,
    /// One cell per face.
    pub cells: Vec<LoadCell>,
    /// The samples, in time order.
    pub samples: Vec<RssSample>,
    /// The largest RSS sampled, in MiB.
    pub max_rss_mib: f64,
    /// Median RSS over the first window (10 s, or a third of a shorter soak), in MiB.
    pub first_median_mib: f64,
    /// Median RSS over the last window, in MiB.
    pub last_median_mib: f64,
    /// Median over the first window of the residual: RSS minus a footprint factor times the
    /// high-water mark of the engine's accounted memory (memtable, frozen memtables, block
    /// cache), in MiB.
    pub first_residual_mib: f64,
    /// The same over the last window, in MiB.
    pub last_residual_mib: f64,
    /// The soak's RSS growth per MiB of growth of the engine's accounted high-water mark
    /// (`None` when the accounted memory grew by less than 1 MiB).
    pub rss_per_accounted: Option<f64>,
    /// The rule, in words.
    pub rule: String,
    /// Whether the rule held.
    pub bounded: bool,
}

impl LoadReport {
    /// A cell of the server or of the in-process reference.
    pub fn cell(&self, face: &str, workload: &str, clients: u32) -> Option<&LoadCell> {
        self.cells
            .iter()
            .chain(&self.in_process)
            .find(|c| c.face == face && c.workload == workload && c.clients == clients)
    }

    /// The server's throughput over `face` as a fraction of the in-process engine's on the
    /// same workload and client count.
    pub fn ratio(&self, face: &str, workload: &str, clients: u32) -> Option<f64> {
        let s = self.cell(face, workload, clients)?.throughput;
        let r = self.cell(IN_PROCESS, workload, clients)?.throughput;
        (r > 0.0 && s.is_finite()).then(|| s / r)
    }

    /// The distinct values of `f` over the server's and the in-process cells, in first-seen
    /// order.
    pub fn distinct<T: PartialEq>(&self, f: impl Fn(&LoadCell) -> T) -> Vec<T> {
        let mut out = Vec::new();
        for c in self.cells.iter().chain(&self.in_process) {
            let v = f(c);
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// Read `path`.
    pub fn load(path: &Path) -> std::io::Result<LoadReport> {
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

    fn cell(face: &str, workload: &str, clients: u32, throughput: f64) -> LoadCell {
        LoadCell {
            face: face.into(),
            workload: workload.into(),
            clients,
            throughput,
            ..LoadCell::default()
        }
    }

    #[test]
    fn ratios_pair_a_server_cell_with_its_in_process_cell() {
        let r = LoadReport {
            cells: vec![cell("grpc", "get", 4, 10.0), cell("rest", "get", 4, 5.0)],
            in_process: vec![cell(IN_PROCESS, "get", 4, 100.0)],
            ..LoadReport::default()
        };
        assert_eq!(r.ratio("grpc", "get", 4), Some(0.1));
        assert_eq!(r.ratio("rest", "get", 4), Some(0.05));
        assert_eq!(r.ratio("grpc", "get", 1), None);
        assert_eq!(r.distinct(|c| c.face.clone()), ["grpc", "rest", IN_PROCESS]);
    }

    #[test]
    fn round_trips_through_json() {
        let r = LoadReport {
            commit: "abc".into(),
            cells: vec![cell("grpc", "put", 1, 3.5)],
            soak: Some(Soak {
                samples: vec![RssSample {
                    t: 1.0,
                    rss_mib: 20.0,
                    ..RssSample::default()
                }],
                ..Soak::default()
            }),
            ..LoadReport::default()
        };
        let dir = std::env::temp_dir().join(format!("load-format-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("load.json");
        r.save(&path).unwrap();
        assert_eq!(LoadReport::load(&path).unwrap(), r);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
