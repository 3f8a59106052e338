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
//! Budget: [`Mode::pick`]`(2, 20, 120)` seconds, or [`SECS_VAR`]. Seed: `FERROLITE_MODEL_SEED`
//! (printed, and in every failure message); a seed fixes each thread's operation stream, not
//! the interleaving. Directories under [`crate::engine_model::scratch_root`]. A run that makes
//! no progress for [`HANG_SECS`] seconds is reported and ends the process (status 3). Runs in
//! one process are serialised so that each measures its own memory.

use crate::engine_model::scratch_root;
use crate::model::{seed_from_env, SEED_VAR};
use crate::rng::step as splitmix;
use crate::{report, Mode};
use ferrolite::{Db, DbStats, MapKind, Options, Snapshot, SyncPolicy, WriteBatch};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::panic;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Worker threads.
pub const THREADS: usize = 8;

/// Keys each thread owns.
pub const KEYS_PER_THREAD: u32 = 2048;

/// The environment variable that overrides the run time in seconds (a decimal number).
pub const SECS_VAR: &str = "FERROLITE_SOAK_SECS";

/// A run whose operation count does not move for this long is reported as hung.
pub const HANG_SECS: u64 = 120;

/// How long past its time budget a run may go on waiting for a first flush and compaction.
pub const EXTENSION_SECS: u64 = 60;

/// Snapshots one thread holds at most.
const MAX_HELD: usize = 2;

/// Other threads' keys a held snapshot remembers (to re-read them later).
const HELD_OTHERS: usize = 64;

/// Largest value written, in bytes.
pub const MAX_VALUE: u32 = 128 << 10;

/// Largest batch.
const MAX_BATCH: usize = 8;

/// Bytes of a value's header: magic, owner, key index, version, length.
const HEADER: usize = 18;

/// Bytes of a value's checksum trailer.
const TRAILER: usize = 8;

/// Smallest value.
const MIN_VALUE: u32 = (HEADER + TRAILER) as u32;

const MAGIC: u8 = 0xA7;

/// Fixed allowance in the memory bound for the allocator's per-thread arenas and
/// fragmentation, thread stacks, the test harness and everything else not sized by an option.
pub const RSS_SLACK_KIB: u64 = 64 << 10;

/// What a soak run did and saw.
#[derive(Clone, Debug)]
pub struct SoakReport {
    /// The memtable kind.
    pub kind: MapKind,
    /// The seed of the threads' operation streams.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// The time budget.
    pub budget: Duration,
    /// How long the workers actually ran.
    pub elapsed: Duration,
    /// Operations (API calls) made by the workers.
    pub ops: u64,
    /// Per kind of operation.
    pub counts: OpCounts,
    /// Flushes, compactions, trivial moves, stalls, bytes … from the engine at the end.
    pub stats: DbStats,
    /// Keys compared in the final checks (scan entries and gets, before and after reopen).
    pub keys_checked: u64,
    /// Live keys at the end.
    pub live_keys: u64,
    /// RSS before the database was opened, KiB (0 where `/proc/self/status` is unreadable).
    pub baseline_rss_kib: u64,
    /// Highest RSS sampled, KiB.
    pub peak_rss_kib: u64,
    /// `peak_rss_kib - baseline_rss_kib`.
    pub rss_growth_kib: u64,
    /// The bound the growth was checked against, KiB.
    pub rss_bound_kib: u64,
    /// RSS samples taken.
    pub rss_samples: u64,
}

/// Operations by kind, summed over the threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpCounts {
    /// Single puts.
    pub puts: u64,
    /// Puts (single or in a batch) to a key that was live: overwrites.
    pub overwrites: u64,
    /// Single deletes.
    pub deletes: u64,
    /// Multi-op batches.
    pub batches: u64,
    /// Operations inside those batches.
    pub batch_ops: u64,
    /// Values over 32 KiB written.
    pub large_values: u64,
    /// Gets of the thread's own keys (read-your-writes checks included).
    pub own_gets: u64,
    /// Gets of other threads' keys.
    pub other_gets: u64,
    /// Scans (own range and across others').
    pub scans: u64,
    /// Entries read by those scans.
    pub scanned: u64,
    /// Snapshots taken.
    pub snapshots: u64,
    /// Reads through held snapshots (gets and scans).
    pub snapshot_reads: u64,
    /// User `flush()` calls.
    pub user_flushes: u64,
    /// Values of other threads' keys checked (gets, scans, snapshot reads).
    pub foreign_values: u64,
}

impl OpCounts {
    fn add(&mut self, o: &OpCounts) {
        self.puts += o.puts;
        self.overwrites += o.overwrites;
        self.deletes += o.deletes;
        self.batches += o.batches;
        self.batch_ops += o.batch_ops;
        self.large_values += o.large_values;
        self.own_gets += o.own_gets;
        self.other_gets += o.other_gets;
        self.scans += o.scans;
        self.scanned += o.scanned;
        self.snapshots += o.snapshots;
        self.snapshot_reads += o.snapshot_reads;
        self.user_flushes += o.user_flushes;
        self.foreign_values += o.foreign_values;
    }
}

