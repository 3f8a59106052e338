//! The one place that names synchronisation primitives.
#![allow(unused_imports, dead_code)]
//!
//! Every structure in this crate reaches atomics, fences, `UnsafeCell`, `Arc`, thread spawning,
//! yielding and thread-locals through this module, so the *same source* runs under three
//! schedulers:
//!
//! * **std** (default): the real primitives.
//! * **loom** (`RUSTFLAGS="--cfg loom --cfg crossbeam_loom"`): loom's mocked primitives, which
//!   let loom enumerate interleavings and weak-memory behaviours exhaustively within a bound.
//! * **shuttle** (cargo feature `shuttle`): shuttle's primitives, which run every thread on one
//!   OS thread under a randomized or PCT scheduler. Shuttle treats every atomic as `SeqCst`.
//!
//! `UnsafeCell` follows loom's closure API (`with`/`with_mut`) in every mode, so code written
//! against it is checked by loom for data races and compiles to a plain pointer access in std.
//!
//! Sizes that make models small (tower height, arena chunks) also live here, keyed on
//! `cfg(any(loom, miri, feature = "shuttle"))`.

#[cfg(all(loom, feature = "shuttle"))]
compile_error!("`--cfg loom` and the `shuttle` feature are mutually exclusive");

#[cfg(not(any(loom, feature = "shuttle")))]
mod imp {
    pub(crate) use std::sync::atomic;
    pub(crate) use std::sync::{Arc, Mutex, MutexGuard};
    #[allow(unused_imports)]
    pub(crate) use std::thread;
    pub(crate) use std::thread::yield_now;
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::sync::atomic;
    pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
    #[allow(unused_imports)]
    pub(crate) use loom::thread;
    pub(crate) use loom::thread::yield_now;

    /// loom's `UnsafeCell`, plus a `get_mut` for exclusive owners.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(loom::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) fn new(v: T) -> Self {
            Self(loom::cell::UnsafeCell::new(v))
        }
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            self.0.with(f)
        }
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            self.0.with_mut(f)
        }
        pub(crate) fn get_mut(&mut self) -> &mut T {
            // SAFETY: `&mut self` proves no other access to the cell exists.
            self.0.with_mut(|p| unsafe { &mut *p })
        }
        pub(crate) fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }
}

#[cfg(all(feature = "shuttle", not(loom)))]
mod imp {
    pub(crate) use shuttle::sync::atomic;
    pub(crate) use shuttle::sync::{Arc, Mutex, MutexGuard};
    #[allow(unused_imports)]
    pub(crate) use shuttle::thread;
    pub(crate) use shuttle::thread::yield_now;
}

pub(crate) use imp::*;

/// `UnsafeCell` with loom's closure API, over std's cell: under std, and under shuttle, which
/// has no checked `UnsafeCell` (its scheduler only switches threads at synchronisation
/// points, so the std cell is exact there). Under loom, `imp` has loom's checked cell.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(v: T) -> Self {
        Self(std::cell::UnsafeCell::new(v))
    }
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
    #[inline(always)]
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
    #[inline(always)]
    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

/// Yield inside a retry loop. Under loom and shuttle this is a scheduling point (loom never
/// terminates a model whose retry loops spin without one); under std a CPU spin hint.
#[inline(always)]
pub(crate) fn backoff() {
    #[cfg(any(loom, feature = "shuttle"))]
    yield_now();
    #[cfg(not(any(loom, feature = "shuttle")))]
    std::hint::spin_loop();
}

/// Is this a model-checking or interpreter build, where structures must stay tiny?
pub(crate) const SMALL_MODEL: bool = cfg!(any(loom, miri, feature = "shuttle"));

/// Highest tower of any skip list node (head included). `2^24` keys before towers saturate.
pub(crate) const MAX_HEIGHT: usize = if SMALL_MODEL { 4 } else { 24 };
