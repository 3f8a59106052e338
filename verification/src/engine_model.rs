//! The engine reference-model checker: random operation sequences against the LSM engine
//! ([`ferrolite::Db`]) and a `BTreeMap<Vec<u8>, Vec<u8>>`, once per memtable kind.
//!
//! A case is a sequence of up to 300 [`EngineOp`]s — puts, deletes, batches of 1–5 of them
//! (rarely with an empty key: refused as a whole), point reads, range scans (unbounded,
//! included and excluded bounds, inverted, dropped part-way), prefix scans, snapshots (up to
//! [`MAX_SNAPSHOTS`] live, each with a copy of the model taken with it) and reads through
//! them, iterators held open (up to [`MAX_HELD_ITERS`]) across later operations, flushes,
//! compactions, close-and-reopen and `verify()` — applied to a
//! fresh database in a fresh directory and to the model; every answer is compared. The
//! engine is configured tiny (4 KiB tables, 4 or 16 KiB memtables, 256-byte blocks, an L0
//! trigger of 2, a 4 KiB level 1 growing ×2 per level; see [`Setup`] for what else a case
//! varies) so that flushes, compactions and several levels happen inside a case. Half the
//! cases run with `auto_compaction(false)` (deterministic: tables are written only when a
//! full memtable is flushed inline or when the case asks), half with the background workers
//! on; a single thread's reads must match its own writes either way.
//!
//! Besides the answers, after every operation: the engine's [`DbStats`] (level vectors of
//! `num_levels` entries, the last sequence number equals the writes made, counters match the
//! operations of this session, …) and, without background work, the directory (no table
//! file the version does not list, one WAL segment, and right after `compact()` exactly one
//! entry per live key in the tables). At the end of a case every held iterator and live
//! snapshot is read in full, the database is closed, reopened and compared once more, closed
//! again, and must refuse every operation with `Error::Closed`.
//!
//! Cases are generated and **shrunk** by a proptest [`TestRunner`]; on failure the minimal
//! sequence is replayed and printed op by op with the engine's and the model's answers
//! ([`EngineFailure`]'s `Display`), under the memtable kind and the options of the case. A
//! case that makes no progress for [`HANG_SECS`] seconds (a deadlocked or stalled engine) is
//! reported with its operations and ends the process. The seed comes from
//! `FERROLITE_MODEL_SEED` (see [`crate::model::seed_from_env`]), the case count from
//! [`CASES_VAR`] when set; directories are created under `FERROLITE_ENGINE_DIR` when set,
//! else `/dev/shm` when it exists (a tmpfs: the engine's fsyncs cost nothing there), else the
//! system temporary directory.

use crate::model::{seed_from_env, SEED_VAR};
use crate::{active_mutant, report, Mode};
use ferrolite::{
    CompactionStyle, Db, DbStats, MapKind, Options, RecordFormat, Snapshot, Stage, SyncPolicy,
    WriteBatch,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRunner};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::ops::Bound;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// Snapshots a case keeps alive at most; taking one more is a no-op.
pub const MAX_SNAPSHOTS: usize = 3;

/// Iterators a case holds open at most ([`EngineOp::OpenIter`]).
pub const MAX_HELD_ITERS: usize = 2;

/// A case that runs longer than this is reported as hung and the process exits.
pub const HANG_SECS: u64 = 120;

/// The environment variable that overrides the number of cases per memtable kind.
pub const CASES_VAR: &str = "FERROLITE_ENGINE_CASES";

/// The environment variable naming the directory the cases' databases are created in.
pub const DIR_VAR: &str = "FERROLITE_ENGINE_DIR";

/// How much the checker explores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Operation sequences per memtable kind (half without, half with background work).
    pub cases: u32,
    /// Longest operation sequence.
    pub max_ops: usize,
    /// The seed of the case generator.
    pub seed: u64,
    /// Longest time spent shrinking a failure.
    pub max_shrink: Duration,
}

impl EngineConfig {
    /// The budget of `mode`: 400, 1 600 or 8 000 cases per kind (or [`CASES_VAR`]); the seed
    /// from [`SEED_VAR`] or fresh. A case takes about 3 ms on a tmpfs, 15 ms on a disk.
    pub fn for_mode(mode: Mode) -> EngineConfig {
        let cases = std::env::var(CASES_VAR)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                s.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{CASES_VAR}={s}: expected a number of cases"))
            });
        EngineConfig {
            cases: cases.unwrap_or_else(|| mode.pick(400, 1_600, 8_000)),
            max_ops: 300,
            seed: seed_from_env(),
            max_shrink: Duration::from_secs(mode.pick(90, 180, 600)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keys, values, operations
// ---------------------------------------------------------------------------------------------

/// A user key (printed as an escaped string).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key(pub Vec<u8>);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

/// A value, described by a number and a length: its bytes are `v<id>.` repeated and cut to
/// `len` (so `v7×9` is `v7.v7.v7.`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Val {
    /// Distinguishes values.
    pub id: u16,
    /// Length in bytes.
    pub len: u16,
}

impl Val {
    /// The value's bytes.
    pub fn bytes(self) -> Vec<u8> {
        format!("v{}.", self.id)
            .into_bytes()
            .into_iter()
            .cycle()
            .take(usize::from(self.len))
            .collect()
    }
}

impl fmt::Debug for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}×{}", self.id, self.len)
    }
}

/// One operation of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchEntry {
    /// Put `key` = `value`.
    Put(Key, Val),
    /// Delete `key`.
    Delete(Key),
}

/// One step of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineOp {
    /// `db.put(key, value)`.
    Put(Key, Val),
    /// `db.delete(key)`.
    Delete(Key),
    /// `db.write(batch)`.
    Batch(Vec<BatchEntry>),
    /// `db.get(key)`.
    Get(Key),
    /// `db.scan(lower..upper)` (`db.iter()` when both are unbounded), keeping the first
    /// `take` entries when given (the iterator is then dropped part-way).
    Scan {
        /// Lower bound.
        lower: Bound<Key>,
        /// Upper bound.
        upper: Bound<Key>,
        /// How many entries to consume.
        take: Option<u8>,
    },
    /// `db.scan_prefix(prefix)`.
    ScanPrefix(Key),
    /// `db.snapshot()`, kept with a copy of the model (a no-op when [`MAX_SNAPSHOTS`] live).
    Snapshot,
    /// `get` on live snapshot number `slot % live` (a no-op when none is live).
    SnapGet(u8, Key),
    /// `scan` on live snapshot number `slot % live`.
    SnapScan {
        /// Which live snapshot.
        slot: u8,
        /// Lower bound.
        lower: Bound<Key>,
        /// Upper bound.
        upper: Bound<Key>,
    },
    /// `scan_prefix` on live snapshot number `slot % live`.
    SnapPrefix(u8, Key),
    /// Drop live snapshot number `slot % live`.
    DropSnapshot(u8),
    /// `db.flush()`.
    Flush,
    /// `db.compact()`.
    Compact,
    /// Open a scan (`db.iter()` when both bounds are unbounded) and read its first `pre`
    /// entries now; the rest is read by a later [`EngineOp::FinishIter`] (or at the end of the
    /// case), and must still be the state at opening — whatever was written, flushed or
    /// compacted in between. At most [`MAX_HELD_ITERS`] are held; opening more is a no-op.
    OpenIter {
        /// Lower bound.
        lower: Bound<Key>,
        /// Upper bound.
        upper: Bound<Key>,
        /// Entries read at once.
        pre: u8,
    },
    /// Read the rest of held iterator number `slot % held` and compare it all.
    FinishIter(u8),
    /// Drop every snapshot and held iterator, close the database, open the directory again.
    Reopen,
    /// `db.verify()`: every checksum of every table.
    Verify,
}

struct ShowBound<'a>(&'a Bound<Key>);

impl fmt::Display for ShowBound<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Bound::Included(k) => write!(f, "Included({k:?})"),
            Bound::Excluded(k) => write!(f, "Excluded({k:?})"),
            Bound::Unbounded => f.write_str("Unbounded"),
        }
    }
}

