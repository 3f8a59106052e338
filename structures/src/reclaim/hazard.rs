//! Hazard pointers with `haphazard`, two domains per map (nodes, values).
//!
//! Before dereferencing a shared pointer, an operation publishes it in one of its hazard
//! pointers, issues a `SeqCst` fence and re-reads the source: if the source still holds the
//! pointer, the object was reachable after the hazard became visible, so a reclaimer that scans
//! the hazards after retiring it will see the hazard and keep it. That is
//! [`Scheme::protect`]'s loop.
//!
//! A reader may *not* step from a logically deleted node to its successor (the node may be
//! unlinked already and its successor freed): [`Scheme::TRAVERSE_MARKED`] is `false`, so the
//! skip list's searches unlink every marked node they meet and restart when they cannot
//! (Michael's variant of Harris's algorithm).
//!
//! Each thread acquires its hazard pointers once per map (`2 · MAX_HEIGHT + 2` of them: a
//! predecessor and a successor per level, one spare for hand-over-hand steps, one for the value
//! being cloned) and keeps them in its slot; acquiring per operation would cost a walk of the
//! domain's hazard list each time. Nodes and values are retired to separate domains so that
//! haphazard's "objects reclaimed" counts can be attributed to each kind.
//!
//! haphazard is loom-aware through plain `cfg(loom)`. It has no shuttle support; under shuttle
//! it runs on std atomics, which is sound (shuttle runs all threads on one OS thread) but does
//! not make haphazard's internals schedule points.

use super::owned::Owned;
use super::scheme::{Retire, Scheme, VALUE};
use super::stats::{Counters, Kind};
use crate::mutant::mutant;
use crate::sync::atomic::{fence, AtomicPtr, Ordering};
use crate::tag::untagged;
use haphazard::{Domain, HazardPointer};
use std::ptr::NonNull;

/// The domain family of every map's domains. Maps keep their domains apart by owning them;
/// they only use `protect_raw` and `retire_ptr`, which do not rely on a unique family.
pub(crate) struct MapFamily;

/// Node slots: every protection slot but the value's, which protects in the values' domain.
const NODE_SLOTS: usize = VALUE;

/// The hazard scheme: the map's two domains.
pub(crate) struct Hazard {
    // Owned (heap, raw pointer): hazard pointers hold `&'static Domain` (see `new_local`), so a
    // domain must not move when the map does, nor be asserted unique while they live.
    nodes: Owned<Domain<MapFamily>>,
    values: Owned<Domain<MapFamily>>,
}

/// A thread's hazard pointers for one map.
pub(crate) struct HazardLocal {
    nodes: Vec<HazardPointer<'static, MapFamily>>,
    value: HazardPointer<'static, MapFamily>,
}

impl HazardLocal {
    #[inline]
    fn slot(&mut self, slot: usize) -> &mut HazardPointer<'static, MapFamily> {
        if slot == VALUE {
            &mut self.value
        } else {
            &mut self.nodes[slot]
        }
    }
}

impl Hazard {
    fn domain(&self, kind: Kind) -> &Domain<MapFamily> {
        match kind {
            Kind::Node => &self.nodes,
            Kind::Value => &self.values,
        }
    }

    /// # Safety
    /// The returned reference must not outlive `self` (the map drops every `HazardLocal` in
    /// `teardown` before its domains).
    unsafe fn extend(domain: &Domain<MapFamily>) -> &'static Domain<MapFamily> {
        // SAFETY: the domain is `Owned` (stable heap address) and outlives every hazard pointer
        // made from it (caller's contract).
        unsafe { &*(domain as *const Domain<MapFamily>) }
    }
}

/// The owner of a retired object while haphazard holds it: dropping it frees the object.
struct Retiring<T: Retire>(NonNull<T>);

impl<T: Retire> std::ops::Deref for Retiring<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the object is live until this `Retiring` is dropped (it owns it).
        unsafe { self.0.as_ref() }
    }
}

impl<T: Retire> Drop for Retiring<T> {
    fn drop(&mut self) {
        // SAFETY: haphazard drops a `Retiring` exactly once, when no hazard protects the object
        // (`Pointer` contract below), and the object was retired exactly once.
        unsafe { T::free(self.0.as_ptr()) }
    }
}

