//! The soak run's shape and limits: threads and the keys each owns, the largest value and
//! batch, how many snapshots a thread holds, the time budget's environment variable, when a
//! run counts as hung, and the fixed slack of the memory bound.

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
pub(super) const MAX_HELD: usize = 2;

/// Other threads' keys a held snapshot remembers (to re-read them later).
pub(super) const HELD_OTHERS: usize = 64;

/// Largest value written, in bytes.
pub const MAX_VALUE: u32 = 128 << 10;

/// Largest batch.
pub(super) const MAX_BATCH: usize = 8;

/// Fixed allowance in the memory bound for the allocator's per-thread arenas and
/// fragmentation, thread stacks, the test harness and everything else not sized by an option.
pub const RSS_SLACK_KIB: u64 = 64 << 10;
