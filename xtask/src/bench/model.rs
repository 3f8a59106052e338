//! The figures' data, computed once from the [`Dataset`] so that each plot and its table in
//! `bench.md` show the same numbers; and the targets.

use super::data::{structures_coords, Cell, Dataset, StructWorkload};
use ferrolite_structures::MapKind;
use std::collections::{BTreeMap, BTreeSet};

/// The maps of the `structures` group in the order they are shown (the structures'
/// registry order); others follow by name.
pub const MAP_ORDER: [&str; MapKind::COUNT] = MapKind::NAMES;

/// The engine workloads in db_bench/YCSB order; others follow by name.
pub const WORKLOAD_ORDER: [&str; 14] = [
    "fillseq",
    "fillrandom",
    "overwrite",
    "readrandom",
    "readseq",
    "seekrandom",
    "readwhilewriting",
    "deleterandom",
    "ycsba",
    "ycsbb",
    "ycsbc",
    "ycsbd",
    "ycsbe",
    "ycsbf",
];

/// The lock-free maps (the registry's `lock_free` column), which should beat the mutex skip
/// list under contention.
pub fn lock_free() -> impl Iterator<Item = &'static str> {
    MapKind::ALL
        .into_iter()
        .filter(|k| k.info().lock_free)
        .map(MapKind::name)
}

/// Sorts names by their position in `order`, unknown names last and by name.
pub fn sort_by_order(names: &mut [String], order: &[&str]) {
    names.sort_by_key(|n| {
        (
            order.iter().position(|o| o == n).unwrap_or(usize::MAX),
            n.clone(),
        )
    });
}

/// A map's place in [`MAP_ORDER`] (`MAP_ORDER.len()`, after all of them, if it is not there).
pub fn map_rank(map: &str) -> usize {
    MAP_ORDER
        .iter()
        .position(|m| *m == map)
        .unwrap_or(MAP_ORDER.len())
}

/// The order cells of several maps are listed in: by map ([`map_rank`], then name), then by
/// parameter.
pub fn map_order_key(c: &Cell) -> (usize, String, String) {
    (
        map_rank(&c.function),
        c.function.clone(),
        c.parameter.clone(),
    )
}

