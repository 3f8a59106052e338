//! Reference-counted batches with `seize` (Hyaline-1), one `Collector` per map.
//!
//! seize is the reclaimer under `papaya`. An operation *enters* the map's collector (a
//! `LocalGuard`: the thread's reservation is marked active) and leaves it when the guard is
//! dropped. A retired object joins the retiring thread's local batch; once the batch holds
//! `batch_size` objects it is *retired as a whole*: a heavy barrier, then the batch is pushed
//! onto the reservation list of every thread active at that moment and given a reference count
//! of that many threads. Each of them, when it leaves, walks its reservation list and
//! decrements; the last one frees the whole batch. A thread that was not active at the barrier
//! will see the objects unlinked when it next enters, so it is not counted. There are no epochs
//! to advance and no hazards to scan: reclamation cost is paid by the threads that delayed it.
//!
//! **Protection is the guard's lifetime**, as with epochs, not a per-pointer publication:
//! seize guarantees that a pointer loaded through a guard stays valid until the guard is
//! dropped, even if another thread retires the object meanwhile. Readers may therefore step
//! from a logically deleted node to its successor (Harris's traversal), and `TRAVERSE_MARKED`
//! is `true`, by the epoch argument: every node a reader reaches was still linked at some
//! moment after its guard was entered. The head is; a node read from an unmarked link of a
//! linked node is linked when it is read; a node read through a marked link (marks freeze a
//! link) of a node unlinked meanwhile became its predecessor's successor when that node was
//! unlinked — the unlink CAS writes the frozen link into the predecessor — which, by
//! induction, was after the guard was entered. So whatever a reader reaches is unlinked, then
//! retired, then its batch retired, after its guard was entered: the batch waits in the
//! reader's reservation list until the guard is dropped. (Under hazard pointers the same step
//! is unsafe: a hazard protects one node, not the ones after it.) A stalled reader therefore
//! holds back every batch retired during its stall, as a pinned epoch does (the stalled-reader
//! benchmark shows it).
//!
//! Loads follow seize's rule: `Guard::protect` in seize 0.5 strengthens every protected load
//! to `SeqCst`, so that it takes part in the total order of `enter`'s store and the retirer's
//! heavy barrier (a Dekker pattern: either the retirer sees this thread active, or this thread
//! sees the pointer already unlinked). [`Scheme::protect`] does the same load on the shim's
//! atomic (the guard is not passed to `protect`, and under loom and shuttle the shim's atomics
//! are not std's), and the read path loads every pointer it dereferences through it.
//!
//! **Counting frees.** seize's reclaimers are plain `unsafe fn(*mut T, &Collector)` pointers
//! (no closure), so a free cannot capture the map's counters as the epoch scheme's deferred
//! closures do, and the `&Collector` seize hands over covers only the collector's own bytes
//! (finding the enclosing state from it would need an integer-to-pointer cast, which Miri's
//! Tree Borrows cannot check). seize runs the reclaimers of a collector only inside calls on
//! that collector: a guard's drop (the last thread of a batch to leave frees it), a retirement
//! (a batch no thread holds is freed at once), `reclaim_all`. Each of those runs with a
//! thread-local ([`FREEING`]) naming this map's [`SeizeState`] — set when the guard is made and
//! restored when it is dropped, set around the teardown — and the reclaimer counts into the
//! counters it finds there, after checking that its collector is that state's.
//!
//! seize keeps its per-thread state in OS-thread thread-locals of its own and uses std atomics,
//! fences and (on Linux) the `membarrier` system call; it knows neither loom nor shuttle
//! (see the registry's reasons). It hands out its thread ids under a global std `Mutex`, taken
//! on a thread's first use of seize and at its exit: the one blocking step of this map. Under Miri it takes its portable path (`SeqCst` fences). In
//! small models the batch size is 1, so that reclamation happens inside the few operations a
//! Miri test runs.

use super::owned::Owned;
use super::scheme::{Retire, Scheme};
use super::stats::{Counters, Kind};
use crate::sync::atomic::{AtomicPtr, Ordering};
use ::seize::{Collector, Guard as _, LocalGuard};
use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::ptr;

