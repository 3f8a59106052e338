//! What to run: the checkers, the builds they need, and the matrix of cells.
//!
//! A **cell** is one checker over one row; a **row** is a structure (a map of
//! `ferrolite-structures`) or a seeded mutant exercised on one structure. Each checker runs from
//! a **build**: a cargo invocation with its own flags and target directory, so that loom, shuttle,
//! Miri and mutant builds never invalidate each other or the normal `target/`.
//!
//! Rows come from the structures' registry (`MapKind::ALL`) and `testing::MUTANTS`, checkers
//! from [`CHECKERS`]. What a structure's cells do comes from its registry entry
//! (`MapKind::info`): whether loom, shuttle and Miri can run it and why not, the test filters
//! that select its Miri tests. So a structure or a mutant added to the structures crate gets
//! its row and its skip reasons here with no change; a name that is neither is an error.

use ferrolite_structures::testing::{Mutant, MUTANTS};
use ferrolite_structures::MapKind;

pub use ferrolite_matrix::{Checker, CHECKERS};

/// What `cargo xtask verify` needs of a checker beyond its column ([`Checker`] lives in
/// `ferrolite-matrix`, shared with the in-process suite): its test target, skip reasons, build
/// and the arguments and environment of a cell.
pub trait Plan {
    /// The test target of `verification/tests/` that runs this checker's cells (its name
    /// with `_` for `-`); none for Miri, which runs the structures' own tests.
    fn test_target(self) -> Option<&'static str>;
    /// Why this checker does not run on `structure` (in `mutant`'s row, if given), if it
    /// does not: the registry's reason for loom, shuttle and Miri; for an engine checker on a
    /// mutant row, the map operation the mutant breaks and the engine never performs
    /// (`Mutant::breaks`).
    fn skip_reason(self, structure: Map, mutant: Option<&Mutant>) -> Option<&'static str>;
    /// The build this checker runs from.
    fn build(self, mutants: bool) -> Build;
    /// Arguments after the build's that select `structure`'s cell.
    fn cell_args(self, structure: Map, mode: &str) -> Vec<String>;
    /// Environment variables that select `structure`'s cell, beside `cell_args`.
    fn cell_env(self, structure: Map) -> Vec<(&'static str, String)>;
}

impl Plan for Checker {
    /// The test target of `verification/tests/` that runs this checker's cells (its name
    /// with `_` for `-`); none for Miri, which runs the structures' own tests.
    fn test_target(self) -> Option<&'static str> {
        match self {
            Checker::EngineLin => Some("engine_lin"),
            Checker::Miri | Checker::EngineMiri => None,
            other => Some(other.name()),
        }
    }

