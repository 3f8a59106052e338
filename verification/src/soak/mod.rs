//! The soak test: [`THREADS`] threads of mixed operations on one database for a bounded time,
//! with background flushes and compactions underneath, then a full consistency check against
//! the union of the threads' reference models, before and after a reopen, and a bound on the
//! process's memory.
//!
//! **Load.** Each thread owns [`KEYS_PER_THREAD`] keys (`s<tt>/<iiiii>`, disjoint between
//! threads) and runs a seeded random mix until the time is up: puts of varied value sizes
//! (60 % under 128 B, a quarter up to 4 KiB, 12 % up to 32 KiB, 3 % up to 128 KiB),
//! overwrites, deletes, multi-op batches (the same key may appear twice in one), point gets of
//! its own and of other threads' keys, range scans of its own range and across other threads'
//! ranges, snapshots held across hundreds or thousands of later operations (and so across
//! flushes and compactions), and now and then a user `flush()`. The engine is configured
//! small — a 256 KiB memtable, an L0 trigger of 2, a 4 MiB level 1 growing ×8, 1 MiB tables —
//! so that the background workers flush and compact all along (hundreds of times in a default
//! run); a small block cache and recent-writes map are on; the WAL policy (none, buffered, group
//! commit) follows the seed.
//!
//! **Consistency.** Every thread keeps a `BTreeMap` model of its own keys (version and length
//! of each live value). Values are self-describing: owner, key index, version (a per-owner
//! counter, one per operation), length, a payload derived from those, and a checksum —
//! so any value read anywhere can be checked. During the run a thread checks
//! - read-your-writes: after every write, and on every get or scan of its own keys, the answer
//!   equals its model exactly (nobody else writes those keys);
//! - snapshots: a held snapshot's view of the thread's own keys equals the copy of the model
//!   taken with it, and a key of another thread read through it reads the same every time;
//! - other threads' keys: a value decodes, belongs to the key it was found under, carries a
//!   version its owner had already started writing, and versions seen by one reader of one key
//!   never go backwards (monotonic reads);
//! - scans return strictly increasing keys inside their bounds.
//!
//! At the end the statistics must show flushes and compactions and count exactly the writes
//! made; then a full scan and a get of every key of every thread are compared with the union of
//! the models, `verify()` checks every table's checksums, the database is closed and reopened
//! and compared again.
//!
//! **Memory.** A sampler thread reads `VmRSS` from `/proc/self/status` every 50 ms from before
//! the open to after the last check; the peak growth over the RSS before the open must stay
//! under [`rss_bound_kib`], computed from the options (memtables × immutable count, block
//! cache, recent-writes map, the checker's state, values in flight, plus a fixed slack). It does
//! not grow with the data: a default run writes about twice the bound in user data and flushes
//! hundreds of memtables (over 150 MiB of them), so keeping either alive would fail the check.
//!
//! Budget: [`Mode::pick`](crate::Mode::pick)`(2, 20, 120)` seconds, or [`SECS_VAR`]. Seed: `FERROLITE_MODEL_SEED`
//! (printed, and in every failure message); a seed fixes each thread's operation stream, not
//! the interleaving. Directories under [`crate::engine_model::scratch_root`]. A run that makes
//! no progress for [`HANG_SECS`] seconds is reported and ends the process (status 3). Runs in
//! one process are serialised so that each measures its own memory.
//!
//! The pieces, lowest first: `config` (threads, keys, sizes, limits), `setup` (options and
//! time budget), `values` (self-describing keys and values), `report` (what a run did),
//! `memory` (the RSS bound and sampler), `check` (the final whole-database comparison),
//! `worker` and `reads` (one thread's operations and its checks) and `run` (the threads, the
//! watchdog, the end checks).

mod check;
mod config;
mod memory;
mod reads;
mod report;
mod run;
mod setup;
mod values;
mod worker;

pub use check::{check_all, Expected};
pub use config::{
    EXTENSION_SECS, HANG_SECS, KEYS_PER_THREAD, MAX_VALUE, RSS_SLACK_KIB, SECS_VAR, THREADS,
};
pub use memory::{read_rss_kib, rss_bound_kib};
pub use report::{OpCounts, SoakReport};
pub use run::{exclusive, run};
pub use setup::{budget, options};
pub use values::{decode, encode, key, parse_key, ValueHeader};
