//! # ferrolite-load
//!
//! The load generator of `ferrolite-server`: it starts the real server binary on loopback,
//! preloads it, and drives N concurrent clients of gets, puts, SQL point queries and a mix of
//! them over gRPC and over REST, each cell bounded in requests and in seconds; runs the same
//! workloads against the engine in its own process as the reference (the ratio is the cost
//! of the network face); and soaks the server with both faces at once while sampling its RSS.
//! The results go to `load.json` (`ferrolite_bench_format::load`) and `load.md`;
//! `cargo xtask load` builds everything, runs `loadgen` and draws `load.svg`.
//!
//! - [`cli`]: the command line; [`run`]: the whole run in order;
//! - [`server`]: the server process (start, ready file, loopback only, `SIGTERM`);
//! - [`client`]: one client's connection and its checked requests; the preload;
//! - [`workload`]: faces, workloads, keys, values, SQL text, the seeded generator;
//! - [`cell`]: one server cell (clients as tokio tasks, bounds, histograms, errors);
//! - [`inproc`]: the in-process reference cells (OS threads);
//! - [`soak`]: the soak and its RSS rule; [`measure`]: histograms, `/proc`, progress bars;
//! - [`report`]: `load.md` and the summary table.

pub mod cell;
pub mod cli;
pub mod client;
pub mod inproc;
pub mod measure;
pub mod report;
pub mod run;
pub mod server;
pub mod soak;
pub mod workload;
