//! [`Setup`]: the engine options a case varies (background work, filters, cache, levels, WAL
//! policy, flow control, memtable size, the ancestor's write path, a stage-ladder preset, the
//! event projection) on top of the tiny fixed sizes that make flushes, compactions and
//! several levels happen inside a case; its `Display` prints them as the builder calls that
//! make them, for failure reports.

use crate::Memtable;
use ferrolite::{Options, RecordFormat, Stage, SyncPolicy};
use std::fmt;

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
    /// [`op_strategy`](super::op_strategy)). Not an option: shown with them.
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

    /// The options of a case over `memtable`.
    pub fn options(self, memtable: &Memtable) -> Options {
        let base = match self.stage {
            Some(stage) => {
                Options::stage(stage).recent_writes_bytes(if stage >= Stage::S5 { 1024 } else { 0 })
            }
            None => Options::default(),
        };
        let opts = memtable
            .apply(base)
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
