//! The soak test, one matrix cell per memtable kind:
//! `cargo test --release -p ferrolite-verification --test soak -- --exact epoch --nocapture`.
//!
//! Eight threads of mixed operations (puts of varied sizes, overwrites, deletes, batches, gets,
//! scans, held snapshots, user flushes) on one database with background flushes and
//! compactions, for 2 / 20 / 120 s by `FERROLITE_VERIFY_MODE` (quick / default / full; quick
//! when the variable is unset, so that a plain `cargo test` stays short; `FERROLITE_SOAK_SECS`
//! overrides it), then a full check against the threads' models before and after a reopen,
//! and a bound on the RSS growth. Seed from `FERROLITE_MODEL_SEED` (printed on failure);
//! prints `VERIFY-STAT` lines (see them with `--nocapture`). See
//! `ferrolite_verification::soak`.
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

use ferrolite_structures::MapKind;
use ferrolite_verification::{soak, Mode};

fn soak_cell(kind: MapKind) {
    // A plain `cargo test` (no mode set: a debug build, most likely) gets the quick budget;
    // the verifier always names its mode.
    let mode = Mode::from_env_or_quick();
    let r = soak::run(kind, mode);
    // What the report claims must add up (run() already checked it against the engine).
    assert!(
        r.ops > 0
            && r.keys_checked >= 2 * (soak::THREADS as u64) * u64::from(soak::KEYS_PER_THREAD)
    );
    assert!(r.stats.flushes > 0 && r.stats.compactions > 0);
    assert!(r.rss_growth_kib <= r.rss_bound_kib || r.rss_samples == 0);
}

ferrolite_verification::cell_tests!(soak_cell);

// ---------------------------------------------------------------------------------------------
// The final check can fail: a database that differs from the expected state in one key, in
// each of the ways a bug could make it differ, is refused with that key named.
// ---------------------------------------------------------------------------------------------

use ferrolite::Db;
use soak::{check_all, encode, key, Expected, ValueHeader};

/// A database with keys 0..20 of threads 0 and 3 at version `10 + idx`, and those expected.
fn populated(dir: &std::path::Path) -> (Db, Expected) {
    let db = Db::open(dir, soak::options(MapKind::Epoch, 0)).unwrap();
    let mut expected = Expected::new();
    for owner in [0, 3] {
        for idx in 0..20 {
            let h = ValueHeader {
                owner: owner as u8,
                idx,
                version: 10 + u64::from(idx),
                len: 40 + idx * 7,
            };
            db.put(key(owner, idx), encode(&h)).unwrap();
            expected.insert((owner, idx), (h.version, h.len));
        }
    }
    (db, expected)
}

/// The panic message of `check_all` on `db` against `expected` (`None` if it passed).
fn failure(db: &Db, expected: &Expected) -> Option<String> {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_all(db, expected, "test")
    }));
    r.err().map(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn final_check_passes_on_the_expected_state_and_names_each_kind_of_difference() {
    // Not while a soak run of this process measures its memory: the panics below load the
    // debug information when `RUST_BACKTRACE` is set.
    let _turn = soak::exclusive();
    let dir = tempfile::tempdir().unwrap();
    let (db, expected) = populated(dir.path());
    assert_eq!(failure(&db, &expected), None);
    assert_eq!(
        check_all(&db, &expected, "test"),
        40 + (soak::THREADS as u64) * u64::from(soak::KEYS_PER_THREAD)
    );

    // A lost key.
    db.delete(key(3, 5)).unwrap();
    let msg = failure(&db, &expected).expect("a lost key must fail");
    assert!(msg.contains("s03/00005") && msg.contains("lost"), "{msg}");
    let mut e = expected.clone();
    e.remove(&(3, 5));
    assert_eq!(failure(&db, &e), None);

    // An older version of a key (a stale read).
    let old = ValueHeader {
        owner: 0,
        idx: 7,
        version: 2,
        len: 40 + 7 * 7,
    };
    db.put(key(0, 7), encode(&old)).unwrap();
    let msg = failure(&db, &e).expect("a stale version must fail");
    assert!(msg.contains("s00/00007") && msg.contains("v2"), "{msg}");
    e.insert((0, 7), (2, old.len));
    assert_eq!(failure(&db, &e), None);

    // A key that should be absent (a resurrected delete).
    let h = ValueHeader {
        owner: 5,
        idx: 1,
        version: 1,
        len: 30,
    };
    db.put(key(5, 1), encode(&h)).unwrap();
    let msg = failure(&db, &e).expect("an unexpected key must fail");
    assert!(msg.contains("s05/00001"), "{msg}");
    db.delete(key(5, 1)).unwrap();
    assert_eq!(failure(&db, &e), None);

    // A damaged value, and another key's value under a key.
    let mut bad = encode(&ValueHeader {
        owner: 3,
        idx: 9,
        version: 19,
        len: 40 + 9 * 7,
    });
    bad[30] ^= 1;
    db.put(key(3, 9), bad).unwrap();
    let msg = failure(&db, &e).expect("a damaged value must fail");
    assert!(
        msg.contains("s03/00009") && msg.contains("do not decode"),
        "{msg}"
    );
    db.put(
        key(3, 9),
        encode(&ValueHeader {
            owner: 3,
            idx: 8,
            version: 19,
            len: 40 + 9 * 7,
        }),
    )
    .unwrap();
    let msg = failure(&db, &e).expect("another key's value must fail");
    assert!(msg.contains("s03/00009"), "{msg}");
}
