//! Loading the saved results: criterion's estimates and the side data our benches write.
//!
//! * Criterion keeps, for every benchmark, `<criterion>/<group>/<function>/<parameter>/new/`
//!   with `benchmark.json` (the ids and the throughput) and `estimates.json` (the statistics
//!   in nanoseconds per iteration). The directory names are sanitised copies of the ids, so
//!   the ids are read from `benchmark.json` rather than from the path.
//! * Our benches write one JSON file per measured cell under
//!   `<side>/<group>/<function>/<parameter>.json` for what criterion cannot hold
//!   (repetitions, latency percentiles, unreclaimed nodes, time series, extras); its schema,
//!   [`Side`], is `ferrolite-bench-format`'s, shared with the benches that write it.
//!
//! Both sources are merged into one [`Cell`] per (group, function, parameter).

use anyhow::{Context, Result};
pub use ferrolite_bench_format::side::{Percentiles, Run, Series, Side, Spread, Unreclaimed};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the saved results live.
#[derive(Clone, Debug)]
pub struct Sources {
    /// Criterion's output directory (`<target>/criterion`).
    pub criterion: PathBuf,
    /// Our side data (`<target>/ferrolite-bench`).
    pub side: PathBuf,
}

impl Sources {
    /// The two directories under a cargo target directory.
    pub fn under(target: &Path) -> Self {
        Self {
            criterion: target.join("criterion"),
            side: ferrolite_bench_format::side::side_dir(target),
        }
    }
}

/// Criterion's median for one benchmark, turned into operations per second.
#[derive(Clone, Debug, PartialEq)]
pub struct Criterion {
    /// Median time of one iteration, in ns.
    pub median_ns: f64,
    /// Elements (operations) per iteration: the benchmark's `Throughput::Elements`, or 1.
    pub elements: f64,
    /// Median throughput, ops/s.
    pub ops: f64,
    /// The median's confidence interval in ops/s (low, high), if criterion saved one.
    pub ops_ci: Option<(f64, f64)>,
}

/// Everything known about one (group, function, parameter).
#[derive(Clone, Debug, Default)]
pub struct Cell {
    /// The criterion group.
    pub group: String,
    /// The function within the group.
    pub function: String,
    /// The parameter (empty when the benchmark has none).
    pub parameter: String,
    /// Criterion's estimate, if it saved one.
    pub criterion: Option<Criterion>,
    /// Our side data, if the bench wrote some.
    pub side: Option<Side>,
}

impl Cell {
    /// Median throughput in ops/s: criterion's when it measured the cell, else the side
    /// data's median over repetitions.
    pub fn ops(&self) -> Option<f64> {
        self.criterion
            .as_ref()
            .map(|c| c.ops)
            .or_else(|| self.side.as_ref()?.ops_per_sec.as_ref()?.median)
            .filter(|v| v.is_finite() && *v > 0.0)
    }

    /// The spread of the throughput (low, high) in ops/s: the repetitions' min–max from the
    /// side data, else criterion's confidence interval of the median.
    pub fn ops_spread(&self) -> Option<(f64, f64)> {
        let side = self.side.as_ref().and_then(|s| s.ops_per_sec.as_ref());
        if let Some(Spread {
            min: Some(lo),
            max: Some(hi),
            ..
        }) = side
        {
            return Some((*lo, *hi));
        }
        self.criterion.as_ref()?.ops_ci
    }

    /// A numeric parameter from the side data's `params`.
    pub fn param_num(&self, key: &str) -> Option<f64> {
        self.side.as_ref()?.params.get(key)?.as_f64()
    }

