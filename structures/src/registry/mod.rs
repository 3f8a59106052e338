//! The registry: **the one table of maps**. Everything that lists maps is generated from it.
//!
//! Each entry names a map — its [`MapKind`] variant, its type, its name as an identifier and as
//! a string — and its properties ([`MapInfo`]): what it is, how it synchronises and reclaims,
//! whether it is a reference (a yardstick, not ours), whether its results are linearizable
//! under same-key contention, whether its reclamation counters are a measurement, whether
//! dropping it frees everything, and which checkers can run
//! it (loom and shuttle need the sync shim; Miri must not report UB in a dependency), with the
//! reason when one cannot. From the table come the enum and [`MapKind::ALL`], the run-time
//! dispatch [`MapKind::visit`], the exported [`for_each_map!`](crate::for_each_map) and
//! [`for_each_map_named!`](crate::for_each_map_named) (and their per-checker filters), and
//! through them the verification matrix (`cargo xtask verify` rows and skip reasons), the
//! test cells, the benchmarks' rows and the engine's memtable choice.
//!
//! **Adding a map** is its implementation (a type `Name<K, V>: ConcurrentMap<K, V> + Default`
//! re-exported from `lib.rs`) and one entry here; the tests below check that the entry and
//! the type agree (`name()`, `linearizable()`, `counts_unreclaimed()`, `lock_free()`).

mod generate;
mod info;

pub use info::{MapInfo, MapVisitor, Support};

use generate::{registry, support};
use std::fmt;
use std::str::FromStr;

