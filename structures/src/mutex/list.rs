//! The sequential skip list itself: everything the lock of [`super::MutexSkipList`] protects.

use super::node::{Link, Node};
use crate::level::random_height;
use crate::sync::MAX_HEIGHT;
use std::borrow::Borrow;
use std::marker::PhantomData;
use std::ptr;

/// Per level, the slot (in the head tower or in a node's tower) that a search followed into
/// its target; levels at or above the list's height hold the head's slots.
type Preds<K, V> = [*mut Link<K, V>; MAX_HEIGHT];

/// The raw skip list: everything the lock protects.
///
/// **Invariants.** Every non-null link (in `head` or in a tower) points to a live node owned
/// by this list. Level 0 links every node exactly once, in strictly increasing key order; a
/// node of height `h` is linked at exactly levels `0..h`, each level in key order. Links at
/// levels `>= height` in the head are null. `len` is the number of nodes.
pub(super) struct Inner<K, V> {
    /// The head tower: the first node of each level.
    pub(super) head: [Link<K, V>; MAX_HEIGHT],
    /// Levels in use, in `1..=MAX_HEIGHT`: the tallest tower ever linked (never shrinks).
    pub(super) height: usize,
    /// Number of nodes.
    pub(super) len: usize,
    /// Nodes removed (each retired and freed at once).
    pub(super) nodes_removed: u64,
    /// Values replaced by an insert (each retired and freed at once).
    pub(super) values_replaced: u64,
    /// The list owns (and drops) keys and values.
    _owns: PhantomData<(K, V)>,
}

impl<K, V> Inner<K, V> {
    pub(super) fn new() -> Self {
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
    pub(super) fn find<Q>(&mut self, key: &Q) -> Link<K, V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut preds = [ptr::null_mut(); MAX_HEIGHT];
        let node = self.search(|k| k.borrow() < key, &mut preds);
        // SAFETY: `node` is null or live (invariant); the key is only read.
        if !node.is_null() && unsafe { (*node).key.borrow() == key } {
            node
        } else {
            ptr::null_mut()
        }
    }

    /// Inserts `key → value`; returns the replaced value if the key was present.
    pub(super) fn insert(&mut self, key: K, value: V) -> Option<V> {
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
    pub(super) fn remove<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut preds = [ptr::null_mut(); MAX_HEIGHT];
        let found = self.search(|k| k.borrow() < key, &mut preds);
        // SAFETY: `found` is null or live (invariant); the key is only read.
        if found.is_null() || unsafe { (*found).key.borrow() != key } {
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

    /// Clones of the first entry not `before` (a monotone predicate, as for [`Self::search`]),
    /// if it is `within` the range's end.
    pub(super) fn first(
        &mut self,
        before: impl Fn(&K) -> bool,
        within: impl Fn(&K) -> bool,
    ) -> Option<(K, V)>
    where
        K: Clone,
        V: Clone,
    {
        let mut preds = [ptr::null_mut(); MAX_HEIGHT];
        let node = self.search(before, &mut preds);
        if node.is_null() {
            return None;
        }
        // SAFETY: `node` is live (invariant) and `&mut self` excludes writers while these
        // shared borrows live (they end before this function returns).
        let (key, value) = unsafe { (&(*node).key, &(*node).value) };
        within(key).then(|| (key.clone(), value.clone()))
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
