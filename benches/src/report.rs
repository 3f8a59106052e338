//! Result collection and the text tables the `synchro` binary prints.
//!
//! A [`CellOutcome`] is one (map, threads, update%) cell: its [`CellSummary`] or the error
//! that stopped it. [`throughput_table`] renders median Mops/s with the min–max spread per
//! (threads, update%) column, the ratio to the `crossbeam` reference of the same run, and the
//! geometric mean of those ratios ([`throughput_table_against`] takes another baseline);
//! [`reclamation_table`] renders the peak unreclaimed counts ("not measured" where the map's
//! counters are no measurement, as its runs say). Both are Markdown-compatible, aligned for
//! the terminal.

use crate::synchro::CellSummary;
use serde::Serialize;
use std::fmt::Write as _;

/// The name of the map ratios are taken against.
pub const BASELINE: &str = "crossbeam";

/// Appended to numbers of cells in which a run failed validation.
pub const INVALID_MARK: &str = "!";

/// The footnote explaining [`INVALID_MARK`].
pub const INVALID_NOTE: &str =
    "! = a repetition FAILED VALIDATION: the map's results contradict its final state";

fn mark(c: &CellOutcome) -> &'static str {
    if c.error.is_some() {
        INVALID_MARK
    } else {
        ""
    }
}

/// One (map, threads, update%) cell of a sweep.
#[derive(Clone, Debug, Serialize)]
pub struct CellOutcome {
    /// The map's name.
    pub map: String,
    /// Worker threads.
    pub threads: usize,
    /// Update percentage.
    pub update_percent: u32,
    /// The folded repetitions (including any that failed validation), if any ran.
    pub summary: Option<CellSummary>,
    /// The first validation failure among the repetitions, if any: the cell's numbers are
    /// then shown marked [`INVALID_MARK`].
    pub error: Option<String>,
}

/// The distinct (threads, update%) columns, in first-seen order, and the maps, likewise.
fn axes(cells: &[CellOutcome]) -> (Vec<(usize, u32)>, Vec<&str>) {
    let mut cols = Vec::new();
    let mut maps = Vec::new();
    for c in cells {
        if !cols.contains(&(c.threads, c.update_percent)) {
            cols.push((c.threads, c.update_percent));
        }
        if !maps.contains(&c.map.as_str()) {
            maps.push(c.map.as_str());
        }
    }
    (cols, maps)
}

fn find<'a>(cells: &'a [CellOutcome], map: &str, col: (usize, u32)) -> Option<&'a CellOutcome> {
    cells
        .iter()
        .find(|c| c.map == map && (c.threads, c.update_percent) == col)
}

fn median(cells: &[CellOutcome], map: &str, col: (usize, u32)) -> Option<f64> {
    find(cells, map, col)?
        .summary
        .as_ref()
        .map(|s| s.median_mops)
}

/// Median Mops/s (min–max) per map and (threads, update%), with ratios to [`BASELINE`].
pub fn throughput_table(cells: &[CellOutcome]) -> String {
    throughput_table_against(cells, BASELINE)
}

/// Median Mops/s (min–max) per map and (threads, update%), with ratios to the map named
/// `baseline` (`-` where it has no number).
pub fn throughput_table_against(cells: &[CellOutcome], baseline: &str) -> String {
    let (cols, maps) = axes(cells);
    let mut header = vec!["map".to_string()];
    for (t, u) in &cols {
        header.push(format!("t={t} u={u}% Mops/s (min–max)"));
        header.push(format!("×{baseline}"));
    }
    header.push(format!("geomean ×{baseline}"));

    let mut rows = Vec::new();
    for &map in &maps {
        let mut row = vec![map.to_string()];
        let mut log_sum = 0.0;
        let mut ratios = 0;
        for &col in &cols {
            match find(cells, map, col) {
                Some(
                    c @ CellOutcome {
                        summary: Some(s), ..
                    },
                ) => {
                    row.push(format!(
                        "{:.2} ({:.2}–{:.2}){}",
                        s.median_mops,
                        s.min_mops,
                        s.max_mops,
                        mark(c)
                    ));
                    match median(cells, baseline, col).filter(|b| *b > 0.0) {
                        Some(base) => {
                            let ratio = s.median_mops / base;
                            row.push(format!("{ratio:.2}"));
                            if ratio > 0.0 {
                                log_sum += ratio.ln();
                                ratios += 1;
                            }
                        }
                        None => row.push("-".into()),
                    }
                }
                Some(CellOutcome { error: Some(_), .. }) => {
                    row.push("FAILED".into());
                    row.push("-".into());
                }
                _ => {
                    row.push("-".into());
                    row.push("-".into());
                }
            }
        }
        row.push(if ratios > 0 {
            format!("{:.2}", (log_sum / ratios as f64).exp())
        } else {
            "-".into()
        });
        rows.push(row);
    }
    render(&header, &rows)
}

