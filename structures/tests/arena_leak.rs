//! Memory given back, counted by the allocator: a counting global allocator checks that
//! dropping a lock-free map returns every byte its operations took — the no-reclamation
//! scheme's arena chunks included, which no value-drop count can see (they hold nodes, not
//! values). One test in its own binary, so nothing else allocates while it measures.
#![cfg(not(any(loom, feature = "shuttle", miri)))]

use ferrolite_structures::{ConcurrentMap, EpochSkipList, HazardSkipList, NoReclaimSkipList};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to `System`, which upholds `GlobalAlloc`; the counter has no effect on the
// memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's `layout` contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout (caller's contract).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The bytes still allocated after `M` is filled, emptied in part and dropped.
fn leaked<M: ConcurrentMap<u64, Vec<u8>> + Default>() -> isize {
    let before = LIVE.load(Ordering::Relaxed);
    {
        let m = M::default();
        for i in 0..5_000u64 {
            m.insert(i, vec![1; 16]);
        }
        for i in (0..5_000u64).step_by(2) {
            m.remove(&i);
        }
        for i in (1..5_000u64).step_by(4) {
            m.insert(i, vec![2; 16]);
        }
    }
    LIVE.load(Ordering::Relaxed) - before
}

#[test]
fn dropping_a_map_gives_back_every_byte_it_took() {
    // Warm up: the thread's index and anything the schemes set up once per process.
    let _ = leaked::<NoReclaimSkipList<u64, Vec<u8>>>();
    let _ = leaked::<EpochSkipList<u64, Vec<u8>>>();
    let _ = leaked::<HazardSkipList<u64, Vec<u8>>>();
    // A chunk of the arena is 256 KiB; a leaked node or value is tens of bytes each, thousands
    // of them. A few hundred bytes of slack cover what a process sets up lazily.
    for (name, bytes) in [
        ("noreclaim", leaked::<NoReclaimSkipList<u64, Vec<u8>>>()),
        ("epoch", leaked::<EpochSkipList<u64, Vec<u8>>>()),
        ("hazard", leaked::<HazardSkipList<u64, Vec<u8>>>()),
    ] {
        assert!(
            bytes.abs() < 1024,
            "{name}: {bytes} bytes not given back after the drop"
        );
    }
}
