//! The lock-free skip list algorithm, written once against [`Scheme`].
//!
//! # Algorithm
//!
//! Fraser/Harris style, with Michael's search so that it is also safe under hazard pointers:
//!
//! * **Insert** searches for the key, and if a live node has it, swaps the value pointer
//!   (replace; the old box is retired). Otherwise it links a new node at level 0 with one CAS
//!   on the predecessor (the linearization point), then links the upper levels bottom-up.
//! * **Remove** swaps the node's value pointer to null (the linearization point: logical
//!   deletion), marks the tower's next pointers top-down, then searches again: every search
//!   unlinks the marked nodes it meets, so after that search the node is linked nowhere.
//! * **Search** (`find`) walks from the top level down; at each level it unlinks marked nodes
//!   with a CAS on the predecessor and restarts from the head when that CAS fails or when the
//!   predecessor itself turns out to be marked. It never steps *from* a marked node, which is
//!   what hazard pointers need (trap 2 of the design notes).
//! * **Get** under epochs, seize and with no reclamation takes a read-only search that may step
//!   through marked nodes (no CAS on the read path); under hazard pointers it uses `find`.
//!   The read path (get, range scans) is in `read.rs`; this file holds the structure, the
//!   search and the updates.
//!
//! # Invariants (also in ARCHITECTURE.md)
//!
//! 1. **Retire once, after the last link** (trap 1). A removed node is retired by whichever of
//!    its inserter (state bit `BUILT`: done with the tower) and its remover (state bit
//!    `UNLINKED`: its search passed the node at every level) sets its bit second
//!    (`fetch_or` tells). An inserter that links a level after the remover marked it notices
//!    the mark with a read-modify-write on the node's tower slot, and runs a search to unlink
//!    the late link before setting `BUILT`.
//! 2. **No equal keys on one level** (trap 3). A tower level is never linked before a successor
//!    with the same key; the search unlinks marked nodes before comparing keys.
//! 3. **Marks are final.** A marked tower slot is never unmarked or rewritten.
//! 4. **A value box is retired once**, by the replace that swapped it out or by the remove that
//!    nulled it; a live node's box is freed with the node.

use super::node::{inline_tag, Boxed, Node, BUILT, UNLINKED};
use crate::map::{MapKey, MapValue, ReclaimStats};
use crate::mutant::mutant;
use crate::reclaim::owned::Owned;
use crate::reclaim::slots::Slots;
use crate::reclaim::{Counters, Scheme, PRED, SPARE, SUCC};
use crate::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use crate::sync::{backoff, MAX_HEIGHT};
use crate::tag::{is_marked, marked, untagged};
use std::borrow::Borrow;
use std::ptr;

pub(super) type NodePtr<K, V, S> = *mut Node<K, V, S>;

/// Per level: the last node before the target (null = the head) and the first one not before.
pub(crate) struct Position<K, V, S> {
    preds: [NodePtr<K, V, S>; MAX_HEIGHT],
    pub(super) succs: [NodePtr<K, V, S>; MAX_HEIGHT],
}

impl<K, V, S> Position<K, V, S> {
    pub(super) fn new() -> Self {
        Self {
            preds: [ptr::null_mut(); MAX_HEIGHT],
            succs: [ptr::null_mut(); MAX_HEIGHT],
        }
    }
}

/// The lock-free skip list over reclamation scheme `S`.
pub(crate) struct SkipList<K, V, S: Scheme> {
    head: Box<[AtomicPtr<Node<K, V, S>>]>,
    /// The highest tower linked so far; searches start there. Only grows.
    max_height: AtomicUsize,
    scheme: S,
    slots: Slots<S::Local>,
    /// `Owned`: deferred frees update the counters through pointers taken during operations,
    /// up to and including teardown in `Drop` (see `reclaim::owned`).
    counters: Owned<Counters>,
}

// SAFETY: the list owns its nodes, keys and values and shares them between threads only
// through atomics; keys and values are `Send + Sync` (`MapKey`/`MapValue`) and the scheme and
// slots are `Send + Sync` themselves.
unsafe impl<K: MapKey, V: MapValue, S: Scheme> Send for SkipList<K, V, S> {}
// SAFETY: as above; every shared mutation goes through atomics and the scheme.
unsafe impl<K: MapKey, V: MapValue, S: Scheme> Sync for SkipList<K, V, S> {}

