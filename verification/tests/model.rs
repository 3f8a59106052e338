//! The proptest reference-model checker, one matrix cell per structure:
//! `cargo test -p ferrolite-verification --test model -- --exact epoch`.
//!
//! Budget from `FERROLITE_VERIFY_MODE` (quick 200, default 2 000, full 20 000 cases); seed from
//! `FERROLITE_MODEL_SEED` (printed on failure); prints `VERIFY-STAT cases`/`ops` lines (see them
//! with `--nocapture`). On failure the test panics with the shrunk operation sequence. See
//! `ferrolite_verification::model`.
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

ferrolite_verification::cell_tests!(ferrolite_verification::model::run_cell);
