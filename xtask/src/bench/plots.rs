//! The SVG figures, drawn with plotters' SVG backend.
//!
//! Log axes are drawn as linear axes over log10 of the values, with one labelled tick per
//! decade: that keeps the ticks on round numbers whatever the data. Categorical axes are
//! linear axes with one tick per category index, labelled with the category's name. Legends
//! sit in their own column right of the plots, so they never cover data.

use super::model::{self, Grid, Stages, StructFigure, Unreclaimed};
use anyhow::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

const FONT: &str = "sans-serif";
const TITLE: u32 = 20;
const LABEL: u32 = 15;
const TICK: u32 = 13;
const LEGEND_W: u32 = 190;

/// Okabe–Ito colours (colour-blind safe), without the yellow that vanishes on white.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// A fixed colour for the names that recur across figures, so a map keeps its colour.
fn color_of(name: &str, index: usize) -> RGBColor {
    match name {
        "mutex" => RGBColor(0, 0, 0),
        "epoch" | "ferrolite" => PALETTE[0],
        "hazard" => PALETTE[1],
        "crossbeam" => PALETTE[2],
        "noreclaim" => RGBColor(140, 140, 140),
        "btree" => PALETTE[3],
        "fjall" => PALETTE[4],
        _ => PALETTE[index % PALETTE.len()],
    }
}

/// Marker shapes, so lines stay apart in grey print too.
#[derive(Clone, Copy, Debug)]
enum Marker {
    Circle,
    Triangle,
    Square,
    Cross,
}

const MARKERS: [Marker; 4] = [
    Marker::Circle,
    Marker::Triangle,
    Marker::Square,
    Marker::Cross,
];

/// How one series is drawn.
#[derive(Clone, Copy, Debug)]
struct Style {
    color: RGBColor,
    marker: Marker,
}

fn style(name: &str, index: usize) -> Style {
    Style {
        color: color_of(name, index),
        marker: MARKERS[index % MARKERS.len()],
    }
}

/// A marker in the legend, at pixel `at` of the legend's area.
fn legend_marker(area: &Area, at: (i32, i32), s: Style) -> Result<()> {
    let (x, y) = at;
    let c = s.color;
    match s.marker {
        Marker::Circle => area.draw(&Circle::new(at, 4, c.filled()))?,
        Marker::Triangle => area.draw(&TriangleMarker::new(at, 5, c.filled()))?,
        Marker::Square => area.draw(&Rectangle::new(
            [(x - 4, y - 4), (x + 4, y + 4)],
            c.filled(),
        ))?,
        Marker::Cross => area.draw(&Cross::new(at, 4, c.stroke_width(2)))?,
    }
    Ok(())
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Markers at data points of a chart.
fn data_markers(chart: &mut Chart, pts: &[(f64, f64)], s: Style) -> Result<()> {
    let c = s.color;
    match s.marker {
        Marker::Circle => {
            chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, c.filled())))?;
        }
        Marker::Triangle => {
            chart.draw_series(pts.iter().map(|p| TriangleMarker::new(*p, 5, c.filled())))?;
        }
        Marker::Square => {
            chart
                .draw_series(pts.iter().map(|p| {
                    EmptyElement::at(*p) + Rectangle::new([(-4, -4), (4, 4)], c.filled())
                }))?;
        }
        Marker::Cross => {
            chart.draw_series(pts.iter().map(|p| Cross::new(*p, 4, c.stroke_width(2))))?;
        }
    }
    Ok(())
}

/// Light grid lines at 2..9 × each decade of a log axis (plotters' own light lines would be
/// evenly spaced in log space, which reads wrong). `vertical`: the log axis is x.
fn log_minor_grid(chart: &mut Chart, axis: &Axis, other: (f64, f64), vertical: bool) -> Result<()> {
    if !axis.log {
        return Ok(());
    }
    let grey = RGBColor(232, 232, 232);
    let mut lines = Vec::new();
    let mut d = axis.lo;
    while d < axis.hi {
        for m in 2..=9 {
            let v = d + (m as f64).log10();
            lines.push(if vertical {
                vec![(v, other.0), (v, other.1)]
            } else {
                vec![(other.0, v), (other.1, v)]
            });
        }
        d += 1.0;
    }
    chart.draw_series(lines.into_iter().map(|l| PathElement::new(l, grey)))?;
    Ok(())
}

