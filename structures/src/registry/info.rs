//! What the registry says about a map ([`MapInfo`], [`Support`]) and how generic code is called
//! for a map chosen at run time ([`MapVisitor`]).

use crate::map::{ConcurrentMap, MapKey, MapValue};

/// Whether a checker can run a map, and if not, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// It runs.
    Yes,
    /// It does not, for this reason (shown in the verification matrix).
    No(&'static str),
}

impl Support {
    /// Whether it runs.
    pub const fn is_yes(self) -> bool {
        matches!(self, Support::Yes)
    }

    /// Why it does not run, if it does not.
    pub const fn reason(self) -> Option<&'static str> {
        match self {
            Support::Yes => None,
            Support::No(why) => Some(why),
        }
    }
}

/// One row of the registry: a map's name and properties, as tools and checkers need them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapInfo {
    /// The stable short name (`"epoch"`): reports, command lines, test names.
    pub name: &'static str,
    /// The type's name in this crate (`"EpochSkipList"`); its integration tests live in a
    /// module of that name.
    pub type_name: &'static str,
    /// One line: what the map is.
    pub description: &'static str,
    /// How threads synchronise.
    pub synchronisation: &'static str,
    /// Lock-free (no thread ever waits for another): it should beat the mutex skip list
    /// under contention.
    pub lock_free: bool,
    /// How removed nodes and replaced values are reclaimed.
    pub reclamation: &'static str,
    /// A reference adapter (a yardstick), not one of our skip lists.
    pub reference: bool,
    /// Every result is linearizable even under same-key contention (see
    /// [`ConcurrentMap::linearizable`]).
    pub linearizable: bool,
    /// Its reclamation counters measure the retired-but-unfreed objects (see
    /// [`ConcurrentMap::counts_unreclaimed`]); false where a zero means *not measured*.
    pub counts_unreclaimed: bool,
    /// Dropping the map frees everything it held or retired (false when a global collector
    /// frees it later).
    pub frees_on_drop: bool,
    /// Runs under loom (`--cfg loom`): built on the sync shim.
    pub loom: Support,
    /// Runs under shuttle (feature `shuttle`): built on the sync shim.
    pub shuttle: Support,
    /// Runs under Miri.
    pub miri: Support,
    /// The libtest filter that selects its unit tests in this crate, if it has any (Miri's
    /// quick mode runs only those).
    pub unit_tests: Option<&'static str>,
}

/// Generic code to run on the map type a [`MapKind`](crate::MapKind) names, for keys `K` and
/// values `V`: [`MapKind::visit`](crate::MapKind::visit) calls [`visit`](Self::visit) with that
/// type, so a choice made at run time ends in statically dispatched code.
///
/// ```
/// use ferrolite_structures::{ConcurrentMap, MapKind, MapVisitor};
///
/// /// Fills a fresh map of the visited type and counts it.
/// struct CountAfterFill(u64);
///
/// impl MapVisitor<u64, u64> for CountAfterFill {
///     type Output = usize;
///     fn visit<M: ConcurrentMap<u64, u64> + Default + 'static>(self) -> usize {
///         let map = M::default();
///         (0..self.0).for_each(|k| {
///             map.insert(k, k);
///         });
///         map.len()
///     }
/// }
///
/// assert_eq!(MapKind::Hazard.visit(CountAfterFill(10)), 10);
/// ```
pub trait MapVisitor<K: MapKey, V: MapValue> {
    /// What the visit returns.
    type Output;

    /// Runs with `M`, the visited kind's map type.
    fn visit<M: ConcurrentMap<K, V> + Default + 'static>(self) -> Self::Output;
}