    /// Why this checker does not run on `structure` (in `mutant`'s row, if given), if it
    /// does not: the registry's reason for loom, shuttle and Miri; for an engine checker on a
    /// mutant row, the map operation the mutant breaks and the engine never performs
    /// (`Mutant::breaks`).
    fn skip_reason(self, structure: Map, mutant: Option<&Mutant>) -> Option<&'static str> {
        let structure = match structure {
            Map::Kind(k) => k,
            Map::Outside(o) => return o.skip_reason(self),
        };
        let info = structure.info();
        match self {
            // Miri runs the engine only over maps it can run.
            Checker::EngineMiri => mutant
                .and_then(|m| m.breaks.engine_never())
                .or(info.miri.reason()),
            c if c.is_engine() => mutant.and_then(|m| m.breaks.engine_never()),
            Checker::Loom => info.loom.reason(),
            Checker::Shuttle | Checker::Progress => info.shuttle.reason(),
            Checker::Miri => info.miri.reason(),
            _ => None,
        }
    }

    /// The build this checker runs from.
    fn build(self, mutants: bool) -> Build {
        let suffix = if mutants { "-mutants" } else { "" };
        let mut rustflags: Vec<&str> = Vec::new();
        if mutants {
            rustflags.push("--cfg ferrolite_mutants");
        }
        match self {
            // Model, lincheck and the engine checkers share one optimised build.
            Checker::Model
            | Checker::Lincheck
            | Checker::Engine
            | Checker::EngineLin
            | Checker::Crash
            | Checker::Faults
            | Checker::Soak
            | Checker::Sql => Build {
                key: format!("std{suffix}"),
                miri: false,
                args: vec!["test", "--release", "-p", "ferrolite-verification"],
                rustflags: rustflags.join(" "),
                target_dir: format!("target/verify/std{suffix}"),
                tests: vec![
                    "model",
                    "lincheck",
                    "engine",
                    "engine_lin",
                    "crash",
                    "faults",
                    "soak",
                    "sql",
                    "outside",
                ],
                miri_isolation: true,
            },
            Checker::Loom => {
                rustflags.insert(0, "--cfg loom --cfg crossbeam_loom");
                Build {
                    key: format!("loom{suffix}"),
                    miri: false,
                    args: vec!["test", "--release", "-p", "ferrolite-verification"],
                    rustflags: rustflags.join(" "),
                    target_dir: format!("target/verify/loom{suffix}"),
                    tests: vec!["loom"],
                    miri_isolation: true,
                }
            }
            Checker::Shuttle | Checker::Progress => Build {
                key: format!("shuttle{suffix}"),
                miri: false,
                // Without the default `sql` feature: this build runs no `sql` cell, so it
                // need not compile SQLite and the SQL layer.
                args: vec![
                    "test",
                    "--release",
                    "-p",
                    "ferrolite-verification",
                    "--no-default-features",
                    "--features",
                    "shuttle",
                ],
                rustflags: rustflags.join(" "),
                target_dir: format!("target/verify/shuttle{suffix}"),
                tests: vec!["shuttle", "progress"],
                miri_isolation: true,
            },
            Checker::Miri => Build {
                key: format!("miri{suffix}"),
                miri: true,
                args: vec!["miri", "test", "-p", "ferrolite-structures", "--tests"],
                rustflags: rustflags.join(" "),
                target_dir: format!("target/verify/miri{suffix}"),
                tests: vec![],
                miri_isolation: true,
            },
            Checker::EngineMiri => Build {
                key: format!("miri-engine{suffix}"),
                miri: true,
                args: vec!["miri", "test", "-p", "ferrolite", "--test", "miri_parallel"],
                rustflags: rustflags.join(" "),
                target_dir: format!("target/verify/miri-engine{suffix}"),
                tests: vec![],
                // The engine writes its files in a temporary directory.
                miri_isolation: false,
            },
        }
    }

    /// Arguments after the build's that select `structure`'s cell.
    fn cell_args(self, structure: Map, mode: &str) -> Vec<String> {
        let structure = match structure {
            Map::Kind(k) => k,
            Map::Outside(o) => {
                return vec![
                    "--test=outside".into(),
                    "--".into(),
                    "--exact".into(),
                    format!("{}_{}", o.test, self.name().replace('-', "_")),
                    "--nocapture".into(),
                    "--test-threads=1".into(),
                ]
            }
        };
        match self {
            Checker::Miri => {
                // Quick mode: the first filter only (the unit tests, seconds); otherwise all
                // the structure's tests.
                let filters = miri_filters(structure);
                let take = if mode == "quick" { 1 } else { filters.len() };
                let mut v: Vec<String> = vec!["--".into()];
                v.extend(filters.into_iter().take(take));
                v.push("--test-threads=1".into());
                v
            }
            // The memtable comes from `FERROLITE_MEMTABLE` (`cell_env`).
            Checker::EngineMiri => vec!["--".into(), "--test-threads=1".into()],
            _ => vec![
                format!("--test={}", self.test_target().unwrap_or(self.name())),
                "--".into(),
                "--exact".into(),
                structure.name().into(),
                "--nocapture".into(),
                "--test-threads=1".into(),
            ],
        }
    }
    /// Environment variables that select `structure`'s cell, beside `cell_args`.
    fn cell_env(self, structure: Map) -> Vec<(&'static str, String)> {
        match (self, structure) {
            (Checker::EngineMiri, Map::Kind(k)) => {
                vec![("FERROLITE_MEMTABLE", k.name().to_string())]
            }
            _ => Vec::new(),
        }
    }
}

/// Test-name filters that select one structure's tests in `ferrolite-structures`: its unit
/// tests first (the registry's `unit_tests`), then its integration tests, generated in a
/// module named after its type (`tests/{model,stress,drop_leak,borrowed}.rs`).
fn miri_filters(structure: MapKind) -> Vec<String> {
    let info = structure.info();
    info.unit_tests
        .map(str::to_string)
        .into_iter()
        .chain([format!("{}::", info.type_name)])
        .collect()
}

/// A cargo build (and the test runs made from it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Build {
    /// Identifies the build (`loom-mutants`, …).
    pub key: String,
    /// Run through `cargo +nightly` (Miri).
    pub miri: bool,
    /// Cargo arguments up to the package.
    pub args: Vec<&'static str>,
    /// `RUSTFLAGS` for the build.
    pub rustflags: String,
    /// Its own target directory.
    pub target_dir: String,
    /// The test targets to build up front (`--test X` each; none: what `args` select).
    pub tests: Vec<&'static str>,
    /// Miri's isolation from the host (off for tests that use the file system).
    pub miri_isolation: bool,
}

