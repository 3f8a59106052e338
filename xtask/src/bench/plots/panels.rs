//! The two panel kinds every figure is made of: [`Lines`] (x numeric: threads or time) and
//! [`Bars`] (grouped bars over categories, vertical or horizontal; also the small facets of
//! a grid).
//!
//! Both draw the spread of repeated runs as whiskers (min–max) when they have it, and a line
//! panel over thread counts marks the machine's cores: a dashed line at `cores`, the region
//! beyond it shaded and labelled "oversubscribed" (more threads than cores).

use super::axis::{category_label, light, log_minor_grid, plain, Axis};
use super::canvas::{Area, Chart};
use super::style::{data_markers, Style, FONT, GUIDE, LABEL, SHADE, TICK, TITLE};
use anyhow::Result;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Series with more points than this are drawn without markers.
pub(super) const MAX_MARKED_POINTS: usize = 40;

/// One line: its name, style, `(x, y)` points and whiskers `(x, low, high)`, in data units
/// (not yet on the axis).
#[derive(Clone, Debug)]
pub(super) struct LineData {
    pub(super) name: String,
    pub(super) style: Style,
    pub(super) points: Vec<(f64, f64)>,
    pub(super) whiskers: Vec<(f64, f64, f64)>,
}

/// One line chart panel with integer x (e.g. threads) or real x (time).
pub(super) struct Lines<'a> {
    pub(super) title: &'a str,
    pub(super) x_desc: &'a str,
    /// Label only integer ticks on x (thread counts).
    pub(super) x_integer: bool,
    pub(super) y: &'a Axis,
    pub(super) series: &'a [LineData],
    /// The machine's logical cores, on an x axis of threads: marked, and the x beyond it
    /// shaded as oversubscribed.
    pub(super) cores: Option<u32>,
}

/// Small horizontal offsets (in x units) that keep the whiskers and markers of series that
/// share an x apart: `n` series spread over `width`, centred on the x.
fn dodge(i: usize, n: usize, width: f64) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    (i as f64 - (n - 1) as f64 / 2.0) * width / n as f64
}

/// A whisker from `lo` to `hi` (plot space) at `at` along the other axis, with end caps of
/// ±3 pixels; `vertical`: the values run up the y axis.
fn whisker(
    chart: &mut Chart,
    at: f64,
    lo: f64,
    hi: f64,
    vertical: bool,
    color: RGBColor,
) -> Result<()> {
    let p = |v: f64| if vertical { (at, v) } else { (v, at) };
    let cap = |v: f64| {
        let (a, b) = if vertical {
            ((-3, 0), (3, 0))
        } else {
            ((0, -3), (0, 3))
        };
        EmptyElement::at(p(v)) + PathElement::new(vec![a, b], color.stroke_width(1))
    };
    chart.draw_series([PathElement::new(vec![p(lo), p(hi)], color.stroke_width(1))])?;
    chart.draw_series([cap(lo), cap(hi)])?;
    Ok(())
}

/// The shade of the oversubscribed region of a thread axis `x0..x1` over `y`: beyond
/// `cores`, when some x lies there (drawn before the grid, which stays visible over it).
fn cores_shade(chart: &mut Chart, cores: u32, x: (f64, f64), xmax: f64, y: &Axis) -> Result<()> {
    let c = cores as f64;
    if c >= x.0 && c <= x.1 && xmax > c {
        chart.draw_series([Rectangle::new([(c, y.lo), (x.1, y.hi)], SHADE.filled())])?;
    }
    Ok(())
}

/// The cores mark of a thread axis `x0..x1` over `y`: the shaded region labelled (when some
/// x lies beyond `cores`), a dashed line at `cores` labelled "cores = N".
fn cores_mark(chart: &mut Chart, cores: u32, x: (f64, f64), xmax: f64, y: &Axis) -> Result<()> {
    let c = cores as f64;
    if c < x.0 || c > x.1 {
        return Ok(());
    }
    let small = (FONT, TICK).into_font().color(&GUIDE);
    if xmax > c {
        chart.draw_series([EmptyElement::at((x.1, y.hi))
            + Text::new(
                format!("oversubscribed: threads > {cores} cores"),
                (-6, 6),
                small.clone().pos(Pos::new(HPos::Right, VPos::Top)),
            )])?;
    }
    chart.draw_series([DashedPathElement::new(
        vec![(c, y.lo), (c, y.hi)],
        6,
        4,
        GUIDE.stroke_width(1),
    )])?;
    chart.draw_series([EmptyElement::at((c, y.hi))
        + Text::new(
            format!("cores = {cores}"),
            (-5, 6),
            small.pos(Pos::new(HPos::Right, VPos::Top)),
        )])?;
    Ok(())
}