/// The distinct values of `f` over `items`, sorted.
fn distinct<T, K: Ord + Clone>(items: &[T], f: impl Fn(&T) -> K) -> Vec<K> {
    items
        .iter()
        .map(f)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// One `structures` workload: throughput per (map, threads).
#[derive(Clone, Debug)]
pub struct StructFigure {
    /// Update %, range, distribution.
    pub workload: StructWorkload,
    /// The thread counts, ascending.
    pub threads: Vec<u32>,
    /// The maps, in [`MAP_ORDER`].
    pub maps: Vec<String>,
    /// Median ops/s per (map, threads).
    pub ops: BTreeMap<(String, u32), f64>,
    /// Spread (low, high) ops/s per (map, threads), where known.
    pub spread: BTreeMap<(String, u32), (f64, f64)>,
    /// The cell's parameter string per (map, threads).
    pub parameter: BTreeMap<(String, u32), String>,
    /// The machine's logical cores, if the runs recorded them: thread counts above it are
    /// oversubscribed.
    pub cores: Option<u32>,
}

impl StructFigure {
    /// The file name of its plot.
    pub fn file_name(&self) -> String {
        let w = &self.workload;
        let dist: String = w
            .dist
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("structures-u{}-r{}-{dist}.svg", w.update, w.range)
    }

    /// A human title.
    pub fn title(&self) -> String {
        let w = &self.workload;
        format!(
            "{}% updates, range {}, {} keys",
            w.update,
            w.range,
            w.dist.replace('_', " ")
        )
    }
}

/// One figure per `structures` workload, ordered by (dist, range, update).
pub fn structures(ds: &Dataset) -> Vec<StructFigure> {
    let mut by_w: BTreeMap<(String, u64, u32), StructFigure> = BTreeMap::new();
    for c in ds.group("structures") {
        let (Some((w, t)), Some(ops)) = (structures_coords(c), c.ops()) else {
            continue;
        };
        let fig = by_w
            .entry((w.dist.clone(), w.range, w.update))
            .or_insert_with(|| StructFigure {
                workload: w.clone(),
                threads: vec![],
                maps: vec![],
                ops: BTreeMap::new(),
                spread: BTreeMap::new(),
                parameter: BTreeMap::new(),
                cores: ds.cores(),
            });
        let key = (c.function.clone(), t);
        fig.ops.insert(key.clone(), ops);
        if let Some(s) = c.ops_spread() {
            fig.spread.insert(key.clone(), s);
        }
        fig.parameter.insert(key, c.parameter.clone());
    }
    let mut figs: Vec<StructFigure> = by_w.into_values().collect();
    for f in &mut figs {
        let keys: Vec<(String, u32)> = f.ops.keys().cloned().collect();
        f.threads = distinct(&keys, |k| k.1);
        f.maps = distinct(&keys, |k| k.0.clone());
        sort_by_order(&mut f.maps, &MAP_ORDER);
    }
    figs
}

/// A stage-ladder cell's coordinates: (stage, memtable, workload).
pub type StageKey = (String, String, String);

/// The stage ladder's figure data (`cargo xtask ladder`): ops/s per stage, per (memtable,
/// workload).
#[derive(Clone, Debug, Default)]
pub struct Stages {
    /// S0, S1, ...
    pub stages: Vec<String>,
    /// The memtables, in [`MAP_ORDER`].
    pub memtables: Vec<String>,
    /// The workloads, in [`WORKLOAD_ORDER`].
    pub workloads: Vec<String>,
    /// (memtable, workload) series, memtables in [`MAP_ORDER`], workloads in
    /// [`WORKLOAD_ORDER`].
    pub series: Vec<(String, String)>,
    /// ops/s per (stage, memtable, workload).
    pub ops: BTreeMap<StageKey, f64>,
    /// Spread (low, high) of ops/s per (stage, memtable, workload): min–max of the runs.
    pub spread: BTreeMap<StageKey, (f64, f64)>,
}

/// A group whose functions are implementations and parameters workloads (`engine`,
/// `yardstick`).
#[derive(Clone, Debug, Default)]
pub struct Grid<'a> {
    /// The workloads, in [`WORKLOAD_ORDER`].
    pub workloads: Vec<String>,
    /// The functions (memtable kinds, engines), in [`MAP_ORDER`] then by name.
    pub kinds: Vec<String>,
    /// The cells per (kind, workload).
    pub cells: BTreeMap<(String, String), &'a Cell>,
}

impl Grid<'_> {
    /// Throughput of one cell.
    pub fn ops(&self, kind: &str, workload: &str) -> Option<f64> {
        self.cells.get(&(kind.into(), workload.into()))?.ops()
    }

    /// The spread (low, high) of one cell's throughput.
    pub fn ops_spread(&self, kind: &str, workload: &str) -> Option<(f64, f64)> {
        self.cells
            .get(&(kind.into(), workload.into()))?
            .ops_spread()
    }
}

/// The cells of a (kind × workload) group.
pub fn grid<'a>(ds: &'a Dataset, group: &str) -> Grid<'a> {
    let mut g = Grid::default();
    for c in ds.group(group) {
        g.cells.insert((c.function.clone(), c.parameter.clone()), c);
    }
    let keys: Vec<_> = g.cells.keys().cloned().collect();
    g.kinds = distinct(&keys, |k| k.0.clone());
    sort_by_order(&mut g.kinds, &MAP_ORDER);
    g.workloads = distinct(&keys, |k| k.1.clone());
    sort_by_order(&mut g.workloads, &WORKLOAD_ORDER);
    g
}

/// The `sql` group's targets and workloads, in report order.
pub const SQL_TARGETS: [&str; 4] = [
    "ferrolite-normal",
    "sqlite-normal",
    "ferrolite-off",
    "sqlite-off",
];
/// The `sql` workloads in report order.
pub const SQL_WORKLOADS: [&str; 6] = [
    "insert-1w",
    "insert-2w",
    "insert-4w",
    "point-select",
    "range-select",
    "update",
];

