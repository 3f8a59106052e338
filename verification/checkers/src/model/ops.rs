//! What the checker stores ([`Tracked`]: values that count their live instances) and does
//! ([`Op`]), with the outcomes it compares and how both print.

use std::fmt::{self, Debug};
use std::ops::Bound;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;

/// The value type the checker stores: a number, plus a counter of live instances shared by
/// every value of one case (incremented by each clone, decremented by each drop).
pub struct Tracked {
    pub(super) n: u32,
    pub(super) live: Arc<AtomicIsize>,
}

impl Tracked {
    /// A new value `n` counted in `live`.
    pub fn new(n: u32, live: &Arc<AtomicIsize>) -> Tracked {
        live.fetch_add(1, Ordering::Relaxed);
        Tracked {
            n,
            live: Arc::clone(live),
        }
    }

    /// Its number.
    pub fn get(&self) -> u32 {
        self.n
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Tracked {
        Tracked::new(self.n, &self.live)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
    }
}

impl PartialEq for Tracked {
    fn eq(&self, other: &Tracked) -> bool {
        self.n == other.n
    }
}

impl Debug for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Debug::fmt(&self.n, f)
    }
}

// ---------------------------------------------------------------------------------------------
// Operations and their results
// ---------------------------------------------------------------------------------------------

/// One operation, applied to the map under test and to the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op<K> {
    /// `insert(key, value)`: a new key or a replace.
    Insert(K, u32),
    /// `get(key)`.
    Get(K),
    /// `remove(key)`.
    Remove(K),
    /// `contains(key)`.
    Contains(K),
    /// `range(lower, upper)`, keeping only the first `take` entries when given (the iterator is
    /// then dropped part-way).
    Range {
        /// Lower bound.
        lower: Bound<K>,
        /// Upper bound.
        upper: Bound<K>,
        /// How many entries to consume.
        take: Option<usize>,
    },
    /// `len()`.
    Len,
    /// `is_empty()`.
    IsEmpty,
    /// `iter()`, consumed entirely.
    Iter,
}

pub(super) struct ShowBound<'a, K>(&'a Bound<K>);

impl<K: Debug> fmt::Display for ShowBound<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Bound::Included(k) => write!(f, "Included({k:?})"),
            Bound::Excluded(k) => write!(f, "Excluded({k:?})"),
            Bound::Unbounded => f.write_str("Unbounded"),
        }
    }
}

/// Rust-like: `insert(3, 7)`, `range(Included(2), Unbounded).take(1)`.
impl<K: Debug> fmt::Display for Op<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Insert(k, v) => write!(f, "insert({k:?}, {v})"),
            Op::Get(k) => write!(f, "get({k:?})"),
            Op::Remove(k) => write!(f, "remove({k:?})"),
            Op::Contains(k) => write!(f, "contains({k:?})"),
            Op::Range { lower, upper, take } => {
                write!(f, "range({}, {})", ShowBound(lower), ShowBound(upper))?;
                match take {
                    Some(n) => write!(f, ".take({n})"),
                    None => Ok(()),
                }
            }
            Op::Len => f.write_str("len()"),
            Op::IsEmpty => f.write_str("is_empty()"),
            Op::Iter => f.write_str("iter()"),
        }
    }
}

/// What an operation returned (values by their number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Outcome<K> {
    Flag(bool),
    Value(Option<u32>),
    Entries(Vec<(K, u32)>),
    Count(usize),
}

impl<K: Debug> fmt::Display for Outcome<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Flag(b) => write!(f, "{b}"),
            Outcome::Value(Some(v)) => write!(f, "Some({v})"),
            Outcome::Value(None) => f.write_str("None"),
            Outcome::Entries(es) => write_list(f, es, |f, (k, v)| write!(f, "({k:?}, {v})")),
            Outcome::Count(n) => write!(f, "{n}"),
        }
    }
}

/// Write `items` as `[a, b, …]`, each by `item`.
pub fn write_list<T>(
    f: &mut fmt::Formatter<'_>,
    items: impl IntoIterator<Item = T>,
    mut item: impl FnMut(&mut fmt::Formatter<'_>, T) -> fmt::Result,
) -> fmt::Result {
    f.write_str("[")?;
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        item(f, x)?;
    }
    f.write_str("]")
}

/// Whether `key` lies within `(lower, upper)`, for any bounds (inverted ranges are empty).
pub fn within<K: Ord>(key: &K, lower: &Bound<K>, upper: &Bound<K>) -> bool {
    let above = match lower {
        Bound::Unbounded => true,
        Bound::Included(l) => key >= l,
        Bound::Excluded(l) => key > l,
    };
    let below = match upper {
        Bound::Unbounded => true,
        Bound::Included(u) => key <= u,
        Bound::Excluded(u) => key < u,
    };
    above && below
}