registry! { $
    /// [`MutexSkipList`](crate::MutexSkipList): a sequential skip list behind one lock.
    Mutex => MutexSkipList, mutex, "mutex" {
        description: "our skip list run sequentially behind one lock: the lock-free lists' baseline",
        synchronisation: "one lock around a sequential skip list",
        lock_free: false,
        reclamation: "immediate (under the lock)",
        reference: false,
        linearizable: true,
        counts_unreclaimed: true,
        frees_on_drop: true,
        loom: yes,
        shuttle: yes,
        miri: yes,
        unit_tests: Some("mutex::tests::"),
    }
    /// [`EpochSkipList`](crate::EpochSkipList): lock-free, `crossbeam-epoch` reclamation.
    Epoch => EpochSkipList, epoch, "epoch" {
        description: "lock-free skip list (Fraser/Harris) reclaimed by epochs",
        synchronisation: "lock-free: CAS on marked pointers",
        lock_free: true,
        reclamation: "crossbeam-epoch, one collector per map",
        reference: false,
        linearizable: true,
        counts_unreclaimed: true,
        frees_on_drop: true,
        loom: yes,
        shuttle: yes,
        miri: yes,
        unit_tests: Some("lockfree::tests::epoch::"),
    }
    /// [`HazardSkipList`](crate::HazardSkipList): lock-free, `haphazard` hazard pointers.
    Hazard => HazardSkipList, hazard, "hazard" {
        description: "the same lock-free skip list, Michael's search, reclaimed by hazard pointers",
        synchronisation: "lock-free: CAS on marked pointers, protect-and-validate on every hop",
        lock_free: true,
        reclamation: "haphazard hazard pointers, two domains per map",
        reference: false,
        linearizable: true,
        counts_unreclaimed: true,
        frees_on_drop: true,
        loom: yes,
        shuttle: yes,
        miri: yes,
        unit_tests: Some("lockfree::tests::hazard::"),
    }
    /// [`NoReclaimSkipList`](crate::NoReclaimSkipList): lock-free, arena, nothing freed before
    /// drop.
    NoReclaim => NoReclaimSkipList, noreclaim, "noreclaim" {
        description: "the same lock-free skip list with no reclamation: what reclamation costs",
        synchronisation: "lock-free: CAS on marked pointers",
        lock_free: true,
        reclamation: "none before drop (per-thread arenas)",
        reference: false,
        linearizable: true,
        counts_unreclaimed: true,
        frees_on_drop: true,
        loom: yes,
        shuttle: yes,
        miri: yes,
        unit_tests: Some("lockfree::tests::noreclaim::"),
    }
    /// [`SeizeSkipList`](crate::SeizeSkipList): lock-free, `seize` reclamation (reference-counted
    /// batches).
    Seize => SeizeSkipList, seize, "seize" {
        description: "the same lock-free skip list (Harris reads) reclaimed by seize's reference-counted batches",
        synchronisation: "lock-free: CAS on marked pointers (but a thread's first operation, and its exit, take seize's global thread-id mutex)",
        lock_free: true,
        reclamation: "seize (Hyaline-1 reference-counted batches), one collector per map",
        reference: false,
        linearizable: true,
        counts_unreclaimed: true,
        frees_on_drop: true,
        loom: no("seize is not loom-aware (std atomics, fences and thread-locals): loom cannot see the happens-before edges that order a batch's free after its readers, and reports the free as a causality violation"),
        shuttle: no("seize keeps its per-thread state in OS-thread thread-locals and shuttle runs every thread on one: they share one seize reservation, so nothing is freed while any of them is inside an operation, and a pass would not check seize's reclamation"),
        miri: yes,
        unit_tests: Some("lockfree::tests::seize::"),
    }
    /// [`CrossbeamSkipMap`](crate::CrossbeamSkipMap): crossbeam-skiplist's `SkipMap`
    /// (reference).
    Crossbeam => CrossbeamSkipMap, crossbeam, "crossbeam" {
        description: "crossbeam-skiplist's SkipMap: the lock-free yardstick",
        synchronisation: "lock-free (crossbeam-skiplist)",
        lock_free: true,
        reclamation: "crossbeam-epoch, the global collector",
        reference: true,
        linearizable: false,
        counts_unreclaimed: false,
        frees_on_drop: false,
        loom: no("reference map, not built on the sync shim (crossbeam's global collector)"),
        shuttle: no("reference map, not built on the sync shim"),
        miri: no("Miri reports UB inside crossbeam-epoch/crossbeam-skiplist"),
        unit_tests: None,
    }
    /// [`MutexBTreeMap`](crate::MutexBTreeMap): `Mutex<BTreeMap>` (reference).
    BTree => MutexBTreeMap, btree, "btree" {
        description: "std's BTreeMap behind a Mutex: the sequential floor",
        synchronisation: "one lock (the sync shim's: std's in a normal build) around a B-tree",
        lock_free: false,
        reclamation: "immediate",
        reference: true,
        linearizable: true,
        counts_unreclaimed: true,
        frees_on_drop: true,
        loom: yes,
        shuttle: yes,
        miri: yes,
        unit_tests: None,
    }
}

impl MapKind {
    /// This kind's row of the registry.
    pub const fn info(self) -> &'static MapInfo {
        &TABLE[self as usize]
    }

    /// The stable short name, as [`ConcurrentMap::name`](crate::ConcurrentMap::name) returns
    /// it.
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// Whether this is one of the reference adapters rather than one of our skip lists.
    pub const fn is_reference(self) -> bool {
        self.info().reference
    }

    /// Every kind's name, in registry order (a constant, for tables and orderings).
    pub const NAMES: [&'static str; MapKind::COUNT] = {
        let mut names = [""; MapKind::COUNT];
        let mut i = 0;
        while i < MapKind::COUNT {
            names[i] = MapKind::ALL[i].name();
            i += 1;
        }
        names
    };
}

impl fmt::Display for MapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// An unknown map name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMapKind(pub String);

impl fmt::Display for UnknownMapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown map `{}` (expected one of: {})",
            self.0,
            MapKind::NAMES.join(", ")
        )
    }
}

impl std::error::Error for UnknownMapKind {}

impl FromStr for MapKind {
    type Err = UnknownMapKind;

    /// A kind by its name, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MapKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownMapKind(s.to_string()))
    }
}

// After the table: the tests use the macros it generates, which are in textual scope only from
// here on.
#[cfg(test)]
mod tests;
