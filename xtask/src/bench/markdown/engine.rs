//! The engine's sections of `bench.md`: the engine per memtable and the fjall yardstick.
//! Each names the options its cells ran with (from the side data: the preset, the memtable
//! and the settings that shape the numbers); the engine's section defines the ratios it
//! prints — write amplification and the hit rates of the block cache and the recent-writes
//! map — next to them. The stage ladder is not here: see `stages.md` (`cargo xtask ladder`).

use super::text::{
    figure_link, opt, option_keys, option_text, rate, section, sig, table, with_spread,
};
use crate::bench::data::Cell;
use crate::bench::model::Grid;
use crate::bench::plots::{si, PERCENTILES};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// What write amplification and its parts count (after the tables that print them).
const WRITE_AMP_DEFINED: &str = "\
**Write amplification** = (bytes appended to the WAL + table bytes written by flushes and \
compactions) / user bytes (keys + values put), counted by the engine (`DbStats`) since the \
database was created; **WAL / user** and **tables / user** are its two parts, counted in \
the encodings the options name (`wal_format`, `table_format`). **Rewrites** = table bytes \
written / bytes written by flushes (1.00: every table written once, by its flush; each \
compaction adds what it rewrote).";

/// What the hit rates count.
const HIT_RATES_DEFINED: &str = "\
**Block-cache hit rate** = hits / (hits + misses) of the data-block lookups made through \
the block cache while that workload's samples ran (gets and scans, and any background \
compaction reading at the same time); `–` where the options have no block cache \
(`block_cache_bytes` 0, every lookup a miss by construction) or nothing was looked up. \
**Recent-writes hit rate** = gets answered by the recent-writes map / all gets in those \
samples; `–` without the map (`recent_writes_bytes` 0).";

/// A cell's extra as a ratio of two others (`num / den`, `None` if either is missing or
/// `den` is 0).
fn ratio(c: &Cell, num: &[&str], den: &str) -> Option<f64> {
    let n: f64 = num.iter().map(|k| c.extra(k)).sum::<Option<f64>>()?;
    let d = c.extra(den).filter(|d| *d > 0.0)?;
    Some(n / d)
}

/// The block-cache and recent-writes hit rates of one cell, as the report prints them.
fn hit_rates(c: Option<&Cell>) -> (String, String) {
    let Some(c) = c else {
        return ("–".into(), "–".into());
    };
    let cache = c.option_num("block_cache_bytes").is_none_or(|b| b > 0.0);
    let recent = c.option_num("recent_writes_bytes").is_none_or(|b| b > 0.0);
    let lookups = c
        .extra("cache_hits")
        .zip(c.extra("cache_misses"))
        .map(|(h, m)| h + m);
    (
        rate(cache, c.extra("cache_hits"), lookups),
        rate(recent, c.extra("recent_hits"), c.extra("gets")),
    )
}

/// The write columns of one cell: write amp, WAL / user, tables / user, rewrites.
fn write_columns(c: &Cell) -> [String; 4] {
    let f = |v: Option<f64>| opt(v, |v| format!("{v:.2}"));
    [
        f(c.extra("write_amp")),
        f(ratio(c, &["wal_bytes"], "user_bytes")),
        f(ratio(c, &["flush_bytes", "compaction_bytes"], "user_bytes")),
        f(ratio(
            c,
            &["flush_bytes", "compaction_bytes"],
            "flush_bytes",
        )),
    ]
}

/// A table of options, a column per named configuration: the settings as rows.
fn options_table(out: &mut String, configs: &[(String, &Cell)]) {
    let keys = option_keys(configs.iter().map(|(_, c)| *c));
    if keys.is_empty() {
        out.push_str(
            "The side data does not name the options (written before the benches recorded \
             them).\n\n",
        );
        return;
    }
    let mut header = vec!["option".to_string()];
    header.extend(configs.iter().map(|(n, _)| n.clone()));
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let mut row = vec![format!("`{k}`")];
            row.extend(configs.iter().map(|(_, c)| option_text(c, k)));
            row
        })
        .collect();
    table(out, &header, &rows);
}

