//! A memtable on a map of your own: define a map in your crate, implement
//! `ferrolite::ConcurrentMap` for it, and open a `Db` on it with `Options::memtable_map`.
//! Public APIs only.
//!
//! Run with `cargo run -p ferrolite --example own_memtable`. It writes from two threads
//! through flushes and a compaction, reads every key back, reopens and reads them again; it
//! exits non-zero if any answer is wrong.

use ferrolite::structures::{range_is_empty, MapKey, MapValue, ReclaimStats};
use ferrolite::{ConcurrentMap, Db, Options};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::ops::RangeBounds;
use std::sync::RwLock;

/// The user's map: a `BTreeMap` behind a reader–writer lock. Readers share the lock; a writer
/// takes it alone. (A lock-free structure plugs in the same way.)
struct RwLockBTree<K, V>(RwLock<BTreeMap<K, V>>);

impl<K, V> Default for RwLockBTree<K, V> {
    fn default() -> Self {
        RwLockBTree(RwLock::new(BTreeMap::new()))
    }
}

impl<K: MapKey, V: MapValue> RwLockBTree<K, V> {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<K, V>> {
        // A panic while holding the lock cannot leave a BTreeMap half-updated in a way that
        // matters here: take the data as it is.
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for RwLockBTree<K, V> {
    fn name(&self) -> &'static str {
        "rwlock-btree"
    }

    fn insert(&self, key: K, value: V) -> bool {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        map.insert(key, value).is_none()
    }

    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.read().get(key).cloned()
    }

    fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        map.remove(key)
    }

    fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        // Owned results: copy the range out under the read lock (fine for an example; a real
        // map would iterate lazily).
        let map = self.read();
        // `BTreeMap::range` panics on an inverted range; the trait promises nothing instead.
        let items: Vec<(K, V)> = if range_is_empty(&range) {
            Vec::new()
        } else {
            map.range::<Q, _>((range.start_bound(), range.end_bound()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        items.into_iter()
    }

    fn first_in<Q, R>(&self, range: R) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        // Every memtable get is one `first_in`: clone one entry, not the whole range.
        if range_is_empty(&range) {
            return None;
        }
        self.read()
            .range::<Q, _>((range.start_bound(), range.end_bound()))
            .next()
            .map(|(k, v)| (k.clone(), v.clone()))
    }

    fn len(&self) -> usize {
        self.read().len()
    }

    fn reclamation(&self) -> ReclaimStats {
        // Frees under its lock: nothing is ever waiting to be reclaimed.
        ReclaimStats::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let opts = Options::default()
        .memtable_map::<RwLockBTree<_, _>>()
        .memtable_size(256 << 10); // small, so that the workload flushes and compacts
    let db = Db::open(dir.path(), opts.clone())?;

    const PER_THREAD: u32 = 20_000;
    std::thread::scope(|s| -> Result<(), ferrolite::Error> {
        let writers: Vec<_> = (0..2u32)
            .map(|t| {
                let db = &db;
                s.spawn(move || -> Result<(), ferrolite::Error> {
                    for i in 0..PER_THREAD {
                        db.put(format!("t{t}/{i:06}"), format!("value {i} of thread {t}"))?;
                    }
                    Ok(())
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer thread")?;
        }
        Ok(())
    })?;
    db.flush()?;
    let stats = db.stats();
    println!(
        "memtable {}: {} writes from 2 threads, {} flushes, {} compactions",
        stats.memtable,
        2 * PER_THREAD,
        stats.flushes,
        stats.compactions
    );

    let check = |db: &Db, when: &str| -> Result<(), Box<dyn std::error::Error>> {
        for t in 0..2u32 {
            for i in 0..PER_THREAD {
                let key = format!("t{t}/{i:06}");
                let want = format!("value {i} of thread {t}");
                let got = db.get(&key)?;
                if got.as_deref() != Some(want.as_bytes()) {
                    return Err(format!("{when}: {key} = {got:?}, want {want:?}").into());
                }
            }
        }
        let scanned = db.scan_prefix("t1/")?.count();
        if scanned != PER_THREAD as usize {
            return Err(format!("{when}: a scan of t1/ found {scanned} keys").into());
        }
        println!("{when}: all {} keys read back, scan ok", 2 * PER_THREAD);
        Ok(())
    };
    check(&db, "before reopening")?;
    if stats.memtable != "rwlock-btree" {
        return Err(format!("the engine ran on {:?}, not the user's map", stats.memtable).into());
    }
    db.close()?;
    let db = Db::open(dir.path(), opts)?;
    check(&db, "after reopening")?;
    db.close()?;
    Ok(())
}
