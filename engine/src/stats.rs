//! Engine statistics: atomic counters bumped on the hot paths, read as a [`DbStats`] snapshot.
//!
//! Counters are `Relaxed` atomics — each is an independent tally and no decision depends on
//! reading two of them consistently. Write amplification is reported as RocksDB's
//! "W-Amp" with the WAL included: bytes written to the WAL and to tables (flushes and
//! compactions) divided by the user bytes (keys + values) written.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

macro_rules! counters {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {
        /// The live counters.
        #[derive(Debug, Default)]
        pub(crate) struct Counters {
            $($(#[doc = $doc])* pub $name: AtomicU64,)*
        }

        /// A snapshot of the engine's counters and shape.
        #[derive(Clone, Debug, Default, PartialEq)]
        #[non_exhaustive]
        pub struct DbStats {
            $($(#[doc = $doc])* pub $name: u64,)*
            /// Tables per level (L0 first).
            pub files_per_level: Vec<usize>,
            /// Bytes per level (L0 first).
            pub bytes_per_level: Vec<u64>,
            /// Frozen memtables waiting for flush.
            pub immutable_memtables: usize,
            /// Bytes in the active memtable (approximate).
            pub memtable_bytes: u64,
            /// The memtable structure.
            pub memtable: &'static str,
            /// Blocks in the block cache.
            pub cache_blocks: usize,
            /// Bytes of the blocks in the block cache.
            pub cache_bytes: u64,
            /// Block cache hits.
            pub cache_hits: u64,
            /// Block cache misses.
            pub cache_misses: u64,
            /// Last sequence number visible to readers.
            pub last_seq: u64,
            /// Live change-feed subscriptions ([`crate::Db::subscribe`]).
            pub feed_subscribers: usize,
            /// What was written this session, as the event-statistics projection tallied it
            /// from the change feed (`None` with `Options::event_stats(false)`).
            pub events: Option<crate::projection::EventStats>,
            /// Keys held by the recent-writes map (0 without one).
            pub recent_writes_keys: u64,
        }

        impl DbStats {
            /// Every monotonic counter as (name, description, value), in declaration order:
            /// what an exporter (Prometheus text, JSON) lists without naming each field.
            pub fn counters(&self) -> Vec<(&'static str, &'static str, u64)> {
                vec![$((stringify!($name), concat!($($doc),*).trim_ascii(), self.$name)),*]
            }
        }

        impl Counters {
            pub(crate) fn fill(&self, out: &mut DbStats) {
                $(out.$name = self.$name.load(Ordering::Relaxed);)*
            }
        }
    };
}

counters! {
    /// Write batches committed.
    batches,
    /// Operations (puts and deletes) committed.
    writes,
    /// User bytes (keys and values) committed.
    user_bytes,
    /// Bytes appended to WAL segments.
    wal_bytes,
    /// WAL write groups (each one write to the OS; a measure of group commit).
    wal_groups,
    /// WAL fsyncs.
    wal_syncs,
    /// Bytes written to tables by flushes.
    flush_bytes,
    /// Memtables flushed.
    flushes,
    /// Bytes read by compactions.
    compaction_read_bytes,
    /// Bytes written to tables by compactions.
    compaction_bytes,
    /// Compactions run (trivial moves included).
    compactions,
    /// Compactions that only moved a table down a level.
    trivial_moves,
    /// Point reads.
    gets,
    /// Point reads answered from a memtable.
    memtable_hits,
    /// Point reads answered by the recent-writes map.
    recent_hits,
    /// Batches inserted into the memtable by their own writer, beside the group's leader
    /// ([`crate::Options::parallel_memtable_writes`]).
    parallel_inserts,
    /// Writer hand-offs (waits in the writer queue for a condition not yet true on arrival)
    /// that ended while spinning.
    waits_spun,
    /// … while yielding the CPU.
    waits_yielded,
    /// … after parking the thread (a futex sleep and wake-up).
    waits_parked,
    /// Times a writer was delayed or stopped.
    stalls,
    /// Total time writers spent delayed or stopped, in microseconds.
    stall_micros,
}

impl DbStats {
    /// (WAL + flush + compaction bytes) / user bytes; 0 before any write.
    pub fn write_amplification(&self) -> f64 {
        if self.user_bytes == 0 {
            return 0.0;
        }
        (self.wal_bytes + self.flush_bytes + self.compaction_bytes) as f64 / self.user_bytes as f64
    }

    /// Table bytes only (flush + compaction) / user bytes, as LSM papers usually count it.
    pub fn table_write_amplification(&self) -> f64 {
        if self.user_bytes == 0 {
            return 0.0;
        }
        (self.flush_bytes + self.compaction_bytes) as f64 / self.user_bytes as f64
    }

    /// Time writers spent stalled.
    pub fn stall_time(&self) -> Duration {
        Duration::from_micros(self.stall_micros)
    }
}

impl fmt::Display for DbStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "memtable {} ({} B active, {} frozen), last seq {}",
            self.memtable, self.memtable_bytes, self.immutable_memtables, self.last_seq
        )?;
        writeln!(
            f,
            "writes {} in {} batches, {} user B; WAL {} B in {} groups, {} syncs",
            self.writes,
            self.batches,
            self.user_bytes,
            self.wal_bytes,
            self.wal_groups,
            self.wal_syncs
        )?;
        writeln!(
            f,
            "flushes {} ({} B), compactions {} ({} trivial moves, read {} B, wrote {} B)",
            self.flushes,
            self.flush_bytes,
            self.compactions,
            self.trivial_moves,
            self.compaction_read_bytes,
            self.compaction_bytes
        )?;
        writeln!(
            f,
            "write amplification {:.2} (tables only {:.2}); stalls {} ({:?})",
            self.write_amplification(),
            self.table_write_amplification(),
            self.stalls,
            self.stall_time()
        )?;
        writeln!(
            f,
            "gets {} ({} from recent writes, {} from memtables); cache {} blocks, {} hits, {} misses",
            self.gets,
            self.recent_hits,
            self.memtable_hits,
            self.cache_blocks,
            self.cache_hits,
            self.cache_misses
        )?;
        if let Some(e) = &self.events {
            writeln!(
                f,
                "events (projection) {} batches, {} puts, {} deletes, {} key B, {} value B, \
                 applied to seq {}, {} ops lagged",
                e.events,
                e.puts,
                e.deletes,
                e.key_bytes,
                e.value_bytes,
                e.applied_seq,
                e.lagged_ops
            )?;
        }
        write!(
            f,
            "files per level {:?}, bytes per level {:?}",
            self.files_per_level, self.bytes_per_level
        )
    }
}
