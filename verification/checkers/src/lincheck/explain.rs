//! Why a minimal history has no linear order, in words: every way real time allows to order its
//! operations, followed until the first operation whose recorded result the sequential
//! specification contradicts (each failing prefix is one dead end of the search). A 1-minimal
//! history has few operations, so the dead ends are few and, read in turn, they are the proof.
//!
//! The key's state before the sub-history is unknown: operations the shrinker dropped may have
//! written it. So the search runs twice, from an absent key and from an *earlier value* (one no
//! kept operation wrote). Dropped operations may also have taken effect in between; the
//! checker allowed that too (its ghosts), and the history still had no linear order.

use super::history::{Event, KeyState, Op, ValueLabel};
use std::fmt;

/// One dead end: operations taken in this order (indices into the history), the last of which
/// cannot have returned what it returned, given the state before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadEnd {
    /// The order tried, up to and including the failing operation.
    pub order: Vec<usize>,
    /// The key's state just before the failing operation.
    pub state: KeyState,
}

/// A value no operation of a history writes (recorded values are `thread << 32 | sequence`):
/// the key's state "an earlier value", written before the sub-history.
pub const EARLIER: u64 = u64::MAX;

/// Every dead end of `events` from the key state `initial` (at most `limit`), or `None` if some
/// order is a valid linearization after all.
pub fn dead_ends(events: &[Event], initial: KeyState, limit: usize) -> Option<Vec<DeadEnd>> {
    let mut out = Vec::new();
    let mut order = Vec::new();
    let mut placed = vec![false; events.len()];
    if search(events, &mut placed, &mut order, initial, &mut out, limit) {
        None
    } else {
        Some(out)
    }
}

/// Depth-first over the orders real time allows; returns true on a complete valid order.
fn search(
    events: &[Event],
    placed: &mut [bool],
    order: &mut Vec<usize>,
    state: KeyState,
    out: &mut Vec<DeadEnd>,
    limit: usize,
) -> bool {
    if order.len() == events.len() {
        return true;
    }
    for i in 0..events.len() {
        if placed[i] {
            continue;
        }
        // Every operation that finished before `i` started must already be placed.
        let ready =
            (0..events.len()).all(|j| placed[j] || j == i || !events[j].precedes(&events[i]));
        if !ready {
            continue;
        }
        order.push(i);
        match events[i].op.step(state) {
            Some(next) => {
                placed[i] = true;
                let done = search(events, placed, order, next, out, limit);
                placed[i] = false;
                if done {
                    return true;
                }
            }
            None => {
                if out.len() < limit {
                    out.push(DeadEnd {
                        order: order.clone(),
                        state,
                    });
                }
            }
        }
        order.pop();
    }
    false
}

/// The key's state in words.
struct State(KeyState);

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("the key was absent"),
            Some(EARLIER) => f.write_str("the key held an earlier value"),
            Some(v) => write!(f, "the key held {}", ValueLabel(v)),
        }
    }
}

/// Why `op` cannot have returned its result in `state`.
pub fn contradiction(op: &Op, state: KeyState) -> String {
    let s = State(state);
    match *op {
        Op::Insert { new: true, .. } => format!("it says the key was new, but {s}"),
        Op::Insert { new: false, .. } => format!("it says it replaced a value, but {s}"),
        Op::Get { found: None, .. } | Op::FirstIn { found: None, .. } => {
            format!("it found nothing, but {s}")
        }
        Op::Get { found: Some(v), .. } | Op::FirstIn { found: Some(v), .. } => {
            format!("it found {}, but {s}", ValueLabel(v))
        }
        Op::Remove { removed: None, .. } => format!("it removed nothing, but {s}"),
        Op::Remove {
            removed: Some(v), ..
        } => format!("it removed {}, but {s}", ValueLabel(v)),
        Op::Contains { present, .. } => {
            format!("it says present = {present}, but {s}")
        }
        Op::Put { .. } | Op::Delete { .. } => format!("a blind write always applies ({s})"),
    }
}

/// The dead ends of `events` as lines of text, from an absent key and from an earlier value
/// (at most `limit` each): `if the key was absent at first: t1 insert(0,v1.18)=replaced
/// first: it says it replaced a value, but the key was absent`.
pub fn why_lines(events: &[Event], limit: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for (initial, start) in [
        (None, "if the key was absent at first"),
        (Some(EARLIER), "if it held an earlier value"),
    ] {
        let Some(ends) = dead_ends(events, initial, limit) else {
            lines.push(format!(
                "{start}, these operations have a linearization (the dropped operations' effects \
                 in between are what rules it out)"
            ));
            continue;
        };
        for d in ends {
            let steps: Vec<String> = d
                .order
                .iter()
                .map(|&i| format!("t{} {}", events[i].thread, events[i].op))
                .collect();
            let last = *d.order.last().expect("a dead end has an operation");
            let (before, failing) = steps.split_at(steps.len() - 1);
            let path = if before.is_empty() {
                format!("{} first", failing[0])
            } else {
                format!("{}, then {}", before.join(", then "), failing[0])
            };
            lines.push(format!(
                "{start}: {path}: {}",
                contradiction(&events[last].op, d.state)
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(thread: usize, invoke: u64, response: u64, op: Op) -> Event {
        Event {
            thread,
            op,
            invoke,
            response,
        }
    }

    #[test]
    fn a_stale_read_has_one_dead_end_per_order() {
        let v = super::super::encode_value(1, 18);
        // t1 inserts and returns; then t0 reads nothing.
        let events = [
            ev(
                1,
                1,
                2,
                Op::Insert {
                    key: 0,
                    value: v,
                    new: true,
                },
            ),
            ev(
                0,
                3,
                4,
                Op::Get {
                    key: 0,
                    found: None,
                },
            ),
        ];
        let why = why_lines(&events, 10);
        assert_eq!(why.len(), 2, "{why:?}");
        assert!(
            why[0].starts_with("if the key was absent at first: t1 insert(0,v1.18)=new"),
            "{why:?}"
        );
        assert!(
            why[0].contains("then t0 get(0)=None: it found nothing, but the key held v1.18"),
            "{why:?}"
        );
        assert!(
            why[1].contains("it says the key was new, but the key held an earlier value"),
            "{why:?}"
        );
        // Overlapping: either order is allowed, and both fail.
        let events = [
            ev(
                1,
                1,
                4,
                Op::Insert {
                    key: 0,
                    value: v,
                    new: false,
                },
            ),
            ev(
                0,
                2,
                3,
                Op::Get {
                    key: 0,
                    found: None,
                },
            ),
        ];
        let why = why_lines(&events, 10);
        assert!(
            why.iter()
                .any(|l| l.contains("replaced") && l.contains("first")),
            "{why:?}"
        );
        // A linearizable pair has nothing to explain.
        let ok = [
            ev(
                1,
                1,
                2,
                Op::Insert {
                    key: 0,
                    value: v,
                    new: true,
                },
            ),
            ev(
                0,
                3,
                4,
                Op::Get {
                    key: 0,
                    found: Some(v),
                },
            ),
        ];
        assert!(dead_ends(&ok, None, 10).is_none());
    }
}
