//! The stage ladder's report: each stage of the engine's history (`Options::stage`) × memtable
//! × workload, medians with min–max; each step's ratio to the stage before, and for every
//! step that loses, the engine's own figures of both stages (stalls, flushes, compactions,
//! write amplification) so the cause is stated, not guessed. Also the [`Ladder`] JSON the
//! figure is drawn from.
//!
//! In a [`Table`] of the ladder the `engine` field holds the stage (`S0`…`S5`).

use super::markdown::{cell, k, Meta};
use super::table::{Stat, Table};
use ferrolite::Stage;
use ferrolite_bench_format::ladder::{Ladder, LadderCell};
use std::fmt::Write as _;

/// The workloads of the ladder, as (benchmark, threads, label).
pub const WORKLOADS: [(&str, usize, &str); 4] = [
    ("fillrandom", 1, "fillrandom 1 thr"),
    ("fillrandom", 2, "fillrandom 2 thr"),
    ("readrandom", 1, "readrandom"),
    ("ycsba", 1, "ycsba"),
];

/// The `engine` of the ablation rows: S5 without its recent-writes map.
pub const S5_NO_RECENT: &str = "S5 without recent-writes map";

fn memtables(t: &Table) -> Vec<String> {
    let order = [
        "mutex",
        "epoch",
        "hazard",
        "noreclaim",
        "crossbeam",
        "btree",
    ];
    let mut m = t.distinct(|c| c.memtable.clone());
    m.sort_by_key(|x| order.iter().position(|o| o == x).unwrap_or(order.len()));
    m
}

fn stages(t: &Table) -> Vec<Stage> {
    Stage::ALL
        .into_iter()
        .filter(|s| t.samples.keys().any(|c| c.engine == s.name()))
        .collect()
}

/// A median of an optional per-run figure.
fn median_of(
    t: &Table,
    stage: &str,
    mt: &str,
    f: impl Fn(&super::Sample) -> Option<f64>,
) -> Option<f64> {
    let s = t.find(stage, mt, true, 1, "fillrandom")?;
    Stat::of(&s.iter().filter_map(f).collect::<Vec<_>>()).map(|s| s.median)
}

/// The ladder's JSON: every cell with its runs.
pub fn ladder_json(t: &Table, meta: &Meta, setup: &str) -> Ladder {
    let mut cells = Vec::new();
    for stage in stages(t) {
        for mt in memtables(t) {
            for (bench, threads, label) in WORKLOADS {
                if let Some(s) = t.find(stage.name(), &mt, true, threads, bench) {
                    cells.push(LadderCell {
                        stage: stage.name().into(),
                        memtable: mt.clone(),
                        workload: label.into(),
                        ops: s.iter().map(|x| x.ops_per_sec).collect(),
                    });
                }
            }
        }
    }
    Ladder {
        commit: meta.commit.clone(),
        date: meta.date.clone(),
        machine: meta.machine.clone(),
        cores: meta.cores,
        runs: meta.runs,
        setup: setup.into(),
        cells,
    }
}

