//! The search for a linearization of one key's operations (Wing & Gong, with Lowe's cache).
//!
//! A history is linearizable when its operations can be put in one sequential order that (1)
//! respects real time — if `a` returned before `b` was invoked, `a` comes first — and (2) is
//! legal for the sequential specification: replaying the order from the initial state (the
//! key absent) reproduces every recorded result. Because operations on different keys commute
//! and each key's specification is independent, a map history is linearizable exactly when
//! each key's sub-history is (locality, Herlihy & Wing), so the search runs per key.
//!
//! **Depth-first search.** A configuration is the set of operations linearized so far plus the
//! state they leave the key in. From a configuration, the candidates for the next position are
//! the *minimal* operations: not yet linearized, and with no not-yet-linearized operation that
//! returned before they were invoked. With the operations sorted by invocation time that is a
//! prefix: every open operation invoked before the earliest response among open operations.
//! Each candidate whose recorded result matches the specification in the current state is
//! tried in turn (`Op::step`), backtracking on a dead end. The history is linearizable when
//! every operation gets linearized.
//!
//! **Memoization.** Two paths that linearized the same *set* of operations and reached the same
//! key state have the same future, so each (set, state) pair is explored once (Lowe's
//! "cache" of configurations). Sets are bitsets (`Vec<u64>`, one bit per operation). Since a
//! thread runs one operation at a time, a linearized set is a prefix of every thread's
//! operations, so with `T` threads and `n` operations there are at most `(n/T + 1)^T` sets,
//! times the number of distinct values: polynomial, and in practice the real-time order cuts
//! it to a few states per operation. The number of configurations explored is returned as
//! `states`, the checker's unit of work.
//!
//! **Ghosts.** [`check_key_with_ghosts`] also accepts operations marked as *ghosts*: operations
//! whose results are no longer claimed, which may take effect (an insert writes its value, a
//! remove deletes the key) at one point of their interval, or not at all. The shrinker uses them
//! for the operations it drops (see `violation.rs`); a ghost simply adds a second branch ("it
//! did nothing") to the search.
//!
//! The search is recursive; its depth is the number of operations on the key: at most 576 for
//! the histories the runner records (3 threads × 192), far from any stack limit. Hand-made
//! histories of many thousands of operations on one key would need a bigger stack.

use super::history::{Event, KeyState};
use std::collections::HashSet;

/// The outcome of searching one key's operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyCheck {
    /// A legal order, as indices into the slice given to [`check_key`], if one exists.
    pub witness: Option<Vec<usize>>,
    /// Configurations (linearized set, key state) explored.
    pub states: u64,
}

impl KeyCheck {
    /// Whether a linearization was found.
    pub fn linearizable(&self) -> bool {
        self.witness.is_some()
    }
}

/// Searches for a linearization of `ops`, which must all be on one key, starting from the key
/// being absent. The slice may be in any order.
pub fn check_key(ops: &[Event]) -> KeyCheck {
    check_key_with_ghosts(ops, &vec![false; ops.len()])
}

/// [`check_key`] where `ghost[i]` marks `ops[i]` as a ghost: its recorded result is ignored
/// and it may take effect within its interval or not at all. The witness lists ghosts too.
pub fn check_key_with_ghosts(ops: &[Event], ghost: &[bool]) -> KeyCheck {
    assert_eq!(ops.len(), ghost.len(), "one ghost flag per operation");
    debug_assert!(ops.windows(2).all(|w| w[0].op.key() == w[1].op.key()));
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| ops[i].invoke);
    let sorted: Vec<Event> = order.iter().map(|&i| ops[i]).collect();
    let ghosts: Vec<bool> = order.iter().map(|&i| ghost[i]).collect();
    let mut search = Search {
        ops: &sorted,
        ghost: &ghosts,
        done: vec![0; sorted.len().div_ceil(64)],
        seen: HashSet::new(),
        path: Vec::with_capacity(sorted.len()),
        states: 0,
    };
    let found = search.dfs(None, 0);
    KeyCheck {
        witness: found.then(|| search.path.iter().map(|&i| order[i]).collect()),
        states: search.states,
    }
}

/// Whether `ops` (one key's operations) have a linearization.
pub fn is_linearizable(ops: &[Event]) -> bool {
    check_key(ops).linearizable()
}

/// The state of one depth-first search.
struct Search<'a> {
    /// The operations, sorted by invocation time.
    ops: &'a [Event],
    /// Which of them are ghosts.
    ghost: &'a [bool],
    /// The linearized set, one bit per operation.
    done: Vec<u64>,
    /// Configurations already explored (and found to be dead ends, or being explored).
    seen: HashSet<(Vec<u64>, KeyState)>,
    /// The current linearization, by index into `ops`.
    path: Vec<usize>,
    /// Configurations explored.
    states: u64,
}

impl Search<'_> {
    fn is_done(&self, i: usize) -> bool {
        self.done[i / 64] & (1 << (i % 64)) != 0
    }

    fn flip(&mut self, i: usize) {
        self.done[i / 64] ^= 1 << (i % 64);
    }

    /// Tries to extend the current prefix (`count` operations, leaving the key in `state`)
    /// to a full linearization. On success the order is in `self.path`.
    fn dfs(&mut self, state: KeyState, count: usize) -> bool {
        let n = self.ops.len();
        if count == n {
            return true;
        }
        if !self.seen.insert((self.done.clone(), state)) {
            return false;
        }
        self.states += 1;
        // Candidates: open operations invoked before the earliest response of an open one.
        let first_open = (0..n).find(|&i| !self.is_done(i)).unwrap_or(n);
        let horizon = (first_open..n)
            .filter(|&i| !self.is_done(i))
            .map(|i| self.ops[i].response)
            .min()
            .unwrap_or(u64::MAX);
        for i in first_open..n {
            if self.ops[i].invoke > horizon {
                break;
            }
            if self.is_done(i) {
                continue;
            }
            let (first, second) = if self.ghost[i] {
                // Takes effect (whatever it returned), or does nothing.
                (Some(self.ops[i].op.effect(state)), Some(state))
            } else {
                (self.ops[i].op.step(state), None)
            };
            for next in [first, second].into_iter().flatten() {
                self.flip(i);
                self.path.push(i);
                if self.dfs(next, count + 1) {
                    return true;
                }
                self.path.pop();
                self.flip(i);
                if first == second {
                    break;
                }
            }
        }
        false
    }
}
