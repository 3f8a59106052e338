//! A five-minute tour of the structures: the same code over every map, through the trait.
//!
//! `cargo run --release -p ferrolite-structures --example tour`

use ferrolite_structures::rng::SplitMix;
use ferrolite_structures::{ConcurrentMap, EpochSkipList, MapKind, MapVisitor};
use std::ops::Bound;
use std::time::Instant;

fn main() {
    // One map, used directly.
    let map = EpochSkipList::<String, u32>::new();
    assert!(map.insert("apple".into(), 1)); // new key
    assert!(!map.insert("apple".into(), 2)); // replaced
    map.insert("banana".into(), 3);
    map.insert("cherry".into(), 4);
    // Lookups borrow: a `&str` for `String` keys, any `RangeBounds<str>` for ranges.
    println!("get(apple) = {:?}", map.get("apple"));
    let from_b: Vec<_> = map
        .range::<str, _>((Bound::Included("b"), Bound::Unbounded))
        .collect();
    println!("range [b..) = {from_b:?}");
    println!(
        "remove(banana) = {:?}, len = {}",
        map.remove("banana"),
        map.len()
    );
    println!("reclamation: {}\n", map.reclamation());

    // Every map, chosen at run time, hammered by two threads: `MapKind::visit` runs the
    // generic `Hammer` on each kind's type (static dispatch; the trait is not dyn-compatible).
    println!("{:<10} {:>10} {:>8}  reclamation", "map", "ops/s", "len");
    for kind in MapKind::ALL {
        let (rate, len, reclamation) = kind.visit(Hammer {
            ops_per_thread: 400_000,
        });
        println!("{kind:<10} {rate:>10.0} {len:>8}  {reclamation}");
    }
}

/// Two threads of 80 % gets, 10 % inserts, 10 % removes on a fresh map: (ops/s, final length,
/// reclamation counters).
struct Hammer {
    ops_per_thread: u64,
}

impl MapVisitor<u64, u64> for Hammer {
    type Output = (f64, usize, ferrolite_structures::ReclaimStats);

    fn visit<M: ConcurrentMap<u64, u64> + Default + 'static>(self) -> Self::Output {
        let map = M::default();
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..2u64 {
                let map = &map;
                s.spawn(move || {
                    let mut rng = SplitMix::stream(0, t);
                    for _ in 0..self.ops_per_thread {
                        let x = rng.next();
                        let key = (x >> 8) % 65_536;
                        match x % 10 {
                            0 => {
                                map.insert(key, key);
                            }
                            1 => {
                                map.remove(&key);
                            }
                            _ => {
                                map.get(&key);
                            }
                        }
                    }
                });
            }
        });
        let rate = (2 * self.ops_per_thread) as f64 / start.elapsed().as_secs_f64();
        (rate, map.len(), map.reclamation())
    }
}
