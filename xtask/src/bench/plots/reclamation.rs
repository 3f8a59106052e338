//! Reclamation figures:
//!
//! * `unreclaimed.svg`: peak unreclaimed nodes against threads, a line per scheme, a panel
//!   per update percentage (log axis: the schemes differ by decades), the machine's cores
//!   marked; a map whose counts were not measured (crossbeam) gets no line and a legend note;
//! * `stalled-reader.svg`: unreclaimed nodes over time while a reader is stalled, a line per
//!   (scheme, updater count): colour by scheme, dash pattern by updater count.

use super::axis::Axis;
use super::canvas::{figure, LEGEND_W};
use super::legend::{draw_legend, Legend};
use super::panels::{draw_lines, LineData, Lines, MAX_MARKED_POINTS};
use super::style::{map_style, Style, DASHES};
use super::throughput::oversubscribed_note;
use crate::bench::data::{Cell, Series};
use crate::bench::model::{self, Unreclaimed};
use anyhow::Result;
use std::path::Path;

/// The lines of one `unreclaimed.svg` panel (update percentage `up`): the measured schemes
/// only — a scheme that was not measured has no line at all.
pub(super) fn unreclaimed_lines(u: &Unreclaimed, up: u32) -> Vec<LineData> {
    u.schemes
        .iter()
        .enumerate()
        .map(|(i, s)| LineData {
            name: s.clone(),
            style: map_style(s, i),
            points: u
                .threads
                .iter()
                .filter_map(|&t| Some((t as f64, u.max_peak(s, up, t)?)))
                .collect(),
            whiskers: vec![],
        })
        .collect()
}

/// `unreclaimed.svg`: peak unreclaimed nodes against threads, a line per scheme, a panel per
/// update percentage (the largest peak over ranges and distributions).
pub fn unreclaimed(dir: &Path, u: &Unreclaimed) -> Result<bool> {
    let updates: Vec<u32> = u
        .updates
        .iter()
        .copied()
        .filter(|&up| {
            u.schemes.iter().any(|s| {
                u.threads
                    .iter()
                    .any(|&t| u.max_peak(s, up, t).is_some_and(|v| v > 0.0))
            })
        })
        .collect();
    if updates.is_empty() {
        return Ok(false);
    }
    let path = dir.join("unreclaimed.svg");
    let panel_w = 520;
    let (plots, legend) = figure(&path, panel_w * updates.len() as u32 + LEGEND_W, 520)?;
    let panels = plots.split_evenly((1, updates.len()));
    let per: Vec<Vec<LineData>> = updates.iter().map(|&up| unreclaimed_lines(u, up)).collect();
    let y = Axis::fit(
        "peak unreclaimed nodes",
        per.iter()
            .flatten()
            .flat_map(|s| s.points.iter().map(|p| p.1)),
    );
    let zeros = per
        .iter()
        .flatten()
        .any(|s| s.points.iter().any(|p| p.1 <= 0.0));
    let y = Axis {
        desc: if y.log {
            "peak unreclaimed nodes (log scale)".into()
        } else {
            "peak unreclaimed nodes".into()
        },
        ..y
    };
    for ((area, up), series) in panels.iter().zip(&updates).zip(&per) {
        let title = format!("{up}% updates (max over ranges, dists)");
        draw_lines(
            area,
            &Lines {
                title: &title,
                x_desc: "threads",
                x_integer: true,
                y: &y,
                series,
                cores: u.cores,
            },
        )?;
    }
    let entries: Vec<_> = per[0].iter().map(|s| (s.name.clone(), s.style)).collect();
    let mut notes: Vec<String> = u
        .not_measured
        .iter()
        .map(|m| format!("{m}: not measured (its adapter has no reclamation counters), so no line"))
        .collect();
    if zeros && y.log {
        notes.push("0 (freed at once: mutex, btree) is drawn on the bottom axis.".into());
    }
    notes.push("The peak of all runs of a cell; no spread is kept.".into());
    let max_threads = u.threads.iter().copied().max().unwrap_or(0);
    notes.extend(oversubscribed_note(u.cores, max_threads));
    draw_legend(
        &legend,
        "scheme",
        &entries,
        Legend::LinesWithMarkers,
        &notes,
    )?;
    plots.present()?;
    Ok(true)
}