/// Formats a number compactly: 950, 1.2k, 3.4M, 0.25.
pub fn si(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e12 {
        (v / 1e12, "T")
    } else if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = if scaled == scaled.round() || scaled.abs() >= 100.0 {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{suffix}")
}

/// The decade at or below `min`, one lower if `min` sits at its very bottom (so that a bar
/// of exactly 10^k still shows).
fn log_floor(min: f64) -> f64 {
    let l = min.log10();
    if l - l.floor() < 0.1 {
        l.floor() - 1.0
    } else {
        l.floor()
    }
}

/// A value axis: linear from zero, or log10 over whole decades.
#[derive(Clone, Debug)]
struct Axis {
    desc: String,
    log: bool,
    /// Plot-space bounds (log10 of the values on a log axis).
    lo: f64,
    hi: f64,
}

impl Axis {
    /// Fits the positive values: log when they span more than ~1.5 decades.
    fn fit(desc: &str, values: impl IntoIterator<Item = f64>) -> Axis {
        let v: Vec<f64> = values
            .into_iter()
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(0.0, f64::max);
        if v.is_empty() {
            return Axis {
                desc: desc.into(),
                log: false,
                lo: 0.0,
                hi: 1.0,
            };
        }
        if max / min > 30.0 {
            Axis {
                desc: format!("{desc}, log scale"),
                log: true,
                lo: log_floor(min),
                hi: max.log10().ceil().max(log_floor(min) + 1.0),
            }
        } else {
            Axis {
                desc: desc.into(),
                log: false,
                lo: 0.0,
                hi: max * 1.12,
            }
        }
    }

    /// A value in plot space (values at or below the bottom of a log axis sit on it).
    fn map(&self, v: f64) -> f64 {
        if self.log {
            if v > 0.0 {
                v.log10().max(self.lo)
            } else {
                self.lo
            }
        } else {
            v
        }
    }

    fn ticks(&self) -> usize {
        if self.log {
            (self.hi - self.lo) as usize + 1
        } else {
            8
        }
    }

    fn label(&self, v: f64) -> String {
        if self.log {
            if (v - v.round()).abs() < 1e-6 {
                si(10f64.powf(v.round()))
            } else {
                String::new()
            }
        } else {
            si(v)
        }
    }
}

/// The label of category index `v`, or nothing between categories.
fn category_label(names: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    names.get(i as usize).cloned().unwrap_or_default()
}

/// What a legend's symbols look like.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Legend {
    Bars,
    Lines,
    LinesWithMarkers,
}

/// Series with more points than this are drawn without markers.
const MAX_MARKED_POINTS: usize = 40;

/// Draws a legend column: a symbol and a name per entry.
fn draw_legend(area: &Area, title: &str, entries: &[(String, Style)], kind: Legend) -> Result<()> {
    let font = (FONT, LABEL).into_font();
    area.draw(&Text::new(
        title.to_string(),
        (8, 40),
        font.clone().style(FontStyle::Bold),
    ))?;
    for (i, (name, s)) in entries.iter().enumerate() {
        let y = 68 + 24 * i as i32;
        if kind == Legend::Bars {
            area.draw(&Rectangle::new(
                [(10, y - 6), (30, y + 6)],
                s.color.filled(),
            ))?;
        } else {
            area.draw(&PathElement::new(
                vec![(8, y), (34, y)],
                s.color.stroke_width(2),
            ))?;
            if kind == Legend::LinesWithMarkers {
                legend_marker(area, (21, y), *s)?;
            }
        }
        area.draw(&Text::new(name.clone(), (40, y - 8), font.clone()))?;
    }
    Ok(())
}

/// plotters' light grid: on for linear value axes, off for log ones (see [`log_minor_grid`]).
fn light(axis: &Axis) -> ShapeStyle {
    if axis.log {
        TRANSPARENT.into()
    } else {
        RGBColor(235, 235, 235).into()
    }
}

/// A tick label without SI suffixes below 100 000 (times, counts on a linear axis).
fn plain(v: f64) -> String {
    if v.abs() < 1e5 && v == v.round() {
        format!("{}", v as i64)
    } else {
        si(v)
    }
}

/// A line's name, style and (x, y) points (y in data units, not yet on the axis).
type LineSeriesData = (String, Style, Vec<(f64, f64)>);

/// One line chart panel with integer x (e.g. threads) or real x (time).
struct Lines<'a> {
    title: &'a str,
    x_desc: &'a str,
    /// Label only integer ticks on x (thread counts).
    x_integer: bool,
    y: &'a Axis,
    series: &'a [LineSeriesData],
}

