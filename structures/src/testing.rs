//! Test hooks, for the verifier and the benchmarks only: the list of seeded bugs
//! ([`MUTANTS`]), a reader that stalls inside a `get` ([`StallInGet`]) and the use-after-free
//! detector ([`quarantine_freed`]).
//!
//! Not part of the normal API: this module exists only with the cargo feature `testing`
//! (`ferrolite-verification`, `ferrolite-benches` and `xtask` enable it) and in this crate's
//! own tests. The mutated code itself is compiled only under `--cfg ferrolite_mutants`
//! (see `mutant.rs`); the list is here in every `testing` build so that tools can enumerate
//! it.

use crate::MapKind;

/// A seeded bug: a realistic lock-free mistake that `cargo xtask verify` must catch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mutant {
    /// Its name, as `FERROLITE_MUTANT` takes it.
    pub name: &'static str,
    /// What the bug is.
    pub description: &'static str,
    /// The map it is exercised on (its row in the verification matrix).
    pub structure: MapKind,
    /// The map operation whose code it breaks: whether a user of the map that never performs
    /// that operation (the engine's memtable only inserts) can see it.
    pub breaks: MapOp,
}

/// A map operation, as far as a seeded bug is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapOp {
    /// `insert` of a new key (concurrent inserters, readers of a fresh node).
    Insert,
    /// `insert` over an existing key (replacing its value).
    Replace,
    /// `remove`, and inserts or reads racing a remove (marks, unlinking, reclamation).
    Remove,
}

impl MapOp {
    /// Whether the engine's memtables perform it: they only insert new keys (every internal
    /// key carries its own sequence number), never replace or remove before the whole
    /// memtable is dropped.
    pub fn in_engine(self) -> bool {
        self == MapOp::Insert
    }

    /// What the engine never does, for a skip reason.
    pub fn engine_never(self) -> Option<&'static str> {
        match self {
            MapOp::Insert => None,
            MapOp::Replace => Some(
                "the engine never replaces a memtable entry (each write has its own internal key)",
            ),
            MapOp::Remove => Some(
                "the engine never removes from a memtable (no marks, no unlinking, nothing \
                 reclaimed before the memtable is dropped)",
            ),
        }
    }
}

/// Every seeded bug.
pub const MUTANTS: &[Mutant] = &[
    Mutant {
        name: "relaxed_publish",
        description: "the level-0 CAS that publishes a new node is Relaxed instead of Release",
        structure: MapKind::Epoch,
        breaks: MapOp::Insert,
    },
    Mutant {
        name: "insert_blind_link",
        description: "insert links the new node at level 0 with a plain store instead of a CAS: \
                      a node another inserter linked after the same predecessor is lost",
        structure: MapKind::Epoch,
        breaks: MapOp::Insert,
    },
    Mutant {
        name: "insert_waits_for_remover",
        description: "an insert that finds its key being removed (value taken, tower not yet \
                      marked) spins until the remover marks it instead of marking it itself: \
                      correct answers, but not lock-free — a remover stopped there stops it",
        structure: MapKind::Epoch,
        breaks: MapOp::Remove,
    },
    Mutant {
        name: "insert_ignores_mark",
        description: "an inserter overwrites its tower slot with a plain store, erasing a \
                      remover's mark, and never re-checks the mark after linking a level",
        structure: MapKind::Epoch,
        breaks: MapOp::Remove,
    },
    Mutant {
        name: "free_before_unlink",
        description: "remove frees the node right after marking it, before unlinking it and \
                      without going through the reclamation scheme",
        structure: MapKind::Epoch,
        breaks: MapOp::Remove,
    },
    Mutant {
        name: "skip_hazard_validation",
        description: "a hazard pointer is published but the source is not re-read to validate it",
        structure: MapKind::Hazard,
        breaks: MapOp::Remove,
    },
    Mutant {
        name: "replace_frees_immediately",
        description: "replace frees the old value at once instead of retiring it",
        structure: MapKind::Hazard,
        breaks: MapOp::Replace,
    },
    Mutant {
        name: "remove_blind_store",
        description: "remove reads the value and then stores null (no CAS): two removes can both \
                      succeed",
        structure: MapKind::Epoch,
        breaks: MapOp::Remove,
    },
    Mutant {
        name: "replace_blind_store",
        description: "replace stores the new value without a CAS, resurrecting a key that a \
                      concurrent remove deleted",
        structure: MapKind::NoReclaim,
        breaks: MapOp::Replace,
    },
];

/// Whether this build contains the mutants (`--cfg ferrolite_mutants`).
pub const MUTANTS_COMPILED_IN: bool = cfg!(ferrolite_mutants);

/// The mutant that `FERROLITE_MUTANT` names, if the variable is set (and not empty).
///
/// # Panics
///
/// If the variable names no mutant of [`MUTANTS`]: a misspelt mutant would otherwise run the
/// correct code and look like a bug no checker can catch.
pub fn active_mutant() -> Option<&'static Mutant> {
    let name = std::env::var("FERROLITE_MUTANT")
        .ok()
        .filter(|s| !s.is_empty())?;
    let found = MUTANTS.iter().find(|m| m.name == name);
    Some(found.unwrap_or_else(|| {
        let known: Vec<_> = MUTANTS.iter().map(|m| m.name).collect();
        panic!(
            "FERROLITE_MUTANT={name} is not a known mutant (known: {})",
            known.join(", ")
        )
    }))
}

pub use crate::lockfree::StallInGet;

/// Switches the checkers' use-after-free detector on or off for the whole process: while on,
/// a node freed by its map's reclamation scheme is *quarantined* — what it owns is dropped, its
/// memory kept with poisoned links — and the hazard scheme reclaims at every retirement and
/// fails any `protect` that would hand out a freed node ("use after free"). Nodes freed while
/// it is on are never given back to the allocator: for tests only. See `quarantine.rs`.
pub fn quarantine_freed(on: bool) {
    crate::quarantine::set(on);
}

/// How many nodes the use-after-free detector holds in quarantine.
pub fn quarantined() -> usize {
    crate::quarantine::count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every listed mutant has its `mutant!` site, and every site is listed.
    #[test]
    fn the_list_matches_the_hooks() {
        let sources = [
            include_str!("lockfree/raw.rs"),
            include_str!("lockfree/read.rs"),
            include_str!("reclaim/hazard.rs"),
        ]
        .concat();
        let sites: Vec<&str> = sources
            .split("mutant!(")
            .skip(1)
            .filter_map(|after| after.trim_start().strip_prefix('"'))
            .filter_map(|s| s.split('"').next())
            .collect();
        let mut listed: Vec<&str> = MUTANTS.iter().map(|m| m.name).collect();
        let mut hooked = sites.clone();
        listed.sort_unstable();
        hooked.sort_unstable();
        assert_eq!(listed, hooked);
        assert!(MUTANTS.iter().all(|m| !m.structure.is_reference()));
    }
}
