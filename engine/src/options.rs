//! Options for [`crate::Db::open`]: what the engine is built from and how it behaves.
//!
//! `Options` is a plain struct with public fields and a builder-style setter per field, so a
//! user writes `Options::default().memtable(MapKind::Epoch).sync(SyncPolicy::EveryWrite)`.
//! [`Options::validate`] checks ranges and contradictions once, at open; a bad option is an
//! [`Error::InvalidOptions`] naming the field, never a panic later.

use crate::batch::RecordFormat;
use crate::fs::{FileSystem, StdFs};
use crate::memtable::{new_memtable, MemKey, MemTable, MemtableFactory};
use crate::{Error, Result};
use bytes::Bytes;
use ferrolite_structures::{ConcurrentMap, MapKind};
use std::sync::Arc;
use std::time::Duration;

/// When the WAL is made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPolicy {
    /// Each commit group is written to the operating system before the writers return (it
    /// survives a process crash), but never fsynced: a power loss may lose recent writes.
    None,
    /// Commit groups are appended to the WAL's buffer in this process and handed to the
    /// operating system when the buffer holds [`BUFFERED_WAL_BYTES`], when `max_delay` has
    /// passed since the last hand-over (checked by writers and by the background workers),
    /// at a memtable switch, on [`crate::Db::sync_wal`] and on close. The fastest policy and
    /// the weakest: a *process* crash loses up to `max_delay` of acknowledged writes (RocksDB's
    /// `manual_wal_flush`, fjall's default). Recovery is still consistent: what survives is a
    /// prefix of the commits.
    Buffered {
        /// Longest time an acknowledged write stays in the process's buffer.
        max_delay: Duration,
    },
    /// Each commit group is written and `fdatasync`ed before its writers return.
    EveryWrite,
    /// Like `EveryWrite`, but the group's leader first waits up to `max_delay` for more
    /// writers to join, so one `fdatasync` covers more writes.
    GroupCommit {
        /// Longest time a leader waits for followers before syncing.
        max_delay: Duration,
    },
}

/// How automatic compaction shapes the levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CompactionStyle {
    /// LevelDB's leveled compaction: L0 is merged into L1, and each level over its target size
    /// pushes one table's key range into the next (bounded write amplification per level).
    #[default]
    Leveled,
    /// One sorted run: when L0 reaches `l0_compaction_trigger` tables, L0 and the whole of L1
    /// are merged into a new L1, which never moves deeper. Reads see at most the L0 tables and
    /// one run; every compaction rewrites the run (write amplification grows with the
    /// database). The stage ladder's S3.
    SingleRun,
}

/// What [`crate::Db::open`] does with a damaged WAL (RocksDB's `WALRecoveryMode`). A torn
/// tail — the unfinished last write of the log, which was never acknowledged — is dropped in
/// every mode; the modes differ on damage that may hide acknowledged writes. See `open/replay.rs`
/// for the full table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WalRecovery {
    /// Refuse to open ([`Error::Corruption`] naming the file, the offset and the other modes)
    /// on any damage but a torn tail: no acknowledged write is ever dropped silently.
    #[default]
    AbsoluteConsistency,
    /// Also drop a damaged *last* record of the log: complete, failing its checksum, nothing
    /// after it — what a power cut can leave on a file system that makes a file's new length
    /// durable before its data (zeros inside the record). That record may have been
    /// acknowledged. Damage with data after it is still refused.
    TolerateCorruptedTail,
    /// Recover every write before the first damage (a damaged record anywhere, a torn record
    /// followed by later writes, a lost segment) and drop the rest, later segments included:
    /// a consistent prefix of the commits, possibly without acknowledged writes.
    PointInTime,
}

