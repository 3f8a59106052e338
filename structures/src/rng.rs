//! SplitMix64: the workspace's one seeded generator. The checkers (model, lincheck, engine
//! model, crash, power cut, soak, damaged files), the structures' stress tests and examples,
//! the benches' seed derivation and the skip lists' tower heights all draw from it, so that a
//! seed printed on a failure replays the same operations (in a child process too) and nobody
//! keeps a private copy of the constants.
//!
//! It lives here because `ferrolite-structures` is the crate every other crate of the
//! workspace depends on; it needs nothing, not even `std` beyond the environment and the clock
//! of [`seed_from_var`]. SplitMix64 (Steele, Lea and Flood, 2014) advances a 64-bit counter by
//! an odd constant and mixes it: one add, two multiplies and three xor-shifts per draw, every
//! seed good (zero included), and [`mix`] of a number is a well-spread seed derived from it.
//! Not for cryptography.

/// The golden-ratio increment of SplitMix64 (2⁶⁴/φ, odd).
pub const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The multiplier that spreads stream numbers in [`SplitMix::stream`] (odd).
const STREAM: u64 = 0xA24B_AED4_963E_E407;

/// A SplitMix64 generator; its state is the counter.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    /// The generator of stream `stream` under `seed` (a thread's or a writer's own sequence):
    /// the seed xored with an odd multiple of the stream number, started one step in.
    pub fn stream(seed: u64, stream: u64) -> SplitMix {
        SplitMix((seed ^ stream.wrapping_mul(STREAM)).wrapping_add(GOLDEN))
    }

    /// The next 64 well-mixed bits.
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub fn next(&mut self) -> u64 {
        step(&mut self.0)
    }

    /// A number in `0..n` (`0` when `n` is 0; the modulo bias is negligible for the small
    /// bounds it is used with).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A number in `lo..=hi` (`lo <= hi`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille`/1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// One SplitMix64 step on a bare state word: advance it, return its mix.
#[inline]
pub fn step(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The first draw of a generator seeded with `x`: a well-mixed function of `x`, for deriving
/// seeds from seeds (nearby inputs give unrelated outputs).
pub fn mix(x: u64) -> u64 {
    step(&mut { x })
}

/// Draw number `index` (from 0) of the generator seeded with `base`, without drawing the ones
/// before it: distinct, well-spread seeds for repetitions or threads from one base seed.
pub fn derive(base: u64, index: u64) -> u64 {
    mix(base.wrapping_add(index.wrapping_mul(GOLDEN)))
}

/// The variable naming a whole run's seed (`cargo xtask verify` sets it): a checker whose own
/// seed variable is unset derives its seed from it ([`seed_from_var`]).
pub const RUN_SEED_VAR: &str = "FERROLITE_SEED";

/// A seed variable's value (decimal or `0x` hex), `None` when unset or empty. Panics on a
/// malformed value, so a mistyped seed never silently runs something else.
fn parse_var(var: &str) -> Option<u64> {
    let s = std::env::var(var).ok()?;
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let parsed = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{var}={s}: expected a u64")))
}

/// The seed named by the environment variable `var` (decimal or `0x` hex); when it is unset,
/// one derived from the run's seed [`RUN_SEED_VAR`] and `var`'s name (each checker its own,
/// all reproduced by the one run seed); when that is unset too, a fresh one (clock and process
/// id, mixed). Panics on a malformed value, so a mistyped seed never silently runs something
/// else.
pub fn seed_from_var(var: &str) -> u64 {
    if let Some(seed) = parse_var(var) {
        return seed;
    }
    if let Some(run) = parse_var(RUN_SEED_VAR) {
        let salt = var.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        return mix(run ^ salt);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    // Mixed: nearby clocks give unrelated seeds.
    mix(nanos ^ (u64::from(std::process::id()) << 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_range() {
        let (mut a, mut b) = (SplitMix::new(42), SplitMix::new(42));
        let xs: Vec<u64> = (0..100).map(|_| a.next()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs[0], SplitMix::new(43).next());
        assert!((0..1000).all(|_| a.below(7) < 7));
        assert_eq!(a.below(0), 0);
        assert!((0..1000).all(|_| (5..=9).contains(&a.range(5, 9))));
        assert!((0..100).all(|_| !a.chance(0) && a.chance(1000)));
        assert_eq!(a.bytes(5).len(), 5);
    }

    #[test]
    fn the_reference_sequence() {
        // SplitMix64 from seed 0, as published with the algorithm (Vigna's splitmix64.c).
        let mut r = SplitMix::new(0);
        assert_eq!(r.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(mix(0), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn derive_and_stream_are_positions_in_a_sequence() {
        let mut r = SplitMix::new(1234);
        let draws: Vec<u64> = (0..5).map(|_| r.next()).collect();
        for (i, d) in draws.iter().enumerate() {
            assert_eq!(derive(1234, i as u64), *d);
        }
        let mut s = SplitMix::stream(1234, 3);
        let mut t = SplitMix::new(1234 ^ 3u64.wrapping_mul(STREAM));
        t.next();
        assert_eq!(s.next(), t.next());
        assert_ne!(
            SplitMix::stream(1234, 1).next(),
            SplitMix::stream(1234, 2).next()
        );
    }
}
