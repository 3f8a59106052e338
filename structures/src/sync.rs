//! The sync shim: the one place that names synchronisation primitives — and the one a
//! structure of your own uses to run under loom and shuttle too.
#![allow(unused_imports, dead_code)]
//!
//! Every structure in this crate reaches atomics, fences, `UnsafeCell`, `Arc`, `Mutex`, thread
//! spawning and yielding through this module, so the *same source* runs under three
//! schedulers:
//!
//! * **std** (default): the real primitives.
//! * **loom** (`RUSTFLAGS="--cfg loom --cfg crossbeam_loom"`): loom's mocked primitives, which
//!   let loom enumerate interleavings and weak-memory behaviours exhaustively within a bound.
//! * **shuttle** (cargo feature `shuttle` of this crate): shuttle's primitives, which run every
//!   thread on one OS thread under a randomized or PCT scheduler. Shuttle treats every atomic
//!   as `SeqCst`.
//!
//! `UnsafeCell` follows loom's closure API (`with`/`with_mut`) in every mode, so code written
//! against it is checked by loom for data races and compiles to a plain pointer access in std.
//!
//! ## Using it in your own structure
//!
//! Write your map against `ferrolite_structures::sync` instead of `std::sync`:
//!
//! ```
//! use ferrolite_structures::sync::atomic::{AtomicUsize, Ordering};
//! use ferrolite_structures::sync::{backoff, Arc, Mutex, UnsafeCell};
//!
//! struct Counter {
//!     hits: AtomicUsize,
//!     slot: UnsafeCell<u64>,
//!     lock: Mutex<()>,
//! }
//!
//! impl Counter {
//!     fn bump(&self) -> u64 {
//!         self.hits.fetch_add(1, Ordering::Relaxed);
//!         let _held = self.lock.lock().unwrap();
//!         // SAFETY: `lock` is held, so no other access to `slot` exists.
//!         self.slot.with_mut(|p| unsafe {
//!             *p += 1;
//!             *p
//!         })
//!     }
//! }
//! # let c = Counter { hits: AtomicUsize::new(0), slot: UnsafeCell::new(0), lock: Mutex::new(()) };
//! # assert_eq!(c.bump(), 1);
//! # let _ = (Arc::new(0), backoff as fn());
//! ```
//!
//! Then the same source is a std map in a normal build, a loom model under
//! `RUSTFLAGS="--cfg loom"` (loom and `ferrolite-structures` pick it up from the flag), and a
//! shuttle map with this crate's `shuttle` feature on (`ferrolite-verification`'s `shuttle`
//! feature turns it on). Call [`backoff`] inside every retry loop: loom and shuttle need a
//! scheduling point there, or a model whose retry loop spins never ends. The checkers that run
//! such a map are in `ferrolite_verification::own` (see the README, "Verify your own
//! structure"). Under loom and shuttle, atomics and mutexes must be created inside the model
//! (no `static` ones), and thread-locals must not hold them.
//!
//! Sizes that make models small (tower height, arena chunks) also live here, keyed on
//! `cfg(any(loom, miri, feature = "shuttle"))`.

#[cfg(all(loom, feature = "shuttle"))]
compile_error!("`--cfg loom` and the `shuttle` feature are mutually exclusive");

#[cfg(not(any(loom, feature = "shuttle")))]
mod imp {
    pub use std::sync::atomic;
    pub use std::sync::{Arc, Mutex, MutexGuard};
    #[allow(unused_imports)]
    pub use std::thread;
    pub use std::thread::yield_now;
}

#[cfg(loom)]
mod imp {
    pub use loom::sync::atomic;
    pub use loom::sync::{Arc, Mutex, MutexGuard};
    #[allow(unused_imports)]
    pub use loom::thread;
    pub use loom::thread::yield_now;

    /// loom's `UnsafeCell`, plus a `get_mut` for exclusive owners.
    #[derive(Debug)]
    pub struct UnsafeCell<T>(loom::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// A cell holding `v`.
        pub fn new(v: T) -> Self {
            Self(loom::cell::UnsafeCell::new(v))
        }
        /// Calls `f` with a pointer for reading (loom checks it against concurrent writes).
        pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            self.0.with(f)
        }
        /// Calls `f` with a pointer for writing (loom checks it against any concurrent access).
        pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            self.0.with_mut(f)
        }
        /// The value, through exclusive access.
        pub fn get_mut(&mut self) -> &mut T {
            // SAFETY: `&mut self` proves no other access to the cell exists.
            self.0.with_mut(|p| unsafe { &mut *p })
        }
        /// The value, consuming the cell.
        pub fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }
}

#[cfg(all(feature = "shuttle", not(loom)))]
mod imp {
    pub use shuttle::sync::atomic;
    pub use shuttle::sync::{Arc, Mutex, MutexGuard};
    #[allow(unused_imports)]
    pub use shuttle::thread;
    pub use shuttle::thread::yield_now;
}

pub use imp::*;

/// `UnsafeCell` with loom's closure API, over std's cell: under std, and under shuttle, which
/// has no checked `UnsafeCell` (its scheduler only switches threads at synchronisation
/// points, so the std cell is exact there). Under loom, `imp` has loom's checked cell.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// A cell holding `v`.
    pub const fn new(v: T) -> Self {
        Self(std::cell::UnsafeCell::new(v))
    }
    /// Calls `f` with a pointer for reading (under loom, checked against concurrent writes).
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }
    /// Calls `f` with a pointer for writing (under loom, checked against any concurrent access).
    #[inline(always)]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
    /// The value, through exclusive access.
    #[inline(always)]
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
    /// The value, consuming the cell.
    #[inline(always)]
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

/// Yield inside a retry loop. Under loom and shuttle this is a scheduling point (loom never
/// terminates a model whose retry loops spin without one); under std a CPU spin hint.
#[inline(always)]
pub fn backoff() {
    #[cfg(any(loom, feature = "shuttle"))]
    yield_now();
    #[cfg(not(any(loom, feature = "shuttle")))]
    std::hint::spin_loop();
}

/// Is this a model-checking or interpreter build, where structures must stay tiny?
pub(crate) const SMALL_MODEL: bool = cfg!(any(loom, miri, feature = "shuttle"));

/// Highest tower of any skip list node (head included). `2^24` keys before towers saturate.
pub(crate) const MAX_HEIGHT: usize = if SMALL_MODEL { 4 } else { 24 };