/// The stages the engine's ancestor grew through; [`Options::stage`] makes each one a preset.
/// The presets are cumulative: each one is the previous one plus what its line says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Baseline: JSON WAL records and JSON tables; the WAL file opened, appended and closed
    /// for every write, each writer committing alone; the mutex memtable; flush in the
    /// writing thread; no compaction; gets search every table newest first, without filter,
    /// cache or index.
    S0,
    /// Append-only WAL: the log stays open per segment.
    S1,
    /// Buffered writing: group commit (a leader writes every queued batch in one system call)
    /// and WAL appends buffered in the process ([`SyncPolicy::Buffered`], 10 ms).
    S2,
    /// Background writing + lock-free: memtables are flushed on background threads (no
    /// compaction yet: L0 only grows, as in S2); the epoch (lock-free) memtable, into which
    /// the writers of a commit group insert in parallel
    /// ([`Options::parallel_memtable_writes`]).
    S3,
    /// Binary encoding + compaction: binary WAL records and table blocks; leveled compaction
    /// on the background threads.
    S4,
    /// In-memory index for gets: bloom filters (10 bits/key), a 64 MiB block cache and a
    /// 64 MiB recent-writes map (the newest value of recently written keys).
    S5,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 6] = [
        Stage::S0,
        Stage::S1,
        Stage::S2,
        Stage::S3,
        Stage::S4,
        Stage::S5,
    ];

    /// `"S0"` … `"S5"`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::S0 => "S0",
            Stage::S1 => "S1",
            Stage::S2 => "S2",
            Stage::S3 => "S3",
            Stage::S4 => "S4",
            Stage::S5 => "S5",
        }
    }

    /// What the stage adds, in a few words.
    pub fn summary(self) -> &'static str {
        match self {
            Stage::S0 => "baseline: JSON, reopen per write, mutex memtable, inline flush",
            Stage::S1 => "append-only WAL kept open",
            Stage::S2 => "buffered appends + group commit",
            Stage::S3 => "background flush + lock-free memtable, parallel inserts",
            Stage::S4 => "binary encoding + leveled compaction",
            Stage::S5 => "bloom filters + block cache + recent-writes map",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Stage {
    type Err = Error;

    fn from_str(s: &str) -> Result<Stage> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::InvalidOptions(format!("unknown stage `{s}` (S0 … S5)")))
    }
}

/// Buffered WAL bytes at which [`SyncPolicy::Buffered`] hands them to the operating system.
pub const BUFFERED_WAL_BYTES: usize = 256 << 10;