/// Rust-like: `put("ab", v7×9)`, `scan(Included("a"), Unbounded).take(2)`.
impl fmt::Display for EngineOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineOp::Put(k, v) => write!(f, "put({k:?}, {v:?})"),
            EngineOp::Delete(k) => write!(f, "delete({k:?})"),
            EngineOp::Batch(entries) => {
                f.write_str("write(batch[")?;
                for (i, e) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match e {
                        BatchEntry::Put(k, v) => write!(f, "put({k:?}, {v:?})")?,
                        BatchEntry::Delete(k) => write!(f, "delete({k:?})")?,
                    }
                }
                f.write_str("])")
            }
            EngineOp::Get(k) => write!(f, "get({k:?})"),
            EngineOp::Scan { lower, upper, take } => {
                if *lower == Bound::Unbounded && *upper == Bound::Unbounded {
                    f.write_str("iter()")?;
                } else {
                    write!(f, "scan({}, {})", ShowBound(lower), ShowBound(upper))?;
                }
                match take {
                    Some(n) => write!(f, ".take({n})"),
                    None => Ok(()),
                }
            }
            EngineOp::ScanPrefix(p) => write!(f, "scan_prefix({p:?})"),
            EngineOp::Snapshot => f.write_str("snapshot()"),
            EngineOp::SnapGet(s, k) => write!(f, "snap[{s}].get({k:?})"),
            EngineOp::SnapScan { slot, lower, upper } => write!(
                f,
                "snap[{slot}].scan({}, {})",
                ShowBound(lower),
                ShowBound(upper)
            ),
            EngineOp::SnapPrefix(s, p) => write!(f, "snap[{s}].scan_prefix({p:?})"),
            EngineOp::DropSnapshot(s) => write!(f, "drop(snap[{s}])"),
            EngineOp::OpenIter { lower, upper, pre } => write!(
                f,
                "let it = scan({}, {}); it.take({pre})",
                ShowBound(lower),
                ShowBound(upper)
            ),
            EngineOp::FinishIter(s) => write!(f, "iter[{s}].rest()"),
            EngineOp::Flush => f.write_str("flush()"),
            EngineOp::Compact => f.write_str("compact()"),
            EngineOp::Reopen => f.write_str("close(); reopen()"),
            EngineOp::Verify => f.write_str("verify()"),
        }
    }
}

/// The engine options a case varies (the rest is fixed by [`Setup::options`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Background flushes and compactions on.
    pub auto_compaction: bool,
    /// Bloom filters on (10 bits per key) or off.
    pub bloom: bool,
    /// A 1 MiB block cache, or none.
    pub cache: bool,
    /// Number of levels, L0 included.
    pub num_levels: usize,
    /// `SyncPolicy::EveryWrite` instead of `SyncPolicy::None`.
    pub sync: bool,
    /// Tight flow control: one background thread, one frozen memtable at most, L0 slowdown
    /// at 2 tables and stop at 3 (writers stall often when background work is on).
    pub tight: bool,
    /// `memtable_size(16384)` instead of 4096: memtables of more than 64 entries, which scans
    /// read in several chunks.
    pub big_memtable: bool,
    /// The ancestor's write path: JSON WAL records, the log reopened for every write, and no
    /// background compaction (only flushes; `compact()` still works).
    pub ancestor: bool,
    /// A stage-ladder preset ([`Options::stage`]) the options start from instead of the
    /// defaults: its encodings, WAL handling, group commit, compaction style, filters, cache
    /// and recent-writes map (S5's index shrunk to 1 KiB, so that it evicts and refuses large values, and its cache to
    /// 1 MiB). The sizes above still apply; `bloom`, `cache` and `auto_compaction` are set to
    /// the preset's, `ancestor` is off, and `sync` only ever strengthens the preset's policy.
    pub stage: Option<Stage>,
    /// The event-statistics projection (a change-feed subscriber inside the engine) on, as by
    /// default, or off: with no subscriber the write path moves values into the memtable
    /// instead of sharing them with events.
    pub event_stats: bool,
    /// The operations were generated calm (rare flushes, compactions and reopens; see
    /// [`op_strategy`]). Not an option: shown with them.
    pub calm: bool,
}

impl Setup {
    /// A deterministic setup (no background work) with defaults for the other knobs: for
    /// regression tests.
    pub fn quiet(num_levels: usize) -> Setup {
        Setup {
            auto_compaction: false,
            bloom: true,
            cache: true,
            num_levels,
            sync: false,
            tight: false,
            big_memtable: false,
            ancestor: false,
            stage: None,
            event_stats: true,
            calm: false,
        }
    }

    /// The constructor the options start from, as code.
    pub fn base(&self) -> String {
        match self.stage {
            Some(stage) => format!("Options::stage(Stage::{stage})"),
            None => "Options::default()".into(),
        }
    }

    /// The options of a case over memtable `kind`.
    pub fn options(self, kind: MapKind) -> Options {
        let base = match self.stage {
            Some(stage) => {
                Options::stage(stage).recent_writes_bytes(if stage >= Stage::S5 { 1024 } else { 0 })
            }
            None => Options::default(),
        };
        let opts = base
            .memtable(kind)
            .memtable_size(if self.big_memtable { 16384 } else { 4096 })
            .target_file_size(4096)
            .level1_size(4096)
            .level_size_multiplier(2)
            .l0_compaction_trigger(2)
            .block_size(256)
            .num_levels(self.num_levels)
            .bloom_bits_per_key(if self.bloom { 10 } else { 0 })
            .block_cache_bytes(if self.cache { 1 << 20 } else { 0 })
            .auto_compaction(self.auto_compaction)
            .event_stats(self.event_stats);
        let opts = match (self.sync, self.stage) {
            (true, _) => opts.sync(SyncPolicy::EveryWrite),
            (false, None) => opts.sync(SyncPolicy::None),
            (false, Some(_)) => opts, // the preset's own policy
        };
        let opts = if self.ancestor {
            opts.wal_format(RecordFormat::Json)
                .wal_reopen_per_write(true)
                .compaction(false)
        } else {
            opts
        };
        if self.tight {
            opts.background_threads(1)
                .max_immutable_memtables(1)
                .l0_slowdown_trigger(2)
                .l0_stop_trigger(3)
        } else {
            opts
        }
    }
}

