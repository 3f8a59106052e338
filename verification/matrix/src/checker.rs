//! The matrix's columns: the checkers.

/// A checker: a column of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checker {
    /// proptest sequences against a `BTreeMap` (`verification/tests/model.rs`).
    Model,
    /// loom, exhaustive within a preemption bound (`verification/tests/loom.rs`).
    Loom,
    /// shuttle, random and PCT schedules (`verification/tests/shuttle.rs`).
    Shuttle,
    /// linearizability of recorded histories (`verification/tests/lincheck.rs`).
    Lincheck,
    /// the LSM engine over the structure as its memtable, proptest sequences against a
    /// `BTreeMap` (`verification/tests/engine.rs`).
    Engine,
    /// the LSM engine over the structure as its memtable, several threads on shared keys
    /// (flushes and compactions underneath), histories checked for linearizability per key
    /// (`verification/tests/engine_lin.rs`).
    EngineLin,
    /// the crash tests: a child process writing through the engine over the structure is
    /// killed at random moments and at the engine's kill points, and the power is cut under
    /// the engine (`PowerCutFs`); every recovery is checked (`verification/tests/crash.rs`).
    Crash,
    /// fault injection, damaged files and bad input on the engine over the structure: failing
    /// file operations through the file port, WAL cuts and bit flips, every rejected input
    /// (`verification/tests/faults.rs`).
    Faults,
    /// the soak: 8 threads of mixed operations on the engine over the structure for a bounded
    /// time, a full check and the peak RSS (`verification/tests/soak.rs`).
    Soak,
    /// the SQL layer over the engine over the structure as its memtable, checked against
    /// SQLite: random schemas, statements and queries, every result compared, and the seeded
    /// wrong plan caught (`verification/tests/sql.rs`, `ferrolite-sql-difftest`).
    Sql,
    /// a thread paused forever in the middle of an operation, at every step within a bound,
    /// under shuttle: the other threads must still finish (`verification/tests/progress.rs`);
    /// a blocking map is expected to be blocked.
    Progress,
    /// the structures' own tests under Miri.
    Miri,
    /// the engine under Miri over the structure as its memtable: writers inserting their own
    /// batches in parallel while a reader searches the memtable (`engine/tests/
    /// miri_parallel.rs`) — what a weak-memory bug of `insert` does inside the engine.
    EngineMiri,
}

/// Every checker, in column order.
pub const CHECKERS: [Checker; 13] = [
    Checker::Model,
    Checker::Loom,
    Checker::Shuttle,
    Checker::Lincheck,
    Checker::Progress,
    Checker::Engine,
    Checker::EngineLin,
    Checker::Crash,
    Checker::Faults,
    Checker::Soak,
    Checker::Sql,
    Checker::Miri,
    Checker::EngineMiri,
];

impl Checker {
    /// Its name: the column's heading and the `--checker` argument.
    pub fn name(self) -> &'static str {
        match self {
            Checker::Model => "model",
            Checker::Loom => "loom",
            Checker::Shuttle => "shuttle",
            Checker::Lincheck => "lincheck",
            Checker::Engine => "engine",
            Checker::EngineLin => "engine-lin",
            Checker::Crash => "crash",
            Checker::Faults => "faults",
            Checker::Soak => "soak",
            Checker::Sql => "sql",
            Checker::Progress => "progress",
            Checker::Miri => "miri",
            Checker::EngineMiri => "engine-miri",
        }
    }

    /// The checker named `s`.
    pub fn parse(s: &str) -> Option<Checker> {
        CHECKERS.into_iter().find(|c| c.name() == s)
    }

    /// The stat that best says how much a cell explored, shown in the matrix.
    pub fn headline_stat(self) -> &'static str {
        match self {
            Checker::Model => "cases",
            Checker::Loom => "executions",
            Checker::Shuttle => "schedules",
            Checker::Lincheck => "histories",
            Checker::Engine => "cases",
            Checker::EngineLin => "histories",
            Checker::Crash => "cycles",
            Checker::Faults => "faults_injected",
            Checker::Soak => "soak_ops",
            Checker::Sql => "statements",
            Checker::Progress => "paused",
            Checker::Miri | Checker::EngineMiri => "tests",
        }
    }

    /// Further stats shown per row in the report's details section (the engine checkers',
    /// whose single headline number says little).
    pub fn detail_stats(self) -> &'static [&'static str] {
        match self {
            Checker::Crash => &[
                "cycles",
                "acked_batches",
                "kill_point_crashes",
                "timer_kills",
                "keys_checked",
                "power_cuts",
                "power_acked_batches",
                "lost_unsynced_bytes",
                "files_vanished",
                "removals_undone",
                "zero_fill_repairs",
            ],
            Checker::Faults => &[
                "faults_injected",
                "fault_points",
                "reopens_checked",
                "cuts",
                "bit_flips",
                "corruption_detected",
                "recovered_ok",
                "missing_tables",
                "extra_tables",
                "wal_mode_trials",
                "bad_inputs",
            ],
            Checker::EngineLin => &[
                "histories",
                "calls",
                "ops",
                "concurrent_calls",
                "batches",
                "scans",
                "flushes",
                "compactions",
                "reopens",
            ],
            Checker::Soak => &[
                "soak_ops",
                "flushes",
                "compactions",
                "keys_checked",
                "peak_rss_kib",
                "rss_growth_kib",
            ],
            Checker::Sql => &[
                "statements",
                "queries",
                "scripts",
                "mismatches",
                "flushes",
                "compactions",
                "mutant_caught_after",
            ],
            _ => &[],
        }
    }

    /// Whether this checker runs the engine over the structure as its memtable.
    pub fn is_engine(self) -> bool {
        matches!(
            self,
            Checker::Engine
                | Checker::EngineLin
                | Checker::Crash
                | Checker::Faults
                | Checker::Soak
                | Checker::Sql
                | Checker::EngineMiri
        )
    }
}
