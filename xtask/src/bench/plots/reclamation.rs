//! Reclamation figures: `unreclaimed.svg` (peak unreclaimed nodes against threads, a panel per
//! update percentage) and `stalled-reader.svg` (unreclaimed nodes over time while a reader is
//! stalled, a line per scheme).

use super::axis::Axis;
use super::canvas::{figure, LEGEND_W};
use super::panels::{draw_legend, draw_lines, Legend, LineSeriesData, Lines, MAX_MARKED_POINTS};
use super::style::style;
use crate::bench::model::{self, Unreclaimed};
use anyhow::Result;
use std::path::Path;

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
    let (plots, legend) = figure(&path, panel_w * updates.len() as u32 + LEGEND_W, 500)?;
    let panels = plots.split_evenly((1, updates.len()));
    let mut all = Vec::new();
    let per: Vec<Vec<LineSeriesData>> = updates
        .iter()
        .map(|&up| {
            u.schemes
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let pts: Vec<(f64, f64)> = u
                        .threads
                        .iter()
                        .filter_map(|&t| Some((t as f64, u.max_peak(s, up, t)?)))
                        .collect();
                    all.extend(pts.iter().map(|p| p.1));
                    (s.clone(), style(s, i), pts)
                })
                .collect()
        })
        .collect();
    let y = Axis::fit("peak unreclaimed nodes", all.iter().copied());
    let y = Axis {
        desc: if y.log {
            "peak unreclaimed nodes (log; 0 on the axis)".into()
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
            },
        )?;
    }
    let entries: Vec<_> = per[0].iter().map(|s| (s.0.clone(), s.1)).collect();
    draw_legend(&legend, "scheme", &entries, Legend::LinesWithMarkers)?;
    plots.present()?;
    Ok(true)
}

/// `stalled-reader.svg`: unreclaimed nodes over time while a reader is stalled, a line per
/// scheme (and parameter, if there are several).
pub fn stalled_reader(dir: &Path, cells: &[&crate::bench::data::Cell]) -> Result<bool> {
    let mut with: Vec<(&crate::bench::data::Cell, &crate::bench::data::Series)> = cells
        .iter()
        .filter_map(|c| Some((*c, c.side.as_ref()?.series.as_ref()?)))
        .filter(|(_, s)| !s.points.is_empty())
        .collect();
    if with.is_empty() {
        return Ok(false);
    }
    with.sort_by_key(|(c, _)| model::map_order_key(c));
    let params: std::collections::BTreeSet<&str> =
        with.iter().map(|(c, _)| c.parameter.as_str()).collect();
    let series: Vec<LineSeriesData> = with
        .iter()
        .enumerate()
        .map(|(i, (c, s))| {
            let name = if params.len() > 1 {
                format!("{} {}", c.function, c.parameter)
            } else {
                c.function.clone()
            };
            (name, style(&c.function, i), s.points.clone())
        })
        .collect();
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
    let mut y = Axis::fit(y_name, series.iter().flat_map(|s| s.2.iter().map(|p| p.1)));
    if y.log {
        y.desc = format!("{y_name} (log; 0 on the axis)");
    }
    let path = dir.join("stalled-reader.svg");
    let (plots, legend) = figure(&path, 900, 520)?;
    draw_lines(
        &plots,
        &Lines {
            title: "Unreclaimed nodes while a reader is stalled",
            x_desc: x_name,
            x_integer: false,
            y: &y,
            series: &series,
        },
    )?;
    let entries: Vec<_> = series.iter().map(|s| (s.0.clone(), s.1)).collect();
    let marked = series.iter().all(|s| s.2.len() <= MAX_MARKED_POINTS);
    let kind = if marked {
        Legend::LinesWithMarkers
    } else {
        Legend::Lines
    };
    draw_legend(&legend, "scheme", &entries, kind)?;
    plots.present()?;
    Ok(true)
}