/// The options as the builder calls that make them (after `.memtable(kind)`, itself after
/// `Options::stage(stage)` or `Options::default()`: see [`Setup::base`]).
impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.stage.is_some_and(|stage| stage >= Stage::S5) {
            f.write_str(".recent_writes_bytes(1024)")?;
        }
        write!(
            f,
            ".memtable_size({}).target_file_size(4096).level1_size(4096)\
             .level_size_multiplier(2).l0_compaction_trigger(2).block_size(256)\
             .num_levels({}).bloom_bits_per_key({}).block_cache_bytes({}).auto_compaction({})",
            if self.big_memtable { 16384 } else { 4096 },
            self.num_levels,
            if self.bloom { 10 } else { 0 },
            if self.cache { "1 << 20" } else { "0" },
            self.auto_compaction,
        )?;
        if !self.event_stats {
            f.write_str(".event_stats(false)")?;
        }
        if self.sync {
            f.write_str(".sync(SyncPolicy::EveryWrite)")?;
        } else if self.stage.is_none() {
            f.write_str(".sync(SyncPolicy::None)")?;
        }
        if self.tight {
            f.write_str(
                ".background_threads(1).max_immutable_memtables(1).l0_slowdown_trigger(2)\
                 .l0_stop_trigger(3)",
            )?;
        }
        if self.ancestor {
            f.write_str(
                ".wal_format(RecordFormat::Json).wal_reopen_per_write(true).compaction(false)",
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

/// Keys: rarely empty (the engine must refuse them, and a batch holding one entirely),
/// mostly 1–3 bytes over `a b c d` (84 keys: overwrites and deletes hit), sometimes
/// longer (up to 40 bytes): one of those short keys, a run of `a` and a tail of up to 2 bytes
/// over `a`, `b`, `\x00` and `\xff` — long keys share long prefixes with each other and with
/// short keys, and straddle the 8-byte comparison chunks and the memtable's inline-key limit.
pub fn key_strategy() -> impl Strategy<Value = Key> + Clone {
    let short = vec(select(&b"abcd"[..]), 1..=3);
    let long = (
        short.clone(),
        0..=36usize,
        vec(select(&b"ab\x00\xff"[..]), 0..=2),
    )
        .prop_map(|(mut k, run, tail)| {
            k.extend(std::iter::repeat_n(b'a', run));
            k.extend(tail);
            Key(k)
        });
    prop_oneof![
        54 => short.prop_map(Key),
        6 => long,
        1 => Just(Key(Vec::new())),
    ]
}

/// Values: 0–100 bytes, and one in 40 of 101–5000 bytes (larger than a 256-byte block, up
/// to larger than a whole memtable or table).
fn val_strategy() -> impl Strategy<Value = Val> + Clone {
    let len = prop_oneof![39 => 0..=100u16, 1 => 101..=5000u16];
    (0..1000u16, len).prop_map(|(id, len)| Val { id, len })
}

fn bound_strategy() -> impl Strategy<Value = Bound<Key>> + Clone {
    let short = vec(select(&b"abcd"[..]), 1..=3).prop_map(Key);
    prop_oneof![
        1 => Just(Bound::Unbounded),
        2 => short.clone().prop_map(Bound::Included),
        2 => short.prop_map(Bound::Excluded),
    ]
}

fn prefix_strategy() -> impl Strategy<Value = Key> + Clone {
    vec(select(&b"abcd\xff"[..]), 0..=2).prop_map(Key)
}

/// One operation. `calm`: flushes, compactions and reopens are 8 times rarer (one in about
/// 350 operations instead of one in 45), so memtables fill up and are frozen when full, and
/// grow past the 64 entries a scan reads from a memtable at once.
pub fn op_strategy(calm: bool) -> impl Strategy<Value = EngineOp> {
    let entry = prop_oneof![
        3 => (key_strategy(), val_strategy()).prop_map(|(k, v)| BatchEntry::Put(k, v)),
        1 => key_strategy().prop_map(BatchEntry::Delete),
    ];
    let k: u32 = if calm { 8 } else { 1 };
    prop_oneof![
        12 * k => (key_strategy(), val_strategy()).prop_map(|(k, v)| EngineOp::Put(k, v)),
        5 * k => key_strategy().prop_map(EngineOp::Delete),
        3 * k => vec(entry, 1..=5).prop_map(EngineOp::Batch),
        6 * k => key_strategy().prop_map(EngineOp::Get),
        3 * k => (bound_strategy(), bound_strategy(), proptest::option::weighted(0.25, 0..4u8))
            .prop_map(|(lower, upper, take)| EngineOp::Scan { lower, upper, take }),
        k => prefix_strategy().prop_map(EngineOp::ScanPrefix),
        2 * k => Just(EngineOp::Snapshot),
        3 * k => (any::<u8>(), key_strategy()).prop_map(|(s, k)| EngineOp::SnapGet(s, k)),
        k => (any::<u8>(), bound_strategy(), bound_strategy())
            .prop_map(|(slot, lower, upper)| EngineOp::SnapScan { slot, lower, upper }),
        k => (any::<u8>(), prefix_strategy()).prop_map(|(s, p)| EngineOp::SnapPrefix(s, p)),
        k => any::<u8>().prop_map(EngineOp::DropSnapshot),
        k => (bound_strategy(), bound_strategy(), 0..3u8)
            .prop_map(|(lower, upper, pre)| EngineOp::OpenIter { lower, upper, pre }),
        k => any::<u8>().prop_map(EngineOp::FinishIter),
        1 => Just(EngineOp::Flush),
        1 => Just(EngineOp::Compact),
        1 => Just(EngineOp::Reopen),
        k => Just(EngineOp::Verify),
    ]
}

/// A whole case with background work `auto`: the options it varies and its operations (half
/// the cases calm, see [`op_strategy`]).
pub fn case_strategy(auto: bool, max_ops: usize) -> impl Strategy<Value = (Setup, Vec<EngineOp>)> {
    any::<bool>().prop_flat_map(move |calm| {
        let setup = (
            any::<bool>(),
            any::<bool>(),
            select(vec![3usize, 4, 7]),
            proptest::bool::weighted(0.25),
            proptest::bool::weighted(0.25),
            proptest::bool::weighted(0.25),
            proptest::bool::weighted(0.25),
            any::<bool>(),
            // Half the cases start from a preset: S0–S2 have no background work, S3–S5 do.
            proptest::option::weighted(
                0.5,
                select(if auto {
                    vec![Stage::S3, Stage::S4, Stage::S5]
                } else {
                    vec![Stage::S0, Stage::S1, Stage::S2]
                }),
            ),
        )
            .prop_map(
                move |(
                    bloom,
                    cache,
                    num_levels,
                    sync,
                    tight,
                    big_memtable,
                    ancestor,
                    event_stats,
                    stage,
                )| {
                    let preset = stage.map(Options::stage);
                    Setup {
                        auto_compaction: auto,
                        bloom: preset.as_ref().map_or(bloom, |o| o.bloom_bits_per_key > 0),
                        cache: preset.as_ref().map_or(cache, |o| o.block_cache_bytes > 0),
                        num_levels,
                        sync,
                        tight,
                        big_memtable,
                        ancestor: ancestor && stage.is_none(),
                        stage,
                        event_stats,
                        calm,
                    }
                },
            );
        (setup, vec(op_strategy(calm), 0..=max_ops))
    })
}

// ---------------------------------------------------------------------------------------------
// Running a case
// ---------------------------------------------------------------------------------------------

/// The model: the database's contents.
type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// What an operation returned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// A write, flush, compaction or snapshot drop succeeded.
    Done,
    /// A point read.
    Value(Option<Vec<u8>>),
    /// A scan.
    Entries(Vec<(Vec<u8>, Vec<u8>)>),
    /// `verify()`: tables checked.
    Tables(usize),
    /// A snapshot was taken (its serial number).
    Snap(u32),
    /// An iterator was opened (its serial number) and its first entries read.
    Opened(u32, Vec<(Vec<u8>, Vec<u8>)>),
    /// The operation did nothing (no live snapshot, or too many).
    Nothing(&'static str),
    /// The engine refused an empty key (`Error::EmptyKey`).
    Refused,
    /// The engine returned an error.
    Error(String),
}

fn show_bytes(b: &[u8]) -> String {
    const MAX: usize = 12;
    if b.len() <= MAX {
        format!("\"{}\"", b.escape_ascii())
    } else {
        format!("\"{}…\"({} B)", b[..MAX].escape_ascii(), b.len())
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Done => f.write_str("ok"),
            Outcome::Value(Some(v)) => write!(f, "Some({})", show_bytes(v)),
            Outcome::Value(None) => f.write_str("None"),
            Outcome::Entries(es) => {
                f.write_str("[")?;
                for (i, (k, v)) in es.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "({}, {})", show_bytes(k), show_bytes(v))?;
                }
                f.write_str("]")
            }
            Outcome::Tables(n) => write!(f, "Ok({n} tables)"),
            Outcome::Snap(n) => write!(f, "snapshot #{n}"),
            Outcome::Opened(n, first) => {
                write!(f, "iterator #{n}, first ")?;
                Outcome::Entries(first.clone()).fmt(f)
            }
            Outcome::Nothing(why) => write!(f, "(nothing: {why})"),
            Outcome::Refused => f.write_str("Err(EmptyKey)"),
            Outcome::Error(e) => write!(f, "Err({e})"),
        }
    }
}

fn within(key: &[u8], lower: &Bound<Key>, upper: &Bound<Key>) -> bool {
    let above = match lower {
        Bound::Unbounded => true,
        Bound::Included(l) => key >= &l.0[..],
        Bound::Excluded(l) => key > &l.0[..],
    };
    let below = match upper {
        Bound::Unbounded => true,
        Bound::Included(u) => key <= &u.0[..],
        Bound::Excluded(u) => key < &u.0[..],
    };
    above && below
}

