//! Throughput figures of the structures: `structures-u{U}-r{R}-{dist}.svg` (Mops/s against
//! threads, a line per map) and `stages.svg` (the engine's stage ladder, log throughput).

use super::axis::{force_log, Axis};
use super::canvas::figure;
use super::panels::{draw_bars, draw_legend, draw_lines, Bars, Legend, LineSeriesData, Lines};
use super::style::{style, Marker, Style, PALETTE};
use crate::bench::model::{Stages, StructFigure};
use anyhow::Result;
use std::path::Path;

/// `structures-u{U}-r{R}-{dist}.svg`: Mops/s against threads, a line per map.
pub fn structures(dir: &Path, f: &StructFigure) -> Result<()> {
    let path = dir.join(f.file_name());
    let (plots, legend) = figure(&path, 900, 520)?;
    let series: Vec<LineSeriesData> = f
        .maps
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let pts = f
                .threads
                .iter()
                .filter_map(|&t| Some((t as f64, f.ops.get(&(m.clone(), t))? / 1e6)))
                .collect();
            (m.clone(), style(m, i), pts)
        })
        .collect();
    let y = Axis::fit(
        "throughput (Mops/s)",
        series.iter().flat_map(|s| s.2.iter().map(|p| p.1)),
    );
    let title = f.title();
    draw_lines(
        &plots,
        &Lines {
            title: &title,
            x_desc: "threads",
            x_integer: true,
            y: &y,
            series: &series,
        },
    )?;
    let entries: Vec<_> = series.iter().map(|s| (s.0.clone(), s.1)).collect();
    draw_legend(&legend, "map", &entries, Legend::LinesWithMarkers)?;
    plots.present()?;
    Ok(())
}

/// `stages.svg`: ops/s per stage, a bar per (memtable, workload), log y.
pub fn stages(dir: &Path, st: &Stages) -> Result<()> {
    let path = dir.join("stages.svg");
    let w = (260 + st.stages.len() as u32 * (40 + 18 * st.series.len() as u32)).clamp(900, 1800);
    let (plots, legend) = figure(&path, w, 560)?;
    let series: Vec<(String, Style)> = st
        .series
        .iter()
        .enumerate()
        .map(|(i, (m, wl))| {
            (
                format!("{m} · {wl}"),
                Style {
                    color: PALETTE[i % PALETTE.len()],
                    marker: Marker::Square,
                },
            )
        })
        .collect();
    let values: Vec<Vec<Option<f64>>> = st
        .series
        .iter()
        .map(|(m, wl)| {
            st.stages
                .iter()
                .map(|s| st.ops.get(&(s.clone(), m.clone(), wl.clone())).copied())
                .collect()
        })
        .collect();
    let mut axis = Axis::fit("throughput (ops/s)", st.ops.values().copied());
    force_log(&mut axis, "throughput (ops/s)", st.ops.values().copied());
    draw_bars(
        &plots,
        &Bars {
            title: "Stage ladder: engine throughput per stage",
            categories: &st.stages,
            cat_desc: "stage",
            series: &series,
            values: &values,
            axis: &axis,
            horizontal: false,
            show_categories: true,
        },
    )?;
    draw_legend(&legend, "memtable · workload", &series, Legend::Bars)?;
    plots.present()?;
    Ok(())
}
