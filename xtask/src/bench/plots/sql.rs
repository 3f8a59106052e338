//! `sql-vs-sqlite.svg`: Ferrolite's SQL layer beside SQLite, a panel per workload (rows/s,
//! each panel its own linear axis), a bar per target — Ferrolite and SQLite for each matched
//! sync pair — with min–max whiskers over the samples.

use super::engine::{panel_figure, PanelFigure};
use super::throughput::WHISKER_NOTE;
use crate::bench::model::Grid;
use anyhow::Result;
use std::path::Path;

/// Draw the figure if the `sql` group has any cell; whether it was written.
pub fn sql_vs_sqlite(dir: &Path, g: &Grid) -> Result<bool> {
    panel_figure(
        dir,
        g,
        &PanelFigure {
            file: "sql-vs-sqlite.svg",
            title: "SQL layer vs SQLite: rows/s per workload (each panel its own linear scale)",
            ncols: 3,
            min_row_h: 200,
            desc: "rows/s",
            legend: "target",
            notes: vec![
                "normal: SQLite synchronous=NORMAL (WAL) vs SyncPolicy::None.".to_string(),
                "off: SQLite synchronous=OFF vs SyncPolicy::Buffered (10 ms).".to_string(),
                "insert-Nw: N writers, 1,000 rows per transaction.".to_string(),
                WHISKER_NOTE.to_string(),
            ],
        },
    )
}