fn model_scan(model: &Model, lower: &Bound<Key>, upper: &Bound<Key>, take: usize) -> Outcome {
    Outcome::Entries(
        model
            .iter()
            .filter(|(k, _)| within(k, lower, upper))
            .take(take)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

fn model_prefix(model: &Model, prefix: &[u8]) -> Outcome {
    Outcome::Entries(
        model
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

fn collect(it: ferrolite::Result<ferrolite::DbIter>, take: usize) -> Outcome {
    let it = match it {
        Ok(it) => it,
        Err(e) => return Outcome::Error(e.to_string()),
    };
    let mut out = Vec::new();
    for item in it.take(take) {
        match item {
            Ok((k, v)) => out.push((k.to_vec(), v.to_vec())),
            Err(e) => return Outcome::Error(e.to_string()),
        }
    }
    Outcome::Entries(out)
}

fn owned_bound(b: &Bound<Key>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(&k.0[..]),
        Bound::Excluded(k) => Bound::Excluded(&k.0[..]),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn done(r: ferrolite::Result<()>) -> Outcome {
    match r {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Error(e.to_string()),
    }
}

/// An iterator held open: what it read so far and what it must read in all.
struct HeldIter {
    serial: u32,
    text: String,
    iter: ferrolite::DbIter,
    read: Vec<(Vec<u8>, Vec<u8>)>,
    want: Vec<(Vec<u8>, Vec<u8>)>,
}

impl HeldIter {
    /// Read the rest: `(everything read, everything expected)`.
    fn finish(mut self) -> (Outcome, Outcome) {
        for item in &mut self.iter {
            match item {
                Ok((k, v)) => self.read.push((k.to_vec(), v.to_vec())),
                Err(e) => return (Outcome::Error(e.to_string()), Outcome::Entries(self.want)),
            }
        }
        (Outcome::Entries(self.read), Outcome::Entries(self.want))
    }
}

/// What lives between two opens of the database.
struct Session<'db> {
    snaps: Vec<LiveSnap<'db>>,
    held: Vec<HeldIter>,
}

/// A live snapshot with the model as it was when the snapshot was taken.
struct LiveSnap<'db> {
    serial: u32,
    snap: Snapshot<'db>,
    model: Model,
}

/// What a case counted, for the summary and the session's counter checks.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    /// Operations written since the database was created (the expected last sequence).
    writes: u64,
    /// Operations written since the last open.
    session_writes: u64,
    /// Batches committed since the last open.
    session_batches: u64,
    /// Point reads (snapshot reads included) since the last open.
    session_gets: u64,
    /// Snapshots taken (serial numbers).
    snapshots: u32,
    /// Iterators held open (serial numbers).
    iters: u32,
    reopens: u64,
}

/// Check the engine's statistics against the options and the case's counts. `Err` says what
/// is wrong.
fn check_stats(s: &DbStats, kind: MapKind, setup: Setup, c: &Counts) -> Result<(), String> {
    let n = setup.num_levels;
    if s.files_per_level.len() != n || s.bytes_per_level.len() != n {
        return Err(format!(
            "stats(): files_per_level {:?} / bytes_per_level {:?} should have num_levels = {n} \
             entries",
            s.files_per_level, s.bytes_per_level
        ));
    }
    for (level, (&files, &bytes)) in s.files_per_level.iter().zip(&s.bytes_per_level).enumerate() {
        if (files == 0) != (bytes == 0) {
            return Err(format!(
                "stats(): L{level} has {files} tables but {bytes} bytes"
            ));
        }
    }
    if s.memtable != kind.name() {
        return Err(format!(
            "stats(): memtable is {:?}, the options asked for {:?}",
            s.memtable,
            kind.name()
        ));
    }
    if s.last_seq != c.writes {
        return Err(format!(
            "stats(): last_seq is {} after {} writes (every put/delete takes one sequence \
             number, and they survive reopening)",
            s.last_seq, c.writes
        ));
    }
    if s.writes != c.session_writes || s.batches != c.session_batches {
        return Err(format!(
            "stats(): writes {} / batches {} since open, the case made {} / {}",
            s.writes, s.batches, c.session_writes, c.session_batches
        ));
    }
    if s.gets != c.session_gets {
        return Err(format!(
            "stats(): gets {} since open, the case made {}",
            s.gets, c.session_gets
        ));
    }
    if !setup.cache && s.cache_blocks != 0 {
        return Err(format!(
            "stats(): {} cached blocks with block_cache_bytes(0)",
            s.cache_blocks
        ));
    }
    if !setup.auto_compaction && s.immutable_memtables != 0 {
        return Err(format!(
            "stats(): {} frozen memtables wait with auto_compaction(false) (full memtables \
             are flushed inline)",
            s.immutable_memtables
        ));
    }
    Ok(())
}

/// A transcript writer: one aligned line per step.
struct Transcript<'t> {
    out: Option<&'t mut String>,
    width: usize,
}

impl Transcript<'_> {
    fn line(&mut self, label: &str, text: &str, got: &dyn fmt::Display, want: Option<&str>) {
        let width = self.width;
        if let Some(t) = self.out.as_deref_mut() {
            let _ = write!(t, "  {label:>5} {text:<width$} -> {got}");
            match want {
                Some(w) => {
                    let _ = writeln!(
                        t,
                        "\n        {:width$}    but {w}   <-- first divergence",
                        ""
                    );
                }
                None => t.push('\n'),
            }
        }
    }
}

/// What a passing case explored (for the summary).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaseStats {
    /// Operations applied.
    pub ops: u64,
    /// Flushes the engine made (inline, background and asked for), over all sessions.
    pub flushes: u64,
    /// Compactions the engine ran (trivial moves included), over all sessions.
    pub compactions: u64,
    /// Reopens (the final one included).
    pub reopens: u64,
    /// 1 if some table lived below L1 at some check, else 0.
    pub deep: u64,
    /// Operations after which a frozen memtable waited for a background flush.
    pub frozen_seen: u64,
    /// Write stalls and slowdowns, over all sessions.
    pub stalls: u64,
}

/// The directory cases create their databases in (see the module documentation).
pub fn scratch_root() -> PathBuf {
    if let Some(d) = std::env::var_os(DIR_VAR).filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        return shm;
    }
    std::env::temp_dir()
}

