//! A use-after-free detector for the checkers: **quarantine** instead of freeing.
//!
//! Off unless a test switches it on (`testing::quarantine_freed`, feature `testing`). While it
//! is on, a skip list node whose scheme frees it (`Retire::free`) — under a scheme whose
//! memory goes back to the allocator node by node (`Scheme::QUARANTINE`; not the
//! no-reclamation arena, whose chunks go back whole) — has what it owns dropped as usual (key,
//! values: drop counts stay exact) but keeps its memory: every link of its tower and its value
//! pointer are overwritten with [`POISON`], and its address is recorded. The
//! memory is never reused, so a reader that still stands on the node reads defined memory —
//! the poison — instead of whatever the allocator put there:
//!
//! - the hazard scheme's `protect` ([`check`]) fails with "use after free" when it returns the
//!   poison (a link read from a freed node) or the address of a freed node;
//! - under the other schemes a poisoned link is dereferenced and crashes the test.
//!
//! With quarantine on, the hazard scheme also reclaims at every retirement ([`eager`]), so that
//! frees happen while other operations run, which is when a missing or misplaced protection
//! shows. The mutation tests' quick checks (`ferrolite-checkers`' `tests/quick.rs`) run with it:
//! a mutant that loses a hazard protection is a use after free that nothing observable follows
//! in a normal build.
//!
//! This file lives outside `lockfree/` and `reclaim/` on purpose: `cargo xtask mutants` mutates
//! those, and the detector is not what it measures.
//!
//! The flag and the record are std types, not the sync shim's: under shuttle they are not
//! schedule points, and a model sees the same interleavings with the detector on or off.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// What a quarantined node's links and value pointer hold: an address no allocation has (not
/// a canonical address on x86-64, beyond the 48-bit address space on aarch64, so that
/// dereferencing it faults), with the mark bit clear so that a search takes it for a node.
pub(crate) const POISON: usize = 0xDEAD_0000_0000_BEE0;

static ON: AtomicBool = AtomicBool::new(false);
static FREED: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

/// Whether freed nodes are quarantined. `Relaxed`: the flag is set before the threads that
/// read it are spawned (spawn orders it) and never changes while a map is in use.
#[inline]
pub(crate) fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Switches quarantine on or off for the whole process (see the module documentation).
#[cfg_attr(not(any(test, feature = "testing")), allow(dead_code))]
pub(crate) fn set(on: bool) {
    ON.store(on, Ordering::Relaxed);
}

/// Whether a node freed now goes to quarantine: the detector is on and the node's scheme
/// allows it (`Scheme::QUARANTINE`: its memory would otherwise go back to the allocator, so
/// keeping it means no later allocation reuses the address).
#[inline]
pub(crate) fn takes(scheme_allows: bool) -> bool {
    scheme_allows && on()
}

/// Whether the hazard scheme reclaims at every retirement: in small models (loom, shuttle,
/// Miri), and while quarantine is on.
#[inline]
pub(crate) fn eager() -> bool {
    crate::sync::SMALL_MODEL || on()
}

/// The poison, as a pointer of any type.
#[inline]
pub(crate) fn poison<T>() -> *mut T {
    std::ptr::without_provenance_mut(POISON)
}

/// Records that the object at `addr` was freed into quarantine.
pub(crate) fn record(addr: usize) {
    FREED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert(addr);
}

/// How many objects are in quarantine.
#[cfg_attr(not(any(test, feature = "testing")), allow(dead_code))]
pub(crate) fn count() -> usize {
    FREED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map_or(0, HashSet::len)
}

/// What `p` (possibly marked) points to, if it is freed memory: the poison (a link read from a
/// quarantined node) or a quarantined node.
pub(crate) fn freed<T>(p: *mut T) -> Option<&'static str> {
    let addr = crate::tag::untagged(p) as usize;
    if addr == POISON {
        return Some("the poison, read from a link of a node already freed,");
    }
    let quarantined = FREED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(|s| s.contains(&addr));
    quarantined.then_some("a pointer to a node already freed")
}

/// With quarantine on, fails if `p` (a pointer the hazard scheme's `protect` is about to hand
/// out) is [`freed`] and will be followed: the poison always (reading it was already a read of
/// freed memory), a quarantined node when `p` is unmarked. A *marked* link is never followed
/// under hazard pointers (`TRAVERSE_MARKED` is false): the search only compares it while
/// unlinking its node, and the successor it names may have been freed long ago, legitimately,
/// once that node was unlinked.
///
/// # Panics
///
/// On such a pointer, saying which it was (the panic is the checker's catch).
#[inline]
pub(crate) fn check<T>(p: *mut T) {
    if !on() {
        return;
    }
    if crate::tag::is_marked(p) && crate::tag::untagged(p) as usize != POISON {
        return;
    }
    if let Some(what) = freed(p) {
        panic!("use after free: {what} was protected ({p:p}) and is about to be followed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poison_and_recorded_nodes_are_freed_memory_and_nothing_else_is() {
        // An address no allocation has (below the first page), so recording it cannot make a
        // real node of a test running beside this one look freed.
        let fake = 0x40usize;
        assert_eq!(freed(std::ptr::without_provenance_mut::<u64>(fake)), None);
        record(fake);
        assert!(freed(std::ptr::without_provenance_mut::<u64>(fake)).is_some());
        // Marked or not.
        assert!(freed(std::ptr::without_provenance_mut::<u64>(fake | 1)).is_some());
        assert!(freed(poison::<u64>()).is_some_and(|w| w.contains("poison")));
        assert!(freed(crate::tag::marked(poison::<u64>())).is_some());
        assert_eq!(freed(std::ptr::without_provenance_mut::<u64>(0x80)), None);
        let live = Box::into_raw(Box::new(7u64));
        assert_eq!(freed(live), None);
        // SAFETY: made by `Box::into_raw` just above, freed once.
        drop(unsafe { Box::from_raw(live) });
        assert_eq!(
            POISON & 1,
            0,
            "the poison looks unmarked, so a search takes it for a node"
        );
    }
}
