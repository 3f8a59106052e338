//! From "some key has no linearization" to a small picture a person can debug.
//!
//! A recorded history that fails the check typically has dozens of operations on the guilty
//! key, most of them irrelevant. [`shrink`] reduces it greedily: it tries to drop blocks of
//! consecutive operations (halves, then quarters, … down to single operations, latest first)
//! and keeps a drop whenever what remains is *still* not linearizable, repeating single drops
//! until none succeeds. Dropping an operation
//! leaves every other operation's interval and every thread's program order untouched, so the
//! result is a genuine sub-history of what ran, and it is 1-minimal.
//!
//! "Still not linearizable" is judged with the dropped operations kept as *ghosts*: each may
//! still take effect inside its interval, with whatever result, or not at all
//! ([`super::check_key_with_ghosts`]). Plain deletion would manufacture violations the map
//! never committed: dropping the remove between two successful inserts leaves "insert = new"
//! twice in a row; dropping the insert that wrote `v0.1` leaves "remove returned `v0.1`"
//! unexplained, so a double remove would shrink to that single, uninformative operation. With
//! ghosts, an operation is dropped only if nothing it could have done explains the rest, so
//! the minimal history shows the real conflict: the double remove stays three operations (the
//! insert and both removes), a stale read after a remove stays three, a lost insert (a
//! completed insert followed by `get = None`) is two. Since ghosts may also do nothing, the
//! minimal history is non-linearizable on its own as well.
//!
//! One more rule keeps the writer of every value shown: an `insert` is never dropped while a
//! kept operation returned its value. Without it, the double remove would lose its insert
//! ("two removes returned `v0.1`" is already impossible on its own), and the reader would have
//! to guess where `v0.1` came from and when.
//!
//! A [`Violation`] prints as a timeline, one row per thread, each operation a bar
//! `|--op=result--|` spanning its interval. Columns are not to scale: clock readings are ranked
//! and every bar is widened to fit its label, but the left-to-right order of all invocations
//! and responses is exact, so overlap (concurrency) and precedence (real-time order) read
//! directly off the picture. The raw clock readings follow the timeline.

use super::history::{Event, History};
use super::search::{check_key, check_key_with_ghosts};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A non-linearizable history, reduced to a minimal sub-history on one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The key with no linearization.
    pub key: u64,
    /// Operations on that key in the recorded history.
    pub key_ops: usize,
    /// Operations in the whole recorded history.
    pub history_ops: usize,
    /// The minimal non-linearizable sub-history, sorted by invocation time.
    pub minimal: Vec<Event>,
    /// Where it came from (map, history number, seed), if known; empty otherwise.
    pub context: String,
    /// Search configurations explored by the check that failed (all keys up to this one, not
    /// counting the shrinking).
    pub states: u64,
}

impl Violation {
    /// The minimal sub-history drawn as one row per thread (without the header line).
    pub fn timeline(&self) -> String {
        render_timeline(&self.minimal)
    }

    /// Why no linear order exists: every order real time allows, followed to the operation the
    /// sequential map contradicts (at most `limit` dead ends; see `explain`).
    pub fn why(&self, limit: usize) -> Vec<String> {
        super::explain::why_lines(&self.minimal, limit)
    }

