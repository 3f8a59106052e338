//! The SVG figures, drawn with plotters' SVG backend.
//!
//! Throughput and latency are drawn on linear axes from zero: the figures compare
//! implementations whose differences are tens of percent, which a log axis flattens. Where
//! quantities of very different sizes share a figure (engine workloads, the stage ladder's
//! workloads) each gets its own small panel with its own linear axis (`facets`). Counts that
//! span decades (unreclaimed nodes) keep a log axis, drawn as a linear axis over log10 of the
//! values with one labelled tick per decade. Repeated runs' spread is drawn as min–max
//! whiskers; a panel over thread counts marks the machine's cores and shades the
//! oversubscribed thread counts; a series that was not measured is left out and named as
//! such in the legend, never drawn as zero. Legends sit in their own column right of the
//! plots, so they never cover data.
//!
//! The pieces, lowest first: `canvas` (the drawing-area types and a figure's split into plots
//! and legend column), `style` (fonts, palette, markers, dash patterns), `axis` (linear and
//! log axes, tick labels, minor grid), `panels` (the two panel kinds — lines and bars — with
//! whiskers and the cores mark), `facets` (a grid of small panels), `legend` (the legend
//! column and its notes), then one file per family of figures: `throughput` (the structures'
//! figures and the stage ladder), `engine` (engine throughput and latency), `reclamation`
//! (unreclaimed nodes, the stalled reader), `sql` (the SQL layer beside SQLite) and `load`
//! (the server under load, drawn by `cargo xtask load`).

mod axis;
mod canvas;
mod engine;
mod facets;
mod legend;
mod load;
mod panels;
mod reclamation;
mod sql;
mod style;
mod throughput;

pub use axis::si;
pub use engine::{engine_latency, engine_throughput, PERCENTILES};
#[cfg(test)]
pub use load::Measure;
pub use load::{load_figure, load_svg};
pub use reclamation::{stalled_reader, unreclaimed};
pub use sql::sql_vs_sqlite;
pub use throughput::{stages, structures};

#[cfg(test)]
mod tests;