impl<K: MapKey, V: MapValue, S: Scheme> Default for SkipList<K, V, S> {
    fn default() -> Self {
        Self {
            head: (0..MAX_HEIGHT)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            max_height: AtomicUsize::new(1),
            scheme: S::new(),
            slots: Slots::new(),
            counters: Owned::new(Counters::default()),
        }
    }
}

/// Read the latest value of `a` in its modification order with a read-modify-write.
///
/// A plain load may return an older value; a successful CAS reads the latest. `AcqRel`: if
/// this RMW precedes a remover's marking RMW, it synchronises with it, so our earlier link is
/// visible to the remover's search (invariant 1).
#[inline]
fn latest<T>(a: &AtomicPtr<T>) -> *mut T {
    let mut v = a.load(Ordering::Acquire);
    loop {
        match a.compare_exchange(v, v, Ordering::AcqRel, Ordering::Acquire) {
            Ok(v) => return v,
            Err(now) => v = now,
        }
    }
}

impl<K: MapKey, V: MapValue, S: Scheme> SkipList<K, V, S> {
    /// Run one operation with this thread's scheme state and a guard.
    #[inline]
    pub(super) fn op<R>(&self, f: impl FnOnce(&mut S::Local, &S::Guard) -> R) -> R {
        self.slots.with(
            || self.scheme.new_local(),
            |local| {
                let guard = self.scheme.pin(local);
                f(local, &guard)
            },
        )
    }

    /// The next pointer of `pred` at `level`, where a null `pred` is the head.
    ///
    /// # Safety
    /// A non-null `pred` is live for the returned lifetime and has a tower above `level`.
    #[inline(always)]
    pub(super) unsafe fn next_of(
        &self,
        pred: NodePtr<K, V, S>,
        level: usize,
    ) -> &AtomicPtr<Node<K, V, S>> {
        if pred.is_null() {
            &self.head[level]
        } else {
            // SAFETY: caller's contract.
            unsafe { Node::tower(pred, level) }
        }
    }

    pub(super) fn top(&self) -> usize {
        // Relaxed: a stale (lower) value only makes a search start lower, which is correct
        // (levels above it are reached from the head); see invariant notes in `insert`.
        self.max_height.load(Ordering::Relaxed)
    }