/// A stalled-reader cell's updater count: its `threads` parameter, else its parameter
/// string `t{n}…`.
fn updaters(c: &Cell) -> Option<u32> {
    c.param_num("threads").map(|t| t as u32).or_else(|| {
        let digits: String = c
            .parameter
            .strip_prefix('t')?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

/// The lines of `stalled-reader.svg`: colour by scheme, dash pattern by updater count
/// (solid, dashed, dotted in ascending order), names "scheme, n updaters".
pub(super) fn stalled_lines(cells: &[(&Cell, &Series)], cores: Option<u32>) -> Vec<LineData> {
    let counts = updater_counts(cells);
    let schemes: Vec<&str> = {
        let mut v: Vec<&str> = cells.iter().map(|(c, _)| c.function.as_str()).collect();
        v.dedup();
        v
    };
    cells
        .iter()
        .map(|(c, s)| {
            let t = updaters(c);
            let ti = counts.iter().position(|x| *x == t).unwrap_or(0);
            let si = schemes.iter().position(|x| *x == c.function).unwrap_or(0);
            let base = map_style(&c.function, si);
            let name = match t {
                Some(1) => format!("{}, 1 updater", c.function),
                Some(n) if cores.is_some_and(|k| n > k) => {
                    format!("{}, {n} updaters (over)", c.function)
                }
                Some(n) => format!("{}, {n} updaters", c.function),
                None => format!("{} {}", c.function, c.parameter),
            };
            LineData {
                name,
                style: Style {
                    dash: DASHES[ti % DASHES.len()],
                    ..base
                },
                points: s.points.clone(),
                whiskers: vec![],
            }
        })
        .collect()
}

/// The distinct updater counts of `cells`, ascending: the order of the dash patterns.
fn updater_counts(cells: &[(&Cell, &Series)]) -> Vec<Option<u32>> {
    let mut v: Vec<Option<u32>> = cells.iter().map(|(c, _)| updaters(c)).collect();
    v.sort();
    v.dedup();
    v
}

/// The legend's note on line styles: "Line style: updater threads (solid 1, dashed 2)."
fn dash_note(counts: &[Option<u32>]) -> String {
    let names = ["solid", "dashed", "dotted"];
    let parts: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let n = n.map_or("?".to_string(), |n| n.to_string());
            format!("{} {n}", names[i % names.len()])
        })
        .collect();
    format!(
        "Colour: scheme. Line style: updater threads ({}).",
        parts.join(", ")
    )
}

/// `stalled-reader.svg`: unreclaimed nodes over time while a reader is stalled, a line per
/// (scheme, updater count).
pub fn stalled_reader(dir: &Path, cells: &[&Cell], cores: Option<u32>) -> Result<bool> {
    let mut with: Vec<(&Cell, &Series)> = cells
        .iter()
        .filter_map(|c| Some((*c, c.side.as_ref()?.series.as_ref()?)))
        .filter(|(_, s)| !s.points.is_empty())
        .collect();
    if with.is_empty() {
        return Ok(false);
    }
    with.sort_by_key(|(c, _)| (model::map_order_key(c), updaters(c)));
    let series = stalled_lines(&with, cores);
    let y_name = with
        .iter()
        .map(|(_, s)| s.name.as_str())
        .find(|n| !n.is_empty())
        .unwrap_or("unreclaimed nodes");
    let x_name = with
        .iter()
        .map(|(_, s)| s.x_label.as_str())
        .find(|n| !n.is_empty())
        .unwrap_or("time (ms)");
    let mut y = Axis::fit(
        y_name,
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
    );
    if y.log {
        y.desc = format!("{y_name} (log scale)");
    }
    let path = dir.join("stalled-reader.svg");
    let (plots, legend) = figure(&path, 960, 540)?;
    draw_lines(
        &plots,
        &Lines {
            title: "Unreclaimed nodes while a reader is stalled",
            x_desc: x_name,
            x_integer: false,
            y: &y,
            series: &series,
            cores: None,
        },
    )?;
    let entries: Vec<_> = series.iter().map(|s| (s.name.clone(), s.style)).collect();
    let marked = series.iter().all(|s| s.points.len() <= MAX_MARKED_POINTS);
    let kind = if marked {
        Legend::LinesWithMarkers
    } else {
        Legend::Lines
    };
    let mut notes = vec![
        dash_note(&updater_counts(&with)),
        "Plus one reader thread, stalled inside a get (asleep).".to_string(),
    ];
    if let Some(c) = cores {
        let over = with
            .iter()
            .any(|(cell, _)| updaters(cell).is_some_and(|n| n > c));
        notes.push(if over {
            format!("The machine has {c} cores; \"(over)\": more updaters than cores.")
        } else {
            format!("The machine has {c} cores.")
        });
    }
    draw_legend(&legend, "scheme, updaters", &entries, kind, &notes)?;
    plots.present()?;
    Ok(true)
}
