//! Model-based property test: random sequences of `insert` (new key or replace), `get`,
//! `remove`, `contains`, `range` (random included/excluded/unbounded bounds, including
//! inverted and empty ranges, sometimes consumed only partly), `len`, `is_empty` and `iter`
//! are applied single-threaded both to each map of the crate and to a
//! `std::collections::BTreeMap`, and every result is compared (insert's "was new" flag, the
//! values returned by get/remove, range contents and order, lengths). The key space is small
//! so inserts collide and replace often. Run once per map type (via `for_each_map!`) with
//! `u64` keys / `String` values and with variable-length `Vec<u8>` keys / `u64` values; on
//! failure proptest shrinks and prints the minimal operation sequence.
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

mod common;

use common::in_bounds;
use ferrolite_structures::{ConcurrentMap, MapKey, MapValue};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestRunner,
};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::Bound;

/// Longest generated operation sequence.
const MAX_OPS: usize = if cfg!(miri) { 12 } else { 200 };

/// One operation on the map under test and on the model.
#[derive(Clone, Debug)]
enum Op<K, V> {
    /// Insert or replace.
    Insert(K, V),
    Get(K),
    Remove(K),
    Contains(K),
    /// A range, keeping only the first `n` entries if a limit is given (the iterator is then
    /// dropped part-way).
    Range(Bound<K>, Bound<K>, Option<usize>),
    Len,
    IsEmpty,
    Iter,
}

fn config() -> Config {
    // XorShift rather than the default ChaCha: in an unoptimised test build ChaCha dominated
    // the run time (about 85 %), and generation quality is not a concern here.
    let rng_algorithm = RngAlgorithm::XorShift;
    if cfg!(miri) {
        // Miri runs isolated (no file system): no regression file; and it is slow.
        Config {
            cases: 4,
            failure_persistence: None,
            rng_algorithm,
            ..Config::default()
        }
    } else {
        Config {
            cases: 256,
            source_file: Some(file!()),
            failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
                "proptest-regressions",
            ))),
            rng_algorithm,
            ..Config::default()
        }
    }
}

fn bound<K: Clone + Debug>(
    key: impl Strategy<Value = K> + Clone,
) -> impl Strategy<Value = Bound<K>> {
    prop_oneof![
        Just(Bound::Unbounded),
        key.clone().prop_map(Bound::Included),
        key.prop_map(Bound::Excluded),
    ]
}

fn ops<K: Clone + Debug, V: Clone + Debug>(
    key: impl Strategy<Value = K> + Clone,
    value: impl Strategy<Value = V>,
) -> impl Strategy<Value = Vec<Op<K, V>>> {
    let op = prop_oneof![
        6 => (key.clone(), value).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => key.clone().prop_map(Op::Get),
        4 => key.clone().prop_map(Op::Remove),
        2 => key.clone().prop_map(Op::Contains),
        3 => (bound(key.clone()), bound(key.clone()), option::of(0..6usize))
            .prop_map(|(lo, hi, limit)| Op::Range(lo, hi, limit)),
        // Degenerate ranges on a single key: [k, k], [k, k), (k, k], (k, k).
        1 => (key, 0..4u8).prop_map(|(k, shape)| {
            let b = |included: bool| {
                if included { Bound::Included(k.clone()) } else { Bound::Excluded(k.clone()) }
            };
            Op::Range(b(shape & 1 == 0), b(shape & 2 == 0), None)
        }),
        1 => Just(Op::Len),
        1 => Just(Op::IsEmpty),
        1 => Just(Op::Iter),
    ];
    vec(op, 0..=MAX_OPS)
}

