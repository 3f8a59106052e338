//! Damaged files, one matrix cell per memtable kind:
//! `cargo test --release -p ferrolite-verification --test corrupt -- --exact epoch`.
//!
//! WAL cuts at every byte offset of the last records, one flipped bit per trial in every region
//! of every file (WAL, tables' data/filter/index/footer, manifest, `CURRENT`), missing and
//! extra tables; budget from `FERROLITE_VERIFY_MODE` (quick when unset). See `ferrolite_verification::corrupt`.
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

fn run(kind: ferrolite_structures::MapKind) {
    ferrolite_verification::corrupt::run(kind, ferrolite_verification::Mode::from_env_or_quick());
}

ferrolite_verification::cell_tests!(run);
