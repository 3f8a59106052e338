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
//! keys are scrambled zipfian with θ = 0.99 ([`KeyDist::zipf`]) over `0..num`. Inserts take
//! fresh keys `num, num+1, …` from a counter shared by the threads and kept by the [`Runner`]
//! across benchmarks. Workload D reads "latest": the key `r` places behind the newest insert,
//! `r` a zipfian rank, so reads crowd onto recent keys. Workload E scans start at a zipfian
//! key and read a uniform 1..=100 entries. F's read-modify-write reads a key then writes it.
//! MB/s counts the key and value bytes read or written.

use crate::workload::{KeyDist, KeyGenerator, KeySpace};
use anyhow::{bail, Result};
use bytes::Bytes;
use ferrolite::{Db, DbStats, Options};
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, OnceLock};
use std::time::Instant;

/// Entries `seekrandom` reads after each seek (db_bench's default `seek_nexts`).
pub const SEEK_NEXTS: usize = 10;

/// The longest scan of YCSB workload E (YCSB's default `maxscanlength`).
pub const YCSB_MAX_SCAN: usize = 100;

/// Largest latency the histograms hold (100 s in ns); longer ones are recorded as this.
const MAX_LATENCY_NS: u64 = 100_000_000_000;

/// Operations between two progress-bar updates of one thread.
const PROGRESS_EVERY: u64 = 1024;

// ---------------------------------------------------------------------------------------------
// Engines

/// What a workload needs of an engine. Shared by all threads of a benchmark.
pub trait Engine: Send + Sync {
    /// A short name for headers and tables (`ferrolite`, `fjall`).
    fn name(&self) -> &str;
    /// Set `key` to `value`.
    fn put(&self, key: &[u8], value: &Bytes) -> Result<()>;
    /// The length of `key`'s value, if present.
    fn get(&self, key: &[u8]) -> Result<Option<usize>>;
    /// Remove `key`.
    fn delete(&self, key: &[u8]) -> Result<()>;
    /// Visit at most `limit` entries with keys in `start..end` (`end` `None`: unbounded), in
    /// key order; returns how many were visited.
    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize>;
    /// Visit the first `n` entries at or after `key` (a seek and `n - 1` nexts).
    fn scan_from(
        &self,
        key: &[u8],
        n: usize,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        self.scan(key, None, n, visit)
    }
    /// The shape of the database and what the engine counted.
    fn summary(&self) -> EngineSummary;
    /// Make everything durable and stop background work.
    fn close(&self) -> Result<()>;
}

/// One level of an LSM tree.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LevelShape {
    /// Table files.
    pub files: usize,
    /// Their bytes, if the engine tells.
    pub bytes: Option<u64>,
}

/// An engine's shape and counters after a run; `None` where the engine does not tell.
#[derive(Clone, Debug, Default)]
pub struct EngineSummary {
    /// Levels, L0 first.
    pub levels: Vec<LevelShape>,
    /// (WAL + table bytes written) / user bytes written.
    pub write_amplification: Option<f64>,
    /// Table bytes written / user bytes written.
    pub table_write_amplification: Option<f64>,
    /// Bytes on disk (tables and logs), if known apart from the levels.
    pub disk_bytes: Option<u64>,
    /// Memtable flushes.
    pub flushes: Option<u64>,
    /// Compactions.
    pub compactions: Option<u64>,
    /// Ferrolite's full statistics.
    pub db_stats: Option<DbStats>,
}

/// A [`ferrolite::Db`] as an [`Engine`].
#[derive(Debug)]
pub struct FerroliteEngine {
    db: Db,
}

impl FerroliteEngine {
    /// Open (or create) the database in `path`.
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Self> {
        Ok(FerroliteEngine {
            db: Db::open(path, opts)?,
        })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }
}

impl Engine for FerroliteEngine {
    fn name(&self) -> &str {
        "ferrolite"
    }

    fn put(&self, key: &[u8], value: &Bytes) -> Result<()> {
        Ok(self.db.put(Bytes::copy_from_slice(key), value.clone())?)
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        Ok(self.db.get(key)?.map(|v| v.len()))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        Ok(self.db.delete(Bytes::copy_from_slice(key))?)
    }

    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        let iter = match end {
            Some(end) => self.db.scan(start..end)?,
            None => self.db.scan(start..)?,
        };
        let mut n = 0;
        for item in iter.take(limit) {
            let (k, v) = item?;
            visit(&k, &v);
            n += 1;
        }
        Ok(n)
    }

    fn summary(&self) -> EngineSummary {
        let s = self.db.stats();
        EngineSummary {
            levels: s
                .files_per_level
                .iter()
                .zip(&s.bytes_per_level)
                .map(|(&files, &bytes)| LevelShape {
                    files,
                    bytes: Some(bytes),
                })
                .collect(),
            write_amplification: Some(s.write_amplification()),
            table_write_amplification: Some(s.table_write_amplification()),
            disk_bytes: None,
            flushes: Some(s.flushes),
            compactions: Some(s.compactions),
            db_stats: Some(s),
        }
    }

    fn close(&self) -> Result<()> {
        Ok(self.db.close()?)
    }
}

#[cfg(feature = "yardstick")]
pub use yardstick::{FjallEngine, FjallOptions};

#[cfg(feature = "yardstick")]
mod yardstick {
    use super::{Engine, EngineSummary, LevelShape};
    use anyhow::Result;
    use bytes::Bytes;
    use fjall::{
        AbstractTree, CompressionType, Config, Keyspace, PartitionCreateOptions, PartitionHandle,
        PersistMode,
    };
    use std::path::Path;

