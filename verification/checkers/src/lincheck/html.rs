//! A violation as a web page (Porcupine's visualizer is the idea): the minimal history drawn
//! as one lane per thread, each operation a bar from its invocation to its response on the
//! shared clock (ranked, so overlap and precedence are exact and the picture stays narrow),
//! labelled with its arguments and result; then why no linear order exists (every dead end,
//! [`super::explain`]) and the raw intervals. Self-contained: no script, no external file.

use super::explain::why_lines;
use super::history::Op;
use super::violation::Violation;
use std::collections::BTreeSet;
use std::fmt::Write as _;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The colour of an operation's bar.
fn colour(op: &Op) -> &'static str {
    match op {
        Op::Insert { .. } | Op::Put { .. } => "#4e79a7",
        Op::Remove { .. } | Op::Delete { .. } => "#e15759",
        Op::Get { .. } | Op::FirstIn { .. } | Op::Contains { .. } => "#59a14f",
    }
}

/// The page for `v`, headed `title`: the violation as a self-contained web page (the
/// timeline drawn, the dead ends, the intervals).
pub fn page(v: &Violation, title: &str) -> String {
    let events = &v.minimal;
    let stamps = super::violation::clock_readings(events);
    let rank = |t: u64| stamps.binary_search(&t).unwrap_or(0);
    let threads: Vec<usize> = events
        .iter()
        .map(|e| e.thread)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let lane = |t: usize| threads.iter().position(|&x| x == t).unwrap_or(0);
    let longest = events
        .iter()
        .map(|e| e.op.to_string().chars().count())
        .max()
        .unwrap_or(10);
    // Every clock reading gets a column half as wide as the longest label: a lane's labels
    // alternate above and below its bars, so neighbours never overlap.
    let step = (longest as f64 * 3.6 + 16.0).max(80.0);
    let (left, top, row) = (70.0, 30.0, 76.0);
    let width = left + step * stamps.len().max(1) as f64 + 20.0;
    let height = top + row * threads.len() as f64 + 40.0;
    let x = |r: usize| left + step * r as f64 + step / 2.0;

    let mut svg = String::new();
    write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" font-family="monospace" font-size="12">"#
    )
    .unwrap();
    for (r, t) in stamps.iter().enumerate() {
        write!(
            svg,
            r##"<line x1="{0:.1}" y1="{1}" x2="{0:.1}" y2="{2:.0}" stroke="#ddd" stroke-dasharray="3,3"/><text x="{0:.1}" y="{3:.0}" text-anchor="middle" fill="#888" font-size="10">{t}</text>"##,
            x(r),
            top - 10.0,
            height - 30.0,
            height - 14.0
        )
        .unwrap();
    }
    for (i, t) in threads.iter().enumerate() {
        let y = top + row * i as f64 + row / 2.0;
        write!(
            svg,
            r##"<text x="8" y="{:.0}" font-weight="bold">t{t}</text><line x1="{left}" y1="{y:.0}" x2="{:.0}" y2="{y:.0}" stroke="#eee"/>"##,
            y + 4.0,
            width - 10.0
        )
        .unwrap();
    }
    let mut nth_in_lane = vec![0usize; threads.len()];
    for e in events {
        let (a, b) = (x(rank(e.invoke)), x(rank(e.response)));
        let y = top + row * lane(e.thread) as f64 + row / 2.0;
        let n = &mut nth_in_lane[lane(e.thread)];
        let label_y = if n.is_multiple_of(2) {
            y - 8.0
        } else {
            y + 26.0
        };
        *n += 1;
        let label = escape(&e.op.to_string());
        write!(
            svg,
            r##"<g><title>t{} {} — invoked at {}, returned at {}</title><rect x="{a:.1}" y="{:.0}" width="{:.1}" height="14" rx="4" fill="{}" fill-opacity="0.85"/><text x="{:.1}" y="{:.0}" text-anchor="middle">{label}</text></g>"##,
            e.thread,
            label,
            e.invoke,
            e.response,
            y - 2.0,
            (b - a).max(4.0),
            colour(&e.op),
            (a + b) / 2.0,
            label_y
        )
        .unwrap();
    }
    svg.push_str("</svg>");

    let mut why = String::new();
    for line in why_lines(events, 40) {
        write!(why, "<li>{}</li>", escape(&line)).unwrap();
    }
    let mut rows = String::new();
    for e in events {
        write!(
            rows,
            "<tr><td>t{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            e.thread,
            escape(&e.op.to_string()),
            e.invoke,
            e.response
        )
        .unwrap();
    }
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 80em; }}
code, pre {{ font-family: ui-monospace, monospace; }} pre {{ white-space: pre-wrap; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; }}
.legend span {{ display: inline-block; padding: 0 8px; margin-right: 8px; color: white; border-radius: 4px; }}
</style></head><body>
<h1>{title}</h1>
<p>Key <b>{key}</b>: no linearization of these <b>{n}</b> operations (shrunk from {key_ops} operations on the key, {history_ops} in the history).</p>
<pre>{context}</pre>
<p class="legend"><span style="background:#4e79a7">insert / put</span><span style="background:#e15759">remove / delete</span><span style="background:#59a14f">get / contains</span>
Each bar runs from the operation's invocation to its response; the axis ranks the clock readings (shown under it), so which operations overlap and which finished before another began is exact.</p>
{svg}
<h2>Why no linear order exists</h2>
<p>Every order that real time allows reaches an operation whose result the sequential map contradicts — from an absent key, and from an earlier value written by an operation outside this sub-history (operations the shrinker dropped may also act in between; the checker allowed that too):</p>
<ol>{why}</ol>
<h2>Intervals</h2>
<table><tr><th>thread</th><th>operation = result</th><th>invoked</th><th>returned</th></tr>{rows}</table>
</body></html>
"#,
        title = escape(title),
        key = v.key,
        n = events.len(),
        key_ops = v.key_ops,
        history_ops = v.history_ops,
        context = escape(&v.context),
    )
}

/// The environment variable naming the directory where a cell leaves its drawn counterexample
/// (`cargo xtask verify` sets it; unset, nothing is written).
pub const ARTIFACTS_VAR: &str = "FERROLITE_VERIFY_ARTIFACTS";

/// Leaves `v`'s evidence for the verifier: with [`ARTIFACTS_VAR`] set, writes the page to
/// `<dir>/<stem>.html` and prints `VERIFY-ARTIFACT timeline <path>`; always prints the minimal
/// history as one `VERIFY-HISTORY <json>` line. Returns the page's path, if written.
pub fn publish(v: &Violation, title: &str, stem: &str) -> Option<std::path::PathBuf> {
    println!("VERIFY-HISTORY {}", v.history_json());
    let dir = std::env::var_os(ARTIFACTS_VAR).filter(|d| !d.is_empty())?;
    let dir = std::path::PathBuf::from(dir);
    let path = dir.join(format!("{stem}.html"));
    match std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, page(v, title))) {
        Ok(()) => {
            println!("VERIFY-ARTIFACT timeline {}", path.display());
            Some(path)
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", path.display());
            None
        }
    }
}
