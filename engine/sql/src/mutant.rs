//! Seeded planner bugs, to show that the differential test against SQLite can fail.
//!
//! Compiled only with the feature `test-mutants` (the differential test crate turns it on
//! for its tests; product builds never have it), and active only after [`activate`]: with
//! the feature on and nothing activated, the planner is the correct one.
//!
//! - [`Mutant::WrongPlan`]: the planner treats the *second* column of a multi-column index
//!   as if it led the index, so `WHERE b = 3` on an index `(a, b)` becomes a lookup of the
//!   entries whose first value is 3 — an index used for a predicate it cannot answer. The
//!   residual filter cannot repair it: the rows it never reads are missing. (The hook is
//!   `wrong_plan` in `sql/access.rs`.)

use std::sync::atomic::{AtomicU8, Ordering};

/// A seeded bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutant {
    /// An index used for a predicate on its second column.
    WrongPlan,
}

impl Mutant {
    /// Every mutant, by name.
    pub const ALL: &[(&str, Mutant)] = &[("wrong-plan", Mutant::WrongPlan)];
}

static ACTIVE: AtomicU8 = AtomicU8::new(0);

/// Make `m` active in this process (`None`: none).
pub fn activate(m: Option<Mutant>) {
    // Relaxed: a test flag set before the statements it affects run, on the same thread or
    // before spawning the threads that run them.
    ACTIVE.store(m.map_or(0, |m| m as u8 + 1), Ordering::Relaxed);
}

/// Whether `m` is active.
pub fn active(m: Mutant) -> bool {
    ACTIVE.load(Ordering::Relaxed) == m as u8 + 1
}