/// Run `ops` on a fresh database over memtable `kind`, then the final checks. `Err` describes
/// the first divergence. With `transcript`, every step is written to it, one line each.
pub fn execute(
    kind: MapKind,
    setup: Setup,
    ops: &[EngineOp],
    transcript: Option<&mut String>,
) -> Result<CaseStats, String> {
    let tracing = transcript.is_some();
    let mut tr = Transcript {
        width: if tracing {
            ops.iter()
                .map(|op| op.to_string().chars().count())
                .max()
                .unwrap_or(0)
                .clamp(24, 70)
        } else {
            0
        },
        out: transcript,
    };
    let dir = tempfile::Builder::new()
        .prefix("ferrolite-engine-model-")
        .tempdir_in(scratch_root())
        .map_err(|e| format!("creating a scratch directory: {e}"))?;
    let opts = setup.options(kind);
    let mut model = Model::new();
    let mut c = Counts::default();
    let mut stats = CaseStats {
        ops: ops.len() as u64,
        ..CaseStats::default()
    };
    let mut i = 0usize;
    let mut reopened_at: Option<usize> = None;
    loop {
        let db = match Db::open(dir.path(), opts.clone()) {
            Ok(db) => db,
            Err(e) => {
                let what = match reopened_at {
                    Some(at) => format!("#{at}"),
                    None => "start".into(),
                };
                tr.line(
                    &what,
                    "Db::open",
                    &format!("Err({e})"),
                    Some("it must open"),
                );
                return Err(format!("Db::open failed ({what}): {e}"));
            }
        };
        c.session_writes = 0;
        c.session_batches = 0;
        c.session_gets = 0;
        // After a reopen: everything written must be back.
        if let Some(at) = reopened_at {
            let got = collect(db.iter(), usize::MAX);
            let want = model_scan(&model, &Bound::Unbounded, &Bound::Unbounded, usize::MAX);
            let text = ops
                .get(at)
                .map_or("close(); reopen()".into(), |op| op.to_string());
            let label = if at < ops.len() {
                format!("#{at}")
            } else {
                "end".into()
            };
            if got != want {
                let w = format!("the model holds {want}");
                tr.line(&label, &format!("{text}; iter()"), &got, Some(&w));
                return Err(format!(
                    "{label} {text}: after reopening the database holds {got}, the model {want}"
                ));
            }
            tr.line(
                &label,
                &text,
                &format!("reopened, {} entries", model.len()),
                None,
            );
            if let Err(why) = check_stats(&db.stats(), kind, setup, &c) {
                tr.line(&label, "stats()", &"(see below)", Some(&why));
                return Err(format!("{label} after reopening: {why}"));
            }
            if at >= ops.len() {
                // The final reopen: done.
                let s = db.stats();
                stats.flushes += s.flushes;
                stats.compactions += s.compactions;
                stats.stalls += s.stalls;
                if let Err(e) = db.close() {
                    tr.line(
                        "end",
                        "close()",
                        &format!("Err({e})"),
                        Some("it must close"),
                    );
                    return Err(format!("final close(): {e}"));
                }
                if let Err(why) = check_closed(&db) {
                    tr.line("end", "use after close()", &"(see below)", Some(&why));
                    return Err(format!("after the final close(): {why}"));
                }
                return Ok(stats);
            }
        }
        let mut sess = Session {
            snaps: Vec::new(),
            held: Vec::new(),
        };
        let mut reopen = false;
        while i < ops.len() {
            let op = &ops[i];
            let label = format!("#{i}");
            i += 1;
            if *op == EngineOp::Reopen {
                reopen = true;
                reopened_at = Some(i - 1);
                break;
            }
            let (got, want, note) = step(&db, &mut sess, &mut model, &mut c, setup, op);
            let text = match note {
                Some(n) if tracing => format!("{op}  [{n}]"),
                _ => op.to_string(),
            };
            if got != want {
                let w = format!("the model says {want}");
                tr.line(&label, &text, &got, Some(&w));
                return Err(format!(
                    "op {label} {text}: the engine returned {got}, the model expects {want}"
                ));
            }
            let s = db.stats();
            if s.files_per_level.iter().skip(2).any(|&n| n > 0) {
                stats.deep = 1;
            }
            if s.immutable_memtables > 0 {
                stats.frozen_seen += 1;
            }
            if let Err(why) = check_stats(&s, kind, setup, &c)
                .and_then(|()| check_shape(&s, setup, op))
                .and_then(|()| {
                    if sess.held.is_empty() {
                        let clean = sess.snaps.is_empty();
                        check_disk(&db, &s, setup, op, clean, &model)
                    } else {
                        Ok(()) // held iterators keep obsolete tables alive
                    }
                })
            {
                tr.line(&label, &text, &got, Some(&why));
                return Err(format!("op {label} {text}: {why}"));
            }
            tr.line(&label, &text, &got, None);
        }
        if !reopen {
            // End of the case: full contents, every live snapshot, then close and reopen once
            // more.
            let got = collect(db.iter(), usize::MAX);
            let want = model_scan(&model, &Bound::Unbounded, &Bound::Unbounded, usize::MAX);
            if got != want {
                let w = format!("the model holds {want}");
                tr.line("end", "iter()", &got, Some(&w));
                return Err(format!(
                    "final iter(): the engine has {got}, the model {want}"
                ));
            }
            for h in std::mem::take(&mut sess.held) {
                let text = format!("iterator #{} ({}): the rest", h.serial, h.text);
                let (got, want) = h.finish();
                if got != want {
                    let w = format!("at opening the model held {want}");
                    tr.line("end", &text, &got, Some(&w));
                    return Err(format!(
                        "final {text}: the engine read {got}, the model {want}"
                    ));
                }
                tr.line("end", &text, &got, None);
            }
            for s in &sess.snaps {
                let got = collect(s.snap.iter(), usize::MAX);
                let want = model_scan(&s.model, &Bound::Unbounded, &Bound::Unbounded, usize::MAX);
                let text = format!("snapshot #{}.iter()", s.serial);
                if got != want {
                    let w = format!("the model held {want}");
                    tr.line("end", &text, &got, Some(&w));
                    return Err(format!(
                        "final {text}: the engine has {got}, the model {want}"
                    ));
                }
            }
            if setup.auto_compaction {
                if let Err(why) = settle(&db, setup) {
                    tr.line(
                        "end",
                        "(background work settles)",
                        &"(see below)",
                        Some(&why),
                    );
                    return Err(format!("end: {why}"));
                }
            }
            reopened_at = Some(ops.len());
        }
        c.reopens += 1;
        stats.reopens += 1;
        drop(sess);
        let s = db.stats();
        stats.flushes += s.flushes;
        stats.compactions += s.compactions;
        stats.stalls += s.stalls;
        if let Err(e) = db.close() {
            tr.line("", "close()", &format!("Err({e})"), Some("it must close"));
            return Err(format!("close() before reopening: {e}"));
        }
        drop(db);
    }
}

/// How long background work may take to settle at the end of a case.
const SETTLE: Duration = Duration::from_secs(10);

