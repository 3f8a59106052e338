//! # Randomized and PCT schedules under shuttle
//!
//! One test per structure the registry lets shuttle run, named after it: a matrix cell. What
//! the models do, the budget and the statistics: `ferrolite_verification::shuttle_check` (its module
//! documentation), which a map of your own can run too.

#![cfg(feature = "shuttle")]

/// One test per map the registry says runs under shuttle, named after it.
macro_rules! shuttle_cell {
    ($t:ident, $id:ident, $name:literal) => {
        #[test]
        fn $id() {
            ferrolite_verification::shuttle_check::run_all::<ferrolite_structures::$t<u8, u32>>(
                $name,
                ferrolite_verification::Mode::from_env(),
            );
        }
    };
}

ferrolite_structures::for_each_map_named!(shuttle_cell, shuttle);
