//! How a power cut is made ([`CutMode`], [`TailMode`]) and what it threw away
//! ([`CutReport`]).

use std::fmt;

/// The prefix of the hidden names removed files wait under until their directory is synced.
pub const TRASH_PREFIX: &str = ".powercut-trash-";

/// What survives of a file's unsynced tail at a cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TailMode {
    /// Nothing: the file is cut to its durable length.
    Drop,
    /// A random prefix of the unsynced tail.
    Prefix,
    /// A random prefix of the unsynced tail, then zero bytes up to a random length no longer
    /// than the file was.
    ZeroFill,
}

/// How [`super::PowerCutFs::cut`] loses what was not durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutMode {
    /// What survives of unsynced file data.
    pub tail: TailMode,
    /// Keep a random prefix (in order) of the pending directory operations; `false`: undo
    /// every one of them.
    pub keep_dir_prefix: bool,
    /// Seeds the random choices.
    pub seed: u64,
}

impl CutMode {
    /// Lose everything that is not durable: every file at its durable length, every pending
    /// directory operation undone.
    pub fn strict() -> CutMode {
        CutMode {
            tail: TailMode::Drop,
            keep_dir_prefix: false,
            seed: 0,
        }
    }

    /// Torn state: random prefixes of unsynced tails (zero-filled or not) and of the pending
    /// directory operations.
    pub fn torn(seed: u64, zero_fill: bool) -> CutMode {
        CutMode {
            tail: if zero_fill {
                TailMode::ZeroFill
            } else {
                TailMode::Prefix
            },
            keep_dir_prefix: true,
            seed,
        }
    }
}

/// What one [`super::PowerCutFs::cut`] threw away.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CutReport {
    /// Files cut shorter than they were.
    pub files_truncated: u64,
    /// Unsynced bytes lost (cut off or replaced by zeros).
    pub lost_unsynced_bytes: u64,
    /// Zero bytes written in place of lost data ([`TailMode::ZeroFill`]).
    pub zeroed_bytes: u64,
    /// Files whose creation was undone (including files in a directory whose creation was).
    pub files_vanished: u64,
    /// Renames undone.
    pub renames_undone: u64,
    /// Removals undone (the file came back).
    pub removals_undone: u64,
    /// Directories whose creation was undone (emptied).
    pub dirs_emptied: u64,
    /// Pending directory operations kept (made durable by the cut's journal).
    pub dir_ops_kept: u64,
}

impl CutReport {
    /// Add `other`'s counts to these.
    pub fn add(&mut self, other: &CutReport) {
        self.files_truncated += other.files_truncated;
        self.lost_unsynced_bytes += other.lost_unsynced_bytes;
        self.zeroed_bytes += other.zeroed_bytes;
        self.files_vanished += other.files_vanished;
        self.renames_undone += other.renames_undone;
        self.removals_undone += other.removals_undone;
        self.dirs_emptied += other.dirs_emptied;
        self.dir_ops_kept += other.dir_ops_kept;
    }
}

impl fmt::Display for CutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} files truncated ({} unsynced bytes lost, {} zeroed), {} files vanished, {} \
             renames undone, {} removals undone, {} dirs emptied, {} dir ops kept",
            self.files_truncated,
            self.lost_unsynced_bytes,
            self.zeroed_bytes,
            self.files_vanished,
            self.renames_undone,
            self.removals_undone,
            self.dirs_emptied,
            self.dir_ops_kept
        )
    }
}
