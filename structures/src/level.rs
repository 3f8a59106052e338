//! Tower heights for skip list nodes, drawn from a cheap thread-local generator.
//!
//! Each level is kept with probability 1/2 (as crossbeam-skiplist does). We first used 1/4
//! (RocksDB's branching factor, 1.33 tower slots per node instead of 2): the comparisons per
//! search are the same in theory, but measured here p = 1/2 was about 7 % faster on gets and
//! 10 % on a 50 %-update mix (131 072-key range, one thread, `opcost`-style fixed-op runs
//! interleaved): the lowest levels, which miss the cache, are walked with fewer horizontal
//! steps. The generator is the workspace's SplitMix64 step ([`crate::rng::step`]) on a state
//! word per thread (under loom and shuttle the checker's thread-local, so every explored
//! execution draws the same heights); no global state, no atomic, no lock.

use crate::sync::MAX_HEIGHT;
use std::cell::Cell;

#[cfg(not(any(loom, feature = "shuttle")))]
fn seed() -> u64 {
    // Distinct per thread without a global counter: the address of a thread-local differs per
    // thread. Deterministic under the model checkers (they replay the same allocation order).
    let local = 0u8;
    crate::rng::mix(&local as *const u8 as u64)
}

#[cfg(not(any(loom, feature = "shuttle")))]
std::thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

#[cfg(loom)]
loom::thread_local! {
    static STATE: Cell<u64> = Cell::new(0x2545_F491_4F6C_DD1D);
}

#[cfg(all(feature = "shuttle", not(loom)))]
shuttle::thread_local! {
    static STATE: Cell<u64> = Cell::new(0x2545_F491_4F6C_DD1D);
}

/// A random tower height in `1..=MAX_HEIGHT`, geometric with p = 1/2.
#[inline]
pub(crate) fn random_height() -> usize {
    let r = STATE
        .try_with(|s| {
            let mut x = s.get();
            let r = crate::rng::step(&mut x);
            s.set(x);
            r
        })
        .unwrap_or(0);
    // One random bit per level: a level survives when it is zero (p = 1/2).
    let h = 1 + (r.trailing_zeros() as usize);
    h.min(MAX_HEIGHT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn heights_are_geometric_and_bounded() {
        let n = if cfg!(miri) { 200 } else { 100_000 };
        let mut counts = [0usize; super::MAX_HEIGHT + 1];
        for _ in 0..n {
            let h = super::random_height();
            assert!((1..=super::MAX_HEIGHT).contains(&h));
            counts[h] += 1;
        }
        if !cfg!(miri) {
            // About half of the nodes have height 1, a quarter height 2.
            let ones = counts[1] as f64 / n as f64;
            let twos = counts[2] as f64 / n as f64;
            assert!((0.47..0.53).contains(&ones), "P(height = 1) = {ones}");
            assert!((0.22..0.28).contains(&twos), "P(height = 2) = {twos}");
        }
    }
}