/// Options of a database. Construct with [`Options::default`] and the setters.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// Create the database if the directory holds none (default `true`).
    pub create_if_missing: bool,
    /// Refuse to open an existing database (default `false`).
    pub error_if_exists: bool,
    /// The concurrent map behind the memtable (default: the epoch skip list).
    pub memtable: MapKind,
    /// A map type of the user's own behind the memtable, overriding [`Options::memtable`]
    /// (default `None`); set it with [`Options::memtable_map`].
    pub memtable_factory: Option<MemtableFactory>,
    /// Bytes of keys, values and per-entry overhead after which the active memtable is frozen
    /// and flushed (default 64 MiB, as RocksDB and fjall).
    pub memtable_size: usize,
    /// Frozen memtables allowed to wait for flush before writers stop (default 2).
    pub max_immutable_memtables: usize,
    /// WAL durability (default [`SyncPolicy::None`]).
    pub sync: SyncPolicy,
    /// Target size of an SSTable data block in bytes (default 4096).
    pub block_size: usize,
    /// Bloom filter bits per key, 0 for none (default 10).
    pub bloom_bits_per_key: u32,
    /// Block cache capacity in bytes, 0 for none (default 64 MiB).
    pub block_cache_bytes: u64,
    /// Number of L0 files that triggers an L0→L1 compaction (default 4).
    pub l0_compaction_trigger: usize,
    /// Number of L0 files at which each write is delayed by 1 ms (default 8).
    pub l0_slowdown_trigger: usize,
    /// Number of L0 files at which writes stop until compaction catches up (default 12).
    pub l0_stop_trigger: usize,
    /// Target total size of level 1 in bytes (default 256 MiB); level n+1 is
    /// `level_size_multiplier` times level n.
    pub level1_size: u64,
    /// Growth factor between levels (default 10).
    pub level_size_multiplier: u64,
    /// Number of levels, L0 included (default 7).
    pub num_levels: usize,
    /// Target size of one compaction output table (default 64 MiB).
    pub target_file_size: u64,
    /// Background threads for flush and compaction (default 2; at least 1).
    pub background_threads: usize,
    /// Encoding of WAL records (default binary; JSON is the stage ladder's S0–S3).
    pub wal_format: RecordFormat,
    /// Close the WAL file after every commit group and reopen it (append) for the next —
    /// the ancestor's first stage (default `false`).
    pub wal_reopen_per_write: bool,
    /// Let the background workers compact (default `true`). With `false` they only flush and
    /// L0 grows until [`crate::Db::compact`] (flow control's L0 stop trigger is then ignored).
    pub compaction: bool,
    /// How automatic compaction shapes the levels (default [`CompactionStyle::Leveled`]).
    pub compaction_style: CompactionStyle,
    /// Encoding of table data and index blocks (default binary; JSON is the stage ladder's
    /// S0–S3). Tables of both encodings may coexist: compaction rewrites into this one.
    pub table_format: RecordFormat,
    /// Commit queued writers together: the leader writes every batch waiting behind it in one
    /// system call (default `true`). With `false` each writer commits alone, one append per
    /// batch (the stage ladder's S0–S1).
    pub group_commit: bool,
    /// Every writer of a commit group inserts its own batch into the memtable, concurrently
    /// with the others, once the leader has written the group's WAL records (RocksDB's
    /// `allow_concurrent_memtable_write`); with `false` the leader inserts the whole group
    /// (default `true`; `false` in the stage presets before [`Stage::S3`]). Readers see a
    /// group only when all its inserts are done. The lock-free memtables insert in parallel;
    /// the mutex memtable stays correct under it, its writers taking turns on its lock.
    pub parallel_memtable_writes: bool,
    /// Bytes of the recent-writes map, 0 for none (default 0; 64 MiB in [`Stage::S5`]). The
    /// map holds each recently written key's newest version, so a get for it is answered
    /// without searching memtables or tables (the ancestor's in-memory index for gets); the
    /// oldest entries are evicted first when it is over budget. It starts empty at open.
    pub recent_writes_bytes: u64,
    /// Build [`crate::DbStats::events`] — what was written, tallied from the change feed by a
    /// handler thread (`projection.rs`) — (default `true`).
    pub event_stats: bool,
    /// Run flushes and compactions automatically (default `true`). With `false` only
    /// [`crate::Db::flush`] and [`crate::Db::compact`] write tables — for tests.
    pub auto_compaction: bool,
    /// What `Db::open` does with a damaged WAL (default
    /// [`WalRecovery::AbsoluteConsistency`]).
    pub wal_recovery: WalRecovery,
    /// Where the database's files live (default [`crate::fs::StdFs`], the operating
    /// system's). Every file operation of the engine goes through it; wrap it in an adapter
    /// (the `ferrolite-testfs` crate has fault-injecting, power-cutting and crash-point ones)
    /// to observe or fail operations.
    pub file_system: Arc<dyn FileSystem>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            create_if_missing: true,
            error_if_exists: false,
            memtable: MapKind::Epoch,
            memtable_factory: None,
            memtable_size: 64 << 20,
            max_immutable_memtables: 2,
            sync: SyncPolicy::None,
            block_size: 4096,
            bloom_bits_per_key: 10,
            block_cache_bytes: 64 << 20,
            l0_compaction_trigger: 4,
            l0_slowdown_trigger: 8,
            l0_stop_trigger: 12,
            level1_size: 256 << 20,
            level_size_multiplier: 10,
            num_levels: 7,
            target_file_size: 64 << 20,
            background_threads: 2,
            auto_compaction: true,
            wal_format: RecordFormat::Binary,
            wal_reopen_per_write: false,
            compaction: true,
            compaction_style: CompactionStyle::Leveled,
            table_format: RecordFormat::Binary,
            group_commit: true,
            parallel_memtable_writes: true,
            recent_writes_bytes: 0,
            event_stats: true,
            wal_recovery: WalRecovery::AbsoluteConsistency,
            file_system: Arc::new(StdFs),
        }
    }
}