impl fmt::Display for SoakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        writeln!(
            f,
            "soak: memtable {}, seed {:#x}, {} threads, {:.1} s (budget {:.1} s): {} ops",
            self.kind,
            self.seed,
            self.threads,
            self.elapsed.as_secs_f64(),
            self.budget.as_secs_f64(),
            self.ops
        )?;
        writeln!(
            f,
            "  writes: {} puts ({} overwrites over puts and batches, {} values > 32 KiB), {} deletes, \
             {} batches of {} ops; user flushes {}",
            c.puts, c.overwrites, c.large_values, c.deletes, c.batches, c.batch_ops, c.user_flushes
        )?;
        writeln!(
            f,
            "  reads: {} own gets, {} other gets, {} scans ({} entries), {} snapshots ({} reads \
             through them), {} foreign values checked",
            c.own_gets,
            c.other_gets,
            c.scans,
            c.scanned,
            c.snapshots,
            c.snapshot_reads,
            c.foreign_values
        )?;
        writeln!(
            f,
            "  engine: {} flushes, {} compactions ({} trivial moves), table write amplification \
             {:.1}, {} stalls ({:?}), {} MiB of user data written, files per level {:?}",
            self.stats.flushes,
            self.stats.compactions,
            self.stats.trivial_moves,
            self.stats.table_write_amplification(),
            self.stats.stalls,
            self.stats.stall_time(),
            self.stats.user_bytes >> 20,
            self.stats.files_per_level
        )?;
        writeln!(
            f,
            "  final check: {} keys compared (scan + gets, before and after reopen), {} live keys",
            self.keys_checked, self.live_keys
        )?;
        write!(
            f,
            "  memory: RSS {} KiB before, peak {} KiB ({} samples), growth {} KiB, bound {} KiB",
            self.baseline_rss_kib,
            self.peak_rss_kib,
            self.rss_samples,
            self.rss_growth_kib,
            self.rss_bound_kib
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Options, budget, bound
// ---------------------------------------------------------------------------------------------

/// The options of a soak run over `kind`: small memtables and level sizes so that the
/// background workers flush and compact many times; a small block cache and recent-writes map.
/// The WAL policy comes from `seed` (the three ways writers hand over commits): none, buffered
/// (2 ms) or group commit (200 µs).
pub fn options(kind: MapKind, seed: u64) -> Options {
    let sync = match seed % 3 {
        0 => SyncPolicy::None,
        1 => SyncPolicy::Buffered {
            max_delay: Duration::from_millis(2),
        },
        _ => SyncPolicy::GroupCommit {
            max_delay: Duration::from_micros(200),
        },
    };
    Options::default()
        .memtable(kind)
        .memtable_size(256 << 10)
        .max_immutable_memtables(2)
        .l0_compaction_trigger(2)
        .l0_slowdown_trigger(4)
        .l0_stop_trigger(8)
        .level1_size(4 << 20)
        .level_size_multiplier(8)
        .target_file_size(1 << 20)
        .block_cache_bytes(4 << 20)
        .recent_writes_bytes(1 << 20)
        .background_threads(2)
        .sync(sync)
}

/// The run time of `mode` (2, 20 or 120 s), or [`SECS_VAR`].
pub fn budget(mode: Mode) -> Duration {
    match std::env::var(SECS_VAR) {
        Ok(s) if !s.trim().is_empty() => {
            let secs: f64 = s
                .trim()
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite() && *x > 0.0)
                .unwrap_or_else(|| panic!("{SECS_VAR}={s}: expected a positive number of seconds"));
            Duration::from_secs_f64(secs)
        }
        _ => Duration::from_secs(mode.pick(2, 20, 120)),
    }
}

/// The bound on RSS growth for `opts`, in KiB: what the engine may legitimately hold in memory
/// — the active and frozen memtables (×4 for the maps' node overhead, plus the partly used
/// arena chunks of the `noreclaim` map), the block cache and the
/// recent-writes map (×2 for their own bookkeeping) — plus the checker's own state (per thread
/// the live model, [`MAX_HELD`] snapshot copies and the versions seen of the other threads'
/// keys, 64 B an entry), the values in flight (a batch of the largest values per thread,
/// twice: encoded, and in the WAL record) and [`RSS_SLACK_KIB`]. It does not grow with the
/// bytes written or the time run.
pub fn rss_bound_kib(opts: &Options) -> u64 {
    let in_memory = opts.max_immutable_memtables as u64 + 1;
    let mut memtables = opts.memtable_size as u64 * in_memory * 4;
    if opts.memtable == MapKind::NoReclaim {
        // Its nodes live in per-thread bump arenas of 256 KiB chunks: one partly used chunk
        // per memtable and thread that inserted (any writer may lead a commit group).
        memtables += in_memory * (THREADS + opts.background_threads) as u64 * (256 << 10);
    }
    let cache = opts.block_cache_bytes * 2;
    let index = opts.recent_writes_bytes * 2;
    let keys = u64::from(KEYS_PER_THREAD);
    let checker = THREADS as u64 * keys * (MAX_HELD as u64 + 1 + THREADS as u64 - 1) * 64;
    let in_flight = THREADS as u64 * MAX_BATCH as u64 * u64::from(MAX_VALUE) * 2;
    (memtables + cache + index + checker + in_flight) / 1024 + RSS_SLACK_KIB
}

/// The process's resident set size in KiB (`VmRSS`), if `/proc/self/status` says.
pub fn read_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line["VmRSS:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------------------------
// Keys and values
// ---------------------------------------------------------------------------------------------

/// The key of index `idx` of thread `owner`: `s<tt>/<iiiii>` (key order = (owner, idx)).
pub fn key(owner: usize, idx: u32) -> Vec<u8> {
    format!("s{owner:02}/{idx:05}").into_bytes()
}

/// Thread `owner`'s key prefix.
fn prefix(owner: usize) -> Vec<u8> {
    format!("s{owner:02}/").into_bytes()
}

/// `(owner, idx)` of a key written by [`key`].
pub fn parse_key(k: &[u8]) -> Option<(usize, u32)> {
    let s = std::str::from_utf8(k).ok()?;
    let rest = s.strip_prefix('s')?;
    let (o, i) = rest.split_once('/')?;
    if o.len() != 2 || i.len() != 5 {
        return None;
    }
    let owner: usize = o.parse().ok()?;
    let idx: u32 = i.parse().ok()?;
    (owner < THREADS && idx < KEYS_PER_THREAD).then_some((owner, idx))
}

/// What a value says about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueHeader {
    /// The thread that wrote it.
    pub owner: u8,
    /// The key index it was written under.
    pub idx: u32,
    /// The owner's operation counter when it was written.
    pub version: u64,
    /// Total length in bytes.
    pub len: u32,
}

impl fmt::Display for ValueHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} v{} ({} B)",
            String::from_utf8_lossy(&key(self.owner as usize, self.idx)),
            self.version,
            self.len
        )
    }
}

fn payload_seed(h: &ValueHeader) -> u64 {
    let mut s = u64::from(h.owner) << 56 ^ u64::from(h.idx) << 32 ^ u64::from(h.len);
    splitmix(&mut s) ^ h.version.wrapping_mul(0xD6E8_FEB8_6659_FD93)
}

/// The checksum of a value's first bytes: a multiply-rotate hash over 8-byte words (the
/// tail zero-padded), seeded with the length.
fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325 ^ bytes.len() as u64;
    for chunk in bytes.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(w))
            .wrapping_mul(0x0000_0100_0000_01B3)
            .rotate_left(29);
    }
    h ^ (h >> 32)
}

