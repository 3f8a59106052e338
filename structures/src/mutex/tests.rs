//! Unit tests of the mutex skip list: structure checks after every kind of update, sized
//! for loom, shuttle and Miri.

use super::node::Node;
use super::*;
use crate::sync::MAX_HEIGHT;
use crate::sync::SMALL_MODEL;
use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `f` as a single-threaded model under loom or shuttle (whose primitives only work
/// inside one), directly under std.
fn model(f: impl Fn() + Send + Sync + 'static) {
    schedules(1, f);
}

/// Runs `f` under every loom interleaving, `shuttle_runs` random shuttle schedules, or once
/// directly under std.
fn schedules(shuttle_runs: usize, f: impl Fn() + Send + Sync + 'static) {
    let _ = shuttle_runs; // read by the shuttle arm only
    #[cfg(loom)]
    loom::model(f);
    #[cfg(all(feature = "shuttle", not(loom)))]
    shuttle::check_random(f, shuttle_runs);
    #[cfg(not(any(loom, feature = "shuttle")))]
    f();
}

/// Keys per test: tiny under loom, shuttle and Miri.
const N: u64 = if SMALL_MODEL { 12 } else { 2_000 };

/// A scrambled permutation of `0..n` (n a power of two or not: 7919 is prime).
fn scrambled(n: u64) -> impl Iterator<Item = u64> {
    (0..n).map(move |i| (i * 7919) % n)
}

impl<K: Ord, V> MutexSkipList<K, V> {
    /// Checks every structural invariant; returns the height of each node in key order.
    fn check(&self) -> Vec<usize> {
        let inner = self.lock();
        assert!((1..=MAX_HEIGHT).contains(&inner.height));
        let mut nodes = Vec::new();
        let mut node = inner.head[0];
        while !node.is_null() {
            // SAFETY: links are null or live nodes (invariant under test), and the lock
            // is held; every node has a level-0 slot.
            unsafe {
                nodes.push(node);
                node = *Node::slot(node, 0);
            }
        }
        assert_eq!(nodes.len(), inner.len);
        // SAFETY: every pointer in `nodes` is live (it was linked at level 0).
        let heights: Vec<usize> = nodes.iter().map(|&n| unsafe { (*n).height }).collect();
        for w in nodes.windows(2) {
            // SAFETY: as above.
            unsafe { assert!((*w[0]).key < (*w[1]).key) };
        }
        for level in 0..MAX_HEIGHT {
            let expected: Vec<_> = nodes
                .iter()
                .zip(&heights)
                .filter(|&(_, &h)| h > level)
                .map(|(&n, _)| n)
                .collect();
            let mut actual = Vec::new();
            let mut node = inner.head[level];
            while !node.is_null() {
                actual.push(node);
                // SAFETY: `node` is live (linked); its height is checked to exceed
                // `level` before its slot at `level` is read.
                unsafe {
                    assert!((*node).height > level);
                    node = *Node::slot(node, level);
                }
            }
            assert_eq!(actual, expected, "level {level}");
            if level >= inner.height {
                assert!(actual.is_empty());
            }
        }
        heights
    }
}

#[test]
fn insert_replace_get_remove() {
    model(|| {
        let map = MutexSkipList::<u64, String>::default();
        assert_eq!(map.name(), "mutex");
        assert!(map.is_empty());
        assert_eq!(map.get(&1), None);
        assert_eq!(map.remove(&1), None);
        for k in scrambled(N) {
            assert!(map.insert(k, k.to_string()));
        }
        map.check();
        assert_eq!(map.len(), N as usize);
        for k in scrambled(N) {
            assert_eq!(map.get(&k), Some(k.to_string()));
            assert!(map.contains(&k));
        }
        assert_eq!(map.get(&N), None);
        assert!(!map.contains(&N));
        // Replace the even keys.
        for k in (0..N).step_by(2) {
            assert!(!map.insert(k, format!("new {k}")));
        }
        assert_eq!(map.len(), N as usize);
        assert_eq!(map.get(&0).as_deref(), Some("new 0"));
        assert_eq!(map.get(&1).as_deref(), Some("1"));
        // Remove the multiples of three.
        for k in (0..N).step_by(3) {
            let expected = if k % 2 == 0 {
                format!("new {k}")
            } else {
                k.to_string()
            };
            assert_eq!(map.remove(&k), Some(expected));
            assert_eq!(map.remove(&k), None);
            assert!(!map.contains(&k));
        }
        map.check();
        let remaining = (0..N).filter(|k| k % 3 != 0).count();
        assert_eq!(map.len(), remaining);
        let keys: Vec<u64> = map.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, (0..N).filter(|k| k % 3 != 0).collect::<Vec<_>>());
        // Removed keys can come back.
        assert!(map.insert(0, "zero".into()));
        assert_eq!(map.get(&0).as_deref(), Some("zero"));
        map.check();

        let stats = map.reclamation();
        let removed = (0..N).step_by(3).count() as u64;
        let replaced = (0..N).step_by(2).count() as u64;
        assert_eq!(
            stats,
            ReclaimStats {
                nodes_retired: removed,
                nodes_freed: removed,
                values_retired: replaced,
                values_freed: replaced,
                peak_unreclaimed: 0,
            }
        );
        assert_eq!(stats.unreclaimed(), 0);
    });
}

