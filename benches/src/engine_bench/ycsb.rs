//! The YCSB core workloads A–F: each one's operation mix, and [`YcsbGen`], a thread's stream
//! of operations over scrambled zipfian keys (D's "latest" reads behind the newest insert, E's
//! short scans, F's read-modify-writes), inserts drawing fresh keys from a shared counter.

use crate::workload::{KeyGenerator, KeySpace};
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};

/// The longest scan of YCSB workload E (YCSB's default `maxscanlength`).
pub const YCSB_MAX_SCAN: usize = 100;

/// A YCSB core workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ycsb {
    /// Update heavy: 50% reads, 50% updates.
    A,
    /// Read mostly: 95% reads, 5% updates.
    B,
    /// Read only.
    C,
    /// Read latest: 95% reads skewed to recent inserts, 5% inserts.
    D,
    /// Short ranges: 95% scans of 1..=100 entries, 5% inserts.
    E,
    /// Read-modify-write: 50% reads, 50% read-modify-writes.
    F,
}

/// The operation mix of a [`Ycsb`] workload, in percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YcsbMix {
    /// Point reads.
    pub read: u32,
    /// Overwrites of existing keys.
    pub update: u32,
    /// Writes of new keys.
    pub insert: u32,
    /// Short scans.
    pub scan: u32,
    /// Read then write the same key.
    pub rmw: u32,
    /// Reads pick recently inserted keys (YCSB's `latest` distribution) instead of zipfian.
    pub latest: bool,
}

impl Ycsb {
    /// All six, A to F.
    pub const ALL: [Ycsb; 6] = [Ycsb::A, Ycsb::B, Ycsb::C, Ycsb::D, Ycsb::E, Ycsb::F];

    /// The operation mix.
    pub fn mix(self) -> YcsbMix {
        let m = YcsbMix {
            read: 0,
            update: 0,
            insert: 0,
            scan: 0,
            rmw: 0,
            latest: false,
        };
        match self {
            Ycsb::A => YcsbMix {
                read: 50,
                update: 50,
                ..m
            },
            Ycsb::B => YcsbMix {
                read: 95,
                update: 5,
                ..m
            },
            Ycsb::C => YcsbMix { read: 100, ..m },
            Ycsb::D => YcsbMix {
                read: 95,
                insert: 5,
                latest: true,
                ..m
            },
            Ycsb::E => YcsbMix {
                scan: 95,
                insert: 5,
                ..m
            },
            Ycsb::F => YcsbMix {
                read: 50,
                rmw: 50,
                ..m
            },
        }
    }
}

/// One YCSB operation, on key numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YcsbOp {
    /// Read the key.
    Read(u64),
    /// Overwrite the key.
    Update(u64),
    /// Write a new key.
    Insert(u64),
    /// Scan this many entries from the key.
    Scan(u64, usize),
    /// Read the key, then write it.
    ReadModifyWrite(u64),
}

/// Draws the operations of a [`Ycsb`] workload for one thread.
#[derive(Debug)]
pub struct YcsbGen<'a> {
    mix: YcsbMix,
    keys: KeyGenerator,
    next_insert: &'a AtomicU64,
}

impl<'a> YcsbGen<'a> {
    /// A generator of `workload`'s operations over `space` (zipfian over the loaded keys),
    /// seeded with `seed`; inserts take key numbers from `next_insert` (shared by the
    /// threads; it starts at the number of loaded keys).
    pub fn new(workload: Ycsb, space: &KeySpace, seed: u64, next_insert: &'a AtomicU64) -> Self {
        YcsbGen {
            mix: workload.mix(),
            keys: space.generator(seed),
            next_insert,
        }
    }

