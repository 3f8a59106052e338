//! The engine's figures over memtable kinds and workloads, as grids of small panels so that
//! every workload gets its own linear axis (workloads differ by 1000×, memtables by tens of
//! percent: one shared axis, linear or log, would hide the latter):
//!
//! * `engine-throughput.svg`: a panel per workload, a bar per memtable (ops/s, whiskers);
//! * `engine-latency.svg`: a row per workload, a column per percentile (p50, p99, p99.9),
//!   a bar per memtable (µs).

use super::axis::Axis;
use super::canvas::figure;
use super::facets::{self, grid};
use super::legend::{draw_legend, Legend};
use super::panels::{draw_bars, Bars};
use super::style::{style, Style};
use super::throughput::WHISKER_NOTE;
use crate::bench::model::Grid;
use anyhow::Result;
use std::path::Path;

pub(super) fn kind_series(g: &Grid) -> Vec<(String, Style)> {
    g.kinds
        .iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), style(k, i)))
        .collect()
}

/// One facet: a bar per memtable (series), one unnamed category, its own linear axis.
struct Facet<'a> {
    title: &'a str,
    series: &'a [(String, Style)],
    values: Vec<Vec<Option<f64>>>,
    errors: Vec<Vec<Option<(f64, f64)>>>,
    desc: &'a str,
}

fn draw_facet(area: &super::canvas::Area, f: &Facet) -> Result<()> {
    let axis = Axis::linear(
        f.desc,
        f.values
            .iter()
            .flatten()
            .flatten()
            .copied()
            .chain(f.errors.iter().flatten().flatten().map(|e| e.1)),
        0.35,
    );
    draw_bars(
        area,
        &Bars {
            title: f.title,
            categories: &[String::new()],
            cat_desc: "",
            series: f.series,
            values: &f.values,
            errors: &f.errors,
            axis: &axis,
            horizontal: true,
            show_categories: false,
            value_labels: true,
            compact: true,
        },
    )
}

/// Bytes in MiB for a legend note: `4 MiB`, `0.25 MiB`.
fn mib(b: f64) -> String {
    format!("{} MiB", super::axis::si(b / f64::from(1u32 << 20)))
}

/// The legend's note on the engine figures' options, from the cells' side data.
fn options_note(g: &Grid) -> Option<String> {
    let c = g.cells.values().next()?;
    let preset = c.option("preset")?;
    let mem = c.option_num("memtable_bytes").map(mib);
    Some(format!(
        "Options: preset {preset}{}, the memtable kind per bar; see bench.md.",
        mem.map(|m| format!(", memtable {m}")).unwrap_or_default()
    ))
}

/// A figure of small bar panels, one per workload of `g` (`ncols` to a row), a bar per kind
/// with whiskers, values from `g.ops`: the engine's throughput and the SQL comparison.
pub(super) struct PanelFigure<'a> {
    /// File name in the report directory.
    pub file: &'a str,
    /// The figure's title.
    pub title: &'a str,
    /// Panels per row.
    pub ncols: usize,
    /// Smallest row height in pixels.
    pub min_row_h: u32,
    /// The value axis' description.
    pub desc: &'a str,
    /// The legend's title.
    pub legend: &'a str,
    /// The legend's notes.
    pub notes: Vec<String>,
}

/// Draw `f` from `g`; whether anything was measured (else no file is written).
pub(super) fn panel_figure(dir: &Path, g: &Grid, f: &PanelFigure) -> Result<bool> {
    if g.workloads
        .iter()
        .all(|w| g.kinds.iter().all(|k| g.ops(k, w).is_none()))
    {
        return Ok(false);
    }
    let series = kind_series(g);
    let nrows = g.workloads.len().div_ceil(f.ncols);
    let row_h = (48 + 16 * series.len() as u32).max(f.min_row_h);
    let path = dir.join(f.file);
    let (plots, legend) = figure(&path, 1100, facets::height(nrows, row_h, false))?;
    let panels = grid(
        &plots,
        &facets::Grid {
            title: f.title,
            rows: &[],
            cols: &[],
            ncols: f.ncols,
            row_label_w: 0,
        },
        g.workloads.len(),
    )?;
    for (area, w) in panels.iter().zip(&g.workloads) {
        draw_facet(
            area,
            &Facet {
                title: w,
                series: &series,
                values: g.kinds.iter().map(|k| vec![g.ops(k, w)]).collect(),
                errors: g.kinds.iter().map(|k| vec![g.ops_spread(k, w)]).collect(),
                desc: f.desc,
            },
        )?;
    }
    draw_legend(&legend, f.legend, &series, Legend::Bars, &f.notes)?;
    plots.present()?;
    Ok(true)
}

