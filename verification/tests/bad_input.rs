//! Bad input and misuse, one matrix cell per memtable kind:
//! `cargo test --release -p ferrolite-verification --test bad_input -- --exact epoch`.
//!
//! Every case asserts the exact `ferrolite::Error` variant and that the database still works;
//! the lock case spawns the `lock-holder` binary (another process). Budget from
//! `FERROLITE_VERIFY_MODE` (quick when unset). See `ferrolite_verification::bad_input`.
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

fn run(kind: ferrolite_structures::MapKind) {
    ferrolite_verification::bad_input::run(
        kind,
        ferrolite_verification::Mode::from_env_or_quick(),
        std::path::Path::new(env!("CARGO_BIN_EXE_lock-holder")),
    );
}

ferrolite_verification::cell_tests!(run);