#[test]
fn ranges_and_bounds() {
    model(|| {
        let map = MutexSkipList::<u64, u64>::default();
        // Even keys 0, 2, …, 2(N-1).
        for k in scrambled(N) {
            map.insert(2 * k, k);
        }
        let collect = |lo: Bound<&u64>, hi: Bound<&u64>| -> Vec<u64> {
            map.range((lo, hi))
                .map(|(k, v)| {
                    assert_eq!(k, 2 * v);
                    k
                })
                .collect()
        };
        let all: Vec<u64> = (0..N).map(|k| 2 * k).collect();
        assert_eq!(collect(Bound::Unbounded, Bound::Unbounded), all);
        use Bound::{Excluded as Ex, Included as In, Unbounded as Un};
        assert_eq!(collect(In(&2), Ex(&8)), [2, 4, 6]);
        assert_eq!(collect(In(&2), In(&8)), [2, 4, 6, 8]);
        assert_eq!(collect(Ex(&2), In(&8)), [4, 6, 8]);
        assert_eq!(collect(Ex(&2), Ex(&8)), [4, 6]);
        // Bounds between keys.
        assert_eq!(collect(In(&1), In(&7)), [2, 4, 6]);
        assert_eq!(collect(Ex(&1), Ex(&7)), [2, 4, 6]);
        assert_eq!(collect(Un, Ex(&4)), [0, 2]);
        assert_eq!(collect(Ex(&(2 * N - 4)), Un), [2 * N - 2]);
        // Empty ranges, inverted ranges, ranges past the ends.
        assert!(collect(In(&4), Ex(&4)).is_empty());
        assert!(collect(Ex(&4), In(&4)).is_empty());
        assert!(collect(Ex(&4), Ex(&5)).is_empty());
        assert_eq!(collect(In(&4), In(&4)), [4]);
        assert!(collect(In(&8), In(&2)).is_empty());
        assert!(collect(In(&(2 * N)), Un).is_empty());
        assert!(collect(Un, Ex(&0)).is_empty());

        // Weak consistency: updates between steps are seen or not, order is kept.
        let mut it = map.range::<u64, _>(..);
        assert_eq!(it.next(), Some((0, 0)));
        assert_eq!(it.next(), Some((2, 1)));
        map.remove(&4);
        map.insert(5, 5);
        map.insert(1, 1); // behind the cursor: not seen
        assert_eq!(it.next(), Some((5, 5)));
        assert_eq!(it.next(), Some((6, 3)));
        assert_eq!(it.count(), N as usize - 4);

        // An exhausted iterator stays exhausted.
        let mut it = map.range(2 * N..);
        assert_eq!(it.next(), None);
        map.insert(2 * N + 1, 0);
        assert_eq!(it.next(), None);
        map.check();
    });
}

#[test]
fn heights_are_geometric_and_bounded() {
    model(|| {
        let n = if SMALL_MODEL { 64 } else { 20_000 };
        let map = MutexSkipList::<u64, ()>::default();
        for k in 0..n {
            map.insert(k, ());
        }
        let heights = map.check();
        assert_eq!(heights.len(), n as usize);
        assert!(heights.iter().all(|h| (1..=MAX_HEIGHT).contains(h)));
        let tallest = *heights.iter().max().unwrap();
        assert_eq!(map.lock().height, tallest);
        if !SMALL_MODEL {
            let ones = heights.iter().filter(|&&h| h == 1).count() as f64 / n as f64;
            assert!((0.46..0.54).contains(&ones), "P(height = 1) = {ones}");
            assert!(tallest >= 4, "tallest tower {tallest} of {n} nodes");
        }
        // Removing everything leaves a valid empty list (the height does not shrink).
        for k in 0..n {
            assert_eq!(map.remove(&k), Some(()));
        }
        map.check();
        assert!(map.is_empty());
        assert_eq!(map.lock().height, tallest);
        assert_eq!(map.iter().next(), None);
    });
}

