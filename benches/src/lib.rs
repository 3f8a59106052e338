//! Benchmark support for Ferrolite: workload generators and runners shared by the bench
//! binaries (and, later, criterion benches).
//!
//! * [`workload`] — key distributions (uniform, scrambled zipfian) with per-thread generators.
//! * [`synchro`] — the Synchrobench-style throughput runner, generic over
//!   [`ConcurrentMap<u64, u64>`](ferrolite_structures::ConcurrentMap), with validation.
//! * [`structures`] — the `structures` criterion bench's plan and cell (runs + side data).
//! * [`sweep`] — rows (any map type under a name: the registry's, `scc-treeindex`, a map of
//!   one's own) and the two sweeps over them, the criterion bench's and `synchro`'s.
//! * [`engine_bench`] — db_bench-style and YCSB workloads over an [`engine_bench::Engine`]
//!   (Ferrolite, or fjall with the `yardstick` feature), run by the `dbbench` binary.
//! * [`scaling`] — the engine scaling report (threads × memtables × insert modes, ratios).
//! * [`flags`] — the option loop of the `dbbench` and `scaling` command lines.
//! * [`report`] — folding repetitions into cells and printing summary tables.
//! * [`cli`] — the command line of the `synchro` binary.
//! * [`sql_bench`] — one SQL workload on Ferrolite's SQL layer and on SQLite (bulk inserts
//!   from 1, 2 and 4 writers, point and range SELECTs, UPDATEs), run by the `sql` criterion
//!   bench and the `sqlbench` binary.
//! * [`sidecar`] — the criterion benches' scale, configuration and side data (read by
//!   `cargo xtask report`).

pub mod cli;
pub mod engine_bench;
pub mod flags;
pub mod report;
pub mod scaling;
pub mod sidecar;
pub mod sql_bench;
pub mod structures;
pub mod sweep;
pub mod synchro;
pub mod workload;
