//! # ferrolite-testfs
//!
//! Test doubles of the engine's file port ([`ferrolite::fs::FileSystem`]): adapters that wrap
//! any file system and make it misbehave the way real machines do, so that the checkers can
//! prove what the engine promises. None of this is in the engine: a database opened on one of
//! these is an ordinary `Db` whose `Options::file_system` happens to be an adapter.
//!
//! | adapter | what it does | used by |
//! |---|---|---|
//! | [`FaultFs`] | counts every operation by kind and file kind; fails the ones its armed rules pick (one-shot `EIO`, a short write, a sticky full disk) | the `faults` checker, the engine's I/O-failure tests |
//! | [`PowerCutFs`] | tracks what a POSIX file system has made durable; a cut drops unsynced data and undoes unsynced directory operations | the power-cut test (`crash` column) |
//! | [`KillFs`] | kills the process at a named instant of its file operations (`wal.after_write`, `compaction.before_sync`, …) | the crash test's child process |
//!
//! Adapters stack: `KillFs` over `FaultFs` over `StdFs` is a file system.

pub mod fault;
pub mod kill;
pub mod powercut;

pub use fault::{FaultCounts, FaultFs, FaultRule, Injected, OpKind, OpRecord, ShortWrite};
pub use kill::{KillFs, Trigger, POINTS};
pub use powercut::{CutMode, CutReport, PowerCutFs, TailMode};