#[test]
fn node_layout() {
    // The tower follows the header and does not depend on the height.
    let (l1, off) = Node::<u8, u8>::layout(1);
    let (l4, off4) = Node::<u8, u8>::layout(4);
    assert_eq!(off, off4);
    assert_eq!(off, std::mem::size_of::<Node<u8, u8>>());
    assert_eq!(l1.size(), off + std::mem::size_of::<usize>());
    assert_eq!(l4.size(), off + 4 * std::mem::size_of::<usize>());
    // An over-aligned key: the node keeps its alignment, and its size is padded to it.
    #[repr(align(32))]
    struct Wide(#[allow(dead_code)] u8);
    let (l, off) = Node::<Wide, u8>::layout(1);
    assert_eq!(l.align(), 32);
    assert_eq!(off, std::mem::size_of::<Node<Wide, u8>>());
    assert_eq!(l.size() % 32, 0);
}

/// A value that counts its live instances.
struct Counted(std::sync::Arc<AtomicUsize>);

impl Counted {
    fn new(live: &std::sync::Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::Relaxed);
        Self(live.clone())
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Self::new(&self.0)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[test]
fn every_key_and_value_is_dropped_once() {
    model(|| {
        let values = std::sync::Arc::new(AtomicUsize::new(0));
        // Keys that count too: each holds a clone of `key_token`, so its strong count is
        // one plus the number of live keys.
        #[derive(Clone)]
        struct Key(u64, #[allow(dead_code)] std::sync::Arc<()>);
        impl PartialEq for Key {
            fn eq(&self, o: &Self) -> bool {
                self.0 == o.0
            }
        }
        impl Eq for Key {}
        impl PartialOrd for Key {
            fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(o))
            }
        }
        impl Ord for Key {
            fn cmp(&self, o: &Self) -> std::cmp::Ordering {
                self.0.cmp(&o.0)
            }
        }
        let key_token = std::sync::Arc::new(());
        let key = |k: u64| Key(k, key_token.clone());
        {
            let map = MutexSkipList::<Key, Counted>::default();
            for k in scrambled(N) {
                assert!(map.insert(key(k), Counted::new(&values)));
            }
            assert_eq!(values.load(Ordering::Relaxed), N as usize);
            // Replacing drops the old value, and the rejected duplicate key.
            for k in 0..N / 2 {
                assert!(!map.insert(key(k), Counted::new(&values)));
            }
            assert_eq!(values.load(Ordering::Relaxed), N as usize);
            // A clone handed out is the caller's.
            let got = map.get(&key(1)).unwrap();
            assert_eq!(values.load(Ordering::Relaxed), N as usize + 1);
            drop(got);
            // Removing moves the value out without a clone.
            let removed = map.remove(&key(2)).unwrap();
            assert_eq!(values.load(Ordering::Relaxed), N as usize);
            drop(removed);
            assert_eq!(values.load(Ordering::Relaxed), N as usize - 1);
            let _ = map.iter().count();
            assert_eq!(values.load(Ordering::Relaxed), N as usize - 1);
            map.check();
            // Every rejected duplicate and every probe key is gone; N - 1 keys remain.
            assert_eq!(std::sync::Arc::strong_count(&key_token), 1 + N as usize - 1);
        }
        // Dropping the map drops every remaining key and value.
        assert_eq!(values.load(Ordering::Relaxed), 0);
        assert_eq!(std::sync::Arc::strong_count(&key_token), 1);
    });
}

#[test]
fn concurrent_disjoint_inserts_and_removes() {
    use crate::sync::{thread, Arc};
    let per_thread: u64 = if cfg!(loom) {
        2
    } else if SMALL_MODEL {
        8
    } else {
        2_000
    };
    let threads: u64 = if cfg!(loom) { 2 } else { 4 };
    let body = move || {
        let map = Arc::new(MutexSkipList::<u64, u64>::default());
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let map = map.clone();
                thread::spawn(move || {
                    for i in 0..per_thread {
                        assert!(map.insert(i * threads + t, t));
                    }
                    for i in (0..per_thread).step_by(2) {
                        assert_eq!(map.remove(&(i * threads + t)), Some(t));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        map.check();
        let keys: Vec<u64> = map.iter().map(|(k, _)| k).collect();
        let expected: Vec<u64> = (0..per_thread * threads)
            .filter(|k| (k / threads) % 2 == 1)
            .collect();
        assert_eq!(keys, expected);
        assert_eq!(map.len(), expected.len());
    };
    schedules(50, body);
}