/// Apply `ops` to a fresh `M` and to a `BTreeMap`, comparing every result.
fn run_model<M, K, V>(ops: &[Op<K, V>]) -> Result<(), TestCaseError>
where
    M: ConcurrentMap<K, V> + Default,
    K: MapKey + Debug,
    V: MapValue + Debug + PartialEq,
{
    let map = M::default();
    let mut model = BTreeMap::<K, V>::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Insert(k, v) => {
                let was_new = model.insert(k.clone(), v.clone()).is_none();
                prop_assert_eq!(
                    map.insert(k.clone(), v.clone()),
                    was_new,
                    "op #{}: {:?}",
                    i,
                    op
                );
            }
            Op::Get(k) => {
                prop_assert_eq!(map.get(k), model.get(k).cloned(), "op #{}: {:?}", i, op);
            }
            Op::Remove(k) => {
                prop_assert_eq!(map.remove(k), model.remove(k), "op #{}: {:?}", i, op);
            }
            Op::Contains(k) => {
                prop_assert_eq!(
                    map.contains(k),
                    model.contains_key(k),
                    "op #{}: {:?}",
                    i,
                    op
                );
            }
            Op::Range(lo, hi, limit) => {
                let limit = limit.unwrap_or(usize::MAX);
                let got: Vec<(K, V)> = map.range((lo.as_ref(), hi.as_ref())).take(limit).collect();
                let want: Vec<(K, V)> = model
                    .iter()
                    .filter(|(k, _)| in_bounds(*k, lo, hi))
                    .take(limit)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                prop_assert_eq!(
                    map.first_in((lo.as_ref(), hi.as_ref())),
                    model
                        .iter()
                        .find(|(k, _)| in_bounds(*k, lo, hi))
                        .map(|(k, v)| (k.clone(), v.clone())),
                    "first_in, op #{}: {:?}",
                    i,
                    op
                );
                prop_assert_eq!(got, want, "op #{}: {:?}", i, op);
            }
            Op::Len => prop_assert_eq!(map.len(), model.len(), "op #{}: {:?}", i, op),
            Op::IsEmpty => prop_assert_eq!(map.is_empty(), model.is_empty(), "op #{}: {:?}", i, op),
            Op::Iter => {
                let got: Vec<(K, V)> = map.iter().collect();
                let want: Vec<(K, V)> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                prop_assert_eq!(got, want, "op #{}: {:?}", i, op);
            }
        }
    }
    let got: Vec<(K, V)> = map.iter().collect();
    let want: Vec<(K, V)> = model.into_iter().collect();
    prop_assert_eq!(map.len(), want.len(), "final len");
    prop_assert_eq!(got, want, "final contents");
    Ok(())
}

/// Run the model test for map type `M`; panics with the shrunk sequence on failure.
fn check<M, K, V>(
    name: &str,
    key: impl Strategy<Value = K> + Clone,
    value: impl Strategy<Value = V>,
) where
    M: ConcurrentMap<K, V> + Default,
    K: MapKey + Debug,
    V: MapValue + Debug + PartialEq,
{
    let mut runner = TestRunner::new(config());
    if let Err(e) = runner.run(&ops(key, value), |ops| run_model::<M, K, V>(&ops)) {
        panic!("map `{name}`: {e}");
    }
}

/// `u64` keys in `0..64`, short `String` values.
fn u64_key() -> impl Strategy<Value = u64> + Clone {
    0..64u64
}

fn string_value() -> impl Strategy<Value = String> + Clone {
    (0..1000u32).prop_map(|n| format!("v{n}"))
}

/// Variable-length byte-string keys over a 4-letter alphabet, 0 to 3 bytes long (85 keys),
/// so prefixes (`[1]` < `[1, 0]` < `[2]`) and the empty key are exercised.
fn bytes_key() -> impl Strategy<Value = Vec<u8>> + Clone {
    vec(0..4u8, 0..4)
}

macro_rules! model_tests {
    ($map:ident, $name:literal) => {
        #[allow(non_snake_case)]
        mod $map {
            use super::*;

            #[test]
            fn u64_keys_string_values() {
                check::<ferrolite_structures::$map<u64, String>, _, _>(
                    $name,
                    u64_key(),
                    string_value(),
                );
            }

            #[test]
            fn bytes_keys_u64_values() {
                check::<ferrolite_structures::$map<Vec<u8>, u64>, _, _>(
                    $name,
                    bytes_key(),
                    any::<u64>(),
                );
            }
        }
    };
}

// Under Miri, only the maps Miri can run: see tests/common/mod.rs.
#[cfg(not(miri))]
ferrolite_structures::for_each_map!(model_tests);
#[cfg(miri)]
ferrolite_structures::for_each_map!(model_tests, miri);