    /// A string parameter from the side data's `params`.
    pub fn param_str(&self, key: &str) -> Option<String> {
        match self.side.as_ref()?.params.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// A numeric extra from the side data.
    pub fn extra(&self, key: &str) -> Option<f64> {
        self.side.as_ref()?.extra.get(key)?.as_f64()
    }

    /// The latency percentiles of one operation kind.
    pub fn latency(&self, op: &str) -> Option<&Percentiles> {
        self.side.as_ref()?.latency_ns.get(op)
    }

    /// The unreclaimed-node counts, if they were measured: absent from the side data, or
    /// for a map whose counters are no measurement (the registry's `counts_unreclaimed`,
    /// which also catches older side data that wrote crossbeam's zeros), they were not.
    pub fn unreclaimed(&self) -> Option<&Unreclaimed> {
        let counts = self
            .function
            .parse::<ferrolite_structures::MapKind>()
            .map_or(true, |k| k.info().counts_unreclaimed);
        let u = self.side.as_ref()?.unreclaimed.as_ref()?;
        (counts && (u.peak.is_some() || u.avg.is_some())).then_some(u)
    }

    /// The run that measured the cell (commit, cores, scale, date), if the side data names it.
    pub fn run(&self) -> Option<&Run> {
        self.side.as_ref()?.run.as_ref()
    }

    /// An option the cell ran with, as text (`None` if the side data does not name it).
    pub fn option(&self, key: &str) -> Option<String> {
        match self.side.as_ref()?.options.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// A numeric option the cell ran with.
    pub fn option_num(&self, key: &str) -> Option<f64> {
        self.side.as_ref()?.options.get(key)?.as_f64()
    }
}

/// What tells runs apart in a report: the commit, the scale and the machine's cores.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunKey {
    /// Short commit (`-dirty` with local changes), or `unknown`.
    pub commit: String,
    /// `smoke`, `default`, `full`, or `unknown`.
    pub scale: String,
    /// Logical cores.
    pub cores: Option<u64>,
}

/// The cells one run measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunCells {
    /// The run, `None` for side data that names none.
    pub key: Option<RunKey>,
    /// How many cells it measured.
    pub cells: usize,
    /// Its earliest and latest date, if recorded.
    pub dates: Option<(String, String)>,
}

/// All the cells, keyed by (group, function, parameter).
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    /// The cells.
    pub cells: BTreeMap<(String, String, String), Cell>,
    /// Files that could not be read, with why (reported, not fatal).
    pub warnings: Vec<String>,
}

impl Dataset {
    /// The cells of one group, in (function, parameter) order.
    pub fn group(&self, group: &str) -> Vec<&Cell> {
        self.cells.values().filter(|c| c.group == group).collect()
    }

    /// The machine's logical cores as the runs recorded them (the smallest, if runs on
    /// several machines were mixed): thread counts above it are oversubscribed.
    pub fn cores(&self) -> Option<u32> {
        self.cells
            .values()
            .filter_map(|c| c.run()?.cores)
            .min()
            .map(|n| n as u32)
    }

    /// The runs behind the cells with side data: each distinct (commit, scale, cores) with
    /// its cell count and its earliest and latest date; cells whose side data names no run
    /// are counted under `None`.
    pub fn runs(&self) -> Vec<RunCells> {
        let mut by: BTreeMap<Option<RunKey>, RunCells> = BTreeMap::new();
        for c in self.cells.values().filter(|c| c.side.is_some()) {
            let key = c.run().map(|r| RunKey {
                commit: r.commit.clone().unwrap_or_else(|| "unknown".into()),
                scale: r.scale.clone().unwrap_or_else(|| "unknown".into()),
                cores: r.cores,
            });
            let e = by.entry(key.clone()).or_insert_with(|| RunCells {
                key,
                ..RunCells::default()
            });
            e.cells += 1;
            if let Some(d) = c.run().and_then(|r| r.date.clone()) {
                e.dates = Some(match e.dates.take() {
                    None => (d.clone(), d),
                    Some((lo, hi)) => (lo.min(d.clone()), hi.max(d)),
                });
            }
        }
        by.into_values().collect()
    }

    /// One cell.
    #[cfg(test)]
    pub fn get(&self, group: &str, function: &str, parameter: &str) -> Option<&Cell> {
        self.cells
            .get(&(group.into(), function.into(), parameter.into()))
    }

    fn cell(&mut self, group: &str, function: &str, parameter: &str) -> &mut Cell {
        self.cells
            .entry((group.into(), function.into(), parameter.into()))
            .or_insert_with(|| Cell {
                group: group.into(),
                function: function.into(),
                parameter: parameter.into(),
                ..Cell::default()
            })
    }
}

/// Reads both sources; a missing directory is no data, an unreadable file a warning.
pub fn load(src: &Sources) -> Result<Dataset> {
    let mut ds = Dataset::default();
    let mut files = Vec::new();
    walk(&src.criterion, &mut files)?;
    for f in files.iter().filter(|f| f.ends_with("new/benchmark.json")) {
        match read_criterion(f) {
            Ok((g, func, p, c)) => ds.cell(&g, &func, &p).criterion = Some(c),
            Err(e) => ds.warnings.push(format!("{}: {e:#}", f.display())),
        }
    }
    files.clear();
    walk(&src.side, &mut files)?;
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        let side = std::fs::read_to_string(f)
            .map_err(anyhow::Error::from)
            .and_then(|s| serde_json::from_str::<Side>(&s).map_err(Into::into));
        match side {
            Ok(s) => {
                let (g, func, p) = (s.group.clone(), s.function.clone(), s.parameter.clone());
                ds.cell(&g, &func, &p).side = Some(s);
            }
            Err(e) => ds.warnings.push(format!("{}: {e:#}", f.display())),
        }
    }
    Ok(ds)
}