// SAFETY: `into_raw` hands out the owned pointer (valid as `&mut T`, and as `&T` until
// `from_raw`), and `from_raw` rebuilds the unique owner of a pointer that `into_raw` or our
// retire path produced.
unsafe impl<T: Retire> haphazard::raw::Pointer<T> for Retiring<T> {
    fn into_raw(self) -> *mut T {
        let p = self.0.as_ptr();
        std::mem::forget(self);
        p
    }

    unsafe fn from_raw(ptr: *mut T) -> Self {
        // SAFETY: retired pointers are never null.
        Retiring(unsafe { NonNull::new_unchecked(ptr) })
    }
}

// SAFETY: hazard pointers uphold the `Scheme` contract: `protect` publishes a hazard and
// validates that the source still holds the pointer after a `SeqCst` fence, so any retirement
// of the object happens after the hazard is visible and haphazard's scan (which follows its own
// `SeqCst` fence) keeps the object while the hazard is set. Objects are retired once each to a
// domain the map owns; dropping the domain in `teardown` frees the rest.
unsafe impl Scheme for Hazard {
    const NAME: &'static str = "hazard";
    const TRAVERSE_MARKED: bool = false;
    type Local = HazardLocal;
    type Guard = ();

    fn new() -> Self {
        Self {
            nodes: Owned::new(Domain::new(&MapFamily)),
            values: Owned::new(Domain::new(&MapFamily)),
        }
    }

    fn new_local(&self) -> HazardLocal {
        // SAFETY: `HazardLocal`s are dropped in `teardown` (through `Slots::drain`) before the
        // domains, and never escape the map.
        let (nodes, values) = unsafe { (Self::extend(&self.nodes), Self::extend(&self.values)) };
        HazardLocal {
            nodes: (0..NODE_SLOTS)
                .map(|_| HazardPointer::new_in_domain(nodes))
                .collect(),
            value: HazardPointer::new_in_domain(values),
        }
    }

    #[inline]
    fn pin(&self, _: &mut HazardLocal) {}

    #[inline]
    fn protect<T>(local: &mut HazardLocal, slot: usize, src: &AtomicPtr<T>) -> *mut T {
        let hp = local.slot(slot);
        let mut p = src.load(Ordering::Acquire);
        mutant!(
            "skip_hazard_validation",
            {
                hp.protect_raw(untagged(p));
                return p;
            },
            {}
        );
        loop {
            hp.protect_raw(untagged(p));
            // SeqCst fence: the hazard store is ordered before the re-load below (store→load
            // ordering needs a full fence); it pairs with the fence a reclaimer issues between
            // unlinking/retiring and scanning hazards.
            fence(Ordering::SeqCst);
            let again = src.load(Ordering::Acquire);
            if again == p {
                // With the checkers' use-after-free detector on: not a freed node.
                crate::quarantine::check(p);
                return p;
            }
            p = again;
        }
    }

    #[inline]
    fn copy_protection<T>(local: &mut HazardLocal, slot: usize, ptr: *mut T) {
        local.slot(slot).protect_raw(untagged(ptr));
    }

    unsafe fn retire<T: Retire>(&self, _: &mut HazardLocal, _: &(), c: &Counters, ptr: *mut T) {
        c.retired(T::KIND, 1);
        let domain = self.domain(T::KIND);
        // SAFETY: the caller guarantees `ptr` is unreachable for new operations and retired
        // once; it is valid until haphazard drops its `Retiring`, which happens no later than
        // the domain's drop in `teardown`.
        let mut freed = unsafe { domain.retire_ptr::<T, Retiring<T>>(ptr) };
        if crate::quarantine::eager() {
            // Small models (loom, shuttle, Miri) and the use-after-free detector reclaim on
            // every retirement, so that frees happen inside the few operations a model runs
            // (haphazard's own threshold is 5 retired objects under loom, 1000 otherwise).
            freed += domain.eager_reclaim();
        }
        if freed > 0 {
            c.freed(T::KIND, freed as u64);
        }
    }

    fn teardown(&mut self, locals: Vec<HazardLocal>, counters: &Counters) {
        // Hazard pointers first (they borrow the domains), then the domains, whose drop frees
        // every object still retired.
        drop(locals);
        for kind in [Kind::Node, Kind::Value] {
            let outstanding = counters.outstanding(kind);
            match kind {
                Kind::Node => self.nodes.replace(Domain::new(&MapFamily)),
                Kind::Value => self.values.replace(Domain::new(&MapFamily)),
            }
            counters.freed(kind, outstanding);
        }
    }
}
