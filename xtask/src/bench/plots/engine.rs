//! The engine's figures over memtable kinds and workloads: `engine-throughput.svg` (ops/s per
//! workload) and `engine-latency.svg` (p50/p99/p99.9 per operation).

use super::axis::{force_log, Axis};
use super::canvas::figure;
use super::panels::{draw_bars, draw_legend, Bars, Legend};
use super::style::{style, Style};
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

/// A panel of both engine figures: horizontal bars, a group per workload, a bar per memtable.
fn workload_bars<'a>(
    g: &'a Grid,
    title: &'a str,
    series: &'a [(String, Style)],
    values: &'a [Vec<Option<f64>>],
    axis: &'a Axis,
    show_categories: bool,
) -> Bars<'a> {
    Bars {
        title,
        categories: &g.workloads,
        cat_desc: "workload",
        series,
        values,
        axis,
        horizontal: true,
        show_categories,
    }
}

/// The height of both engine figures: a row per workload and memtable.
fn height(g: &Grid) -> u32 {
    (140 + g.workloads.len() as u32 * (10 + 14 * g.kinds.len() as u32)).max(420)
}

/// `engine-throughput.svg`: ops/s per workload, a bar per memtable.
pub fn engine_throughput(dir: &Path, g: &Grid) -> Result<bool> {
    let values: Vec<Vec<Option<f64>>> = g
        .kinds
        .iter()
        .map(|k| g.workloads.iter().map(|w| g.ops(k, w)).collect())
        .collect();
    if values.iter().flatten().all(Option::is_none) {
        return Ok(false);
    }
    let path = dir.join("engine-throughput.svg");
    let (plots, legend) = figure(&path, 900, height(g))?;
    let series = kind_series(g);
    let mut axis = Axis::fit(
        "throughput (ops/s)",
        values.iter().flatten().flatten().copied(),
    );
    force_log(
        &mut axis,
        "throughput (ops/s)",
        values.iter().flatten().flatten().copied(),
    );
    draw_bars(
        &plots,
        &workload_bars(
            g,
            "Engine throughput per workload",
            &series,
            &values,
            &axis,
            true,
        ),
    )?;
    draw_legend(&legend, "memtable", &series, Legend::Bars)?;
    plots.present()?;
    Ok(true)
}

/// The engine's latency percentiles: name in the side data, axis title.
pub const PERCENTILES: [(&str, &str); 3] = [("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")];

/// `engine-latency.svg`: p50 / p99 / p99.9 per workload, one panel each, a bar per memtable.
pub fn engine_latency(dir: &Path, g: &Grid) -> Result<bool> {
    let get = |k: &str, w: &str, p: &str| -> Option<f64> {
        let l = g.cells.get(&(k.into(), w.into()))?.latency("op")?;
        match p {
            "p50" => l.p50,
            "p99" => l.p99,
            _ => l.p999,
        }
        .filter(|v| *v > 0.0)
    };
    let all: Vec<f64> = g
        .kinds
        .iter()
        .flat_map(|k| {
            g.workloads
                .iter()
                .flat_map(move |w| PERCENTILES.iter().filter_map(move |p| get(k, w, p.0)))
        })
        .collect();
    if all.is_empty() {
        return Ok(false);
    }
    let path = dir.join("engine-latency.svg");
    let (plots, legend) = figure(&path, 1320, height(g))?;
    let series = kind_series(g);
    // One scale for the three panels, so bars compare across them.
    let mut axis = Axis::fit("latency (ns)", all.iter().copied());
    force_log(&mut axis, "latency (ns)", all.iter().copied());
    let label_w = g.workloads.iter().map(|w| w.len()).max().unwrap_or(4) as u32 * 8 + 60;
    let (first, rest) = plots.split_horizontally(label_w + (1130 - label_w) / 3);
    let (second, third) = rest.split_horizontally((1130 - label_w) / 3);
    for (i, (area, (key, name))) in [first, second, third].iter().zip(PERCENTILES).enumerate() {
        let values: Vec<Vec<Option<f64>>> = g
            .kinds
            .iter()
            .map(|k| g.workloads.iter().map(|w| get(k, w, key)).collect())
            .collect();
        let title = format!("{name} latency");
        draw_bars(
            area,
            &workload_bars(g, &title, &series, &values, &axis, i == 0),
        )?;
    }
    draw_legend(&legend, "memtable", &series, Legend::Bars)?;
    plots.present()?;
    Ok(true)
}
