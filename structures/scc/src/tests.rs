//! The adapter against a `BTreeMap`: random operation sequences (proptest, shrunk on failure)
//! on `String` keys looked up by `&str`, with ranges of every bound kind (included, excluded,
//! unbounded; empty and inverted ones too) and partly consumed iterators; ranges longer than
//! a batch; and two threads at once (disjoint keys checked exactly, shared keys for the
//! invariants that survive non-linearizable results).

use super::SccTreeIndex;
use ferrolite_structures::rng::SplitMix;
use ferrolite_structures::ConcurrentMap;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};

/// One operation, on keys `key(n)` of a small space (so inserts often replace).
#[derive(Clone, Debug)]
enum Op {
    Insert(u8, u32),
    Get(u8),
    Remove(u8),
    Contains(u8),
    /// A range, keeping only its first `n` entries if a limit is given.
    Range(Bound<u8>, Bound<u8>, Option<usize>),
    FirstIn(Bound<u8>, Bound<u8>),
    Len,
    IsEmpty,
}

fn key(n: u8) -> String {
    format!("k{n:02}")
}

fn bound() -> impl Strategy<Value = Bound<u8>> {
    prop_oneof![
        Just(Bound::Unbounded),
        (0..40u8).prop_map(Bound::Included),
        (0..40u8).prop_map(Bound::Excluded),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let k = || 0..40u8;
    prop_oneof![
        6 => (k(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => k().prop_map(Op::Get),
        4 => k().prop_map(Op::Remove),
        1 => k().prop_map(Op::Contains),
        3 => (bound(), bound(), proptest::option::of(0..12usize))
            .prop_map(|(lo, hi, n)| Op::Range(lo, hi, n)),
        2 => (bound(), bound()).prop_map(|(lo, hi)| Op::FirstIn(lo, hi)),
        1 => Just(Op::Len),
        1 => Just(Op::IsEmpty),
    ]
}

/// `Bound<u8>` as a bound on the `&str` of its key.
fn str_bound(b: &Bound<u8>) -> Bound<String> {
    b.map(key)
}

fn model_range<'m>(
    model: &'m BTreeMap<String, u32>,
    bounds: &'m (Bound<String>, Bound<String>),
) -> impl Iterator<Item = (String, u32)> + 'm {
    // `BTreeMap::range` panics on inverted ranges: filter instead.
    model
        .iter()
        .filter(move |(k, _)| bounds.contains(*k))
        .map(|(k, v)| (k.clone(), *v))
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let map = SccTreeIndex::<String, u32>::default();
    let mut model = BTreeMap::<String, u32>::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Insert(k, v) => {
                let new = model.insert(key(*k), *v).is_none();
                prop_assert_eq!(map.insert(key(*k), *v), new, "op #{}: {:?}", i, op);
            }
            // Borrowed lookups: `&str` on `String` keys.
            Op::Get(k) => {
                let k = key(*k);
                prop_assert_eq!(map.get(k.as_str()), model.get(&k).copied(), "op #{}", i);
            }
            Op::Remove(k) => {
                let k = key(*k);
                prop_assert_eq!(map.remove(k.as_str()), model.remove(&k), "op #{}", i);
            }
            Op::Contains(k) => {
                let k = key(*k);
                prop_assert_eq!(
                    map.contains(k.as_str()),
                    model.contains_key(&k),
                    "op #{}",
                    i
                );
            }
            Op::Range(lo, hi, limit) => {
                let bounds = (str_bound(lo), str_bound(hi));
                let as_str = (
                    bounds.0.as_ref().map(String::as_str),
                    bounds.1.as_ref().map(String::as_str),
                );
                let got: Vec<_> = map
                    .range::<str, _>(as_str)
                    .take(limit.unwrap_or(usize::MAX))
                    .collect();
                let want: Vec<_> = model_range(&model, &bounds)
                    .take(limit.unwrap_or(usize::MAX))
                    .collect();
                prop_assert_eq!(got, want, "op #{}: {:?}", i, op);
            }
            Op::FirstIn(lo, hi) => {
                let bounds = (str_bound(lo), str_bound(hi));
                let as_str = (
                    bounds.0.as_ref().map(String::as_str),
                    bounds.1.as_ref().map(String::as_str),
                );
                let got = map.first_in::<str, _>(as_str);
                prop_assert_eq!(
                    got,
                    model_range(&model, &bounds).next(),
                    "op #{}: {:?}",
                    i,
                    op
                );
            }
            Op::Len => prop_assert_eq!(map.len(), model.len(), "op #{}", i),
            Op::IsEmpty => prop_assert_eq!(map.is_empty(), model.is_empty(), "op #{}", i),
        }
    }
    let all: Vec<_> = map.iter().collect();
    let want: Vec<_> = model.into_iter().collect();
    prop_assert_eq!(all, want, "final contents");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn behaves_as_a_btreemap(ops in proptest::collection::vec(op(), 0..200)) {
        run(&ops)?;
    }
}

