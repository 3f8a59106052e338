//! What the engine checker runs against: a small trait of key-value operations on `u64` keys
//! and values ([`LinTarget`]), its implementation for [`ferrolite::Db`], and the byte encoding
//! between the two.
//!
//! The trait is the checker's whole view of the store — put, delete, get, an atomic batch of
//! writes, a short forward scan — so a wrapper can stand in for the engine: the deliberately
//! wrong targets in `tests/engine_lin.rs` (stale reads, non-atomic batches) wrap a `Db` and
//! are checked exactly as the engine is.
//!
//! **Keys** are 8-byte big-endian integers ([`key_bytes`]), so the engine's byte order is the
//! integers' order and a scan over `lo..=hi` returns the history's keys in between, in order.
//! **Values** are the lincheck values of [`encode_value`](crate::lincheck::encode_value)
//! (thread and operation number, unique per history), 8 bytes big-endian, followed by 0–40
//! bytes of padding that the value itself determines ([`value_bytes`]): the padding makes
//! memtables fill (and flush) sooner, and lets [`decode_value`] refuse bytes the checker never
//! wrote — a torn or mixed-up value is reported as a [`TargetError`], not checked as a value.

use crate::rng::mix;
use ferrolite::{Db, WriteBatch};
use std::fmt;

/// One write of an atomic batch ([`LinTarget::write`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Write {
    /// `put(key, value)`.
    Put(u64, u64),
    /// `delete(key)`.
    Delete(u64),
}

impl Write {
    /// The key written.
    pub fn key(self) -> u64 {
        match self {
            Write::Put(key, _) | Write::Delete(key) => key,
        }
    }
}

/// What can go wrong in a target call, apart from a wrong answer (which is the checker's
/// business): the engine refused the call, or it answered with bytes the checker never wrote.
#[derive(Debug)]
#[non_exhaustive]
pub enum TargetError {
    /// The engine returned an error.
    Engine(ferrolite::Error),
    /// A key read back is not one of the checker's 8-byte keys.
    BadKey(Vec<u8>),
    /// A value read back (under `key`) is not one the checker encodes.
    BadValue {
        /// The key it was read under.
        key: u64,
        /// The bytes read.
        bytes: Vec<u8>,
    },
    /// A scan of `lo..=hi` returned `key`: outside the range, or not after the key before it.
    ScanOrder {
        /// The range's first key.
        lo: u64,
        /// The range's last key.
        hi: u64,
        /// The key out of place.
        key: u64,
    },
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Engine(e) => write!(f, "engine error: {e}"),
            TargetError::BadKey(bytes) => write!(f, "a key the checker never wrote: {bytes:02x?}"),
            TargetError::BadValue { key, bytes } => {
                write!(
                    f,
                    "key {key}: a value the checker never wrote: {bytes:02x?}"
                )
            }
            TargetError::ScanOrder { lo, hi, key } => write!(
                f,
                "scan({lo}..={hi}) returned key {key} out of range or out of order"
            ),
        }
    }
}

impl std::error::Error for TargetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TargetError::Engine(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ferrolite::Error> for TargetError {
    fn from(e: ferrolite::Error) -> Self {
        TargetError::Engine(e)
    }
}

/// A key-value store the checker can record histories of. Shared by the recording threads.
pub trait LinTarget: Sync {
    /// What the target is, for reports (`Db(epoch)`, `stale reads over Db(epoch)`).
    fn describe(&self) -> String;
    /// Sets `key` to `value`.
    fn put(&self, key: u64, value: u64) -> Result<(), TargetError>;
    /// Removes `key`.
    fn delete(&self, key: u64) -> Result<(), TargetError>;
    /// The value of `key`, if any.
    fn get(&self, key: u64) -> Result<Option<u64>, TargetError>;
    /// Applies `writes` (on distinct keys) atomically.
    fn write(&self, writes: &[Write]) -> Result<(), TargetError>;
    /// The entries with keys in `lo..=hi`, in ascending key order.
    fn scan(&self, lo: u64, hi: u64) -> Result<Vec<(u64, u64)>, TargetError>;
}

/// A reference to a target is one too (so `Box::new(&db)` makes a boxed target of a `Db`).
impl<T: LinTarget + ?Sized> LinTarget for &T {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn put(&self, key: u64, value: u64) -> Result<(), TargetError> {
        (**self).put(key, value)
    }
    fn delete(&self, key: u64) -> Result<(), TargetError> {
        (**self).delete(key)
    }
    fn get(&self, key: u64) -> Result<Option<u64>, TargetError> {
        (**self).get(key)
    }
    fn write(&self, writes: &[Write]) -> Result<(), TargetError> {
        (**self).write(writes)
    }
    fn scan(&self, lo: u64, hi: u64) -> Result<Vec<(u64, u64)>, TargetError> {
        (**self).scan(lo, hi)
    }
}

/// The engine key of `key`: 8 bytes, big-endian (ordered as the integers are).
pub fn key_bytes(key: u64) -> [u8; 8] {
    key.to_be_bytes()
}

/// The key `bytes` encode ([`key_bytes`]).
pub fn decode_key(bytes: &[u8]) -> Result<u64, TargetError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| TargetError::BadKey(bytes.to_vec()))
}

