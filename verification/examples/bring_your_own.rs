//! Bring your own structure: a map defined here, outside the testbed, through the testbed's
//! checkers with public APIs only — and a subtly broken variant of it, which they must catch.
//!
//! ```text
//! cargo run --release -p ferrolite-verification --example bring_your_own [OUT_DIR]
//! ```
//!
//! The map is a `BTreeMap` behind a mutex with a one-entry cache of the last write that `get`
//! reads first (a fast path for read-your-latest-write workloads). It is written against the
//! sync shim (`ferrolite_structures::sync`), so the same source also runs under shuttle
//! (`--features shuttle`) and loom (`RUSTFLAGS="--cfg loom --cfg crossbeam_loom"`).
//!
//! The broken variant updates the cache *after* releasing the map's lock (to hold the lock for
//! less time). Run sequentially it is correct, so the model checker passes it; under a race two
//! writers of one key can update the cache in the opposite order from the map, and every later
//! `get` returns a stale value: a linearizability check catches it.
//!
//! The example writes the matrix (`OUT_DIR/verification.md` and `.json`, default
//! `target/bring-your-own`) and exits 0 only if the correct map passes every checker that ran
//! and the broken one is caught by at least one.

use ferrolite_structures::sync::Mutex;
use ferrolite_structures::{
    range_is_empty, ConcurrentMap, MapFamily, MapKey, MapValue, ReclaimStats,
};
use ferrolite_verification::own::Suite;
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::ops::RangeBounds;
use std::process::ExitCode;

/// A `BTreeMap` behind a mutex, with a one-entry cache of the last insert that `get` reads
/// first. `CACHE_AFTER_UNLOCK` is the bug: the cache is updated after the map's lock is released.
struct CachedBTree<K, V, const CACHE_AFTER_UNLOCK: bool> {
    map: Mutex<BTreeMap<K, V>>,
    /// The last inserted entry; taken after `map` whenever both are held.
    last: Mutex<Option<(K, V)>>,
}

impl<K, V, const B: bool> Default for CachedBTree<K, V, B> {
    fn default() -> Self {
        CachedBTree {
            map: Mutex::new(BTreeMap::new()),
            last: Mutex::new(None),
        }
    }
}

/// The data behind a lock, even if a thread panicked while holding it.
fn locked<T>(m: &Mutex<T>) -> ferrolite_structures::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<K: MapKey, V: MapValue, const CACHE_AFTER_UNLOCK: bool> ConcurrentMap<K, V>
    for CachedBTree<K, V, CACHE_AFTER_UNLOCK>
{
    fn name(&self) -> &'static str {
        "cached-btree"
    }

    fn insert(&self, key: K, value: V) -> bool {
        let mut map = locked(&self.map);
        let new = map.insert(key.clone(), value.clone()).is_none();
        if CACHE_AFTER_UNLOCK {
            // The bug: another writer of `key` can update the map and the cache between these
            // two lines, and this stale entry then overwrites its cache entry.
            drop(map);
            *locked(&self.last) = Some((key, value));
        } else {
            *locked(&self.last) = Some((key, value));
            drop(map);
        }
        new
    }

    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        if let Some((k, v)) = &*locked(&self.last) {
            if k.borrow() == key {
                return Some(v.clone());
            }
        }
        locked(&self.map).get(key).cloned()
    }

    fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut map = locked(&self.map);
        let old = map.remove(key);
        let mut last = locked(&self.last);
        if last.as_ref().is_some_and(|(k, _)| k.borrow() == key) {
            *last = None;
        }
        old
    }

    fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        // Owned results: the range is copied out under the lock. `BTreeMap::range` panics on an
        // inverted range, where the trait promises an empty iterator.
        let items: Vec<(K, V)> = if range_is_empty(&range) {
            Vec::new()
        } else {
            locked(&self.map)
                .range::<Q, _>((range.start_bound(), range.end_bound()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        items.into_iter()
    }

    fn lock_free(&self) -> Option<bool> {
        Some(false) // a mutex: a thread paused while holding it blocks the others
    }

    fn len(&self) -> usize {
        locked(&self.map).len()
    }

    fn reclamation(&self) -> ReclaimStats {
        // Everything is freed under the lock, at once: nothing waits for reclamation.
        ReclaimStats::default()
    }
}

/// The correct map, as a family (one type per key and value type).
struct Cached;
impl MapFamily for Cached {
    type Map<K: MapKey, V: MapValue> = CachedBTree<K, V, false>;
}

/// The broken variant.
struct CacheAfterUnlock;
impl MapFamily for CacheAfterUnlock {
    type Map<K: MapKey, V: MapValue> = CachedBTree<K, V, true>;
}

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bring-your-own".into());
    let mut suite = Suite::new(&out);
    eprintln!(
        "bring_your_own: checking `cached-btree` and its broken variant (mode {}), report in {out}",
        suite.current_mode()
    );
    suite.check::<Cached>();
    suite.mutant::<CacheAfterUnlock>(
        "cached-btree",
        "cache_after_unlock",
        "insert updates the read cache after releasing the map's lock: two writers of a key can \
         leave the cache holding the older value, which every later get returns",
    );
    let report = match suite.finish() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bring_your_own: cannot write the report in {out}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", report.markdown());
    let failed = |label: &str| {
        report
            .row(label)
            .into_iter()
            .filter(|c| c.failed())
            .map(|c| c.checker.name())
            .collect::<Vec<_>>()
    };
    let correct = failed("cached-btree");
    let caught = failed("cached-btree + cache_after_unlock");
    println!(
        "correct map: {}",
        if correct.is_empty() {
            "passed every checker that ran".to_string()
        } else {
            format!("FAILED {}", correct.join(", "))
        }
    );
    println!(
        "broken map: {}",
        if caught.is_empty() {
            "NOT caught by any checker".to_string()
        } else {
            format!("caught by {}", caught.join(", "))
        }
    );
    println!(
        "wrote {} and {}",
        report.markdown_path().display(),
        report.json_path().display()
    );
    if correct.is_empty() && !caught.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