    /// The settings of a fjall run, named like ferrolite's.
    #[derive(Clone, Copy, Debug)]
    pub struct FjallOptions {
        /// Memtable size in bytes (fjall's `max_memtable_size`; the keyspace's write buffer
        /// is set to twice it, at least fjall's default 64 MiB).
        pub memtable_bytes: u32,
        /// Block cache bytes.
        pub cache_bytes: u64,
        /// Bloom filter bits per key.
        pub bloom_bits: u8,
        /// `fdatasync` the journal after every write (`--sync every`); otherwise each write
        /// reaches the OS buffers, unsynced — fjall's default, like ferrolite's
        /// `SyncPolicy::None`.
        pub sync_every_write: bool,
    }

    /// A fjall (2.x) partition as an [`Engine`]: the "yardstick" — a production Rust LSM
    /// engine. Blocks are stored uncompressed, as ferrolite stores them.
    pub struct FjallEngine {
        keyspace: Keyspace,
        part: PartitionHandle,
        sync_every_write: bool,
    }

    impl FjallEngine {
        /// Open (or create) a keyspace in `path` with one partition, `bench`.
        pub fn open(path: impl AsRef<Path>, opts: FjallOptions) -> Result<Self> {
            let keyspace = Config::new(path.as_ref())
                .cache_size(opts.cache_bytes)
                .max_write_buffer_size((2 * u64::from(opts.memtable_bytes)).max(64 << 20))
                .open()?;
            let part = keyspace.open_partition(
                "bench",
                PartitionCreateOptions::default()
                    .compression(CompressionType::None)
                    .max_memtable_size(opts.memtable_bytes)
                    .bloom_filter_bits(Some(opts.bloom_bits)),
            )?;
            Ok(FjallEngine {
                keyspace,
                part,
                sync_every_write: opts.sync_every_write,
            })
        }

        fn synced(&self) -> Result<()> {
            if self.sync_every_write {
                self.keyspace.persist(PersistMode::SyncData)?;
            }
            Ok(())
        }
    }

    impl Engine for FjallEngine {
        fn name(&self) -> &str {
            "fjall"
        }

        fn put(&self, key: &[u8], value: &Bytes) -> Result<()> {
            self.part.insert(key, value.as_ref())?;
            self.synced()
        }

        fn get(&self, key: &[u8]) -> Result<Option<usize>> {
            Ok(self.part.get(key)?.map(|v| v.len()))
        }

        fn delete(&self, key: &[u8]) -> Result<()> {
            self.part.remove(key)?;
            self.synced()
        }

        fn scan(
            &self,
            start: &[u8],
            end: Option<&[u8]>,
            limit: usize,
            visit: &mut dyn FnMut(&[u8], &[u8]),
        ) -> Result<usize> {
            let mut n = 0;
            let mut each = |item: fjall::Result<fjall::KvPair>| -> Result<()> {
                let (k, v) = item?;
                visit(&k, &v);
                n += 1;
                Ok(())
            };
            match end {
                Some(end) => self
                    .part
                    .range(start..end)
                    .take(limit)
                    .try_for_each(&mut each)?,
                None => self
                    .part
                    .range(start..)
                    .take(limit)
                    .try_for_each(&mut each)?,
            }
            Ok(n)
        }

        fn summary(&self) -> EngineSummary {
            let tree = &self.part.tree;
            let levels = (0..)
                .map_while(|i| tree.level_segment_count(i))
                .map(|files| LevelShape { files, bytes: None })
                .collect();
            EngineSummary {
                levels,
                disk_bytes: Some(self.keyspace.disk_space()),
                flushes: Some(self.keyspace.flushes_completed() as u64),
                compactions: Some(self.keyspace.compactions_completed() as u64),
                ..EngineSummary::default()
            }
        }

        fn close(&self) -> Result<()> {
            Ok(self.keyspace.persist(PersistMode::SyncAll)?)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Benchmarks

/// A YCSB core workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ycsb {
    /// Update heavy: 50% reads, 50% updates.
    A,
    /// Read mostly: 95% reads, 5% updates.
    B,
    /// Read only.
    C,
    /// Read latest: 95% reads skewed to recent inserts, 5% inserts.
    D,
    /// Short ranges: 95% scans of 1..=100 entries, 5% inserts.
    E,
    /// Read-modify-write: 50% reads, 50% read-modify-writes.
    F,
}

/// The operation mix of a [`Ycsb`] workload, in percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YcsbMix {
    /// Point reads.
    pub read: u32,
    /// Overwrites of existing keys.
    pub update: u32,
    /// Writes of new keys.
    pub insert: u32,
    /// Short scans.
    pub scan: u32,
    /// Read then write the same key.
    pub rmw: u32,
    /// Reads pick recently inserted keys (YCSB's `latest` distribution) instead of zipfian.
    pub latest: bool,
}

impl Ycsb {
    /// All six, A to F.
    pub const ALL: [Ycsb; 6] = [Ycsb::A, Ycsb::B, Ycsb::C, Ycsb::D, Ycsb::E, Ycsb::F];

    /// The operation mix.
    pub fn mix(self) -> YcsbMix {
        let m = YcsbMix {
            read: 0,
            update: 0,
            insert: 0,
            scan: 0,
            rmw: 0,
            latest: false,
        };
        match self {
            Ycsb::A => YcsbMix {
                read: 50,
                update: 50,
                ..m
            },
            Ycsb::B => YcsbMix {
                read: 95,
                update: 5,
                ..m
            },
            Ycsb::C => YcsbMix { read: 100, ..m },
            Ycsb::D => YcsbMix {
                read: 95,
                insert: 5,
                latest: true,
                ..m
            },
            Ycsb::E => YcsbMix {
                scan: 95,
                insert: 5,
                ..m
            },
            Ycsb::F => YcsbMix {
                read: 50,
                rmw: 50,
                ..m
            },
        }
    }
}

/// One YCSB operation, on key numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YcsbOp {
    /// Read the key.
    Read(u64),
    /// Overwrite the key.
    Update(u64),
    /// Write a new key.
    Insert(u64),
    /// Scan this many entries from the key.
    Scan(u64, usize),
    /// Read the key, then write it.
    ReadModifyWrite(u64),
}