/// `engine-throughput.svg`: ops/s per workload, a panel per workload, a bar per memtable.
pub fn engine_throughput(dir: &Path, g: &Grid) -> Result<bool> {
    let mut notes = vec![
        "Bars top to bottom in the legend's order; each panel has its own linear axis.".to_string(),
        WHISKER_NOTE.to_string(),
    ];
    notes.extend(options_note(g));
    panel_figure(
        dir,
        g,
        &PanelFigure {
            file: "engine-throughput.svg",
            title: "Engine throughput per workload (ops/s; each panel its own linear scale)",
            ncols: 2,
            min_row_h: 96,
            desc: "ops/s",
            legend: "memtable",
            notes,
        },
    )
}

/// The engine's latency percentiles: name in the side data, axis title.
pub const PERCENTILES: [(&str, &str); 3] = [("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")];

/// `engine-latency.svg`: p50 / p99 / p99.9 per workload in µs, a panel per (workload,
/// percentile), a bar per memtable.
pub fn engine_latency(dir: &Path, g: &Grid) -> Result<bool> {
    let get = |k: &str, w: &str, p: &str| -> Option<f64> {
        let l = g.cells.get(&(k.into(), w.into()))?.latency("op")?;
        match p {
            "p50" => l.p50,
            "p99" => l.p99,
            _ => l.p999,
        }
        .filter(|v| *v > 0.0)
        .map(|ns| ns / 1e3)
    };
    // Workloads with a latency for some memtable.
    let rows: Vec<String> = g
        .workloads
        .iter()
        .filter(|w| g.kinds.iter().any(|k| get(k, w, "p50").is_some()))
        .cloned()
        .collect();
    if rows.is_empty() {
        return Ok(false);
    }
    let series = kind_series(g);
    let row_h = (40 + 14 * series.len() as u32).max(84);
    let path = dir.join("engine-latency.svg");
    let label_w = rows.iter().map(|w| w.len()).max().unwrap_or(4) as u32 * 9 + 24;
    let (plots, legend) = figure(&path, 1150, facets::height(rows.len(), row_h, true))?;
    let cols: Vec<String> = PERCENTILES
        .iter()
        .map(|p| format!("{} latency (µs)", p.1))
        .collect();
    let panels = grid(
        &plots,
        &facets::Grid {
            title: "Engine latency per operation (each panel its own linear scale)",
            rows: &rows,
            cols: &cols,
            ncols: PERCENTILES.len(),
            row_label_w: label_w,
        },
        rows.len() * PERCENTILES.len(),
    )?;
    for (i, area) in panels.iter().enumerate() {
        let (w, (key, _)) = (
            &rows[i / PERCENTILES.len()],
            PERCENTILES[i % PERCENTILES.len()],
        );
        draw_facet(
            area,
            &Facet {
                title: "",
                series: &series,
                values: g.kinds.iter().map(|k| vec![get(k, w, key)]).collect(),
                errors: vec![],
                desc: "µs",
            },
        )?;
    }
    let mut notes = vec![
        "Bars top to bottom in the legend's order; each panel has its own linear axis.".to_string(),
        "Percentiles of every operation of every run, merged (no per-run spread).".to_string(),
    ];
    notes.extend(options_note(g));
    draw_legend(&legend, "memtable", &series, Legend::Bars, &notes)?;
    plots.present()?;
    Ok(true)
}
