//! The final consistency check: a full scan and a get of every key of every thread against
//! the union of the threads' models, naming the first key that differs.

use super::config::{KEYS_PER_THREAD, THREADS};
use super::values::{decode, describe, describe_expected, key, parse_key, ValueHeader};
use ferrolite::Db;
use std::collections::BTreeMap;

/// What every key should hold: `(owner, idx)` → `(version, len)` of its live value (absent
/// keys are not in the map).
pub type Expected = BTreeMap<(usize, u32), (u64, u32)>;

/// Check the whole database against `expected` (the union of the threads' models): a full
/// scan, then a get of every key of every thread. Panics on the first difference, naming the
/// key, what was expected and what was found, after `ctx`. Returns the number of keys
/// compared.
pub fn check_all(db: &Db, expected: &Expected, ctx: &str) -> u64 {
    let union = expected;
    let mut checked = 0u64;
    let what = format!("{ctx}: full scan");
    let iter = db.iter().unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut expect = union.iter().peekable();
    for item in iter {
        let (k, v) = item.unwrap_or_else(|e| panic!("{what}: {e}"));
        let Some((o, i)) = parse_key(&k) else {
            panic!(
                "{what}: key {:?} that no thread wrote",
                String::from_utf8_lossy(&k)
            )
        };
        if let Some(&(&(eo, ei), &ev)) = expect.peek() {
            if (eo, ei) < (o, i) {
                panic!(
                    "{what}: key {} lost: expected {}, the scan went on to {}",
                    String::from_utf8_lossy(&key(eo, ei)),
                    describe_expected(eo, ei, Some(ev)),
                    String::from_utf8_lossy(&k)
                );
            }
        }
        match expect.next() {
            Some((&(eo, ei), &(version, len))) if (eo, ei) == (o, i) => {
                let want = ValueHeader {
                    owner: o as u8,
                    idx: i,
                    version,
                    len,
                };
                if decode(&v).ok() != Some(want) {
                    panic!(
                        "{what}: key {}: expected {want}, got {}",
                        String::from_utf8_lossy(&k),
                        describe(Some(&v))
                    );
                }
            }
            _ => panic!(
                "{what}: key {} is there with {} but was deleted or never written (or out of order)",
                String::from_utf8_lossy(&k),
                describe(Some(&v))
            ),
        }
        checked += 1;
    }
    if let Some((&(eo, ei), &ev)) = expect.next() {
        panic!(
            "{what}: key {} lost (missing at the end): expected {}",
            String::from_utf8_lossy(&key(eo, ei)),
            describe_expected(eo, ei, Some(ev))
        );
    }
    let what = format!("{ctx}: get of every key");
    for o in 0..THREADS {
        for i in 0..KEYS_PER_THREAD {
            let got = db
                .get(key(o, i))
                .unwrap_or_else(|e| panic!("{what}: key {:?}: {e}", key(o, i)));
            let want = union.get(&(o, i)).copied();
            let ok = match (&got, want) {
                (None, None) => true,
                (Some(v), Some((version, len))) => {
                    decode(v).ok()
                        == Some(ValueHeader {
                            owner: o as u8,
                            idx: i,
                            version,
                            len,
                        })
                }
                _ => false,
            };
            if !ok {
                panic!(
                    "{what}: key {}: expected {}, got {}",
                    String::from_utf8_lossy(&key(o, i)),
                    describe_expected(o, i, want),
                    describe(got.as_deref())
                );
            }
            checked += 1;
        }
    }
    checked
}
