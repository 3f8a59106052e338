//! Parallel memtable inserts under Miri: the engine's write path with several writers
//! inserting their own batches concurrently and a reader searching the memtable meanwhile.
//!
//! Sized for Miri (a few dozen writes: `cargo +nightly miri test -p ferrolite --test
//! miri_parallel`, with `-Zmiri-disable-isolation` for the files); natively it is a quick
//! smoke test. The memtable kind comes from `FERROLITE_MEMTABLE` (default `epoch`), so the
//! verifier can run it over every map that Miri can run, and over the seeded bugs of `insert`
//! (`FERROLITE_MUTANT`): a node published by a Relaxed CAS and then read by another inserter
//! or by the reader is a data race Miri reports.

use ferrolite::{Db, MapKind, Options, SyncPolicy};
use std::sync::atomic::{AtomicBool, Ordering};

const WRITERS: usize = 2;
const WRITES: usize = if cfg!(miri) { 12 } else { 500 };

#[test]
fn parallel_inserts_under_miri() {
    let kind: MapKind = std::env::var("FERROLITE_MEMTABLE")
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("FERROLITE_MEMTABLE names a map kind"))
        .unwrap_or(MapKind::Epoch);
    let dir = tempfile::tempdir().unwrap();
    let opts = Options::default()
        .memtable(kind)
        .sync(SyncPolicy::GroupCommit {
            max_delay: std::time::Duration::ZERO,
        })
        .parallel_memtable_writes(true)
        .auto_compaction(false)
        .block_cache_bytes(0)
        .event_stats(false);
    let db = Db::open(dir.path(), opts).unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let db = &db;
            s.spawn(move || {
                for i in 0..WRITES {
                    // Interleaved keys: the writers insert next to each other's nodes.
                    let key = format!("k{:03}", i * WRITERS + w);
                    db.put(key.as_str(), format!("v{w}.{i}").as_str()).unwrap();
                }
            });
        }
        let (db, done) = (&db, &done);
        s.spawn(move || {
            let mut i = 0;
            while !done.load(Ordering::Acquire) && i < 4 * WRITES {
                let _ = db
                    .get(format!("k{:03}", i % (WRITES * WRITERS)).as_str())
                    .unwrap();
                i += 1;
            }
        });
        // The writers' threads end before the scope does; the reader stops on its own bound.
    });
    done.store(true, Ordering::Release);
    for w in 0..WRITERS {
        for i in 0..WRITES {
            let key = format!("k{:03}", i * WRITERS + w);
            let got = db.get(key.as_str()).unwrap();
            assert_eq!(
                got.as_deref(),
                Some(format!("v{w}.{i}").as_bytes()),
                "{kind}: {key} lost"
            );
        }
    }
    let stats = db.stats();
    assert_eq!(stats.writes, (WRITERS * WRITES) as u64);
    db.close().unwrap();
}
