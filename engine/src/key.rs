//! What the API takes as keys, values and key ranges, and the limits on keys and values.
//!
//! - [`IntoBytes`]: a key or value to store. Borrowed bytes (`&[u8]`, `&str`, `&String`,
//!   `&Vec<u8>`, `&Bytes`, `&[u8; N]`) are copied; owned ones (`Vec<u8>`, `String`, `Bytes`,
//!   `Box<[u8]>`, `[u8; N]`) are moved in without a copy. So `db.put(&key, &value)` and
//!   `db.put(key, value)` both compile, whatever the caller holds.
//! - [`KeyRange`]: the range of a scan, any of Rust's range forms over any byte-like key —
//!   `..`, `a..b`, `a..=b`, `a..`, `..b`, `..=b`, or a pair of [`Bound`]s. `db.scan(..)` needs
//!   no type annotation (a plain `impl RangeBounds<K>` leaves `K` unknown for `..`).
//! - Keys are 1 to [`MAX_KEY_LEN`] bytes, values at most [`MAX_VALUE_LEN`]; a write that
//!   breaks a limit is a typed error, checked before anything is logged.

use crate::error::{Error, Result};
use bytes::Bytes;
use std::ops::{Bound, Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

/// Longest key accepted (bytes).
pub const MAX_KEY_LEN: usize = 64 * 1024;
/// Longest value accepted (bytes).
pub const MAX_VALUE_LEN: usize = 64 * 1024 * 1024;

/// A key or value given to the database. See the module documentation.
pub trait IntoBytes {
    /// The bytes, copied if borrowed.
    fn into_owned_bytes(self) -> Bytes;
}

impl<T: AsRef<[u8]> + ?Sized> IntoBytes for &T {
    fn into_owned_bytes(self) -> Bytes {
        Bytes::copy_from_slice(self.as_ref())
    }
}

impl IntoBytes for Bytes {
    fn into_owned_bytes(self) -> Bytes {
        self
    }
}

impl IntoBytes for Vec<u8> {
    fn into_owned_bytes(self) -> Bytes {
        Bytes::from(self)
    }
}

impl IntoBytes for String {
    fn into_owned_bytes(self) -> Bytes {
        Bytes::from(self)
    }
}

impl IntoBytes for Box<[u8]> {
    fn into_owned_bytes(self) -> Bytes {
        Bytes::from(self)
    }
}

impl<const N: usize> IntoBytes for [u8; N] {
    fn into_owned_bytes(self) -> Bytes {
        Bytes::copy_from_slice(&self)
    }
}

/// The key range of a scan. See the module documentation.
pub trait KeyRange {
    /// The bounds as owned bytes.
    fn into_bounds(self) -> (Bound<Bytes>, Bound<Bytes>);
}

fn owned<K: AsRef<[u8]>>(b: Bound<K>) -> Bound<Bytes> {
    match b {
        Bound::Included(k) => Bound::Included(Bytes::copy_from_slice(k.as_ref())),
        Bound::Excluded(k) => Bound::Excluded(Bytes::copy_from_slice(k.as_ref())),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl KeyRange for RangeFull {
    fn into_bounds(self) -> (Bound<Bytes>, Bound<Bytes>) {
        (Bound::Unbounded, Bound::Unbounded)
    }
}

impl<K: AsRef<[u8]>> KeyRange for Range<K> {
    fn into_bounds(self) -> (Bound<Bytes>, Bound<Bytes>) {
        (
            owned(Bound::Included(self.start)),
            owned(Bound::Excluded(self.end)),
        )
    }
}

impl<K: AsRef<[u8]>> KeyRange for RangeInclusive<K> {
    fn into_bounds(self) -> (Bound<Bytes>, Bound<Bytes>) {
        let (start, end) = self.into_inner();
        (owned(Bound::Included(start)), owned(Bound::Included(end)))
    }
}

impl<K: AsRef<[u8]>> KeyRange for RangeFrom<K> {
    fn into_bounds(self) -> (Bound<Bytes>, Bound<Bytes>) {
        (owned(Bound::Included(self.start)), Bound::Unbounded)
    }
}

impl<K: AsRef<[u8]>> KeyRange for RangeTo<K> {
    fn into_bounds(self) -> (Bound<Bytes>, Bound<Bytes>) {
        (Bound::Unbounded, owned(Bound::Excluded(self.end)))
    }
}

impl<K: AsRef<[u8]>> KeyRange for RangeToInclusive<K> {
    fn into_bounds(self) -> (Bound<Bytes>, Bound<Bytes>) {
        (Bound::Unbounded, owned(Bound::Included(self.end)))
    }
}

impl<K: AsRef<[u8]>> KeyRange for (Bound<K>, Bound<K>) {
    fn into_bounds(self) -> (Bound<Bytes>, Bound<Bytes>) {
        (owned(self.0), owned(self.1))
    }
}

/// `[prefix, successor(prefix))`, where the successor drops trailing 0xff bytes and
/// increments the last byte (no successor: unbounded above).
pub(crate) fn prefix_bounds(prefix: &[u8]) -> (Bound<Bytes>, Bound<Bytes>) {
    let lower = if prefix.is_empty() {
        Bound::Unbounded
    } else {
        Bound::Included(Bytes::copy_from_slice(prefix))
    };
    let mut succ = prefix.to_vec();
    while let Some(last) = succ.pop() {
        if last != 0xff {
            succ.push(last + 1);
            return (lower, Bound::Excluded(Bytes::from(succ)));
        }
    }
    (lower, Bound::Unbounded)
}

/// Check a key against the limits: not empty, at most [`MAX_KEY_LEN`] bytes.
pub(crate) fn validate_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        return Err(Error::EmptyKey);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::KeyTooLarge {
            len: key.len(),
            max: MAX_KEY_LEN,
        });
    }
    Ok(())
}

