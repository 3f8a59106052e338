//! Key distributions for the benchmarks: uniform and scrambled zipfian over a key range.
//!
//! A [`KeySpace`] is built once per run (the zipfian constants cost one pass over the range)
//! and shared by all threads; each thread then makes its own [`KeyGenerator`] from it with
//! its own seed, so drawing a key touches only thread-local state (a [`SmallRng`]).
//!
//! The zipfian generator follows the method of Gray et al. ("Quickly generating
//! billion-record synthetic databases", SIGMOD 1994), as popularised by YCSB: ranks are drawn
//! with P(rank i) ∝ 1/(i+1)^θ, then *scrambled* so that the hot keys are spread over the
//! range instead of clustered at its start. The scrambling here is a fixed bijection of the
//! range (a mixing permutation on the enclosing power of two, cycle-walked back into the
//! range), so every key keeps exactly the popularity of one rank.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The skew YCSB uses by default, and the one `--dist zipf` selects.
pub const DEFAULT_ZIPF_THETA: f64 = 0.99;

/// Which distribution keys are drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum KeyDist {
    /// Every key of the range equally likely.
    Uniform,
    /// Scrambled zipfian with skew `theta` (0 < θ < 1).
    Zipf {
        /// The skew: larger is more skewed.
        theta: f64,
    },
}

impl KeyDist {
    /// Zipfian with [`DEFAULT_ZIPF_THETA`].
    pub fn zipf() -> Self {
        KeyDist::Zipf {
            theta: DEFAULT_ZIPF_THETA,
        }
    }
}

impl fmt::Display for KeyDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyDist::Uniform => f.write_str("uniform"),
            KeyDist::Zipf { theta } => write!(f, "zipf({theta})"),
        }
    }
}

impl FromStr for KeyDist {
    type Err = String;

    /// `uniform`, `zipf` (θ = 0.99) or `zipf:THETA`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        match lower.as_str() {
            "uniform" => Ok(KeyDist::Uniform),
            "zipf" | "zipfian" => Ok(KeyDist::zipf()),
            _ => {
                let theta = lower
                    .strip_prefix("zipf:")
                    .and_then(|t| t.parse::<f64>().ok())
                    .ok_or_else(|| {
                        format!("unknown distribution `{s}` (expected uniform, zipf or zipf:THETA)")
                    })?;
                if theta > 0.0 && theta < 1.0 {
                    Ok(KeyDist::Zipf { theta })
                } else {
                    Err(format!("zipf theta must be in (0, 1), got {theta}"))
                }
            }
        }
    }
}

/// A key range `0..range` with a distribution over it, with its constants precomputed.
///
/// Cheap to clone; build one per run and hand it to every thread.
#[derive(Clone, Debug)]
pub struct KeySpace {
    range: u64,
    kind: SpaceKind,
}

#[derive(Clone, Debug)]
enum SpaceKind {
    Uniform,
    Zipf(Zipf),
}

impl KeySpace {
    /// Keys `0..range` drawn from `dist`.
    ///
    /// Building a zipfian space computes ζ(range, θ), which takes time linear in `range`.
    ///
    /// # Panics
    /// If `range` is zero, or a zipfian θ is outside (0, 1).
    pub fn new(range: u64, dist: KeyDist) -> Self {
        assert!(range > 0, "the key range must not be empty");
        let kind = match dist {
            KeyDist::Uniform => SpaceKind::Uniform,
            KeyDist::Zipf { theta } => SpaceKind::Zipf(Zipf::new(range, theta)),
        };
        KeySpace { range, kind }
    }

    /// The number of keys: they are `0..range()`.
    pub fn range(&self) -> u64 {
        self.range
    }

    /// A per-thread generator over this space, seeded with `seed`.
    pub fn generator(&self, seed: u64) -> KeyGenerator {
        KeyGenerator {
            space: self.clone(),
            rng: SmallRng::seed_from_u64(seed),
        }
    }
}

