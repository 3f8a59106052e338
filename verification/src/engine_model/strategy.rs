//! Generation: the proptest strategies for keys (short ones that collide, long ones that share
//! prefixes), values, bounds, operations (calm or busy) and whole cases with their
//! [`Setup`]. Shrinking comes with them.

use super::ops::{BatchEntry, EngineOp, Key, Val};
use super::setup::Setup;
use ferrolite::{Options, Stage};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use std::ops::Bound;

/// Keys: rarely empty (the engine must refuse them, and a batch holding one entirely),
/// mostly 1–3 bytes over `a b c d` (84 keys: overwrites and deletes hit), sometimes
/// longer (up to 40 bytes): one of those short keys, a run of `a` and a tail of up to 2 bytes
/// over `a`, `b`, `\x00` and `\xff` — long keys share long prefixes with each other and with
/// short keys, and straddle the 8-byte comparison chunks and the memtable's inline-key limit.
pub fn key_strategy() -> impl Strategy<Value = Key> + Clone {
    let short = vec(select(&b"abcd"[..]), 1..=3);
    let long = (
        short.clone(),
        0..=36usize,
        vec(select(&b"ab\x00\xff"[..]), 0..=2),
    )
        .prop_map(|(mut k, run, tail)| {
            k.extend(std::iter::repeat_n(b'a', run));
            k.extend(tail);
            Key(k)
        });
    prop_oneof![
        54 => short.prop_map(Key),
        6 => long,
        1 => Just(Key(Vec::new())),
    ]
}

/// Values: 0–100 bytes, and one in 40 of 101–5000 bytes (larger than a 256-byte block, up
/// to larger than a whole memtable or table).
fn val_strategy() -> impl Strategy<Value = Val> + Clone {
    let len = prop_oneof![39 => 0..=100u16, 1 => 101..=5000u16];
    (0..1000u16, len).prop_map(|(id, len)| Val { id, len })
}

fn bound_strategy() -> impl Strategy<Value = Bound<Key>> + Clone {
    let short = vec(select(&b"abcd"[..]), 1..=3).prop_map(Key);
    prop_oneof![
        1 => Just(Bound::Unbounded),
        2 => short.clone().prop_map(Bound::Included),
        2 => short.prop_map(Bound::Excluded),
    ]
}

fn prefix_strategy() -> impl Strategy<Value = Key> + Clone {
    vec(select(&b"abcd\xff"[..]), 0..=2).prop_map(Key)
}

/// One operation. `calm`: flushes, compactions and reopens are 8 times rarer (one in about
/// 350 operations instead of one in 45), so memtables fill up and are frozen when full, and
/// grow past the 64 entries a scan reads from a memtable at once.
pub fn op_strategy(calm: bool) -> impl Strategy<Value = EngineOp> {
    let entry = prop_oneof![
        3 => (key_strategy(), val_strategy()).prop_map(|(k, v)| BatchEntry::Put(k, v)),
        1 => key_strategy().prop_map(BatchEntry::Delete),
    ];
    let k: u32 = if calm { 8 } else { 1 };
    prop_oneof![
        12 * k => (key_strategy(), val_strategy()).prop_map(|(k, v)| EngineOp::Put(k, v)),
        5 * k => key_strategy().prop_map(EngineOp::Delete),
        3 * k => vec(entry, 1..=5).prop_map(EngineOp::Batch),
        6 * k => key_strategy().prop_map(EngineOp::Get),
        3 * k => (bound_strategy(), bound_strategy(), proptest::option::weighted(0.25, 0..4u8))
            .prop_map(|(lower, upper, take)| EngineOp::Scan { lower, upper, take }),
        k => prefix_strategy().prop_map(EngineOp::ScanPrefix),
        2 * k => Just(EngineOp::Snapshot),
        3 * k => (any::<u8>(), key_strategy()).prop_map(|(s, k)| EngineOp::SnapGet(s, k)),
        k => (any::<u8>(), bound_strategy(), bound_strategy())
            .prop_map(|(slot, lower, upper)| EngineOp::SnapScan { slot, lower, upper }),
        k => (any::<u8>(), prefix_strategy()).prop_map(|(s, p)| EngineOp::SnapPrefix(s, p)),
        k => any::<u8>().prop_map(EngineOp::DropSnapshot),
        k => (bound_strategy(), bound_strategy(), 0..3u8)
            .prop_map(|(lower, upper, pre)| EngineOp::OpenIter { lower, upper, pre }),
        k => any::<u8>().prop_map(EngineOp::FinishIter),
        1 => Just(EngineOp::Flush),
        1 => Just(EngineOp::Compact),
        1 => Just(EngineOp::Reopen),
        k => Just(EngineOp::Verify),
    ]
}

/// A whole case with background work `auto`: the options it varies and its operations (half
/// the cases calm, see [`op_strategy`]).
pub fn case_strategy(auto: bool, max_ops: usize) -> impl Strategy<Value = (Setup, Vec<EngineOp>)> {
    any::<bool>().prop_flat_map(move |calm| {
        let setup = (
            any::<bool>(),
            any::<bool>(),
            select(vec![3usize, 4, 7]),
            proptest::bool::weighted(0.25),
            proptest::bool::weighted(0.25),
            proptest::bool::weighted(0.25),
            proptest::bool::weighted(0.25),
            any::<bool>(),
            // Half the cases start from a preset: S0–S2 have no background work, S3–S5 do.
            proptest::option::weighted(
                0.5,
                select(if auto {
                    vec![Stage::S3, Stage::S4, Stage::S5]
                } else {
                    vec![Stage::S0, Stage::S1, Stage::S2]
                }),
            ),
        )
            .prop_map(
                move |(
                    bloom,
                    cache,
                    num_levels,
                    sync,
                    tight,
                    big_memtable,
                    ancestor,
                    event_stats,
                    stage,
                )| {
                    let preset = stage.map(Options::stage);
                    Setup {
                        auto_compaction: auto,
                        bloom: preset.as_ref().map_or(bloom, |o| o.bloom_bits_per_key > 0),
                        cache: preset.as_ref().map_or(cache, |o| o.block_cache_bytes > 0),
                        num_levels,
                        sync,
                        tight,
                        big_memtable,
                        ancestor: ancestor && stage.is_none(),
                        stage,
                        event_stats,
                        calm,
                    }
                },
            );
        (setup, vec(op_strategy(calm), 0..=max_ops))
    })
}
