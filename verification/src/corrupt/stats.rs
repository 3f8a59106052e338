//! The tally of a damage run ([`Stats`]): how many trials of each kind ran and how the
//! engine answered them (damage detected, recovered exactly, reopened after an undo), which
//! `run` prints and reports as `VERIFY-STAT` lines.

/// What the run did.
#[derive(Default, Debug)]
pub(super) struct Stats {
    pub(super) cuts: u64,
    pub(super) bit_flips: u64,
    pub(super) corruption_detected: u64,
    pub(super) recovered_ok: u64,
    pub(super) undo_reopens: u64,
    pub(super) missing_tables: u64,
    pub(super) missing_files: u64,
    pub(super) extra_tables: u64,
    /// Trials of WAL damage under `TolerateCorruptedTail` and `PointInTime`.
    pub(super) mode_trials: u64,
}
