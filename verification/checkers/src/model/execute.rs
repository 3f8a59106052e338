//! One case: every operation applied to the map and to the model, then the final checks.

use super::ops::{within, Op, Outcome, Tracked};
use ferrolite_structures::{ConcurrentMap, MapKey};
use std::collections::BTreeMap;
use std::fmt::{self, Debug, Write as _};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;

/// Apply `op` to the map and to the model: `(what the map returned, what the model expects)`.
pub(super) fn apply<K: MapKey + Debug>(
    map: &impl ConcurrentMap<K, Tracked>,
    model: &mut BTreeMap<K, u32>,
    live: &Arc<AtomicIsize>,
    op: &Op<K>,
) -> (Outcome<K>, Outcome<K>) {
    let number = |v: Option<Tracked>| Outcome::Value(v.map(|v| v.n));
    let entries = |it: &mut dyn Iterator<Item = (K, Tracked)>, take: usize| {
        Outcome::Entries(it.take(take).map(|(k, v)| (k, v.n)).collect())
    };
    match op {
        Op::Insert(k, v) => {
            let want = Outcome::Flag(model.insert(k.clone(), *v).is_none());
            (
                Outcome::Flag(map.insert(k.clone(), Tracked::new(*v, live))),
                want,
            )
        }
        Op::Get(k) => (number(map.get(k)), Outcome::Value(model.get(k).copied())),
        Op::Remove(k) => (number(map.remove(k)), Outcome::Value(model.remove(k))),
        Op::Contains(k) => (
            Outcome::Flag(map.contains(k)),
            Outcome::Flag(model.contains_key(k)),
        ),
        Op::Range { lower, upper, take } => {
            let take = take.unwrap_or(usize::MAX);
            let want = model
                .iter()
                .filter(|(k, _)| within(*k, lower, upper))
                .take(take)
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            let got = entries(&mut map.range((lower.as_ref(), upper.as_ref())), take);
            (got, Outcome::Entries(want))
        }
        Op::Len => (Outcome::Count(map.len()), Outcome::Count(model.len())),
        Op::IsEmpty => (
            Outcome::Flag(map.is_empty()),
            Outcome::Flag(model.is_empty()),
        ),
        Op::Iter => {
            let want = model.iter().map(|(k, v)| (k.clone(), *v)).collect();
            (entries(&mut map.iter(), usize::MAX), Outcome::Entries(want))
        }
    }
}

/// Run `ops` on a fresh map, then the final checks. `Err` describes the first divergence.
/// With `transcript`, every step is written to it, one line each.
pub(super) fn execute<K: MapKey + Debug, M: ConcurrentMap<K, Tracked>>(
    make: &dyn Fn() -> M,
    ops: &[Op<K>],
    check_drops: bool,
    mut transcript: Option<&mut String>,
) -> Result<(), String> {
    let live = Arc::new(AtomicIsize::new(0));
    let map = make();
    let mut model = BTreeMap::new();
    // Formatting is for the transcript and the failure message only (the hot path skips it).
    let tracing = transcript.is_some();
    let width = if tracing {
        ops.iter().map(|op| op.to_string().len()).max().unwrap_or(0)
    } else {
        0
    };
    let mut line =
        |label: &str, text: &str, got: &dyn fmt::Display, want: Option<&dyn fmt::Display>| {
            if let Some(t) = transcript.as_deref_mut() {
                let _ = write!(t, "  {label:>5} {text:<width$} -> {got}");
                match want {
                    Some(w) => {
                        let _ = writeln!(t, "   but the model says {w}   <-- first divergence");
                    }
                    None => t.push('\n'),
                }
            }
        };
    for (i, op) in ops.iter().enumerate() {
        let (got, want) = apply(&map, &mut model, &live, op);
        if !tracing && got == want {
            continue;
        }
        let text = op.to_string();
        if got != want {
            line(&format!("#{i}"), &text, &got, Some(&want));
            return Err(format!(
                "op #{i} {text}: map returned {got}, model expects {want}"
            ));
        }
        line(&format!("#{i}"), &text, &got, None);
    }
    // Final state.
    let (got, want) = apply(&map, &mut model, &live, &Op::Iter);
    if got != want {
        line("end", "iter()", &got, Some(&want));
        return Err(format!("final iter(): map has {got}, model has {want}"));
    }
    let (got, want) = apply(&map, &mut model, &live, &Op::Len);
    if got != want {
        line("end", "len()", &got, Some(&want));
        return Err(format!("final len(): map says {got}, model has {want}"));
    }
    let stats = map.reclamation();
    if stats.nodes_freed > stats.nodes_retired || stats.values_freed > stats.values_retired {
        line("end", "reclamation()", &stats, Some(&"freed <= retired"));
        return Err(format!("reclamation(): freed more than retired: {stats}"));
    }
    drop(map);
    let alive = live.load(Ordering::Relaxed);
    if check_drops && alive != 0 {
        line(
            "end",
            "drop(map)",
            &format!("{alive} values alive"),
            Some(&0),
        );
        return Err(format!(
            "after dropping the map {alive} values are alive (negative: dropped twice; \
             positive: leaked)"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------
