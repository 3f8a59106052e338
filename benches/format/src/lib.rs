//! # ferrolite-bench-format
//!
//! What the criterion benches of `ferrolite-benches` hand to `cargo xtask report`, defined
//! once for the writer and the reader:
//!
//! * [`side`] — the *side data*: one JSON file per measured cell with what criterion cannot
//!   hold (our repetitions' spread, latency percentiles, unreclaimed nodes, a time series,
//!   extras), and where those files live under a cargo target directory;
//! * [`ladder`] — the stage ladder's results (`stages.json`), from the `scaling --ladder`
//!   binary to `cargo xtask ladder`'s figure;
//! * [`load`] — the server load generator's results (`load.json`), from the `loadgen` binary
//!   of `ferrolite-load` to `cargo xtask load`'s figure;
//! * [`time`] — UTC timestamps from the system clock (civil dates without a date library), as
//!   the `dbbench` header and `reports/bench.md` print them.

pub mod files;
pub mod ladder;
pub mod load;
pub mod side;
pub mod time;

pub use files::{git_commit, read_json, write_json};