/// Every file under `dir`, recursively; nothing if `dir` does not exist.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// The ids and the estimate of one criterion benchmark, from its `new/benchmark.json` and
/// the `estimates.json` beside it.
fn read_criterion(benchmark_json: &Path) -> Result<(String, String, String, Criterion)> {
    let id: Value = serde_json::from_str(&std::fs::read_to_string(benchmark_json)?)?;
    let text = |k: &str| id.get(k).and_then(Value::as_str).map(str::to_string);
    let group = text("group_id").context("no group_id")?;
    let function = text("function_id").unwrap_or_default();
    let parameter = text("value_str").unwrap_or_default();
    // `throughput` is an externally tagged enum: {"Elements": n}, {"Bytes": n}, ... or null.
    // Only elements count operations; anything else is one operation per iteration.
    let elements = id
        .get("throughput")
        .and_then(|t| t.get("Elements"))
        .and_then(Value::as_f64)
        .filter(|n| *n > 0.0)
        .unwrap_or(1.0);

    let est_path = benchmark_json.with_file_name("estimates.json");
    let est: Value = serde_json::from_str(
        &std::fs::read_to_string(&est_path)
            .with_context(|| format!("reading {}", est_path.display()))?,
    )?;
    let median = est.get("median").context("no median in estimates.json")?;
    let median_ns = median
        .get("point_estimate")
        .and_then(Value::as_f64)
        .filter(|v| *v > 0.0)
        .context("no positive median.point_estimate")?;
    let bound = |k: &str| {
        median
            .get("confidence_interval")?
            .get(k)?
            .as_f64()
            .filter(|v| *v > 0.0)
    };
    let per_sec = |ns: f64| elements / (ns * 1e-9);
    let ops_ci = match (bound("lower_bound"), bound("upper_bound")) {
        // A longer time is a lower throughput.
        (Some(lo), Some(hi)) => Some((per_sec(hi), per_sec(lo))),
        _ => None,
    };
    Ok((
        group,
        function,
        parameter,
        Criterion {
            median_ns,
            elements,
            ops: per_sec(median_ns),
            ops_ci,
        },
    ))
}

/// A `structures` cell's workload, from its side-data params or its parameter string
/// `t{threads}-u{update}-r{range}-{dist}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StructWorkload {
    /// Update percentage.
    pub update: u32,
    /// Key range.
    pub range: u64,
    /// Key distribution.
    pub dist: String,
}

/// A `structures` cell's coordinates: its workload and thread count.
pub fn structures_coords(c: &Cell) -> Option<(StructWorkload, u32)> {
    let parsed = parse_structures_param(&c.parameter);
    let parsed = parsed.as_ref();
    let threads = c
        .param_num("threads")
        .map(|v| v as u32)
        .or(parsed.map(|p| p.1))?;
    let workload = StructWorkload {
        update: c
            .param_num("update_percent")
            .map(|v| v as u32)
            .or(parsed.map(|p| p.0.update))?,
        range: c
            .param_num("range")
            .map(|v| v as u64)
            .or(parsed.map(|p| p.0.range))?,
        dist: c.param_str("dist").or(parsed.map(|p| p.0.dist.clone()))?,
    };
    Some((workload, threads))
}

fn parse_structures_param(p: &str) -> Option<(StructWorkload, u32)> {
    let mut it = p.splitn(4, '-');
    let threads = it.next()?.strip_prefix('t')?.parse().ok()?;
    let update = it.next()?.strip_prefix('u')?.parse().ok()?;
    let range = it.next()?.strip_prefix('r')?.parse().ok()?;
    let dist = it.next()?.to_string();
    Some((
        StructWorkload {
            update,
            range,
            dist,
        },
        threads,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_structures_parameters() {
        let (w, t) = parse_structures_param("t2-u10-r65536-uniform").unwrap();
        assert_eq!(t, 2);
        assert_eq!(
            w,
            StructWorkload {
                update: 10,
                range: 65536,
                dist: "uniform".into()
            }
        );
        let (w, _) = parse_structures_param("t1-u0-r1024-zipf-0.99").unwrap();
        assert_eq!(w.dist, "zipf-0.99");
        assert!(parse_structures_param("fillrandom").is_none());
    }
}
