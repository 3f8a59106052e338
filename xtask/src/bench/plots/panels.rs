//! The two panel kinds every figure is made of — [`Lines`] (x numeric: threads or time) and
//! [`Bars`] (grouped bars over categories, vertical or horizontal) — and the legend column
//! beside them.

use super::axis::{category_label, light, log_minor_grid, plain, Axis};
use super::canvas::Area;
use super::style::{data_markers, legend_marker, Style, FONT, LABEL, TICK, TITLE};
use anyhow::Result;
use plotters::prelude::*;

/// What a legend's symbols look like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Legend {
    Bars,
    Lines,
    LinesWithMarkers,
}

/// Series with more points than this are drawn without markers.
pub(super) const MAX_MARKED_POINTS: usize = 40;

/// Draws a legend column: a symbol and a name per entry.
pub(super) fn draw_legend(
    area: &Area,
    title: &str,
    entries: &[(String, Style)],
    kind: Legend,
) -> Result<()> {
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

/// A line's name, style and (x, y) points (y in data units, not yet on the axis).
pub(super) type LineSeriesData = (String, Style, Vec<(f64, f64)>);

/// One line chart panel with integer x (e.g. threads) or real x (time).
pub(super) struct Lines<'a> {
    pub(super) title: &'a str,
    pub(super) x_desc: &'a str,
    /// Label only integer ticks on x (thread counts).
    pub(super) x_integer: bool,
    pub(super) y: &'a Axis,
    pub(super) series: &'a [LineSeriesData],
}

pub(super) fn draw_lines(area: &Area, p: &Lines) -> Result<()> {
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
pub(super) struct Bars<'a> {
    pub(super) title: &'a str,
    pub(super) categories: &'a [String],
    pub(super) cat_desc: &'a str,
    pub(super) series: &'a [(String, Style)],
    /// `[series][category]`.
    pub(super) values: &'a [Vec<Option<f64>>],
    pub(super) axis: &'a Axis,
    /// Categories down the y axis (for long names), bars growing right.
    pub(super) horizontal: bool,
    pub(super) show_categories: bool,
}

pub(super) fn draw_bars(area: &Area, p: &Bars) -> Result<()> {
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
