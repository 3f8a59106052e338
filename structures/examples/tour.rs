//! A five-minute tour of the structures: the same code over every map, through the trait.
//!
//! `cargo run --release -p ferrolite-structures --example tour`

use ferrolite_structures::rng::SplitMix;
use ferrolite_structures::{ConcurrentMap, EpochSkipList, MapKind};
use std::ops::Bound;
use std::time::Instant;

fn main() {
    // One map, used directly.
    let map = EpochSkipList::<String, u32>::new();
    assert!(map.insert("apple".into(), 1)); // new key
    assert!(!map.insert("apple".into(), 2)); // replaced
    map.insert("banana".into(), 3);
    map.insert("cherry".into(), 4);
    println!("get(apple) = {:?}", map.get(&"apple".to_string()));
    let from_b: Vec<_> = map
        .range(Bound::Included(&"b".to_string()), Bound::Unbounded)
        .collect();
    println!("range [b..) = {from_b:?}");
    println!(
        "remove(banana) = {:?}, len = {}",
        map.remove(&"banana".to_string()),
        map.len()
    );
    println!("reclamation: {}\n", map.reclamation());

    // Every map, chosen at run time, hammered by two threads through `&dyn ConcurrentMap`.
    println!("{:<10} {:>10} {:>8}  reclamation", "map", "ops/s", "len");
    for kind in MapKind::ALL {
        let map = kind.build::<u64, u64>();
        let ops_per_thread = 400_000u64;
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..2u64 {
                let map = &*map;
                s.spawn(move || {
                    let mut rng = SplitMix::stream(0, t);
                    for _ in 0..ops_per_thread {
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
        let rate = (2 * ops_per_thread) as f64 / start.elapsed().as_secs_f64();
        println!(
            "{:<10} {:>10.0} {:>8}  {}",
            kind,
            rate,
            map.len(),
            map.reclamation()
        );
    }
}