/// Draws the operations of a [`Ycsb`] workload for one thread.
#[derive(Debug)]
pub struct YcsbGen<'a> {
    mix: YcsbMix,
    keys: KeyGenerator,
    next_insert: &'a AtomicU64,
}

impl<'a> YcsbGen<'a> {
    /// A generator of `workload`'s operations over `space` (zipfian over the loaded keys),
    /// seeded with `seed`; inserts take key numbers from `next_insert` (shared by the
    /// threads; it starts at the number of loaded keys).
    pub fn new(workload: Ycsb, space: &KeySpace, seed: u64, next_insert: &'a AtomicU64) -> Self {
        YcsbGen {
            mix: workload.mix(),
            keys: space.generator(seed),
            next_insert,
        }
    }

    /// The next operation.
    pub fn next_op(&mut self) -> YcsbOp {
        let m = self.mix;
        let mut dice = self.keys.rng().random_range(0..100u32);
        if dice < m.read {
            let k = if m.latest {
                let newest = self.next_insert.load(Ordering::Relaxed).saturating_sub(1);
                newest.saturating_sub(self.keys.next_rank())
            } else {
                self.keys.next_key()
            };
            return YcsbOp::Read(k);
        }
        dice -= m.read;
        if dice < m.update {
            return YcsbOp::Update(self.keys.next_key());
        }
        dice -= m.update;
        if dice < m.insert {
            return YcsbOp::Insert(self.next_insert.fetch_add(1, Ordering::Relaxed));
        }
        dice -= m.insert;
        if dice < m.scan {
            let len = self.keys.rng().random_range(1..=YCSB_MAX_SCAN);
            return YcsbOp::Scan(self.keys.next_key(), len);
        }
        YcsbOp::ReadModifyWrite(self.keys.next_key())
    }
}

/// A benchmark, by db_bench's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Benchmark {
    /// Write keys in order.
    FillSeq,
    /// Write random keys.
    FillRandom,
    /// Write random keys (named for running after a fill).
    Overwrite,
    /// Get random keys.
    ReadRandom,
    /// Scan the database in order.
    ReadSeq,
    /// Delete random keys.
    DeleteRandom,
    /// Seek to a random key and read [`SEEK_NEXTS`] entries.
    SeekRandom,
    /// Reader threads get random keys while one more thread writes random keys.
    ReadWhileWriting,
    /// A YCSB core workload.
    Ycsb(Ycsb),
}

impl Benchmark {
    /// Every benchmark, in the order of [`Benchmark::name`]s in the help text.
    pub const ALL: [Benchmark; 14] = [
        Benchmark::FillSeq,
        Benchmark::FillRandom,
        Benchmark::Overwrite,
        Benchmark::ReadRandom,
        Benchmark::ReadSeq,
        Benchmark::DeleteRandom,
        Benchmark::SeekRandom,
        Benchmark::ReadWhileWriting,
        Benchmark::Ycsb(Ycsb::A),
        Benchmark::Ycsb(Ycsb::B),
        Benchmark::Ycsb(Ycsb::C),
        Benchmark::Ycsb(Ycsb::D),
        Benchmark::Ycsb(Ycsb::E),
        Benchmark::Ycsb(Ycsb::F),
    ];

    /// db_bench's name (`ycsba`..`ycsbf` for YCSB).
    pub fn name(self) -> &'static str {
        match self {
            Benchmark::FillSeq => "fillseq",
            Benchmark::FillRandom => "fillrandom",
            Benchmark::Overwrite => "overwrite",
            Benchmark::ReadRandom => "readrandom",
            Benchmark::ReadSeq => "readseq",
            Benchmark::DeleteRandom => "deleterandom",
            Benchmark::SeekRandom => "seekrandom",
            Benchmark::ReadWhileWriting => "readwhilewriting",
            Benchmark::Ycsb(Ycsb::A) => "ycsba",
            Benchmark::Ycsb(Ycsb::B) => "ycsbb",
            Benchmark::Ycsb(Ycsb::C) => "ycsbc",
            Benchmark::Ycsb(Ycsb::D) => "ycsbd",
            Benchmark::Ycsb(Ycsb::E) => "ycsbe",
            Benchmark::Ycsb(Ycsb::F) => "ycsbf",
        }
    }

    /// Every name, comma-separated.
    pub fn all_names() -> String {
        Benchmark::ALL.map(Benchmark::name).join(",")
    }
}

impl fmt::Display for Benchmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Benchmark {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        match Benchmark::ALL.iter().find(|b| b.name() == lower) {
            Some(&b) => Ok(b),
            None => bail!(
                "unknown benchmark `{s}` (known: {})",
                Benchmark::all_names()
            ),
        }
    }
}

/// What every benchmark of a run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchConfig {
    /// Key space (keys `0..num`) and the operation count of most benchmarks.
    pub num: u64,
    /// Operation count of `readrandom`, `seekrandom` and `readwhilewriting` (default `num`).
    pub reads: Option<u64>,
    /// Key bytes (at least 8).
    pub key_size: usize,
    /// Value bytes.
    pub value_size: usize,
    /// Threads sharing the engine (readers, for `readwhilewriting`).
    pub threads: usize,
    /// Base random seed.
    pub seed: u64,
    /// Entries read per seek of `seekrandom`.
    pub seek_nexts: usize,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            num: 1_000_000,
            reads: None,
            key_size: 16,
            value_size: 100,
            threads: 1,
            seed: 301,
            seek_nexts: SEEK_NEXTS,
        }
    }
}

/// Key number `i` as `size` bytes: zero-padded decimal, so keys sort numerically (numbers
/// with more than `size` digits keep their first `size`).
pub fn key(i: u64, size: usize) -> Vec<u8> {
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    let mut k = Vec::with_capacity(size);
    k.resize(size.saturating_sub(len), b'0');
    k.extend(digits[..len].iter().rev().take(size));
    k
}