/// How many padding bytes follow `value` (0–40), and the byte they start from.
fn padding(value: u64) -> (usize, u8) {
    let h = mix(value ^ 0x9e37_79b9_7f4a_7c15);
    ((h % 41) as usize, (h >> 32) as u8)
}

/// The engine value of `value`: 8 bytes big-endian, then its padding.
pub fn value_bytes(value: u64) -> Vec<u8> {
    let (len, start) = padding(value);
    let mut out = Vec::with_capacity(8 + len);
    out.extend_from_slice(&value.to_be_bytes());
    out.extend((0..len).map(|i| start.wrapping_add(i as u8)));
    out
}

/// The value `bytes` encode ([`value_bytes`]), read under `key`.
pub fn decode_value(key: u64, bytes: &[u8]) -> Result<u64, TargetError> {
    let bad = || TargetError::BadValue {
        key,
        bytes: bytes.to_vec(),
    };
    let head = bytes.get(..8).ok_or_else(bad)?;
    let value = u64::from_be_bytes(head.try_into().map_err(|_| bad())?);
    if value_bytes(value) == bytes {
        Ok(value)
    } else {
        Err(bad())
    }
}

/// Reads a scan's entries, checking that keys are in `lo..=hi` and strictly ascending.
pub fn collect_scan<E>(
    lo: u64,
    hi: u64,
    entries: impl Iterator<Item = Result<(ferrolite::Bytes, ferrolite::Bytes), E>>,
) -> Result<Vec<(u64, u64)>, TargetError>
where
    TargetError: From<E>,
{
    let mut out: Vec<(u64, u64)> = Vec::new();
    for entry in entries {
        let (k, v) = entry?;
        let key = decode_key(&k)?;
        if key < lo || key > hi || out.last().is_some_and(|&(last, _)| key <= last) {
            return Err(TargetError::ScanOrder { lo, hi, key });
        }
        out.push((key, decode_value(key, &v)?));
    }
    Ok(out)
}

impl LinTarget for Db {
    fn describe(&self) -> String {
        format!("Db({})", self.stats().memtable)
    }

    fn put(&self, key: u64, value: u64) -> Result<(), TargetError> {
        Ok(Db::put(self, key_bytes(key), value_bytes(value))?)
    }

    fn delete(&self, key: u64) -> Result<(), TargetError> {
        Ok(Db::delete(self, key_bytes(key))?)
    }

    fn get(&self, key: u64) -> Result<Option<u64>, TargetError> {
        Db::get(self, key_bytes(key))?
            .map(|v| decode_value(key, &v))
            .transpose()
    }

    fn write(&self, writes: &[Write]) -> Result<(), TargetError> {
        let mut batch = WriteBatch::new();
        for &w in writes {
            match w {
                Write::Put(key, value) => batch.put(key_bytes(key), value_bytes(value)),
                Write::Delete(key) => batch.delete(key_bytes(key)),
            };
        }
        Ok(Db::write(self, batch)?)
    }

    fn scan(&self, lo: u64, hi: u64) -> Result<Vec<(u64, u64)>, TargetError> {
        collect_scan(lo, hi, Db::scan(self, key_bytes(lo)..=key_bytes(hi))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_round_trip_and_bad_bytes_are_refused() {
        assert!(key_bytes(1) < key_bytes(256));
        assert_eq!(decode_key(&key_bytes(77)).unwrap(), 77);
        assert!(matches!(decode_key(b"short"), Err(TargetError::BadKey(_))));
        let lengths: std::collections::BTreeSet<usize> = (0..200)
            .map(|s| {
                let v = crate::lincheck::encode_value(3, s);
                let bytes = value_bytes(v);
                assert_eq!(decode_value(1, &bytes).unwrap(), v);
                let mut torn = bytes.clone();
                torn.pop();
                assert!(decode_value(1, &torn).is_err());
                bytes.len()
            })
            .collect();
        assert!(lengths.len() > 20, "padding varies: {lengths:?}");
        let mut flipped = value_bytes(5);
        flipped[0] ^= 1;
        assert!(matches!(
            decode_value(9, &flipped),
            Err(TargetError::BadValue { key: 9, .. })
        ));
    }
}