    /// Michael's search: fill `pos` for the first node not `before`, at every level below
    /// `top`, unlinking every marked node met. Restarts from the head when an unlink CAS fails
    /// or a predecessor turns out to be marked. On return, under hazard pointers, `preds[l]`
    /// and `succs[l]` are protected in slots `PRED + l` and `SUCC + l`.
    ///
    /// # Safety
    /// Called inside an operation (`local` and its guard are live), `top <= MAX_HEIGHT`.
    pub(super) unsafe fn find(
        &self,
        local: &mut S::Local,
        before: impl Fn(&K) -> bool,
        top: usize,
        pos: &mut Position<K, V, S>,
    ) {
        'retry: loop {
            let mut pred: NodePtr<K, V, S> = ptr::null_mut();
            for level in (0..top).rev() {
                // `pred` is protected in `PRED + level + 1` (or is the head); move it down.
                S::copy_protection(local, PRED + level, pred);
                // SAFETY: `pred` is the head or a protected node reached at a level above, so it
                // has a tower above `level`.
                let mut curr =
                    S::protect(local, SUCC + level, unsafe { self.next_of(pred, level) });
                if is_marked(curr) {
                    // `pred` was deleted at this level while we stood on it: Michael restarts.
                    backoff();
                    continue 'retry;
                }
                while !curr.is_null() {
                    // SAFETY: `curr` is protected (slot `SUCC + level`) and was validated as
                    // reachable from an unmarked predecessor, so it is live; it is linked at
                    // `level`, so its tower reaches `level`.
                    let succ = S::protect(local, SPARE, unsafe { Node::tower(curr, level) });
                    if is_marked(succ) {
                        // `curr` is deleted at this level: unlink it. AcqRel: Release keeps our
                        // view of `succ` for readers of `pred`; Acquire on failure re-reads.
                        // SAFETY: `pred` is live (protected or head).
                        let link = unsafe { self.next_of(pred, level) };
                        match link.compare_exchange(
                            curr,
                            untagged(succ),
                            Ordering::AcqRel,
                            Ordering::Acquire,
                        ) {
                            Ok(_) => {
                                curr = untagged(succ);
                                S::copy_protection(local, SUCC + level, curr);
                                continue;
                            }
                            Err(_) => {
                                backoff();
                                continue 'retry;
                            }
                        }
                    }
                    // SAFETY: `curr` is live (see above).
                    if before(unsafe { Node::key(curr) }) {
                        pred = curr;
                        S::copy_protection(local, PRED + level, pred);
                        curr = succ;
                        S::copy_protection(local, SUCC + level, curr);
                    } else {
                        break;
                    }
                }
                pos.preds[level] = pred;
                pos.succs[level] = curr;
            }
            return;
        }
    }

    /// Retire a value swapped out of a node: a boxed one to the scheme; an inline one stays in
    /// its node and is destroyed with it (see `node.rs`).
    ///
    /// # Safety
    /// Inside an operation; `old` was swapped out of a node by this thread's successful CAS.
    unsafe fn retire_value(&self, local: &mut S::Local, guard: &S::Guard, old: *mut V) {
        if old != inline_tag() {
            // SAFETY: a boxed value, unreachable since the CAS, retired once by the CAS winner.
            unsafe {
                self.scheme
                    .retire(local, guard, &self.counters, old.cast::<Boxed<V>>())
            };
        }
    }

    /// Set the mark on every tower level of `node`, top-down. Idempotent; any thread may help.
    ///
    /// # Safety
    /// `node` is live for the call.
    unsafe fn mark_tower(&self, node: NodePtr<K, V, S>) {
        // SAFETY: live node (caller).
        let height = unsafe { Node::height(node) };
        for level in (0..height).rev() {
            // SAFETY: `level < height`.
            let slot = unsafe { Node::tower(node, level) };
            let mut cur = slot.load(Ordering::Acquire);
            while !is_marked(cur) {
                // AcqRel: see `latest` — the mark RMW synchronises with an inserter's check RMW
                // that precedes it, so links made before the mark are visible to our search.
                match slot.compare_exchange(cur, marked(cur), Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => break,
                    Err(now) => cur = now,
                }
            }
        }
    }

    /// Insert or replace. Returns `true` if the key was new.
    pub(crate) fn insert(&self, key: K, value: V) -> bool {
        // SAFETY: runs inside `op`.
        self.op(|local, guard| unsafe { self.insert_in(local, guard, key, value) })
    }

    /// # Safety
    /// Inside an operation.
    unsafe fn insert_in(&self, local: &mut S::Local, guard: &S::Guard, key: K, value: V) -> bool {
        // What we insert lives in one of three places as we retry: still loose (`key`, `value`),
        // in our unpublished node, or (value only) boxed for a replace.
        let mut key = Some(key);
        let mut value = Some(value);
        let mut boxed: *mut V = ptr::null_mut();
        let mut node: NodePtr<K, V, S> = ptr::null_mut();
        let height = crate::level::random_height();
        let mut pos = Position::new();
        loop {
            let k: &K = match &key {
                Some(k) => k,
                // SAFETY: our own node, unpublished.
                None => unsafe { Node::key(node) },
            };
            let top = self.top().max(height);
            // SAFETY: inside an operation.
            unsafe { self.find(local, |nk| nk < k, top, &mut pos) };
            let found = pos.succs[0];
            // SAFETY: `found` is protected (`SUCC + 0`) and live.
            if !found.is_null() && unsafe { Node::key(found) } == k {
                // The key is present: replace the value, unless the node is being removed.
                if boxed.is_null() {
                    let v = match value.take() {
                        Some(v) => v,
                        None => {
                            // SAFETY: our node was never published (the level-0 CAS below is
                            // the only publication, and it failed).
                            let (k, v) = unsafe { Node::discard(node) };
                            node = ptr::null_mut();
                            key = Some(k);
                            v
                        }
                    };
                    boxed = Boxed::into_raw(v);
                }
                // SAFETY: live node.
                let slot = unsafe { &(*found).value };
                let mut cur = slot.load(Ordering::Acquire);
                mutant!(
                    "replace_blind_store",
                    {
                        if !cur.is_null() {
                            slot.store(boxed, Ordering::Release);
                            // SAFETY: none — the seeded bug may retire a value a remover took.
                            unsafe { self.retire_value(local, guard, cur) };
                            return false;
                        }
                    },
                    {}
                );
                while !cur.is_null() {
                    // Release publishes the new box's contents to readers that Acquire-load the
                    // pointer; Acquire lets us own the old value we swapped out.
                    match slot.compare_exchange(cur, boxed, Ordering::AcqRel, Ordering::Acquire) {
                        Ok(_) => {
                            mutant!(
                                "replace_frees_immediately",
                                {
                                    if cur != inline_tag() {
                                        // SAFETY: none — the seeded bug frees a value that
                                        // readers may still be cloning.
                                        unsafe { Boxed::drop_raw(cur) };
                                    }
                                },
                                {
                                    // SAFETY: `cur` was swapped out of `found` by our CAS.
                                    unsafe { self.retire_value(local, guard, cur) };
                                }
                            );
                            return false;
                        }
                        Err(now) => cur = now,
                    }
                }
                // Value is null: a remove is in progress. Help it mark, then search again (the
                // search unlinks the node).
                mutant!(
                    "insert_waits_for_remover",
                    {
                        // The seeded bug: wait for the remover to mark the node instead of
                        // helping it — a spin on another thread's progress, so a remover
                        // stopped between taking the value and marking stops this insert too.
                        // SAFETY: `found` is live (protected); level 0 is in every tower.
                        while !is_marked(unsafe { Node::tower(found, 0) }.load(Ordering::Acquire)) {
                            backoff();
                        }
                    },
                    {
                        // SAFETY: `found` is live (protected).
                        unsafe { self.mark_tower(found) };
                    }
                );
                backoff();
                continue;
            }
            if node.is_null() {
                let v = match value.take() {
                    Some(v) => v,
                    // SAFETY: `boxed` came from `Boxed::into_raw` and its CAS never succeeded.
                    None => unsafe {
                        Boxed::into_inner(std::mem::replace(&mut boxed, ptr::null_mut()))
                    },
                };
                // SAFETY: `1 <= height <= MAX_HEIGHT`.
                node = unsafe { Node::alloc(local, key.take().expect("key"), v, height) };
            }
            for level in 0..height {
                // Relaxed: the node is unpublished; the Release CAS below publishes these.
                // SAFETY: our own node, `level < height`.
                unsafe { Node::tower(node, level) }.store(pos.succs[level], Ordering::Relaxed);
            }
            // Linearization point. Release: the node's fields happen-before any Acquire load
            // that reads the pointer.
            // SAFETY: `preds[0]` is live (protected or head).
            let link = unsafe { self.next_of(pos.preds[0], 0) };
            let linked = mutant!(
                "relaxed_publish",
                {
                    link.compare_exchange(pos.succs[0], node, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                },
                {
                    mutant!(
                        "insert_blind_link",
                        {
                            // The seeded bug: no check that the predecessor still points to
                            // `succs[0]`, so a node another inserter linked there is lost.
                            link.store(node, Ordering::Release);
                            true
                        },
                        {
                            link.compare_exchange(
                                pos.succs[0],
                                node,
                                Ordering::AcqRel,
                                Ordering::Acquire,
                            )
                            .is_ok()
                        }
                    )
                }
            );
            if linked {
                break;
            }
            backoff();
        }
        self.counters.add_len(1);
        if height > self.max_height.load(Ordering::Relaxed) {
            // Before any upper level is linked, so a remover that synchronises with one of our
            // links (see `latest`) also sees a max height covering the node.
            self.max_height.fetch_max(height, Ordering::AcqRel);
        }
        // SAFETY: inside an operation; `node` is ours until we set `BUILT`.
        unsafe { self.build_tower(local, guard, node, height, &mut pos) };
        true
    }

    /// Link levels `1..height` of a node already linked at level 0, then set `BUILT`.
    ///
    /// # Safety
    /// Inside an operation; `node` was linked at level 0 by this thread and `BUILT` is unset.
    unsafe fn build_tower(
        &self,
        local: &mut S::Local,
        guard: &S::Guard,
        node: NodePtr<K, V, S>,
        height: usize,
        pos: &mut Position<K, V, S>,
    ) {
        // SAFETY: `node` cannot be retired before we set `BUILT` (invariant 1), and this
        // function sets `BUILT` last: the node is live throughout.
        let key = unsafe { Node::key(node) };
        'levels: for level in 1..height {
            loop {
                let (pred, succ) = (pos.preds[level], pos.succs[level]);
                // Invariant 2: never link before an equal key (only possible if we were
                // removed and the key re-inserted: stop building).
                // SAFETY: `succ` is protected (`SUCC + level`) and live.
                if !succ.is_null() && (succ == node || unsafe { Node::key(succ) } == key) {
                    break 'levels;
                }
                // SAFETY: our node, `level < height`.
                let own = unsafe { Node::tower(node, level) };
                let ignore_mark = mutant!(
                    "insert_ignores_mark",
                    {
                        own.store(succ, Ordering::Release);
                        true
                    },
                    {
                        let cur = own.load(Ordering::Acquire);
                        if is_marked(cur) {
                            break 'levels;
                        }
                        if cur != succ
                            && own
                                .compare_exchange(cur, succ, Ordering::AcqRel, Ordering::Acquire)
                                .is_err()
                        {
                            // Only a remover's mark can change our tower concurrently.
                            break 'levels;
                        }
                        false
                    }
                );
                // SAFETY: `pred` is protected (`PRED + level`) or the head.
                let link = unsafe { self.next_of(pred, level) };
                if link
                    .compare_exchange(succ, node, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    if !ignore_mark && is_marked(latest(own)) {
                        // Removed while we linked this level: unlink the late link ourselves
                        // before setting `BUILT` (invariant 1).
                        let top = self.top().max(height);
                        // SAFETY: inside an operation.
                        unsafe { self.find(local, |nk| nk < key, top, pos) };
                        break 'levels;
                    }
                    break;
                }
                // The neighbourhood changed: search again and retry this level.
                backoff();
                let top = self.top().max(height);
                // SAFETY: inside an operation.
                unsafe { self.find(local, |nk| nk < key, top, pos) };
                if pos.succs[0] != node {
                    // We are no longer linked at level 0: removed.
                    break 'levels;
                }
            }
        }
        // SAFETY: `node` is live until one of the two bits' owners retires it (us, now).
        let prev = unsafe { &(*node).state }.fetch_or(BUILT, Ordering::AcqRel);
        if prev & UNLINKED != 0 {
            // SAFETY: the remover unlinked it everywhere, our late links (if any) were unlinked
            // by our own search, and only the second bit-setter retires.
            unsafe { self.scheme.retire(local, guard, &self.counters, node) };
        }
    }

    /// Remove `key`, returning a clone of its value.
    pub(crate) fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        // SAFETY: inside an operation.
        self.op(|local, guard| unsafe { self.remove_in(local, guard, key) })
    }

    /// # Safety
    /// Inside an operation.
    unsafe fn remove_in<Q>(&self, local: &mut S::Local, guard: &S::Guard, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut pos = Position::new();
        // SAFETY: inside an operation.
        unsafe { self.find(local, |nk| nk.borrow() < key, self.top(), &mut pos) };
        let node = pos.succs[0];
        // SAFETY: `node` is protected (`SUCC + 0`).
        if node.is_null() || unsafe { Node::key(node) }.borrow() != key {
            return None;
        }
        // SAFETY: live node.
        let slot = unsafe { &(*node).value };
        let cur = mutant!(
            "remove_blind_store",
            {
                let cur = slot.load(Ordering::Acquire);
                if cur.is_null() {
                    return None;
                }
                slot.store(ptr::null_mut(), Ordering::Release);
                cur
            },
            {
                let mut cur = slot.load(Ordering::Acquire);
                loop {
                    if cur.is_null() {
                        // Another remove won: we linearize just after it.
                        return None;
                    }
                    // Linearization point. Acquire: we now own the value and read it.
                    match slot.compare_exchange(
                        cur,
                        ptr::null_mut(),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => break cur,
                        Err(now) => cur = now,
                    }
                }
            }
        );
        self.counters.add_len(-1);
        // Readers may be cloning the value right now: clone, then retire (never free) it.
        // SAFETY: the value is ours (swapped out); it stays valid until retired.
        let value = unsafe { Node::clone_value(node, cur) };
        // SAFETY: swapped out of `node` by our CAS.
        unsafe { self.retire_value(local, guard, cur) };
        // From here `node` may lose its hazard protection (the next search reuses the slots), but
        // it cannot be freed before we set `UNLINKED` (invariant 1).
        // SAFETY: live until our `UNLINKED`.
        let height = unsafe { Node::height(node) };
        // SAFETY: as above.
        unsafe { self.mark_tower(node) };
        mutant!(
            "free_before_unlink",
            {
                // SAFETY: none — this is the seeded bug: the node is still linked and may be
                // read by others (and by our own unlinking below).
                unsafe { <Node<K, V, S> as crate::reclaim::Retire>::free(node) };
            },
            {}
        );
        // Unlink it, top-down, with the predecessors our search found (as crossbeam does): one
        // CAS per level instead of a second search. If a level was not linked when we searched
        // (its inserter is still building) or a predecessor changed, fall back to a search,
        // which unlinks the node at every level where it is linked.
        // SAFETY: live until our `UNLINKED`; the predecessors are protected (slots `PRED + l`,
        // untouched since the search) or kept by the guard.
        if !unsafe { self.unlink_with(&pos, node, height) } {
            let top = self.top().max(height);
            // SAFETY: inside an operation.
            unsafe { self.find(local, |nk| nk.borrow() < key, top, &mut pos) };
        }
        // SAFETY: live until this RMW.
        let prev = unsafe { &(*node).state }.fetch_or(UNLINKED, Ordering::AcqRel);
        if prev & BUILT != 0 {
            // SAFETY: unlinked at every level (our search; the inserter is done), retired by
            // the second bit-setter only.
            unsafe { self.scheme.retire(local, guard, &self.counters, node) };
        }
        Some(value)
    }

    /// Unlink the marked `node` at every level with one CAS each, using the predecessors in
    /// `pos` (from a search for its key). Returns `false` as soon as a level cannot be unlinked
    /// that way; the caller then searches.
    ///
    /// # Safety
    /// Inside an operation; `node` is live and marked at every level; the predecessors in `pos`
    /// are still protected.
    unsafe fn unlink_with(
        &self,
        pos: &Position<K, V, S>,
        node: NodePtr<K, V, S>,
        height: usize,
    ) -> bool {
        for level in (0..height).rev() {
            if pos.succs[level] != node {
                return false;
            }
            // SAFETY: live node, `level < height`.
            let succ = untagged(unsafe { Node::tower(node, level) }.load(Ordering::Acquire));
            // SAFETY: the predecessor is protected or the head.
            let link = unsafe { self.next_of(pos.preds[level], level) };
            // AcqRel as in `find`'s unlink: Release keeps our view of `succ` for later readers.
            if link
                .compare_exchange(node, succ, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                return false;
            }
        }
        true
    }

    /// Approximate length (see [`crate::ConcurrentMap::len`]).
    pub(crate) fn len(&self) -> usize {
        self.counters.len()
    }

    /// Reclamation counters.
    pub(crate) fn reclamation(&self) -> ReclaimStats {
        self.counters.sample_peak();
        self.counters.snapshot()
    }
}

impl<K, V, S: Scheme> Drop for SkipList<K, V, S> {
    fn drop(&mut self) {
        // With `&mut self` no operation runs: every node linked at level 0 is live (removed
        // nodes were unlinked by their removers and retired to the scheme). Free those, then let
        // the scheme free what was retired.
        let mut p = untagged(self.head[0].load(Ordering::Acquire));
        while !p.is_null() {
            // SAFETY: exclusive access; `p` is a live node linked at level 0, freed once here.
            unsafe {
                let next = untagged(Node::tower(p, 0).load(Ordering::Acquire));
                Node::free_live(p);
                p = next;
            }
        }
        let locals = self.slots.drain();
        self.scheme.teardown(locals, &self.counters);
    }
}