/// Objects per local batch before the batch is retired in small models (loom, shuttle, Miri);
/// elsewhere seize's default (32, or the number of CPUs if that is larger).
const SMALL_BATCH: usize = 1;

/// What the map's reclaimers need: the collector and the map's counters.
///
/// `#[repr(C)]` with the collector first, so that a reclaimer can compare the `&Collector`
/// seize hands it with the state [`FREEING`] names by address alone (a cast, no dereference).
#[repr(C)]
struct SeizeState {
    collector: Collector,
    /// The map's counters, set by the first retirement (`Scheme::new` does not get them); every
    /// retirement of a map passes the same ones.
    counters: AtomicPtr<Counters>,
}

std::thread_local! {
    /// The state of the map whose collector may run reclaimers on this thread now: set for the
    /// life of each guard and around the teardown, restored after (so a reclaimer whose drop
    /// glue runs another map's operation finds its own map again afterwards). Null outside.
    /// A std thread-local: the scheme does not run under loom or shuttle (see the registry).
    static FREEING: Cell<*const SeizeState> = const { Cell::new(ptr::null()) };
}

/// The seize scheme: the map's collector and its counters, at a stable heap address.
pub(crate) struct Seize {
    // `Owned`: guards hold `&'static Collector` (see `pin`) and the reclaimers reach the state
    // through `FREEING`, so it must not move with the map, nor be asserted unique while they
    // may run.
    state: Owned<SeizeState>,
}

/// An operation's guard: seize's guard, and the `FREEING` value to restore when it is dropped.
pub(crate) struct SeizeGuard {
    guard: ManuallyDrop<LocalGuard<'static>>,
    outer: *const SeizeState,
}

impl Drop for SeizeGuard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: dropped once, here; dropping seize's guard may run this map's reclaimers,
        // which find the map through `FREEING` (still ours until the line below).
        unsafe { ManuallyDrop::drop(&mut self.guard) };
        FREEING.set(self.outer);
    }
}

impl Seize {
    /// The collector, for guards that live no longer than one operation.
    ///
    /// # Safety
    /// The reference must not outlive `self`: guards made from it are dropped at the end of the
    /// operation that made them, and operations borrow the map, which owns `self`.
    unsafe fn collector(&self) -> &'static Collector {
        // SAFETY: `Owned` keeps the state at a stable heap address until `self` is dropped
        // (caller's contract); the reference is shared only.
        unsafe { &*ptr::addr_of!((*self.state.as_ptr()).collector) }
    }
}

/// The reclaimer seize runs on a retired object once no thread can hold it: free it, and count
/// the free in the counters of the map whose collector this is.
///
/// # Safety
/// - `ptr` was retired through [`Scheme::retire`] of a [`Seize`] scheme, exactly once, and no
///   thread can reach it any more (seize's guarantee when it calls a reclaimer);
/// - `FREEING` names that scheme's live state (every call into its collector that can run
///   reclaimers sets it: `pin` until the guard's drop, `retire` inside a guard, `teardown`).
unsafe fn reclaim<T: Retire>(ptr: *mut T, collector: &Collector) {
    // SAFETY: retired once, unreachable, freed once (seize calls each reclaimer once).
    unsafe { T::free(ptr) };
    let state = FREEING.get();
    // `collector` is the state's first field (`repr(C)`): compare addresses without
    // dereferencing `state`, so a mistake here miscounts rather than reads freed memory.
    if !ptr::eq(state.cast::<Collector>(), collector) {
        debug_assert!(false, "a seize reclaimer ran outside its map's calls");
        return;
    }
    // SAFETY: `state` is the live state of the collector running this reclaimer (checked).
    let counters = unsafe { &(*state).counters };
    // Relaxed: the retirement that stored the pointer happens-before this reclaimer runs
    // (seize orders a batch's retirement before its free: Release on the reservation lists and
    // the batch's count, an Acquire fence before freeing), and it read or wrote the same value.
    let counters = counters.load(Ordering::Relaxed);
    // SAFETY: a non-null pointer is the map's counters, which the map drops after its scheme
    // (whose teardown runs every pending reclaimer): they outlive every object retired in it.
    match unsafe { counters.as_ref() } {
        Some(counters) => counters.freed(T::KIND, 1),
        None => debug_assert!(false, "a retirement stores the counters first"),
    }
}

