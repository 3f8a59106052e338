//! The structures sweep as a library: any map type, under a name, in the same cells as the
//! registry's maps.
//!
//! A [`Row`] is one map type under a name; a [`Sweep`] is a list of rows. The registry's maps
//! are rows like any other ([`Row::kind`] builds one through `MapKind::visit`), and so is a
//! map of one's own — any `M: ConcurrentMap<u64, u64> + Default + 'static`, from any crate
//! ([`Row::of`], [`Sweep::map`]). Both drivers take the rows as they come:
//!
//! * [`Sweep::criterion`] — the `structures` criterion bench: every workload × thread count ×
//!   row of a [`Plan`], each a [`crate::structures::cell`] writing criterion's estimates and
//!   the side data that `cargo xtask report` draws. A row's name is its criterion function
//!   and its side-data folder, so a new row is a new line in every figure and a new column in
//!   every table of `bench.md`, with nothing to register.
//! * [`Sweep::synchro`] — the `synchro` command's sweep: threads × update ratios × rows, each
//!   cell `reps` validated runs folded into a [`CellOutcome`] for [`crate::report`]'s tables.
//!
//! [`Sweep::standard`] is what the bench and the command run: the registry's maps, then
//! `scc-treeindex` (`ferrolite_scc::SccTreeIndex`, a concurrent B+ tree from outside the
//! workspace's structures, wired through this public path as a user's map would be).
//!
//! ```no_run
//! use ferrolite_benches::sweep::{Progress, Sweep, SynchroPlan};
//! use ferrolite_structures::{MapKind, MutexBTreeMap};
//! use std::time::Duration;
//!
//! let sweep = Sweep::kinds([MapKind::Epoch]).map::<MutexBTreeMap<u64, u64>>();
//! let plan = SynchroPlan { duration: Duration::from_millis(200), reps: 1, ..SynchroPlan::default() };
//! let cells = sweep.synchro(&plan, |_: Progress<'_>| {});
//! print!("{}", ferrolite_benches::report::throughput_table_against(&cells, "epoch"));
//! ```

use crate::report::CellOutcome;
use crate::structures::{self, Plan, Workload};
use crate::synchro::{self, summarize, RunResult, SynchroConfig, ValidationError};
use crate::workload::KeyDist;
use criterion::Criterion;
use ferrolite_scc::SccTreeIndex;
use ferrolite_structures::{rng, ConcurrentMap, MapKind, MapVisitor};
use std::fmt;
use std::time::Duration;

/// One validated run on a fresh map of the row's type.
type RunFn = fn(&SynchroConfig) -> Result<RunResult, ValidationError>;

/// One criterion cell on a fresh map of the row's type.
type CellFn = fn(&mut Criterion, &str, Workload, usize, Duration);

/// A map type under a name: what a sweep runs.
///
/// It holds the generic entry points instantiated for the type (plain function pointers), so
/// rows of different types sit in one list and run with static dispatch inside.
#[derive(Clone)]
pub struct Row {
    name: String,
    run: RunFn,
    cell: CellFn,
}

impl Row {
    /// The row of map type `M`, named by its [`ConcurrentMap::name`].
    pub fn of<M: ConcurrentMap<u64, u64> + Default + 'static>() -> Row {
        Row::named::<M>(M::default().name())
    }

    /// The row of map type `M` under `name` (the reports' label for it).
    pub fn named<M: ConcurrentMap<u64, u64> + Default + 'static>(name: impl Into<String>) -> Row {
        Row {
            name: name.into(),
            run: synchro::run::<M>,
            cell: structures::cell::<M>,
        }
    }

    /// The row of a registry map, under its registry name.
    pub fn kind(kind: MapKind) -> Row {
        /// [`Row::named`] on the visited type.
        struct Build(MapKind);
        impl MapVisitor<u64, u64> for Build {
            type Output = Row;
            fn visit<M: ConcurrentMap<u64, u64> + Default + 'static>(self) -> Row {
                Row::named::<M>(self.0.name())
            }
        }
        kind.visit(Build(kind))
    }

    /// The row's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One validated run on a fresh map (see [`synchro::run`]), labelled with the row's name.
    pub fn run(&self, config: &SynchroConfig) -> Result<RunResult, ValidationError> {
        match (self.run)(config) {
            Ok(mut r) => {
                r.map.clone_from(&self.name);
                Ok(r)
            }
            Err(mut e) => {
                e.map.clone_from(&self.name);
                e.measured.map.clone_from(&self.name);
                Err(e)
            }
        }
    }

    /// One criterion cell of the `structures` group on a fresh map (see
    /// [`structures::cell`]), under the row's name.
    pub fn criterion_cell(
        &self,
        c: &mut Criterion,
        workload: Workload,
        threads: usize,
        duration: Duration,
    ) {
        (self.cell)(c, &self.name, workload, threads, duration)
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Row").field(&self.name).finish()
    }
}