    /// The next operation.
    pub fn next_op(&mut self) -> YcsbOp {
        let m = self.mix;
        let mut dice = self.keys.rng().random_range(0..100u32);
        if dice < m.read {
            let k = if m.latest {
                let newest = self.next_insert.load(Ordering::Relaxed).saturating_sub(1);
                newest.saturating_sub(self.keys.next_rank())
            } else {
                self.keys.next_key()
            };
            return YcsbOp::Read(k);
        }
        dice -= m.read;
        if dice < m.update {
            return YcsbOp::Update(self.keys.next_key());
        }
        dice -= m.update;
        if dice < m.insert {
            return YcsbOp::Insert(self.next_insert.fetch_add(1, Ordering::Relaxed));
        }
        dice -= m.insert;
        if dice < m.scan {
            let len = self.keys.rng().random_range(1..=YCSB_MAX_SCAN);
            return YcsbOp::Scan(self.keys.next_key(), len);
        }
        YcsbOp::ReadModifyWrite(self.keys.next_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::KeyDist;

    fn counter(n: u64) -> AtomicU64 {
        AtomicU64::new(n)
    }

    #[test]
    fn mixes_add_up_to_100() {
        for w in Ycsb::ALL {
            let m = w.mix();
            assert_eq!(m.read + m.update + m.insert + m.scan + m.rmw, 100, "{w:?}");
        }
    }

    fn draw(w: Ycsb, n: usize) -> (Vec<YcsbOp>, u64) {
        let space = KeySpace::new(10_000, KeyDist::zipf());
        let next = counter(10_000);
        let mut g = YcsbGen::new(w, &space, 11, &next);
        let ops = (0..n).map(|_| g.next_op()).collect();
        (ops, next.load(Ordering::Relaxed))
    }

    #[test]
    fn ycsb_a_reads_half_the_time() {
        let (ops, inserted) = draw(Ycsb::A, 10_000);
        let reads = ops.iter().filter(|o| matches!(o, YcsbOp::Read(_))).count();
        let updates = ops
            .iter()
            .filter(|o| matches!(o, YcsbOp::Update(_)))
            .count();
        assert_eq!(reads + updates, 10_000);
        assert!((4_700..=5_300).contains(&reads), "{reads} reads");
        assert_eq!(inserted, 10_000, "A inserts nothing");
    }

    #[test]
    fn ycsb_b_c_f_mixes() {
        let (b, _) = draw(Ycsb::B, 10_000);
        let updates = b.iter().filter(|o| matches!(o, YcsbOp::Update(_))).count();
        assert!((350..=650).contains(&updates), "B: {updates} updates");
        let (c, _) = draw(Ycsb::C, 1_000);
        assert!(c.iter().all(|o| matches!(o, YcsbOp::Read(_))));
        let (f, _) = draw(Ycsb::F, 10_000);
        let rmw = f
            .iter()
            .filter(|o| matches!(o, YcsbOp::ReadModifyWrite(_)))
            .count();
        assert!((4_700..=5_300).contains(&rmw), "F: {rmw} rmw");
    }

    #[test]
    fn ycsb_keys_are_zipfian() {
        let (ops, _) = draw(Ycsb::C, 10_000);
        let mut counts = std::collections::HashMap::new();
        for o in &ops {
            let YcsbOp::Read(k) = o else { unreachable!() };
            assert!(*k < 10_000);
            *counts.entry(*k).or_insert(0u32) += 1;
        }
        // The hottest key gets about 1/ζ(10⁴, 0.99) ≈ 10% of the draws; uniform would be 0.01%.
        let top = counts.values().max().copied().unwrap_or(0);
        assert!(top > 600, "hottest key drawn {top} times");
    }

    #[test]
    fn ycsb_d_reads_recent_keys_and_inserts_new_ones() {
        let (ops, next) = draw(Ycsb::D, 10_000);
        let inserts: Vec<u64> = ops
            .iter()
            .filter_map(|o| match o {
                YcsbOp::Insert(k) => Some(*k),
                _ => None,
            })
            .collect();
        assert!((350..=650).contains(&inserts.len()), "{}", inserts.len());
        // Fresh keys, in order, from the counter.
        assert!(inserts.windows(2).all(|w| w[1] == w[0] + 1));
        assert_eq!(inserts.first(), Some(&10_000));
        assert_eq!(next, 10_000 + inserts.len() as u64);
        // Reads crowd onto the newest keys: most fall among the latest 1% of the key space
        // (uniform reads would put 1% there).
        let mut newest = 9_999;
        let mut recent = 0;
        let mut reads = 0;
        for o in &ops {
            match o {
                YcsbOp::Insert(k) => newest = *k,
                YcsbOp::Read(k) => {
                    assert!(*k <= newest);
                    reads += 1;
                    recent += u32::from(newest - k < 100);
                }
                _ => unreachable!(),
            }
        }
        assert!(
            recent * 10 > reads * 4,
            "{recent} of {reads} reads in the latest 100 keys"
        );
    }

    #[test]
    fn ycsb_e_scans_1_to_100() {
        let (ops, _) = draw(Ycsb::E, 10_000);
        let lens: Vec<usize> = ops
            .iter()
            .filter_map(|o| match o {
                YcsbOp::Scan(_, len) => Some(*len),
                _ => None,
            })
            .collect();
        assert!(
            (9_300..=9_700).contains(&lens.len()),
            "{} scans",
            lens.len()
        );
        assert!(lens.iter().all(|l| (1..=YCSB_MAX_SCAN).contains(l)));
        assert!(lens.contains(&1) && lens.contains(&YCSB_MAX_SCAN));
        let mean = lens.iter().sum::<usize>() as f64 / lens.len() as f64;
        assert!((45.0..56.0).contains(&mean), "mean scan length {mean}");
    }
}
