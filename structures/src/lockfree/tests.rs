//! Unit tests of the lock-free core, small enough for Miri: every scheme, single-threaded
//! semantics, then two threads racing on a few keys (Miri checks the unsafe code for
//! use-after-free, data races and leaks while they run).

use super::{EpochSkipList, HazardSkipList, NoReclaimSkipList, SeizeSkipList};
use crate::map::ConcurrentMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A value that counts its live instances.
#[derive(Debug)]
struct Counted(u64, Arc<AtomicUsize>);

impl Counted {
    fn new(v: u64, live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::Relaxed);
        Counted(v, live.clone())
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(self.0, &self.1)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_sub(1, Ordering::Relaxed);
    }
}

fn sequential<M: ConcurrentMap<u64, Counted> + Default>() {
    let live = Arc::new(AtomicUsize::new(0));
    let n = if cfg!(miri) { 40 } else { 2000 };
    {
        let m = M::default();
        for i in 0..n {
            assert!(m.insert(i, Counted::new(i, &live)));
        }
        for i in 0..n {
            assert!(!m.insert(i, Counted::new(i + 1, &live)));
        }
        assert_eq!(m.len(), n as usize);
        for i in (0..n).step_by(2) {
            assert_eq!(m.remove(&i).map(|c| c.0), Some(i + 1));
            assert_eq!(m.remove(&i).map(|c| c.0), None);
        }
        assert_eq!(m.get(&1).map(|c| c.0), Some(2));
        assert!(m.get(&0).is_none());
        assert!(m.contains(&3) && !m.contains(&4));
        let keys: Vec<u64> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, (1..n).step_by(2).collect::<Vec<_>>());
        let r: Vec<u64> = m
            .range((Bound::Excluded(&5), Bound::Included(&11)))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(r, vec![7, 9, 11]);
        let st = m.reclamation();
        assert_eq!(st.nodes_retired, n / 2);
        // Replacing an inline value keeps it in its node; removing a boxed value retires it.
        assert_eq!(st.values_retired, n / 2);
        assert!(st.nodes_freed <= st.nodes_retired && st.values_freed <= st.values_retired);
    }
    assert_eq!(
        live.load(Ordering::Relaxed),
        0,
        "every value dropped exactly once"
    );
}

