//! The filter block: one bloom filter over a table's distinct user keys.
//!
//! A point read consults the filter before the index, so that a table which cannot hold the
//! key costs no block read. Each user key is hashed once with [`hash64`] (a small
//! multiply-rotate hash written for this format; its output is part of the on-disk format and
//! must never change) and the `k` probe positions are derived by double hashing
//! (`h + i·δ mod m`, δ a rotation of `h` forced odd), as in Kirsch and Mitzenmacher. With
//! `b` bits per key the filter uses `k = round(b · ln 2)` probes (clamped to 1..=30), which
//! gives a false-positive rate near `(1 - e^(-k/b))^k`, about 0.8% at 10 bits per key.
//!
//! Block contents: the bit array (at least 64 bits, a whole number of bytes; bit `i` is bit
//! `i % 8` of byte `i / 8`) followed by one byte holding `k`.

use bytes::Bytes;

const P1: u64 = 0x9e37_79b9_7f4a_7c15;
const P2: u64 = 0xc2b2_ae3d_27d4_eb4f;
const P3: u64 = 0x1656_67b1_9e37_79f9;

/// Largest number of probes.
const MAX_PROBES: u32 = 30;

/// Final avalanche (the splitmix64 finalizer).
fn avalanche(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Fold one 64-bit word into the running state.
fn absorb(state: u64, word: u64) -> u64 {
    let mixed = word.wrapping_mul(P2).rotate_left(31).wrapping_mul(P1);
    (state ^ mixed)
        .rotate_left(27)
        .wrapping_mul(P1)
        .wrapping_add(P3)
}

/// The filter's 64-bit hash of a user key. Stable across platforms and versions.
pub(crate) fn hash64(data: &[u8]) -> u64 {
    let mut state = P3 ^ (data.len() as u64).wrapping_mul(P1);
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        state = absorb(state, u64::from_le_bytes(word));
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        state = absorb(state, u64::from_le_bytes(word) ^ P2);
    }
    avalanche(state)
}

/// Number of probes for `bits_per_key`: `round(bits_per_key · ln 2)` in 1..=30.
pub(crate) fn num_probes(bits_per_key: u32) -> u32 {
    let k = (f64::from(bits_per_key) * std::f64::consts::LN_2).round() as u32;
    k.clamp(1, MAX_PROBES)
}

/// The probe positions of hash `h` in a filter of `nbits` bits.
fn probes(h: u64, k: u32, nbits: u64) -> impl Iterator<Item = u64> {
    let delta = h.rotate_left(21) | 1;
    (0..u64::from(k)).map(move |i| h.wrapping_add(i.wrapping_mul(delta)) % nbits)
}

/// Collects key hashes while a table is written.
#[derive(Debug)]
pub(crate) struct BloomBuilder {
    bits_per_key: u32,
    hashes: Vec<u64>,
}

impl BloomBuilder {
    /// A builder for `bits_per_key` (must be at least 1).
    pub(crate) fn new(bits_per_key: u32) -> Self {
        BloomBuilder {
            bits_per_key: bits_per_key.max(1),
            hashes: Vec::new(),
        }
    }

    /// Add a user key (callers add each distinct key once).
    pub(crate) fn add_key(&mut self, user_key: &[u8]) {
        self.hashes.push(hash64(user_key));
    }

    /// Size in bytes of the block [`Self::build`] would produce.
    pub(crate) fn size_estimate(&self) -> usize {
        self.nbytes() + 1
    }

    fn nbytes(&self) -> usize {
        let bits = (self.hashes.len() as u64 * u64::from(self.bits_per_key)).max(64);
        bits.div_ceil(8) as usize
    }

    /// The filter block's contents.
    pub(crate) fn build(&self) -> Vec<u8> {
        let k = num_probes(self.bits_per_key);
        let nbytes = self.nbytes();
        let nbits = nbytes as u64 * 8;
        let mut out = vec![0u8; nbytes + 1];
        for &h in &self.hashes {
            for bit in probes(h, k, nbits) {
                if let Some(byte) = out.get_mut((bit / 8) as usize) {
                    *byte |= 1 << (bit % 8);
                }
            }
        }
        out[nbytes] = k as u8;
        out
    }
}

