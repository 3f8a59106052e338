//! What the engine's memtable dispatch costs: the same memtable-shaped work through a generic
//! (static) map, an `enum` over the map kinds, and a `dyn` trait object.
//!
//! The engine holds its memtable as an `Arc<dyn MemTable>` over a generic `MapMemTable<M>`: one
//! virtual call per insert and per get, static calls inside. The alternative is an `enum` with
//! one variant per map kind (a `match` per call, which the compiler can inline through). This
//! bench measures the three on the memtable's own operations, one thread: a sample inserts
//! `n` keys of the memtable's shape — a 16-byte user key and a sequence trailer, ordered user
//! key ascending then trailer descending — with 100-byte values into a fresh map, then does `n`
//! seeks of the first entry at or after a random (key, sequence) (what a memtable get is).
//! Criterion reports the time per operation (insert + seek pairs count as two).
//!
//! Read the three as ratios within one kind, from one run: the machine is noisy.

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput};
use ferrolite_benches::sidecar::Scale;
use ferrolite_structures::rng::SplitMix;
use ferrolite_structures::{
    ConcurrentMap, CrossbeamSkipMap, EpochSkipList, HazardSkipList, MapKind, MapVisitor,
    MutexBTreeMap, MutexSkipList, NoReclaimSkipList,
};
use std::cmp::Ordering;
use std::ops::Bound;
use std::time::{Duration, Instant};

/// A memtable key: a user key and its trailer (`seq << 8 | kind`), newest first per user key.
#[derive(Clone, PartialEq, Eq)]
struct Key {
    user: [u8; 16],
    trailer: u64,
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        self.user
            .cmp(&other.user)
            .then_with(|| other.trailer.cmp(&self.trailer))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn key(rng: &mut SplitMix, seq: u64) -> Key {
    let mut user = [0u8; 16];
    user[..8].copy_from_slice(&rng.next().to_be_bytes());
    user[8..].copy_from_slice(&rng.next().to_be_bytes());
    Key {
        user,
        trailer: seq << 8 | 1,
    }
}

/// The two operations a memtable needs, object-safe (the engine's `MemTable` port, reduced).
trait MemLike: Send + Sync {
    fn put(&self, key: Key, value: Bytes);
    fn seek(&self, key: &Key) -> Option<(Key, Bytes)>;
}

impl<M: ConcurrentMap<Key, Bytes>> MemLike for M {
    fn put(&self, key: Key, value: Bytes) {
        self.insert(key, value);
    }
    fn seek(&self, key: &Key) -> Option<(Key, Bytes)> {
        self.first_in((Bound::Included(key), Bound::Unbounded))
    }
}

/// One variant per map kind: the `enum` alternative to `dyn`. (Variants differ in size as an
/// engine enum's would; boxing them would add the very indirection measured against.)
#[allow(clippy::large_enum_variant)]
enum AnyMap {
    Mutex(MutexSkipList<Key, Bytes>),
    Epoch(EpochSkipList<Key, Bytes>),
    Hazard(HazardSkipList<Key, Bytes>),
    NoReclaim(NoReclaimSkipList<Key, Bytes>),
    Crossbeam(CrossbeamSkipMap<Key, Bytes>),
    BTree(MutexBTreeMap<Key, Bytes>),
}

macro_rules! each {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            AnyMap::Mutex($m) => $e,
            AnyMap::Epoch($m) => $e,
            AnyMap::Hazard($m) => $e,
            AnyMap::NoReclaim($m) => $e,
            AnyMap::Crossbeam($m) => $e,
            AnyMap::BTree($m) => $e,
        }
    };
}

impl AnyMap {
    /// The map of `kind`; `None` for a kind this enum does not list (a new registry entry
    /// needs no change here: its `enum` row is just skipped).
    fn new(kind: MapKind) -> Option<AnyMap> {
        Some(match kind.name() {
            "mutex" => AnyMap::Mutex(Default::default()),
            "epoch" => AnyMap::Epoch(Default::default()),
            "hazard" => AnyMap::Hazard(Default::default()),
            "noreclaim" => AnyMap::NoReclaim(Default::default()),
            "crossbeam" => AnyMap::Crossbeam(Default::default()),
            "btree" => AnyMap::BTree(Default::default()),
            _ => return None,
        })
    }

    #[inline]
    fn put(&self, key: Key, value: Bytes) {
        each!(self, m => { m.insert(key, value); })
    }

    #[inline]
    fn seek(&self, key: &Key) -> Option<(Key, Bytes)> {
        each!(self, m => m.first_in((Bound::Included(key), Bound::Unbounded)))
    }
}

/// `n` inserts then `n` seeks through `put`/`seek`; the elapsed time.
fn workload(n: u64, seed: u64, put: impl Fn(Key, Bytes), seek: impl Fn(&Key) -> bool) -> Duration {
    let value = Bytes::from(vec![7u8; 100]);
    let mut rng = SplitMix::new(seed);
    let started = Instant::now();
    for seq in 1..=n {
        put(key(&mut rng, seq), value.clone());
    }
    let mut found = 0u64;
    for _ in 0..n {
        found += u64::from(seek(&key(&mut rng, u64::MAX >> 8)));
    }
    let elapsed = started.elapsed();
    assert!(found <= n);
    elapsed
}

/// The static (generic) way, for the map type the registry names.
struct Static {
    n: u64,
    seed: u64,
}

impl MapVisitor<Key, Bytes> for Static {
    type Output = Duration;
    fn visit<M: ConcurrentMap<Key, Bytes> + Default + 'static>(self) -> Duration {
        let map = M::default();
        workload(
            self.n,
            self.seed,
            |k, v| {
                map.insert(k, v);
            },
            |k| {
                map.first_in((Bound::Included(k), Bound::Unbounded))
                    .is_some()
            },
        )
    }
}

/// The `dyn` way: a boxed trait object made through the registry.
struct Boxed;

impl MapVisitor<Key, Bytes> for Boxed {
    type Output = Box<dyn MemLike>;
    fn visit<M: ConcurrentMap<Key, Bytes> + Default + 'static>(self) -> Box<dyn MemLike> {
        Box::new(M::default())
    }
}

fn main() {
    let scale = Scale::from_env();
    let n: u64 = scale.pick(2_000, 100_000, 400_000);
    let mut c: Criterion = Criterion::default()
        .sample_size(scale.pick(10, 20, 40))
        .warm_up_time(Duration::from_millis(scale.pick(10, 500, 1000)))
        .measurement_time(Duration::from_secs(scale.pick(1, 8, 20)))
        .without_plots()
        .configure_from_args();
    for kind in MapKind::ALL {
        let mut group = c.benchmark_group(format!("dispatch/{}", kind.name()));
        group.throughput(Throughput::Elements(2 * n));
        group.bench_function(BenchmarkId::from_parameter("static"), |b| {
            b.iter_custom(|iters| (0..iters).map(|i| kind.visit(Static { n, seed: i })).sum())
        });
        if AnyMap::new(kind).is_some() {
            group.bench_function(BenchmarkId::from_parameter("enum"), |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|i| {
                            let map = AnyMap::new(kind).expect("listed");
                            workload(n, i, |k, v| map.put(k, v), |k| map.seek(k).is_some())
                        })
                        .sum()
                })
            });
        }
        group.bench_function(BenchmarkId::from_parameter("dyn"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|i| {
                        let map: Box<dyn MemLike> = kind.visit(Boxed);
                        workload(n, i, |k, v| map.put(k, v), |k| map.seek(k).is_some())
                    })
                    .sum()
            })
        });
        group.finish();
    }
    c.final_summary();
}
