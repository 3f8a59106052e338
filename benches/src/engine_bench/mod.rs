//! db_bench-style workloads over a key-value engine, shared by the `dbbench` binary and (later)
//! criterion benches.
//!
//! * [`Engine`] — the little an engine must offer a workload: put, get, delete, a bounded
//!   forward scan, a shape summary. [`FerroliteEngine`] wraps a [`ferrolite::Db`]; with the
//!   `yardstick` feature, `FjallEngine` wraps a fjall partition, so the same workloads
//!   measure a production engine next to ours.
//! * [`Benchmark`] — RocksDB db_bench's names: `fillseq`, `fillrandom`, `overwrite`,
//!   `readrandom`, `readseq`, `deleterandom`, `seekrandom`, `readwhilewriting`, and the YCSB
//!   core workloads `ycsba`..`ycsbf` ([`Ycsb`]).
//! * [`Runner`] — runs benchmarks on one engine with `threads` threads sharing it, and returns
//!   an [`Outcome`] per benchmark: operations, wall time, bytes, a note (found counts) and an
//!   HDR histogram of latencies per operation type.
//!
//! # Keys, values, threads
//!
//! Keys are the numbers `0..num` written as `key_size`-byte zero-padded decimals ([`key`]), so
//! they sort numerically; values are `value_size` bytes. Every benchmark splits its operations
//! evenly over the threads ([`share`]); ops/s is total operations over wall time, and
//! micros/op is `threads × wall / ops` as in db_bench. Random keys are uniform over `0..num`
//! except in the YCSB workloads. `fillseq` gives each thread a contiguous slice of the key
//! space, and `readseq` has each thread scan its slice. `--reads` (`reads`) sets the operation
//! count of `readrandom`, `seekrandom` and `readwhilewriting`; the others do `num`.
//!
//! # Latency
//!
//! Every operation is timed (not a sample): like db_bench, an operation's latency is the time
//! since the same thread's previous operation ended, so one clock read per operation (about
//! 20 ns) and the key generation are included. Latencies are recorded in nanoseconds into HDR
//! histograms (3 significant digits) per thread and operation type, then merged.
//!
//! # YCSB
//!
//! The workloads of YCSB's core package over `num` records: if the database is empty, the
//! benchmark first loads keys `0..num` (not timed in its result; the note says so). Request
//! keys are scrambled zipfian with θ = 0.99 ([`KeyDist::zipf`](crate::workload::KeyDist::zipf)) over `0..num`. Inserts take
//! fresh keys `num, num+1, …` from a counter shared by the threads and kept by the [`Runner`]
//! across benchmarks. Workload D reads "latest": the key `r` places behind the newest insert,
//! `r` a zipfian rank, so reads crowd onto recent keys. Workload E scans start at a zipfian
//! key and read a uniform 1..=100 entries. F's read-modify-write reads a key then writes it.
//! MB/s counts the key and value bytes read or written.

//!
//! The pieces: `engine` (the trait and Ferrolite's adapter), `yardstick` (fjall's), `benchmark`
//! (names, configuration, keys and shares), `ycsb` (the core workloads' operation mixes),
//! `runner` (threads, timing, every benchmark's loop), `worker` (a thread's histograms and
//! counts), `outcome` (a result and how db_bench prints it) and `header` (the machine and the
//! date for the header).

mod benchmark;
mod engine;
mod header;
mod outcome;
mod runner;
#[cfg(test)]
mod tests;
mod worker;
#[cfg(feature = "yardstick")]
mod yardstick;
mod ycsb;

pub use benchmark::{key, share, BenchConfig, Benchmark, SEEK_NEXTS};
pub use engine::{Engine, EngineSummary, FerroliteEngine, LevelShape};
pub use header::{cpu_description, utc_datetime, utc_now};
pub use outcome::{micros, Outcome, PERCENTILES};
pub use runner::Runner;
#[cfg(feature = "yardstick")]
pub use yardstick::{FjallEngine, FjallOptions};
pub use ycsb::{Ycsb, YcsbGen, YcsbMix, YcsbOp, YCSB_MAX_SCAN};
