//! A sequential skip list of our own behind one lock: the honest baseline for the lock-free
//! skip lists.
//!
//! # Why this map exists
//!
//! Comparing the lock-free skip lists with `Mutex<BTreeMap>` mixes two questions: *how do we
//! synchronise?* and *which data structure do we search?* A B-tree is cache-friendlier than
//! any linked structure, so it can win or lose for reasons that have nothing to do with
//! locking. [`MutexSkipList`] removes the second variable. It is the same skip list as the
//! lock-free ones — same level distribution, same maximum height, same head tower, same
//! top-down search, same node shape — with every operation run sequentially under one
//! [`Mutex`](crate::sync::Mutex). What the benchmarks then measure between this map and the
//! lock-free ones is the price (or the gain) of CAS loops, mark bits and deferred
//! reclamation, and nothing else.
//!
//! # Shape
//!
//! A skip list is a sorted linked list (level 0) with express lanes stacked on top: level
//! `l + 1` links a subset of the nodes of level `l`. Every node draws a tower height from
//! [`random_height`]: each level is kept with probability 1/2, capped at
//! [`MAX_HEIGHT`]. A node of height `h` is linked at levels `0..h`.
//!
//! ```text
//!  head
//!  [3] ──────────────────────────────────────────────────────────► null
//!  [2] ─────────────────────► 40 ────────────────────────────────► null
//!  [1] ───────► 17 ─────────► 40 ──────────────► 71 ─────────────► null
//!  [0] ─► 5 ──► 17 ──► 23 ──► 40 ──► 52 ──► 64 ──► 71 ──► 88 ────► null
//! ```
//!
//! The *head tower* is an array of `MAX_HEIGHT` links stored in the list itself; it has no
//! key. `height` records how many levels are in use (the tallest tower ever inserted; like the
//! lock-free lists, it never shrinks), so searches start at the highest useful level instead
//! of walking `MAX_HEIGHT` mostly-empty lanes.
//!
//! # Node layout
//!
//! Each node is **one allocation**: a `#[repr(C)]` header followed by its tower of next
//! pointers, sized for the node's own height.
//!
//! ```text
//!  ┌──────────── Node<K, V> (header) ───────────┬──── tower: height × *mut Node ────┐
//!  │ key: K │ value: V │ height: usize │ (pad) │ next[0] │ next[1] │ … │ next[h-1]  │
//!  └────────────────────────────────────────────┴───────────────────────────────────┘
//! ```
//!
//! The layout is `Layout::new::<Node<K, V>>()` extended with `height` pointer slots
//! (`Layout::extend`, then `pad_to_align`), allocated with `std::alloc`. The tower's offset
//! depends only on the header type, not on the height, so reaching `next[l]` is one add. No
//! `Vec`, `Box<[_]>` or `Arc` per node: a height-1 node — three nodes in four — costs exactly
//! one header plus one pointer, like in the lock-free lists. Links are plain `*mut` pointers,
//! not atomics: every read and write happens under the lock.
//!
//! # Operations
//!
//! * **Search** starts at level `height - 1` of the head tower. At each level it moves right
//!   while the next node's key lies before the target, then drops one level. Because towers
//!   (the head's and every node's) are arrays indexed by level, "drop one level" is moving
//!   the *slot pointer* one element down the same tower. The search records, per level, the
//!   slot that links to the first node not before the target (`preds`).
//! * **Insert** searches; if the key is present the value is replaced in place. Otherwise a
//!   node with a fresh random height is allocated and spliced in after `preds[l]` for each of
//!   its levels (levels above the current `height` splice after the head).
//! * **Remove** searches, unlinks the node at each of its levels (each `preds[l]` links to it
//!   there), moves the key and value out and frees the node immediately.
//! * **Range** is weakly consistent by *re-seeking*: each `next()` takes the lock, searches
//!   for the first key after the last one yielded (or the lower bound), checks the upper
//!   bound, clones, and releases the lock. A long scan therefore never blocks writers for
//!   longer than one search, never holds a pointer across unlocks, and sees the guarantees of
//!   [`ConcurrentMap`]: strictly increasing keys, each key at most once.
//!
//! # Reclamation
//!
//! Under one lock nobody can hold a pointer to a node when it is unlinked, so nodes are freed
//! on removal and replaced values are dropped on replacement. [`ReclaimStats`] reports removed
//! nodes as retired and freed in the same step, and replaced values likewise; the unreclaimed
//! count and its peak stay 0. The counters are plain `u64`s in the locked state.
//!
//! # Panics and poisoning
//!
//! Every operation leaves the list valid if user code panics: key comparisons and clones run
//! before (or without) any link is changed, and the splice/unlink loops call no user code.
//! A panic while the lock is held therefore cannot break an invariant, and poisoning is
//! ignored, as in [`MutexBTreeMap`](crate::MutexBTreeMap). (A panicking `Drop` of a key or
//! value leaks the rest of what was being dropped; it never frees twice.)
//!
//! # Model checking
//!
//! The lock comes from [`crate::sync`], so the same source runs under loom
//! (`--cfg loom`) and shuttle (feature `shuttle`); there `MAX_HEIGHT` shrinks to keep
//! models small.

