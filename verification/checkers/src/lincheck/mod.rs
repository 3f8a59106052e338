//! # Linearizability checking of recorded concurrent histories
//!
//! The other checkers of this crate explore schedules of small models (loom exhaustively,
//! shuttle at random) or compare sequential runs with a `BTreeMap` (proptest). This one
//! checks what real threads on real cores observed: it runs short, heavily colliding
//! workloads against a map on std threads, records every operation's interval and result, and
//! asks whether some sequential map could have produced exactly those results in an order
//! that respects real time — Herlihy and Wing's *linearizability*. It needs no model of the
//! implementation and no instrumentation; it catches results that are wrong under contention
//! (two removes that both succeed, an insert that reports "replaced" for a key a concurrent
//! remove just deleted, a read of a value already removed), whatever bug produced them.
//!
//! The pieces, in the order they run:
//!
//! | file | what it does |
//! |---|---|
//! | `runner.rs` | draws workloads, records histories on std threads with a shared `SeqCst` clock and a stall watchdog, loops over histories ([`check_map`], [`survey_map`]) |
//! | `history.rs` | the vocabulary: [`Op`] (operation + result, with the sequential spec [`Op::step`]), [`Event`] (+ interval), [`History`] |
//! | `search.rs` | per-key depth-first search for a linearization, memoized on (linearized set, state) ([`check_key`]) |
//! | `violation.rs` | [`check_history`], shrinking to a minimal non-linearizable sub-history, the timeline ([`Violation`]) |
//! | `tests.rs` | hand-made histories (accepted, rejected, minimal sizes), broken, stuck and panicking maps |
//!
//! Two classical facts keep it cheap. *Locality*: a history is linearizable iff each key's
//! sub-history is, so the search runs per key on at most a few hundred operations. *Memoization* (Lowe,
//! after Wing & Gong): the future of a partial linearization depends only on which operations
//! it placed and the key's state, so each such configuration is explored once.
//!
//! It is a sound but incomplete bug finder: every reported violation is real (the recorded
//! intervals only widen the true ones), but a bug shows only if a schedule exposes it during
//! the run, so the workloads are built to collide (one to three keys, 2–3 threads released
//! together, thousands of histories). How much real overlap a run got is measured
//! ([`History::concurrent_ops`]): on a loaded machine a history's threads often share a core
//! and run one after the other, and only the many histories make up for it. `tests/lincheck.rs` runs it over every map; the budget
//! comes from [`crate::Mode`] through [`Budget::for_mode`].
//!
//! ```
//! use ferrolite_checkers::lincheck::{check_history, History, Op};
//! let mut h = History::new();
//! h.push(0, 0, 1, Op::Insert { key: 7, value: 1, new: true });
//! h.push(1, 2, 5, Op::Remove { key: 7, removed: Some(1) });
//! h.push(0, 3, 4, Op::Get { key: 7, found: None }); // overlaps the remove: fine
//! assert!(check_history(&h).is_ok());
//! h.push(0, 6, 7, Op::Get { key: 7, found: Some(1) }); // after the remove returned: stale
//! let v = check_history(&h).unwrap_err();
//! assert_eq!(v.minimal.len(), 3); // the insert, the remove, the stale get
//! ```

mod explain;
mod history;
mod html;
mod runner;
mod search;
mod violation;

#[cfg(test)]
mod tests;

pub use explain::{contradiction, dead_ends, why_lines, DeadEnd};
pub use history::{encode_value, Event, History, KeyState, Op, ValueLabel};
pub use html::{page as timeline_page, publish, ARTIFACTS_VAR};
#[doc(hidden)] // the engine checker records its histories the same way
pub use runner::start_together;
pub use runner::{
    check_map, check_with, record, record_watched, seed_from_env, survey_map, survey_with, Budget,
    Call, Stats, Survey, Workload,
};
pub use search::{check_key, check_key_with_ghosts, is_linearizable, KeyCheck};
pub use violation::{check_history, render_timeline, shrink, HistoryCheck, Violation};
