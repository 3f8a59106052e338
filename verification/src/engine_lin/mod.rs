//! # Linearizability of the engine, checked per key on recorded histories
//!
//! The `engine` checker compares *one* thread's answers with a `BTreeMap`; the `soak` checks
//! many threads, but each on keys of its own. This checker asks what neither can: when
//! several threads write and read the *same* keys of one [`ferrolite::Db`] at once, while
//! memtables are frozen, flushed and compacted underneath, is every answer one that some
//! sequential store would have given, in an order that respects real time? It is the
//! structures' linearizability checker ([`crate::lincheck`]) lifted to the engine's API.
//!
//! 2–4 threads, released together, run short plans of puts, deletes, gets, atomic batches of
//! 2–3 writes and forward scans of 1–4 keys on 3–8 shared keys (`workload.rs`), every call
//! timed on one `SeqCst` clock (`record.rs`). A history is then decomposed per key — a put
//! or a delete is a blind write ([`Op::Put`](crate::lincheck::Op::Put),
//! [`Op::Delete`](crate::lincheck::Op::Delete)), a batch one blind write per key it touches,
//! a scan one get per key of its range (`None` for a key it did not return), each with the
//! call's interval — and checked with lincheck's [`check_history`](crate::lincheck::check_history):
//! the per-key Wing–Gong search, and on failure the shrunk, minimal sub-history drawn as a
//! timeline, with the batches and scans behind its operations listed under it.
//!
//! The database is opened on a scratch directory with 4–8 KiB memtables, 8 KiB tables and an
//! L0 trigger of 2, `SyncPolicy::None`, 1–2 background threads, with or without the
//! recent-writes map and filters, with parallel memtable writes (each writer of a commit group
//! inserts its own batch) or the leader's inserts (`budget.rs`'s [`Setup`], drawn again at
//! every reopen): a
//! history of a hundred calls fills a memtable, so gets and scans keep crossing the
//! memtable, the frozen memtables, L0 and the levels while versions move between them. Many
//! histories run on one database, each on keys of its own (so each starts with its keys
//! absent); it is reopened every 2 000 histories. The run reports the engine's flushes and
//! compactions and, if the budget ran out before it saw both, goes on until it does.
//!
//! **What the per-key check cannot see.** Locality — a history is linearizable iff each
//! key's sub-history is — holds for single-key operations only. A batch or a scan is one
//! point in a linearization of the whole store, but the per-key check may place the parts it
//! decomposes into at different points of the call's interval. So a batch applied as separate
//! writes (not atomic), or a scan that reads its keys at different moments, passes; the test
//! `tests/engine_lin.rs` shows it with a non-atomic wrapper. What it does catch is every
//! wrong answer about one key: a read of an overwritten or deleted version, a lost write, a
//! version that appears before it is written, whether it came from a get, a scan or a batch.
//!
//! | file | what it holds |
//! |---|---|
//! | `target.rs` | [`LinTarget`] (put, delete, get, batch, scan on `u64`s) for [`ferrolite::Db`]; the key and value encodings; [`TargetError`] |
//! | `workload.rs` | [`Call`], [`Shape`] and the operation mixes: each thread's plan |
//! | `record.rs` | [`record`]: threads, clock, watchdog; [`Recording::history`], the decomposition per key |
//! | `budget.rs` | [`Budget`] from [`crate::Mode`], [`Setup`]: the database's options |
//! | `run.rs` | [`run_with`] and [`check_kind`]: histories on one database, reopens, [`Stats`]; [`run_cell`] |

mod budget;
mod record;
mod run;
mod target;
mod workload;

pub use budget::{Budget, Setup, SECS_VAR};
pub use record::{perform, record, Answer, CallError, Done, Recording};
pub use run::{check_kind, check_memtable, run_cell, run_with, Failure, Outcome, Stats, Wrap};
pub use target::{
    collect_scan, decode_key, decode_value, key_bytes, value_bytes, LinTarget, TargetError, Write,
};
pub use workload::{Call, Mix, Shape, MIXES};