fn draw_lines(area: &Area, p: &Lines) -> Result<()> {
    let xs: Vec<f64> = p
        .series
        .iter()
        .flat_map(|s| s.2.iter().map(|q| q.0))
        .collect();
    let xmin = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let xmax = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (x0, x1, xticks) = if !xmin.is_finite() {
        (0.0, 1.0, 2)
    } else if p.x_integer {
        let pad = ((xmax - xmin) * 0.06).max(0.25);
        (xmin - pad, xmax + pad, ((xmax - xmin) as usize + 1).min(16))
    } else {
        (xmin.min(0.0), xmax.max(xmin + 1.0), 10)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(p.title, (FONT, TITLE))
        .margin(12)
        .margin_right(24)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, p.y.lo..p.y.hi)?;
    let x_int = p.x_integer;
    chart
        .configure_mesh()
        .x_desc(p.x_desc)
        .y_desc(p.y.desc.as_str())
        .axis_desc_style((FONT, LABEL))
        .label_style((FONT, TICK))
        .x_labels(xticks)
        .y_labels(p.y.ticks())
        .x_label_formatter(&|v| {
            if x_int {
                if (v - v.round()).abs() < 1e-6 {
                    format!("{}", v.round() as i64)
                } else {
                    String::new()
                }
            } else {
                plain(*v)
            }
        })
        .y_label_formatter(&|v| p.y.label(*v))
        .light_line_style(light(p.y))
        .draw()?;
    log_minor_grid(&mut chart, p.y, (x0, x1), false)?;
    for (_, s, pts) in p.series {
        let pts: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x, p.y.map(y))).collect();
        chart.draw_series(LineSeries::new(pts.clone(), s.color.stroke_width(2)))?;
        if pts.len() <= MAX_MARKED_POINTS {
            data_markers(&mut chart, &pts, *s)?;
        }
    }
    Ok(())
}

/// One grouped-bar panel: for each category a bar per series.
struct Bars<'a> {
    title: &'a str,
    categories: &'a [String],
    cat_desc: &'a str,
    series: &'a [(String, Style)],
    /// [series][category].
    values: &'a [Vec<Option<f64>>],
    axis: &'a Axis,
    /// Categories down the y axis (for long names), bars growing right.
    horizontal: bool,
    show_categories: bool,
}

fn draw_bars(area: &Area, p: &Bars) -> Result<()> {
    let n = p.categories.len() as f64;
    let cat_range = -0.5..(n - 0.5);
    let val_range = p.axis.lo..p.axis.hi;
    let cat_of = |i: usize| {
        if p.horizontal {
            n - 1.0 - i as f64
        } else {
            i as f64
        }
    };
    let shown: Vec<String> = if p.horizontal {
        p.categories.iter().rev().cloned().collect()
    } else {
        p.categories.to_vec()
    };
    let cat_label_area = if !p.show_categories {
        8
    } else if p.horizontal {
        (p.categories.iter().map(|c| c.len()).max().unwrap_or(4) as u32 * 8 + 20).max(60)
    } else {
        44
    };
    let mut b = ChartBuilder::on(area);
    b.caption(p.title, (FONT, TITLE))
        .margin(12)
        .margin_right(20);
    if p.horizontal {
        b.x_label_area_size(48).y_label_area_size(cat_label_area);
    } else {
        b.x_label_area_size(cat_label_area).y_label_area_size(72);
    }
    let (xr, yr) = if p.horizontal {
        (val_range, cat_range)
    } else {
        (cat_range, val_range)
    };
    let mut chart = b.build_cartesian_2d(xr, yr)?;
    let show = p.show_categories;
    let cat_fmt = |v: &f64| {
        if show {
            category_label(&shown, *v)
        } else {
            String::new()
        }
    };
    let val_fmt = |v: &f64| p.axis.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.axis_desc_style((FONT, LABEL))
        .label_style((FONT, TICK))
        .light_line_style(light(p.axis));
    let ncat = p.categories.len().max(1);
    let cat_desc = if p.show_categories { p.cat_desc } else { "" };
    if p.horizontal {
        mesh.x_desc(p.axis.desc.as_str())
            .y_desc(cat_desc)
            .x_labels(p.axis.ticks())
            .y_labels(ncat)
            .x_label_formatter(&val_fmt)
            .y_label_formatter(&cat_fmt)
            .disable_y_mesh();
    } else {
        mesh.y_desc(p.axis.desc.as_str())
            .x_desc(cat_desc)
            .y_labels(p.axis.ticks())
            .x_labels(ncat)
            .y_label_formatter(&val_fmt)
            .x_label_formatter(&cat_fmt)
            .disable_x_mesh();
    }
    mesh.draw()?;
    log_minor_grid(&mut chart, p.axis, (-0.5, n - 0.5), p.horizontal)?;
    let k = p.series.len().max(1) as f64;
    let slot = 0.8 / k;
    for (si_, (_, s)) in p.series.iter().enumerate() {
        let rects: Vec<Rectangle<(f64, f64)>> = p.values[si_]
            .iter()
            .enumerate()
            .filter_map(|(ci, v)| {
                let v = (*v)?;
                let c = cat_of(ci);
                let (a, bnd) = if p.horizontal {
                    // The first series on top.
                    let top = c + 0.4 - slot * si_ as f64;
                    (top - slot * 0.92, top)
                } else {
                    let left = c - 0.4 + slot * si_ as f64;
                    (left, left + slot * 0.92)
                };
                let (v0, v1) = (p.axis.lo, p.axis.map(v));
                Some(if p.horizontal {
                    Rectangle::new([(v0, a), (v1, bnd)], s.color.filled())
                } else {
                    Rectangle::new([(a, v0), (bnd, v1)], s.color.filled())
                })
            })
            .collect();
        chart.draw_series(rects)?;
    }
    Ok(())
}