/// Thread `t`'s part of `0..total` split over `threads` threads: contiguous, sizes differing
/// by at most one.
pub fn share(total: u64, threads: usize, t: usize) -> Range<u64> {
    let n = threads.max(1) as u128;
    let lo = (total as u128 * t as u128 / n) as u64;
    let hi = (total as u128 * (t as u128 + 1) / n) as u64;
    lo..hi
}

/// The kinds of operation latencies are kept for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpKind {
    Put,
    Get,
    Delete,
    Seek,
    Next,
    Read,
    Update,
    Insert,
    Scan,
    Rmw,
}

impl OpKind {
    const COUNT: usize = 10;
    const NAMES: [&'static str; OpKind::COUNT] = [
        "put", "get", "delete", "seek", "next", "read", "update", "insert", "scan", "rmw",
    ];
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3).expect("valid histogram bounds")
}

/// One thread's tallies.
struct Worker {
    ops: u64,
    bytes: u64,
    /// Point reads (or seeks) done, and how many found their key.
    looked: u64,
    found: u64,
    hists: [Option<Histogram<u64>>; OpKind::COUNT],
    /// When the thread started its operations, and when it ended them.
    begin: Instant,
    end: Instant,
    /// When the thread's previous operation ended.
    last: Instant,
    unreported: u64,
    bar: Option<ProgressBar>,
}

impl Worker {
    fn new(bar: Option<ProgressBar>) -> Self {
        let now = Instant::now();
        Worker {
            ops: 0,
            bytes: 0,
            looked: 0,
            found: 0,
            hists: Default::default(),
            begin: now,
            end: now,
            last: now,
            unreported: 0,
            bar,
        }
    }

    /// An operation of `kind` ended now.
    #[inline]
    fn done(&mut self, kind: OpKind) {
        let now = Instant::now();
        let ns = now.duration_since(self.last).as_nanos() as u64;
        self.last = now;
        self.hists[kind as usize]
            .get_or_insert_with(new_histogram)
            .saturating_record(ns.clamp(1, MAX_LATENCY_NS));
        self.ops += 1;
        self.unreported += 1;
        if self.unreported == PROGRESS_EVERY {
            if let Some(bar) = &self.bar {
                bar.inc(PROGRESS_EVERY);
            }
            self.unreported = 0;
        }
    }

    fn finish(&mut self) {
        self.end = Instant::now();
        if let Some(bar) = &self.bar {
            bar.inc(self.unreported);
        }
        self.unreported = 0;
    }
}

/// One benchmark's result.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The benchmark.
    pub benchmark: Benchmark,
    /// Threads whose operations are counted.
    pub threads: usize,
    /// Operations done.
    pub ops: u64,
    /// Wall time, seconds.
    pub secs: f64,
    /// Key and value bytes read or written.
    pub bytes: u64,
    /// Found counts and the like.
    pub note: String,
    /// Latency histograms (ns) per operation type, in a fixed order, non-empty ones only.
    pub latencies: Vec<(&'static str, Histogram<u64>)>,
}

/// The percentiles `--histogram` prints.
pub const PERCENTILES: [f64; 5] = [50.0, 75.0, 99.0, 99.9, 99.99];

impl Outcome {
    /// Operations per second of wall time.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.secs
    }

    /// db_bench's micros/op: threads × wall time / operations.
    pub fn micros_per_op(&self) -> f64 {
        self.threads as f64 * self.secs * 1e6 / self.ops.max(1) as f64
    }

    /// Bytes per second of wall time, in MB (10⁶ bytes; db_bench divides by 2²⁰).
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / self.secs / 1e6
    }

    /// Every operation's latency in one histogram (ns).
    pub fn all_latencies(&self) -> Option<Histogram<u64>> {
        let mut it = self.latencies.iter();
        let mut all = it.next()?.1.clone();
        for (_, h) in it {
            all.add(h).expect("same bounds");
        }
        Some(all)
    }

    /// The db_bench result line:
    /// `fillrandom   :       3.456 micros/op 289300 ops/sec;   33.1 MB/s (note)`.
    pub fn db_bench_line(&self) -> String {
        let mut s = format!(
            "{:<12} : {:>11.3} micros/op {:.0} ops/sec;",
            self.benchmark.name(),
            self.micros_per_op(),
            self.ops_per_sec()
        );
        if self.bytes > 0 {
            s.push_str(&format!(" {:>6.1} MB/s", self.mb_per_sec()));
        }
        if !self.note.is_empty() {
            s.push_str(&format!(" ({})", self.note));
        }
        s
    }

    /// Rows of `op, count, p50, p75, p99, p99.9, p99.99, max` in µs: one per operation type,
    /// and an `all` row when there are several.
    pub fn histogram_rows(&self) -> Vec<Vec<String>> {
        let row = |name: &str, h: &Histogram<u64>| {
            let mut r = vec![name.to_string(), h.len().to_string()];
            r.extend(
                PERCENTILES
                    .iter()
                    .map(|&p| micros(h.value_at_percentile(p))),
            );
            r.push(micros(h.max()));
            r
        };
        let mut rows: Vec<Vec<String>> = self.latencies.iter().map(|(n, h)| row(n, h)).collect();
        if self.latencies.len() > 1 {
            if let Some(all) = self.all_latencies() {
                rows.push(row("all", &all));
            }
        }
        rows
    }
}

/// Nanoseconds as microseconds with a sensible number of decimals.
pub fn micros(ns: u64) -> String {
    let us = ns as f64 / 1e3;
    if us < 10.0 {
        format!("{us:.2}")
    } else if us < 1000.0 {
        format!("{us:.1}")
    } else {
        format!("{us:.0}")
    }
}

