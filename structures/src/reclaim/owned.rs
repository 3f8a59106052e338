//! [`Owned`]: a heap value owned through a raw pointer.
//!
//! Reclamation state that outlives references into it — the counters that deferred frees
//! update, the hazard domains that hazard pointers borrow — must not sit inline in the map, nor
//! in a `Box`: the map's `Drop` takes `&mut self`, and under Miri's aliasing models a `&mut`
//! (or a `Box`, which is treated as unique) asserts that no other pointer is used for its
//! memory, while teardown still reaches that state through pointers handed out earlier.
//! `Owned` keeps the allocation behind a `NonNull`, which asserts nothing, so every access —
//! old or new — derives from the same raw pointer.

use std::ptr::NonNull;

/// A uniquely owned heap value whose address is stable and whose contents are reached only
/// through shared references derived from one raw pointer.
pub(crate) struct Owned<T>(NonNull<T>);

// SAFETY: `Owned<T>` owns a `T` like `Box<T>` does.
unsafe impl<T: Send> Send for Owned<T> {}
// SAFETY: it hands out only `&T`.
unsafe impl<T: Sync> Sync for Owned<T> {}

impl<T> Owned<T> {
    pub(crate) fn new(value: T) -> Self {
        Owned(NonNull::from(Box::leak(Box::new(value))))
    }

    /// The pointer every access derives from (for uses that need the whole allocation's
    /// provenance, such as exposing it).
    pub(crate) fn as_ptr(&self) -> *const T {
        self.0.as_ptr()
    }

    /// Replace the value, dropping the old one first.
    pub(crate) fn replace(&mut self, value: T) {
        *self = Owned::new(value);
    }
}

impl<T> std::ops::Deref for Owned<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the pointer came from `Box::leak` and is freed only in `Drop`.
        unsafe { self.0.as_ref() }
    }
}

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        // SAFETY: allocated by `Box` in `new`, freed once here.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}
