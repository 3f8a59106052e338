//! A grid of small panels (facets), each with its own linear value axis: how a figure shows
//! quantities of very different sizes (readrandom at 1k ops/s next to readseq at 1M) without
//! a log axis, which would flatten the ±30 % differences *within* each panel that the figure
//! exists to show. Row labels go in a strip on the left, column headers in a strip on top.

use super::canvas::Area;
use super::style::{FONT, LABEL, TITLE};
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The layout of a facet grid.
pub(super) struct Grid<'a> {
    /// The figure's title, above everything.
    pub(super) title: &'a str,
    /// One label per row, in the left strip (empty: no strip).
    pub(super) rows: &'a [String],
    /// One header per column, in the top strip (empty: no strip).
    pub(super) cols: &'a [String],
    /// The number of columns (at least `cols.len()`).
    pub(super) ncols: usize,
    /// Width of the row-label strip in pixels.
    pub(super) row_label_w: u32,
}

/// The grid's height in pixels for `rows` rows of `row_h` pixels and its strips.
pub(super) fn height(rows: usize, row_h: u32, has_headers: bool) -> u32 {
    48 + if has_headers { 24 } else { 0 } + rows as u32 * row_h
}

/// Draws the title, the row labels and the column headers of `g` on `area` and returns the
/// panels' areas, row by row (`nrows × ncols`, `nrows` = `rows.len()` or enough rows for
/// `n` panels when there are no row labels).
pub(super) fn grid<'a>(area: &Area<'a>, g: &Grid, n: usize) -> Result<Vec<Area<'a>>> {
    let ncols = g.ncols.max(g.cols.len()).max(1);
    let nrows = if g.rows.is_empty() {
        n.div_ceil(ncols)
    } else {
        g.rows.len()
    }
    .max(1);
    let (w, _) = area.dim_in_pixel();
    let (top, body) = area.split_vertically(48);
    top.draw(&Text::new(
        g.title.to_string(),
        (w as i32 / 2, 14),
        (FONT, TITLE)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let (headers, body) = if g.cols.is_empty() {
        (None, body)
    } else {
        let (h, b) = body.split_vertically(24);
        (Some(h), b)
    };
    let (labels, panels) = if g.rows.is_empty() {
        (None, body)
    } else {
        let (l, p) = body.split_horizontally(g.row_label_w);
        (Some(l), p)
    };
    let bold = (FONT, LABEL).into_font().style(FontStyle::Bold);
    if let Some(h) = headers {
        let (hw, _) = h.dim_in_pixel();
        let offset = if g.rows.is_empty() { 0 } else { g.row_label_w };
        let col_w = (hw - offset) as f64 / ncols as f64;
        for (i, c) in g.cols.iter().enumerate() {
            let x = offset as f64 + col_w * (i as f64 + 0.5);
            h.draw(&Text::new(
                c.clone(),
                (x as i32, 12),
                bold.clone()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
    }
    if let Some(l) = labels {
        let (_, lh) = l.dim_in_pixel();
        let row_h = lh as f64 / nrows as f64;
        for (i, r) in g.rows.iter().enumerate() {
            let y = row_h * (i as f64 + 0.5);
            l.draw(&Text::new(
                r.clone(),
                (g.row_label_w as i32 - 8, y as i32),
                bold.clone()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
    }
    Ok(panels.split_evenly((nrows, ncols)))
}
