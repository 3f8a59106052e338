//! `sql-vs-sqlite.svg`: Ferrolite's SQL layer beside SQLite, a panel per workload (rows/s,
//! each panel its own linear axis), a bar per target — Ferrolite and SQLite for each matched
//! sync pair — with min–max whiskers over the samples.

use super::canvas::figure;
use super::engine::{draw_facet, kind_series, Facet};
use super::facets::{self, grid};
use super::legend::{draw_legend, Legend};
use super::throughput::WHISKER_NOTE;
use crate::bench::model::Grid;
use anyhow::Result;
use std::path::Path;

/// Draw the figure if the `sql` group has any cell; whether it was written.
pub fn sql_vs_sqlite(dir: &Path, g: &Grid) -> Result<bool> {
    if g.workloads
        .iter()
        .all(|w| g.kinds.iter().all(|k| g.ops(k, w).is_none()))
    {
        return Ok(false);
    }
    let series = kind_series(g);
    let ncols = 3;
    let nrows = g.workloads.len().div_ceil(ncols);
    let row_h = (48 + 16 * series.len() as u32).max(200);
    let path = dir.join("sql-vs-sqlite.svg");
    let (plots, legend) = figure(&path, 1100, facets::height(nrows, row_h, false))?;
    let panels = grid(
        &plots,
        &facets::Grid {
            title: "SQL layer vs SQLite: rows/s per workload (each panel its own linear scale)",
            rows: &[],
            cols: &[],
            ncols,
            row_label_w: 0,
        },
        g.workloads.len(),
    )?;
    for (area, w) in panels.iter().zip(&g.workloads) {
        draw_facet(
            area,
            &Facet {
                title: w,
                series: &series,
                values: g.kinds.iter().map(|k| vec![g.ops(k, w)]).collect(),
                errors: g.kinds.iter().map(|k| vec![g.ops_spread(k, w)]).collect(),
                desc: "rows/s",
            },
        )?;
    }
    let notes = vec![
        "normal: SQLite synchronous=NORMAL (WAL) vs SyncPolicy::None.".to_string(),
        "off: SQLite synchronous=OFF vs SyncPolicy::Buffered (10 ms).".to_string(),
        "insert-Nw: N writers, 1,000 rows per transaction.".to_string(),
        WHISKER_NOTE.to_string(),
    ];
    draw_legend(&legend, "target", &series, Legend::Bars, &notes)?;
    plots.present()?;
    Ok(true)
}
