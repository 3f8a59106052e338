//! The crash test, one matrix cell per memtable kind:
//! `cargo test --release -p ferrolite-verification --test crash -- --exact epoch --nocapture`.
//!
//! A child process (`crash-child`) writes through the engine and dies by `SIGKILL` at random
//! moments and at the engine's kill points; every recovery must hold every acknowledged batch,
//! no half batch, and a prefix of each writer's commits. Budget from `FERROLITE_VERIFY_MODE`
//! (quick 36, default 150, full 900 cycles per kind; `FERROLITE_CRASH_CYCLES` overrides), seed
//! from `FERROLITE_CRASH_SEED`. See `ferrolite_verification::crash`.
#![cfg(not(any(loom, feature = "shuttle")))]

use std::path::Path;

use ferrolite_structures::MapKind;
use ferrolite_verification::{crash, Mode};

fn cell(kind: MapKind) {
    let mode = Mode::from_env_or_quick();
    let r = crash::run(kind, mode, Path::new(env!("CARGO_BIN_EXE_crash-child")));
    assert!(r.cycles > 0);
}

ferrolite_verification::cell_tests!(cell);

/// Every batch a writer generates ends with its marker, and the generator is deterministic.
#[test]
fn batches_are_deterministic_and_end_with_the_marker() {
    for w in 0..crash::WRITERS {
        for i in [0u64, 1, 17, 100_000] {
            let a = crash::batch_ops(7, w, i);
            assert_eq!(a, crash::batch_ops(7, w, i));
            assert_ne!(a, crash::batch_ops(8, w, i));
            assert_eq!(
                a.last(),
                Some(&crash::Op::Put(crash::marker(w), i.to_be_bytes().to_vec()))
            );
            assert!(a.len() >= 2 && a.len() <= 7);
        }
    }
}