use crate::level::random_height;
use crate::map::{ConcurrentMap, MapKey, MapValue, RangeIter, ReclaimStats};
use crate::reference::range_is_empty;
use crate::sync::{Mutex, MutexGuard, MAX_HEIGHT};
use std::alloc::{self, Layout};
use std::marker::PhantomData;
use std::ops::Bound;
use std::ptr;

/// A link to the next node at some level: null, or a live node of the same list.
type Link<K, V> = *mut Node<K, V>;

/// Per level, the slot (in the head tower or in a node's tower) that a search followed into
/// its target; levels at or above the list's height hold the head's slots.
type Preds<K, V> = [*mut Link<K, V>; MAX_HEIGHT];

/// The fixed-size header of a node. Its tower of `height` links follows it in the same
/// allocation, at [`Node::tower_offset`].
#[repr(C)]
struct Node<K, V> {
    key: K,
    value: V,
    /// Number of tower slots, in `1..=MAX_HEIGHT`; never changes.
    height: usize,
}

impl<K, V> Node<K, V> {
    /// The layout of a node with `height` tower slots, and the offset of its tower.
    #[inline]
    fn layout(height: usize) -> (Layout, usize) {
        let tower = Layout::array::<Link<K, V>>(height).expect("tower layout overflows");
        let (layout, offset) = Layout::new::<Self>()
            .extend(tower)
            .expect("node layout overflows");
        (layout.pad_to_align(), offset)
    }

    /// The offset of the tower from the start of the node; independent of the height.
    #[inline]
    fn tower_offset() -> usize {
        Self::layout(0).1
    }

    /// Allocates a node holding `key` and `value` with a tower of `height` null links.
    fn alloc(key: K, value: V, height: usize) -> *mut Self {
        debug_assert!((1..=MAX_HEIGHT).contains(&height));
        let (layout, offset) = Self::layout(height);
        // SAFETY: `layout` has non-zero size: the header alone holds a `usize`.
        let raw = unsafe { alloc::alloc(layout) };
        if raw.is_null() {
            alloc::handle_alloc_error(layout);
        }
        let node = raw.cast::<Self>();
        // SAFETY: `raw` is a fresh allocation of `layout`, which begins with a `Node<K, V>` at
        // offset 0 (aligned: `extend` keeps the header's alignment) followed by `height` link
        // slots at `offset`, all in bounds. Each is written exactly once, before any read.
        unsafe {
            node.write(Node { key, value, height });
            let tower = raw.add(offset).cast::<Link<K, V>>();
            for level in 0..height {
                tower.add(level).write(ptr::null_mut());
            }
        }
        node
    }

