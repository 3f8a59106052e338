//! How series look: fonts and sizes, a fixed colour per well-known name (so a map keeps its
//! colour across figures), marker shapes and dash patterns, and drawing a marker in a legend
//! or at data points.

use super::canvas::{Area, Chart};
use anyhow::Result;
use plotters::prelude::*;

pub(super) const FONT: &str = "sans-serif";
pub(super) const TITLE: u32 = 20;
pub(super) const LABEL: u32 = 15;
pub(super) const TICK: u32 = 13;

/// Okabe–Ito colours (colour-blind safe), without the yellow that vanishes on white.
pub(super) const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// A fixed colour for the names that recur across figures, so a map keeps its colour.
pub(super) fn color_of(name: &str, index: usize) -> RGBColor {
    match name {
        "mutex" => RGBColor(0, 0, 0),
        "epoch" | "ferrolite" => PALETTE[0],
        "hazard" => PALETTE[1],
        "crossbeam" => PALETTE[2],
        "noreclaim" => RGBColor(140, 140, 140),
        "btree" => PALETTE[3],
        "fjall" => PALETTE[4],
        "seize" => PALETTE[5],
        // Outside the palette: scc's B+ tree is a reference row of the structure figures only.
        "scc-treeindex" => RGBColor(140, 86, 75),
        _ => PALETTE[index % PALETTE.len()],
    }
}

/// Marker shapes, so lines stay apart in grey print too.
#[derive(Clone, Copy, Debug)]
pub(super) enum Marker {
    Circle,
    Triangle,
    Square,
    Cross,
}

pub(super) const MARKERS: [Marker; 4] = [
    Marker::Circle,
    Marker::Triangle,
    Marker::Square,
    Marker::Cross,
];

/// How a line is stroked: a second way, besides colour and marker, to tell series apart
/// (the stalled reader's thread counts share their scheme's colour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dash {
    Solid,
    Dashed,
    Dotted,
}

/// Dash patterns in order of use.
pub(super) const DASHES: [Dash; 3] = [Dash::Solid, Dash::Dashed, Dash::Dotted];

impl Dash {
    /// (dash, gap) in pixels; `None` for a solid line.
    pub(super) fn pattern(self) -> Option<(u32, u32)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((9, 5)),
            Dash::Dotted => Some((2, 4)),
        }
    }
}

/// How one series is drawn.
#[derive(Clone, Copy, Debug)]
pub(super) struct Style {
    pub(super) color: RGBColor,
    pub(super) marker: Marker,
    pub(super) dash: Dash,
}

pub(super) fn style(name: &str, index: usize) -> Style {
    Style {
        color: color_of(name, index),
        marker: MARKERS[index % MARKERS.len()],
        dash: Dash::Solid,
    }
}

/// The style of a map's series: its colour, and the marker of its place in the registry, so
/// that a map looks the same in every figure whichever maps are left out; `index` for names
/// outside the registry.
pub(super) fn map_style(name: &str, index: usize) -> Style {
    let rank = crate::bench::model::map_rank(name);
    let known = rank < crate::bench::model::MAP_ORDER.len();
    style(name, if known { rank } else { index })
}

/// Light grey for what is not data: the oversubscribed region, reference lines.
pub(super) const GUIDE: RGBColor = RGBColor(110, 110, 110);

/// The shade of the oversubscribed region (thread counts above the machine's cores).
pub(super) const SHADE: RGBColor = RGBColor(243, 240, 234);

/// A marker in the legend, at pixel `at` of the legend's area.
pub(super) fn legend_marker(area: &Area, at: (i32, i32), s: Style) -> Result<()> {
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

/// Markers at data points of a chart.
pub(super) fn data_markers(chart: &mut Chart, pts: &[(f64, f64)], s: Style) -> Result<()> {
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