/// The engine's section.
pub fn engine(out: &mut String, g: &Grid, figures: &BTreeSet<String>) {
    if !section(out, "## Engine", !g.cells.is_empty()) {
        return;
    }
    let firsts: Vec<(String, &Cell)> = g
        .kinds
        .iter()
        .filter_map(|k| {
            let c = g.cells.iter().find(|(key, _)| &key.0 == k)?.1;
            Some((k.clone(), *c))
        })
        .collect();
    out.push_str(
        "Every workload runs in db_bench's order on one database per memtable (`fillseq` on a \
         fresh one). The options, per memtable column, as the side data records them:\n\n",
    );
    options_table(out, &firsts);
    out.push_str("### Throughput\n\n");
    figure_link(out, figures, "engine-throughput.svg", "engine throughput");
    out.push_str(
        "Throughput in ops/s per workload and memtable: the median, in brackets min–max over \
         the repeated runs.\n\n",
    );
    let mut header = vec!["workload".to_string()];
    header.extend(g.kinds.iter().cloned());
    let rows: Vec<Vec<String>> = g.workloads.iter().map(|w| throughput_row(g, w)).collect();
    table(out, &header, &rows);

    let any_extra = g
        .cells
        .values()
        .any(|c| c.extra("write_amp").is_some() || c.extra("mb_per_sec").is_some());
    if any_extra {
        out.push_str(
            "After each workload: the database's write amplification and its parts since it \
             was created (cumulative over the workloads before), the workload's hit rates, \
             and its MB/s.\n\n",
        );
        let header: Vec<String> = [
            "workload",
            "memtable",
            "write amp",
            "WAL / user",
            "tables / user",
            "rewrites",
            "block-cache hit",
            "recent-writes hit",
            "MB/s",
        ]
        .map(String::from)
        .to_vec();
        let mut rows = Vec::new();
        for w in &g.workloads {
            for k in &g.kinds {
                let Some(c) = g.cells.get(&(k.clone(), w.clone())) else {
                    continue;
                };
                let (cache, recent) = hit_rates(Some(c));
                let mut row = vec![w.clone(), k.clone()];
                row.extend(write_columns(c));
                row.extend([cache, recent, opt(c.extra("mb_per_sec"), sig)]);
                rows.push(row);
            }
        }
        table(out, &header, &rows);
        let _ = writeln!(out, "{WRITE_AMP_DEFINED}\n\n{HIT_RATES_DEFINED}\n");
    }

    let any_latency = g.cells.values().any(|c| c.latency("op").is_some());
    if !section(out, "### Latency", any_latency) {
        return;
    }
    figure_link(
        out,
        figures,
        "engine-latency.svg",
        "engine latency percentiles",
    );
    out.push_str(
        "Latency of one operation in ns: percentiles of every operation of every run, \
         merged.\n\n",
    );
    let mut header: Vec<String> = vec!["workload".into(), "memtable".into()];
    header.extend(PERCENTILES.iter().map(|p| p.1.to_string()));
    let mut rows = Vec::new();
    for w in &g.workloads {
        for k in &g.kinds {
            let Some(l) = g
                .cells
                .get(&(k.clone(), w.clone()))
                .and_then(|c| c.latency("op"))
            else {
                continue;
            };
            rows.push(vec![
                w.clone(),
                k.clone(),
                opt(l.p50, si),
                opt(l.p99, si),
                opt(l.p999, si),
            ]);
        }
    }
    table(out, &header, &rows);
}

pub fn yardstick(out: &mut String, g: &Grid) {
    if g.cells.is_empty() {
        return;
    }
    out.push_str("## Yardstick\n\n");
    out.push_str(
        "The same workloads, in the same order, on another embedded store and on Ferrolite. \
         What each ran with, as the side data records it:\n\n",
    );
    let firsts: Vec<(String, &Cell)> = g
        .kinds
        .iter()
        .filter_map(|k| {
            let c = g.cells.iter().find(|(key, _)| &key.0 == k)?.1;
            Some((k.clone(), *c))
        })
        .collect();
    options_table(out, &firsts);
    out.push_str(
        "Throughput in ops/s: the median, in brackets min–max over the repeated runs; the \
         ratio of the medians.\n\n",
    );
    let mut header = vec!["workload".to_string()];
    header.extend(g.kinds.iter().cloned());
    let ratio = g.kinds.iter().any(|k| k == "ferrolite") && g.kinds.iter().any(|k| k == "fjall");
    if ratio {
        header.push("ferrolite / fjall".into());
    }
    let rows: Vec<Vec<String>> = g
        .workloads
        .iter()
        .map(|w| {
            let mut row = throughput_row(g, w);
            if ratio {
                row.push(opt(
                    g.ops("ferrolite", w)
                        .zip(g.ops("fjall", w))
                        .map(|(a, b)| a / b),
                    |v| format!("{v:.2}"),
                ));
            }
            row
        })
        .collect();
    table(out, &header, &rows);
}

/// A workload's row of a throughput table: its name, then each kind's median with min–max.
fn throughput_row(g: &Grid, w: &str) -> Vec<String> {
    let mut row = vec![w.to_string()];
    row.extend(
        g.kinds
            .iter()
            .map(|k| with_spread(g.ops(k, w), g.ops_spread(k, w), si)),
    );
    row
}