/// The `sql` group: targets (ferrolite and SQLite per sync pair) × workloads.
pub fn sql_grid(ds: &Dataset) -> Grid<'_> {
    let mut g = grid(ds, "sql");
    sort_by_order(&mut g.kinds, &SQL_TARGETS);
    sort_by_order(&mut g.workloads, &SQL_WORKLOADS);
    g
}

/// Peak and mean unreclaimed nodes of one cell.
pub type PeakAvg = (Option<f64>, Option<f64>);

/// Peak (and mean) unreclaimed nodes per scheme, workload and thread count.
#[derive(Clone, Debug, Default)]
pub struct Unreclaimed {
    /// The schemes present, in [`MAP_ORDER`].
    pub schemes: Vec<String>,
    /// The update percentages present, ascending.
    pub updates: Vec<u32>,
    /// The thread counts present, ascending.
    pub threads: Vec<u32>,
    /// (peak, avg) per (scheme, workload, threads).
    pub cells: BTreeMap<(String, StructWorkload, u32), PeakAvg>,
    /// Maps measured for throughput whose unreclaimed nodes were not measured (crossbeam:
    /// its adapter has no counters), in [`MAP_ORDER`]: shown as such, never as zero.
    pub not_measured: Vec<String>,
    /// The machine's logical cores, if the runs recorded them.
    pub cores: Option<u32>,
}

impl Unreclaimed {
    /// The largest peak over ranges and distributions for (scheme, update %, threads): what
    /// the figure plots.
    pub fn max_peak(&self, scheme: &str, update: u32, threads: u32) -> Option<f64> {
        self.cells
            .iter()
            .filter(|((s, w, t), _)| s == scheme && w.update == update && *t == threads)
            .filter_map(|(_, (peak, _))| *peak)
            .reduce(f64::max)
    }
}

/// The unreclaimed-node counts of the `structures` group.
pub fn unreclaimed(ds: &Dataset) -> Unreclaimed {
    let mut u = Unreclaimed::default();
    let mut unmeasured = BTreeSet::new();
    for c in ds.group("structures") {
        let Some((w, t)) = structures_coords(c) else {
            continue;
        };
        match c.unreclaimed() {
            Some(r) => {
                u.cells.insert((c.function.clone(), w, t), (r.peak, r.avg));
            }
            None => {
                unmeasured.insert(c.function.clone());
            }
        }
    }
    let keys: Vec<_> = u.cells.keys().cloned().collect();
    u.schemes = distinct(&keys, |k| k.0.clone());
    sort_by_order(&mut u.schemes, &MAP_ORDER);
    u.updates = distinct(&keys, |k| k.1.update);
    u.threads = distinct(&keys, |k| k.2);
    u.not_measured = unmeasured
        .into_iter()
        .filter(|m| !u.schemes.contains(m))
        .collect();
    sort_by_order(&mut u.not_measured, &MAP_ORDER);
    u.cores = ds.cores();
    u
}

/// The geometric mean of positive values.
pub fn geomean(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    Some((v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp())
}

/// The ratios `num / den` over the `structures` workloads that have both maps at `threads`
/// and `update` %, with the parameter strings of the cells compared.
pub fn ratios(
    figs: &[StructFigure],
    num: &str,
    den: &str,
    keep: impl Fn(u32, u32) -> bool,
) -> Vec<(f64, String)> {
    let mut out = Vec::new();
    for f in figs {
        for &t in &f.threads {
            if !keep(t, f.workload.update) {
                continue;
            }
            let a = f.ops.get(&(num.to_string(), t));
            let b = f.ops.get(&(den.to_string(), t));
            if let (Some(a), Some(b)) = (a, b) {
                let p = f
                    .parameter
                    .get(&(num.to_string(), t))
                    .cloned()
                    .unwrap_or_default();
                out.push((a / b, p));
            }
        }
    }
    out
}

/// A target's verdict.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The data meets the target.
    Met,
    /// The data misses it.
    Missed,
    /// No data to judge.
    NoData,
}