/// The value `h` describes: header, a payload derived from the header, checksum.
pub fn encode(h: &ValueHeader) -> Vec<u8> {
    assert!(h.len >= MIN_VALUE, "value length {} < {MIN_VALUE}", h.len);
    let mut v = Vec::with_capacity(h.len as usize);
    v.push(MAGIC);
    v.push(h.owner);
    v.extend_from_slice(&h.idx.to_le_bytes());
    v.extend_from_slice(&h.version.to_le_bytes());
    v.extend_from_slice(&h.len.to_le_bytes());
    let body = h.len as usize - TRAILER;
    let mut s = payload_seed(h);
    while v.len() < body {
        let w = splitmix(&mut s).to_le_bytes();
        let n = (body - v.len()).min(8);
        v.extend_from_slice(&w[..n]);
    }
    let sum = checksum(&v);
    v.extend_from_slice(&sum.to_le_bytes());
    v
}

/// Check a value read back: magic, length, checksum, and the payload its header implies.
pub fn decode(v: &[u8]) -> Result<ValueHeader, String> {
    if v.len() < MIN_VALUE as usize {
        return Err(format!("{} B is shorter than any value written", v.len()));
    }
    if v[0] != MAGIC {
        return Err(format!("bad magic byte {:#04x}", v[0]));
    }
    let u32_at = |at: usize| u32::from_le_bytes(v[at..at + 4].try_into().expect("4 bytes"));
    let h = ValueHeader {
        owner: v[1],
        idx: u32_at(2),
        version: u64::from_le_bytes(v[6..14].try_into().expect("8 bytes")),
        len: u32_at(14),
    };
    if h.len as usize != v.len() {
        return Err(format!("header says {} B, value has {} B", h.len, v.len()));
    }
    let body = v.len() - TRAILER;
    let sum = u64::from_le_bytes(v[body..].try_into().expect("8 bytes"));
    if checksum(&v[..body]) != sum {
        return Err(format!("checksum mismatch (header {h:?})"));
    }
    let mut s = payload_seed(&h);
    for (i, chunk) in v[HEADER..body].chunks(8).enumerate() {
        let w = splitmix(&mut s).to_le_bytes();
        if chunk != &w[..chunk.len()] {
            return Err(format!(
                "payload differs from the one its header implies at byte {} (header {h:?})",
                HEADER + i * 8
            ));
        }
    }
    Ok(h)
}

/// A value read, for messages.
fn describe(v: Option<&[u8]>) -> String {
    match v {
        None => "absent".into(),
        Some(b) => match decode(b) {
            Ok(h) => h.to_string(),
            Err(e) => format!(
                "{} B that do not decode ({e}); first bytes {:02x?}",
                b.len(),
                &b[..b.len().min(24)]
            ),
        },
    }
}

/// An expected state of a key, for messages.
fn describe_expected(owner: usize, idx: u32, e: Option<(u64, u32)>) -> String {
    match e {
        None => "absent".into(),
        Some((version, len)) => ValueHeader {
            owner: owner as u8,
            idx,
            version,
            len,
        }
        .to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut s = seed ^ stream.wrapping_mul(0xA24B_AED4_963E_E407);
        splitmix(&mut s);
        Rng(s)
    }
    fn next(&mut self) -> u64 {
        splitmix(&mut self.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: u64, hi_incl: u64) -> u64 {
        lo + self.below(hi_incl - lo + 1)
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn value_len(&mut self) -> u32 {
        let r = self.below(100);
        let (lo, hi) = match r {
            0..60 => (u64::from(MIN_VALUE), 128),
            60..85 => (129, 4 << 10),
            85..97 => ((4 << 10) + 1, 32 << 10),
            _ => ((32 << 10) + 1, u64::from(MAX_VALUE)),
        };
        self.range(lo, hi) as u32
    }
}

// ---------------------------------------------------------------------------------------------
// Workers
// ---------------------------------------------------------------------------------------------

type Model = BTreeMap<u32, (u64, u32)>;

/// What every worker shares.
struct Shared<'a> {
    db: &'a Db,
    kind: MapKind,
    seed: u64,
    stop: AtomicBool,
    failed: AtomicBool,
    finished: AtomicUsize,
    /// Per owner: the highest version it has started writing (stored before the write).
    issued: Vec<AtomicU64>,
    /// Per thread: operations done (for the hang watchdog and the total).
    progress: Vec<AtomicU64>,
}

/// A snapshot held across later operations, with what it must show.
struct Held<'a> {
    snap: Snapshot<'a>,
    /// The owner's model when the snapshot was taken.
    model: Model,
    /// Other threads' keys read through it, with what they read the first time.
    others: HashMap<(usize, u32), Option<Vec<u8>>>,
    /// Operation number at which it is released.
    release_at: u64,
    /// Operation number at which it was taken.
    taken_at: u64,
}

struct Worker<'a> {
    t: usize,
    sh: &'a Shared<'a>,
    rng: Rng,
    model: Model,
    /// This thread's operation counter (the versions of its writes).
    version: u64,
    /// Highest version seen per other thread's key by plain (non-snapshot) reads.
    seen: HashMap<(usize, u32), u64>,
    held: Vec<Held<'a>>,
    counts: OpCounts,
    /// Operations done (API calls).
    op: u64,
    /// Writes (puts and deletes) and write calls, to compare with the engine's counters.
    writes: u64,
    write_calls: u64,
}

/// Marks a worker finished (and failed, if it is unwinding) however it ends.
struct FinishGuard<'a>(&'a Shared<'a>);

impl Drop for FinishGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.failed.store(true, Ordering::SeqCst);
        }
        self.0.finished.fetch_add(1, Ordering::SeqCst);
    }
}

/// What a worker hands back.
struct WorkerOut {
    model: Model,
    counts: OpCounts,
    writes: u64,
    write_calls: u64,
}