/// The report (`reports/stages.md`).
pub fn ladder_markdown(t: &Table, meta: &Meta, setup: &str) -> String {
    let mut o = String::new();
    let mts = memtables(t);
    let stages = stages(t);
    let _ = writeln!(o, "# The stage ladder\n");
    let _ = writeln!(
        o,
        "`{}` — commit `{}`, {}; {} ({} cores). {} runs per cell, the cells alternating run \
         by run; a cell is the median ops/s with the min–max of the runs; a step is the ratio \
         of a stage's median to the stage before it (same memtable, same workload): **bold** \
         when it loses and the two cells' ranges do not overlap, `~` when it loses within the \
         runs' spread.\n",
        meta.command, meta.commit, meta.date, meta.machine, meta.cores, meta.runs
    );
    let _ = writeln!(o, "Setup: {setup}.\n");
    let _ = writeln!(
        o,
        "Each stage is `Options::stage(Sn)`, cumulative — the previous stage plus one idea of \
         the ancestor's history — with the row's memtable in place of the preset's:\n"
    );
    let _ = writeln!(o, "| stage | adds |\n|:--|:--|");
    for s in &stages {
        let _ = writeln!(o, "| {} | {} |", s.name(), s.summary());
    }
    o.push('\n');
    let _ = writeln!(
        o,
        "The figure `stages.svg` draws these tables: one panel per workload, linear axes, \
         whiskers from min to max.\n"
    );
    let mut losses: Vec<String> = Vec::new();
    for (bench, threads, label) in WORKLOADS {
        let _ = writeln!(o, "## {label}\n");
        let _ = write!(o, "| stage |");
        for mt in &mts {
            let _ = write!(o, " {mt} | step |");
        }
        let _ = write!(o, "\n|:--|");
        for _ in &mts {
            o.push_str("--:|--:|");
        }
        o.push('\n');
        for (i, s) in stages.iter().enumerate() {
            let _ = write!(o, "| {} |", s.name());
            for mt in &mts {
                let now = t.ops(s.name(), mt, true, threads, bench);
                let before = i
                    .checked_sub(1)
                    .and_then(|p| t.ops(stages[p].name(), mt, true, threads, bench));
                let step_text = match before.zip(now) {
                    Some((b, n)) if n.median < b.median => {
                        let r = n.median / b.median;
                        // Overlapping min–max ranges: the runs do not tell the two apart.
                        let noise = n.max >= b.min;
                        losses.push(format!(
                            "{label}, {mt}: {} → {} ×{r:.2}{}",
                            stages[i - 1].name(),
                            s.name(),
                            if noise {
                                " — within the runs' spread (the min–max ranges overlap)"
                            } else {
                                " — outside the runs' spread"
                            }
                        ));
                        if noise {
                            format!("×{r:.2}~")
                        } else {
                            format!("**×{r:.2}**")
                        }
                    }
                    Some((b, n)) => format!("×{:.2}", n.median / b.median),
                    None => "".into(),
                };
                let _ = write!(o, " {} | {step_text} |", cell(now));
            }
            o.push('\n');
        }
        o.push('\n');
    }
    let _ = writeln!(
        o,
        "## What the engine counted (fillrandom, 1 thread; medians of the runs)\n\n\
         Write stalls: times a writer was delayed (L0 at its slowdown trigger) or stopped (L0 \
         at its stop trigger, or frozen memtables waiting for a flush). Write amplification: \
         (WAL + flushed + compacted bytes) / user bytes, so the JSON stages count JSON's \
         bytes — it measures the encoding as much as the rewriting.\n"
    );
    let _ = writeln!(
        o,
        "| stage | memtable | ops/s | stalls | stalled ms | flushes | compactions | write amp |\n|:--|:--|--:|--:|--:|--:|--:|--:|"
    );
    for s in &stages {
        for mt in &mts {
            let f = |g: &dyn Fn(&super::Sample) -> Option<f64>| {
                median_of(t, s.name(), mt, g).map_or("—".into(), |x| format!("{x:.0}"))
            };
            let ops = t
                .ops(s.name(), mt, true, 1, "fillrandom")
                .map_or("—".into(), |x| k(x.median));
            let wa = median_of(t, s.name(), mt, |x| x.write_amp)
                .map_or("—".into(), |x| format!("{x:.2}"));
            let _ = writeln!(
                o,
                "| {} | {mt} | {ops} | {} | {} | {} | {} | {wa} |",
                s.name(),
                f(&|x| x.stalls.map(|v| v as f64)),
                f(&|x| x.stall_ms),
                f(&|x| x.flushes.map(|v| v as f64)),
                f(&|x| x.compactions.map(|v| v as f64)),
            );
        }
    }
    if t.samples.keys().any(|c| c.engine == S5_NO_RECENT) {
        let _ = writeln!(
            o,
            "\n## What S5's recent-writes map costs the write path\n\n\
             S5 adds bloom filters, a block cache and the recent-writes map. Only the map works \
             on every write: the leader records each operation in it (a `papaya` insert, the \
             FIFO, eviction) under the WAL lock. The same S5 without the map, in the same run:\n"
        );
        let _ = writeln!(
            o,
            "| workload | memtable | S4 | S5 | S5 without the map | S5 / S4 | without map / S4 |\n|:--|:--|--:|--:|--:|--:|--:|"
        );
        for (bench, threads, label) in WORKLOADS {
            for mt in &mts {
                let s4 = t.ops("S4", mt, true, threads, bench);
                let s5 = t.ops("S5", mt, true, threads, bench);
                let no = t.ops(S5_NO_RECENT, mt, true, threads, bench);
                if no.is_none() {
                    continue;
                }
                let r = |a: Option<Stat>, b: Option<Stat>| {
                    a.zip(b).map_or("—".into(), |(a, b)| {
                        format!("×{:.2}", a.median / b.median)
                    })
                };
                let _ = writeln!(
                    o,
                    "| {label} | {mt} | {} | {} | {} | {} | {} |",
                    cell(s4),
                    cell(s5),
                    cell(no),
                    r(s5, s4),
                    r(no, s4)
                );
            }
        }
    }
    let _ = writeln!(o, "\n## Steps that lose\n");
    if losses.is_empty() {
        let _ = writeln!(o, "None: every stage is at least as fast as the one before it, on every workload and memtable.");
    } else {
        for l in &losses {
            let _ = writeln!(o, "- {l}");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::super::table::{Config, Sample};
    use super::*;

    #[test]
    fn steps_are_ratios_to_the_stage_before_and_losses_are_listed() {
        let mut t = Table::default();
        for (stage, ops) in [("S0", 100.0), ("S1", 150.0), ("S2", 120.0)] {
            for (bench, threads, _) in WORKLOADS {
                t.push(
                    Config {
                        engine: stage.into(),
                        memtable: "mutex".into(),
                        parallel: true,
                        threads,
                        bench: bench.into(),
                    },
                    Sample {
                        ops_per_sec: ops * 1000.0,
                        stalls: Some(3),
                        ..Sample::default()
                    },
                );
            }
        }
        let md = ladder_markdown(&t, &Meta::default(), "test");
        assert!(md.contains("| S1 | 150k (150k–150k) | ×1.50 |"), "{md}");
        assert!(md.contains("| S2 | 120k (120k–120k) | **×0.80** |"), "{md}");
        assert!(
            md.contains("- readrandom, mutex: S1 → S2 ×0.80 — outside the runs' spread"),
            "{md}"
        );
        // A loss whose runs overlap the stage before's is marked as noise.
        let c = |stage: &str| Config {
            engine: stage.into(),
            memtable: "epoch".into(),
            parallel: true,
            threads: 1,
            bench: "ycsba".into(),
        };
        for (stage, ops) in [("S0", [100.0, 90.0, 110.0]), ("S1", [95.0, 85.0, 105.0])] {
            for x in ops {
                t.push(
                    c(stage),
                    Sample {
                        ops_per_sec: x * 1000.0,
                        ..Sample::default()
                    },
                );
            }
        }
        let md = ladder_markdown(&t, &Meta::default(), "test");
        assert!(md.contains("×0.95~"), "{md}");
        assert!(
            md.contains("ycsba, epoch: S0 → S1 ×0.95 — within the runs' spread"),
            "{md}"
        );
        let json = ladder_json(&t, &Meta::default(), "test");
        assert_eq!(json.cells.len(), 3 * WORKLOADS.len() + 2);
        assert_eq!(json.cells[0].workload, "fillrandom 1 thr");
    }
}
