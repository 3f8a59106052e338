//! Borrowed lookups, run once per map type (via `for_each_map!`): `String` keys looked up by
//! `&str` and `Vec<u8>` keys by `&[u8]` — `get`, `contains`, `remove`, `range` and `first_in`
//! with bounds that are and are not keys — against `BTreeMap`, which takes the same borrowed
//! forms.
#![cfg(not(any(loom, feature = "shuttle")))] // the maps need a loom/shuttle scheduler there

use ferrolite_structures::ConcurrentMap;
use std::collections::BTreeMap;
use std::ops::Bound::{self, Excluded, Included, Unbounded};
use std::ops::RangeBounds;

const WORDS: [&str; 7] = ["", "a", "ab", "b", "ba", "c", "cab"];

/// Every pair of bounds over the words and a few strings between and around them.
fn bounds() -> Vec<(Bound<&'static str>, Bound<&'static str>)> {
    let probes = ["", "a", "aa", "b", "bz", "cab", "d"];
    let mut one: Vec<Bound<&str>> = vec![Unbounded];
    for p in probes {
        one.push(Included(p));
        one.push(Excluded(p));
    }
    let mut all = Vec::new();
    for &lo in &one {
        for &hi in &one {
            all.push((lo, hi));
        }
    }
    all
}

fn strings<M: ConcurrentMap<String, usize> + Default>() {
    let map = M::default();
    let mut model = BTreeMap::new();
    for (i, w) in WORDS.iter().enumerate() {
        assert!(map.insert(w.to_string(), i));
        model.insert(w.to_string(), i);
    }
    for probe in ["", "a", "aa", "cab", "zz"] {
        assert_eq!(map.get(probe), model.get(probe).copied(), "get({probe:?})");
        assert_eq!(map.contains(probe), model.contains_key(probe));
    }
    for (lo, hi) in bounds() {
        let want: Vec<(String, usize)> = model
            .iter()
            .filter(|(k, _)| (lo, hi).contains(k.as_str()))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let got: Vec<(String, usize)> = map.range::<str, _>((lo, hi)).collect();
        assert_eq!(got, want, "range({lo:?}, {hi:?})");
        assert_eq!(
            map.first_in::<str, _>((lo, hi)),
            want.first().cloned(),
            "first_in({lo:?}, {hi:?})"
        );
    }
    assert_eq!(map.remove("ab"), Some(2));
    assert_eq!(map.remove("ab"), None);
    assert!(!map.contains("ab"));
    assert_eq!(map.remove("zz"), None);
    assert_eq!(
        map.range::<str, _>((Excluded("a"), Included("ba")))
            .map(|(k, _)| k)
            .collect::<Vec<_>>(),
        ["b", "ba"]
    );
}

fn bytes<M: ConcurrentMap<Vec<u8>, u8> + Default>() {
    let map = M::default();
    for k in [&b"k1"[..], b"k2", b"k3"] {
        map.insert(k.to_vec(), k[1]);
    }
    assert_eq!(map.get(&b"k2"[..]), Some(b'2'));
    assert_eq!(
        map.first_in::<[u8], _>((Excluded(&b"k1"[..]), Unbounded)),
        Some((b"k2".to_vec(), b'2'))
    );
    assert_eq!(map.remove(&b"k1"[..]), Some(b'1'));
    assert_eq!(map.iter().count(), 2);
}

macro_rules! borrowed_tests {
    ($map:ident, $name:literal) => {
        #[allow(non_snake_case)]
        mod $map {
            #[test]
            fn str_lookups_on_string_keys() {
                super::strings::<ferrolite_structures::$map<String, usize>>();
            }

            #[test]
            fn byte_slice_lookups_on_vec_keys() {
                super::bytes::<ferrolite_structures::$map<Vec<u8>, u8>>();
            }
        }
    };
}

// Under Miri, only the maps Miri can run: see tests/common/mod.rs.
#[cfg(not(miri))]
ferrolite_structures::for_each_map!(borrowed_tests);
#[cfg(miri)]
ferrolite_structures::for_each_map!(borrowed_tests, miri);
