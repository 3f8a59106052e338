//! What to run: [`Benchmark`] (db_bench's names and YCSB's), the [`BenchConfig`] every
//! benchmark of a run shares, the key encoding (zero-padded decimals that sort numerically) and
//! how operations are shared between threads.

use super::ycsb::Ycsb;
use anyhow::{bail, Result};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// Entries `seekrandom` reads after each seek (db_bench's default `seek_nexts`).
pub const SEEK_NEXTS: usize = 10;

/// A benchmark, by db_bench's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Benchmark {
    /// Write keys in order.
    FillSeq,
    /// Write random keys.
    FillRandom,
    /// Write random keys (named for running after a fill).
    Overwrite,
    /// Get random keys.
    ReadRandom,
    /// Scan the database in order.
    ReadSeq,
    /// Delete random keys.
    DeleteRandom,
    /// Seek to a random key and read [`SEEK_NEXTS`] entries.
    SeekRandom,
    /// Reader threads get random keys while one more thread writes random keys.
    ReadWhileWriting,
    /// A YCSB core workload.
    Ycsb(Ycsb),
}

impl Benchmark {
    /// Every benchmark, in the order of [`Benchmark::name`]s in the help text.
    pub const ALL: [Benchmark; 14] = [
        Benchmark::FillSeq,
        Benchmark::FillRandom,
        Benchmark::Overwrite,
        Benchmark::ReadRandom,
        Benchmark::ReadSeq,
        Benchmark::DeleteRandom,
        Benchmark::SeekRandom,
        Benchmark::ReadWhileWriting,
        Benchmark::Ycsb(Ycsb::A),
        Benchmark::Ycsb(Ycsb::B),
        Benchmark::Ycsb(Ycsb::C),
        Benchmark::Ycsb(Ycsb::D),
        Benchmark::Ycsb(Ycsb::E),
        Benchmark::Ycsb(Ycsb::F),
    ];

    /// db_bench's name (`ycsba`..`ycsbf` for YCSB).
    pub fn name(self) -> &'static str {
        match self {
            Benchmark::FillSeq => "fillseq",
            Benchmark::FillRandom => "fillrandom",
            Benchmark::Overwrite => "overwrite",
            Benchmark::ReadRandom => "readrandom",
            Benchmark::ReadSeq => "readseq",
            Benchmark::DeleteRandom => "deleterandom",
            Benchmark::SeekRandom => "seekrandom",
            Benchmark::ReadWhileWriting => "readwhilewriting",
            Benchmark::Ycsb(Ycsb::A) => "ycsba",
            Benchmark::Ycsb(Ycsb::B) => "ycsbb",
            Benchmark::Ycsb(Ycsb::C) => "ycsbc",
            Benchmark::Ycsb(Ycsb::D) => "ycsbd",
            Benchmark::Ycsb(Ycsb::E) => "ycsbe",
            Benchmark::Ycsb(Ycsb::F) => "ycsbf",
        }
    }

    /// Every name, comma-separated.
    pub fn all_names() -> String {
        Benchmark::ALL.map(Benchmark::name).join(",")
    }
}

impl fmt::Display for Benchmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Benchmark {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        match Benchmark::ALL.iter().find(|b| b.name() == lower) {
            Some(&b) => Ok(b),
            None => bail!(
                "unknown benchmark `{s}` (known: {})",
                Benchmark::all_names()
            ),
        }
    }
}

/// What every benchmark of a run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchConfig {
    /// Key space (keys `0..num`) and the operation count of most benchmarks.
    pub num: u64,
    /// Operation count of `readrandom`, `seekrandom` and `readwhilewriting` (default `num`).
    pub reads: Option<u64>,
    /// Key bytes (at least 8).
    pub key_size: usize,
    /// Value bytes.
    pub value_size: usize,
    /// Threads sharing the engine (readers, for `readwhilewriting`).
    pub threads: usize,
    /// Base random seed.
    pub seed: u64,
    /// Entries read per seek of `seekrandom`.
    pub seek_nexts: usize,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            num: 1_000_000,
            reads: None,
            key_size: 16,
            value_size: 100,
            threads: 1,
            seed: 301,
            seek_nexts: SEEK_NEXTS,
        }
    }
}

/// Key number `i` as `size` bytes: zero-padded decimal, so keys sort numerically (numbers
/// with more than `size` digits keep their first `size`).
pub fn key(i: u64, size: usize) -> Vec<u8> {
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    let mut k = Vec::with_capacity(size);
    k.resize(size.saturating_sub(len), b'0');
    k.extend(digits[..len].iter().rev().take(size));
    k
}

/// Thread `t`'s part of `0..total` split over `threads` threads: contiguous, sizes differing
/// by at most one.
pub fn share(total: u64, threads: usize, t: usize) -> Range<u64> {
    let n = threads.max(1) as u128;
    let lo = (total as u128 * t as u128 / n) as u64;
    let hi = (total as u128 * (t as u128 + 1) / n) as u64;
    lo..hi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_padded_decimals() {
        assert_eq!(key(42, 8), b"00000042");
        assert_eq!(key(0, 3), b"000");
        assert_eq!(key(123_456, 4), b"1234");
        assert_eq!(key(u64::MAX, 20), u64::MAX.to_string().as_bytes());
        for i in [0u64, 9, 10, 99_999, 1_000_000] {
            assert_eq!(key(i, 16), format!("{i:016}").into_bytes());
        }
    }

    #[test]
    fn shares_cover_the_range() {
        for (total, threads) in [(10u64, 3usize), (7, 7), (2, 4), (1_000_000, 2)] {
            let mut next = 0;
            for t in 0..threads {
                let r = share(total, threads, t);
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, total);
        }
    }

    #[test]
    fn benchmark_names_round_trip() {
        for b in Benchmark::ALL {
            assert_eq!(b.name().parse::<Benchmark>().unwrap(), b);
        }
        assert!("readmostly".parse::<Benchmark>().is_err());
    }
}
