//! The matrix: one line per finished cell while running, then a Markdown table (stdout and
//! `verification.md`) and the same data as JSON (`verification.json`), in the directory the
//! run writes to (`target/verify-report/`, or `reports/` for the committed snapshot). Logs and
//! excerpts arrive with their paths already relative to the repository.

use crate::{Cell, Checker, Kind, Outcome, Row};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

fn fmt_count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=9_999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// The text of a cell in the matrix, with ‡ and the count when its verdict depended on the seed.
fn cell_text(cell: &Cell) -> String {
    let text = verdict_text(cell);
    if cell.evidence.seed_dependent() {
        let failed = cell.evidence.seeds.iter().filter(|s| s.1).count();
        format!(
            "{text} ‡ {failed} of {} seeds {}",
            cell.evidence.seeds.len(),
            if cell.row.mutant.is_some() {
                "caught it"
            } else {
                "failed"
            }
        )
    } else {
        text
    }
}

/// The verdict part of [`cell_text`].
fn verdict_text(cell: &Cell) -> String {
    let mutant = cell.row.mutant.is_some();
    match &cell.outcome {
        Outcome::Pass {
            secs,
            stats,
            expected: Some(_),
        } if cell.checker == Checker::Progress => {
            let n = stats.get("stalled").copied().unwrap_or(0);
            let of = stats.get("paused").copied().unwrap_or(0);
            format!(
                "◆ **blocked, as expected** · {} of {} paused executions · {secs:.1}s",
                fmt_count(n),
                fmt_count(of)
            )
        }
        Outcome::Pass {
            secs,
            stats,
            expected: Some(_),
        } => {
            let n = stats.get("violating_histories").copied().unwrap_or(0);
            let of = stats.get("histories").copied().unwrap_or(0);
            format!(
                "◆ **expected violation** · {} of {} histories not linearizable · {secs:.1}s",
                fmt_count(n),
                fmt_count(of)
            )
        }
        Outcome::Pass { secs, stats, .. } => {
            let key = cell.checker.headline_stat();
            let explored = stats
                .get(key)
                .map(|n| format!(" · {} {key}", fmt_count(*n)))
                .unwrap_or_default();
            if mutant {
                format!("missed{explored} · {secs:.1}s")
            } else {
                format!("pass{explored} · {secs:.1}s")
            }
        }
        Outcome::Fail { secs, reason, .. } => {
            if mutant {
                format!("**CAUGHT** ({reason}) · {secs:.1}s")
            } else {
                format!("**FAIL** ({reason}) · {secs:.1}s")
            }
        }
        Outcome::Timeout { secs, .. } => {
            if mutant {
                format!("**CAUGHT** ({}) · {secs:.0}s", timeout_reason())
            } else {
                format!("**FAIL** ({}) · {secs:.0}s", timeout_reason())
            }
        }
        Outcome::Skipped(why) => format!("skipped ({why})"),
        Outcome::BuildFailed(_) => "**BUILD FAILED**".into(),
    }
}

/// A time-limit kill in the words of [`exec::reason`].
fn timeout_reason() -> String {
    let t = Kind::Timeout;
    format!("{}: {}", t.name(), t.meaning())
}

/// A progress line for a finished cell.
pub fn line(cell: &Cell) -> String {
    format!(
        "{:<36} {:<10} {}",
        cell.row.label(),
        cell.checker.name(),
        cell_text(cell).replace("**", "")
    )
}

/// Everything the reports say.
pub struct Summary<'a> {
    /// The command that made the report, as Markdown (`` `cargo xtask verify --quick` ``),
    /// shown in its header.
    pub command: String,
    /// The mode the checkers ran in (`quick`, `default`, `full`).
    pub mode: &'a str,
    /// The matrix's rows: structures and mutants.
    pub rows: &'a [Row],
    /// The matrix's columns.
    pub checkers: &'a [Checker],
    /// Every finished cell.
    pub cells: &'a [Cell],
    /// The commit the run started at.
    pub commit: String,
    /// Seconds each successful build took, by its key.
    pub builds: BTreeMap<String, f64>,
    /// The whole run's time.
    pub elapsed: Duration,
}

