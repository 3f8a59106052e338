//! The hook behind the seeded bugs: `mutant!(name, { mutated code }, { correct code })`.
//!
//! Each mutant is a real alternative code path in the structures, compiled **only** under
//! `--cfg ferrolite_mutants` (never in normal builds: the [`mutant!`] macro expands to the
//! correct code alone otherwise). A mutant build contains every mutant; the one that runs is
//! chosen at start-up by the environment variable `FERROLITE_MUTANT`, so one extra build per
//! checker covers them all. With the variable unset, a mutant build runs the correct code.
//!
//! The list of mutants — what each one breaks and the map it is exercised on — is a test hook:
//! `testing::MUTANTS` (feature `testing`), which also checks the variable's value.

/// Whether `FERROLITE_MUTANT` names `name` (read once; mutant builds only).
#[cfg(ferrolite_mutants)]
pub(crate) fn active(name: &str) -> bool {
    static ACTIVE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let active = ACTIVE.get_or_init(|| {
        std::env::var("FERROLITE_MUTANT")
            .ok()
            .filter(|s| !s.is_empty())
    });
    active.as_deref() == Some(name)
}

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