// SAFETY: seize upholds the `Scheme` contract. An object retired through a guard is freed only
// after every thread that was active when its batch was retired has dropped its guard (the
// batch waits in their reservation lists, reference-counted), and a thread that enters after
// that moment cannot reach it: it was unlinked before its retirement, and the retirer's heavy
// barrier is ordered against the `SeqCst` store of `enter` and the `SeqCst` loads of `protect`.
// Every operation holds its guard from its first load to its last dereference (`op` in
// `lockfree::raw`). Each object is retired once, to the map's own collector; `teardown` frees
// whatever is still batched.
unsafe impl Scheme for Seize {
    const NAME: &'static str = "seize";
    // Protection is the guard's lifetime, not per pointer: see the module documentation.
    const TRAVERSE_MARKED: bool = true;
    // seize keeps its per-thread state itself (in its own thread-locals, per collector).
    type Local = ();
    type Guard = SeizeGuard;

    fn new() -> Self {
        let collector = Collector::new();
        let collector = if crate::sync::SMALL_MODEL {
            collector.batch_size(SMALL_BATCH)
        } else {
            collector
        };
        Self {
            state: Owned::new(SeizeState {
                collector,
                counters: AtomicPtr::new(ptr::null_mut()),
            }),
        }
    }

    fn new_local(&self) {}

    #[inline]
    fn pin(&self, _: &mut ()) -> SeizeGuard {
        let outer = FREEING.replace(self.state.as_ptr());
        SeizeGuard {
            // SAFETY: the guard is dropped at the end of the operation (`op`), which borrows
            // the map and so cannot outlive this scheme.
            guard: ManuallyDrop::new(unsafe { self.collector() }.enter()),
            outer,
        }
    }

    #[inline]
    fn protect<T>(_: &mut (), _: usize, src: &AtomicPtr<T>) -> *mut T {
        // SeqCst, as seize's `Guard::protect` (0.5) makes every protected load: it orders the
        // load after `enter`'s store in the total order that the retirer's heavy barrier joins,
        // so a pointer read here was not in a batch retired while this thread looked inactive.
        // It is also Acquire: it pairs with the Release CAS that published the target.
        src.load(Ordering::SeqCst)
    }

    #[inline]
    fn copy_protection<T>(_: &mut (), _: usize, _: *mut T) {}

    unsafe fn retire<T: Retire>(
        &self,
        _: &mut (),
        guard: &SeizeGuard,
        counters: &Counters,
        ptr: *mut T,
    ) {
        counters.retired(T::KIND, 1);
        let slot = &self.state.counters;
        // Relaxed: every retirement stores the same pointer, and the reclaimers that read it
        // run after a retirement that read or wrote it (see `reclaim`).
        if slot.load(Ordering::Relaxed).is_null() {
            slot.store(ptr::from_ref(counters).cast_mut(), Ordering::Relaxed);
        }
        // `defer_retire` (not `Collector::retire`) keeps the object for as long as this guard
        // lives too: our own operation may still read it. `FREEING` names this map while the
        // guard lives, so `reclaim::<T>` counts the free against it.
        // SAFETY: `ptr` is unreachable for new operations and retired once (caller), and freed
        // by `reclaim::<T>` only once no thread can hold it.
        unsafe { guard.guard.defer_retire(ptr, reclaim::<T>) };
    }

    fn teardown(&mut self, locals: Vec<()>, counters: &Counters) {
        drop(locals);
        // Batches already retired were freed by the last thread of their reservation lists to
        // leave: with `&mut self` no operation runs, so every guard is gone. What is left sits
        // in the threads' local batches (fewer than `batch_size` each).
        let outer = FREEING.replace(self.state.as_ptr());
        // SAFETY: no thread is active in this collector (every guard lives inside one
        // operation, which borrows the map), so nothing retired can be reached.
        unsafe { self.state.collector.reclaim_all() };
        FREEING.set(outer);
        debug_assert_eq!(counters.outstanding(Kind::Node), 0, "nodes left unfreed");
        debug_assert_eq!(counters.outstanding(Kind::Value), 0, "values left unfreed");
    }
}