impl Summary<'_> {
    fn cell(&self, row: &Row, checker: Checker) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.row.label() == row.label() && c.checker == checker)
    }

    /// Real structures that failed a checker.
    fn failures(&self) -> Vec<&Cell> {
        self.cells
            .iter()
            .filter(|c| c.row.mutant.is_none() && c.failed())
            .collect()
    }

    /// Whether some cell of `row` ran (was not skipped).
    fn ran(&self, row: &Row) -> bool {
        self.cells
            .iter()
            .any(|c| c.row.label() == row.label() && !matches!(c.outcome, Outcome::Skipped(_)))
    }

    /// Whether some cell of `row` failed (for a mutant: caught it).
    fn caught(&self, row: &Row) -> bool {
        self.cells
            .iter()
            .any(|c| c.row.label() == row.label() && c.failed())
    }

    /// Mutant rows no checker caught, among those some checker ran on.
    fn survivors(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.mutant.is_some() && self.ran(r) && !self.caught(r))
            .collect()
    }

    /// Mutant rows every selected checker skipped (`--checker engine`, say): not evidence
    /// either way.
    fn unchecked(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.mutant.is_some() && !self.ran(r))
            .collect()
    }

    /// Whether every structure passed every checker that ran and every mutant was caught.
    pub fn ok(&self) -> bool {
        self.failures().is_empty() && self.survivors().is_empty()
    }

    /// The closing line: `verify: OK — …` or `verify: FAILED — …` with the failing cells and
    /// the surviving mutants.
    pub fn verdict(&self) -> String {
        let (f, s) = (self.failures(), self.survivors());
        if f.is_empty() && s.is_empty() {
            let unchecked = self.unchecked().len();
            let mutants = self.rows.iter().filter(|r| r.mutant.is_some()).count() - unchecked;
            let mut v = String::from("verify: OK — every structure passed every checker that ran");
            if mutants > 0 {
                if mutants == 1 {
                    write!(v, ", and the mutant was caught").unwrap();
                } else {
                    write!(v, ", and all {mutants} mutants were caught").unwrap();
                }
            }
            if unchecked > 0 {
                write!(
                    v,
                    " ({unchecked} mutant rows not checked: every selected checker skips them)"
                )
                .unwrap();
            }
            return v;
        }
        let mut v = String::from("verify: FAILED —");
        if !f.is_empty() {
            let names: Vec<String> = f
                .iter()
                .map(|c| format!("{} × {}", c.row.label(), c.checker.name()))
                .collect();
            write!(v, " failing: {};", names.join(", ")).unwrap();
        }
        if !s.is_empty() {
            let names: Vec<String> = s.iter().map(|r| r.label()).collect();
            write!(
                v,
                " surviving mutants (a weakness of the testbed): {}",
                names.join(", ")
            )
            .unwrap();
        }
        v
    }

    fn column_secs(&self, checker: Checker) -> f64 {
        self.cells
            .iter()
            .filter(|c| c.checker == checker)
            .map(|c| match &c.outcome {
                Outcome::Pass { secs, .. }
                | Outcome::Fail { secs, .. }
                | Outcome::Timeout { secs, .. } => *secs,
                _ => 0.0,
            })
            .sum()
    }

    /// Per-row figures of the checkers that name [`Checker::detail_stats`], and for the crash
    /// checker how many crashes landed at each kill point (summed over the rows).
    fn details(&self, s: &mut String) {
        for &c in self.checkers {
            let keys = c.detail_stats();
            let passed: Vec<(&Row, &BTreeMap<String, u64>)> = self
                .rows
                .iter()
                .filter_map(|r| match self.cell(r, c).map(|cell| &cell.outcome) {
                    Some(Outcome::Pass { stats, .. }) => Some((r, stats)),
                    _ => None,
                })
                .filter(|(r, _)| r.mutant.is_none())
                .collect();
            if keys.is_empty() || passed.is_empty() {
                continue;
            }
            writeln!(s, "## {} — details\n", c.name()).unwrap();
            writeln!(s, "| row | {} |", keys.join(" | ")).unwrap();
            writeln!(s, "|:--|{}", "--:|".repeat(keys.len())).unwrap();
            for (row, stats) in &passed {
                let vals: Vec<String> = keys
                    .iter()
                    .map(|k| stats.get(*k).map_or("–".into(), |v| v.to_string()))
                    .collect();
                writeln!(s, "| {} | {} |", row.label(), vals.join(" | ")).unwrap();
            }
            writeln!(s).unwrap();
            let mut points: BTreeMap<&str, u64> = BTreeMap::new();
            for (_, stats) in &passed {
                for (k, v) in stats.iter() {
                    if let Some(p) = k.strip_prefix("killed_at_") {
                        *points.entry(p).or_default() += v;
                    }
                }
            }
            if !points.is_empty() {
                let list: Vec<String> = points.iter().map(|(p, n)| format!("{p} {n}")).collect();
                writeln!(
                    s,
                    "Crashes per kill point (all rows): {}.\n",
                    list.join(" · ")
                )
                .unwrap();
            }
        }
    }

    /// The report: [`Summary::body`] and the verdict.
    pub fn markdown(&self) -> String {
        format!("{}{}\n", self.body(), self.verdict())
    }

    /// The report without its closing verdict (printed once, last, on the terminal).
    pub fn body(&self) -> String {
        let mut s = String::new();
        writeln!(s, "# Verification matrix\n").unwrap();
        writeln!(
            s,
            "{} at commit `{}` — {} × {} in {:.0} s{}. {}\n",
            self.command,
            self.commit,
            plural(self.rows.len(), "row"),
            plural(self.checkers.len(), "checker"),
            self.elapsed.as_secs_f64(),
            if self.builds.is_empty() {
                String::new()
            } else {
                format!(
                    " (builds {:.0} s: {})",
                    self.builds.values().sum::<f64>(),
                    self.builds.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            },
            machine()
        )
        .unwrap();
        if !self.builds.is_empty()
            && self.builds.keys().all(|k| k.ends_with("-mutants"))
            && self.rows.iter().any(|r| r.mutant.is_none())
        {
            writeln!(
                s,
                "Every row ran from a build with the seeded mutants compiled in (quick mode: half \
                 the cold builds); a structure's row ran with `FERROLITE_MUTANT` unset, which \
                 selects the correct code at every mutant site. `--separate-builds` runs it \
                 from normal builds.\n"
            )
            .unwrap();
        }
        write!(s, "| row |").unwrap();
        for c in self.checkers {
            write!(s, " {} |", c.name()).unwrap();
        }
        writeln!(s).unwrap();
        write!(s, "|:--|").unwrap();
        for _ in self.checkers {
            write!(s, ":--|").unwrap();
        }
        writeln!(s).unwrap();
        for row in self.rows {
            write!(s, "| {} |", row.label()).unwrap();
            for &c in self.checkers {
                let text = self.cell(row, c).map(cell_text).unwrap_or_default();
                write!(s, " {text} |").unwrap();
            }
            writeln!(s).unwrap();
        }
        write!(s, "| *column time* |").unwrap();
        for &c in self.checkers {
            write!(s, " {:.0} s |", self.column_secs(c)).unwrap();
        }
        writeln!(s, "\n").unwrap();
        if self
            .cells
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Fail { .. } | Outcome::Timeout { .. }))
        {
            writeln!(
                s,
                "A failure or a catch says first what kind of evidence it is:\n"
            )
            .unwrap();
            for kind in Kind::ALL {
                writeln!(s, "- **{}**: {}", kind.name(), kind.meaning()).unwrap();
            }
            writeln!(s).unwrap();
        }

        let expected: Vec<(&Cell, &String)> = self
            .cells
            .iter()
            .filter_map(|c| match &c.outcome {
                Outcome::Pass {
                    expected: Some(e), ..
                } => Some((c, e)),
                _ => None,
            })
            .collect();
        if !expected.is_empty() {
            writeln!(s, "## Expected violations\n").unwrap();
            writeln!(
                s,
                "◆ marks what a map's declared properties make expected. In a lincheck cell: a \
                 map declared not linearizable (its registry entry's `linearizable: false`, or a \
                 map of another crate's `linearizable()`) — every history is checked, the ones \
                 with no linear order are counted and do not fail the cell. In a progress cell: \
                 a blocking map (its registry entry's `lock_free: false`, or a map of another \
                 crate whose `lock_free()` is `Some(false)`) — a paused thread blocks the \
                 others, and not being blocked would fail the cell (the checker could not \
                 fail); a map of another crate that claims nothing (`lock_free()` is `None`) \
                 and was blocked is shown the same way. Not a pass: \
                 the count and the first case, as the checker printed them:\n"
            )
            .unwrap();
            for (c, text) in expected {
                writeln!(
                    s,
                    "**{} × {}**{}\n\n```text\n{text}\n```\n",
                    c.row.label(),
                    c.checker.name(),
                    timeline_link(c)
                )
                .unwrap();
            }
        }
        let dependent: Vec<&Cell> = self
            .cells
            .iter()
            .filter(|c| c.evidence.seed_dependent())
            .collect();
        let seeded = self.cells.iter().any(|c| c.evidence.seeds.len() > 1);
        if seeded {
            writeln!(s, "## Seed-dependent cells\n").unwrap();
            if dependent.is_empty() {
                writeln!(
                    s,
                    "None: every cell gave the same verdict with each of its seeds.\n"
                )
                .unwrap();
            } else {
                writeln!(
                    s,
                    "‡ marks a cell whose verdict differed between seeds (the first seed's is \
                     shown); rerun one with `FERROLITE_SEED=<seed>`:\n"
                )
                .unwrap();
                for c in dependent {
                    let seeds: Vec<String> = c
                        .evidence
                        .seeds
                        .iter()
                        .map(|(seed, failed)| {
                            format!("{seed:#x} {}", if *failed { "failed" } else { "passed" })
                        })
                        .collect();
                    writeln!(
                        s,
                        "- {} × {}: {}",
                        c.row.label(),
                        c.checker.name(),
                        seeds.join(", ")
                    )
                    .unwrap();
                }
                writeln!(s).unwrap();
            }
        }
        self.details(&mut s);

        let mutants: Vec<&Row> = self.rows.iter().filter(|r| r.mutant.is_some()).collect();
        if !mutants.is_empty() {
            writeln!(s, "## Seeded mutants\n").unwrap();
            writeln!(s, "| mutant | on | the bug | caught by |").unwrap();
            writeln!(s, "|:--|:--|:--|:--|").unwrap();
            for r in mutants {
                let m = r.mutant.as_ref().expect("mutant row");
                let by: Vec<&str> = self
                    .cells
                    .iter()
                    .filter(|c| c.row.label() == r.label() && c.failed())
                    .map(|c| c.checker.name())
                    .collect();
                let by = if by.is_empty() && !self.ran(r) {
                    "not checked (every selected checker skips it)".to_string()
                } else if by.is_empty() {
                    "**nothing — survives**".to_string()
                } else {
                    by.join(", ")
                };
                writeln!(
                    s,
                    "| {} | {} | {} | {by} |",
                    m.name, r.structure, m.description
                )
                .unwrap();
            }
            writeln!(s).unwrap();
        }

        let failures = self.failures();
        let details: Vec<&Cell> = failures
            .iter()
            .copied()
            .chain(
                self.cells
                    .iter()
                    .filter(|c| c.row.mutant.is_some() && c.failed()),
            )
            .collect();
        if !details.is_empty() {
            writeln!(s, "## Failures and catches\n").unwrap();
            for c in details {
                writeln!(s, "### {} × {}\n", c.row.label(), c.checker.name()).unwrap();
                if let Some(p) = &c.evidence.timeline {
                    writeln!(s, "[The timeline drawn]({})\n", p.display()).unwrap();
                }
                match &c.outcome {
                    Outcome::Fail { excerpt, log, .. } => {
                        writeln!(
                            s,
                            "log: `{}`\n\n```text\n{}\n```\n",
                            log.display(),
                            excerpt.trim_end()
                        )
                        .unwrap();
                    }
                    Outcome::Timeout { log, .. } => {
                        writeln!(s, "killed at the time limit; log: `{}`\n", log.display()).unwrap()
                    }
                    Outcome::BuildFailed(log) => {
                        writeln!(s, "build failed; log: `{}`\n", log.display()).unwrap()
                    }
                    _ => {}
                }
            }
        }
        s
    }

    /// The same data as JSON (`verification.json`): one object per cell.
    pub fn json(&self) -> String {
        let cells: Vec<_> = self
            .cells
            .iter()
            .map(|c| {
                let (status, secs, stats, reason) = match &c.outcome {
                    Outcome::Pass {
                        secs,
                        stats,
                        expected,
                    } => (
                        if expected.is_some() {
                            "expected_violation"
                        } else {
                            "pass"
                        },
                        *secs,
                        json!(stats),
                        expected.clone(),
                    ),
                    Outcome::Fail { secs, reason, .. } => {
                        ("fail", *secs, json!({}), Some(reason.clone()))
                    }
                    Outcome::Timeout { secs, .. } => ("timeout", *secs, json!({}), None),
                    Outcome::Skipped(why) => ("skipped", 0.0, json!({}), Some(why.clone())),
                    Outcome::BuildFailed(_) => ("build_failed", 0.0, json!({}), None),
                };
                json!({
                    "timeline": c.evidence.timeline,
                    "seeds": c.evidence.seeds.iter().map(|(seed, failed)| json!({"seed": seed, "failed": failed})).collect::<Vec<_>>(),
                    "seed_dependent": c.evidence.seed_dependent(),
                    "history": c.evidence.history,
                    "row": c.row.label(),
                    "structure": c.row.structure,
                    "mutant": c.row.mutant.as_ref().map(|m| &m.name),
                    "checker": c.checker.name(),
                    "status": status,
                    "caught_or_failed": c.failed(),
                    "seconds": secs,
                    "stats": stats,
                    "reason": reason,
                })
            })
            .collect();
        let v = json!({
            "mode": self.mode,
            "commit": self.commit,
            "elapsed_seconds": self.elapsed.as_secs_f64(),
            "build_seconds": self.builds,
            "machine": machine(),
            "ok": self.ok(),
            "verdict": self.verdict(),
            "cells": cells,
        });
        serde_json::to_string_pretty(&v).expect("json") + "\n"
    }
}

/// ` — [the timeline drawn](path)` for a cell with a drawn counterexample, or nothing.
fn timeline_link(c: &Cell) -> String {
    match &c.evidence.timeline {
        Some(p) => format!(" — [the timeline drawn]({})", p.display()),
        None => String::new(),
    }
}

/// Cores, CPU model and date, for the report header.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let date = std::process::Command::new("date")
        .arg("+%Y-%m-%d %H:%M %Z")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("Machine: {cores} cores, {cpu}; {date}.")
}

/// `1 row`, `2 rows`.
pub fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
