//! The use-after-free detector (`ferrolite_structures::testing::quarantine_freed`) on correct
//! maps: threads race inserts, replaces and removes on a few keys with the detector on, and
//! nothing is reported, freed nodes do go to quarantine, and every value is still dropped
//! exactly once. (That it catches a lost protection is shown by `cargo xtask mutants`: see
//! `reports/mutants.md`.) Its own test binary: the switch is process-wide.

#![cfg(not(any(loom, feature = "shuttle")))]

use ferrolite_checkers::model::Tracked;
use ferrolite_structures::testing::{quarantine_freed, quarantined};
use ferrolite_structures::{ConcurrentMap, EpochSkipList, HazardSkipList};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;

fn race<M: ConcurrentMap<u64, Tracked> + Default + 'static>() {
    // The model checker's value: it counts its live instances (clones included).
    let live = Arc::new(AtomicIsize::new(0));
    let map = Arc::new(M::default());
    let threads: Vec<_> = (0..3u64)
        .map(|t| {
            let (map, live) = (map.clone(), live.clone());
            std::thread::spawn(move || {
                let mut x = t + 1;
                for _ in 0..3_000 {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let key = (x >> 33) % 4;
                    match (x >> 40) % 3 {
                        0 => {
                            map.insert(key, Tracked::new(t as u32, &live));
                        }
                        1 => {
                            map.remove(&key);
                        }
                        _ => {
                            map.get(&key);
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no use after free reported");
    }
    drop(map);
    assert_eq!(
        live.load(Ordering::Relaxed),
        0,
        "every value dropped exactly once"
    );
}

#[test]
fn correct_maps_run_clean_with_the_detector_on_and_freed_nodes_go_to_quarantine() {
    quarantine_freed(true);
    let before = quarantined();
    race::<HazardSkipList<u64, Tracked>>();
    let after_hazard = quarantined();
    assert!(
        after_hazard > before,
        "the hazard map freed nodes while it ran, into quarantine"
    );
    race::<EpochSkipList<u64, Tracked>>();
    assert!(quarantined() > after_hazard, "so did the epoch map");
    quarantine_freed(false);
}
