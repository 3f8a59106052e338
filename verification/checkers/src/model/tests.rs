//! Unit tests of the model checker: it passes correct maps and catches seeded defects.

use super::config::*;
use super::ops::*;
use super::runner::*;
use ferrolite_structures::{ConcurrentMap, MapKey, MapKind};
use ferrolite_structures::{MapValue, ReclaimStats};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::ops::RangeBounds;
use std::sync::Mutex;

/// A `Mutex<BTreeMap>` with one seeded defect.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// `remove` returns the value but keeps the entry.
    RemoveKeeps,
    /// `insert` of a present key reports it as new.
    ReplaceSaysNew,
    /// An excluded lower bound is treated as included.
    RangeIncludesExcluded,
    /// `remove` forgets the value without dropping it (a leak).
    RemoveLeaks,
}

struct Broken<K, V> {
    inner: Mutex<BTreeMap<K, V>>,
    defect: Defect,
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for Broken<K, V> {
    fn name(&self) -> &'static str {
        "broken"
    }
    fn insert(&self, key: K, value: V) -> bool {
        let new = self.inner.lock().unwrap().insert(key, value).is_none();
        new || self.defect == Defect::ReplaceSaysNew
    }
    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.lock().unwrap().get(key).cloned()
    }
    fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut m = self.inner.lock().unwrap();
        match self.defect {
            Defect::RemoveKeeps => m.get(key).cloned(),
            Defect::RemoveLeaks => {
                let v = m.remove(key)?;
                std::mem::forget(v.clone());
                Some(v)
            }
            _ => m.remove(key),
        }
    }
    fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        let lower = match range.start_bound() {
            Bound::Excluded(k) if self.defect == Defect::RangeIncludesExcluded => {
                Bound::Included(k)
            }
            b => b,
        };
        let m = self.inner.lock().unwrap();
        let out: Vec<(K, V)> = m
            .iter()
            .filter(|(k, _)| (lower, range.end_bound()).contains((*k).borrow()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.into_iter()
    }
    fn len(&self) -> usize {
        self.inner.lock().unwrap().len()
    }
    fn reclamation(&self) -> ReclaimStats {
        ReclaimStats::default()
    }
}

fn config(cases: u32) -> ModelConfig {
    ModelConfig {
        cases,
        max_ops: 100,
        keys: 32,
        seed: 0x5eed,
    }
}

fn check_broken(defect: Defect) -> Box<Failure> {
    let make = move || Broken {
        inner: Mutex::new(BTreeMap::new()),
        defect,
    };
    check(
        "broken",
        "u64 keys",
        &config(200),
        200,
        0..32u64,
        &make,
        true,
    )
    .expect_err("the broken map passed the model check")
}

#[test]
fn remove_that_keeps_is_caught_with_a_short_sequence() {
    let f = check_broken(Defect::RemoveKeeps);
    println!("{f}");
    // Minimal: insert(0, 0), remove(0), then a read (or the final check).
    assert!(f.ops.len() <= 3, "not shrunk: {f}");
    assert!(f.ops[0].starts_with("insert("), "{f}");
    assert!(f.ops.iter().any(|op| op.starts_with("remove(")), "{f}");
    assert!(f.transcript.contains("first divergence"), "{f}");
    let text = f.to_string();
    assert!(text.contains("minimal failing sequence"), "{text}");
    assert!(text.contains("FERROLITE_MODEL_SEED=24301"), "{text}");
}

#[test]
fn wrong_replace_flag_is_caught() {
    let f = check_broken(Defect::ReplaceSaysNew);
    // Minimal: two inserts of one key (shrinking lowers keys one op at a time, so the key
    // need not reach 0).
    assert_eq!(f.ops.len(), 2, "{f}");
    assert!(f.ops.iter().all(|op| op.starts_with("insert(")), "{f}");
    let key = |op: &str| op.split(',').next().map(str::to_owned);
    assert_eq!(key(&f.ops[0]), key(&f.ops[1]), "{f}");
}

#[test]
fn range_bound_error_is_caught() {
    let f = check_broken(Defect::RangeIncludesExcluded);
    assert_eq!(f.ops.len(), 2, "{f}");
    assert!(f.ops[0].starts_with("insert("), "{f}");
    assert!(f.ops[1].starts_with("range(Excluded("), "{f}");
}

#[test]
fn leaked_value_is_caught() {
    let f = check_broken(Defect::RemoveLeaks);
    assert!(f.ops.len() <= 2, "{f}");
    assert!(f.reason.contains("values are alive"), "{f}");
}

#[test]
fn correct_maps_pass_and_count() {
    let s = check_kind(MapKind::BTree, &config(40)).expect("the reference map failed");
    assert_eq!(s.cases, 40);
    assert!(s.ops > 0);
}

#[test]
fn ops_display_like_calls() {
    let op = Op::Range {
        lower: Bound::Included(2u64),
        upper: Bound::Unbounded,
        take: Some(1),
    };
    assert_eq!(op.to_string(), "range(Included(2), Unbounded).take(1)");
    assert_eq!(Op::Insert(vec![1u8], 7).to_string(), "insert([1], 7)");
    assert_eq!(
        Outcome::Entries(vec![(1u64, 2), (3, 4)]).to_string(),
        "[(1, 2), (3, 4)]"
    );
}
