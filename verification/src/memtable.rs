//! Which memtable an engine checker runs over: a built-in [`MapKind`] or a map of the user's
//! own, through the engine's public [`MemtableFactory`] (`Options::memtable_map`).

use bytes::Bytes;
use ferrolite::structures::ConcurrentMap;
use ferrolite::{MapKind, MemKey, MemtableFactory, Options};
use std::fmt;

/// The memtable of the databases an engine checker opens.
#[derive(Clone, Debug)]
pub enum Memtable {
    /// A map of the structures' registry (`Options::memtable(kind)`).
    Kind(MapKind),
    /// Any map, from any crate (`Options::memtable_map::<M>()`).
    Own(MemtableFactory),
}

impl Memtable {
    /// Memtables over `M`, a map defined anywhere.
    pub fn own<M: ConcurrentMap<MemKey, Bytes> + Default + 'static>() -> Memtable {
        Memtable::Own(MemtableFactory::of::<M>())
    }

    /// The map's name (`ConcurrentMap::name`), as the engine's stats report it.
    pub fn name(&self) -> &'static str {
        match self {
            Memtable::Kind(k) => k.name(),
            Memtable::Own(f) => f.name(),
        }
    }

    /// `options` with this memtable.
    pub fn apply(&self, options: Options) -> Options {
        match self {
            Memtable::Kind(k) => options.memtable(*k),
            Memtable::Own(f) => {
                let mut o = options;
                o.memtable_factory = Some(f.clone());
                o
            }
        }
    }

    /// The builder call that selects it, for a reproduction: `.memtable(MapKind::Epoch)`, or
    /// `.memtable_map::<…>()` naming the user's map.
    pub fn builder_call(&self) -> String {
        match self {
            Memtable::Kind(k) => format!(".memtable(MapKind::{k:?})"),
            Memtable::Own(f) => format!(".memtable_map::<your map `{}`>()", f.name()),
        }
    }
}

impl From<MapKind> for Memtable {
    fn from(k: MapKind) -> Memtable {
        Memtable::Kind(k)
    }
}

impl fmt::Display for Memtable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
