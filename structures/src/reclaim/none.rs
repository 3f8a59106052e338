//! No reclamation before drop: the cost baseline.
//!
//! Nodes come from per-thread bump arenas (as RocksDB's `InlineSkipList` allocates from its
//! memtable arena, and as the smr-benchmark `nr` baseline never frees): an allocation is a
//! pointer bump in memory the thread owns. Retired nodes and values are parked in the retiring
//! thread's list and destroyed when the map is dropped; arena chunks are released then too.
//! Comparing the epoch and hazard skip lists with this one isolates what their reclamation
//! costs, since the algorithm is the same source.
//!
//! Nothing is ever freed while the map is in use, so readers may step through logically
//! deleted nodes, and `protect` is a plain `Acquire` load. Memory grows with every remove and
//! replace: this scheme is for measurement and for write-once uses such as a memtable.

use super::scheme::{Retire, Scheme};
use super::stats::Counters;
use crate::sync::atomic::{AtomicPtr, Ordering};
use std::alloc::Layout;

/// Bytes per arena chunk.
const CHUNK: usize = if crate::sync::SMALL_MODEL {
    1024
} else {
    256 * 1024
};

/// The no-reclamation scheme (no per-map state besides the per-thread arenas).
pub(crate) struct NoReclaim;

/// A retired object, destroyed at teardown.
struct Parked {
    ptr: *mut u8,
    free: unsafe fn(*mut u8),
}

/// A thread's arena and retired list for one map.
pub(crate) struct NoReclaimLocal {
    chunks: Vec<(*mut u8, Layout)>,
    cursor: usize,
    end: usize,
    parked: Vec<Parked>,
}

// SAFETY: the raw pointers are owned memory of this map (arena chunks, retired objects whose
// types are `Send`); the local is used by one thread at a time (`reclaim::slots`).
unsafe impl Send for NoReclaimLocal {}

impl NoReclaimLocal {
    #[cold]
    fn new_chunk(&mut self, layout: Layout) -> *mut u8 {
        let size = CHUNK.max(layout.size() + layout.align());
        let chunk_layout = Layout::from_size_align(size, 64).expect("arena chunk layout");
        // SAFETY: `size` is non-zero.
        let p = unsafe { std::alloc::alloc(chunk_layout) };
        if p.is_null() {
            std::alloc::handle_alloc_error(chunk_layout);
        }
        self.chunks.push((p, chunk_layout));
        self.cursor = p as usize;
        self.end = p as usize + size;
        p
    }

    #[inline]
    fn bump(&mut self, layout: Layout) -> *mut u8 {
        let start = self.cursor.next_multiple_of(layout.align());
        if self.chunks.is_empty() || start + layout.size() > self.end {
            let base = self.new_chunk(layout);
            let start = (base as usize).next_multiple_of(layout.align());
            self.cursor = start + layout.size();
            // SAFETY: `start - base` is within the fresh chunk, sized to fit `layout` aligned.
            return unsafe { base.add(start - base as usize) };
        }
        self.cursor = start + layout.size();
        let (base, _) = *self.chunks.last().expect("a chunk exists");
        // SAFETY: `start..start + size` lies within the current chunk (checked above); the
        // pointer is derived from the chunk's base to keep its provenance.
        unsafe { base.add(start - base as usize) }
    }
}

impl NoReclaimLocal {
    fn free_parked(&mut self) {
        for p in self.parked.drain(..) {
            // SAFETY: each parked object was retired exactly once and the map is being dropped
            // (`&mut` access, no operation in flight); chunks are still allocated.
            unsafe { (p.free)(p.ptr) };
        }
    }
}

impl Drop for NoReclaimLocal {
    fn drop(&mut self) {
        self.free_parked();
        for (p, layout) in self.chunks.drain(..) {
            // SAFETY: allocated in `new_chunk` with this layout; every object in it was
            // destroyed above or by the map's drop walk.
            unsafe { std::alloc::dealloc(p, layout) };
        }
    }
}

/// `free` of `T`, type-erased.
///
/// # Safety
/// As [`Retire::free`], with `ptr` a `*mut T`.
unsafe fn free_erased<T: Retire>(ptr: *mut u8) {
    // SAFETY: forwarded contract. Teardown accounts for every outstanding object at once.
    unsafe { T::free(ptr.cast::<T>()) }
}

// SAFETY: nothing is freed before `teardown`, which runs with `&mut` access to the map, after
// every operation ended; each retired object is parked once and freed once there.
unsafe impl Scheme for NoReclaim {
    const NAME: &'static str = "noreclaim";
    const TRAVERSE_MARKED: bool = true;
    // Arena chunks are released at teardown, with any quarantined node inside them.
    const QUARANTINE: bool = false;
    type Local = NoReclaimLocal;
    type Guard = ();

    fn new() -> Self {
        NoReclaim
    }

    fn new_local(&self) -> NoReclaimLocal {
        NoReclaimLocal {
            chunks: Vec::new(),
            cursor: 0,
            end: 0,
            parked: Vec::new(),
        }
    }

    #[inline]
    fn pin(&self, _: &mut NoReclaimLocal) {}

    #[inline]
    fn protect<T>(_: &mut NoReclaimLocal, _: usize, src: &AtomicPtr<T>) -> *mut T {
        // Acquire pairs with the Release CAS that published the target.
        src.load(Ordering::Acquire)
    }

    #[inline]
    fn copy_protection<T>(_: &mut NoReclaimLocal, _: usize, _: *mut T) {}

    #[inline]
    unsafe fn alloc(local: &mut NoReclaimLocal, layout: Layout) -> *mut u8 {
        local.bump(layout)
    }

    #[inline]
    unsafe fn dealloc(_: *mut u8, _: Layout) {
        // Arena memory is released with its chunk at teardown.
    }

    unsafe fn retire<T: Retire>(
        &self,
        local: &mut NoReclaimLocal,
        _: &(),
        c: &Counters,
        ptr: *mut T,
    ) {
        c.retired(T::KIND, 1);
        local.parked.push(Parked {
            ptr: ptr.cast(),
            free: free_erased::<T>,
        });
    }

    fn teardown(&mut self, mut locals: Vec<NoReclaimLocal>, counters: &Counters) {
        for kind in [super::stats::Kind::Node, super::stats::Kind::Value] {
            counters.freed(kind, counters.outstanding(kind));
        }
        // Two phases: a node parked by one thread may sit in another thread's arena chunk, so
        // every parked object is destroyed before any chunk is released.
        for local in &mut locals {
            local.free_parked();
        }
        drop(locals);
    }
}