impl<'a> Worker<'a> {
    fn new(t: usize, sh: &'a Shared<'a>) -> Worker<'a> {
        Worker {
            t,
            sh,
            rng: Rng::new(sh.seed, t as u64 + 1),
            model: Model::new(),
            version: 0,
            seen: HashMap::new(),
            held: Vec::new(),
            counts: OpCounts::default(),
            op: 0,
            writes: 0,
            write_calls: 0,
        }
    }

    fn fail(&self, msg: impl fmt::Display) -> ! {
        self.sh.failed.store(true, Ordering::SeqCst);
        panic!(
            "soak: memtable {}, seed {:#x} ({SEED_VAR}), thread {}, op #{}: {msg}",
            self.sh.kind, self.sh.seed, self.t, self.op
        )
    }

    fn tick(&mut self) {
        self.op += 1;
        self.sh.progress[self.t].store(self.op, Ordering::Relaxed);
    }

    fn ok<T>(&self, what: &str, r: ferrolite::Result<T>) -> T {
        r.unwrap_or_else(|e| self.fail(format!("{what}: engine error: {e}")))
    }

    fn run(mut self) -> WorkerOut {
        while !self.sh.stop.load(Ordering::Relaxed) {
            self.step();
        }
        // Release the held snapshots with a last full check each.
        while let Some(h) = self.held.pop() {
            self.check_held_scan(&h);
        }
        WorkerOut {
            model: self.model,
            counts: self.counts,
            writes: self.writes,
            write_calls: self.write_calls,
        }
    }

    fn step(&mut self) {
        let r = self.rng.below(1000);
        match r {
            0..250 => self.put(),
            250..320 => self.delete(),
            320..400 => self.batch(),
            400..650 => {
                let idx = self.rng.below(u64::from(KEYS_PER_THREAD)) as u32;
                self.check_own_get(idx, "get");
            }
            650..800 => self.other_get(),
            800..880 => self.own_scan(),
            880..930 => self.other_scan(),
            930..999 => self.snapshot_step(),
            _ => {
                // About one in a thousand operations: a user flush, racing the workers.
                if self.rng.chance(333) {
                    let r = self.sh.db.flush();
                    self.ok("flush()", r);
                    self.counts.user_flushes += 1;
                    self.tick();
                }
            }
        }
    }

    // --- writes ---------------------------------------------------------------------------

    fn next_value(&mut self, idx: u32) -> ValueHeader {
        self.version += 1;
        let len = self.rng.value_len();
        if len > 32 << 10 {
            self.counts.large_values += 1;
        }
        ValueHeader {
            owner: self.t as u8,
            idx,
            version: self.version,
            len,
        }
    }

    fn random_idx(&mut self) -> u32 {
        self.rng.below(u64::from(KEYS_PER_THREAD)) as u32
    }

    /// A live key when there is one (half the time), else any.
    fn delete_idx(&mut self) -> u32 {
        let idx = self.random_idx();
        if self.rng.chance(500) {
            if let Some((&k, _)) = self
                .model
                .range(idx..)
                .next()
                .or_else(|| self.model.iter().next())
            {
                return k;
            }
        }
        idx
    }

    /// Publish that versions up to the current counter may appear (before writing them).
    fn publish_issued(&self) {
        self.sh.issued[self.t].store(self.version, Ordering::Release);
    }

    fn put(&mut self) {
        let idx = self.random_idx();
        let h = self.next_value(idx);
        self.publish_issued();
        let r = self.sh.db.put(key(self.t, idx), encode(&h));
        self.ok(&format!("put({h})"), r);
        self.tick();
        self.counts.puts += 1;
        self.writes += 1;
        self.write_calls += 1;
        if self.model.insert(idx, (h.version, h.len)).is_some() {
            self.counts.overwrites += 1;
        }
        self.check_own_get(idx, "read-your-write after put");
    }

    fn delete(&mut self) {
        let idx = self.delete_idx();
        self.version += 1;
        self.publish_issued();
        let r = self.sh.db.delete(key(self.t, idx));
        self.ok("delete", r);
        self.tick();
        self.counts.deletes += 1;
        self.writes += 1;
        self.write_calls += 1;
        self.model.remove(&idx);
        self.check_own_get(idx, "read-your-write after delete");
    }

    fn batch(&mut self) {
        let n = self.rng.range(2, MAX_BATCH as u64) as usize;
        let mut batch = WriteBatch::new();
        let mut ops: Vec<(u32, Option<ValueHeader>)> = Vec::with_capacity(n);
        for i in 0..n {
            // Now and then the same key twice in one batch: the later op must win.
            let idx = if i > 0 && self.rng.chance(150) {
                ops[self.rng.below(i as u64) as usize].0
            } else {
                self.random_idx()
            };
            if self.rng.chance(750) {
                let h = self.next_value(idx);
                batch.put(key(self.t, idx), encode(&h));
                ops.push((idx, Some(h)));
            } else {
                self.version += 1;
                batch.delete(key(self.t, idx));
                ops.push((idx, None));
            }
        }
        self.publish_issued();
        let r = self.sh.db.write(batch);
        self.ok(&format!("write(batch of {n})"), r);
        self.tick();
        self.counts.batches += 1;
        self.counts.batch_ops += n as u64;
        self.writes += n as u64;
        self.write_calls += 1;
        for (idx, h) in &ops {
            match h {
                Some(h) => {
                    if self.model.insert(*idx, (h.version, h.len)).is_some() {
                        self.counts.overwrites += 1;
                    }
                }
                None => {
                    self.model.remove(idx);
                }
            }
        }
        let last = ops[n - 1].0;
        let any = ops[self.rng.below(n as u64) as usize].0;
        self.check_own_get(last, "read-your-write after batch (last op)");
        self.check_own_get(any, "read-your-write after batch");
    }

    // --- reads of own keys ------------------------------------------------------------------

    /// `got` for own key `idx` must be exactly `expected`.
    fn check_own_value(
        &self,
        idx: u32,
        got: Option<&[u8]>,
        expected: Option<(u64, u32)>,
        what: &str,
    ) {
        let ok = match (got, expected) {
            (None, None) => true,
            (Some(b), Some((version, len))) => decode(b).is_ok_and(|h| {
                h == ValueHeader {
                    owner: self.t as u8,
                    idx,
                    version,
                    len,
                }
            }),
            _ => false,
        };
        if !ok {
            self.fail(format!(
                "{what}: key {}: expected {}, got {}",
                String::from_utf8_lossy(&key(self.t, idx)),
                describe_expected(self.t, idx, expected),
                describe(got)
            ));
        }
    }

    fn check_own_get(&mut self, idx: u32, what: &str) {
        let r = self.sh.db.get(key(self.t, idx));
        let got = self.ok(what, r);
        self.tick();
        self.counts.own_gets += 1;
        self.check_own_value(idx, got.as_deref(), self.model.get(&idx).copied(), what);
    }

    /// Bounds over own keys: `[lo, hi)` or `[lo, hi]` or the whole prefix.
    /// A scan of own keys: a short range (`[lo, lo + span)` or `[lo, lo + span]`) most of
    /// the time, the whole prefix now and then; the answer must equal the model's range.
    fn own_scan(&mut self) {
        let lo = self.random_idx();
        let hi = (lo + self.rng.range(1, 160) as u32).min(KEYS_PER_THREAD - 1);
        let shape = self.rng.below(10);
        let (what, iter) = match shape {
            0..5 => (
                format!("scan of own keys [{lo}, {hi})"),
                self.sh.db.scan(key(self.t, lo)..key(self.t, hi)),
            ),
            5..9 => (
                format!("scan of own keys [{lo}, {hi}]"),
                self.sh.db.scan(key(self.t, lo)..=key(self.t, hi)),
            ),
            _ => (
                "scan of every own key".to_string(),
                self.sh.db.scan_prefix(prefix(self.t)),
            ),
        };
        let iter = self.ok(&what, iter);
        self.tick();
        self.counts.scans += 1;
        let n = match shape {
            0..5 => self.compare_own_scan(iter, self.model.range(lo..hi), &what),
            5..9 => self.compare_own_scan(iter, self.model.range(lo..=hi), &what),
            _ => self.compare_own_scan(iter, self.model.iter(), &what),
        };
        self.counts.scanned += n;
    }

    /// A scan of exactly this thread's keys against the model's entries, entry by entry as
    /// the iterator yields them (nothing is collected: a held entry would pin its block).
    /// Returns the number of entries.
    fn compare_own_scan<'m>(
        &self,
        iter: ferrolite::DbIter,
        expect: impl Iterator<Item = (&'m u32, &'m (u64, u32))>,
        what: &str,
    ) -> u64 {
        let mut e = expect.map(|(k, v)| (*k, *v)).peekable();
        let mut n = 0;
        for item in iter {
            let (k, v) = self.ok(what, item);
            n += 1;
            let k = &k[..];
            let Some((owner, idx)) = parse_key(k).filter(|(o, _)| *o == self.t) else {
                self.fail(format!(
                    "{what}: returned key {:?} that is not one of this thread's",
                    String::from_utf8_lossy(k)
                ));
            };
            // Expected keys before this one were missed.
            if let Some(&(ei, ev)) = e.peek().filter(|(ei, _)| *ei < idx) {
                self.fail(format!(
                    "{what}: key {} missing: expected {}, the scan went on to {}",
                    String::from_utf8_lossy(&key(owner, ei)),
                    describe_expected(owner, ei, Some(ev)),
                    String::from_utf8_lossy(k)
                ));
            }
            match e.next() {
                Some((ei, ev)) if ei == idx => {
                    self.check_own_value(idx, Some(v.as_ref()), Some(ev), what)
                }
                _ => self.fail(format!(
                    "{what}: key {} returned with {} but it should be absent (or out of order)",
                    String::from_utf8_lossy(k),
                    describe(Some(v.as_ref()))
                )),
            }
        }
        if let Some((ei, ev)) = e.next() {
            self.fail(format!(
                "{what}: key {} missing at the end of the scan: expected {}",
                String::from_utf8_lossy(&key(self.t, ei)),
                describe_expected(self.t, ei, Some(ev))
            ));
        }
        n
    }

    // --- reads of other threads' keys ---------------------------------------------------------

    fn other_owner(&mut self) -> usize {
        let o = self.rng.below(THREADS as u64 - 1) as usize;
        if o >= self.t {
            o + 1
        } else {
            o
        }
    }

    /// A value of another thread's key `(owner, idx)` read now (not through a snapshot): it
    /// must decode, belong to that key, be issued already and not older than one seen before.
    fn check_foreign(&mut self, owner: usize, idx: u32, got: Option<&[u8]>, what: &str) {
        self.counts.foreign_values += 1;
        let Some(b) = got else { return };
        let k = String::from_utf8_lossy(&key(owner, idx)).into_owned();
        let h = decode(b).unwrap_or_else(|e| {
            self.fail(format!(
                "{what}: key {k}: value of {} B does not decode: {e}",
                b.len()
            ))
        });
        if h.owner as usize != owner || h.idx != idx {
            self.fail(format!(
                "{what}: key {k} holds the value of another key: {h}"
            ));
        }
        let issued = self.sh.issued[owner].load(Ordering::Acquire);
        if h.version > issued {
            self.fail(format!(
                "{what}: key {k}: read {h}, but thread {owner} had only issued versions up to {issued}"
            ));
        }
        let seen = self.seen.entry((owner, idx)).or_insert(0);
        if h.version < *seen {
            let before = *seen;
            self.fail(format!(
                "{what}: key {k}: read {h} after having read v{before} of it earlier \
                 (reads went back in time)"
            ));
        }
        *seen = h.version;
    }

    fn other_get(&mut self) {
        let owner = self.other_owner();
        let idx = self.random_idx();
        let r = self.sh.db.get(key(owner, idx));
        let got = self.ok("get of another thread's key", r);
        self.tick();
        self.counts.other_gets += 1;
        self.check_foreign(owner, idx, got.as_deref(), "get of another thread's key");
    }

    /// Up to 64 entries from a random key of another thread on (crossing into later owners'
    /// ranges, this thread's included).
    fn other_scan(&mut self) {
        let owner = self.other_owner();
        let idx = self.random_idx();
        let start = key(owner, idx);
        let what = format!(
            "scan from {} (another thread's range)",
            String::from_utf8_lossy(&start)
        );
        let r = self.sh.db.scan(start.clone()..);
        let iter = self.ok(&what, r);
        self.tick();
        self.counts.scans += 1;
        let mut last: Option<(usize, u32)> = None;
        for item in iter.take(64) {
            let (k, v) = self.ok(&what, item);
            self.counts.scanned += 1;
            let Some((o, i)) = parse_key(&k) else {
                self.fail(format!(
                    "{what}: returned key {:?} that no thread writes",
                    String::from_utf8_lossy(&k)
                ));
            };
            if (o, i) < (owner, idx) || last.is_some_and(|l| l >= (o, i)) {
                self.fail(format!(
                    "{what}: key {} out of order (previous {:?}) or below the start",
                    String::from_utf8_lossy(&k),
                    last.map(|(o, i)| String::from_utf8_lossy(&key(o, i)).into_owned())
                ));
            }
            last = Some((o, i));
            if o == self.t {
                // This thread's own key: the scan began after its last write, so exact.
                self.check_own_value(i, Some(&v), self.model.get(&i).copied(), &what);
            } else {
                self.check_foreign(o, i, Some(&v), &what);
            }
        }
    }

    // --- snapshots ------------------------------------------------------------------------------

    fn snapshot_step(&mut self) {
        // Release the one due, with a full check.
        if let Some(pos) = self.held.iter().position(|h| self.op >= h.release_at) {
            let h = self.held.swap_remove(pos);
            self.check_held_scan(&h);
            return;
        }
        if self.held.len() < MAX_HELD && self.rng.chance(300) {
            let r = self.sh.db.snapshot();
            let snap = self.ok("snapshot()", r);
            self.tick();
            self.counts.snapshots += 1;
            let hold = self.rng.range(200, 4000);
            self.held.push(Held {
                snap,
                model: self.model.clone(),
                others: HashMap::new(),
                release_at: self.op + hold,
                taken_at: self.op,
            });
            return;
        }
        if self.held.is_empty() {
            return;
        }
        let which = self.rng.below(self.held.len() as u64) as usize;
        let mut h = self.held.swap_remove(which);
        if self.rng.chance(100) {
            self.check_held_scan(&h);
        } else {
            self.check_held_gets(&mut h);
        }
        self.held.push(h);
    }

    /// Gets through a held snapshot: own keys against its model, other keys against their
    /// first read through it.
    fn check_held_gets(&mut self, h: &mut Held<'a>) {
        let what = format!(
            "get through the snapshot at seq {} taken at op #{}",
            h.snap.seq(),
            h.taken_at
        );
        for _ in 0..3 {
            let idx = self.random_idx();
            let r = h.snap.get(key(self.t, idx));
            let got = self.ok(&what, r);
            self.tick();
            self.counts.snapshot_reads += 1;
            self.check_own_value(idx, got.as_deref(), h.model.get(&idx).copied(), &what);
        }
        for _ in 0..2 {
            // Most of the time re-read a key already read through this snapshot.
            let (owner, idx) = if !h.others.is_empty() && self.rng.chance(700) {
                let n = self.rng.below(h.others.len() as u64) as usize;
                *h.others.keys().nth(n).expect("n < len")
            } else {
                (self.other_owner(), self.random_idx())
            };
            let r = h.snap.get(key(owner, idx));
            let got = self.ok(&what, r);
            self.tick();
            self.counts.snapshot_reads += 1;
            self.counts.foreign_values += 1;
            let k = String::from_utf8_lossy(&key(owner, idx)).into_owned();
            if let Some(b) = got.as_deref() {
                match decode(b) {
                    Ok(v) if v.owner as usize == owner && v.idx == idx => {}
                    Ok(v) => self.fail(format!("{what}: key {k} holds another key's value {v}")),
                    Err(e) => self.fail(format!("{what}: key {k}: value does not decode: {e}")),
                }
            }
            match h.others.get(&(owner, idx)) {
                Some(first) if first.as_deref() != got.as_deref() => {
                    self.fail(format!(
                        "{what}: key {k} changed under the snapshot: first read {}, now {}",
                        describe(first.as_deref()),
                        describe(got.as_deref())
                    ));
                }
                Some(_) => {}
                None if h.others.len() < HELD_OTHERS => {
                    h.others.insert((owner, idx), got.map(|b| b.to_vec()));
                }
                None => {}
            }
        }
    }

    /// A full scan of this thread's keys through a held snapshot against its model.
    fn check_held_scan(&mut self, h: &Held<'a>) {
        let what = format!(
            "scan of own keys through the snapshot at seq {} taken at op #{} (now op #{})",
            h.snap.seq(),
            h.taken_at,
            self.op
        );
        let r = h.snap.scan_prefix(prefix(self.t));
        let iter = self.ok(&what, r);
        self.tick();
        self.counts.snapshot_reads += 1;
        let n = self.compare_own_scan(iter, h.model.iter(), &what);
        self.counts.scanned += n;
    }
}