/// A map outside the registry (another crate's), verified through the public path a
/// researcher's own map takes: `verification/tests/outside.rs` runs `ferrolite_verification::own`
/// on it, one test per checker it can run, named `<test>_<checker>`.
#[derive(Debug)]
pub struct Outside {
    /// Its name (`ConcurrentMap::name`), the row's label.
    pub name: &'static str,
    /// The prefix of its tests in `tests/outside.rs`.
    pub test: &'static str,
    /// The checkers it runs.
    pub runs: &'static [Checker],
    /// Why loom and shuttle cannot run it.
    pub no_models: &'static str,
}

/// The maps outside the registry that the matrix has rows for.
pub const OUTSIDE: [Outside; 1] = [Outside {
    name: "scc-treeindex",
    test: "scc_treeindex",
    runs: &[
        Checker::Model,
        Checker::Lincheck,
        Checker::Engine,
        Checker::EngineLin,
    ],
    no_models: "scc uses its own atomics and epochs, not the sync shim",
}];

impl Outside {
    /// Why `checker` does not run on this map, if it does not.
    fn skip_reason(&self, checker: Checker) -> Option<&'static str> {
        if self.runs.contains(&checker) {
            return None;
        }
        Some(match checker {
            Checker::Loom | Checker::Shuttle | Checker::Progress => self.no_models,
            Checker::Miri | Checker::EngineMiri => {
                "outside the registry: Miri runs the structures crate's own tests"
            }
            _ => "outside the registry: this checker runs over the registry's kinds only",
        })
    }
}

/// What a row runs on: a map of the registry, or one outside it.
#[derive(Clone, Copy, Debug)]
pub enum Map {
    /// A registry map.
    Kind(MapKind),
    /// A map of another crate ([`OUTSIDE`]).
    Outside(&'static Outside),
}

impl Map {
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Map::Kind(k) => k.name(),
            Map::Outside(o) => o.name,
        }
    }
}

/// A row of the matrix.
#[derive(Clone, Debug)]
pub struct Row {
    /// The structure it runs on.
    pub structure: Map,
    /// The seeded mutant, if this is a mutant row.
    pub mutant: Option<&'static Mutant>,
}

impl Row {
    /// The row as the matrix shows it.
    pub fn matrix(&self) -> ferrolite_matrix::Row {
        ferrolite_matrix::Row {
            structure: self.structure.name().to_string(),
            mutant: self.mutant.map(|m| ferrolite_matrix::RowMutant {
                name: m.name.to_string(),
                description: m.description.to_string(),
            }),
        }
    }

    pub fn label(&self) -> String {
        match self.mutant {
            Some(m) => format!("{} + {}", self.structure.name(), m.name),
            None => self.structure.name().to_string(),
        }
    }
}