pub(super) fn draw_lines(area: &Area, p: &Lines) -> Result<()> {
    let xs: Vec<f64> = p
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|q| q.0))
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
    let cores = p.cores.filter(|_| p.x_integer && xmin.is_finite());
    if let Some(c) = cores {
        cores_shade(&mut chart, c, (x0, x1), xmax, p.y)?;
    }
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
    if let Some(c) = cores {
        cores_mark(&mut chart, c, (x0, x1), xmax, p.y)?;
    }
    log_minor_grid(&mut chart, p.y, (x0, x1), false)?;
    let n = p.series.len();
    let spread = if p.x_integer { (x1 - x0) * 0.03 } else { 0.0 };
    for (i, s) in p.series.iter().enumerate() {
        let dx = dodge(i, n, spread);
        for &(x, lo, hi) in &s.whiskers {
            whisker(
                &mut chart,
                x + dx,
                p.y.map(lo),
                p.y.map(hi),
                true,
                s.style.color,
            )?;
        }
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|&(x, y)| (x + dx, p.y.map(y)))
            .collect();
        let stroke = s.style.color.stroke_width(2);
        match s.style.dash.pattern() {
            None => {
                chart.draw_series(LineSeries::new(pts.clone(), stroke))?;
            }
            Some((dash, gap)) => {
                chart.draw_series(DashedLineSeries::new(pts.clone(), dash, gap, stroke))?;
            }
        }
        if pts.len() <= MAX_MARKED_POINTS {
            data_markers(&mut chart, &pts, s.style)?;
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
    /// Whiskers (low, high) `[series][category]`, or empty for none.
    pub(super) errors: &'a [Vec<Option<(f64, f64)>>],
    pub(super) axis: &'a Axis,
    /// Categories down the y axis (for long names), bars growing right.
    pub(super) horizontal: bool,
    pub(super) show_categories: bool,
    /// Write each bar's value (compact SI) beyond its end (or its whisker's).
    pub(super) value_labels: bool,
    /// A small facet of a grid: smaller title, margins and fewer ticks.
    pub(super) compact: bool,
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
    } else if p.compact {
        24
    } else {
        44
    };
    let (title_size, val_area, margin) = if p.compact {
        (LABEL, 30, 4)
    } else {
        (TITLE, 72, 12)
    };
    let mut b = ChartBuilder::on(area);
    if !p.title.is_empty() {
        b.caption(p.title, (FONT, title_size));
    }
    b.margin(margin)
        .margin_right(if p.compact { 10 } else { 20 });
    if p.horizontal {
        b.x_label_area_size(if p.compact { 22 } else { 48 })
            .y_label_area_size(cat_label_area);
    } else {
        b.x_label_area_size(cat_label_area)
            .y_label_area_size(val_area);
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
    let ticks = if p.compact { 4 } else { p.axis.ticks() };
    let mut mesh = chart.configure_mesh();
    mesh.axis_desc_style((FONT, LABEL))
        .label_style((FONT, if p.compact { TICK - 2 } else { TICK }))
        .light_line_style(light(p.axis));
    let ncat = p.categories.len().max(1);
    let cat_desc = if p.show_categories { p.cat_desc } else { "" };
    let val_desc = if p.compact { "" } else { p.axis.desc.as_str() };
    if p.horizontal {
        mesh.x_desc(val_desc)
            .y_desc(cat_desc)
            .x_labels(ticks)
            .y_labels(ncat)
            .x_label_formatter(&val_fmt)
            .y_label_formatter(&cat_fmt)
            .disable_y_mesh();
    } else {
        mesh.y_desc(val_desc)
            .x_desc(cat_desc)
            .y_labels(ticks)
            .x_labels(ncat)
            .y_label_formatter(&val_fmt)
            .x_label_formatter(&cat_fmt)
            .disable_x_mesh();
    }
    mesh.draw()?;
    log_minor_grid(&mut chart, p.axis, (-0.5, n - 0.5), p.horizontal)?;
    let k = p.series.len().max(1) as f64;
    let slot = 0.8 / k;
    let label_font = (FONT, if p.compact { TICK - 2 } else { TICK - 1 }).into_font();
    for (si_, (_, s)) in p.series.iter().enumerate() {
        for (ci, v) in p.values[si_].iter().enumerate() {
            let Some(v) = *v else { continue };
            let c = cat_of(ci);
            // The bar's extent across the category axis, and its centre.
            let (a, bnd) = if p.horizontal {
                // The first series on top.
                let top = c + 0.4 - slot * si_ as f64;
                (top - slot * 0.92, top)
            } else {
                let left = c - 0.4 + slot * si_ as f64;
                (left, left + slot * 0.92)
            };
            let mid = (a + bnd) / 2.0;
            let (v0, v1) = (p.axis.lo, p.axis.map(v));
            let rect = if p.horizontal {
                Rectangle::new([(v0, a), (v1, bnd)], s.color.filled())
            } else {
                Rectangle::new([(a, v0), (bnd, v1)], s.color.filled())
            };
            chart.draw_series([rect])?;
            let err = p.errors.get(si_).and_then(|e| e.get(ci).copied().flatten());
            let mut end = v1;
            if let Some((lo, hi)) = err {
                let (lo, hi) = (p.axis.map(lo), p.axis.map(hi));
                whisker(&mut chart, mid, lo, hi, !p.horizontal, GUIDE)?;
                end = end.max(hi);
            }
            if p.value_labels {
                let text = super::axis::si(v);
                let label = if p.horizontal {
                    EmptyElement::at((end, mid))
                        + Text::new(
                            text,
                            (4, 0),
                            label_font
                                .clone()
                                .color(&BLACK)
                                .pos(Pos::new(HPos::Left, VPos::Center)),
                        )
                } else {
                    EmptyElement::at((mid, end))
                        + Text::new(
                            text,
                            (0, -3),
                            label_font
                                .clone()
                                .color(&BLACK)
                                .pos(Pos::new(HPos::Center, VPos::Bottom)),
                        )
                };
                chart.draw_series([label])?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dodging_centres_the_series_on_their_x() {
        assert_eq!(dodge(0, 1, 1.0), 0.0);
        let d: Vec<f64> = (0..3).map(|i| dodge(i, 3, 0.3)).collect();
        assert!((d[0] + 0.1).abs() < 1e-12 && d[1] == 0.0 && (d[2] - 0.1).abs() < 1e-12);
    }
}
