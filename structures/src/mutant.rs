//! Seeded bugs: realistic lock-free mistakes that `cargo xtask verify` must catch.
//!
//! Each mutant is a real alternative code path in the structures, compiled **only** under
//! `--cfg ferrolite_mutants` (never in normal builds: the [`mutant!`] macro expands to the
//! correct code alone otherwise). A mutant build contains every mutant; the one that runs is
//! chosen at start-up by the environment variable `FERROLITE_MUTANT` (its [`Mutant::name`]), so
//! one extra build per checker covers them all. With the variable unset, a mutant build runs
//! the correct code.
//!
//! The list is public in every build so that tools can enumerate it.

/// A seeded bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mutant {
    /// Its name, as `FERROLITE_MUTANT` takes it.
    pub name: &'static str,
    /// What the bug is.
    pub description: &'static str,
    /// The map it is exercised on (its row in the verification matrix).
    pub structure: &'static str,
}

/// Every seeded bug.
pub const ALL: &[Mutant] = &[
    Mutant {
        name: "relaxed_publish",
        description: "the level-0 CAS that publishes a new node is Relaxed instead of Release",
        structure: "epoch",
    },
    Mutant {
        name: "insert_ignores_mark",
        description: "an inserter overwrites its tower slot with a plain store, erasing a \
                      remover's mark, and never re-checks the mark after linking a level",
        structure: "epoch",
    },
    Mutant {
        name: "free_before_unlink",
        description: "remove frees the node right after marking it, before unlinking it and \
                      without going through the reclamation scheme",
        structure: "epoch",
    },
    Mutant {
        name: "skip_hazard_validation",
        description: "a hazard pointer is published but the source is not re-read to validate it",
        structure: "hazard",
    },
    Mutant {
        name: "replace_frees_immediately",
        description: "replace frees the old value at once instead of retiring it",
        structure: "hazard",
    },
    Mutant {
        name: "remove_blind_store",
        description: "remove reads the value and then stores null (no CAS): two removes can both \
                      succeed",
        structure: "epoch",
    },
    Mutant {
        name: "replace_blind_store",
        description: "replace stores the new value without a CAS, resurrecting a key that a \
                      concurrent remove deleted",
        structure: "noreclaim",
    },
];

/// The mutant named by `FERROLITE_MUTANT`, read once (mutant builds only).
#[cfg(ferrolite_mutants)]
pub(crate) fn active(name: &str) -> bool {
    static ACTIVE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let active = ACTIVE.get_or_init(|| {
        let chosen = std::env::var("FERROLITE_MUTANT")
            .ok()
            .filter(|s| !s.is_empty());
        if let Some(c) = &chosen {
            assert!(
                ALL.iter().any(|m| m.name == c),
                "FERROLITE_MUTANT={c} is not a known mutant"
            );
        }
        chosen
    });
    active.as_deref() == Some(name)
}

/// Whether this build contains the mutants (`--cfg ferrolite_mutants`).
pub const COMPILED_IN: bool = cfg!(ferrolite_mutants);

/// `mutant!(name, { mutated code }, { correct code })`: the mutated code exists only in mutant
/// builds and runs only when `FERROLITE_MUTANT=name`.
macro_rules! mutant {
    ($name:literal, $bad:block, $good:block) => {{
        #[cfg(ferrolite_mutants)]
        {
            if $crate::mutant::active($name) {
                $bad
            } else {
                $good
            }
        }
        #[cfg(not(ferrolite_mutants))]
        {
            $good
        }
    }};
}
pub(crate) use mutant;