    /// The slot holding `node`'s link at `level`.
    ///
    /// # Safety
    ///
    /// `node` must be a live node from [`Node::alloc`] and `level < (*node).height`.
    #[inline]
    unsafe fn slot(node: *mut Self, level: usize) -> *mut Link<K, V> {
        // SAFETY: `node` is live (caller), so its header is readable; its tower starts at
        // `tower_offset()` within the same allocation and has `height > level` slots (caller),
        // so the result stays in bounds, derived from `node`'s provenance over the allocation.
        unsafe {
            debug_assert!(level < (*node).height);
            node.cast::<u8>()
                .add(Self::tower_offset())
                .cast::<Link<K, V>>()
                .add(level)
        }
    }

    /// Frees `node`, moving its key and value out.
    ///
    /// # Safety
    ///
    /// `node` must be a live node from [`Node::alloc`], unreachable from any list, and never
    /// used again.
    unsafe fn into_parts(node: *mut Self) -> (K, V) {
        // SAFETY: `node` is live (caller), so the header is initialised. Key and value are
        // read exactly once and the memory is freed right below, so they are neither read nor
        // dropped again: ownership moves to the caller.
        let (key, value, height) = unsafe {
            (
                ptr::read(&raw const (*node).key),
                ptr::read(&raw const (*node).value),
                (*node).height,
            )
        };
        // SAFETY: `node` was allocated by `alloc` with `layout(height)`, and `height` has not
        // changed since; it is not used again (caller).
        unsafe { alloc::dealloc(node.cast(), Self::layout(height).0) };
        (key, value)
    }

    /// Drops `node`'s key and value in place and frees it.
    ///
    /// # Safety
    ///
    /// Same as [`Node::into_parts`].
    unsafe fn destroy(node: *mut Self) {
        // SAFETY: `node` is live and exclusively ours (caller): key and value are initialised
        // and dropped exactly once, then the allocation is freed with the layout it was
        // allocated with (`height` never changes). Nothing touches `node` afterwards.
        unsafe {
            let height = (*node).height;
            ptr::drop_in_place(&raw mut (*node).key);
            ptr::drop_in_place(&raw mut (*node).value);
            alloc::dealloc(node.cast(), Self::layout(height).0);
        }
    }
}

/// The raw skip list: everything the lock protects.
///
/// **Invariants.** Every non-null link (in `head` or in a tower) points to a live node owned
/// by this list. Level 0 links every node exactly once, in strictly increasing key order; a
/// node of height `h` is linked at exactly levels `0..h`, each level in key order. Links at
/// levels `>= height` in the head are null. `len` is the number of nodes.
struct Inner<K, V> {
    /// The head tower: the first node of each level.
    head: [Link<K, V>; MAX_HEIGHT],
    /// Levels in use, in `1..=MAX_HEIGHT`: the tallest tower ever linked (never shrinks).
    height: usize,
    /// Number of nodes.
    len: usize,
    /// Nodes removed (each retired and freed at once).
    nodes_removed: u64,
    /// Values replaced by an insert (each retired and freed at once).
    values_replaced: u64,
    /// The list owns (and drops) keys and values.
    _owns: PhantomData<(K, V)>,
}

impl<K, V> Inner<K, V> {
    fn new() -> Self {
        Self {
            head: [ptr::null_mut(); MAX_HEIGHT],
            height: 1,
            len: 0,
            nodes_removed: 0,
            values_replaced: 0,
            _owns: PhantomData,
        }
    }
}