/// Whether every run of a cell counted its unreclaimed objects (the map's own
/// `counts_unreclaimed`, recorded by each run: a map outside the registry says it too).
fn counts_unreclaimed(s: &CellSummary) -> bool {
    s.runs.iter().all(|r| r.counts_unreclaimed)
}

/// The largest `peak_unreclaimed` over the repetitions, per map and (threads, update%);
/// "not measured" for a map whose counters are no measurement (crossbeam's).
pub fn reclamation_table(cells: &[CellOutcome]) -> String {
    let (cols, maps) = axes(cells);
    let mut header = vec!["map".to_string()];
    header.extend(
        cols.iter()
            .map(|(t, u)| format!("t={t} u={u}% peak unreclaimed")),
    );
    let rows: Vec<Vec<String>> = maps
        .iter()
        .map(|&map| {
            let mut row = vec![map.to_string()];
            for &col in &cols {
                row.push(match find(cells, map, col) {
                    Some(
                        c @ CellOutcome {
                            summary: Some(s), ..
                        },
                    ) if !counts_unreclaimed(s) => format!("not measured{}", mark(c)),
                    Some(
                        c @ CellOutcome {
                            summary: Some(s), ..
                        },
                    ) => {
                        format!("{}{}", s.peak_unreclaimed, mark(c))
                    }
                    Some(CellOutcome { error: Some(_), .. }) => "FAILED".into(),
                    _ => "-".into(),
                });
            }
            row
        })
        .collect();
    render(&header, &rows)
}

/// A Markdown table, padded to align: the first column left-aligned, the others right.
pub fn render(header: &[String], rows: &[Vec<String>]) -> String {
    let width = |i: usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .chain(std::iter::once(&header[i]))
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: &[String]| {
        let mut s = String::from("|");
        for (i, w) in widths.iter().enumerate() {
            let c = cells.get(i).map(String::as_str).unwrap_or("");
            let pad = w - c.chars().count();
            if i == 0 {
                let _ = write!(s, " {c}{} |", " ".repeat(pad));
            } else {
                let _ = write!(s, " {}{c} |", " ".repeat(pad));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(header);
    out.push('|');
    for (i, w) in widths.iter().enumerate() {
        if i == 0 {
            let _ = write!(out, ":{}|", "-".repeat(w + 1));
        } else {
            let _ = write!(out, "{}:|", "-".repeat(w + 1));
        }
    }
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synchro::{summarize, ReclaimSnapshot, RunResult, SynchroConfig, ThreadCounts};

    fn cell(map: &str, threads: usize, update_percent: u32, mops: &[f64]) -> CellOutcome {
        let runs = mops
            .iter()
            .map(|&m| RunResult {
                map: map.into(),
                config: SynchroConfig {
                    threads,
                    update_percent,
                    ..Default::default()
                },
                elapsed_ms: 0.0,
                initial_len: 0,
                final_len: 0,
                totals: ThreadCounts::default(),
                ops_per_thread: vec![],
                mops: m,
                reclamation: ReclaimSnapshot {
                    peak_unreclaimed: 7,
                    ..Default::default()
                },
                // crossbeam's adapter counts nothing, and its runs say so.
                counts_unreclaimed: map != "crossbeam",
            })
            .collect();
        CellOutcome {
            map: map.into(),
            threads,
            update_percent,
            summary: summarize(runs),
            error: None,
        }
    }

    #[test]
    fn tables_show_medians_ratios_and_failures() {
        let mut failed = cell("epoch", 2, 10, &[]);
        failed.error = Some("boom".into());
        let mut invalid = cell("btree", 1, 10, &[1.0]);
        invalid.error = Some("len mismatch".into());
        let cells = vec![
            cell("epoch", 1, 10, &[2.0, 4.0, 3.0]),
            cell("crossbeam", 1, 10, &[1.5, 1.5, 1.5]),
            failed,
            cell("crossbeam", 2, 10, &[5.0]),
            invalid,
        ];
        let t = throughput_table(&cells);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5, "{t}");
        assert!(lines[2].starts_with("| epoch"), "{t}");
        assert!(lines[2].contains("3.00 (2.00–4.00)"), "{t}");
        assert!(lines[2].contains("2.00"), "ratio 3/1.5: {t}");
        assert!(lines[2].contains("FAILED"), "{t}");
        assert!(lines[3].contains("1.00"), "{t}");
        assert!(lines[4].contains("1.00 (1.00–1.00)!"), "{t}");
        assert!(lines[4].contains("0.67"), "{t}");
        let against = throughput_table_against(&cells, "epoch");
        assert!(against.contains("geomean ×epoch"), "{against}");
        let r = reclamation_table(&cells);
        assert!(r.contains(" 7 |"), "{r}");
        assert!(r.contains(" 7! |"), "{r}");
        assert!(r.contains("FAILED"), "{r}");
        // crossbeam's counters are no measurement: never a number.
        let crossbeam = r.lines().find(|l| l.starts_with("| crossbeam")).unwrap();
        assert!(crossbeam.contains("not measured"), "{r}");
        assert!(!crossbeam.contains(" 7 "), "{r}");
    }
}
