//! Internal keys: user key, sequence number and kind.
//!
//! Every write gets a sequence number (one per operation, consecutive within a batch). The
//! memtables and the tables store *internal keys* ordered by user key ascending, then sequence
//! number **descending**, so that the first entry at or after `(key, snapshot)` is the newest
//! version of `key` a reader at `snapshot` may see. Deletes are stored as tombstones
//! (`ValueKind::Delete`) and only dropped by compaction at the bottom level.
//!
//! On disk an internal key is the user key followed by an 8-byte little-endian *trailer*
//! `seq << 8 | kind` (LevelDB's layout); [`InternalKey::encode_into`] and
//! [`InternalKey::decode`] convert.

use bytes::Bytes;
use std::cmp::Ordering;
use std::fmt;

/// A sequence number. `0` is never assigned to a write.
pub type SeqNo = u64;

/// The largest sequence number (56 bits, the rest of the trailer is the kind).
pub const MAX_SEQ: SeqNo = (1 << 56) - 1;

/// Whether an entry stores a value or deletes the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ValueKind {
    /// A tombstone.
    Delete = 0,
    /// A value.
    Put = 1,
}

impl ValueKind {
    /// Decode from the low byte of a trailer.
    pub fn from_u8(b: u8) -> Option<Self> {
        match b {
            0 => Some(ValueKind::Delete),
            1 => Some(ValueKind::Put),
            _ => None,
        }
    }
}

/// A user key with the sequence number and kind of one write to it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct InternalKey {
    /// The key the user wrote.
    pub user_key: Bytes,
    /// The write's sequence number.
    pub seq: SeqNo,
    /// Put or delete.
    pub kind: ValueKind,
}

impl InternalKey {
    /// Build an internal key.
    pub fn new(user_key: impl Into<Bytes>, seq: SeqNo, kind: ValueKind) -> Self {
        InternalKey {
            user_key: user_key.into(),
            seq,
            kind,
        }
    }

    /// The smallest internal key for `user_key` visible at `snapshot`: seeking to it finds the
    /// newest version with `seq <= snapshot`.
    #[cfg(test)]
    pub fn seek_key(user_key: impl Into<Bytes>, snapshot: SeqNo) -> Self {
        InternalKey::new(user_key, snapshot, ValueKind::Put)
    }

    /// The 8-byte trailer: `seq << 8 | kind` ([`trailer`]).
    pub fn trailer(&self) -> u64 {
        trailer(self.seq, self.kind)
    }

    /// Bytes of the encoded form.
    pub fn encoded_len(&self) -> usize {
        self.user_key.len() + 8
    }

    /// Append the encoded form (user key, then the little-endian trailer) to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.user_key);
        out.extend_from_slice(&self.trailer().to_le_bytes());
    }

    /// Decode the encoded form; `None` if it is shorter than a trailer or the kind is unknown.
    pub fn decode(encoded: &[u8]) -> Option<(&[u8], SeqNo, ValueKind)> {
        let split = encoded.len().checked_sub(8)?;
        let (user, trailer) = encoded.split_at(split);
        let (seq, kind) = split_trailer(u64::from_le_bytes(trailer.try_into().ok()?))?;
        Some((user, seq, kind))
    }
}

/// The trailer of a version: `seq << 8 | kind`, LevelDB's layout. Ordered descending after the
/// user key, it puts newer versions first. The one place that builds a trailer.
#[inline]
pub fn trailer(seq: SeqNo, kind: ValueKind) -> u64 {
    (seq << 8) | kind as u64
}

/// A trailer's sequence number and kind; `None` for an unknown kind. The one place that takes a
/// trailer apart.
#[inline]
pub fn split_trailer(trailer: u64) -> Option<(SeqNo, ValueKind)> {
    Some((trailer >> 8, ValueKind::from_u8((trailer & 0xff) as u8)?))
}

/// Lexicographic byte order, as `a.cmp(b)`, comparing 8 bytes at a time.
///
/// Keys are compared on every step of every memtable and block search; short keys are the
/// common case, where a call into the C library's `memcmp` costs more than the comparison.
#[inline]
pub fn compare_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().min(b.len());
    let (mut ca, mut cb) = (a[..n].chunks_exact(8), b[..n].chunks_exact(8));
    for (x, y) in (&mut ca).zip(&mut cb) {
        let x = u64::from_be_bytes(x.try_into().expect("8 bytes"));
        let y = u64::from_be_bytes(y.try_into().expect("8 bytes"));
        if x != y {
            return x.cmp(&y);
        }
    }
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// Order two decoded internal keys: user key ascending, then trailer descending.
pub fn compare_internal(a: (&[u8], SeqNo, ValueKind), b: (&[u8], SeqNo, ValueKind)) -> Ordering {
    compare_bytes(a.0, b.0)
        .then_with(|| b.1.cmp(&a.1))
        .then_with(|| (b.2 as u8).cmp(&(a.2 as u8)))
}

impl Ord for InternalKey {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_internal(
            (&self.user_key, self.seq, self.kind),
            (&other.user_key, other.seq, other.kind),
        )
    }
}

impl PartialOrd for InternalKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for InternalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}{}",
            String::from_utf8_lossy(&self.user_key).escape_debug(),
            self.seq,
            if self.kind == ValueKind::Delete {
                "✝"
            } else {
                ""
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_versions_sort_first() {
        let a1 = InternalKey::new(&b"a"[..], 1, ValueKind::Put);
        let a2 = InternalKey::new(&b"a"[..], 2, ValueKind::Delete);
        let b0 = InternalKey::new(&b"b"[..], 0, ValueKind::Put);
        let mut v = vec![b0.clone(), a1.clone(), a2.clone()];
        v.sort();
        assert_eq!(v, vec![a2, a1, b0]);
    }

    #[test]
    fn compare_bytes_is_lexicographic() {
        let samples: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            vec![1],
            vec![0xff],
            b"abcdefgh".to_vec(),
            b"abcdefgh\0".to_vec(),
            b"abcdefgi".to_vec(),
            b"abcdefghijklmnopq".to_vec(),
            b"abcdefghijklmnopr".to_vec(),
            b"abcdefghijklmnop".to_vec(),
            vec![0xff; 20],
        ];
        for a in &samples {
            for b in &samples {
                assert_eq!(compare_bytes(a, b), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn encode_decode_roundtrip() {
        let k = InternalKey::new(&b"key"[..], 12345, ValueKind::Delete);
        let mut out = Vec::new();
        k.encode_into(&mut out);
        assert_eq!(out.len(), k.encoded_len());
        assert_eq!(
            InternalKey::decode(&out),
            Some((&b"key"[..], 12345, ValueKind::Delete))
        );
        assert_eq!(InternalKey::decode(&out[..7]), None);
    }
}
