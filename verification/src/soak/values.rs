//! Self-describing keys and values: a thread's keys `s<tt>/<iiiii>`, and values that carry
//! their owner, key index, version and length, a payload derived from those and a checksum —
//! so any value read anywhere can be checked, and a message can say what it was.

use super::config::{KEYS_PER_THREAD, MAX_VALUE, THREADS};
use crate::rng::{step, SplitMix};
use std::fmt;

/// Bytes of a value's header: magic, owner, key index, version, length.
const HEADER: usize = 18;

/// Bytes of a value's checksum trailer.
const TRAILER: usize = 8;

/// Smallest value.
const MIN_VALUE: u32 = (HEADER + TRAILER) as u32;

/// The first byte of every value.
const MAGIC: u8 = 0xA7;

/// The key of index `idx` of thread `owner`: `s<tt>/<iiiii>` (key order = (owner, idx)).
pub fn key(owner: usize, idx: u32) -> Vec<u8> {
    format!("s{owner:02}/{idx:05}").into_bytes()
}

/// Thread `owner`'s key prefix.
pub(super) fn prefix(owner: usize) -> Vec<u8> {
    format!("s{owner:02}/").into_bytes()
}

/// `(owner, idx)` of a key written by [`key`].
pub fn parse_key(k: &[u8]) -> Option<(usize, u32)> {
    let s = std::str::from_utf8(k).ok()?;
    let rest = s.strip_prefix('s')?;
    let (o, i) = rest.split_once('/')?;
    if o.len() != 2 || i.len() != 5 {
        return None;
    }
    let owner: usize = o.parse().ok()?;
    let idx: u32 = i.parse().ok()?;
    (owner < THREADS && idx < KEYS_PER_THREAD).then_some((owner, idx))
}

/// What a value says about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueHeader {
    /// The thread that wrote it.
    pub owner: u8,
    /// The key index it was written under.
    pub idx: u32,
    /// The owner's operation counter when it was written.
    pub version: u64,
    /// Total length in bytes.
    pub len: u32,
}

impl fmt::Display for ValueHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} v{} ({} B)",
            String::from_utf8_lossy(&key(self.owner as usize, self.idx)),
            self.version,
            self.len
        )
    }
}

fn payload_seed(h: &ValueHeader) -> u64 {
    let mut s = u64::from(h.owner) << 56 ^ u64::from(h.idx) << 32 ^ u64::from(h.len);
    step(&mut s) ^ h.version.wrapping_mul(0xD6E8_FEB8_6659_FD93)
}

/// The checksum of a value's first bytes: a multiply-rotate hash over 8-byte words (the
/// tail zero-padded), seeded with the length.
fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325 ^ bytes.len() as u64;
    for chunk in bytes.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(w))
            .wrapping_mul(0x0000_0100_0000_01B3)
            .rotate_left(29);
    }
    h ^ (h >> 32)
}

/// The value `h` describes: header, a payload derived from the header, checksum.
pub fn encode(h: &ValueHeader) -> Vec<u8> {
    assert!(h.len >= MIN_VALUE, "value length {} < {MIN_VALUE}", h.len);
    let mut v = Vec::with_capacity(h.len as usize);
    v.push(MAGIC);
    v.push(h.owner);
    v.extend_from_slice(&h.idx.to_le_bytes());
    v.extend_from_slice(&h.version.to_le_bytes());
    v.extend_from_slice(&h.len.to_le_bytes());
    let body = h.len as usize - TRAILER;
    let mut s = payload_seed(h);
    while v.len() < body {
        let w = step(&mut s).to_le_bytes();
        let n = (body - v.len()).min(8);
        v.extend_from_slice(&w[..n]);
    }
    let sum = checksum(&v);
    v.extend_from_slice(&sum.to_le_bytes());
    v
}

