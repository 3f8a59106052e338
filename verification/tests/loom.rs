//! # Exhaustive interleavings under loom
//!
//! One test per structure the registry lets loom run, named after it: a matrix cell. What
//! the models do, the budget and the statistics: `ferrolite_verification::loom_check` (its module
//! documentation), which a map of your own can run too.

#![cfg(loom)]

/// One test per map the registry says runs under loom, named after it.
macro_rules! loom_cell {
    ($t:ident, $id:ident, $name:literal) => {
        #[test]
        fn $id() {
            ferrolite_verification::loom_check::run_all::<ferrolite_structures::$t<u8, u8>>(
                $name,
                ferrolite_verification::Mode::from_env(),
            );
        }
    };
}

ferrolite_structures::for_each_map_named!(loom_cell, loom);
