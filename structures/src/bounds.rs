//! Range bounds over borrowed keys, and the cursor of a re-seeking range iterator.
//!
//! Every map answers `range(r)` and `first_in(r)` for any `r: RangeBounds<Q>` where the key
//! type `K` borrows as `Q`. The comparisons are the same everywhere: a seek passes the keys
//! *before* the start bound ([`before_start`]) and stops at the first key past the end bound
//! ([`within_end`]). They compare `k.borrow()` with the bound, so no owned key is built.
//!
//! None of our maps holds a lock, a guard or a hazard pointer between two `next()` calls:
//! each step (the mutex map, the B-tree) or batch (the lock-free lists) seeks again, just after
//! the last key it handed out. [`Cursor`] is that state — the range as asked, plus the last
//! key — and answers the same two questions for the next seek, so that the iterators of the
//! different maps share one definition of where to resume.

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};

/// Whether `key` lies before a range that starts at `start` (a seek for the range passes it).
#[inline]
pub(crate) fn before_start<Q: Ord + ?Sized>(key: &Q, start: Bound<&Q>) -> bool {
    match start {
        Bound::Included(s) => key < s,
        Bound::Excluded(s) => key <= s,
        Bound::Unbounded => false,
    }
}

/// Whether `key` is not past a range that ends at `end`.
#[inline]
pub(crate) fn within_end<Q: Ord + ?Sized>(key: &Q, end: Bound<&Q>) -> bool {
    match end {
        Bound::Included(e) => key <= e,
        Bound::Excluded(e) => key < e,
        Bound::Unbounded => true,
    }
}

/// Whether no key can lie within `range` (inverted, or `(x, x)` with an excluded end).
/// Exported as [`crate::range_is_empty`]: `ConcurrentMap::range` must yield nothing for such a
/// range where `BTreeMap::range` panics, so a map of one's own needs the same test.
pub fn is_empty<Q: Ord + ?Sized>(range: &impl RangeBounds<Q>) -> bool {
    match (range.start_bound(), range.end_bound()) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e))
        | (Bound::Excluded(s), Bound::Excluded(e)) => s >= e,
        _ => false,
    }
}

/// Where a weakly consistent range iterator stands: the range it was asked for and the last
/// key it handed out. The next seek starts after that key (or at the range's start), and
/// stops past the range's end.
pub(crate) struct Cursor<K, Q: ?Sized, R> {
    range: R,
    last: Option<K>,
    done: bool,
    _borrowed: PhantomData<fn(&Q)>,
}

impl<K, Q, R> Cursor<K, Q, R>
where
    K: Borrow<Q> + Ord,
    Q: Ord + ?Sized,
    R: RangeBounds<Q>,
{
    /// A cursor at the start of `range` (already done if the range is empty).
    pub(crate) fn new(range: R) -> Self {
        let done = is_empty(&range);
        Cursor {
            range,
            last: None,
            done,
            _borrowed: PhantomData,
        }
    }

    /// Whether the iteration is over.
    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Whether the next seek passes `key`: it lies before the range, or at or before the last
    /// key handed out.
    #[inline]
    pub(crate) fn before(&self, key: &K) -> bool {
        match &self.last {
            Some(last) => key <= last,
            None => before_start(key.borrow(), self.range.start_bound()),
        }
    }

    /// Whether `key` is not past the end of the range.
    #[inline]
    pub(crate) fn within(&self, key: &K) -> bool {
        within_end(key.borrow(), self.range.end_bound())
    }

    /// The last key handed out, if any (the next seek starts just after it).
    #[inline]
    pub(crate) fn last(&self) -> Option<&K> {
        self.last.as_ref()
    }

    /// The range's start bound (where the first seek starts).
    #[inline]
    pub(crate) fn start(&self) -> Bound<&Q> {
        self.range.start_bound()
    }

    /// Move past `key`: the next seek starts after it.
    #[inline]
    pub(crate) fn advance(&mut self, key: K) {
        self.last = Some(key);
    }

    /// End the iteration: a key inserted later is not yielded after the end was reported.
    #[inline]
    pub(crate) fn finish(&mut self) {
        self.done = true;
    }
}

/// A weakly consistent iterator over `range` that re-seeks for every entry: `seek` returns
/// the first entry the cursor admits (it consults [`Cursor::before`] and [`Cursor::within`],
/// typically under the map's lock, released before it returns); the cursor then moves past
/// it. Keys strictly increase, and once `seek` finds nothing the iterator stays done.
pub(crate) fn reseeking<K, V, Q, R>(
    range: R,
    mut seek: impl FnMut(&Cursor<K, Q, R>) -> Option<(K, V)>,
) -> impl Iterator<Item = (K, V)>
where
    K: Borrow<Q> + Ord + Clone,
    Q: Ord + ?Sized,
    R: RangeBounds<Q>,
{
    let mut cursor = Cursor::new(range);
    std::iter::from_fn(move || {
        if cursor.is_done() {
            return None;
        }
        match seek(&cursor) {
            Some((key, value)) => {
                cursor.advance(key.clone());
                Some((key, value))
            }
            None => {
                cursor.finish();
                None
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Bound::{Excluded as Ex, Included as In, Unbounded as Un};

    #[test]
    fn bounds_compare_borrowed_keys() {
        assert!(before_start("a", In("b")) && !before_start("b", In("b")));
        assert!(before_start("b", Ex("b")) && !before_start("c", Ex("b")));
        assert!(!before_start("", Un));
        assert!(within_end("b", In("b")) && !within_end("c", In("b")));
        assert!(within_end("a", Ex("b")) && !within_end("b", Ex("b")));
        assert!(within_end("zzz", Un));
        assert!(is_empty::<u8>(&(In(&3), In(&2))) && !is_empty::<u8>(&(In(&2), In(&2))));
        assert!(is_empty::<u8>(&(In(&2), Ex(&2))) && is_empty::<u8>(&(Ex(&2), In(&2))));
        assert!(!is_empty::<u8>(&(Un, Ex(&0))) && !is_empty::<u8>(&(Ex(&9), Un)));
        #[allow(clippy::reversed_empty_ranges)]
        let inverted = 5..2;
        assert!(is_empty::<u8>(&inverted));
    }

    #[test]
    fn cursor_resumes_after_the_last_key() {
        let mut c = Cursor::<String, str, _>::new((In("b"), Ex("d")));
        assert!(!c.is_done());
        assert!(c.before(&"a".to_string()) && !c.before(&"b".to_string()));
        assert!(c.within(&"c".to_string()) && !c.within(&"d".to_string()));
        assert_eq!(c.start(), In("b"));
        c.advance("c".to_string());
        assert_eq!(c.last().map(String::as_str), Some("c"));
        assert!(c.before(&"c".to_string()) && !c.before(&"ca".to_string()));
        c.finish();
        assert!(c.is_done());
        assert!(Cursor::<u8, u8, _>::new(3..3).is_done());
    }
}
