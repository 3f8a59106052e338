//! SplitMix64: the small deterministic generator the checkers share, so that a seed printed
//! on failure replays the same operations (in a child process too), and the seeds they take
//! from the environment ([`seed_from_var`]).

/// A SplitMix64 generator.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    /// The next 64 well-mixed bits.
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub fn next(&mut self) -> u64 {
        step(&mut self.0)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// One SplitMix64 step on a bare state word: advance it, return its mix.
pub fn step(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed named by the environment variable `var` (decimal or `0x` hex), or a fresh one
/// (clock and process id, mixed) when it is unset or empty. Panics on a malformed value, so a
/// mistyped seed never silently runs something else.
pub fn seed_from_var(var: &str) -> u64 {
    match std::env::var(var) {
        Ok(s) if !s.trim().is_empty() => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{var}={s}: expected a u64"))
        }
        _ => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            // Mixed: nearby clocks give unrelated seeds.
            let mut z = nanos ^ (u64::from(std::process::id()) << 32);
            step(&mut z)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix;

    #[test]
    fn deterministic_and_in_range() {
        let (mut a, mut b) = (SplitMix::new(42), SplitMix::new(42));
        let xs: Vec<u64> = (0..100).map(|_| a.next()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs[0], SplitMix::new(43).next());
        assert!((0..1000).all(|_| a.below(7) < 7));
        assert_eq!(a.below(0), 0);
        assert_eq!(a.bytes(5).len(), 5);
    }
}