#[test]
fn every_range_syntax_on_integer_keys() {
    // Longer than several batches (8, 16, …, 256 entries per seek).
    let map = SccTreeIndex::<u64, u64>::default();
    let mut model = BTreeMap::new();
    let mut rng = SplitMix::new(17);
    for _ in 0..3000 {
        let k = rng.below(5000);
        assert_eq!(map.insert(k, k * 2), model.insert(k, k * 2).is_none());
    }
    fn check<R: RangeBounds<u64> + Clone + std::fmt::Debug>(
        map: &SccTreeIndex<u64, u64>,
        model: &BTreeMap<u64, u64>,
        r: R,
    ) {
        let got: Vec<_> = map.range(r.clone()).collect();
        let want: Vec<_> = model
            .iter()
            .filter(|(k, _)| r.contains(k))
            .map(|(k, v)| (*k, *v))
            .collect();
        assert_eq!(got, want, "{r:?}");
        assert_eq!(map.first_in(r.clone()), want.first().copied(), "{r:?}");
    }
    check(&map, &model, 100..4000);
    check(&map, &model, 100..=4000);
    check(&map, &model, ..2500);
    check(&map, &model, ..=2500);
    check(&map, &model, 1234..);
    check(&map, &model, ..);
    check(&map, &model, (Bound::Excluded(7), Bound::Excluded(4999)));
    check(&map, &model, 10..10);
    check(&map, &model, 10..=10);
    #[allow(clippy::reversed_empty_ranges)]
    check(&map, &model, 4000..100);
    check(&map, &model, (Bound::Excluded(10), Bound::Included(10)));
    check(&map, &model, 9000..);
    assert_eq!(map.len(), model.len());
    assert_eq!(map.iter().count(), model.len());
}

#[test]
fn an_iterator_resumes_after_its_last_key_while_the_map_changes() {
    let map = SccTreeIndex::<u64, u64>::default();
    for k in (0..100).map(|k| k * 10) {
        map.insert(k, k);
    }
    let mut it = map.range(..);
    let first: Vec<u64> = it.by_ref().take(20).map(|(k, _)| k).collect();
    assert_eq!(first, (0..20).map(|k| k * 10).collect::<Vec<_>>());
    // Behind the cursor: never seen. Far ahead (past any batch already cloned): seen.
    map.insert(5, 5);
    map.insert(995, 995);
    assert!(map.remove(&990).is_some());
    let rest: Vec<u64> = it.map(|(k, _)| k).collect();
    assert!(!rest.contains(&5));
    assert!(rest.contains(&995) && !rest.contains(&990));
    assert!(rest.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(rest.first(), Some(&200));
}

#[test]
fn reports_itself() {
    let map = SccTreeIndex::<u64, u64>::default();
    assert_eq!(map.name(), "scc-treeindex");
    assert!(!map.linearizable());
    assert!(!map.counts_unreclaimed());
    map.insert(1, 1);
    map.remove(&1);
    assert_eq!(map.reclamation().unreclaimed(), 0);
}

#[test]
fn two_threads() {
    const PER_THREAD: u64 = 20_000;
    const SHARED: u64 = 16;
    let map = SccTreeIndex::<u64, u64>::default();
    std::thread::scope(|s| {
        for t in 0..2u64 {
            let map = &map;
            s.spawn(move || {
                let mut rng = SplitMix::stream(99, t);
                // Own keys (1000 + 2i + t): inserted, replaced, every third removed.
                for i in 0..PER_THREAD {
                    let k = 1000 + 2 * i + t;
                    assert!(map.insert(k, 0));
                    assert!(!map.insert(k, k));
                    assert_eq!(map.get(&k), Some(k));
                    if i % 3 == 0 {
                        assert_eq!(map.remove(&k), Some(k));
                    }
                    // Shared keys below 1000: contention on one key; values always equal keys.
                    let shared = rng.below(SHARED);
                    if rng.chance(500) {
                        map.insert(shared, shared);
                    } else {
                        map.remove(&shared);
                    }
                    if let Some(v) = map.get(&shared) {
                        assert_eq!(v, shared);
                    }
                    if i % 512 == 0 {
                        let keys: Vec<u64> = map.range(..2000).map(|(k, _)| k).collect();
                        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
                    }
                }
            });
        }
    });
    let mut want: Vec<u64> = (0..2 * PER_THREAD)
        .filter(|j| (j / 2) % 3 != 0)
        .map(|j| 1000 + j)
        .collect();
    want.sort_unstable();
    let own: Vec<(u64, u64)> = map.range(1000..).collect();
    assert_eq!(own, want.iter().map(|&k| (k, k)).collect::<Vec<_>>());
    let shared: Vec<(u64, u64)> = map.range(..1000).collect();
    assert!(
        shared.iter().all(|&(k, v)| k < SHARED && k == v),
        "{shared:?}"
    );
    assert_eq!(map.len(), own.len() + shared.len());
}

/// Two threads alternate insert and remove on four keys and sum their effective ones; the
/// final length should equal that sum, and through this adapter it does not: the replace path
/// (`insert_sync` failing, then `upsert_sync`) races with removes of the same key (see
/// `SccTreeIndex`'s docs). On the 2-core machine about 7 rounds in 10 miscount; with the
/// upsert taken out (insert-if-absent) none does. Run with `--ignored` to check a fix.
#[test]
#[ignore = "SccTreeIndex miscounts under same-key contention: it is not linearizable"]
fn counts_are_exact_under_contention() {
    for round in 0..10u64 {
        let map = SccTreeIndex::<u64, u64>::default();
        let net: i64 = std::thread::scope(|s| {
            let workers: Vec<_> = (0..2u64)
                .map(|t| {
                    let map = &map;
                    s.spawn(move || {
                        let mut rng = SplitMix::stream(round, t);
                        let mut net = 0i64;
                        for i in 0..100_000u64 {
                            let k = rng.below(4);
                            if i % 2 == 0 {
                                net += i64::from(map.insert(k, k));
                            } else {
                                net -= i64::from(map.remove(&k).is_some());
                            }
                        }
                        net
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        assert_eq!(map.len() as i64, net, "round {round}");
    }
}
