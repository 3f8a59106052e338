//! What a soak run did and saw ([`SoakReport`]: operations by kind, the engine's statistics,
//! keys checked, memory) and how it is printed at the end of a run.

use ferrolite::{DbStats, MapKind};
use std::fmt;
use std::time::Duration;

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
    pub(super) fn add(&mut self, o: &OpCounts) {
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