/// Draws keys from a [`KeySpace`]; one per thread.
#[derive(Clone, Debug)]
pub struct KeyGenerator {
    space: KeySpace,
    rng: SmallRng,
}

impl KeyGenerator {
    /// The next key, in `0..range`.
    #[inline]
    pub fn next_key(&mut self) -> u64 {
        match &self.space.kind {
            SpaceKind::Uniform => self.rng.random_range(0..self.space.range),
            SpaceKind::Zipf(z) => {
                let rank = z.rank(self.rng.random::<f64>());
                z.scramble.apply(rank)
            }
        }
    }

    /// The next *rank* (0 = most popular) of a zipfian space, before scrambling: rank `r`
    /// is drawn with P ∝ 1/(r+1)^θ. For a uniform space, the same as [`Self::next_key`].
    /// YCSB's "latest" distribution reads the key `r` places behind the newest one.
    #[inline]
    pub fn next_rank(&mut self) -> u64 {
        match &self.space.kind {
            SpaceKind::Uniform => self.rng.random_range(0..self.space.range),
            SpaceKind::Zipf(z) => z.rank(self.rng.random::<f64>()),
        }
    }

    /// `true` with probability `percent`/100 (for choosing updates over reads).
    #[inline]
    pub fn chance_percent(&mut self, percent: u32) -> bool {
        self.rng.random_range(0..100u32) < percent
    }

    /// The generator's random number source, for other per-thread choices.
    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.rng
    }
}

/// Zipfian rank generator constants (Gray et al.).
#[derive(Clone, Debug)]
struct Zipf {
    n: u64,
    zeta_n: f64,
    alpha: f64,
    eta: f64,
    /// 1 + 0.5^θ: the threshold below which rank 1 is drawn.
    half_pow_theta_plus_one: f64,
    scramble: Permutation,
}

impl Zipf {
    fn new(n: u64, theta: f64) -> Self {
        assert!(
            theta > 0.0 && theta < 1.0,
            "zipf theta must be in (0, 1), got {theta}"
        );
        let zeta_n = zeta(n, theta);
        let zeta_2 = zeta(2.min(n), theta);
        let alpha = 1.0 / (1.0 - theta);
        let eta = if n > 2 {
            (1.0 - (2.0 / n as f64).powf(1.0 - theta)) / (1.0 - zeta_2 / zeta_n)
        } else {
            // Only ranks 0 and 1 exist; both are handled before eta is used.
            0.0
        };
        Zipf {
            n,
            zeta_n,
            alpha,
            eta,
            half_pow_theta_plus_one: 1.0 + 0.5f64.powf(theta),
            scramble: Permutation::new(n),
        }
    }

    /// The rank (0 = most popular) for a uniform `u` in `[0, 1)`.
    #[inline]
    fn rank(&self, u: f64) -> u64 {
        let uz = u * self.zeta_n;
        if uz < 1.0 {
            return 0;
        }
        if uz < self.half_pow_theta_plus_one {
            return 1.min(self.n - 1);
        }
        let r = (self.n as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        r.min(self.n - 1)
    }
}

/// ζ(n, θ) = Σ_{i=1..n} 1/i^θ.
fn zeta(n: u64, theta: f64) -> f64 {
    (1..=n).map(|i| (i as f64).powf(-theta)).sum()
}

/// A fixed bijection of `0..n`: a mixing bijection of the enclosing power of two, applied
/// repeatedly until the value falls back into `0..n` (cycle walking; fewer than two steps on
/// average since the power of two is less than `2n`).
#[derive(Clone, Debug)]
struct Permutation {
    n: u64,
    bits: u32,
    mask: u64,
}

impl Permutation {
    fn new(n: u64) -> Self {
        let bits = if n <= 1 {
            0
        } else {
            64 - (n - 1).leading_zeros()
        };
        let mask = if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        Permutation { n, bits, mask }
    }