/// The rows selected by `selected` (structure or mutant names; empty: all): each structure
/// named, then each mutant named or exercised on a structure named. A name that is neither a
/// structure nor a mutant is an error that lists the known names.
pub fn rows(selected: &[String], with_mutants: bool) -> Result<Vec<Row>, String> {
    let is_mutant = |s: &str| MUTANTS.iter().any(|m| m.name == s);
    let is_outside = |s: &str| OUTSIDE.iter().any(|o| o.name == s);
    if let Some(unknown) = selected
        .iter()
        .find(|s| s.parse::<MapKind>().is_err() && !is_mutant(s) && !is_outside(s))
    {
        let known: Vec<&str> = MapKind::ALL
            .iter()
            .map(|k| k.name())
            .chain(OUTSIDE.iter().map(|o| o.name))
            .chain(MUTANTS.iter().map(|m| m.name))
            .collect();
        return Err(format!(
            "unknown structure or mutant `{unknown}` (known: {})",
            known.join(", ")
        ));
    }
    let wanted =
        |k: MapKind| selected.is_empty() || selected.iter().any(|s| s.parse::<MapKind>() == Ok(k));
    let mut rows: Vec<Row> = MapKind::ALL
        .into_iter()
        .filter(|&k| wanted(k))
        .map(|structure| Row {
            structure: Map::Kind(structure),
            mutant: None,
        })
        .chain(
            OUTSIDE
                .iter()
                .filter(|o| selected.is_empty() || selected.iter().any(|s| s == o.name))
                .map(|o| Row {
                    structure: Map::Outside(o),
                    mutant: None,
                }),
        )
        .collect();
    if with_mutants {
        rows.extend(
            MUTANTS
                .iter()
                .filter(|m| wanted(m.structure) || selected.iter().any(|s| s == m.name))
                .map(|m| Row {
                    structure: Map::Kind(m.structure),
                    mutant: Some(m),
                }),
        );
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rows_come_from_the_registry_and_the_mutant_list() {
        let all = rows(&[], true).unwrap();
        assert_eq!(all.len(), MapKind::COUNT + OUTSIDE.len() + MUTANTS.len());
        assert!(all[..MapKind::COUNT].iter().all(|r| r.mutant.is_none()));
        let epoch = rows(&names(&["epoch"]), true).unwrap();
        assert_eq!(epoch[0].label(), "epoch");
        assert!(epoch[1..]
            .iter()
            .all(|r| matches!(r.structure, Map::Kind(MapKind::Epoch)) && r.mutant.is_some()));
        let one = rows(&names(&["skip_hazard_validation"]), true).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].label(), "hazard + skip_hazard_validation");
        assert!(rows(&names(&["hazard"]), false).unwrap().len() == 1);
    }

    #[test]
    fn an_unknown_name_is_an_error() {
        let err = rows(&names(&["epoch", "no-such-map"]), true).unwrap_err();
        assert!(err.contains("`no-such-map`"), "{err}");
        assert!(
            err.contains("mutex") && err.contains("relaxed_publish"),
            "{err}"
        );
    }

    #[test]
    fn skip_reasons_and_filters_come_from_the_registry() {
        for k in MapKind::ALL {
            let info = k.info();
            let kind = Map::Kind(k);
            assert_eq!(Checker::Loom.skip_reason(kind, None), info.loom.reason());
            assert_eq!(
                Checker::Shuttle.skip_reason(kind, None),
                info.shuttle.reason()
            );
            assert_eq!(Checker::Miri.skip_reason(kind, None), info.miri.reason());
            assert_eq!(Checker::Model.skip_reason(kind, None), None);
            assert_eq!(Checker::Engine.skip_reason(kind, None), None);
            let quick = Checker::Miri.cell_args(kind, "quick");
            let full = Checker::Miri.cell_args(kind, "default");
            assert_eq!(quick.len(), 3, "{quick:?}");
            assert!(full.contains(&format!("{}::", info.type_name)), "{full:?}");
            if let Some(unit) = info.unit_tests {
                assert_eq!(quick[1], unit);
            }
            let cell = Checker::Lincheck.cell_args(kind, "quick");
            assert!(cell.contains(&k.name().to_string()) && cell.contains(&"--exact".into()));
            assert!(Checker::EngineLin.is_engine());
            assert_eq!(Checker::EngineLin.skip_reason(kind, None), None);
            let cell = Checker::EngineLin.cell_args(kind, "quick");
            assert_eq!(cell[0], "--test=engine_lin", "{cell:?}");
        }
        assert!(Checker::Miri
            .skip_reason(Map::Kind(MapKind::Crossbeam), None)
            .is_some());
        assert!(Checker::Loom
            .skip_reason(Map::Kind(MapKind::Crossbeam), None)
            .is_some());
        assert_eq!(
            Checker::Loom.skip_reason(Map::Kind(MapKind::Hazard), None),
            None
        );
        // Engine columns run a mutant row exactly when the engine performs the operation the
        // mutant breaks, and otherwise name the operation it never performs.
        for m in MUTANTS {
            let why = Checker::Soak.skip_reason(Map::Kind(m.structure), Some(m));
            assert_eq!(why.is_none(), m.breaks.in_engine(), "{}", m.name);
            if let Some(why) = why {
                assert!(why.contains("never"), "{why}");
            }
        }
        assert!(MUTANTS.iter().any(|m| m.breaks.in_engine()));
    }

    #[test]
    fn outside_rows_run_their_tests_in_tests_outside() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../verification/tests/outside.rs"),
        )
        .unwrap();
        for o in &OUTSIDE {
            let row = rows(&names(&[o.name]), true).unwrap();
            assert_eq!(row.len(), 1);
            assert_eq!(row[0].label(), o.name);
            for c in CHECKERS {
                let skip = c.skip_reason(Map::Outside(o), None);
                assert_eq!(
                    skip.is_none(),
                    o.runs.contains(&c),
                    "{} × {}",
                    o.name,
                    c.name()
                );
                if skip.is_none() {
                    let args = c.cell_args(Map::Outside(o), "quick");
                    let test = &args[3];
                    assert!(
                        text.contains(&format!("fn {test}()")),
                        "{test} is not in tests/outside.rs"
                    );
                    assert!(c.build(false).tests.contains(&"outside"));
                }
            }
        }
    }
}
