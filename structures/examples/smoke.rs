//! Quick smoke run of every map: single-threaded ops, then 2 threads of mixed ops.
use ferrolite_structures::MapKind;
use std::ops::Bound;

fn main() {
    for kind in MapKind::ALL {
        let m = kind.build::<u64, u64>();
        for i in 0..1000 {
            assert!(m.insert(i, i));
        }
        for i in 0..1000 {
            assert!(!m.insert(i, i + 1));
        }
        for i in (0..1000).step_by(2) {
            assert_eq!(m.remove(&i), Some(i + 1));
        }
        assert_eq!(m.len(), 500);
        let all: Vec<_> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(all, (1..1000).step_by(2).collect::<Vec<_>>());
        let r: Vec<_> = m.range(Bound::Included(&10), Bound::Excluded(&20)).map(|(k, _)| k).collect();
        assert_eq!(r, vec![11, 13, 15, 17, 19]);
        std::thread::scope(|s| {
            for t in 0..2u64 {
                let m = &m;
                s.spawn(move || {
                    for i in 0..200_000u64 {
                        let k = (i * 7919 + t) % 4096;
                        match i % 4 {
                            0 => { m.insert(k, k); }
                            1 => { m.remove(&k); }
                            _ => { if let Some(v) = m.get(&k) { assert!(v == k || v == k + 1, "{v} {k}"); } }
                        }
                    }
                });
            }
        });
        let n = m.iter().count();
        assert_eq!(n, m.len(), "{kind}");
        println!("{kind}: ok len={} {}", m.len(), m.reclamation());
    }
}