impl<K: Ord, V> Inner<K, V> {
    /// Descends from the top level in use, moving right while the next node's key is
    /// `before` the target. Returns the first node at level 0 not before the target (null at
    /// the end) and fills `preds` for every level (head slots at and above `height`).
    ///
    /// `before` must be monotone along the key order (true for a prefix of the list).
    fn search(&mut self, before: impl Fn(&K) -> bool, preds: &mut Preds<K, V>) -> Link<K, V> {
        // Every head slot pointer of this operation derives from this one raw pointer, and
        // `head` is not touched through `self` again while they are in use.
        let head = self.head.as_mut_ptr();
        for (level, pred) in preds.iter_mut().enumerate().skip(self.height) {
            // SAFETY: `level < MAX_HEIGHT`, the length of the head tower.
            *pred = unsafe { head.add(level) };
        }
        let mut level = self.height - 1;
        // SAFETY: `height - 1 < MAX_HEIGHT` (invariant on `height`).
        let mut slot = unsafe { head.add(level) };
        loop {
            // SAFETY: `slot` is level `level` of the head tower or of a live node linked at
            // `level` (so its height exceeds `level`). Links are null or live nodes
            // (invariant), and a node reached at `level` has a slot at `level`.
            let next = unsafe {
                let mut next = *slot;
                while !next.is_null() && before(&(*next).key) {
                    slot = Node::slot(next, level);
                    next = *slot;
                }
                next
            };
            preds[level] = slot;
            if level == 0 {
                return next;
            }
            level -= 1;
            // SAFETY: `slot` is at index `level + 1` of a tower (the head's or a node's, both
            // arrays indexed by level); index `level` is the element just below it.
            slot = unsafe { slot.sub(1) };
        }
    }

    /// The node holding `key`, or null.
    fn find(&mut self, key: &K) -> Link<K, V> {
        let mut preds = [ptr::null_mut(); MAX_HEIGHT];
        let node = self.search(|k| k < key, &mut preds);
        // SAFETY: `node` is null or live (invariant); the key is only read.
        if !node.is_null() && unsafe { (*node).key == *key } {
            node
        } else {
            ptr::null_mut()
        }
    }

    /// Inserts `key → value`; returns the replaced value if the key was present.
    fn insert(&mut self, key: K, value: V) -> Option<V> {
        let mut preds = [ptr::null_mut(); MAX_HEIGHT];
        let found = self.search(|k| k < &key, &mut preds);
        // SAFETY: `found` is null or live (invariant); the key is only read.
        if !found.is_null() && unsafe { (*found).key == key } {
            self.values_replaced += 1;
            // SAFETY: `found` is live, and `&mut self` (the lock) excludes every other access
            // to it, so a unique borrow of its value is sound.
            return Some(unsafe { std::mem::replace(&mut (*found).value, value) });
        }
        let height = random_height();
        let node = Node::alloc(key, value, height);
        for (level, &pred) in preds.iter().enumerate().take(height) {
            // Splicing `node` between `pred` and its successor keeps the level sorted: `pred`'s
            // node is before `key`, the successor is not, and it is not equal (checked above).
            // SAFETY: `pred` is a valid slot at `level` (head or a live node linked there),
            // unchanged since the search; `node` is live with `height > level`.
            unsafe {
                *Node::slot(node, level) = *pred;
                *pred = node;
            }
        }
        self.height = self.height.max(height);
        self.len += 1;
        None
    }

    /// Unlinks the node holding `key` and returns its key and value.
    fn remove(&mut self, key: &K) -> Option<(K, V)> {
        let mut preds = [ptr::null_mut(); MAX_HEIGHT];
        let found = self.search(|k| k < key, &mut preds);
        // SAFETY: `found` is null or live (invariant); the key is only read.
        if found.is_null() || unsafe { (*found).key != *key } {
            return None;
        }
        // SAFETY: `found` is live.
        let height = unsafe { (*found).height };
        for (level, &pred) in preds.iter().enumerate().take(height) {
            // SAFETY: `found` is linked at every `level < height`, and it is the first node
            // not before `key` at level 0, hence also at `level` (every level is a sorted
            // subset of level 0): `pred` is the slot linking to it. Both slots are valid.
            unsafe {
                debug_assert_eq!(*pred, found);
                *pred = *Node::slot(found, level);
            }
        }
        self.len -= 1;
        self.nodes_removed += 1;
        // SAFETY: `found` is now linked at none of its levels, so unreachable; it was
        // allocated by `Node::alloc` and is not used again.
        Some(unsafe { Node::into_parts(found) })
    }

