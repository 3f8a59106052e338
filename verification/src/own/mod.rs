//! # Verify a map of your own
//!
//! The checkers of `cargo xtask verify`, run in-process on a map defined in *your* crate, and the
//! same matrix, Markdown and JSON report (`ferrolite-matrix`). Nothing here needs this repository's
//! registry: a map enters as a [`MapFamily`] (one map type per key and value type, because the
//! checkers instantiate it at several: `u64 → u64` histories, byte-string keys for the model,
//! `MemKey → Bytes` as the engine's memtable).
//!
//! ```no_run
//! use ferrolite_structures::{MapFamily, MapKey, MapValue, MutexBTreeMap};
//! use ferrolite_verification::own::Suite;
//!
//! struct Mine; // the family of your map
//! impl MapFamily for Mine {
//!     type Map<K: MapKey, V: MapValue> = MutexBTreeMap<K, V>; // your type here
//! }
//!
//! let mut suite = Suite::new("target/own-verify");
//! suite.check::<Mine>();
//! let report = suite.finish().expect("the report is written");
//! assert!(report.ok(), "{}", report.verdict());
//! ```
//!
//! ## Which checkers, in which build
//!
//! | checker | build | what runs |
//! |:--|:--|:--|
//! | `model` | normal | proptest sequences against a `BTreeMap`, `u64` and byte-string keys, shrunk |
//! | `lincheck` | normal | thousands of short 2–3-thread histories on colliding keys, checked for linearizability; the minimal one as a timeline |
//! | `engine` | normal | the LSM engine with your map as its memtable, sequences against a `BTreeMap` (flushes, compactions, reopens) |
//! | `engine-lin` | normal | the engine with your map as its memtable, threads on shared keys, per-key linearizability |
//! | `shuttle` | `--features ferrolite-verification/shuttle` | random and PCT schedules of 3–4 threads (`shuttle_check`) |
//! | `progress` | `--features ferrolite-verification/shuttle` | one thread paused forever mid-operation, at every step within a bound; the others must finish if the map claims `lock_free() == Some(true)`, are expected to block if it claims `Some(false)`; `None` (the default) claims nothing (`progress`) |
//! | `loom` | `RUSTFLAGS="--cfg loom --cfg crossbeam_loom"` | every interleaving of 2–3 threads within a preemption bound (`loom_check`) |
//!
//! shuttle (with progress) and loom replace the primitives under your map, so they run only if
//! it is written against the sync shim (`ferrolite_structures::sync`); each build runs the
//! cells it can and marks the others "skipped" with the build that runs them. Every cell is also saved under
//! `<out>/cells/`, and [`Suite::finish`] merges the saved cells of the other builds into the
//! report: run the same test once per build and the last run's report holds every column.
//!
//! ## Mutants of your own
//!
//! [`Suite::mutant`] adds a deliberately broken variant of a map as a *mutant row*: the report
//! shows which checkers catch it (`CAUGHT`, with the kind of evidence and the reproduction),
//! and the verdict is OK only if every map passes and every mutant is caught — the testbed's own
//! seeded mutants work the same way.
//!
//! The budget is the mode's ([`Mode::from_env_or_quick`]: quick unless `FERROLITE_VERIFY_MODE`
//! says otherwise, or [`Suite::mode`]). Checkers not offered here for a map of your own: `crash`
//! (a child process must be built with your map), `faults` and `soak` (they run over the
//! registry's kinds), and Miri (run `cargo +nightly miri test` on your crate's own tests).

mod cells;
mod run;

pub use run::{build_name, cell};

use crate::Mode;
use ferrolite_matrix::{Cell, Checker, Outcome, Row, RowMutant, Summary};
use ferrolite_structures::{ConcurrentMap, MapFamily};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The columns of a suite's matrix, in order.
pub const COLUMNS: [Checker; 7] = [
    Checker::Model,
    Checker::Loom,
    Checker::Shuttle,
    Checker::Progress,
    Checker::Lincheck,
    Checker::Engine,
    Checker::EngineLin,
];

/// A run of the checkers over maps of your own (see the module documentation).
pub struct Suite {
    out: PathBuf,
    mode: Mode,
    rows: Vec<Row>,
    cells: Vec<Cell>,
    started: Instant,
    quiet: bool,
}

impl Suite {
    /// A suite writing its report and cells to `out` (created when needed), in the mode of
    /// [`Mode::from_env_or_quick`].
    pub fn new(out: impl Into<PathBuf>) -> Suite {
        run::install_panic_hook();
        Suite {
            out: out.into(),
            mode: Mode::from_env_or_quick(),
            rows: Vec::new(),
            cells: Vec::new(),
            started: Instant::now(),
            quiet: false,
        }
    }

    /// Runs the checkers with the budget of `mode`.
    pub fn mode(mut self, mode: Mode) -> Suite {
        self.mode = mode;
        self
    }

    /// No line per finished cell on stderr.
    pub fn quiet(mut self) -> Suite {
        self.quiet = true;
        self
    }

    /// The mode the checkers run in.
    pub fn current_mode(&self) -> Mode {
        self.mode
    }

    /// Runs every checker this build can run on `F`'s maps, as a row named after the map
    /// (`ConcurrentMap::name`). A map whose `linearizable()` is false has its violations counted
    /// as expected, not failed (like crossbeam's `SkipMap` adapter in the testbed).
    pub fn check<F: MapFamily>(&mut self) -> &mut Suite {
        self.run_row::<F>(Row::structure(family_name::<F>()))
    }

