//! A fixed-operation-count, single-threaded probe of one map, for profilers and simulators
//! (`perf record`, `valgrind --tool=cachegrind`) where a timed benchmark would not be repeatable:
//! pre-fill half of a 131 072-key range, then run `OPS` operations with `UPDATE`% updates
//! (alternating insert/remove) and gets otherwise, from a fixed seed.
//!
//! `cargo run --release -p ferrolite-structures --example opcost -- epoch 50 3000000`

use ferrolite_structures::rng::SplitMix;
use ferrolite_structures::{ConcurrentMap, MapKind, MapVisitor};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: opcost MAP UPDATE_PERCENT [OPS]";
    let kind: MapKind = args
        .get(1)
        .expect(usage)
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let update: u64 = args.get(2).expect(usage).parse().expect(usage);
    let ops: u64 = args.get(3).map_or(300_000, |s| s.parse().expect(usage));
    let (hits, len) = kind.visit(Probe { update, ops });
    println!("{kind}: {ops} ops, {hits} get hits, final len {len}");
}

/// The probe's parameters; visited with the chosen map type (static dispatch).
struct Probe {
    update: u64,
    ops: u64,
}

impl MapVisitor<u64, u64> for Probe {
    /// (get hits, final length).
    type Output = (u64, usize);

    fn visit<M: ConcurrentMap<u64, u64> + Default + 'static>(self) -> (u64, usize) {
        let Probe { update, ops } = self;
        let map = M::default();
        let mut rng = SplitMix::new(0);
        let mut next = move || rng.next();
        let range = 131_072;
        let mut filled = 0;
        while filled < range / 2 {
            filled += map.insert(next() % range, 1) as u64;
        }
        let (mut insert_next, mut hits) = (true, 0u64);
        for _ in 0..ops {
            let r = next();
            let key = (r >> 7) % range;
            if r % 100 < update {
                if insert_next {
                    map.insert(key, key);
                } else {
                    map.remove(&key);
                }
                insert_next = !insert_next;
            } else {
                hits += map.get(&key).is_some() as u64;
            }
        }
        (hits, map.len())
    }
}