/// Check a value against the limit: at most [`MAX_VALUE_LEN`] bytes.
pub(crate) fn validate_value(value: &[u8]) -> Result<()> {
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::ValueTooLarge {
            len: value.len(),
            max: MAX_VALUE_LEN,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successors() {
        assert_eq!(
            prefix_bounds(b"ab").1,
            Bound::Excluded(Bytes::from_static(b"ac"))
        );
        assert_eq!(
            prefix_bounds(b"a\xff").1,
            Bound::Excluded(Bytes::from_static(b"b"))
        );
        assert_eq!(prefix_bounds(b"\xff\xff").1, Bound::Unbounded);
        assert_eq!(prefix_bounds(b"").0, Bound::Unbounded);
    }

    #[test]
    fn every_range_form_and_byte_type_is_a_key_range() {
        let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
        assert_eq!((..).into_bounds(), (Bound::Unbounded, Bound::Unbounded));
        assert_eq!(
            ("a".."c").into_bounds(),
            (Bound::Included(b("a")), Bound::Excluded(b("c")))
        );
        let (lo, hi) = (String::from("a"), String::from("c"));
        assert_eq!(
            (&lo..=&hi).into_bounds(),
            (Bound::Included(b("a")), Bound::Included(b("c")))
        );
        assert_eq!((b"a".to_vec()..).into_bounds().0, Bound::Included(b("a")));
        assert_eq!((..&b"c"[..]).into_bounds().1, Bound::Excluded(b("c")));
        assert_eq!((..=b("c")).into_bounds().1, Bound::Included(b("c")));
        assert_eq!(
            (Bound::Excluded("a"), Bound::Unbounded).into_bounds(),
            (Bound::Excluded(b("a")), Bound::Unbounded)
        );
    }

    #[test]
    fn borrowed_and_owned_bytes_convert() {
        let s = String::from("key");
        let v = vec![1u8, 2];
        let bytes = Bytes::from_static(b"b");
        assert_eq!((&s).into_owned_bytes(), "key");
        assert_eq!("key".into_owned_bytes(), "key");
        assert_eq!((&v).into_owned_bytes(), &[1u8, 2][..]);
        assert_eq!(v.into_owned_bytes(), &[1u8, 2][..]);
        assert_eq!((&bytes).into_owned_bytes(), "b");
        assert_eq!(bytes.into_owned_bytes(), "b");
        assert_eq!(s.into_owned_bytes(), "key");
        assert_eq!([7u8; 2].into_owned_bytes(), &[7u8, 7][..]);
        assert_eq!((&[7u8; 2]).into_owned_bytes(), &[7u8, 7][..]);
    }
}