    /// Clones of the first entry within `(lower, upper)`, if any.
    fn first_in(&mut self, lower: Bound<&K>, upper: Bound<&K>) -> Option<(K, V)>
    where
        K: Clone,
        V: Clone,
    {
        let mut preds = [ptr::null_mut(); MAX_HEIGHT];
        let node = match lower {
            Bound::Included(l) => self.search(|k| k < l, &mut preds),
            Bound::Excluded(l) => self.search(|k| k <= l, &mut preds),
            Bound::Unbounded => self.head[0],
        };
        if node.is_null() {
            return None;
        }
        // SAFETY: `node` is live (invariant) and `&mut self` excludes writers while these
        // shared borrows live (they end before this function returns).
        let (key, value) = unsafe { (&(*node).key, &(*node).value) };
        let within = match upper {
            Bound::Included(u) => key <= u,
            Bound::Excluded(u) => key < u,
            Bound::Unbounded => true,
        };
        within.then(|| (key.clone(), value.clone()))
    }
}

impl<K, V> Drop for Inner<K, V> {
    fn drop(&mut self) {
        let mut node = self.head[0];
        while !node.is_null() {
            // SAFETY: level 0 links every node exactly once (invariant), so each is visited
            // and destroyed once; its successor is read before it is freed, and `&mut self`
            // means nobody else can reach it.
            unsafe {
                let next = *Node::slot(node, 0);
                Node::destroy(node);
                node = next;
            }
        }
    }
}

/// A sequential skip list behind one lock: the baseline for the lock-free skip lists.
///
/// Same algorithm and node shape as [`EpochSkipList`](crate::EpochSkipList) and its siblings:
/// towers of geometric height (p = 1/2) allocated inline with each node's key and value in a
/// single allocation, a head tower, searches from the highest level in use down. Every
/// operation runs sequentially under one mutex, so links are plain pointers, nodes are freed
/// as soon as they are removed and replaced values as soon as they are replaced (reported by
/// [`reclamation`](ConcurrentMap::reclamation) as retired and freed in the same step).
/// [`len`](ConcurrentMap::len) is exact. Ranges re-seek under the lock at each step, so an
/// iterator never blocks writers between steps. The module's source documents the layout and
/// the algorithm in detail.
///
/// ```
/// use ferrolite_structures::{ConcurrentMap, MutexSkipList};
/// let map = MutexSkipList::<u64, &str>::default();
/// assert!(map.insert(2, "two"));
/// assert!(map.insert(1, "one"));
/// assert!(!map.insert(2, "deux"));
/// assert_eq!(map.iter().collect::<Vec<_>>(), [(1, "one"), (2, "deux")]);
/// assert_eq!(map.remove(&1), Some("one"));
/// assert_eq!(map.len(), 1);
/// ```
pub struct MutexSkipList<K, V> {
    inner: Mutex<Inner<K, V>>,
}

// SAFETY: the raw pointers inside `Inner` are the only reason the auto trait is missing. They
// point to nodes owned exclusively by this map (never shared with another map, never handed
// out), so moving the map to another thread moves the keys and values it owns: `K: Send` and
// `V: Send` cover that (the stricter `Sync` bounds are kept for uniformity with `Sync`).
unsafe impl<K: Send + Sync, V: Send + Sync> Send for MutexSkipList<K, V> {}

// SAFETY: through `&MutexSkipList` every access to the nodes goes through the mutex, which
// hands `&mut Inner` to one thread at a time; no reference to a node escapes a critical
// section (results are clones or moved-out values). Threads thus move keys and values in and
// out (`Send`) and read them only under the lock; `Sync` is required too, conservatively.
unsafe impl<K: Send + Sync, V: Send + Sync> Sync for MutexSkipList<K, V> {}