/// Runs benchmarks on one engine.
pub struct Runner<'a> {
    engine: &'a dyn Engine,
    cfg: BenchConfig,
    value: Bytes,
    bar: Option<ProgressBar>,
    label: String,
    /// The next fresh key number for YCSB inserts.
    next_insert: AtomicU64,
    /// Benchmarks run so far (varies the seeds).
    round: AtomicU64,
    ycsb_space: OnceLock<KeySpace>,
}

impl<'a> Runner<'a> {
    /// A runner of benchmarks with `cfg` on `engine`.
    ///
    /// # Panics
    /// If `cfg.num` or `cfg.threads` is zero.
    pub fn new(engine: &'a dyn Engine, cfg: BenchConfig) -> Self {
        assert!(cfg.num > 0, "num must be positive");
        assert!(cfg.threads > 0, "threads must be positive");
        let value: Vec<u8> = (0..cfg.value_size).map(|i| b'a' + (i % 26) as u8).collect();
        Runner {
            engine,
            next_insert: AtomicU64::new(cfg.num),
            value: Bytes::from(value),
            cfg,
            bar: None,
            label: String::new(),
            round: AtomicU64::new(0),
            ycsb_space: OnceLock::new(),
        }
    }

    /// Report progress on `bar` (its length and message are set per benchmark, prefixed with
    /// `label`).
    pub fn with_progress(mut self, bar: ProgressBar, label: impl Into<String>) -> Self {
        self.bar = Some(bar);
        self.label = label.into();
        self
    }

    /// The configuration.
    pub fn config(&self) -> &BenchConfig {
        &self.cfg
    }

    fn key(&self, i: u64) -> Vec<u8> {
        key(i, self.cfg.key_size)
    }

