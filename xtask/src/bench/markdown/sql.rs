//! The `sql` section: Ferrolite's SQL layer beside SQLite on one workload in one run, the
//! ratios per matched sync pair, and the targets checked against them.

use super::text::{opt, table, with_spread};
use crate::bench::model::Grid;
use crate::bench::plots::si;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Ferrolite / SQLite of the same sync pair for a workload.
fn ratio(g: &Grid, sync: &str, w: &str) -> Option<f64> {
    let f = g.ops(&format!("ferrolite-{sync}"), w)?;
    let s = g.ops(&format!("sqlite-{sync}"), w)?;
    Some(f / s)
}

/// The targets: (workloads, minimum ratio, what it is).
const TARGETS: [(&[&str], f64, &str); 2] = [
    (
        &["insert-2w", "insert-4w"],
        1.5,
        "inserts with 2 or more writers",
    ),
    (&["point-select"], 0.5, "point SELECTs"),
];

pub fn sql(out: &mut String, g: &Grid, figures: &BTreeSet<String>) {
    if g.cells.is_empty() {
        return;
    }
    out.push_str("## SQL layer vs SQLite\n\n");
    let rows = g.cells.values().find_map(|c| c.param_num("rows"));
    let _ = write!(
        out,
        "One workload on Ferrolite's SQL layer (`ferrolite-sql` on the engine, epoch memtable, \
         default options) and on SQLite (rusqlite's bundled build), in one run \
         (`cargo bench -p ferrolite-benches --bench sql`; `sqlbench` runs the same by hand): \
         `t (id INTEGER PRIMARY KEY, k INTEGER, v TEXT)` with an index on `k`, {} rows of a \
         100-byte `v` inserted in transactions of 1,000 rows by 1, 2 or 4 writers (each \
         criterion sample inserts a tenth of the rows into the same table); then, on the \
         1-writer table brought to rest (Ferrolite flushes and compacts, SQLite checkpoints \
         its WAL), point SELECTs by `id`, range SELECTs of 100 rows on `k` (rows \
         returned per second) and UPDATEs of `v` by `id`, each its own transaction. Prepared \
         statements on both sides. SQLite serialises writers (`BEGIN IMMEDIATE`, busy \
         timeout); Ferrolite's optimistic transactions on disjoint keys commit in parallel.\n\n\
         Durability is matched per pair: **normal** — SQLite WAL + `synchronous=NORMAL` and \
         Ferrolite `SyncPolicy::None` (neither syncs a commit; both keep every commit through a \
         process crash); **off** — SQLite `synchronous=OFF` and Ferrolite \
         `SyncPolicy::Buffered` (10 ms) (neither waits on the disk; Ferrolite's is weaker: a \
         process crash may lose the last 10 ms).\n\n",
        rows.map_or("–".to_string(), |r| format!("{r:.0}"))
    );
    super::text::figure_link(out, figures, "sql-vs-sqlite.svg", "SQL layer vs SQLite");
    out.push_str(
        "Rows/s: the median over the samples, in brackets min–max; the ratio of the medians.\n\n",
    );
    let mut header = vec!["workload".to_string()];
    header.extend(g.kinds.iter().cloned());
    header.push("ratio normal".into());
    header.push("ratio off".into());
    let body: Vec<Vec<String>> = g
        .workloads
        .iter()
        .map(|w| {
            let mut row = vec![w.clone()];
            row.extend(
                g.kinds
                    .iter()
                    .map(|k| with_spread(g.ops(k, w), g.ops_spread(k, w), si)),
            );
            row.push(opt(ratio(g, "normal", w), |v| format!("{v:.2}")));
            row.push(opt(ratio(g, "off", w), |v| format!("{v:.2}")));
            row
        })
        .collect();
    table(out, &header, &body);
    out.push_str("Targets on this machine (ratio of the medians, per sync pair):\n\n");
    for (workloads, min, what) in TARGETS {
        for sync in ["normal", "off"] {
            for w in workloads {
                let line = match ratio(g, sync, w) {
                    None => format!("- {what}, `{w}`, {sync}: not measured"),
                    Some(r) if r >= min => format!("- {what}, `{w}`, {sync}: **met** — {r:.2}× (target ≥ {min}×)"),
                    Some(r) => format!(
                        "- {what}, `{w}`, {sync}: **missed** — {r:.2}× against ≥ {min}×, short by {:.0} %",
                        100.0 * (1.0 - r / min)
                    ),
                };
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out.push('\n');
}
