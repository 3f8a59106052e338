//! A smoke run under shuttle (`--features shuttle`): three threads insert, replace, remove and
//! scan a few keys on every skip list, under random and PCT schedules. It shows that the same
//! source runs under shuttle; the larger scenarios live in `ferrolite-verification`.
#![cfg(feature = "shuttle")]

use ferrolite_structures::{
    ConcurrentMap, EpochSkipList, HazardSkipList, MutexSkipList, NoReclaimSkipList,
};
use shuttle::sync::Arc;
use shuttle::thread;

fn scenario<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let map = Arc::new(M::default());
    let handles: Vec<_> = (0..3u8)
        .map(|t| {
            let map = map.clone();
            thread::spawn(move || {
                let (mut fresh, mut removed) = (0i32, 0i32);
                for i in 0..6u8 {
                    let k = (i + t) % 3;
                    match (i + t) % 3 {
                        0 => fresh += map.insert(k, k) as i32,
                        1 => removed += map.remove(&k).is_some() as i32,
                        _ => {
                            let keys: Vec<u8> = map.iter().map(|(k, _)| k).collect();
                            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
                        }
                    }
                }
                fresh - removed
            })
        })
        .collect();
    let net: i32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(map.iter().count() as i32, net);
    assert_eq!(map.len() as i32, net);
}

fn check<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    shuttle::check_random(scenario::<M>, 300);
    shuttle::check_pct(scenario::<M>, 300, 3);
}

#[test]
fn mutex() {
    check::<MutexSkipList<u8, u8>>();
}

#[test]
fn epoch() {
    check::<EpochSkipList<u8, u8>>();
}

#[test]
fn hazard() {
    check::<HazardSkipList<u8, u8>>();
}

#[test]
fn noreclaim() {
    check::<NoReclaimSkipList<u8, u8>>();
}