// ---------------------------------------------------------------------------------------------
// Memory sampler
// ---------------------------------------------------------------------------------------------

struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    samples: Arc<AtomicU64>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(baseline: u64) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(baseline));
        let samples = Arc::new(AtomicU64::new(0));
        let (s, p, n) = (stop.clone(), peak.clone(), samples.clone());
        let handle = std::thread::Builder::new()
            .name("soak-rss".into())
            .spawn(move || loop {
                if let Some(rss) = read_rss_kib() {
                    p.fetch_max(rss, Ordering::Relaxed);
                    n.fetch_add(1, Ordering::Relaxed);
                }
                if s.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            })
            .ok();
        Sampler {
            stop,
            peak,
            samples,
            handle,
        }
    }

    /// Stop and return (peak KiB, samples).
    fn finish(mut self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        (
            self.peak.load(Ordering::Relaxed),
            self.samples.load(Ordering::Relaxed),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/// Soak runs in one process take turns, so that each one's RSS is its own.
static SOAK_LOCK: Mutex<()> = Mutex::new(());

/// Hold this to keep soak runs of this process from measuring memory while you use some: a
/// test in the same binary that allocates a lot (a panic with `RUST_BACKTRACE=1` loads the
/// binary's debug information, about 90 MiB in a debug build) takes it. [`run`] holds it.
pub fn exclusive() -> MutexGuard<'static, ()> {
    SOAK_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn hang(kind: MapKind, seed: u64, what: &str, progress: &[AtomicU64]) -> ! {
    let ops: Vec<u64> = progress.iter().map(|p| p.load(Ordering::Relaxed)).collect();
    let msg = format!(
        "soak: memtable {kind}, seed {seed:#x}: {what} for {HANG_SECS} s (a hang: deadlock or a \
         write stall that never ends); operations per thread so far: {ops:?}"
    );
    println!("{msg}");
    eprintln!("{msg}");
    std::process::exit(3);
}

/// What every key should hold: `(owner, idx)` → `(version, len)` of its live value (absent
/// keys are not in the map).
pub type Expected = BTreeMap<(usize, u32), (u64, u32)>;

/// Check the whole database against `expected` (the union of the threads' models): a full
/// scan, then a get of every key of every thread. Panics on the first difference, naming the
/// key, what was expected and what was found, after `ctx`. Returns the number of keys
/// compared.
pub fn check_all(db: &Db, expected: &Expected, ctx: &str) -> u64 {
    let union = expected;
    let mut checked = 0u64;
    let what = format!("{ctx}: full scan");
    let iter = db.iter().unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut expect = union.iter().peekable();
    for item in iter {
        let (k, v) = item.unwrap_or_else(|e| panic!("{what}: {e}"));
        let Some((o, i)) = parse_key(&k) else {
            panic!(
                "{what}: key {:?} that no thread wrote",
                String::from_utf8_lossy(&k)
            )
        };
        if let Some(&(&(eo, ei), &ev)) = expect.peek() {
            if (eo, ei) < (o, i) {
                panic!(
                    "{what}: key {} lost: expected {}, the scan went on to {}",
                    String::from_utf8_lossy(&key(eo, ei)),
                    describe_expected(eo, ei, Some(ev)),
                    String::from_utf8_lossy(&k)
                );
            }
        }
        match expect.next() {
            Some((&(eo, ei), &(version, len))) if (eo, ei) == (o, i) => {
                let want = ValueHeader {
                    owner: o as u8,
                    idx: i,
                    version,
                    len,
                };
                if decode(&v).ok() != Some(want) {
                    panic!(
                        "{what}: key {}: expected {want}, got {}",
                        String::from_utf8_lossy(&k),
                        describe(Some(&v))
                    );
                }
            }
            _ => panic!(
                "{what}: key {} is there with {} but was deleted or never written (or out of order)",
                String::from_utf8_lossy(&k),
                describe(Some(&v))
            ),
        }
        checked += 1;
    }
    if let Some((&(eo, ei), &ev)) = expect.next() {
        panic!(
            "{what}: key {} lost (missing at the end): expected {}",
            String::from_utf8_lossy(&key(eo, ei)),
            describe_expected(eo, ei, Some(ev))
        );
    }
    let what = format!("{ctx}: get of every key");
    for o in 0..THREADS {
        for i in 0..KEYS_PER_THREAD {
            let got = db
                .get(key(o, i))
                .unwrap_or_else(|e| panic!("{what}: key {:?}: {e}", key(o, i)));
            let want = union.get(&(o, i)).copied();
            let ok = match (&got, want) {
                (None, None) => true,
                (Some(v), Some((version, len))) => {
                    decode(v).ok()
                        == Some(ValueHeader {
                            owner: o as u8,
                            idx: i,
                            version,
                            len,
                        })
                }
                _ => false,
            };
            if !ok {
                panic!(
                    "{what}: key {}: expected {}, got {}",
                    String::from_utf8_lossy(&key(o, i)),
                    describe_expected(o, i, want),
                    describe(got.as_deref())
                );
            }
            checked += 1;
        }
    }
    checked
}

/// One soak run over memtable `kind` with the budget of `mode` (see the module documentation).
/// Prints what it did (and `VERIFY-STAT` lines: `soak_ops`, `soak_threads`, `soak_secs`,
/// `flushes`, `compactions`, `peak_rss_kib`, `rss_growth_kib`, `keys_checked`); panics with
/// the seed, the thread, the key and expected vs. found on any failure.
pub fn run(kind: MapKind, mode: Mode) -> SoakReport {
    let _turn = exclusive();
    let budget = budget(mode);
    let seed = seed_from_env();
    let opts = options(kind, seed);
    let bound = rss_bound_kib(&opts);
    let root = scratch_root();
    println!(
        "soak: memtable {kind}, mode {mode}, {THREADS} threads for {:.1} s, seed {seed:#x} \
         ({SEED_VAR}), WAL {:?}, databases under {}, RSS growth bound {bound} KiB",
        budget.as_secs_f64(),
        opts.sync,
        root.display()
    );
    let fail_ctx = format!("soak: memtable {kind}, seed {seed:#x} ({SEED_VAR})");
    let dir = tempfile::Builder::new()
        .prefix("ferrolite-soak-")
        .tempdir_in(&root)
        .unwrap_or_else(|e| panic!("{fail_ctx}: temporary directory in {}: {e}", root.display()));

    let baseline = read_rss_kib();
    let sampler = Sampler::start(baseline.unwrap_or(0));

    let memtable_kib = opts.memtable_size as u64 / 1024;
    let db = Db::open(dir.path(), opts.clone()).unwrap_or_else(|e| panic!("{fail_ctx}: open: {e}"));
    let shared = Shared {
        db: &db,
        kind,
        seed,
        stop: AtomicBool::new(false),
        failed: AtomicBool::new(false),
        finished: AtomicUsize::new(0),
        issued: (0..THREADS).map(|_| AtomicU64::new(0)).collect(),
        progress: (0..THREADS).map(|_| AtomicU64::new(0)).collect(),
    };

    let started = Instant::now();
    let outs: Vec<WorkerOut> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let sh = &shared;
                std::thread::Builder::new()
                    .name(format!("soak-{t}"))
                    .spawn_scoped(s, move || {
                        let _guard = FinishGuard(sh);
                        Worker::new(t, sh).run()
                    })
                    .unwrap_or_else(|e| panic!("soak: spawning thread {t}: {e}"))
            })
            .collect();
        // Run until the budget is spent (and at least one flush and one compaction happened,
        // or EXTENSION_SECS more passed), a worker fails, or nothing moves for HANG_SECS.
        let deadline = started + budget;
        let cap = deadline + Duration::from_secs(EXTENSION_SECS);
        let total = |sh: &Shared<'_>| -> u64 {
            sh.progress.iter().map(|p| p.load(Ordering::Relaxed)).sum()
        };
        let mut last_total = 0;
        let mut last_move = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(50));
            if shared.failed.load(Ordering::SeqCst) {
                break;
            }
            let now = Instant::now();
            let t = total(&shared);
            if t != last_total {
                last_total = t;
                last_move = now;
            } else if now - last_move > Duration::from_secs(HANG_SECS) {
                hang(kind, seed, "no operation completed", &shared.progress);
            }
            if now >= deadline {
                let st = db.stats();
                if (st.flushes > 0 && st.compactions > 0) || now >= cap {
                    break;
                }
            }
        }
        shared.stop.store(true, Ordering::SeqCst);
        let stopped = Instant::now();
        while shared.finished.load(Ordering::SeqCst) < THREADS {
            if stopped.elapsed() > Duration::from_secs(HANG_SECS) {
                hang(kind, seed, "workers did not stop", &shared.progress);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut outs = Vec::with_capacity(THREADS);
        let mut first_panic = None;
        for h in handles {
            match h.join() {
                Ok(o) => outs.push(o),
                Err(p) => {
                    first_panic.get_or_insert(p);
                }
            }
        }
        if let Some(p) = first_panic {
            panic::resume_unwind(p);
        }
        outs
    });
    let elapsed = started.elapsed();

    // The engine's counters: this session's writes exactly, flushes and compactions happened.
    let stats = db.stats();
    let mut counts = OpCounts::default();
    let (mut writes, mut write_calls) = (0, 0);
    let mut union = BTreeMap::new();
    for (t, o) in outs.iter().enumerate() {
        counts.add(&o.counts);
        writes += o.writes;
        write_calls += o.write_calls;
        union.extend(o.model.iter().map(|(&i, &v)| ((t, i), v)));
    }
    let ops: u64 = shared
        .progress
        .iter()
        .map(|p| p.load(Ordering::Relaxed))
        .sum();
    assert_eq!(
        (stats.writes, stats.batches, stats.last_seq),
        (writes, write_calls, writes),
        "{fail_ctx}: the engine counted (writes, batches, last seq) differently from the \
         {writes} writes in {write_calls} write calls made"
    );
    assert!(
        stats.flushes > 0 && stats.compactions > 0,
        "{fail_ctx}: after {:.1} s with a 256 KiB memtable there were {} flushes and {} \
         compactions; the soak needs both to mean anything\n{stats}",
        elapsed.as_secs_f64(),
        stats.flushes,
        stats.compactions
    );

    // The final consistency check, then close, reopen, check again.
    let mut keys_checked = check_all(&db, &union, &format!("{fail_ctx}: after the run"));
    db.verify()
        .unwrap_or_else(|e| panic!("{fail_ctx}: verify() after the run: {e}"));
    db.close()
        .unwrap_or_else(|e| panic!("{fail_ctx}: close: {e}"));
    drop(db);
    let db = Db::open(dir.path(), opts).unwrap_or_else(|e| panic!("{fail_ctx}: reopen: {e}"));
    keys_checked += check_all(&db, &union, &format!("{fail_ctx}: after reopen"));
    db.verify()
        .unwrap_or_else(|e| panic!("{fail_ctx}: verify() after reopen: {e}"));
    db.close()
        .unwrap_or_else(|e| panic!("{fail_ctx}: close after reopen: {e}"));
    drop(db);

    let (peak, samples) = sampler.finish();
    let baseline = baseline.unwrap_or(0);
    let growth = peak.saturating_sub(baseline);
    let report_out = SoakReport {
        kind,
        seed,
        threads: THREADS,
        budget,
        elapsed,
        ops,
        counts,
        stats,
        keys_checked,
        live_keys: union.len() as u64,
        baseline_rss_kib: baseline,
        peak_rss_kib: peak,
        rss_growth_kib: growth,
        rss_bound_kib: bound,
        rss_samples: samples,
    };
    println!("{report_out}");
    let written_kib = report_out.stats.user_bytes / 1024;
    println!(
        "  the RSS bound is {:.1} % of the {written_kib} KiB of user data written and of the {} KiB \
         of memtables flushed",
        bound as f64 * 100.0 / written_kib.max(1) as f64,
        report_out.stats.flushes * memtable_kib
    );
    if samples == 0 {
        println!("  memory: /proc/self/status unreadable here: RSS not checked");
    } else {
        assert!(
            growth <= bound,
            "{fail_ctx}: RSS grew by {growth} KiB (from {baseline} to a peak of {peak} KiB) \
             during the run, over the bound of {bound} KiB derived from the options (memtables, \
             block cache, recent-writes map, models, values in flight, {RSS_SLACK_KIB} KiB slack); \
             {written_kib} KiB of user data were written: something keeps written data alive"
        );
    }
    report("soak_ops", ops);
    report("soak_threads", THREADS as u64);
    report("soak_secs", elapsed.as_secs());
    report("flushes", report_out.stats.flushes);
    report("compactions", report_out.stats.compactions);
    report("peak_rss_kib", peak);
    report("rss_growth_kib", growth);
    report("keys_checked", keys_checked);
    report_out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_damage_is_caught() {
        let mut rng = Rng::new(7, 1);
        for i in 0..200 {
            let h = ValueHeader {
                owner: (i % THREADS) as u8,
                idx: i as u32,
                version: i as u64 * 3 + 1,
                len: rng.value_len(),
            };
            let v = encode(&h);
            assert_eq!(v.len(), h.len as usize);
            assert_eq!(decode(&v), Ok(h));
            // Any flipped byte is caught.
            let at = rng.below(v.len() as u64) as usize;
            let mut bad = v.clone();
            bad[at] ^= 0x10;
            assert!(decode(&bad).is_err(), "flip at {at} of {h:?} not caught");
            // So is a cut value.
            assert!(decode(&v[..v.len() - 1]).is_err());
        }
        // A consistent value of another version is a different value.
        let a = ValueHeader {
            owner: 1,
            idx: 2,
            version: 3,
            len: 100,
        };
        let b = ValueHeader { version: 4, ..a };
        assert_ne!(encode(&a), encode(&b));
    }

    #[test]
    fn keys_parse_back_and_sort_by_owner_then_index() {
        assert_eq!(parse_key(&key(3, 17)), Some((3, 17)));
        assert_eq!(parse_key(b"s03/0001"), None);
        assert_eq!(parse_key(&key(THREADS, 0)), None);
        assert!(key(0, KEYS_PER_THREAD - 1) < key(1, 0));
        assert!(key(1, 0) < key(1, 1));
        assert!(prefix(1) < key(1, 0) && key(1, KEYS_PER_THREAD - 1) < prefix(2));
    }

    #[test]
    fn rss_is_readable_and_the_bound_does_not_scale_with_data() {
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(read_rss_kib().is_some_and(|k| k > 0));
        }
        let b = rss_bound_kib(&options(MapKind::Epoch, 0));
        assert!(b > RSS_SLACK_KIB && b < 256 << 10, "bound {b} KiB");
    }
}
