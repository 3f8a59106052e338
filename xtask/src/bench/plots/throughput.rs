//! Throughput figures of the structures and the stage ladder:
//!
//! * `structures-u{U}-r{R}-{dist}.svg`: Mops/s against threads, a line per map, on a linear
//!   axis from zero, min–max whiskers, the machine's cores marked and the oversubscribed
//!   thread counts shaded;
//! * `stages.svg`: the engine's stage ladder, a panel per workload with its own linear axis
//!   (ops/s per stage, a bar per memtable, whiskers, each bar's value written on it); drawn
//!   by `cargo xtask ladder` from `stages.json`, not by the bench report.

use super::axis::Axis;
use super::canvas::figure;
use super::facets::{self, grid};
use super::legend::{draw_legend, Legend};
use super::panels::{draw_bars, draw_lines, Bars, LineData, Lines};
use super::style::{map_style, style, Style};
use crate::bench::model::{Stages, StructFigure};
use anyhow::Result;
use std::path::Path;

/// The legend's note on whiskers.
pub(super) const WHISKER_NOTE: &str =
    "Whiskers: min–max over the repeated runs (criterion's 95 % interval of the median where \
     the runs' spread was not saved).";

/// The legend's note on the shaded region, if some thread count exceeds `cores`.
pub(super) fn oversubscribed_note(cores: Option<u32>, max_threads: u32) -> Option<String> {
    let c = cores?;
    Some(if max_threads > c {
        format!(
            "Dashed line: the machine's {c} cores. Shaded: more threads than cores \
             (oversubscribed), so threads share cores."
        )
    } else {
        format!("Dashed line: the machine's {c} cores.")
    })
}

/// The lines of a `structures` figure: a line per map, Mops/s, with whiskers.
pub(super) fn structure_lines(f: &StructFigure) -> Vec<LineData> {
    f.maps
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let key = |t: u32| (m.clone(), t);
            LineData {
                name: m.clone(),
                style: map_style(m, i),
                points: f
                    .threads
                    .iter()
                    .filter_map(|&t| Some((t as f64, f.ops.get(&key(t))? / 1e6)))
                    .collect(),
                whiskers: f
                    .threads
                    .iter()
                    .filter_map(|&t| {
                        let (lo, hi) = f.spread.get(&key(t))?;
                        Some((t as f64, lo / 1e6, hi / 1e6))
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The y axis of a `structures` figure: linear from zero, up to the highest whisker.
pub(super) fn structure_axis(lines: &[LineData]) -> Axis {
    Axis::linear(
        "throughput (Mops/s)",
        lines.iter().flat_map(|s| {
            s.points
                .iter()
                .map(|p| p.1)
                .chain(s.whiskers.iter().map(|w| w.2))
        }),
        0.10,
    )
}

/// `structures-u{U}-r{R}-{dist}.svg`: Mops/s against threads, a line per map.
pub fn structures(dir: &Path, f: &StructFigure) -> Result<()> {
    let path = dir.join(f.file_name());
    let (plots, legend) = figure(&path, 900, 520)?;
    let series = structure_lines(f);
    let y = structure_axis(&series);
    let title = f.title();
    draw_lines(
        &plots,
        &Lines {
            title: &title,
            x_desc: "threads",
            x_integer: true,
            y: &y,
            series: &series,
            cores: f.cores,
        },
    )?;
    let entries: Vec<_> = series.iter().map(|s| (s.name.clone(), s.style)).collect();
    let max_threads = f.threads.iter().copied().max().unwrap_or(0);
    let mut notes = vec![WHISKER_NOTE.to_string()];
    notes.extend(oversubscribed_note(f.cores, max_threads));
    draw_legend(&legend, "map", &entries, Legend::LinesWithMarkers, &notes)?;
    plots.present()?;
    Ok(())
}

/// `stages.svg`: ops/s per stage, a panel per workload (its own linear axis), a bar per
/// memtable with whiskers and its value.
pub fn stages(dir: &Path, st: &Stages) -> Result<()> {
    let path = dir.join("stages.svg");
    let row_h = 300;
    let h = facets::height(st.workloads.len(), row_h, false);
    let w = (320 + st.stages.len() as u32 * (30 + 46 * st.memtables.len() as u32)).clamp(900, 1500);
    let (plots, legend) = figure(&path, w, h)?;
    let series: Vec<(String, Style)> = st
        .memtables
        .iter()
        .enumerate()
        .map(|(i, m)| (m.clone(), style(m, i)))
        .collect();
    let panels = grid(
        &plots,
        &facets::Grid {
            title: "Stage ladder: engine throughput per stage (each panel its own linear scale)",
            rows: &[],
            cols: &[],
            ncols: 1,
            row_label_w: 0,
        },
        st.workloads.len(),
    )?;
    for (area, wl) in panels.iter().zip(&st.workloads) {
        let key = |s: &String, m: &String| (s.clone(), m.clone(), wl.clone());
        let values: Vec<Vec<Option<f64>>> = st
            .memtables
            .iter()
            .map(|m| {
                st.stages
                    .iter()
                    .map(|s| st.ops.get(&key(s, m)).copied())
                    .collect()
            })
            .collect();
        let errors: Vec<Vec<Option<(f64, f64)>>> = st
            .memtables
            .iter()
            .map(|m| {
                st.stages
                    .iter()
                    .map(|s| st.spread.get(&key(s, m)).copied())
                    .collect()
            })
            .collect();
        let axis = Axis::linear(
            "throughput (ops/s)",
            values
                .iter()
                .flatten()
                .flatten()
                .copied()
                .chain(errors.iter().flatten().flatten().map(|e| e.1)),
            0.15,
        );
        draw_bars(
            area,
            &Bars {
                title: wl,
                categories: &st.stages,
                cat_desc: "stage",
                series: &series,
                values: &values,
                errors: &errors,
                axis: &axis,
                horizontal: false,
                show_categories: true,
                value_labels: true,
                compact: false,
            },
        )?;
    }
    let notes = [
        "Each workload has its own linear axis; the numbers on the bars are ops/s.".to_string(),
        "Bars: medians of the runs; whiskers: min–max over the runs.".to_string(),
    ];
    draw_legend(&legend, "memtable", &series, Legend::Bars, &notes)?;
    plots.present()?;
    Ok(())
}