impl<K: MapKey, V: MapValue> Default for MutexSkipList<K, V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner::new()),
        }
    }
}

impl<K, V> MutexSkipList<K, V> {
    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // No operation leaves the list invalid when user code panics under the lock (see the
        // module documentation), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for MutexSkipList<K, V> {
    fn name(&self) -> &'static str {
        "mutex"
    }

    fn insert(&self, key: K, value: V) -> bool {
        let replaced = self.lock().insert(key, value);
        // The replaced value (if any) is dropped here, after the lock is released.
        replaced.is_none()
    }

    fn get(&self, key: &K) -> Option<V> {
        let mut inner = self.lock();
        let node = inner.find(key);
        // SAFETY: `node` is null or live, and the guard keeps writers out while we clone.
        (!node.is_null()).then(|| unsafe { (*node).value.clone() })
    }

    fn remove(&self, key: &K) -> Option<V> {
        let removed = self.lock().remove(key);
        // The key is dropped here, after the lock is released.
        removed.map(|(_, value)| value)
    }

    fn contains(&self, key: &K) -> bool {
        !self.lock().find(key).is_null()
    }

    fn first_in(&self, lower: Bound<&K>, upper: Bound<&K>) -> Option<(K, V)> {
        if range_is_empty(&lower, &upper) {
            return None;
        }
        self.lock().first_in(lower, upper)
    }

    fn range(&self, lower: Bound<&K>, upper: Bound<&K>) -> RangeIter<'_, K, V> {
        // Weakly consistent by re-seeking: each step takes the lock, finds the first key after
        // the last one yielded, clones it and releases the lock.
        let upper = upper.cloned();
        let mut next_lower: Bound<K> = lower.cloned();
        let mut done = false;
        Box::new(std::iter::from_fn(move || {
            if done || range_is_empty(&next_lower, &upper) {
                return None;
            }
            let found = self.lock().first_in(next_lower.as_ref(), upper.as_ref());
            match found {
                Some((key, value)) => {
                    next_lower = Bound::Excluded(key.clone());
                    Some((key, value))
                }
                None => {
                    // Fused: a key inserted later is not yielded after the end was reported.
                    done = true;
                    None
                }
            }
        }))
    }

    fn len(&self) -> usize {
        self.lock().len
    }

    fn reclamation(&self) -> ReclaimStats {
        let inner = self.lock();
        ReclaimStats {
            nodes_retired: inner.nodes_removed,
            nodes_freed: inner.nodes_removed,
            values_retired: inner.values_replaced,
            values_freed: inner.values_replaced,
            peak_unreclaimed: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::SMALL_MODEL;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Runs `f` as a single-threaded model under loom or shuttle (whose primitives only work
    /// inside one), directly under std.
    fn model(f: impl Fn() + Send + Sync + 'static) {
        #[cfg(loom)]
        loom::model(f);
        #[cfg(all(feature = "shuttle", not(loom)))]
        shuttle::check_random(f, 1);
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
                map.range(lo, hi)
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
            let mut it = map.range(Un, Un);
            assert_eq!(it.next(), Some((0, 0)));
            assert_eq!(it.next(), Some((2, 1)));
            map.remove(&4);
            map.insert(5, 5);
            map.insert(1, 1); // behind the cursor: not seen
            assert_eq!(it.next(), Some((5, 5)));
            assert_eq!(it.next(), Some((6, 3)));
            assert_eq!(it.count(), N as usize - 4);

            // An exhausted iterator stays exhausted.
            let mut it = map.range(In(&(2 * N)), Un);
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
                let _ = map.range(Bound::Unbounded, Bound::Unbounded).count();
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
        #[cfg(loom)]
        loom::model(body);
        #[cfg(all(feature = "shuttle", not(loom)))]
        shuttle::check_random(body, 50);
        #[cfg(not(any(loom, feature = "shuttle")))]
        body();
    }
}
