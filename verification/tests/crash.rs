//! The crash tests — the `crash` column of `cargo xtask verify` — one matrix cell per memtable
//! kind: `cargo test --release -p ferrolite-verification --test crash -- --exact epoch --nocapture`.
//!
//! A cell runs two tests on that memtable kind:
//!
//! **Process crashes** (`crash`).
//! A child process (`crash-child`) writes through the engine and dies by `SIGKILL` at random
//! moments and at the engine's kill points; every recovery must hold every acknowledged batch,
//! no half batch, and a prefix of each writer's commits. Budget from `FERROLITE_VERIFY_MODE`
//! (quick 36, default 150, full 900 cycles per kind; `FERROLITE_CRASH_CYCLES` overrides), seed
//! from `FERROLITE_CRASH_SEED`. See `ferrolite_verification::crash`.
//!
//! **Power cuts** (`powercut`). The engine runs on a `ferrolite::powercut::PowerCutFs`; the
//! power is cut at random moments (while writing, flushing, compacting, or opening), which
//! loses unsynced file data (or tears it) and undoes unsynced creations, renames and removals;
//! every reopen must hold every batch acknowledged under a syncing policy, no half batch, and a
//! prefix of each writer's commits. Budget quick 3 s, default 30 s, full 180 s per kind
//! (`FERROLITE_POWERCUT_CYCLES` fixes the cycle count), seed from `FERROLITE_POWERCUT_SEED`.
#![cfg(not(any(loom, feature = "shuttle")))]

use std::path::Path;

use ferrolite_structures::MapKind;
use ferrolite_verification::{crash, powercut, Mode};

fn cell(kind: MapKind) {
    let mode = Mode::from_env_or_quick();
    let r = crash::run(kind, mode, Path::new(env!("CARGO_BIN_EXE_crash-child")));
    assert!(r.cycles > 0);
    let p = powercut::run(kind, mode);
    assert!(p.cycles > 0);
    assert!(
        p.acked_batches > 0,
        "no synced batch was acknowledged: {p:?}"
    );
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
