//! A smoke model under loom (`RUSTFLAGS="--cfg loom --cfg crossbeam_loom"`): two threads insert
//! the same key and remove it while a third reads, on every lock-free scheme. It shows that the
//! same source runs under loom; the exhaustive models live in `ferrolite-verification`.
#![cfg(loom)]

use ferrolite_structures::{ConcurrentMap, EpochSkipList, HazardSkipList, NoReclaimSkipList};

fn model<M: ConcurrentMap<u8, u8> + Default + 'static>() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(|| {
        let m = loom::sync::Arc::new(M::default());
        let m2 = m.clone();
        let t = loom::thread::spawn(move || m2.insert(1, 10));
        let a = m.insert(1, 20);
        let b = t.join().unwrap();
        assert!(a ^ b, "exactly one insert of a key is new");
        let v = m.remove(&1).unwrap();
        assert!(v == 10 || v == 20);
        assert!(m.get(&1).is_none());
    });
}

#[test]
fn epoch_same_key() {
    model::<EpochSkipList<u8, u8>>();
}

#[test]
fn hazard_same_key() {
    model::<HazardSkipList<u8, u8>>();
}

#[test]
fn noreclaim_same_key() {
    model::<NoReclaimSkipList<u8, u8>>();
}
