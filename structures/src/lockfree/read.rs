//! The read path of the lock-free skip list: point reads and range scans.
//!
//! Under epochs, seize and with no reclamation ([`Scheme::TRAVERSE_MARKED`]) a read takes Harris's
//! read-only search, which steps through logically deleted nodes without helping (no CAS on
//! the read path; the guard keeps every node it reaches alive). Under hazard pointers it takes
//! Michael's `find` (in `raw.rs`), which unlinks the marked nodes it meets, because a reader
//! may not step from a marked node there. A value is cloned under protection: an inline value
//! lives as long as its node, a boxed one is protected in the value slot or kept by the guard.
//!
//! A scan ([`SkipList::scan`]) hands live entries to a sink inside one operation and stops
//! when the sink is full: range iterators call it once per batch and `first_in` once, for one
//! entry; none holds a guard or a hazard between calls.

use super::node::Node;
use super::raw::{NodePtr, Position, SkipList};
use crate::map::{MapKey, MapValue};
use crate::reclaim::{Scheme, SPARE, SUCC, VALUE};
use crate::sync::atomic::Ordering;
use crate::tag::{is_marked, untagged};
use std::borrow::Borrow;
use std::ptr;

/// Why [`SkipList::scan`] stopped.
pub(crate) enum ScanEnd<K> {
    /// At the end of the list or of the range: nothing more to visit.
    End,
    /// The sink asked for no more entries.
    Full,
    /// At a node deleted under hazard pointers, which a traversal may not step from: resume
    /// after this key.
    Deleted(K),
}

impl<K: MapKey, V: MapValue, S: Scheme> SkipList<K, V, S> {
    /// Harris's read-only search (schemes with `TRAVERSE_MARKED`): the first node at level 0
    /// not `before`, stepping through marked nodes without helping. If `exact` is given and a
    /// live node with that key is met on an upper level, returns it early.
    ///
    /// Pointers are loaded through [`Scheme::protect`] like everywhere else: for these schemes
    /// it validates nothing (the slot is ignored) but fixes the ordering the scheme's guard
    /// needs — `Acquire` under epochs, `SeqCst` under seize.
    ///
    /// # Safety
    /// Called inside an operation of a scheme with `TRAVERSE_MARKED` (the guard keeps every
    /// node reached alive).
    unsafe fn read_search<Q: Ord + ?Sized>(
        &self,
        local: &mut S::Local,
        before: impl Fn(&K) -> bool,
        exact: Option<&Q>,
    ) -> NodePtr<K, V, S>
    where
        K: Borrow<Q>,
    {
        let mut pred: NodePtr<K, V, S> = ptr::null_mut();
        let mut curr: NodePtr<K, V, S> = ptr::null_mut();
        for level in (0..self.top()).rev() {
            // At least Acquire: pairs with the Release CAS that linked the node (fields
            // initialised).
            // SAFETY: `pred` is the head or a node reached under the guard at a higher level.
            let link = unsafe { self.next_of(pred, level) };
            curr = untagged(S::protect(local, SUCC + level, link));
            // SAFETY: nodes reached under the guard are not freed before it is dropped.
            while !curr.is_null() && before(unsafe { Node::key(curr) }) {
                pred = curr;
                // SAFETY: as above; `curr` was reached at `level`, so its tower reaches it.
                let link = unsafe { Node::tower(curr, level) };
                curr = untagged(S::protect(local, SUCC + level, link));
            }
            if let (Some(k), false) = (exact, curr.is_null()) {
                // SAFETY: as above.
                let same = unsafe { Node::key(curr) }.borrow() == k;
                // SAFETY: as above.
                if same && !unsafe { &(*curr).value }.load(Ordering::Acquire).is_null() {
                    return curr;
                }
            }
        }
        curr
    }

    /// The first node at level 0 not `before`, by the scheme's kind of search. Under hazard
    /// pointers the result is protected in slot `SUCC + 0`.
    ///
    /// # Safety
    /// Called inside an operation.
    unsafe fn seek<Q: Ord + ?Sized>(
        &self,
        local: &mut S::Local,
        before: impl Fn(&K) -> bool,
        exact: Option<&Q>,
    ) -> NodePtr<K, V, S>
    where
        K: Borrow<Q>,
    {
        if S::TRAVERSE_MARKED {
            // SAFETY: forwarded; the scheme allows stepping through marked nodes.
            unsafe { self.read_search(local, before, exact) }
        } else {
            let mut pos = Position::new();
            // SAFETY: forwarded.
            unsafe { self.find(local, before, self.top(), &mut pos) };
            pos.succs[0]
        }
    }

