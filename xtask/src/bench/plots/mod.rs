//! The SVG figures, drawn with plotters' SVG backend.
//!
//! Log axes are drawn as linear axes over log10 of the values, with one labelled tick per
//! decade: that keeps the ticks on round numbers whatever the data. Categorical axes are
//! linear axes with one tick per category index, labelled with the category's name. Legends
//! sit in their own column right of the plots, so they never cover data.

//!
//! The pieces: `style` (fonts, palette, markers), `axis` (linear and log axes, tick labels,
//! minor grid), `panels` (the two panel kinds — lines and bars — and the legend column), then
//! one file per family of figures: `throughput` (the structures' figures and the stage ladder),
//! `engine` (engine throughput and latency) and `reclamation` (unreclaimed nodes, the stalled
//! reader).

mod axis;
mod engine;
mod panels;
mod reclamation;
mod style;
mod throughput;

pub use axis::si;
pub use engine::{engine_latency, engine_throughput, PERCENTILES};
pub use reclamation::{stalled_reader, unreclaimed};
pub use throughput::{stages, structures};

use anyhow::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use style::LEGEND_W;

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
