//! What a concurrent history is made of: operations with their results, and the intervals in
//! which they ran.
//!
//! A linearizability checker never sees the map, only what its callers observed. Each observed
//! operation is an [`Event`]: the thread that ran it, the operation *with the result it
//! returned* ([`Op`]), and two readings of a shared logical clock, one taken just before the
//! call and one just after it returned. The readings come from one `fetch_add(SeqCst)` counter
//! (see [`super::record`]), so they are all distinct and totally ordered consistently with real
//! time: when `a.response < b.invoke`, operation `a` really finished before `b` started, and a
//! linearization must order `a` before `b`. Overlapping intervals leave the order open — that
//! freedom is exactly what the checker searches.
//!
//! The sequential specification is the map's, restricted to one key: the key's state is
//! either absent or one value, and [`Op::step`] says whether an operation's recorded result is
//! what the specification returns from a given state, and which state follows. Besides the
//! map's operations, the vocabulary has the *blind writes* of a key-value store (`put` and
//! `delete`, which return nothing and so fit every state): the engine checker
//! (`crate::engine_lin`) speaks it too. Operations on
//! different keys commute, so a [`History`] is checked one key at a time
//! ([`History::by_key`]); that is what keeps the search small.
//!
//! Values are made unique per history ([`encode_value`]: writer thread and sequence number),
//! so a value a `get` or `remove` returns names the one `insert` that wrote it. That is what
//! lets the shrinker keep a reader together with its writer, and what makes the timelines
//! readable (`v1.4` is thread 1's fifth operation).

use std::collections::BTreeMap;
use std::fmt;

/// The value thread `thread` writes with its operation number `seq`: unique within a history.
pub fn encode_value(thread: usize, seq: usize) -> u64 {
    ((thread as u64) << 32) | (seq as u64 & 0xffff_ffff)
}

/// Formats a value made by [`encode_value`] as `v<thread>.<seq>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueLabel(pub u64);

impl fmt::Display for ValueLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.0 >> 32, self.0 & 0xffff_ffff)
    }
}

/// Formats an optional value as `Some(v0.1)` or `None`.
struct OptLabel(Option<u64>);

impl fmt::Display for OptLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "Some({})", ValueLabel(v)),
            None => f.write_str("None"),
        }
    }
}

/// The state of one key in the sequential specification: absent, or one value.
pub type KeyState = Option<u64>;

/// One completed map operation on a `u64` key, together with the result it returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `insert(key, value)`.
    Insert {
        /// The key.
        key: u64,
        /// The value written.
        value: u64,
        /// The result: `true` if the key was absent (new), `false` if a value was replaced.
        new: bool,
    },
    /// `get(key)`.
    Get {
        /// The key.
        key: u64,
        /// The result: the value read, if any.
        found: Option<u64>,
    },
    /// `first_in(key..=key)`: a point read through the range seek (what an LSM memtable's point
    /// reads use), with `get`'s specification.
    FirstIn {
        /// The key.
        key: u64,
        /// The result: the value of the first entry in `key..=key`, if any.
        found: Option<u64>,
    },
    /// `remove(key)`.
    Remove {
        /// The key.
        key: u64,
        /// The result: the value removed, if any.
        removed: Option<u64>,
    },
    /// `contains(key)`.
    Contains {
        /// The key.
        key: u64,
        /// The result: whether the key was present.
        present: bool,
    },
    /// A blind write `put(key, value)`: sets the key whatever it held, and returns nothing
    /// (an LSM engine's put, which never reads the old value).
    Put {
        /// The key.
        key: u64,
        /// The value written.
        value: u64,
    },
    /// A blind `delete(key)`: makes the key absent whatever it held, and returns nothing.
    Delete {
        /// The key.
        key: u64,
    },
}

impl Op {
    /// The key the operation is on.
    pub fn key(&self) -> u64 {
        match *self {
            Op::Insert { key, .. }
            | Op::Get { key, .. }
            | Op::FirstIn { key, .. }
            | Op::Remove { key, .. }
            | Op::Contains { key, .. }
            | Op::Put { key, .. }
            | Op::Delete { key } => key,
        }
    }

    /// The sequential specification. Applied to `state` (the key's value or absence), returns
    /// the next state if the recorded result is the one the specification returns there, and
    /// `None` if the operation cannot take effect in that state.
    pub fn step(&self, state: KeyState) -> Option<KeyState> {
        match *self {
            Op::Insert { value, new, .. } => (new == state.is_none()).then_some(Some(value)),
            Op::Get { found, .. } | Op::FirstIn { found, .. } => (found == state).then_some(state),
            Op::Remove { removed, .. } => (removed == state).then_some(None),
            Op::Contains { present, .. } => (present == state.is_some()).then_some(state),
            // Blind writes return nothing, so every state accepts them.
            Op::Put { value, .. } => Some(Some(value)),
            Op::Delete { .. } => Some(None),
        }
    }

    /// The state after this operation whatever it returned: what a ghost does when it takes
    /// effect (the checker's shrinker, see [`super::check_key_with_ghosts`]).
    pub fn effect(&self, state: KeyState) -> KeyState {
        match *self {
            Op::Insert { value, .. } | Op::Put { value, .. } => Some(value),
            Op::Remove { .. } | Op::Delete { .. } => None,
            Op::Get { .. } | Op::FirstIn { .. } | Op::Contains { .. } => state,
        }
    }