    /// The minimal history as JSON, one object per operation (`thread`, `op`, `key`,
    /// `value`, `result`, `invoke`, `response`), for machine-readable reports.
    pub fn history_json(&self) -> serde_json::Value {
        use super::history::{Op, ValueLabel};
        let label = |v: Option<u64>| v.map(|v| ValueLabel(v).to_string());
        let ops: Vec<serde_json::Value> = self
            .minimal
            .iter()
            .map(|e| {
                let (op, value, result) = match e.op {
                    Op::Insert { value, new, .. } => (
                        "insert",
                        label(Some(value)),
                        serde_json::json!(if new { "new" } else { "replaced" }),
                    ),
                    Op::Get { found, .. } => ("get", None, serde_json::json!(label(found))),
                    Op::FirstIn { found, .. } => {
                        ("first_in", None, serde_json::json!(label(found)))
                    }
                    Op::Remove { removed, .. } => {
                        ("remove", None, serde_json::json!(label(removed)))
                    }
                    Op::Contains { present, .. } => ("contains", None, serde_json::json!(present)),
                    Op::Put { value, .. } => ("put", label(Some(value)), serde_json::Value::Null),
                    Op::Delete { .. } => ("delete", None, serde_json::Value::Null),
                };
                serde_json::json!({
                    "thread": e.thread,
                    "op": op,
                    "key": e.op.key(),
                    "value": value,
                    "result": result,
                    "invoke": e.invoke,
                    "response": e.response,
                })
            })
            .collect();
        serde_json::json!({
            "key": self.key,
            "key_ops": self.key_ops,
            "history_ops": self.history_ops,
            "context": self.context,
            "minimal": ops,
            "why": self.why(40),
        })
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "key {}: no linearization of {} operations (shrunk from {} operations on the key, {} in \
             the history)",
            self.key,
            self.minimal.len(),
            self.key_ops,
            self.history_ops
        )?;
        if !self.context.is_empty() {
            writeln!(f, "{}", self.context)?;
        }
        f.write_str(&self.timeline())?;
        let why = self.why(9);
        writeln!(
            f,
            "why no linear order exists (every order real time allows, to the operation the \
             sequential map contradicts{}):",
            if why.len() > 8 { "; the first 8" } else { "" }
        )?;
        for line in why.iter().take(8) {
            writeln!(f, "  - {line}")?;
        }
        writeln!(f, "intervals [invoke, response] on the shared clock:")?;
        let width = self
            .minimal
            .iter()
            .map(|e| e.op.to_string().len())
            .max()
            .unwrap_or(0);
        for e in &self.minimal {
            writeln!(
                f,
                "  t{} {:<width$}  [{}, {}]",
                e.thread,
                e.op.to_string(),
                e.invoke,
                e.response
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Violation {}

/// What checking one history found, when every key had a linearization.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistoryCheck {
    /// Keys the history touched.
    pub keys: usize,
    /// The most operations on one key.
    pub max_key_ops: usize,
    /// Search configurations explored, over all keys.
    pub states: u64,
}

/// Checks every key of `history`. On failure, returns the first failing key (in key order)
/// with its operations shrunk to a minimal non-linearizable sub-history.
pub fn check_history(history: &History) -> Result<HistoryCheck, Violation> {
    let mut stats = HistoryCheck::default();
    for (key, ops) in history.by_key() {
        let result = check_key(&ops);
        stats.keys += 1;
        stats.max_key_ops = stats.max_key_ops.max(ops.len());
        stats.states += result.states;
        if !result.linearizable() {
            return Err(Violation {
                key,
                key_ops: ops.len(),
                history_ops: history.len(),
                minimal: shrink(&ops),
                context: String::new(),
                states: stats.states,
            });
        }
    }
    Ok(stats)
}

/// Reduces a non-linearizable set of operations on one key to a 1-minimal non-linearizable
/// subset (see the module notes), sorted by invocation time. Returns the operations unchanged
/// (sorted) if they are linearizable after all.
pub fn shrink(ops: &[Event]) -> Vec<Event> {
    let mut ops: Vec<Event> = ops.to_vec();
    ops.sort_by_key(|e| e.invoke);
    let mut ghost = vec![false; ops.len()];
    if check_key_with_ghosts(&ops, &ghost).linearizable() {
        return ops;
    }
    // Try to drop blocks of consecutive kept operations, halving the block size down to one
    // operation, then repeat single drops until none succeeds (big first: each attempt is a
    // search, and most of a long history goes in a few big blocks).
    let mut block = ops.len().div_ceil(2).max(1);
    loop {
        let mut dropped = false;
        let kept: Vec<usize> = (0..ops.len()).filter(|&i| !ghost[i]).collect();
        // Latest blocks first: the conflict is usually near the end of what was recorded.
        for chunk in kept.chunks(block).rev() {
            for &i in chunk {
                ghost[i] = true;
            }
            if keeps_writers(&ops, &ghost) && !check_key_with_ghosts(&ops, &ghost).linearizable() {
                dropped = true;
            } else {
                for &i in chunk {
                    ghost[i] = false;
                }
            }
        }
        if block > 1 {
            block = block.div_ceil(2).min(block - 1).max(1);
        } else if !dropped {
            break;
        }
    }
    ops.into_iter()
        .zip(ghost)
        .filter_map(|(e, g)| (!g).then_some(e))
        .collect()
}

/// The provenance rule: every value a kept (non-ghost) operation returned has its insert kept,
/// when that insert is in `ops` at all.
fn keeps_writers(ops: &[Event], ghost: &[bool]) -> bool {
    let dropped_writes: BTreeSet<u64> = ops
        .iter()
        .zip(ghost)
        .filter_map(|(e, &g)| if g { e.op.written() } else { None })
        .collect();
    ops.iter()
        .zip(ghost)
        .all(|(e, &g)| g || e.op.observed().is_none_or(|v| !dropped_writes.contains(&v)))
}

/// Every distinct clock reading of `events` (invocations and responses), in order: a reading's
/// index is its rank, where the timelines (text and page) draw it.
pub(super) fn clock_readings(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .flat_map(|e| [e.invoke, e.response])
        .collect::<BTreeSet<u64>>()
        .into_iter()
        .collect()
}

/// Draws `events` as one row per thread (see the module notes).
pub fn render_timeline(events: &[Event]) -> String {
    // Rank every clock reading; column[r] is where reading number r is drawn.
    let stamps = clock_readings(events);
    let rank = |t: u64| stamps.binary_search(&t).unwrap_or(0);
    let labels: Vec<String> = events.iter().map(|e| e.op.to_string()).collect();
    // Widest bar ending at each rank: `|--label--|` needs label + 6 columns.
    let mut need: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    for (e, label) in events.iter().zip(&labels) {
        need.entry(rank(e.response))
            .or_default()
            .push((rank(e.invoke), label.len() + 5));
    }
    let mut column = vec![0usize; stamps.len()];
    for r in 0..stamps.len() {
        let mut x = if r == 0 { 0 } else { column[r - 1] + 3 };
        for &(start, span) in need.get(&r).map(Vec::as_slice).unwrap_or(&[]) {
            x = x.max(column[start] + span);
        }
        column[r] = x;
    }
    let mut rows: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
    for (e, label) in events.iter().zip(&labels) {
        let row = rows.entry(e.thread).or_default();
        let (a, b) = (column[rank(e.invoke)], column[rank(e.response)]);
        if row.len() <= b {
            row.resize(b + 1, b' ');
        }
        row[a..=b].fill(b'-');
        row[a] = b'|';
        row[b] = b'|';
        // Centre the label in the bar.
        let start = a + 1 + (b - a - 1 - label.len()) / 2;
        row[start..start + label.len()].copy_from_slice(label.as_bytes());
    }
    let name_width = rows
        .keys()
        .map(|t| format!("t{t}").len())
        .max()
        .unwrap_or(2);
    let mut out = String::new();
    for (t, row) in rows {
        let line = String::from_utf8_lossy(&row);
        out.push_str(&format!(
            "{:<name_width$} {}\n",
            format!("t{t}"),
            line.trim_end()
        ));
    }
    out
}