/// With background work: wait until no flush or compaction is due (no frozen memtable, L0
/// under its trigger, every level above the last under its target), then until the
/// directory holds exactly the listed tables and one WAL segment. `Err` if that does not
/// happen within [`SETTLE`]: background work that never ends, or files it leaks.
fn settle(db: &Db, setup: Setup) -> Result<(), String> {
    let opts = setup.options(MapKind::BTree);
    let started = Instant::now();
    loop {
        let s = db.stats();
        let last = s.files_per_level.len() - 1;
        let scored = match opts.compaction_style {
            CompactionStyle::Leveled => last,
            CompactionStyle::SingleRun => 1, // only L0 is ever compacted automatically
        };
        let compaction_due = s.files_per_level[0] >= opts.l0_compaction_trigger
            || (1..scored).any(|l| s.bytes_per_level[l] >= opts.level_target(l));
        let due = s.immutable_memtables > 0 || (opts.compaction && compaction_due);
        let files = DirFiles::list(db.path())?;
        let listed: usize = s.files_per_level.iter().sum();
        let tidy = files.tables.len() == listed && files.wal_segments == 1;
        if !due && tidy {
            return Ok(());
        }
        if started.elapsed() > SETTLE {
            return Err(format!(
                "background work did not settle in {} s: {} frozen memtables, \
                 files_per_level {:?}, bytes_per_level {:?}; {} table files on disk for {listed} \
                 listed, {} WAL segments",
                SETTLE.as_secs(),
                s.immutable_memtables,
                s.files_per_level,
                s.bytes_per_level,
                files.tables.len(),
                files.wal_segments
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A closed database refuses every operation with `Error::Closed`, and closes again
/// without error.
fn check_closed(db: &Db) -> Result<(), String> {
    let closed = |what: &str, r: Result<(), ferrolite::Error>| match r {
        Err(ferrolite::Error::Closed) => Ok(()),
        Err(e) => Err(format!(
            "{what} on a closed database: Err({e}), expected Err(Closed)"
        )),
        Ok(()) => Err(format!("{what} on a closed database succeeded")),
    };
    closed("put", db.put("a", "x"))?;
    closed("delete", db.delete("a"))?;
    closed("get", db.get("a").map(drop))?;
    closed("iter", db.iter().map(drop))?;
    closed("scan_prefix", db.scan_prefix("a").map(drop))?;
    closed("snapshot", db.snapshot().map(drop))?;
    closed("flush", db.flush())?;
    closed("compact", db.compact())?;
    closed("verify", db.verify().map(drop))?;
    db.close()
        .map_err(|e| format!("a second close() failed: {e}"))
}

/// Shape checks that hold only without background work: after `flush()` the memtables are
/// empty; after `compact()` only the bottom level holds tables (the last level, or L1 under
/// [`CompactionStyle::SingleRun`]).
fn check_shape(s: &DbStats, setup: Setup, op: &EngineOp) -> Result<(), String> {
    if setup.auto_compaction {
        return Ok(());
    }
    let bottom = match setup.options(MapKind::BTree).compaction_style {
        CompactionStyle::Leveled => s.files_per_level.len() - 1,
        CompactionStyle::SingleRun => 1,
    };
    match op {
        EngineOp::Flush | EngineOp::Compact if s.memtable_bytes != 0 => Err(format!(
            "stats(): {} bytes in the active memtable right after {op}",
            s.memtable_bytes
        )),
        EngineOp::Compact
            if s.files_per_level
                .iter()
                .enumerate()
                .any(|(level, &n)| level != bottom && n > 0) =>
        {
            Err(format!(
                "stats(): files_per_level {:?} right after compact() (everything should be in \
                 L{bottom})",
                s.files_per_level
            ))
        }
        _ => Ok(()),
    }
}

/// Checks of the directory that hold only without background work, when no iterator is
/// alive: every table file on disk is one the current version lists (an obsolete table is
/// deleted as soon as no reader holds it), one WAL segment is live, and right after
/// `compact()` with `expect_clean` (no live snapshot) the tables hold exactly the model's entries (every tombstone and
/// overwritten version dropped).
fn check_disk(
    db: &Db,
    s: &DbStats,
    setup: Setup,
    op: &EngineOp,
    expect_clean: bool,
    model: &Model,
) -> Result<(), String> {
    if setup.auto_compaction {
        return Ok(());
    }
    let listed: usize = s.files_per_level.iter().sum();
    let files = DirFiles::list(db.path())?;
    if files.tables.len() != listed {
        let mut ids: Vec<u64> = files.tables.iter().map(|t| t.0).collect();
        ids.sort_unstable();
        return Err(format!(
            "the directory holds {} table files {ids:?}, the version lists {listed} \
             (files_per_level {:?}): obsolete tables are not deleted",
            files.tables.len(),
            s.files_per_level
        ));
    }
    if files.wal_segments != 1 {
        return Err(format!(
            "the directory holds {} WAL segments; with every frozen memtable flushed only \
             the active one should remain",
            files.wal_segments
        ));
    }
    if *op == EngineOp::Compact && expect_clean {
        let total = files.table_entries()?;
        if total != model.len() as u64 {
            return Err(format!(
                "after compact() (no snapshot live) the tables \
                 hold {total} entries, the model {} keys: tombstones or overwritten versions \
                 survived",
                model.len()
            ));
        }
    }
    Ok(())
}

/// The table files and WAL segments in a database directory.
#[derive(Clone, Debug, Default)]
pub struct DirFiles {
    /// Table files: (file number, path).
    pub tables: Vec<(u64, PathBuf)>,
    /// Number of WAL segments.
    pub wal_segments: usize,
}

impl DirFiles {
    /// List `dir`.
    pub fn list(dir: &std::path::Path) -> Result<DirFiles, String> {
        let mut out = DirFiles::default();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("listing the directory: {e}"))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("listing the directory: {e}"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name
                .strip_suffix(".sst")
                .and_then(|n| n.parse::<u64>().ok())
            {
                out.tables.push((id, entry.path()));
            } else if name.ends_with(".wal") {
                out.wal_segments += 1;
            }
        }
        Ok(out)
    }

    /// Entries (versions and tombstones) in all the tables, read from their footers.
    pub fn table_entries(&self) -> Result<u64, String> {
        let fs = ferrolite::StdFs::shared();
        let mut total = 0u64;
        for (_, path) in &self.tables {
            let t = ferrolite::inspect::check_table(&fs, path)
                .map_err(|e| format!("opening table {}: {e}", path.display()))?;
            total += t.entries;
        }
        Ok(total)
    }
}

/// Apply `op` to the engine and the model: `(engine's answer, model's answer, a note for the
/// transcript)`.
fn step<'db>(
    db: &'db Db,
    sess: &mut Session<'db>,
    model: &mut Model,
    c: &mut Counts,
    setup: Setup,
    op: &EngineOp,
) -> (Outcome, Outcome, Option<String>) {
    let pick = |slot: u8, n: usize| usize::from(slot) % n.max(1);
    let snaps = &mut sess.snaps;
    match op {
        EngineOp::Put(k, v) => {
            let empty = k.0.is_empty();
            let got = write_outcome(db.put(k.0.clone(), v.bytes()), 1, c);
            if !empty {
                model.insert(k.0.clone(), v.bytes());
            }
            (got, write_want(empty), None)
        }
        EngineOp::Delete(k) => {
            let empty = k.0.is_empty();
            let got = write_outcome(db.delete(k.0.clone()), 1, c);
            if !empty {
                model.remove(&k.0);
            }
            (got, write_want(empty), None)
        }
        EngineOp::Batch(entries) => {
            let mut batch = WriteBatch::new();
            let mut empty = false;
            for e in entries {
                match e {
                    BatchEntry::Put(k, v) => {
                        empty |= k.0.is_empty();
                        batch.put(k.0.clone(), v.bytes());
                    }
                    BatchEntry::Delete(k) => {
                        empty |= k.0.is_empty();
                        batch.delete(k.0.clone());
                    }
                }
            }
            let got = write_outcome(db.write(batch), entries.len() as u64, c);
            // All or nothing: a batch with an empty key is refused as a whole.
            if !empty {
                for e in entries {
                    match e {
                        BatchEntry::Put(k, v) => {
                            model.insert(k.0.clone(), v.bytes());
                        }
                        BatchEntry::Delete(k) => {
                            model.remove(&k.0);
                        }
                    }
                }
            }
            (got, write_want(empty), None)
        }
        EngineOp::Get(k) => {
            if k.0.is_empty() {
                return (value_of(db.get(&k.0)), Outcome::Refused, None);
            }
            c.session_gets += 1;
            (
                value_of(db.get(&k.0)),
                Outcome::Value(model.get(&k.0).cloned()),
                None,
            )
        }
        EngineOp::Scan { lower, upper, take } => {
            let take = take.map_or(usize::MAX, usize::from);
            let it = if *lower == Bound::Unbounded && *upper == Bound::Unbounded {
                db.iter()
            } else {
                db.scan((owned_bound(lower), owned_bound(upper)))
            };
            (
                collect(it, take),
                model_scan(model, lower, upper, take),
                None,
            )
        }
        EngineOp::ScanPrefix(p) => (
            collect(db.scan_prefix(&p.0), usize::MAX),
            model_prefix(model, &p.0),
            None,
        ),
        EngineOp::Snapshot => {
            if snaps.len() >= MAX_SNAPSHOTS {
                let why = "3 snapshots live";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            match db.snapshot() {
                Ok(snap) => {
                    c.snapshots += 1;
                    let note = format!("seq {}", snap.seq());
                    snaps.push(LiveSnap {
                        serial: c.snapshots,
                        snap,
                        model: model.clone(),
                    });
                    (
                        Outcome::Snap(c.snapshots),
                        Outcome::Snap(c.snapshots),
                        Some(note),
                    )
                }
                Err(e) => (
                    Outcome::Error(e.to_string()),
                    Outcome::Snap(c.snapshots + 1),
                    None,
                ),
            }
        }
        EngineOp::SnapGet(slot, k) => {
            if snaps.is_empty() {
                let why = "no live snapshot";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let s = &snaps[pick(*slot, snaps.len())];
            let want = if k.0.is_empty() {
                Outcome::Refused
            } else {
                c.session_gets += 1;
                Outcome::Value(s.model.get(&k.0).cloned())
            };
            (
                value_of(s.snap.get(&k.0)),
                want,
                Some(format!("snapshot #{}", s.serial)),
            )
        }
        EngineOp::SnapScan { slot, lower, upper } => {
            if snaps.is_empty() {
                let why = "no live snapshot";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let s = &snaps[pick(*slot, snaps.len())];
            let it = if *lower == Bound::Unbounded && *upper == Bound::Unbounded {
                s.snap.iter()
            } else {
                s.snap.scan((owned_bound(lower), owned_bound(upper)))
            };
            (
                collect(it, usize::MAX),
                model_scan(&s.model, lower, upper, usize::MAX),
                Some(format!("snapshot #{}", s.serial)),
            )
        }
        EngineOp::SnapPrefix(slot, p) => {
            if snaps.is_empty() {
                let why = "no live snapshot";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let s = &snaps[pick(*slot, snaps.len())];
            (
                collect(s.snap.scan_prefix(&p.0), usize::MAX),
                model_prefix(&s.model, &p.0),
                Some(format!("snapshot #{}", s.serial)),
            )
        }
        EngineOp::DropSnapshot(slot) => {
            if snaps.is_empty() {
                let why = "no live snapshot";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let s = snaps.remove(pick(*slot, snaps.len()));
            let note = format!("snapshot #{}", s.serial);
            drop(s);
            (Outcome::Done, Outcome::Done, Some(note))
        }
        EngineOp::OpenIter { lower, upper, pre } => {
            if sess.held.len() >= MAX_HELD_ITERS {
                let why = "2 iterators held";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let it = if *lower == Bound::Unbounded && *upper == Bound::Unbounded {
                db.iter()
            } else {
                db.scan((owned_bound(lower), owned_bound(upper)))
            };
            let Outcome::Entries(want) = model_scan(model, lower, upper, usize::MAX) else {
                unreachable!("a scan")
            };
            let mut it = match it {
                Ok(it) => it,
                Err(e) => return (Outcome::Error(e.to_string()), Outcome::Done, None),
            };
            let mut read = Vec::new();
            for item in it.by_ref().take(usize::from(*pre)) {
                match item {
                    Ok((k, v)) => read.push((k.to_vec(), v.to_vec())),
                    Err(e) => return (Outcome::Error(e.to_string()), Outcome::Done, None),
                }
            }
            c.iters += 1;
            let first: Vec<_> = want.iter().take(usize::from(*pre)).cloned().collect();
            let got = Outcome::Opened(c.iters, read.clone());
            sess.held.push(HeldIter {
                serial: c.iters,
                text: format!("scan({}, {})", ShowBound(lower), ShowBound(upper)),
                iter: it,
                read,
                want,
            });
            (got, Outcome::Opened(c.iters, first), None)
        }
        EngineOp::FinishIter(slot) => {
            if sess.held.is_empty() {
                let why = "no held iterator";
                return (Outcome::Nothing(why), Outcome::Nothing(why), None);
            }
            let h = sess.held.remove(pick(*slot, sess.held.len()));
            let note = format!("iterator #{}", h.serial);
            let (got, want) = h.finish();
            (got, want, Some(note))
        }
        EngineOp::Flush => (done(db.flush()), Outcome::Done, None),
        EngineOp::Compact => (done(db.compact()), Outcome::Done, None),
        EngineOp::Reopen => unreachable!("handled by execute"),
        EngineOp::Verify => match db.verify() {
            Ok(n) => {
                // Without background work the table count is known; with it, the version
                // may change between the two calls.
                let want = if setup.auto_compaction {
                    n
                } else {
                    db.stats().files_per_level.iter().sum()
                };
                (Outcome::Tables(n), Outcome::Tables(want), None)
            }
            Err(e) => (Outcome::Error(e.to_string()), Outcome::Done, None),
        },
    }
}

fn value_of<B: AsRef<[u8]>>(r: ferrolite::Result<Option<B>>) -> Outcome {
    match r {
        Ok(v) => Outcome::Value(v.map(|b| b.as_ref().to_vec())),
        Err(ferrolite::Error::EmptyKey) => Outcome::Refused,
        Err(e) => Outcome::Error(e.to_string()),
    }
}

/// The outcome of a write of `ops` operations; counts it when it succeeded.
fn write_outcome(r: ferrolite::Result<()>, ops: u64, c: &mut Counts) -> Outcome {
    match r {
        Ok(()) => {
            c.writes += ops;
            c.session_writes += ops;
            c.session_batches += 1;
            Outcome::Done
        }
        Err(ferrolite::Error::EmptyKey) => Outcome::Refused,
        Err(e) => Outcome::Error(e.to_string()),
    }
}

/// What a write must return: refused when it holds an empty key.
fn write_want(empty_key: bool) -> Outcome {
    if empty_key {
        Outcome::Refused
    } else {
        Outcome::Done
    }
}

// ---------------------------------------------------------------------------------------------
// Hang watchdog
// ---------------------------------------------------------------------------------------------

/// A case in progress, for the watchdog.
struct Running {
    started: Instant,
    kind: MapKind,
    setup: Setup,
    ops: Vec<EngineOp>,
}

/// Cases in progress, by a per-run token (tests of several kinds may run in parallel).
static RUNNING: Mutex<BTreeMap<u64, Running>> = Mutex::new(BTreeMap::new());
static WATCHDOG: Once = Once::new();
static NEXT_TOKEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn running() -> std::sync::MutexGuard<'static, BTreeMap<u64, Running>> {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Start the watchdog thread (once per process): a case running longer than [`HANG_SECS`]
/// is printed and the process exits with status 3.
fn start_watchdog() {
    WATCHDOG.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("engine-model-watchdog".into())
            .spawn(|| loop {
                std::thread::sleep(Duration::from_secs(1));
                let cases = running();
                if let Some(r) = cases
                    .values()
                    .find(|r| r.started.elapsed() > Duration::from_secs(HANG_SECS))
                {
                    let mut msg = format!(
                        "engine model check: memtable `{}`: a case made no progress for {HANG_SECS} s \
                         (a hang: deadlock or a write stall that never ends)\n  options: \
                         Options::default().memtable(MapKind::{:?}){}\n  operations ({}):\n",
                        r.kind.name(),
                        r.kind,
                        r.setup,
                        r.ops.len()
                    );
                    for (i, op) in r.ops.iter().enumerate() {
                        let _ = writeln!(msg, "  #{i:<4} {op}");
                    }
                    println!("{msg}");
                    eprintln!("{msg}");
                    std::process::exit(3);
                }
            });
        if let Err(e) = spawned {
            eprintln!("engine model: no watchdog thread ({e}); hangs will not be reported");
        }
    });
}

/// Run one case under the watchdog.
fn watched<T>(kind: MapKind, setup: Setup, ops: &[EngineOp], f: impl FnOnce() -> T) -> T {
    start_watchdog();
    let token = NEXT_TOKEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    running().insert(
        token,
        Running {
            started: Instant::now(),
            kind,
            setup,
            ops: ops.to_vec(),
        },
    );
    struct Clear(u64);
    impl Drop for Clear {
        fn drop(&mut self) {
            running().remove(&self.0);
        }
    }
    let _clear = Clear(token);
    f()
}

// ---------------------------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------------------------

/// What a passing run explored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases run.
    pub cases: u64,
    /// Operations applied.
    pub ops: u64,
    /// Flushes the engine made.
    pub flushes: u64,
    /// Compactions the engine ran.
    pub compactions: u64,
    /// Reopens (each case ends with one).
    pub reopens: u64,
    /// Cases in which some table lived below L1.
    pub deep_cases: u64,
    /// Operations after which a frozen memtable waited for a background flush.
    pub frozen_seen: u64,
    /// Write stalls and slowdowns.
    pub stalls: u64,
    /// Cases per stage-ladder preset (S0 … S5) among them.
    pub staged: [u64; 6],
}

impl Summary {
    fn add(&mut self, c: &CaseStats) {
        self.cases += 1;
        self.ops += c.ops;
        self.flushes += c.flushes;
        self.compactions += c.compactions;
        self.reopens += c.reopens;
        self.deep_cases += c.deep;
        self.frozen_seen += c.frozen_seen;
        self.stalls += c.stalls;
    }

    fn plus(self, o: Summary) -> Summary {
        Summary {
            cases: self.cases + o.cases,
            ops: self.ops + o.ops,
            flushes: self.flushes + o.flushes,
            compactions: self.compactions + o.compactions,
            reopens: self.reopens + o.reopens,
            deep_cases: self.deep_cases + o.deep_cases,
            frozen_seen: self.frozen_seen + o.frozen_seen,
            stalls: self.stalls + o.stalls,
            staged: std::array::from_fn(|i| self.staged[i] + o.staged[i]),
        }
    }
}

/// A divergence from the model, with the shrunk operation sequence.
#[derive(Clone, Debug)]
pub struct EngineFailure {
    /// The memtable kind.
    pub kind: MapKind,
    /// The options of the minimal case.
    pub setup: Option<Setup>,
    /// With background work or without.
    pub workload: &'static str,
    /// The generator seed (rerun with [`SEED_VAR`] set to it).
    pub seed: u64,
    /// The active mutant, if any.
    pub mutant: Option<String>,
    /// Cases run up to and including the first failing one, over both workloads.
    pub cases: u64,
    /// Shrinking steps tried.
    pub shrink_steps: u64,
    /// Why the minimal case fails, as proptest reported it.
    pub reason: String,
    /// The minimal failing sequence, one operation per entry.
    pub ops: Vec<String>,
    /// The minimal sequence replayed on a fresh database, one line per operation.
    pub transcript: String,
}

impl fmt::Display for EngineFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "engine model check: memtable `{}` ({})",
            self.kind.name(),
            self.workload
        )?;
        if let Some(m) = &self.mutant {
            write!(f, " [mutant {m}]")?;
        }
        writeln!(
            f,
            " diverges from the BTreeMap model\n  first failing case after {} cases, shrunk in \
             {} steps; seed {} (rerun with {SEED_VAR}={})",
            self.cases, self.shrink_steps, self.seed, self.seed
        )?;
        if let Some(s) = &self.setup {
            writeln!(
                f,
                "  options: {}.memtable(MapKind::{:?}){s}",
                s.base(),
                self.kind
            )?;
        }
        writeln!(f, "  reason: {}", self.reason)?;
        writeln!(
            f,
            "  minimal failing sequence ({} ops), replayed on a fresh database:",
            self.ops.len()
        )?;
        f.write_str(&self.transcript)
    }
}

impl std::error::Error for EngineFailure {}

fn runner_config(cases: u32, seed: u64, max_shrink: Duration) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::XorShift,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_time: max_shrink.as_millis().min(u128::from(u32::MAX)) as u32,
        // Cases take milliseconds: let the time bound, not proptest's automatic 4 × cases,
        // end shrinking.
        max_shrink_iters: 100_000,
        ..Config::default()
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic>".into())
}

/// Check the engine over memtable `kind` with background work `auto` on `cases` sequences.
pub fn check(
    kind: MapKind,
    auto: bool,
    config: &EngineConfig,
    cases: u32,
) -> Result<Summary, Box<EngineFailure>> {
    let workload = if auto {
        "background flushes and compactions"
    } else {
        "auto_compaction(false): deterministic"
    };
    let strategy = case_strategy(auto, config.max_ops);
    let mut runner = TestRunner::new(runner_config(cases, config.seed, config.max_shrink));
    let summary = Cell::new(Summary::default());
    let (failed, shrinks) = (Cell::new(false), Cell::new(0u64));
    let result = runner.run(&strategy, |(setup, ops)| {
        if failed.get() {
            shrinks.set(shrinks.get() + 1);
        }
        let r = watched(kind, setup, &ops, || execute(kind, setup, &ops, None));
        match r {
            Ok(stats) => {
                if !failed.get() {
                    let mut s = summary.get();
                    s.add(&stats);
                    if let Some(stage) = setup.stage {
                        s.staged[stage as usize] += 1;
                    }
                    summary.set(s);
                }
                Ok(())
            }
            Err(why) => {
                if !failed.get() {
                    let mut s = summary.get();
                    s.cases += 1;
                    summary.set(s);
                }
                failed.set(true);
                Err(TestCaseError::fail(why))
            }
        }
    });
    let failure = |setup: Option<Setup>, reason: String, ops: Vec<String>, transcript: String| {
        Box::new(EngineFailure {
            kind,
            setup,
            workload,
            seed: config.seed,
            mutant: active_mutant(),
            cases: summary.get().cases,
            shrink_steps: shrinks.get(),
            reason,
            ops,
            transcript,
        })
    };
    match result {
        Ok(()) => Ok(summary.get()),
        Err(TestError::Abort(reason)) => Err(failure(
            None,
            format!("proptest aborted: {reason}"),
            Vec::new(),
            String::new(),
        )),
        Err(TestError::Fail(reason, (setup, minimal))) => {
            let mut transcript = String::new();
            let replay = panic::catch_unwind(AssertUnwindSafe(|| {
                watched(kind, setup, &minimal, || {
                    execute(kind, setup, &minimal, Some(&mut transcript))
                })
            }));
            match replay {
                Ok(Err(_)) => {}
                Ok(Ok(_)) => transcript.push_str(
                    "  (the replay passed: the failure depends on timing — background work — or \
                     on more than the operations)\n",
                ),
                Err(p) => {
                    let _ = writeln!(
                        transcript,
                        "  (the next operation panicked: {})",
                        panic_text(&*p)
                    );
                }
            }
            Err(failure(
                Some(setup),
                reason.to_string(),
                minimal.iter().map(|op| op.to_string()).collect(),
                transcript,
            ))
        }
    }
}

/// Check one memtable kind: half the cases without background work, half with it.
pub fn check_kind(kind: MapKind, config: &EngineConfig) -> Result<Summary, Box<EngineFailure>> {
    let quiet = config.cases / 2;
    let first = check(kind, false, config, quiet)?;
    let second = check(kind, true, config, config.cases - quiet).map_err(|mut f| {
        f.cases += first.cases;
        f
    })?;
    Ok(first.plus(second))
}

/// One verification-matrix cell: check `kind` with the budget of [`Mode::from_env`] (quick
/// when `FERROLITE_VERIFY_MODE` is unset, unlike the other checkers), print
/// `VERIFY-STAT` lines (`cases`, `ops`, `flushes`, `compactions`, `reopens`, `deep_cases`,
/// `frozen_seen`, `stalls`), and panic with the shrunk sequence on failure.
pub fn run_cell(kind: MapKind) {
    // A plain `cargo test` (no mode set: a debug build, most likely) gets the quick budget;
    // the verifier always names its mode.
    let named = std::env::var_os("FERROLITE_VERIFY_MODE").is_some_and(|v| !v.is_empty());
    let mode = if named { Mode::from_env() } else { Mode::Quick };
    let config = EngineConfig::for_mode(mode);
    println!(
        "engine model: memtable {kind}, mode {mode}, {} cases, seed {}, databases under {}",
        config.cases,
        config.seed,
        scratch_root().display()
    );
    let started = Instant::now();
    match check_kind(kind, &config) {
        Ok(s) => {
            println!(
                "engine model: memtable {kind}: {} cases, {} ops, {} flushes, {} compactions, \
                 {} reopens, {} cases reached L2 or deeper, {} operations with a frozen memtable \
                 waiting, {} write stalls, cases per preset S0..S5 {:?}, in {:.1} s",
                s.cases,
                s.ops,
                s.flushes,
                s.compactions,
                s.reopens,
                s.deep_cases,
                s.frozen_seen,
                s.stalls,
                s.staged,
                started.elapsed().as_secs_f64()
            );
            report("cases", s.cases);
            report("ops", s.ops);
            report("flushes", s.flushes);
            report("compactions", s.compactions);
            report("reopens", s.reopens);
            report("deep_cases", s.deep_cases);
            report("frozen_seen", s.frozen_seen);
            report("stalls", s.stalls);
            for stage in Stage::ALL {
                report(
                    &format!("cases_{}", stage.name().to_lowercase()),
                    s.staged[stage as usize],
                );
            }
        }
        Err(failure) => {
            report("cases", failure.cases);
            panic!("{failure}");
        }
    }
}

/// Run `ops` with `setup` on a fresh database over every memtable kind and panic with the
/// transcript of the first divergence: the body of a deterministic regression test.
pub fn replay_all_kinds(setup: Setup, ops: &[EngineOp]) {
    for kind in MapKind::ALL {
        let mut transcript = String::new();
        if let Err(why) = execute(kind, setup, ops, Some(&mut transcript)) {
            panic!(
                "memtable `{}`, options Options::default().memtable(MapKind::{kind:?}){setup}:\n  \
                 {why}\n{transcript}",
                kind.name()
            );
        }
    }
}