    /// Clone the value of a protected node, or `None` if it is logically deleted.
    ///
    /// # Safety
    /// `node` is live and protected for the rest of the operation.
    unsafe fn clone_value(&self, local: &mut S::Local, node: NodePtr<K, V, S>) -> Option<V> {
        // SAFETY: live node (caller).
        let src = unsafe { &(*node).value };
        let v = S::protect(local, VALUE, src);
        if v.is_null() {
            None
        } else {
            // SAFETY: an inline value lives as long as its (protected) node; a boxed one is
            // protected (hazard slot `VALUE`, validated against the node's pointer) or kept by
            // the guard, so it is not destroyed while we clone.
            Some(unsafe { Node::clone_value(node, v) })
        }
    }

    /// A clone of the value under `key`.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.op(|local, _| {
            // SAFETY: inside an operation.
            let node = unsafe { self.seek(local, |nk| nk.borrow() < key, Some(key)) };
            // SAFETY: `node` is protected / kept by the guard.
            if node.is_null() || unsafe { Node::key(node) }.borrow() != key {
                return None;
            }
            // SAFETY: as above.
            unsafe { self.clone_value(local, node) }
        })
    }

    /// Search for `key` as `get` does, then stay inside the operation — the epoch pinned,
    /// the hazard pointers of the search still published — until `until` is set: a reader
    /// stalled in the middle of a get (for the stalled-reader benchmark). The thread does
    /// nothing else meanwhile, so it cannot re-enter its own slot.
    #[cfg(all(any(test, feature = "testing"), not(any(loom, feature = "shuttle"))))]
    pub(crate) fn stall_in_get(&self, key: &K, until: &std::sync::atomic::AtomicBool) {
        self.op(|local, _| {
            // SAFETY: inside an operation.
            let node = unsafe { self.seek(local, |nk| nk < key, Some(key)) };
            std::hint::black_box(node);
            // Acquire pairs with the releaser's Release store (a plain stop flag; nothing is
            // published through it, Acquire only keeps the check honest).
            while !until.load(std::sync::atomic::Ordering::Acquire) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        })
    }

    /// Hand the live entries from the first key not `before` to `sink`, in order, while they
    /// are `within` the range's end and `sink` asks for more (returns `true`). One operation:
    /// the entries are visited under one guard / set of hazards, and the caller's next call
    /// seeks again, so no protection is held between calls.
    ///
    /// `before` must be monotone along the key order (a prefix of the list).
    pub(crate) fn scan(
        &self,
        before: impl Fn(&K) -> bool,
        within: impl Fn(&K) -> bool,
        mut sink: impl FnMut(&K, V) -> bool,
    ) -> ScanEnd<K> {
        self.op(|local, _| {
            // SAFETY: inside an operation.
            let mut node = unsafe { self.seek(local, before, None::<&K>) };
            while !node.is_null() {
                // SAFETY: `node` is protected in `SUCC + 0` (hazard) or kept by the guard.
                let key = unsafe { Node::key(node) };
                if !within(key) {
                    return ScanEnd::End;
                }
                // SAFETY: as above.
                if let Some(v) = unsafe { self.clone_value(local, node) } {
                    if !sink(key, v) {
                        // Full: the caller resumes after the last key it took. Returning
                        // before stepping saves a (likely cache-missing) visit of the next node.
                        return ScanEnd::Full;
                    }
                }
                // SAFETY: live node with a tower of at least one level.
                let next = S::protect(local, SPARE, unsafe { Node::tower(node, 0) });
                if is_marked(next) && !S::TRAVERSE_MARKED {
                    // `node` is deleted at level 0: we may not step from it. End the scan and
                    // resume after `node`'s key — not after the last key taken: a search
                    // from there could stop again at an earlier node whose value is null (its
                    // remover paused before marking) and never reach `node` to unlink it, so
                    // the iterator would spin (found by the shuttle checker). Skipping `node`
                    // is weakly consistent: it was deleted while we walked.
                    return ScanEnd::Deleted(key.clone());
                }
                node = untagged(next);
                S::copy_protection(local, SUCC, node);
            }
            ScanEnd::End
        })
    }
}