fn racing<M: ConcurrentMap<u64, Counted> + Default>() {
    let live = Arc::new(AtomicUsize::new(0));
    let ops = if cfg!(miri) { 60 } else { 50_000 };
    let keys = if cfg!(miri) { 4 } else { 64 };
    {
        let m = M::default();
        let (ins, rem) = std::thread::scope(|s| {
            let hs: Vec<_> = (0..2u64)
                .map(|t| {
                    let (m, live) = (&m, &live);
                    s.spawn(move || {
                        let (mut ins, mut rem) = (0i64, 0i64);
                        for i in 0..ops {
                            let k = (i * 31 + t * 7) % keys;
                            match (i + t) % 3 {
                                0 => ins += m.insert(k, Counted::new(k, live)) as i64,
                                1 => rem += m.remove(&k).is_some() as i64,
                                _ => {
                                    if let Some(v) = m.get(&k) {
                                        assert_eq!(v.0, k);
                                    }
                                    let mut last = None;
                                    for (k2, v2) in m.iter() {
                                        assert_eq!(k2, v2.0);
                                        assert!(last < Some(k2), "keys strictly increase");
                                        last = Some(k2);
                                    }
                                }
                            }
                        }
                        (ins, rem)
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap())
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        });
        let len = m.iter().count() as i64;
        assert_eq!(
            len,
            ins - rem,
            "final size = effective inserts - effective removes"
        );
        assert_eq!(m.len() as i64, len);
    }
    assert_eq!(
        live.load(Ordering::Relaxed),
        0,
        "every value dropped exactly once"
    );
}

macro_rules! scheme_tests {
    ($($name:ident: $ty:ident,)*) => {$(
        mod $name {
            use super::*;
            #[test]
            fn sequential_semantics() {
                sequential::<$ty<u64, Counted>>();
            }
            #[test]
            fn two_threads_racing() {
                racing::<$ty<u64, Counted>>();
            }
        }
    )*};
}

scheme_tests! {
    epoch: EpochSkipList,
    seize: SeizeSkipList,
    hazard: HazardSkipList,
    noreclaim: NoReclaimSkipList,
}

/// `stall_in_get`: while a reader is stalled inside a get, epochs and seize free nothing
/// retired after it (the count grows with the updates) and hazard pointers keep the count
/// bounded; once the reader is released, epochs and seize catch up.
#[cfg(not(any(loom, feature = "shuttle")))]
#[cfg_attr(miri, ignore)] // 40 000 updates: too slow under Miri, and not about memory safety
#[test]
fn stalled_reader_blocks_epochs_and_seize_but_not_hazard_pointers() {
    use super::StallInGet;
    use std::sync::atomic::AtomicBool;
    const ROUNDS: u64 = 20_000;
    fn churn<M: ConcurrentMap<u64, u64>>(map: &M) {
        for i in 0..ROUNDS {
            let k = 1_000 + i % 512;
            map.insert(k, k);
            map.remove(&k);
        }
    }
    /// Unreclaimed nodes after `ROUNDS` removes with a stalled reader, and after as many
    /// more once it is released.
    fn stalled<M: ConcurrentMap<u64, u64> + StallInGet<u64> + Sync>(map: &M) -> (u64, u64) {
        for k in 0..100 {
            map.insert(k, k);
        }
        let (started, release) = (AtomicBool::new(false), AtomicBool::new(false));
        let during = std::thread::scope(|s| {
            s.spawn(|| {
                started.store(true, Ordering::Release);
                map.stall_in_get(&50, &release)
            });
            // A thread spawned on a loaded machine may not run for a while (a fixed sleep alone
            // let the churn finish before the reader pinned); from `started` to the pin inside
            // `stall_in_get` is a few instructions.
            while !started.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
            std::thread::sleep(std::time::Duration::from_millis(20)); // let it pin
            churn(map);
            let during = map.reclamation().unreclaimed();
            release.store(true, Ordering::Release);
            during
        });
        churn(map);
        (during, map.reclamation().unreclaimed())
    }

    let epoch = EpochSkipList::<u64, u64>::new();
    let (during, after) = stalled(&epoch);
    assert!(
        during >= ROUNDS * 9 / 10,
        "epoch: {during} unreclaimed while stalled"
    );
    assert!(
        after < during / 4,
        "epoch: {after} unreclaimed after release"
    );

    // seize: every batch retired while the reader is active waits in its reservation list;
    // the reader frees them as it leaves. Only the threads' local batches (fewer than the
    // batch size each) stay unfreed afterwards.
    let seize = SeizeSkipList::<u64, u64>::new();
    let (during, after) = stalled(&seize);
    assert!(
        during >= ROUNDS * 9 / 10,
        "seize: {during} unreclaimed while stalled"
    );
    assert!(
        after < during / 4,
        "seize: {after} unreclaimed after release"
    );

    let hazard = HazardSkipList::<u64, u64>::new();
    let (during, _) = stalled(&hazard);
    assert!(
        during < ROUNDS / 10,
        "hazard: {during} unreclaimed while stalled"
    );
}

/// Without reclamation every retired node stays unfreed until the map drops, so the peak of
/// unreclaimed objects is exactly what was retired: the benches' unreclaimed-memory figure
/// rests on this counter (a peak that never rises would read "no garbage" for every scheme).
#[test]
fn the_unreclaimed_peak_follows_what_is_retired_and_not_freed() {
    let n = if cfg!(miri) { 20 } else { 1_000 };
    let m = NoReclaimSkipList::<u64, u64>::new();
    for i in 0..n {
        assert!(m.insert(i, i));
    }
    assert_eq!(m.reclamation().peak_unreclaimed, 0, "nothing retired yet");
    for i in 0..n {
        assert_eq!(m.remove(&i), Some(i));
    }
    let st = m.reclamation();
    assert_eq!((st.nodes_retired, st.nodes_freed), (n, 0));
    assert_eq!(st.unreclaimed(), n);
    assert_eq!(st.peak_unreclaimed, n, "{st}");
}