/// The rows of a sweep, in the order they run (and are listed).
#[derive(Clone, Debug, Default)]
pub struct Sweep {
    rows: Vec<Row>,
}

impl Sweep {
    /// No rows.
    pub fn new() -> Sweep {
        Sweep::default()
    }

    /// Every registry map, in registry order.
    pub fn registry() -> Sweep {
        Sweep::kinds(MapKind::ALL)
    }

    /// The given registry maps.
    pub fn kinds(kinds: impl IntoIterator<Item = MapKind>) -> Sweep {
        kinds
            .into_iter()
            .map(Row::kind)
            .fold(Sweep::new(), Sweep::row)
    }

    /// What the `structures` bench and `synchro` run: [`Sweep::registry`], then the outside
    /// reference `scc-treeindex` (scc's concurrent B+ tree, the cache-friendly anchor).
    pub fn standard() -> Sweep {
        Sweep::registry().map::<SccTreeIndex<u64, u64>>()
    }

    /// Add map type `M` under its own name ([`Row::of`]).
    ///
    /// # Panics
    /// If a row of that name is already there (their results would share one file).
    pub fn map<M: ConcurrentMap<u64, u64> + Default + 'static>(self) -> Sweep {
        self.row(Row::of::<M>())
    }

    /// Add map type `M` under `name` ([`Row::named`]).
    ///
    /// # Panics
    /// If a row of that name is already there.
    pub fn map_named<M: ConcurrentMap<u64, u64> + Default + 'static>(
        self,
        name: impl Into<String>,
    ) -> Sweep {
        self.row(Row::named::<M>(name))
    }

    /// Add a row.
    ///
    /// # Panics
    /// If a row of that name is already there.
    pub fn row(mut self, row: Row) -> Sweep {
        assert!(
            self.find(row.name()).is_none(),
            "a row named `{}` is already in the sweep",
            row.name()
        );
        self.rows.push(row);
        self
    }

    /// The rows.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The rows' names.
    pub fn names(&self) -> Vec<&str> {
        self.rows.iter().map(Row::name).collect()
    }

    /// The row called `name` (ASCII case ignored).
    pub fn find(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.name.eq_ignore_ascii_case(name))
    }

    /// The rows called `names` (ASCII case ignored), in that order, each once; an unknown
    /// name is an error naming the known ones.
    pub fn select<S: AsRef<str>>(&self, names: &[S]) -> Result<Sweep, String> {
        names.iter().try_fold(Sweep::new(), |s, n| {
            let n = n.as_ref();
            match self.find(n) {
                Some(r) if s.find(r.name()).is_some() => Ok(s),
                Some(r) => Ok(s.row(r.clone())),
                None => Err(format!(
                    "unknown map `{n}` (expected one of: {})",
                    self.names().join(", ")
                )),
            }
        })
    }

    /// Run the `structures` criterion bench over these rows: for every workload, thread
    /// count and row of `plan` (rows innermost, so the maps of a cell run close in time), one
    /// [`Row::criterion_cell`].
    pub fn criterion(&self, c: &mut Criterion, plan: &Plan) {
        for w in &plan.workloads {
            for &threads in &plan.threads {
                for row in &self.rows {
                    row.criterion_cell(c, *w, threads, plan.duration);
                }
            }
        }
    }

    /// Run the `synchro` sweep over these rows: for every (threads, update %) of `plan`,
    /// `plan.reps` repetitions of every row (repetitions outermost, rows innermost: a burst of
    /// noise on the host hits every map of a repetition alike), each repetition with its own
    /// seed shared by every row (same pre-fill, same keys). A run that fails validation keeps
    /// its numbers and marks its cell ([`CellOutcome::error`]). `progress` hears of every run
    /// and cell.
    pub fn synchro(
        &self,
        plan: &SynchroPlan,
        mut progress: impl FnMut(Progress<'_>),
    ) -> Vec<CellOutcome> {
        let mut cells = Vec::new();
        for &threads in &plan.threads {
            for &update_percent in &plan.updates {
                let mut runs: Vec<Vec<RunResult>> = vec![Vec::new(); self.rows.len()];
                let mut errors: Vec<Option<String>> = vec![None; self.rows.len()];
                for rep in 0..plan.reps {
                    let config = SynchroConfig {
                        range: plan.range,
                        threads,
                        update_percent,
                        duration: plan.duration,
                        dist: plan.dist,
                        seed: rng::derive(plan.seed, rep as u64),
                    };
                    for (i, row) in self.rows.iter().enumerate() {
                        progress(Progress::Run {
                            map: row.name(),
                            config: &config,
                            rep,
                            reps: plan.reps,
                        });
                        match row.run(&config) {
                            Ok(r) => runs[i].push(r),
                            Err(e) => {
                                progress(Progress::Invalid {
                                    error: &e,
                                    config: &config,
                                    rep,
                                });
                                errors[i].get_or_insert_with(|| e.to_string());
                                runs[i].push(*e.measured);
                            }
                        }
                    }
                }
                for ((row, runs), error) in self.rows.iter().zip(runs).zip(errors) {
                    let cell = CellOutcome {
                        map: row.name().to_string(),
                        threads,
                        update_percent,
                        summary: summarize(runs),
                        error,
                    };
                    progress(Progress::Cell(&cell));
                    cells.push(cell);
                }
            }
        }
        cells
    }
}