impl Options {
    /// The preset of the stage ladder's `stage`: the default options with what `stage` and
    /// every stage before it set (see [`Stage`]). Any field can still be changed afterwards,
    /// e.g. `Options::stage(Stage::S3).memtable(MapKind::Mutex)`.
    ///
    /// Every preset reads what every other one wrote: WAL records and table blocks name their
    /// encoding, so a database written under S0 opens under S5 and the other way round.
    pub fn stage(stage: Stage) -> Options {
        let base = Options::default();
        let mut o = Options {
            memtable: MapKind::Mutex,
            wal_format: RecordFormat::Json,
            table_format: RecordFormat::Json,
            wal_reopen_per_write: true,
            group_commit: false,
            parallel_memtable_writes: false,
            sync: SyncPolicy::None,
            auto_compaction: false,
            compaction: false,
            compaction_style: CompactionStyle::SingleRun,
            bloom_bits_per_key: 0,
            block_cache_bytes: 0,
            recent_writes_bytes: 0,
            ..base
        };
        if stage >= Stage::S1 {
            o.wal_reopen_per_write = false;
        }
        if stage >= Stage::S2 {
            o.group_commit = true;
            o.sync = SyncPolicy::Buffered {
                max_delay: Duration::from_millis(10),
            };
        }
        if stage >= Stage::S3 {
            o.auto_compaction = true;
            o.memtable = MapKind::Epoch;
            o.parallel_memtable_writes = true;
        }
        if stage >= Stage::S4 {
            o.wal_format = RecordFormat::Binary;
            o.table_format = RecordFormat::Binary;
            o.compaction = true;
            o.compaction_style = CompactionStyle::Leveled;
        }
        if stage >= Stage::S5 {
            o.bloom_bits_per_key = 10;
            o.block_cache_bytes = 64 << 20;
            o.recent_writes_bytes = 64 << 20;
        }
        o
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty),* $(,)?) => {
        impl Options {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $field(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Set [`Options::create_if_missing`].
    create_if_missing: bool,
    /// Set [`Options::error_if_exists`].
    error_if_exists: bool,
    /// Set [`Options::memtable_size`].
    memtable_size: usize,
    /// Set [`Options::max_immutable_memtables`].
    max_immutable_memtables: usize,
    /// Set [`Options::sync`].
    sync: SyncPolicy,
    /// Set [`Options::block_size`].
    block_size: usize,
    /// Set [`Options::bloom_bits_per_key`].
    bloom_bits_per_key: u32,
    /// Set [`Options::block_cache_bytes`].
    block_cache_bytes: u64,
    /// Set [`Options::l0_compaction_trigger`].
    l0_compaction_trigger: usize,
    /// Set [`Options::l0_slowdown_trigger`].
    l0_slowdown_trigger: usize,
    /// Set [`Options::l0_stop_trigger`].
    l0_stop_trigger: usize,
    /// Set [`Options::level1_size`].
    level1_size: u64,
    /// Set [`Options::level_size_multiplier`].
    level_size_multiplier: u64,
    /// Set [`Options::num_levels`].
    num_levels: usize,
    /// Set [`Options::target_file_size`].
    target_file_size: u64,
    /// Set [`Options::background_threads`].
    background_threads: usize,
    /// Set [`Options::auto_compaction`].
    auto_compaction: bool,
    /// Set [`Options::wal_format`].
    wal_format: RecordFormat,
    /// Set [`Options::wal_reopen_per_write`].
    wal_reopen_per_write: bool,
    /// Set [`Options::compaction`].
    compaction: bool,
    /// Set [`Options::compaction_style`].
    compaction_style: CompactionStyle,
    /// Set [`Options::table_format`].
    table_format: RecordFormat,
    /// Set [`Options::group_commit`].
    group_commit: bool,
    /// Set [`Options::parallel_memtable_writes`].
    parallel_memtable_writes: bool,
    /// Set [`Options::recent_writes_bytes`].
    recent_writes_bytes: u64,
    /// Set [`Options::event_stats`].
    event_stats: bool,
    /// Set [`Options::wal_recovery`].
    wal_recovery: WalRecovery,
    /// Set [`Options::file_system`].
    file_system: Arc<dyn FileSystem>,
}

impl Options {
    /// Set [`Options::memtable`], a built-in map kind (and drop any
    /// [`Options::memtable_map`] set before).
    #[must_use]
    pub fn memtable(mut self, kind: MapKind) -> Self {
        self.memtable = kind;
        self.memtable_factory = None;
        self
    }

    /// Put the memtable on a map type of your own: any
    /// [`ConcurrentMap`]`<`[`MemKey`]`, `[`Bytes`]`> + Default`, from any crate (see
    /// `engine/examples/own_memtable.rs`). It overrides [`Options::memtable`]. The engine
    /// only inserts fresh keys (every write has its own sequence number), seeks with
    /// `first_in` and scans with `range`, from many threads at once.
    #[must_use]
    pub fn memtable_map<M: ConcurrentMap<MemKey, Bytes> + Default + 'static>(mut self) -> Self {
        self.memtable_factory = Some(MemtableFactory::of::<M>());
        self
    }

    /// A new, empty memtable as these options ask: over the user's map type if one was given
    /// ([`Options::memtable_map`]), else over the built-in [`Options::memtable`] kind.
    pub(crate) fn new_memtable(&self) -> Arc<dyn MemTable> {
        match &self.memtable_factory {
            Some(factory) => factory.make(),
            None => new_memtable(self.memtable),
        }
    }

    /// The name of the memtable's map: the user's map if one was set, else the kind's.
    pub fn memtable_name(&self) -> &'static str {
        match &self.memtable_factory {
            Some(f) => f.name(),
            None => self.memtable.name(),
        }
    }

    /// Check every field; the first problem is returned as [`Error::InvalidOptions`].
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::InvalidOptions(msg));
        if self.memtable_size < 4096 {
            return bad(format!(
                "memtable_size {} is below the minimum of 4096 bytes",
                self.memtable_size
            ));
        }
        if self.max_immutable_memtables == 0 {
            return bad("max_immutable_memtables must be at least 1".into());
        }
        if !(256..=(16 << 20)).contains(&self.block_size) {
            return bad(format!(
                "block_size {} is outside 256 B ..= 16 MiB",
                self.block_size
            ));
        }
        if self.bloom_bits_per_key > 64 {
            return bad(format!(
                "bloom_bits_per_key {} is above 64",
                self.bloom_bits_per_key
            ));
        }
        if self.l0_compaction_trigger == 0 {
            return bad("l0_compaction_trigger must be at least 1".into());
        }
        if !(self.l0_compaction_trigger <= self.l0_slowdown_trigger
            && self.l0_slowdown_trigger <= self.l0_stop_trigger)
        {
            return bad(format!(
                "L0 triggers must satisfy compaction ({}) <= slowdown ({}) <= stop ({})",
                self.l0_compaction_trigger, self.l0_slowdown_trigger, self.l0_stop_trigger
            ));
        }
        if !(2..=16).contains(&self.num_levels) {
            return bad(format!("num_levels {} is outside 2..=16", self.num_levels));
        }
        if self.level_size_multiplier < 2 {
            return bad("level_size_multiplier must be at least 2".into());
        }
        if self.level1_size < 4096 || self.target_file_size < 4096 {
            return bad("level1_size and target_file_size must be at least 4096 bytes".into());
        }
        if self.background_threads == 0 {
            return bad("background_threads must be at least 1".into());
        }
        if let SyncPolicy::GroupCommit { max_delay } | SyncPolicy::Buffered { max_delay } =
            self.sync
        {
            if max_delay > Duration::from_secs(1) {
                return bad(format!("sync max_delay {max_delay:?} is above 1 s"));
            }
        }
        Ok(())
    }

    /// Target size of level `level` (1-based levels; L0 is counted in files, not bytes).
    pub fn level_target(&self, level: usize) -> u64 {
        let mut size = self.level1_size;
        for _ in 1..level {
            size = size.saturating_mul(self.level_size_multiplier);
        }
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_of_ones_own_overrides_the_kind_until_a_kind_is_set() {
        type Own = ferrolite_structures::MutexBTreeMap<MemKey, Bytes>;
        let o = Options::default().memtable_map::<Own>();
        assert_eq!(o.memtable_name(), "btree");
        assert_eq!(o.new_memtable().name(), "btree");
        assert!(format!("{o:?}").contains("MemtableFactory(btree)"));
        let o = o.memtable(MapKind::Hazard);
        assert_eq!(o.memtable_name(), "hazard");
        assert!(o.memtable_factory.is_none());
        assert_eq!(o.new_memtable().name(), "hazard");
    }

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        Options::default().validate().unwrap();
        let err = Options::default().block_size(10).validate().unwrap_err();
        assert!(err.to_string().contains("block_size"), "{err}");
        let err = Options::default()
            .l0_slowdown_trigger(2)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("slowdown"), "{err}");
        assert!(Options::default().background_threads(0).validate().is_err());
    }

    #[test]
    fn stage_presets_are_cumulative_and_valid() {
        for stage in Stage::ALL {
            Options::stage(stage).validate().unwrap();
            assert_eq!(stage.name().parse::<Stage>().unwrap(), stage);
        }
        let s0 = Options::stage(Stage::S0);
        assert!(s0.wal_reopen_per_write && !s0.group_commit && !s0.auto_compaction);
        assert_eq!(
            (s0.wal_format, s0.table_format, s0.memtable),
            (RecordFormat::Json, RecordFormat::Json, MapKind::Mutex)
        );
        assert_eq!((s0.bloom_bits_per_key, s0.block_cache_bytes), (0, 0));
        assert!(!Options::stage(Stage::S1).wal_reopen_per_write);
        assert!(Options::stage(Stage::S2).group_commit);
        let s3 = Options::stage(Stage::S3);
        assert!(s3.auto_compaction && !s3.compaction && s3.memtable == MapKind::Epoch);
        assert!(s3.parallel_memtable_writes && !Options::stage(Stage::S2).parallel_memtable_writes);
        let s4 = Options::stage(Stage::S4);
        assert!(s4.compaction);
        assert_eq!(s4.table_format, RecordFormat::Binary);
        assert_eq!(s4.compaction_style, CompactionStyle::Leveled);
        assert_eq!(s4.recent_writes_bytes, 0);
        assert!(Options::stage(Stage::S5).recent_writes_bytes > 0);
        assert!("S9".parse::<Stage>().is_err());
    }
}
