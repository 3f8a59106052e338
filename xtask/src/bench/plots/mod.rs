//! The SVG figures, drawn with plotters' SVG backend.
//!
//! Log axes are drawn as linear axes over log10 of the values, with one labelled tick per
//! decade: that keeps the ticks on round numbers whatever the data. Categorical axes are
//! linear axes with one tick per category index, labelled with the category's name. Legends
//! sit in their own column right of the plots, so they never cover data.

//!
//! The pieces, lowest first: `canvas` (the drawing-area types and a figure's split into plots
//! and legend column), `style` (fonts, palette, markers), `axis` (linear and log axes, tick
//! labels, minor grid), `panels` (the two panel kinds — lines and bars — and the legend
//! column), then one file per family of figures: `throughput` (the structures' figures and the
//! stage ladder), `engine` (engine throughput and latency) and `reclamation` (unreclaimed
//! nodes, the stalled reader).

mod axis;
mod canvas;
mod engine;
mod panels;
mod reclamation;
mod style;
mod throughput;

pub use axis::si;
pub use engine::{engine_latency, engine_throughput, PERCENTILES};
pub use reclamation::{stalled_reader, unreclaimed};
pub use throughput::{stages, structures};