/// What [`Sweep::synchro`] reports while it runs.
#[derive(Debug)]
pub enum Progress<'a> {
    /// A run starts.
    Run {
        /// The row.
        map: &'a str,
        /// Its configuration.
        config: &'a SynchroConfig,
        /// The repetition (from 0).
        rep: usize,
        /// Repetitions per cell.
        reps: usize,
    },
    /// The run just finished failed validation (its numbers stay in the cell, marked).
    Invalid {
        /// What did not add up.
        error: &'a ValidationError,
        /// The run's configuration.
        config: &'a SynchroConfig,
        /// The repetition (from 0).
        rep: usize,
    },
    /// A cell's repetitions are done.
    Cell(&'a CellOutcome),
}

/// What [`Sweep::synchro`] runs: thread counts × update ratios, each `reps` runs of
/// `duration` on `range` keys.
#[derive(Clone, Debug, PartialEq)]
pub struct SynchroPlan {
    /// Worker thread counts.
    pub threads: Vec<usize>,
    /// Update percentages (0–100).
    pub updates: Vec<u32>,
    /// Keys are drawn from `0..range`; every map starts with `range / 2` of them.
    pub range: u64,
    /// The length of one run.
    pub duration: Duration,
    /// Repetitions per cell (the tables show their median and min–max).
    pub reps: usize,
    /// The distribution of the keys the workers draw.
    pub dist: KeyDist,
    /// The base seed (each repetition derives its own).
    pub seed: u64,
}

impl Default for SynchroPlan {
    /// `synchro`'s defaults: 1 and 2 threads, 10 and 50 % updates, 131072 keys, 1 s runs,
    /// 3 repetitions, uniform keys.
    fn default() -> Self {
        SynchroPlan {
            threads: vec![1, 2],
            updates: vec![10, 50],
            range: 131_072,
            duration: Duration::from_millis(1000),
            reps: 3,
            dist: KeyDist::Uniform,
            seed: 0x5eed,
        }
    }
}

impl SynchroPlan {
    /// How many runs a sweep of `rows` rows takes.
    pub fn runs(&self, rows: usize) -> usize {
        self.threads.len() * self.updates.len() * self.reps * rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrolite_structures::MutexBTreeMap;

    #[test]
    fn rows_of_any_map_next_to_the_registry() {
        let s = Sweep::standard();
        let mut want: Vec<&str> = MapKind::NAMES.to_vec();
        want.push("scc-treeindex");
        assert_eq!(s.names(), want);
        let picked = s.select(&["SCC-TreeIndex", "epoch"]).unwrap();
        assert_eq!(picked.names(), ["scc-treeindex", "epoch"]);
        let err = s.select(&["skiplist"]).unwrap_err();
        assert!(err.contains("scc-treeindex"), "{err}");
        let own = Sweep::new().map_named::<MutexBTreeMap<u64, u64>>("mine");
        assert_eq!(own.names(), ["mine"]);
    }

    #[test]
    #[should_panic(expected = "already in the sweep")]
    fn names_are_unique() {
        let _ = Sweep::kinds([MapKind::BTree]).map::<MutexBTreeMap<u64, u64>>();
    }

    #[test]
    fn a_short_synchro_sweep_labels_its_cells_by_row() {
        let plan = SynchroPlan {
            threads: vec![2],
            updates: vec![50],
            range: 256,
            duration: Duration::from_millis(20),
            reps: 2,
            ..SynchroPlan::default()
        };
        let sweep = Sweep::kinds([MapKind::Epoch]).map_named::<SccTreeIndex<u64, u64>>("scc");
        let mut runs = 0;
        let cells = sweep.synchro(&plan, |p| {
            runs += matches!(p, Progress::Run { .. }) as usize
        });
        assert_eq!(runs, plan.runs(2));
        assert_eq!(cells.len(), 2);
        for c in &cells {
            assert!(c.error.is_none(), "{c:?}");
            let s = c.summary.as_ref().unwrap();
            assert_eq!(s.runs.len(), 2);
            assert!(s.runs.iter().all(|r| r.map == c.map));
        }
        assert_eq!(cells[1].map, "scc");
        assert!(!cells[1].summary.as_ref().unwrap().runs[0].counts_unreclaimed);
    }
}