impl Verdict {
    /// How `bench.md` writes it.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Met => "MET",
            Verdict::Missed => "MISSED",
            Verdict::NoData => "no data",
        }
    }
}

/// One ratio target at one (threads, update %).
#[derive(Clone, Debug)]
pub struct RatioTarget {
    /// Numerator map.
    pub num: &'static str,
    /// Denominator map.
    pub den: &'static str,
    /// Threads.
    pub threads: u32,
    /// Update %.
    pub update: u32,
    /// The geometric mean of the ratio over the workloads, and how many there were.
    pub value: Option<(f64, usize)>,
    /// The ratio it must reach.
    pub target: f64,
}

impl RatioTarget {
    /// Met, missed, or no data.
    pub fn verdict(&self) -> Verdict {
        match self.value {
            None => Verdict::NoData,
            Some((v, _)) if v >= self.target => Verdict::Met,
            Some(_) => Verdict::Missed,
        }
    }
}

/// Whether a lock-free map beats the mutex skip list in every cell with 2+ threads and
/// updates.
#[derive(Clone, Debug)]
pub struct BeatsMutex {
    /// The map.
    pub map: &'static str,
    /// The smallest ratio map / mutex and its cell, and the number of cells compared.
    pub worst: Option<(f64, String, usize)>,
}

impl BeatsMutex {
    /// Met, missed, or no data.
    pub fn verdict(&self) -> Verdict {
        match &self.worst {
            None => Verdict::NoData,
            Some((v, _, _)) if *v > 1.0 => Verdict::Met,
            Some(_) => Verdict::Missed,
        }
    }
}

/// The project's throughput targets.
#[derive(Clone, Debug)]
pub struct Targets {
    /// epoch / crossbeam ≥ 1.0 and hazard / crossbeam ≥ 0.6 at 1 and 2 threads, 10% and 50%.
    pub ratios: Vec<RatioTarget>,
    /// Every lock-free map vs the mutex skip list.
    pub beats_mutex: Vec<BeatsMutex>,
    /// Each scheme / noreclaim: (scheme, threads, update, geomean, workloads).
    pub vs_noreclaim: Vec<(&'static str, u32, u32, f64, usize)>,
}

/// Computes the targets from the `structures` figures.
pub fn targets(figs: &[StructFigure]) -> Targets {
    let mut ratios_out = Vec::new();
    for (num, den, target) in [("epoch", "crossbeam", 1.0), ("hazard", "crossbeam", 0.6)] {
        for threads in [1, 2] {
            for update in [10, 50] {
                let r: Vec<f64> = ratios(figs, num, den, |t, u| t == threads && u == update)
                    .into_iter()
                    .map(|r| r.0)
                    .collect();
                ratios_out.push(RatioTarget {
                    num,
                    den,
                    threads,
                    update,
                    value: geomean(&r).map(|g| (g, r.len())),
                    target,
                });
            }
        }
    }
    let beats_mutex = lock_free()
        .map(|map| {
            let r = ratios(figs, map, "mutex", |t, u| t >= 2 && u > 0);
            let n = r.len();
            BeatsMutex {
                map,
                worst: r
                    .into_iter()
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(v, p)| (v, p, n)),
            }
        })
        .collect();
    let mut tu: BTreeSet<(u32, u32)> = BTreeSet::new();
    for f in figs {
        for &t in &f.threads {
            tu.insert((t, f.workload.update));
        }
    }
    let mut vs_noreclaim = Vec::new();
    // Every lock-free map but the baseline itself.
    for scheme in lock_free().filter(|&m| m != "noreclaim") {
        for &(threads, update) in &tu {
            let r: Vec<f64> = ratios(figs, scheme, "noreclaim", |t, u| {
                t == threads && u == update
            })
            .into_iter()
            .map(|r| r.0)
            .collect();
            if let Some(g) = geomean(&r) {
                vs_noreclaim.push((scheme, threads, update, g, r.len()));
            }
        }
    }
    Targets {
        ratios: ratios_out,
        beats_mutex,
        vs_noreclaim,
    }
}
