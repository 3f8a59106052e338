//! Marked pointers: bit 0 of a pointer as a flag.
//!
//! The lock-free skip list marks a node's tower slot to say "this node is logically deleted at
//! this level" (Harris). The mark travels with the pointer in one atomic word, so a CAS that
//! expects an unmarked successor fails once the slot is marked. Whoever dereferences or
//! protects such a pointer first strips the mark: the algorithm (`lockfree::raw`) and the hazard
//! pointer scheme (`reclaim::hazard`), which must publish the address of the node itself.
//! Every tagged type is at least 2-aligned, so bit 0 of a real address is always clear.

/// Strip the mark.
#[inline(always)]
pub(crate) fn untagged<T>(p: *mut T) -> *mut T {
    p.map_addr(|a| a & !1)
}

/// Is the mark set?
#[inline(always)]
pub(crate) fn is_marked<T>(p: *mut T) -> bool {
    p.addr() & 1 == 1
}

/// Set the mark.
#[inline(always)]
pub(crate) fn marked<T>(p: *mut T) -> *mut T {
    p.map_addr(|a| a | 1)
}