    /// Runs every checker this build can run on `F`'s maps as a *mutant* of the map named `of`:
    /// a variant with a bug you put there on purpose (`description` says which). The report
    /// says which checkers catch it; the verdict fails if none does.
    pub fn mutant<F: MapFamily>(&mut self, of: &str, name: &str, description: &str) -> &mut Suite {
        let row = Row {
            structure: of.to_string(),
            mutant: Some(RowMutant {
                name: name.to_string(),
                description: description.to_string(),
            }),
        };
        self.run_row::<F>(row)
    }

    fn run_row<F: MapFamily>(&mut self, row: Row) -> &mut Suite {
        let logs = self.out.join("logs");
        for checker in COLUMNS {
            let (outcome, evidence) = run::cell::<F>(checker, &row, self.mode, &logs);
            let cell = Cell {
                row: row.clone(),
                checker,
                outcome,
                evidence,
            };
            if !self.quiet {
                eprintln!("  {}", ferrolite_matrix::line(&cell));
            }
            self.cells.push(cell);
        }
        self.rows.push(row);
        self
    }

    /// Saves this run's cells, merges the cells other builds saved in the same directory, and
    /// writes `verification.md` and `verification.json` there.
    pub fn finish(self) -> std::io::Result<Report> {
        let dir = self.out.join("cells");
        std::fs::create_dir_all(&dir)?;
        let mut cells: BTreeMap<(String, &'static str), Cell> = BTreeMap::new();
        let mut rows = self.rows.clone();
        for saved in cells::load(&dir)? {
            if !rows.iter().any(|r| r.label() == saved.row.label()) {
                rows.push(saved.row.clone());
            }
            cells.insert((saved.row.label(), saved.checker.name()), saved);
        }
        for cell in self.cells {
            let key = (cell.row.label(), cell.checker.name());
            // A cell this build skips does not hide one another build ran.
            let keep_saved = matches!(cell.outcome, Outcome::Skipped(_))
                && cells
                    .get(&key)
                    .is_some_and(|c| !matches!(c.outcome, Outcome::Skipped(_)));
            if !keep_saved {
                cells::save(&dir, &cell)?;
                cells.insert(key, cell);
            }
        }
        let cells: Vec<Cell> = cells.into_values().collect();
        let summary = Summary {
            command: format!(
                "`ferrolite_verification::own::Suite` in mode {} (this process: the {} build; \
                 cells of other builds merged from `{}`)",
                self.mode,
                build_name(),
                dir.display()
            ),
            mode: mode_name(self.mode),
            rows: &rows,
            checkers: &COLUMNS,
            cells: &cells,
            commit: run::commit(),
            builds: BTreeMap::new(),
            elapsed: self.started.elapsed(),
        };
        let markdown = summary.markdown();
        let json = summary.json();
        let (md_path, json_path) = (
            self.out.join("verification.md"),
            self.out.join("verification.json"),
        );
        std::fs::write(&md_path, &markdown)?;
        std::fs::write(&json_path, &json)?;
        Ok(Report {
            ok: summary.ok(),
            verdict: summary.verdict(),
            markdown,
            md_path,
            json_path,
            cells,
        })
    }
}

/// What [`Suite::finish`] wrote and found.
#[derive(Clone, Debug)]
pub struct Report {
    ok: bool,
    verdict: String,
    markdown: String,
    md_path: PathBuf,
    json_path: PathBuf,
    cells: Vec<Cell>,
}

impl Report {
    /// Every map passed every checker that ran, and every mutant was caught.
    pub fn ok(&self) -> bool {
        self.ok
    }

    /// The closing line (`verify: OK — …` or `verify: FAILED — …`).
    pub fn verdict(&self) -> &str {
        &self.verdict
    }

    /// The Markdown report.
    pub fn markdown(&self) -> &str {
        &self.markdown
    }

    /// Where the Markdown report is.
    pub fn markdown_path(&self) -> &Path {
        &self.md_path
    }

    /// Where the JSON report is.
    pub fn json_path(&self) -> &Path {
        &self.json_path
    }

    /// Every cell of the matrix (this build's and the saved ones).
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The cells of the row labelled `label` (`mine`, or `mine + broken_replace`).
    pub fn row(&self, label: &str) -> Vec<&Cell> {
        self.cells
            .iter()
            .filter(|c| c.row.label() == label)
            .collect()
    }
}

fn mode_name(mode: Mode) -> &'static str {
    mode.pick("quick", "default", "full")
}

/// The name of `F`'s maps (`ConcurrentMap::name`). Under loom a map can only be built inside
/// a model (its primitives are loom's), so there it is built in a one-thread model.
pub fn family_name<F: MapFamily>() -> &'static str {
    #[cfg(loom)]
    {
        let name = std::sync::Arc::new(std::sync::Mutex::new(""));
        let out = name.clone();
        loom::model(move || {
            *out.lock().unwrap_or_else(|e| e.into_inner()) = F::Map::<u64, u64>::default().name();
        });
        let n = *name.lock().unwrap_or_else(|e| e.into_inner());
        n
    }
    #[cfg(not(loom))]
    F::Map::<u64, u64>::default().name()
}
