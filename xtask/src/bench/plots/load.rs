//! `load.svg`, drawn by `cargo xtask load` from `load.json`: the server under load, a row per
//! workload and a column per measure — throughput (req/s), p50, p99 and p99.9 latency (µs) and
//! the server's throughput as a percentage of the in-process engine's — each panel its own
//! linear axis from zero, a group of bars per client count, a bar per face (gRPC, REST).
//!
//! The in-process engine is not drawn as bars: it is 20–100× the server's throughput, and on a
//! shared linear axis it would flatten the faces' difference; its column is the ratio.

use super::axis::Axis;
use super::canvas::figure;
use super::facets::{self, grid};
use super::legend::{draw_legend, Legend};
use super::panels::{draw_bars, Bars};
use super::style::style;
use anyhow::Result;
use ferrolite_bench_format::load::{LoadReport, IN_PROCESS};
use std::path::Path;

/// The columns of the figure: what each panel of a column shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Requests per second.
    Throughput,
    /// Median latency, µs.
    P50,
    /// 99th percentile, µs.
    P99,
    /// 99.9th percentile, µs.
    P999,
    /// Server throughput / in-process throughput, in percent.
    Ratio,
}

impl Measure {
    /// The columns, in order.
    pub const ALL: [Measure; 5] = [
        Measure::Throughput,
        Measure::P50,
        Measure::P99,
        Measure::P999,
        Measure::Ratio,
    ];

    /// The column's header, with the unit.
    pub fn header(self) -> &'static str {
        match self {
            Measure::Throughput => "throughput (req/s)",
            Measure::P50 => "p50 latency (µs)",
            Measure::P99 => "p99 latency (µs)",
            Measure::P999 => "p99.9 latency (µs)",
            Measure::Ratio => "% of in-process req/s",
        }
    }
}

/// The figure's data, from a [`LoadReport`].
#[derive(Clone, Debug, PartialEq)]
pub struct LoadFigure {
    /// The rows, in the report's order.
    pub workloads: Vec<String>,
    /// The server's faces (the series), in the report's order.
    pub faces: Vec<String>,
    /// The client counts (the categories), ascending.
    pub clients: Vec<u32>,
    /// `values[workload][measure][face][clients]`, `None` where nothing was measured.
    pub values: Vec<Vec<Vec<Vec<Option<f64>>>>>,
    /// The run, for the legend: machine, cores, date, commit.
    pub run: String,
    /// What the workloads were, for the legend.
    pub setup: String,
    /// The soak's verdict, for the legend.
    pub soak: Option<String>,
}

impl LoadFigure {
    /// One value: `None` when the cell (or its in-process pair, for the ratio) is missing.
    #[cfg(test)]
    pub fn value(&self, workload: &str, m: Measure, face: &str, clients: u32) -> Option<f64> {
        let w = self.workloads.iter().position(|x| x == workload)?;
        let mi = Measure::ALL.iter().position(|x| *x == m)?;
        let f = self.faces.iter().position(|x| x == face)?;
        let c = self.clients.iter().position(|x| *x == clients)?;
        self.values[w][mi][f][c]
    }
}