/// A figure: plot panels left, the legend column right.
fn figure<'a>(path: &'a Path, w: u32, h: u32) -> Result<(Area<'a>, Area<'a>)> {
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE)?;
    let (plots, legend) = root.split_horizontally(w - LEGEND_W);
    Ok((plots, legend))
}

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

/// Makes an axis logarithmic whatever the spread (the brief asks for log y on the ladder).
fn force_log(axis: &mut Axis, desc: &str, values: impl IntoIterator<Item = f64>) {
    if axis.log {
        return;
    }
    let v: Vec<f64> = values.into_iter().filter(|v| *v > 0.0).collect();
    if v.is_empty() {
        return;
    }
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(0.0, f64::max);
    *axis = Axis {
        desc: format!("{desc}, log scale"),
        log: true,
        lo: log_floor(min),
        hi: max.log10().ceil().max(log_floor(min) + 1.0),
    };
}

fn kind_series(g: &Grid) -> Vec<(String, Style)> {
    g.kinds
        .iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), style(k, i)))
        .collect()
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
    let h = (140 + g.workloads.len() as u32 * (10 + 14 * g.kinds.len() as u32)).max(420);
    let (plots, legend) = figure(&path, 900, h)?;
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
        &Bars {
            title: "Engine throughput per workload",
            categories: &g.workloads,
            cat_desc: "workload",
            series: &series,
            values: &values,
            axis: &axis,
            horizontal: true,
            show_categories: true,
        },
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
    let h = (140 + g.workloads.len() as u32 * (10 + 14 * g.kinds.len() as u32)).max(420);
    let (plots, legend) = figure(&path, 1320, h)?;
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
            &Bars {
                title: &title,
                categories: &g.workloads,
                cat_desc: "workload",
                series: &series,
                values: &values,
                axis: &axis,
                horizontal: true,
                show_categories: i == 0,
            },
        )?;
    }
    draw_legend(&legend, "memtable", &series, Legend::Bars)?;
    plots.present()?;
    Ok(true)
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
pub fn stalled_reader(dir: &Path, cells: &[&super::data::Cell]) -> Result<bool> {
    let mut with: Vec<(&super::data::Cell, &super::data::Series)> = cells
        .iter()
        .filter_map(|c| Some((*c, c.side.as_ref()?.series.as_ref()?)))
        .filter(|(_, s)| !s.points.is_empty())
        .collect();
    if with.is_empty() {
        return Ok(false);
    }
    with.sort_by_key(|(c, _)| {
        (
            model::MAP_ORDER
                .iter()
                .position(|m| *m == c.function)
                .unwrap_or(usize::MAX),
            c.function.clone(),
            c.parameter.clone(),
        )
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_formats() {
        assert_eq!(si(950.0), "950");
        assert_eq!(si(1200.0), "1.2k");
        assert_eq!(si(3_450_000.0), "3.45M");
        assert_eq!(si(1e6), "1M");
        assert_eq!(si(0.25), "0.25");
        assert_eq!(si(12_500.0), "12.5k");
    }

    #[test]
    fn axis_goes_log_over_decades() {
        let a = Axis::fit("x", [1.0, 5.0]);
        assert!(!a.log);
        let a = Axis::fit("x", [200.0, 4_000_000.0]);
        assert!(a.log);
        assert_eq!((a.lo, a.hi), (2.0, 7.0));
        // A minimum at a decade's bottom gets the decade below, so its bar shows.
        assert_eq!(Axis::fit("x", [1000.0, 1e6]).lo, 2.0);
        assert_eq!(a.ticks(), 6);
        assert_eq!(a.label(3.0), "1k");
        assert_eq!(a.label(3.5), "");
    }
}
