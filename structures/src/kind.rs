//! Run-time names for every map, and a macro that instantiates generic code per map type.

use crate::{
    ConcurrentMap, CrossbeamSkipMap, EpochSkipList, HazardSkipList, MapKey, MapValue,
    MutexBTreeMap, MutexSkipList, NoReclaimSkipList,
};
use std::fmt;
use std::str::FromStr;

/// Every concurrent map of this crate, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MapKind {
    /// [`MutexSkipList`]: a sequential skip list behind one lock.
    Mutex,
    /// [`EpochSkipList`]: lock-free, `crossbeam-epoch` reclamation.
    Epoch,
    /// [`HazardSkipList`]: lock-free, `haphazard` hazard pointers.
    Hazard,
    /// [`NoReclaimSkipList`]: lock-free, arena, nothing freed before drop.
    NoReclaim,
    /// [`CrossbeamSkipMap`]: crossbeam-skiplist's `SkipMap` (reference).
    Crossbeam,
    /// [`MutexBTreeMap`]: `Mutex<BTreeMap>` (reference).
    BTree,
}

impl MapKind {
    /// Every kind, ours first, then the references.
    pub const ALL: [MapKind; 6] = [
        MapKind::Mutex,
        MapKind::Epoch,
        MapKind::Hazard,
        MapKind::NoReclaim,
        MapKind::Crossbeam,
        MapKind::BTree,
    ];

    /// The stable short name, as [`ConcurrentMap::name`] returns it.
    pub fn name(self) -> &'static str {
        match self {
            MapKind::Mutex => "mutex",
            MapKind::Epoch => "epoch",
            MapKind::Hazard => "hazard",
            MapKind::NoReclaim => "noreclaim",
            MapKind::Crossbeam => "crossbeam",
            MapKind::BTree => "btree",
        }
    }

    /// Whether this is one of the reference adapters rather than one of our skip lists.
    pub fn is_reference(self) -> bool {
        matches!(self, MapKind::Crossbeam | MapKind::BTree)
    }

    /// A new empty map of this kind.
    pub fn build<K: MapKey, V: MapValue>(self) -> Box<dyn ConcurrentMap<K, V>> {
        match self {
            MapKind::Mutex => Box::new(MutexSkipList::<K, V>::default()),
            MapKind::Epoch => Box::new(EpochSkipList::<K, V>::default()),
            MapKind::Hazard => Box::new(HazardSkipList::<K, V>::default()),
            MapKind::NoReclaim => Box::new(NoReclaimSkipList::<K, V>::default()),
            MapKind::Crossbeam => Box::new(CrossbeamSkipMap::<K, V>::default()),
            MapKind::BTree => Box::new(MutexBTreeMap::<K, V>::default()),
        }
    }
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
        let names: Vec<_> = MapKind::ALL.iter().map(|k| k.name()).collect();
        write!(
            f,
            "unknown map `{}` (expected one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownMapKind {}

impl FromStr for MapKind {
    type Err = UnknownMapKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MapKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownMapKind(s.to_string()))
    }
}

/// Instantiate generic code once per map type: `$m!(Type, ident, "name")` is invoked for each,
/// with `Type` a type name that takes `<K, V>` parameters and `ident` the map's name as an
/// identifier (to name generated test functions after the map — the verifier selects a matrix
/// cell with `--exact <name>`). **Registering a new map** is one line here and one in
/// [`for_each_map!`] (plus its [`MapKind`] entry): tests, checkers and benchmarks pick it up.
///
/// ```
/// macro_rules! check { ($t:ident, $id:ident, $name:literal) => {{
///     assert_eq!(stringify!($id), $name);
/// }}; }
/// ferrolite_structures::for_each_map_named!(check);
/// ```
#[macro_export]
macro_rules! for_each_map_named {
    ($m:ident) => {
        $m!(MutexSkipList, mutex, "mutex");
        $m!(EpochSkipList, epoch, "epoch");
        $m!(HazardSkipList, hazard, "hazard");
        $m!(NoReclaimSkipList, noreclaim, "noreclaim");
        $m!(CrossbeamSkipMap, crossbeam, "crossbeam");
        $m!(MutexBTreeMap, btree, "btree");
    };
}

/// Instantiate generic code once per map type: `$m!(Type, "name")` is invoked for each, with
/// `Type` a path that takes `<K, V>` parameters. Used by tests and benchmarks that want
/// static dispatch:
///
/// ```
/// macro_rules! check { ($t:ident, $name:literal) => {{
///     use ferrolite_structures::ConcurrentMap;
///     // crossbeam's global collector is a static that Miri reports as leaked.
///     if !(cfg!(miri) && $name == "crossbeam") {
///         let m = ferrolite_structures::$t::<u32, u32>::default();
///         assert_eq!(m.name(), $name);
///     }
/// }}; }
/// ferrolite_structures::for_each_map!(check);
/// ```
#[macro_export]
macro_rules! for_each_map {
    ($m:ident) => {
        $m!(MutexSkipList, "mutex");
        $m!(EpochSkipList, "epoch");
        $m!(HazardSkipList, "hazard");
        $m!(NoReclaimSkipList, "noreclaim");
        $m!(CrossbeamSkipMap, "crossbeam");
        $m!(MutexBTreeMap, "btree");
    };
}
