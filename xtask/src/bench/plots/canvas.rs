//! The surfaces figures are drawn on: [`Area`] (a part of an SVG drawing) and [`Chart`] (a
//! panel's cartesian chart), and [`figure`], a new SVG split into the plot panels left and the
//! legend column ([`LEGEND_W`] pixels) right, so legends never cover data.

use anyhow::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The width of the legend column, in pixels.
pub(super) const LEGEND_W: u32 = 190;

pub(super) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

pub(super) type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A figure: plot panels left, the legend column right.
pub(super) fn figure<'a>(path: &'a Path, w: u32, h: u32) -> Result<(Area<'a>, Area<'a>)> {
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE)?;
    let (plots, legend) = root.split_horizontally(w - LEGEND_W);
    Ok((plots, legend))
}