    fn start_bar(&self, what: &str, len: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(len);
            bar.set_position(0);
            bar.set_message(format!("{} {what}", self.label).trim().to_string());
        }
    }

    /// Run `workers` threads of `body(thread index, tallies)`, released together; the first
    /// `counted` report progress. Returns their tallies and when the first one started.
    ///
    /// The start is the threads' own earliest clock reading, not the spawning thread's: on a
    /// machine with as many cores as workers, the spawning thread may wake from the barrier
    /// only after the workers are done.
    fn run_workers<F>(
        &self,
        workers: usize,
        counted: usize,
        body: F,
    ) -> Result<(Vec<Worker>, Instant)>
    where
        F: Fn(usize, &mut Worker) -> Result<()> + Sync,
    {
        let barrier = Barrier::new(workers + 1);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|t| {
                    let (barrier, body) = (&barrier, &body);
                    let bar = if t < counted { self.bar.clone() } else { None };
                    s.spawn(move || -> Result<Worker> {
                        let mut w = Worker::new(bar);
                        barrier.wait();
                        w.begin = Instant::now();
                        w.last = w.begin;
                        let r = body(t, &mut w);
                        w.finish();
                        r.map(|()| w)
                    })
                })
                .collect();
            barrier.wait();
            let mut out = Vec::with_capacity(workers);
            for h in handles {
                out.push(h.join().expect("benchmark thread panicked")?);
            }
            let start = out
                .iter()
                .map(|w| w.begin)
                .min()
                .unwrap_or_else(Instant::now);
            Ok((out, start))
        })
    }

    /// The seed of thread `t` in the current round.
    fn seed(&self, round: u64, t: usize) -> u64 {
        let mut x = self.cfg.seed ^ round.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x = x.wrapping_add((t as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9));
        x ^ (x >> 31)
    }

    /// Run `bench`.
    pub fn run(&self, bench: Benchmark) -> Result<Outcome> {
        let round = self.round.fetch_add(1, Ordering::Relaxed);
        let threads = self.cfg.threads;
        let num = self.cfg.num;
        let reads = self.cfg.reads.unwrap_or(num);
        let mut note = String::new();
        let (workers, start) = match bench {
            Benchmark::FillSeq
            | Benchmark::FillRandom
            | Benchmark::Overwrite
            | Benchmark::DeleteRandom => {
                self.start_bar(bench.name(), num);
                self.run_workers(threads, threads, |t, w| {
                    let mut rng = SmallRng::seed_from_u64(self.seed(round, t));
                    for i in share(num, threads, t) {
                        let k = match bench {
                            Benchmark::FillSeq => i,
                            _ => rng.random_range(0..num),
                        };
                        let k = self.key(k);
                        if bench == Benchmark::DeleteRandom {
                            self.engine.delete(&k)?;
                            w.bytes += k.len() as u64;
                            w.done(OpKind::Delete);
                        } else {
                            self.engine.put(&k, &self.value)?;
                            w.bytes += (k.len() + self.value.len()) as u64;
                            w.done(OpKind::Put);
                        }
                    }
                    Ok(())
                })?
            }
            Benchmark::ReadRandom | Benchmark::SeekRandom => {
                self.start_bar(bench.name(), reads);
                let r = self.run_workers(threads, threads, |t, w| {
                    let mut rng = SmallRng::seed_from_u64(self.seed(round, t));
                    for _ in share(reads, threads, t) {
                        let k = self.key(rng.random_range(0..num));
                        if bench == Benchmark::ReadRandom {
                            self.get(w, &k, OpKind::Get)?;
                        } else {
                            self.seek(w, &k)?;
                        }
                    }
                    Ok(())
                })?;
                note = found_note(&r.0);
                r
            }
            Benchmark::ReadSeq => {
                self.start_bar(bench.name(), num);
                let r = self.run_workers(threads, threads, |t, w| {
                    let part = share(num, threads, t);
                    let from = if t == 0 {
                        Vec::new()
                    } else {
                        self.key(part.start)
                    };
                    let to = (t + 1 < threads).then(|| self.key(part.end));
                    self.engine
                        .scan(&from, to.as_deref(), usize::MAX, &mut |k, v| {
                            w.bytes += (k.len() + v.len()) as u64;
                            w.done(OpKind::Next);
                        })?;
                    Ok(())
                })?;
                note = format!("{} entries", r.0.iter().map(|w| w.ops).sum::<u64>());
                r
            }
            Benchmark::ReadWhileWriting => {
                self.start_bar(bench.name(), reads);
                let stop = AtomicBool::new(false);
                let readers_left = AtomicUsize::new(threads);
                let (mut workers, start) = self.run_workers(threads + 1, threads, |t, w| {
                    let mut rng = SmallRng::seed_from_u64(self.seed(round, t));
                    if t == threads {
                        while !stop.load(Ordering::Relaxed) {
                            let k = self.key(rng.random_range(0..num));
                            self.engine.put(&k, &self.value)?;
                            w.done(OpKind::Put);
                        }
                        return Ok(());
                    }
                    let mut result = Ok(());
                    for _ in share(reads, threads, t) {
                        let k = self.key(rng.random_range(0..num));
                        if let Err(e) = self.get(w, &k, OpKind::Get) {
                            result = Err(e);
                            break;
                        }
                    }
                    if readers_left.fetch_sub(1, Ordering::AcqRel) == 1 {
                        stop.store(true, Ordering::Relaxed);
                    }
                    result
                })?;
                let writer = workers.pop().expect("the writer");
                note = format!("{}; writer did {} puts", found_note(&workers), writer.ops);
                (workers, start)
            }
            Benchmark::Ycsb(workload) => {
                if let Some((loaded, secs)) = self.load_if_empty()? {
                    note = format!("loaded {loaded} keys in {secs:.2} s first; ");
                }
                let space = self
                    .ycsb_space
                    .get_or_init(|| KeySpace::new(num, KeyDist::zipf()));
                self.start_bar(bench.name(), num);
                let r = self.run_workers(threads, threads, |t, w| {
                    let mut gen =
                        YcsbGen::new(workload, space, self.seed(round, t), &self.next_insert);
                    for _ in share(num, threads, t) {
                        self.ycsb_op(w, gen.next_op())?;
                    }
                    Ok(())
                })?;
                let looked: u64 = r.0.iter().map(|w| w.looked).sum();
                if looked > 0 {
                    note.push_str(&format!("reads: {}", found_note(&r.0)));
                }
                r
            }
        };
        let end = workers.iter().map(|w| w.end).max().unwrap_or(start);
        let secs = end.saturating_duration_since(start).as_secs_f64().max(1e-9);
        let mut hists: [Option<Histogram<u64>>; OpKind::COUNT] = Default::default();
        for w in &workers {
            for (acc, h) in hists.iter_mut().zip(&w.hists) {
                if let Some(h) = h {
                    match acc {
                        Some(a) => a.add(h).expect("same bounds"),
                        None => *acc = Some(h.clone()),
                    }
                }
            }
        }
        Ok(Outcome {
            benchmark: bench,
            threads,
            ops: workers.iter().map(|w| w.ops).sum(),
            secs,
            bytes: workers.iter().map(|w| w.bytes).sum(),
            note: note.trim_end_matches([';', ' ']).to_string(),
            latencies: hists
                .into_iter()
                .enumerate()
                .filter_map(|(i, h)| h.map(|h| (OpKind::NAMES[i], h)))
                .collect(),
        })
    }

    fn get(&self, w: &mut Worker, k: &[u8], kind: OpKind) -> Result<()> {
        w.looked += 1;
        if let Some(len) = self.engine.get(k)? {
            w.found += 1;
            w.bytes += (k.len() + len) as u64;
        }
        w.done(kind);
        Ok(())
    }

    fn seek(&self, w: &mut Worker, k: &[u8]) -> Result<()> {
        w.looked += 1;
        let mut first = true;
        let mut bytes = 0;
        let mut hit = false;
        self.engine
            .scan_from(k, self.cfg.seek_nexts, &mut |key, v| {
                if first {
                    hit = key == k;
                    first = false;
                }
                bytes += (key.len() + v.len()) as u64;
            })?;
        w.found += u64::from(hit);
        w.bytes += bytes;
        w.done(OpKind::Seek);
        Ok(())
    }

    fn ycsb_op(&self, w: &mut Worker, op: YcsbOp) -> Result<()> {
        match op {
            YcsbOp::Read(i) => self.get(w, &self.key(i), OpKind::Read)?,
            YcsbOp::Update(i) | YcsbOp::Insert(i) => {
                let k = self.key(i);
                self.engine.put(&k, &self.value)?;
                w.bytes += (k.len() + self.value.len()) as u64;
                w.done(if matches!(op, YcsbOp::Update(_)) {
                    OpKind::Update
                } else {
                    OpKind::Insert
                });
            }
            YcsbOp::Scan(i, len) => {
                let mut bytes = 0;
                self.engine.scan_from(&self.key(i), len, &mut |k, v| {
                    bytes += (k.len() + v.len()) as u64;
                })?;
                w.bytes += bytes;
                w.done(OpKind::Scan);
            }
            YcsbOp::ReadModifyWrite(i) => {
                let k = self.key(i);
                w.looked += 1;
                if let Some(len) = self.engine.get(&k)? {
                    w.found += 1;
                    w.bytes += (k.len() + len) as u64;
                }
                self.engine.put(&k, &self.value)?;
                w.bytes += (k.len() + self.value.len()) as u64;
                w.done(OpKind::Rmw);
            }
        }
        Ok(())
    }

    /// YCSB's load phase: keys `0..num` in order, if the engine holds nothing.
    fn load_if_empty(&self) -> Result<Option<(u64, f64)>> {
        if self.engine.scan(b"", None, 1, &mut |_, _| {})? > 0 {
            return Ok(None);
        }
        let num = self.cfg.num;
        let threads = self.cfg.threads;
        self.start_bar("ycsb load", num);
        let (workers, start) = self.run_workers(threads, threads, |t, w| {
            for i in share(num, threads, t) {
                self.engine.put(&self.key(i), &self.value)?;
                w.done(OpKind::Put);
            }
            Ok(())
        })?;
        let end = workers.iter().map(|w| w.end).max().unwrap_or(start);
        Ok(Some((
            num,
            end.saturating_duration_since(start).as_secs_f64(),
        )))
    }
}

