//! What a case keeps between two operations: a [`Session`] (what lives between two opens of
//! the database — live snapshots with the model as it was, iterators held open with what
//! they must read) and the [`Counts`] the statistics checks compare with the engine's.

use super::outcome::{Model, Outcome};
use ferrolite::Snapshot;

/// An iterator held open: what it read so far and what it must read in all.
pub(super) struct HeldIter {
    pub(super) serial: u32,
    pub(super) text: String,
    pub(super) iter: ferrolite::DbIter,
    pub(super) read: Vec<(Vec<u8>, Vec<u8>)>,
    pub(super) want: Vec<(Vec<u8>, Vec<u8>)>,
}

impl HeldIter {
    /// Read the rest: `(everything read, everything expected)`.
    pub(super) fn finish(mut self) -> (Outcome, Outcome) {
        for item in &mut self.iter {
            match item {
                Ok((k, v)) => self.read.push((k.to_vec(), v.to_vec())),
                Err(e) => return (Outcome::Error(e.to_string()), Outcome::Entries(self.want)),
            }
        }
        (Outcome::Entries(self.read), Outcome::Entries(self.want))
    }
}

/// What lives between two opens of the database.
pub(super) struct Session<'db> {
    pub(super) snaps: Vec<LiveSnap<'db>>,
    pub(super) held: Vec<HeldIter>,
}

/// A live snapshot with the model as it was when the snapshot was taken.
pub(super) struct LiveSnap<'db> {
    pub(super) serial: u32,
    pub(super) snap: Snapshot<'db>,
    pub(super) model: Model,
}

/// What a case counted, for the summary and the session's counter checks.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Counts {
    /// Operations written since the database was created (the expected last sequence).
    pub(super) writes: u64,
    /// Operations written since the last open.
    pub(super) session_writes: u64,
    /// Batches committed since the last open.
    pub(super) session_batches: u64,
    /// Point reads (snapshot reads included) since the last open.
    pub(super) session_gets: u64,
    /// Snapshots taken (serial numbers).
    pub(super) snapshots: u32,
    /// Iterators held open (serial numbers).
    pub(super) iters: u32,
    pub(super) reopens: u64,
}