/// Check a value read back: magic, length, checksum, and the payload its header implies.
pub fn decode(v: &[u8]) -> Result<ValueHeader, String> {
    if v.len() < MIN_VALUE as usize {
        return Err(format!("{} B is shorter than any value written", v.len()));
    }
    if v[0] != MAGIC {
        return Err(format!("bad magic byte {:#04x}", v[0]));
    }
    let u32_at = |at: usize| u32::from_le_bytes(v[at..at + 4].try_into().expect("4 bytes"));
    let h = ValueHeader {
        owner: v[1],
        idx: u32_at(2),
        version: u64::from_le_bytes(v[6..14].try_into().expect("8 bytes")),
        len: u32_at(14),
    };
    if h.len as usize != v.len() {
        return Err(format!("header says {} B, value has {} B", h.len, v.len()));
    }
    let body = v.len() - TRAILER;
    let sum = u64::from_le_bytes(v[body..].try_into().expect("8 bytes"));
    if checksum(&v[..body]) != sum {
        return Err(format!("checksum mismatch (header {h:?})"));
    }
    let mut s = payload_seed(&h);
    for (i, chunk) in v[HEADER..body].chunks(8).enumerate() {
        let w = step(&mut s).to_le_bytes();
        if chunk != &w[..chunk.len()] {
            return Err(format!(
                "payload differs from the one its header implies at byte {} (header {h:?})",
                HEADER + i * 8
            ));
        }
    }
    Ok(h)
}

/// A value read, for messages.
pub(super) fn describe(v: Option<&[u8]>) -> String {
    match v {
        None => "absent".into(),
        Some(b) => match decode(b) {
            Ok(h) => h.to_string(),
            Err(e) => format!(
                "{} B that do not decode ({e}); first bytes {:02x?}",
                b.len(),
                &b[..b.len().min(24)]
            ),
        },
    }
}

/// An expected state of a key, for messages.
pub(super) fn describe_expected(owner: usize, idx: u32, e: Option<(u64, u32)>) -> String {
    match e {
        None => "absent".into(),
        Some((version, len)) => ValueHeader {
            owner: owner as u8,
            idx,
            version,
            len,
        }
        .to_string(),
    }
}

/// A value length: 60 % up to 128 B, a quarter up to 4 KiB, 12 % up to 32 KiB, 3 % up to
/// [`MAX_VALUE`].
pub(super) fn value_len(rng: &mut SplitMix) -> u32 {
    let (lo, hi) = match rng.below(100) {
        0..60 => (u64::from(MIN_VALUE), 128),
        60..85 => (129, 4 << 10),
        85..97 => ((4 << 10) + 1, 32 << 10),
        _ => ((32 << 10) + 1, u64::from(MAX_VALUE)),
    };
    rng.range(lo, hi) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_damage_is_caught() {
        let mut rng = SplitMix::stream(7, 1);
        for i in 0..200 {
            let h = ValueHeader {
                owner: (i % THREADS) as u8,
                idx: i as u32,
                version: i as u64 * 3 + 1,
                len: value_len(&mut rng),
            };
            let v = encode(&h);
            assert_eq!(v.len(), h.len as usize);
            assert_eq!(decode(&v), Ok(h));
            // Any flipped byte is caught.
            let at = rng.below(v.len() as u64) as usize;
            let mut bad = v.clone();
            bad[at] ^= 0x10;
            assert!(decode(&bad).is_err(), "flip at {at} of {h:?} not caught");
            // So is a cut value.
            assert!(decode(&v[..v.len() - 1]).is_err());
        }
        // A consistent value of another version is a different value.
        let a = ValueHeader {
            owner: 1,
            idx: 2,
            version: 3,
            len: 100,
        };
        let b = ValueHeader { version: 4, ..a };
        assert_ne!(encode(&a), encode(&b));
    }

    #[test]
    fn keys_parse_back_and_sort_by_owner_then_index() {
        assert_eq!(parse_key(&key(3, 17)), Some((3, 17)));
        assert_eq!(parse_key(b"s03/0001"), None);
        assert_eq!(parse_key(&key(THREADS, 0)), None);
        assert!(key(0, KEYS_PER_THREAD - 1) < key(1, 0));
        assert!(key(1, 0) < key(1, 1));
        assert!(prefix(1) < key(1, 0) && key(1, KEYS_PER_THREAD - 1) < prefix(2));
    }
}