fn found_note(workers: &[Worker]) -> String {
    let looked: u64 = workers.iter().map(|w| w.looked).sum();
    let found: u64 = workers.iter().map(|w| w.found).sum();
    format!("{found} of {looked} found")
}

// ---------------------------------------------------------------------------------------------
// The header

/// The machine, for the header: CPU model and count, from `/proc/cpuinfo` where there is one.
pub fn cpu_description() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    let processors = info
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
        .count();
    let count = if processors > 0 { processors } else { cores };
    let model = field("model name")
        .or_else(|| field("Model"))
        .or_else(|| field("cpu model"))
        .unwrap_or_else(|| format!("unknown CPU ({})", std::env::consts::ARCH));
    let mut s = format!("{count} * {model}");
    if cores > 0 && cores != count {
        s.push_str(&format!(" ({cores} available to this process)"));
    }
    if let Some(cache) = field("cache size") {
        s.push_str(&format!("; cache {cache}"));
    }
    s
}

/// The current time in UTC as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_datetime(secs)
}

/// Seconds since the Unix epoch as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn utc_datetime(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let (y, m, d) = civil_date(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01. Counts in 400-year cycles of
/// 146 097 days from a year taken to start on 1 March, so the leap day ends the year.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days from 0000-03-01
    let cycle = z.div_euclid(146_097);
    let day_of_cycle = z.rem_euclid(146_097);
    let year_of_cycle =
        (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36_524 - day_of_cycle / 146_096) / 365;
    let day_of_year =
        day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_cycle + cycle * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(n: u64) -> AtomicU64 {
        AtomicU64::new(n)
    }

    #[test]
    fn keys_are_padded_decimals() {
        assert_eq!(key(42, 8), b"00000042");
        assert_eq!(key(0, 3), b"000");
        assert_eq!(key(123_456, 4), b"1234");
        assert_eq!(key(u64::MAX, 20), u64::MAX.to_string().as_bytes());
        for i in [0u64, 9, 10, 99_999, 1_000_000] {
            assert_eq!(key(i, 16), format!("{i:016}").into_bytes());
        }
    }

    #[test]
    fn shares_cover_the_range() {
        for (total, threads) in [(10u64, 3usize), (7, 7), (2, 4), (1_000_000, 2)] {
            let mut next = 0;
            for t in 0..threads {
                let r = share(total, threads, t);
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, total);
        }
    }

    #[test]
    fn benchmark_names_round_trip() {
        for b in Benchmark::ALL {
            assert_eq!(b.name().parse::<Benchmark>().unwrap(), b);
        }
        assert!("readmostly".parse::<Benchmark>().is_err());
    }

    #[test]
    fn mixes_add_up_to_100() {
        for w in Ycsb::ALL {
            let m = w.mix();
            assert_eq!(m.read + m.update + m.insert + m.scan + m.rmw, 100, "{w:?}");
        }
    }

    fn draw(w: Ycsb, n: usize) -> (Vec<YcsbOp>, u64) {
        let space = KeySpace::new(10_000, KeyDist::zipf());
        let next = counter(10_000);
        let mut g = YcsbGen::new(w, &space, 11, &next);
        let ops = (0..n).map(|_| g.next_op()).collect();
        (ops, next.load(Ordering::Relaxed))
    }

    #[test]
    fn ycsb_a_reads_half_the_time() {
        let (ops, inserted) = draw(Ycsb::A, 10_000);
        let reads = ops.iter().filter(|o| matches!(o, YcsbOp::Read(_))).count();
        let updates = ops
            .iter()
            .filter(|o| matches!(o, YcsbOp::Update(_)))
            .count();
        assert_eq!(reads + updates, 10_000);
        assert!((4_700..=5_300).contains(&reads), "{reads} reads");
        assert_eq!(inserted, 10_000, "A inserts nothing");
    }

    #[test]
    fn ycsb_b_c_f_mixes() {
        let (b, _) = draw(Ycsb::B, 10_000);
        let updates = b.iter().filter(|o| matches!(o, YcsbOp::Update(_))).count();
        assert!((350..=650).contains(&updates), "B: {updates} updates");
        let (c, _) = draw(Ycsb::C, 1_000);
        assert!(c.iter().all(|o| matches!(o, YcsbOp::Read(_))));
        let (f, _) = draw(Ycsb::F, 10_000);
        let rmw = f
            .iter()
            .filter(|o| matches!(o, YcsbOp::ReadModifyWrite(_)))
            .count();
        assert!((4_700..=5_300).contains(&rmw), "F: {rmw} rmw");
    }

    #[test]
    fn ycsb_keys_are_zipfian() {
        let (ops, _) = draw(Ycsb::C, 10_000);
        let mut counts = std::collections::HashMap::new();
        for o in &ops {
            let YcsbOp::Read(k) = o else { unreachable!() };
            assert!(*k < 10_000);
            *counts.entry(*k).or_insert(0u32) += 1;
        }
        // The hottest key gets about 1/ζ(10⁴, 0.99) ≈ 10% of the draws; uniform would be 0.01%.
        let top = counts.values().max().copied().unwrap_or(0);
        assert!(top > 600, "hottest key drawn {top} times");
    }

    #[test]
    fn ycsb_d_reads_recent_keys_and_inserts_new_ones() {
        let (ops, next) = draw(Ycsb::D, 10_000);
        let inserts: Vec<u64> = ops
            .iter()
            .filter_map(|o| match o {
                YcsbOp::Insert(k) => Some(*k),
                _ => None,
            })
            .collect();
        assert!((350..=650).contains(&inserts.len()), "{}", inserts.len());
        // Fresh keys, in order, from the counter.
        assert!(inserts.windows(2).all(|w| w[1] == w[0] + 1));
        assert_eq!(inserts.first(), Some(&10_000));
        assert_eq!(next, 10_000 + inserts.len() as u64);
        // Reads crowd onto the newest keys: most fall among the latest 1% of the key space
        // (uniform reads would put 1% there).
        let mut newest = 9_999;
        let mut recent = 0;
        let mut reads = 0;
        for o in &ops {
            match o {
                YcsbOp::Insert(k) => newest = *k,
                YcsbOp::Read(k) => {
                    assert!(*k <= newest);
                    reads += 1;
                    recent += u32::from(newest - k < 100);
                }
                _ => unreachable!(),
            }
        }
        assert!(
            recent * 10 > reads * 4,
            "{recent} of {reads} reads in the latest 100 keys"
        );
    }

    #[test]
    fn ycsb_e_scans_1_to_100() {
        let (ops, _) = draw(Ycsb::E, 10_000);
        let lens: Vec<usize> = ops
            .iter()
            .filter_map(|o| match o {
                YcsbOp::Scan(_, len) => Some(*len),
                _ => None,
            })
            .collect();
        assert!(
            (9_300..=9_700).contains(&lens.len()),
            "{} scans",
            lens.len()
        );
        assert!(lens.iter().all(|l| (1..=YCSB_MAX_SCAN).contains(l)));
        assert!(lens.contains(&1) && lens.contains(&YCSB_MAX_SCAN));
        let mean = lens.iter().sum::<usize>() as f64 / lens.len() as f64;
        assert!((45.0..56.0).contains(&mean), "mean scan length {mean}");
    }

    #[test]
    fn dates() {
        assert_eq!(utc_datetime(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_datetime(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_datetime(1_709_251_199), "2024-02-29 23:59:59 UTC");
        assert_eq!(utc_datetime(4_102_444_800), "2100-01-01 00:00:00 UTC");
        assert!(!cpu_description().is_empty());
    }

    /// Every benchmark in order, 2 000 operations on 2 threads; each did some operations.
    fn run_every_benchmark(engine: &dyn Engine) -> Vec<(Benchmark, Outcome)> {
        let cfg = BenchConfig {
            num: 2_000,
            threads: 2,
            ..BenchConfig::default()
        };
        let runner = Runner::new(engine, cfg);
        Benchmark::ALL
            .into_iter()
            .map(|bench| {
                let o = runner.run(bench).unwrap();
                assert!(o.ops > 0, "{bench}");
                (bench, o)
            })
            .collect()
    }

    #[test]
    fn every_benchmark_runs_on_ferrolite() {
        let dir = tempfile::tempdir().unwrap();
        let engine =
            FerroliteEngine::open(dir.path(), Options::default().memtable_size(256 << 10)).unwrap();
        for (bench, o) in run_every_benchmark(&engine) {
            assert!(o.secs > 0.0);
            assert!(!o.latencies.is_empty(), "{bench}");
            let total: u64 = o.latencies.iter().map(|(_, h)| h.len()).sum();
            assert_eq!(total, o.ops, "{bench}: every operation is timed");
            assert!(o.db_bench_line().starts_with(bench.name()));
            match bench {
                Benchmark::FillSeq | Benchmark::ReadSeq => assert_eq!(o.ops, 2_000, "{bench}"),
                Benchmark::ReadRandom => {
                    assert_eq!(o.note, "2000 of 2000 found");
                }
                Benchmark::SeekRandom => assert!(o.note.ends_with("of 2000 found"), "{}", o.note),
                Benchmark::ReadWhileWriting => assert!(o.note.contains("writer did"), "{}", o.note),
                Benchmark::Ycsb(Ycsb::A) => {
                    // After deleterandom the database is not empty: no load.
                    assert!(!o.note.contains("loaded"), "{}", o.note);
                    assert_eq!(o.ops, 2_000);
                }
                _ => assert_eq!(o.ops, 2_000, "{bench}"),
            }
        }
        let s = engine.summary();
        assert!(s.write_amplification.unwrap() > 1.0);
        engine.close().unwrap();
    }

    #[cfg(feature = "yardstick")]
    #[test]
    fn every_benchmark_runs_on_fjall() {
        let dir = tempfile::tempdir().unwrap();
        let engine = FjallEngine::open(
            dir.path(),
            FjallOptions {
                memtable_bytes: 256 << 10,
                cache_bytes: 8 << 20,
                bloom_bits: 10,
                sync_every_write: false,
            },
        )
        .unwrap();
        for (bench, o) in run_every_benchmark(&engine) {
            if bench == Benchmark::ReadRandom {
                assert_eq!(o.note, "2000 of 2000 found");
            }
            if bench == Benchmark::ReadSeq {
                assert_eq!(o.ops, 2_000);
            }
        }
        assert!(!engine.summary().levels.is_empty());
        engine.close().unwrap();
    }

    #[test]
    fn ycsb_loads_an_empty_database() {
        let dir = tempfile::tempdir().unwrap();
        let engine = FerroliteEngine::open(dir.path(), Options::default()).unwrap();
        let cfg = BenchConfig {
            num: 1_000,
            ..BenchConfig::default()
        };
        let runner = Runner::new(&engine, cfg);
        let o = runner.run(Benchmark::Ycsb(Ycsb::C)).unwrap();
        assert!(o.note.starts_with("loaded 1000 keys"), "{}", o.note);
        assert!(o.note.ends_with("reads: 1000 of 1000 found"), "{}", o.note);
        let o = runner.run(Benchmark::Ycsb(Ycsb::D)).unwrap();
        assert!(!o.note.contains("loaded"), "{}", o.note);
        engine.close().unwrap();
    }
}