/// A bloom filter read from a table.
#[derive(Clone, Debug)]
pub(crate) struct Bloom {
    bits: Bytes,
    k: u32,
}

impl Bloom {
    /// Parse a filter block; the error says what is wrong.
    pub(crate) fn parse(block: Bytes) -> Result<Bloom, String> {
        let Some((&k, _)) = block.split_last() else {
            return Err("empty filter block".into());
        };
        let k = u32::from(k);
        if !(1..=MAX_PROBES).contains(&k) {
            return Err(format!("filter probe count {k} is not in 1..={MAX_PROBES}"));
        }
        if block.len() < 2 {
            return Err("filter block without bits".into());
        }
        Ok(Bloom {
            bits: block.slice(..block.len() - 1),
            k,
        })
    }

    /// Whether `user_key` may be in the table (`false` means certainly not).
    pub(crate) fn may_contain(&self, user_key: &[u8]) -> bool {
        let nbits = self.bits.len() as u64 * 8;
        probes(hash64(user_key), self.k, nbits).all(|bit| {
            self.bits
                .get((bit / 8) as usize)
                .is_some_and(|byte| byte & (1 << (bit % 8)) != 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_pinned() {
        // The hash is part of the file format: these values must never change.
        assert_eq!(hash64(b""), HASH_EMPTY, "{:#x}", hash64(b""));
        assert_eq!(
            hash64(b"ferrolite"),
            HASH_FERROLITE,
            "{:#x}",
            hash64(b"ferrolite")
        );
        assert_ne!(hash64(b"a"), hash64(b"a\0"));
        assert_ne!(hash64(b"abcdefgh"), hash64(b"abcdefgh\0"));
    }

    const HASH_EMPTY: u64 = 0xb393_62cb_9460_13e3;
    const HASH_FERROLITE: u64 = 0x6688_c003_26ce_3372;

    #[test]
    fn probe_counts() {
        assert_eq!(num_probes(0), 1);
        assert_eq!(num_probes(1), 1);
        assert_eq!(num_probes(10), 7);
        assert_eq!(num_probes(20), 14);
        assert_eq!(num_probes(64), 30);
    }

    #[test]
    fn false_positive_rate_near_theory() {
        for (bits_per_key, limit) in [(10u32, 0.02f64), (5, 0.15), (16, 0.002)] {
            let mut builder = BloomBuilder::new(bits_per_key);
            for i in 0..10_000u32 {
                builder.add_key(format!("key{i}").as_bytes());
            }
            let block = builder.build();
            assert_eq!(block.len(), builder.size_estimate());
            let bloom = Bloom::parse(Bytes::from(block)).unwrap();
            for i in 0..10_000u32 {
                assert!(bloom.may_contain(format!("key{i}").as_bytes()));
            }
            let probes = 100_000u32;
            let false_positives = (0..probes)
                .filter(|i| bloom.may_contain(format!("other{i}").as_bytes()))
                .count();
            let rate = false_positives as f64 / f64::from(probes);
            let k = f64::from(num_probes(bits_per_key));
            let theory = (1.0 - (-k / f64::from(bits_per_key)).exp()).powf(k);
            assert!(
                rate < limit && rate < theory * 1.5,
                "{bits_per_key} bits/key: rate {rate}, theory {theory}"
            );
        }
    }

    #[test]
    fn tiny_filters_and_bad_blocks() {
        let mut builder = BloomBuilder::new(10);
        builder.add_key(b"only");
        let bloom = Bloom::parse(Bytes::from(builder.build())).unwrap();
        assert!(bloom.may_contain(b"only"));
        assert!(Bloom::parse(Bytes::new()).is_err());
        assert!(Bloom::parse(Bytes::from_static(&[7])).is_err());
        assert!(Bloom::parse(Bytes::from_static(&[0xff, 0])).is_err());
        assert!(Bloom::parse(Bytes::from_static(&[0xff, 31])).is_err());
    }
}