/// The figure's data: every server cell's throughput and percentiles, and its ratio to the
/// in-process cell of the same workload and client count.
pub fn load_figure(r: &LoadReport) -> LoadFigure {
    let workloads = r.distinct(|c| c.workload.clone());
    let faces: Vec<String> = r
        .cells
        .iter()
        .map(|c| c.face.clone())
        .fold(Vec::new(), |mut v, f| {
            if f != IN_PROCESS && !v.contains(&f) {
                v.push(f);
            }
            v
        });
    let mut clients = r.distinct(|c| c.clients);
    clients.sort_unstable();
    let values = workloads
        .iter()
        .map(|w| {
            Measure::ALL
                .iter()
                .map(|&m| {
                    faces
                        .iter()
                        .map(|f| {
                            clients
                                .iter()
                                .map(|&n| {
                                    let c = r.cells.iter().find(|c| {
                                        &c.face == f && &c.workload == w && c.clients == n
                                    })?;
                                    let v = match m {
                                        Measure::Throughput => c.throughput,
                                        Measure::P50 => c.latency_us.p50,
                                        Measure::P99 => c.latency_us.p99,
                                        Measure::P999 => c.latency_us.p999,
                                        Measure::Ratio => r.ratio(f, w, n)? * 100.0,
                                    };
                                    (v.is_finite() && c.requests > 0).then_some(v)
                                })
                                .collect()
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    LoadFigure {
        workloads,
        faces,
        clients,
        values,
        run: format!(
            "{} ({} cores), {}, commit {}.",
            r.machine, r.cores, r.date, r.commit
        ),
        setup: format!(
            "get, put: {}-byte values, {} keys; sql: SELECT v FROM t WHERE id = ?, {} rows; mixed: {}; memtable {}, sync {}.",
            r.setup.value_bytes, r.setup.keys, r.setup.sql_rows, r.setup.mix, r.setup.memtable, r.setup.sync
        ),
        soak: r.soak.as_ref().map(|s| {
            format!(
                "Soak: {:.0} s, both faces at once; RSS max {:.0} MiB, {}.",
                s.seconds,
                s.max_rss_mib,
                if s.bounded { "bounded" } else { "NOT bounded" }
            )
        }),
    }
}

/// Draw `load.svg` into `dir`; whether anything was measured (else no file is written).
pub fn load_svg(dir: &Path, f: &LoadFigure) -> Result<bool> {
    if f.values
        .iter()
        .flatten()
        .flatten()
        .flatten()
        .all(Option::is_none)
    {
        return Ok(false);
    }
    let series: Vec<_> = f
        .faces
        .iter()
        .enumerate()
        .map(|(i, name)| (name.clone(), style(name, i)))
        .collect();
    let categories: Vec<String> = f.clients.iter().map(u32::to_string).collect();
    let row_h = (40 + 14 * (categories.len() * series.len()) as u32).max(160);
    let label_w = f.workloads.iter().map(|w| w.len()).max().unwrap_or(4) as u32 * 9 + 24;
    let path = dir.join("load.svg");
    let (plots, legend) = figure(&path, 1500, facets::height(f.workloads.len(), row_h, true))?;
    let cols: Vec<String> = Measure::ALL
        .iter()
        .map(|m| m.header().to_string())
        .collect();
    let panels = grid(
        &plots,
        &facets::Grid {
            title: "ferrolite-server under load over loopback (each panel its own linear scale)",
            rows: &f.workloads,
            cols: &cols,
            ncols: cols.len(),
            row_label_w: label_w,
        },
        f.workloads.len() * cols.len(),
    )?;
    for (i, area) in panels.iter().enumerate() {
        let (w, m) = (i / cols.len(), i % cols.len());
        let values = &f.values[w][m];
        let axis = Axis::linear(
            Measure::ALL[m].header(),
            values.iter().flatten().flatten().copied(),
            0.45,
        );
        draw_bars(
            area,
            &Bars {
                title: "",
                categories: &categories,
                // The categories' name once per row, left of its first panel.
                cat_desc: if m == 0 { "clients" } else { "" },
                series: &series,
                values,
                errors: &[],
                axis: &axis,
                horizontal: true,
                show_categories: true,
                value_labels: true,
                compact: true,
            },
        )?;
    }
    let mut notes = vec![
        format!(
            "A group of bars per number of concurrent clients ({}), a bar per face.",
            categories.join(", ")
        ),
        "Closed loop; latency: send to checked answer.".to_string(),
        "% of in-process: server req/s / in-process ops/s, same workload, threads = clients."
            .to_string(),
        f.setup.clone(),
    ];
    notes.extend(f.soak.clone());
    notes.push(f.run.clone());
    draw_legend(&legend, "face", &series, Legend::Bars, &notes)?;
    plots.present()?;
    Ok(true)
}
