//! How much a run records ([`Budget`], from the verifier's [`Mode`]) and the database it
//! records on ([`Setup`]: tiny memtables and L0 triggers, so that flushes and compactions run
//! all the time underneath the histories).

use crate::Memtable;
use crate::{secs_from_env, Mode};
use ferrolite::{Options, SyncPolicy};
use std::fmt;
use std::time::Duration;

/// Overrides the recording time of a mode, in seconds (a positive number).
pub const SECS_VAR: &str = "FERROLITE_ENGINE_LIN_SECS";

/// How much one run over one memtable kind records, and the shapes of its histories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// How long to record histories.
    pub time: Duration,
    /// How much longer to go on if no flush and no compaction happened yet (a run that saw
    /// neither checked only the memtable path).
    pub extension: Duration,
    /// Stop after this many histories, whatever the time (tests).
    pub max_histories: Option<u64>,
    /// Threads per history: 2 to this.
    pub max_threads: usize,
    /// Calls per thread: half of this to this.
    pub calls_per_thread: usize,
    /// Keys per history: between these two.
    pub keys: (u64, u64),
    /// Histories between two reopens of the database (close, then open with the next
    /// [`Setup`]).
    pub histories_per_open: u64,
    /// The run's seed: history `h` draws its workload from a seed derived from it and `h`.
    pub seed: u64,
    /// See [`super::record`]: a watchdog ends the process after this long without progress.
    pub stall_timeout: Option<Duration>,
}

impl Budget {
    /// The budget of `mode`: about 6 s of recording per memtable kind in `quick`, 60 s in
    /// `default`, 300 s in `full` (a quarter of that in unoptimised builds: a plain
    /// `cargo test` stays short), or [`SECS_VAR`] seconds. Histories of 2–4 threads × 12–24
    /// calls (16–32 in `full`) on 3–8 keys; the database is reopened every 2 000 histories.
    /// The seed is lincheck's, `FERROLITE_LINCHECK_SEED` if set.
    pub fn for_mode(mode: Mode) -> Budget {
        let secs = mode.pick(6.0, 60.0, 300.0) / if cfg!(debug_assertions) { 4.0 } else { 1.0 };
        Budget {
            time: secs_from_env(SECS_VAR).unwrap_or(Duration::from_secs_f64(secs)),
            extension: Duration::from_secs(30),
            max_histories: None,
            max_threads: 4,
            calls_per_thread: mode.pick(24, 24, 32),
            keys: (3, 8),
            histories_per_open: 2_000,
            seed: crate::lincheck::seed_from_env(),
            stall_timeout: Some(Duration::from_secs(30)),
        }
    }

    /// A budget of `histories` histories at most (and at most `time`), for tests.
    pub fn histories(histories: u64, time: Duration, seed: u64) -> Budget {
        Budget {
            time,
            extension: Duration::ZERO,
            max_histories: Some(histories),
            histories_per_open: 100,
            seed,
            ..Budget::for_mode(Mode::Quick)
        }
    }
}

/// The options one opening of the database varies; each reopen draws the next from the seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// 4 or 8 KiB memtables.
    pub memtable_kib: usize,
    /// 1 or 2 background threads.
    pub background_threads: usize,
    /// 1 or 2 frozen memtables before writers wait.
    pub max_immutable: usize,
    /// A 4 KiB recent-writes map (S5's index for gets), or none.
    pub recent_writes: bool,
    /// Bloom filters and a 1 MiB block cache, or neither.
    pub filters_and_cache: bool,
    /// Every writer of a commit group inserts its own batch into the memtable, in parallel
    /// with the others (the default, 3 openings in 4), or the group's leader inserts them all.
    pub parallel_writes: bool,
}

impl Setup {
    /// The setup of the `open`-th opening in a run with `seed`.
    pub fn draw(seed: u64, open: u64) -> Setup {
        let mut rng = crate::rng::SplitMix::stream(seed, open);
        Setup {
            memtable_kib: if rng.chance(500) { 4 } else { 8 },
            background_threads: 1 + rng.below(2) as usize,
            max_immutable: 1 + rng.below(2) as usize,
            recent_writes: rng.chance(500),
            filters_and_cache: rng.chance(500),
            parallel_writes: rng.chance(750),
        }
    }

    /// The options over `memtable`: tiny memtables, tables and levels, an L0 trigger of
    /// 2, `SyncPolicy::None` (acknowledged means in the OS: enough within one process).
    pub fn options(self, memtable: &Memtable) -> Options {
        memtable
            .apply(Options::default())
            .memtable_size(self.memtable_kib << 10)
            .max_immutable_memtables(self.max_immutable)
            .background_threads(self.background_threads)
            .sync(SyncPolicy::None)
            .l0_compaction_trigger(2)
            .l0_slowdown_trigger(6)
            .l0_stop_trigger(10)
            .target_file_size(8 << 10)
            .level1_size(16 << 10)
            .level_size_multiplier(4)
            .block_size(512)
            .num_levels(5)
            .recent_writes_bytes(if self.recent_writes { 4 << 10 } else { 0 })
            .bloom_bits_per_key(if self.filters_and_cache { 10 } else { 0 })
            .block_cache_bytes(if self.filters_and_cache { 1 << 20 } else { 0 })
            .parallel_memtable_writes(self.parallel_writes)
    }
}

impl fmt::Display for Setup {
    /// The builder calls after `Options::default().memtable(kind)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            ".memtable_size({} << 10).max_immutable_memtables({}).background_threads({})\
             .sync(SyncPolicy::None).l0_compaction_trigger(2).l0_slowdown_trigger(6)\
             .l0_stop_trigger(10).target_file_size(8 << 10).level1_size(16 << 10)\
             .level_size_multiplier(4).block_size(512).num_levels(5).recent_writes_bytes({})\
             .bloom_bits_per_key({}).block_cache_bytes({}).parallel_memtable_writes({})",
            self.memtable_kib,
            self.max_immutable,
            self.background_threads,
            if self.recent_writes { "4 << 10" } else { "0" },
            if self.filters_and_cache { 10 } else { 0 },
            if self.filters_and_cache {
                "1 << 20"
            } else {
                "0"
            },
            self.parallel_writes,
        )
    }
}