    /// The value this operation returned from the map (a `get` or `remove` that found one).
    pub fn observed(&self) -> Option<u64> {
        match *self {
            Op::Get { found, .. } | Op::FirstIn { found, .. } => found,
            Op::Remove { removed, .. } => removed,
            _ => None,
        }
    }

    /// The value this operation wrote (an `insert`'s or a `put`'s).
    pub fn written(&self) -> Option<u64> {
        match *self {
            Op::Insert { value, .. } | Op::Put { value, .. } => Some(value),
            _ => None,
        }
    }
}

impl fmt::Display for Op {
    /// `insert(2,v0.1)=new`, `insert(2,v1.3)=replaced`, `get(2)=Some(v0.1)`, `remove(2)=None`,
    /// `contains(2)=true`, `put(2,v0.1)`, `delete(2)` (blind writes have no result to show).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Insert { key, value, new } => write!(
                f,
                "insert({key},{})={}",
                ValueLabel(value),
                if new { "new" } else { "replaced" }
            ),
            Op::Get { key, found } => write!(f, "get({key})={}", OptLabel(found)),
            Op::FirstIn { key, found } => write!(f, "first_in({key})={}", OptLabel(found)),
            Op::Remove { key, removed } => write!(f, "remove({key})={}", OptLabel(removed)),
            Op::Contains { key, present } => write!(f, "contains({key})={present}"),
            Op::Put { key, value } => write!(f, "put({key},{})", ValueLabel(value)),
            Op::Delete { key } => write!(f, "delete({key})"),
        }
    }
}

/// One operation as a thread observed it: what it did, what it got, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// The thread that ran it (0-based within the history).
    pub thread: usize,
    /// The operation and its result.
    pub op: Op,
    /// The clock reading taken just before the call.
    pub invoke: u64,
    /// The clock reading taken just after the call returned (greater than `invoke`).
    pub response: u64,
}

impl Event {
    /// Whether `self` finished before `other` started (real-time order: every linearization
    /// puts `self` first).
    pub fn precedes(&self, other: &Event) -> bool {
        self.response < other.invoke
    }
}

/// A complete concurrent history: every operation of every thread, with its interval.
///
/// Histories are *complete*: every recorded operation returned (the recorder joins its threads
/// before handing the history over), so no pending operation needs completing or dropping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// The operations, in any order.
    pub events: Vec<Event>,
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// Appends an operation of `thread` that ran within `[invoke, response]`.
    pub fn push(&mut self, thread: usize, invoke: u64, response: u64, op: Op) -> &mut Self {
        self.events.push(Event {
            thread,
            op,
            invoke,
            response,
        });
        self
    }

    /// The number of operations.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether the history has no operation.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The operations on each key, each list sorted by invocation time.
    pub fn by_key(&self) -> BTreeMap<u64, Vec<Event>> {
        let mut keys: BTreeMap<u64, Vec<Event>> = BTreeMap::new();
        for e in &self.events {
            keys.entry(e.op.key()).or_default().push(*e);
        }
        for ops in keys.values_mut() {
            ops.sort_by_key(|e| e.invoke);
        }
        keys
    }

    /// How many operations overlap an operation of another thread: a measure of how much
    /// concurrency the recording actually got (threads that never ran at the same time make
    /// sequential histories, which are easy to pass).
    pub fn concurrent_ops(&self) -> usize {
        let mut threads: BTreeMap<usize, Vec<(u64, u64)>> = BTreeMap::new();
        for e in &self.events {
            threads
                .entry(e.thread)
                .or_default()
                .push((e.invoke, e.response));
        }
        for ops in threads.values_mut() {
            ops.sort_unstable();
        }
        self.events
            .iter()
            .filter(|e| {
                threads.iter().any(|(&t, ops)| {
                    // The first of `t`'s operations that responds after `e` is invoked overlaps
                    // `e` iff it was invoked before `e` responded.
                    t != e.thread && {
                        let i = ops.partition_point(|&(_, r)| r < e.invoke);
                        ops.get(i).is_some_and(|&(inv, _)| inv < e.response)
                    }
                })
            })
            .count()
    }

    /// Checks that the history is well formed: every interval is non-empty, all clock
    /// readings are distinct, and each thread's operations do not overlap (a thread runs one
    /// operation at a time). Hand-made histories should pass this; recorded ones always do.
    pub fn validate(&self) -> Result<(), String> {
        let mut stamps: Vec<u64> = Vec::with_capacity(2 * self.events.len());
        let mut threads: BTreeMap<usize, Vec<&Event>> = BTreeMap::new();
        for e in &self.events {
            if e.invoke >= e.response {
                return Err(format!(
                    "t{} {}: invoke {} is not before response {}",
                    e.thread, e.op, e.invoke, e.response
                ));
            }
            stamps.extend([e.invoke, e.response]);
            threads.entry(e.thread).or_default().push(e);
        }
        stamps.sort_unstable();
        if let Some(w) = stamps.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("clock reading {} is used twice", w[0]));
        }
        for (t, mut ops) in threads {
            ops.sort_by_key(|e| e.invoke);
            if let Some(w) = ops.windows(2).find(|w| !w[0].precedes(w[1])) {
                return Err(format!(
                    "t{t} runs {} and {} at the same time",
                    w[0].op, w[1].op
                ));
            }
        }
        Ok(())
    }
}
