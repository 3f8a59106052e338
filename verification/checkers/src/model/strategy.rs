//! The proptest strategies: bounds, operations, sequences.

use super::ops::Op;
use proptest::prelude::*;
use std::fmt::Debug;
use std::ops::Bound;

pub(super) fn bound_strategy<K: Debug + Clone>(
    key: impl Strategy<Value = K> + Clone,
) -> impl Strategy<Value = Bound<K>> {
    prop_oneof![
        1 => Just(Bound::Unbounded),
        2 => key.clone().prop_map(Bound::Included),
        2 => key.prop_map(Bound::Excluded),
    ]
}

/// One operation over keys drawn from `key`.
pub fn op_strategy<K: Debug + Clone>(
    key: impl Strategy<Value = K> + Clone + 'static,
) -> impl Strategy<Value = Op<K>> {
    let range = (
        bound_strategy(key.clone()),
        bound_strategy(key.clone()),
        proptest::option::of(0..5usize),
    )
        .prop_map(|(lower, upper, take)| Op::Range { lower, upper, take });
    // The four ranges on one key: [k, k], [k, k), (k, k], (k, k).
    let single = (key.clone(), any::<bool>(), any::<bool>()).prop_map(|(k, lo, hi)| {
        let b = |inc: bool, k: K| {
            if inc {
                Bound::Included(k)
            } else {
                Bound::Excluded(k)
            }
        };
        Op::Range {
            lower: b(lo, k.clone()),
            upper: b(hi, k),
            take: None,
        }
    });
    prop_oneof![
        8 => (key.clone(), 0..100u32).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => key.clone().prop_map(Op::Get),
        5 => key.clone().prop_map(Op::Remove),
        2 => key.prop_map(Op::Contains),
        3 => range,
        1 => single,
        1 => Just(Op::Len),
        1 => Just(Op::IsEmpty),
        1 => Just(Op::Iter),
    ]
}

// ---------------------------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------------------------