    /// One round of the mixer on `bits`-bit values. Each step is a bijection modulo 2^bits:
    /// adding a constant, multiplying by an odd constant, and `x ^ (x >> s)` with `s ≥ 1`.
    /// SplitMix64's constants with the shifts scaled to the width — not the workspace's
    /// generator (`ferrolite_structures::rng`), whose mixer is a bijection of 64-bit words
    /// only, while cycle walking needs one of `bits`-bit words.
    #[inline]
    fn mix(&self, mut x: u64) -> u64 {
        let shift = self.bits / 2 + 1;
        x = x.wrapping_add(ferrolite_structures::rng::GOLDEN) & self.mask;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9) & self.mask;
        x ^= x >> shift;
        x = x.wrapping_mul(0x94d0_49bb_1331_11eb) & self.mask;
        x ^= x >> shift;
        x
    }

    #[inline]
    fn apply(&self, x: u64) -> u64 {
        debug_assert!(x < self.n);
        let mut y = self.mix(x);
        while y >= self.n {
            y = self.mix(y);
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn parses_distributions() {
        assert_eq!("uniform".parse::<KeyDist>(), Ok(KeyDist::Uniform));
        assert_eq!("Zipf".parse::<KeyDist>(), Ok(KeyDist::Zipf { theta: 0.99 }));
        assert_eq!(
            "zipf:0.5".parse::<KeyDist>(),
            Ok(KeyDist::Zipf { theta: 0.5 })
        );
        assert!("zipf:1.5".parse::<KeyDist>().is_err());
        assert!("normal".parse::<KeyDist>().is_err());
    }

    #[test]
    fn permutation_is_a_bijection() {
        for n in [1u64, 2, 3, 7, 8, 100, 1000, 4096, 5000] {
            let p = Permutation::new(n);
            let image: HashSet<u64> = (0..n).map(|x| p.apply(x)).collect();
            assert_eq!(image.len() as u64, n, "n = {n}");
            assert!(image.iter().all(|&y| y < n));
        }
    }

    #[test]
    fn uniform_keys_stay_in_range_and_cover_it() {
        let space = KeySpace::new(64, KeyDist::Uniform);
        let mut g = space.generator(1);
        let seen: HashSet<u64> = (0..10_000).map(|_| g.next_key()).collect();
        assert_eq!(seen.len(), 64);
        assert!(seen.iter().all(|&k| k < 64));
    }

    #[test]
    fn zipf_is_skewed_like_theory() {
        let n = 10_000u64;
        let space = KeySpace::new(n, KeyDist::zipf());
        let mut g = space.generator(7);
        let draws = 200_000;
        let mut counts = vec![0u32; n as usize];
        for _ in 0..draws {
            let k = g.next_key();
            assert!(k < n);
            counts[k as usize] += 1;
        }
        // The hottest key is not simply key 0: keys are scrambled.
        let hottest = (0..n as usize).max_by_key(|&k| counts[k]);
        assert_ne!(hottest, Some(0));
        counts.sort_unstable_by(|a, b| b.cmp(a));
        // P(rank 0) = 1/ζ(n, θ) ≈ 0.1 for n = 10⁴, θ = 0.99.
        let expected_top = draws as f64 / zeta(n, 0.99);
        let top = counts[0] as f64;
        assert!(
            (top / expected_top - 1.0).abs() < 0.1,
            "top {top}, expected {expected_top}"
        );
        // And rank 1 about 1/2^θ as often.
        let second = counts[1] as f64;
        let expected_second = expected_top / 2f64.powf(0.99);
        assert!(
            (second / expected_second - 1.0).abs() < 0.15,
            "second {second}"
        );
    }

    #[test]
    fn tiny_ranges_work() {
        for n in [1u64, 2, 3] {
            let space = KeySpace::new(n, KeyDist::zipf());
            let mut g = space.generator(3);
            for _ in 0..1000 {
                assert!(g.next_key() < n);
            }
        }
    }
}
