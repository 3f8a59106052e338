//! Table tests: builder and reader against a `BTreeMap` model, block boundaries, and damage.
//!
//! The model is a `BTreeMap<InternalKey, Vec<u8>>` (its order is the tables' order). A read
//! at `snapshot` is the first model entry at or after `InternalKey::seek_key(key, snapshot)`
//! if it has the same user key. Damage tests flip or cut bytes of a written file and expect
//! typed errors — never a panic, never silently wrong data.

use super::*;
use crate::cache::{new_cache, BlockCache, Cache, NoCache};
use crate::error::Error;
use crate::fs::{Dir, IoJob, StdFs};
use crate::types::{InternalKey, ValueKind, MAX_SEQ};
use bytes::Bytes;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

type Model = BTreeMap<InternalKey, Vec<u8>>;

/// The directory handle and file name of `path` on the real file system.
fn split(path: &Path) -> (Dir, String) {
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    (Dir::new(Arc::new(StdFs), path.parent().unwrap()), name)
}

/// A builder for a new table at `path`.
fn create_at(path: &Path, opts: TableOptions) -> crate::Result<TableBuilder> {
    let (dir, name) = split(path);
    TableBuilder::create(&dir, &name, opts, IoJob::Flush)
}

/// Open the table at `path`.
fn open_at(path: &Path, id: u64, cache: Arc<dyn Cache>) -> crate::Result<Table> {
    let (dir, name) = split(path);
    Table::open(&dir, &name, id, cache)
}

fn ikey(user: &[u8], seq: u64, kind: ValueKind) -> InternalKey {
    InternalKey::new(user.to_vec(), seq, kind)
}

fn build(path: &Path, opts: TableOptions, model: &Model) -> TableMeta {
    let mut builder = create_at(path, opts).unwrap();
    for (k, v) in model {
        builder.add(k, v).unwrap();
    }
    assert_eq!(builder.entries(), model.len() as u64);
    let estimate = builder.estimated_size();
    let meta = builder.finish().unwrap();
    assert_eq!(meta.file_size, std::fs::metadata(path).unwrap().len());
    assert!(
        estimate.abs_diff(meta.file_size) <= meta.file_size / 4 + 256,
        "estimate {estimate}, size {}",
        meta.file_size
    );
    meta
}

fn open(path: &Path, cache: Arc<dyn Cache>) -> Arc<Table> {
    Arc::new(open_at(path, 1, cache).unwrap())
}

fn model_get(model: &Model, user: &[u8], snapshot: u64) -> Option<(u64, ValueKind, Vec<u8>)> {
    model
        .range(InternalKey::seek_key(user.to_vec(), snapshot)..)
        .next()
        .filter(|(k, _)| &k.user_key[..] == user)
        .map(|(k, v)| (k.seq, k.kind, v.clone()))
}

fn table_get(table: &Table, user: &[u8], snapshot: u64) -> Option<(u64, ValueKind, Vec<u8>)> {
    table
        .get(user, snapshot)
        .unwrap()
        .map(|(seq, kind, v)| (seq, kind, v.to_vec()))
}

fn collect(iter: TableIter) -> Vec<(InternalKey, Vec<u8>)> {
    iter.map(|r| r.map(|(k, v)| (k, v.to_vec())).unwrap())
        .collect()
}

/// `n` writes over `keys` user keys with consecutive sequence numbers from 1, ~20% deletes.
fn random_model(seed: u64, n: usize, keys: usize) -> Model {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = Model::new();
    for seq in 1..=n as u64 {
        let user = format!("user{:06}", rng.random_range(0..keys));
        if rng.random_bool(0.2) {
            model.insert(ikey(user.as_bytes(), seq, ValueKind::Delete), Vec::new());
        } else {
            let len = rng.random_range(0..100);
            let value: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            model.insert(ikey(user.as_bytes(), seq, ValueKind::Put), value);
        }
    }
    model
}

/// Compare every read of interest (each version's seq and its neighbours, 0, the maxima) and
/// full and seeked iteration against the model.
fn check_against_model(table: &Arc<Table>, model: &Model) {
    let mut snapshots: BTreeMap<Bytes, Vec<u64>> = BTreeMap::new();
    for k in model.keys() {
        let s = snapshots.entry(k.user_key.clone()).or_default();
        s.extend([k.seq.saturating_sub(1), k.seq, k.seq + 1]);
    }
    for (user, seqs) in &snapshots {
        for snap in seqs.iter().copied().chain([0, MAX_SEQ, u64::MAX]) {
            assert_eq!(
                table_get(table, user, snap),
                model_get(model, user, snap),
                "{user:?} at {snap}"
            );
        }
    }
    for absent in [&b""[..], b"user", b"user0000005", b"zzz", b"\xff\xff"] {
        if !snapshots.contains_key(absent) {
            assert_eq!(table_get(table, absent, u64::MAX), None);
        }
    }
    let all: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(collect(TableIter::new(table.clone(), None)), all);
    // Seek to every 97th key, to just after it, and to a point between user keys.
    for (i, (k, _)) in all.iter().enumerate().step_by(97) {
        assert_eq!(
            collect(TableIter::new(table.clone(), Some(k.clone()))),
            all[i..]
        );
        let after = InternalKey::new(
            k.user_key.clone(),
            k.seq.saturating_sub(1),
            ValueKind::Delete,
        );
        let expected: Vec<_> = model
            .range(after.clone()..)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(
            collect(TableIter::new(table.clone(), Some(after.clone()))),
            expected
        );
        let mut between = k.user_key.to_vec();
        between.push(0);
        let between = InternalKey::seek_key(between, u64::MAX);
        let expected: Vec<_> = model
            .range(between.clone()..)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(
            collect(TableIter::new(table.clone(), Some(between.clone()))),
            expected
        );
    }
    assert_eq!(
        collect(TableIter::new(
            table.clone(),
            Some(ikey(b"\xff\xff\xff", 0, ValueKind::Delete).clone())
        )),
        vec![]
    );
}

#[test]
fn roundtrip_many_versions_and_tombstones() {
    let model = random_model(7, 12_000, 3_000);
    let dir = tempfile::tempdir().unwrap();
    let variants = [
        TableOptions::default(),
        TableOptions {
            block_size: 512,
            format: crate::RecordFormat::Json,
            ..TableOptions::default()
        },
        TableOptions {
            block_size: 64,
            bloom_bits_per_key: 10,
            ..TableOptions::default()
        },
        TableOptions {
            block_size: 1,
            bloom_bits_per_key: 0,
            ..TableOptions::default()
        },
    ];
    for (n, opts) in variants.into_iter().enumerate() {
        let path = dir.path().join(format!("{n}.sst"));
        let meta = build(&path, opts, &model);
        assert_eq!(meta.entries, model.len() as u64);
        assert_eq!(&meta.smallest, model.keys().next().unwrap());
        assert_eq!(&meta.largest, model.keys().next_back().unwrap());
        assert_eq!(meta.min_seq, 1);
        assert_eq!(meta.max_seq, 12_000);
        let table = open(&path, new_cache(8 << 20));
        assert_eq!(table.entries(), model.len() as u64);
        assert_eq!((table.min_seq(), table.max_seq()), (1, 12_000));
        assert_eq!(table.file_size(), meta.file_size);
        assert_eq!(table.has_filter(), opts.bloom_bits_per_key > 0);
        assert_eq!(table.id(), 1);
        assert_eq!(table.path(), path);
        check_against_model(&table, &model);
        let report = table.verify().unwrap();
        assert_eq!(report.entries, model.len() as u64);
        assert_eq!(report.blocks, table.block_count() as u64);
        if opts.block_size == 1 {
            assert_eq!(report.blocks, report.entries);
        }
    }
}

#[test]
fn versions_of_one_key_span_many_blocks() {
    let mut model = Model::new();
    model.insert(ikey(b"j", 500, ValueKind::Put), b"before".to_vec());
    for seq in 1..=300u64 {
        let kind = if seq % 7 == 0 {
            ValueKind::Delete
        } else {
            ValueKind::Put
        };
        let value = if kind == ValueKind::Put {
            format!("value-{seq}").into_bytes()
        } else {
            Vec::new()
        };
        // Leave gaps in the sequence numbers so that some snapshots fall between versions.
        model.insert(ikey(b"k", seq * 3, kind), value);
    }
    model.insert(ikey(b"l", 1, ValueKind::Put), b"after".to_vec());
    let dir = tempfile::tempdir().unwrap();
    for block_size in [1, 40, 64, 100, 256] {
        let path = dir.path().join(format!("{block_size}.sst"));
        build(
            &path,
            TableOptions {
                block_size,
                bloom_bits_per_key: 10,
                ..TableOptions::default()
            },
            &model,
        );
        let table = open(&path, new_cache(1 << 20));
        assert!(table.block_count() > 10, "{block_size}: {table:?}");
        for snap in 0..=1000 {
            for user in [&b"j"[..], b"k", b"l", b"kk", b"a"] {
                assert_eq!(
                    table_get(&table, user, snap),
                    model_get(&model, user, snap),
                    "block_size {block_size}: {user:?} at {snap}"
                );
            }
            let start = InternalKey::seek_key(&b"k"[..], snap);
            let expected: Vec<_> = model
                .range(start.clone()..)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            assert_eq!(
                collect(TableIter::new(table.clone(), Some(start.clone()))),
                expected
            );
        }
        table.verify().unwrap();
    }
}

#[test]
fn table_without_filter() {
    let model = random_model(3, 500, 100);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nofilter.sst");
    build(
        &path,
        TableOptions {
            block_size: 256,
            bloom_bits_per_key: 0,
            ..TableOptions::default()
        },
        &model,
    );
    let table = open(&path, Arc::new(NoCache::new()));
    assert!(!table.has_filter());
    assert!(table.may_contain(b"anything at all"));
    check_against_model(&table, &model);
    table.verify().unwrap();
}

#[test]
fn filter_skips_absent_keys() {
    let model = random_model(4, 2_000, 1_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("filter.sst");
    build(&path, TableOptions::default(), &model);
    let cache: Arc<dyn Cache> = Arc::new(BlockCache::new(1 << 20));
    let table = open(&path, cache.clone());
    for k in model.keys() {
        assert!(table.may_contain(&k.user_key));
    }
    let rejected = (0..10_000)
        .filter(|i| !table.may_contain(format!("absent{i}").as_bytes()))
        .count();
    assert!(rejected > 9_700, "{rejected}");
    // Rejected keys cost no block read at all.
    let before = cache.stats();
    for i in 0..10_000 {
        let key = format!("absent{i}");
        if !table.may_contain(key.as_bytes()) {
            assert_eq!(table.get(key.as_bytes(), u64::MAX).unwrap(), None);
        }
    }
    assert_eq!(cache.stats(), before);
}

#[test]
fn reads_go_through_the_cache() {
    let model = random_model(5, 1_000, 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sst");
    build(&path, TableOptions::default(), &model);
    let cache: Arc<dyn Cache> = Arc::new(BlockCache::new(1 << 20));
    let table = open(&path, cache.clone());
    let user = &model.keys().next().unwrap().user_key;
    table.get(user, u64::MAX).unwrap().unwrap();
    let after_first = cache.stats();
    assert_eq!((after_first.misses, after_first.inserts), (1, 1));
    table.get(user, u64::MAX).unwrap().unwrap();
    assert_eq!(cache.stats().hits, after_first.hits + 1);
    assert_eq!(
        collect(TableIter::new(table.clone(), None)).len(),
        model.len()
    );
    assert_eq!(cache.len(), table.block_count());
    // verify() bypasses the cache.
    let before = cache.stats();
    table.verify().unwrap();
    assert_eq!(cache.stats(), before);
}

#[test]
fn shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<Table>();
    assert_send::<TableIter>();

    let model = Arc::new(random_model(6, 5_000, 1_000));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("threads.sst");
    build(
        &path,
        TableOptions {
            block_size: 512,
            bloom_bits_per_key: 10,
            ..TableOptions::default()
        },
        &model,
    );
    // A small cache so that threads race on misses, inserts and evictions.
    let table = open(&path, Arc::new(BlockCache::new(16 * 1024)));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let (table, model) = (Arc::clone(&table), Arc::clone(&model));
            std::thread::spawn(move || {
                if t == 0 {
                    let iter = TableIter::new(table.clone(), None);
                    assert_eq!(iter.count(), model.len());
                }
                for (i, k) in model.keys().enumerate() {
                    if i % 4 == t {
                        assert_eq!(
                            table_get(&table, &k.user_key, k.seq),
                            model_get(&model, &k.user_key, k.seq)
                        );
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn builder_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.sst");
    let mut b = create_at(&path, TableOptions::default()).unwrap();
    assert_eq!(b.path(), path);
    b.add(&ikey(b"b", 5, ValueKind::Put), b"v").unwrap();
    for (k, why) in [
        (ikey(b"b", 5, ValueKind::Put), "duplicate"),
        (ikey(b"b", 6, ValueKind::Put), "newer version after older"),
        (ikey(b"a", 9, ValueKind::Put), "smaller user key"),
        (
            ikey(b"b", 5, ValueKind::Delete), /* same seq, Delete sorts after Put */
            "ok",
        ),
    ] {
        let result = b.add(&k, b"");
        if why == "ok" {
            result.unwrap();
        } else {
            assert!(
                matches!(result, Err(Error::InvalidOptions(ref m)) if m.contains("out of order")),
                "{why}: {result:?}"
            );
        }
    }
    assert!(matches!(
        b.add(&ikey(b"c", 1, ValueKind::Delete), b"value"),
        Err(Error::InvalidOptions(_))
    ));
    assert!(matches!(
        b.add(&ikey(b"c", MAX_SEQ + 1, ValueKind::Put), b""),
        Err(Error::InvalidOptions(_))
    ));
    assert!(matches!(
        b.add(
            &ikey(&vec![b'x'; crate::MAX_KEY_LEN + 1], 1, ValueKind::Put),
            b""
        ),
        Err(Error::KeyTooLarge { .. })
    ));
    // Errors leave the builder usable.
    b.add(&ikey(b"c", 1, ValueKind::Put), b"w").unwrap();
    let meta = b.finish().unwrap();
    assert_eq!(meta.entries, 3);
    assert_eq!(meta.largest, ikey(b"c", 1, ValueKind::Put));
    let table = open(&path, new_cache(0));
    assert_eq!(
        table.get(b"b", 5).unwrap(),
        Some((5, ValueKind::Put, Bytes::from_static(b"v")))
    );

    // The file must not exist; an empty table cannot be finished; options are checked.
    assert!(matches!(
        create_at(&path, TableOptions::default()),
        Err(Error::Io { .. })
    ));
    let empty = create_at(&dir.path().join("empty.sst"), TableOptions::default());
    assert!(matches!(
        empty.unwrap().finish(),
        Err(Error::InvalidOptions(_))
    ));
    for opts in [
        TableOptions {
            block_size: 0,
            ..TableOptions::default()
        },
        TableOptions {
            bloom_bits_per_key: 1000,
            ..TableOptions::default()
        },
    ] {
        assert!(matches!(
            create_at(&dir.path().join("opts.sst"), opts),
            Err(Error::InvalidOptions(_))
        ));
    }
}

/// A small table with several data blocks, a filter and an index, and its bytes.
fn small_table(dir: &Path) -> (PathBuf, Model, Vec<u8>) {
    let model = random_model(11, 60, 20);
    let path = dir.join("small.sst");
    build(
        &path,
        TableOptions {
            block_size: 128,
            bloom_bits_per_key: 10,
            ..TableOptions::default()
        },
        &model,
    );
    let bytes = std::fs::read(&path).unwrap();
    (path, model, bytes)
}

/// Open and fully read a possibly damaged table; `Err` if anything was detected. Never panics.
fn open_and_read_all(path: &Path, model: &Model) -> crate::Result<()> {
    let table = Arc::new(open_at(path, 1, new_cache(0))?);
    for k in model.keys() {
        table.get(&k.user_key, k.seq)?;
    }
    for entry in TableIter::new(table.clone(), None) {
        entry?;
    }
    table.verify()?;
    Ok(())
}

#[test]
fn every_byte_flip_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (path, model, good) = small_table(dir.path());
    open_and_read_all(&path, &model).unwrap();
    let damaged = dir.path().join("damaged.sst");
    for i in 0..good.len() {
        for flip in [0x01u8, 0x80] {
            let mut bad = good.clone();
            bad[i] ^= flip;
            std::fs::write(&damaged, &bad).unwrap();
            let result = open_and_read_all(&damaged, &model);
            assert!(
                matches!(
                    result,
                    Err(Error::Corruption { .. } | Error::Incompatible { .. })
                ),
                "flip {flip:#x} at byte {i} of {}: {result:?}",
                good.len()
            );
        }
    }
}

#[test]
fn truncated_or_garbage_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (_, model, good) = small_table(dir.path());
    let cut = dir.path().join("cut.sst");
    for len in 0..good.len() {
        std::fs::write(&cut, &good[..len]).unwrap();
        let result = open_and_read_all(&cut, &model);
        assert!(
            matches!(
                result,
                Err(Error::Corruption { .. } | Error::Incompatible { .. })
            ),
            "cut to {len}: {result:?}"
        );
    }
    std::fs::write(&cut, vec![0u8; 4096]).unwrap();
    assert!(matches!(
        open_at(&cut, 1, new_cache(0)),
        Err(Error::Incompatible { .. })
    ));
    assert!(matches!(
        open_at(&dir.path().join("missing.sst"), 1, new_cache(0)),
        Err(Error::Io { .. })
    ));
}

#[test]
fn footer_damage_and_wrong_magic() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _, good) = small_table(dir.path());
    let footer_offset = (good.len() - 64) as u64;
    let mut bad = good.clone();
    bad[good.len() - 64 + 25] ^= 0x04; // the entry count
    std::fs::write(&path, &bad).unwrap();
    match open_at(&path, 1, new_cache(0)) {
        Err(Error::Corruption {
            offset, path: p, ..
        }) => {
            assert_eq!(offset, footer_offset);
            assert_eq!(p, path);
        }
        other => panic!("{other:?}"),
    }
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 8..].copy_from_slice(b"LEVELDB!");
    std::fs::write(&path, &bad).unwrap();
    assert!(matches!(
        open_at(&path, 1, new_cache(0)),
        Err(Error::Incompatible { .. })
    ));
}

#[test]
fn data_block_damage_names_the_block() {
    let dir = tempfile::tempdir().unwrap();
    let (path, model, good) = small_table(dir.path());
    let table = open(&path, new_cache(0));
    assert!(table.block_count() >= 3, "{table:?}");
    let handle = table.block_handle(1).unwrap();
    let in_block: Vec<InternalKey> = {
        let block = table.data_block(1).unwrap();
        (0..block.len())
            .map(|i| block.entry(i).unwrap().0)
            .collect()
    };
    drop(table);
    let mut bad = good.clone();
    bad[handle.offset as usize + handle.size as usize / 2] ^= 0x20;
    std::fs::write(&path, &bad).unwrap();

    let names_block = |result: crate::Result<()>| match result {
        Err(Error::Corruption {
            offset, path: p, ..
        }) => offset == handle.offset && p == path,
        _ => false,
    };
    let table = open(&path, new_cache(1 << 20));
    // Reads of other blocks still work; reads of the damaged block fail, every time.
    let first = model.keys().next().unwrap();
    assert!(table.get(&first.user_key, first.seq).unwrap().is_some());
    for k in &in_block {
        for _ in 0..2 {
            assert!(names_block(table.get(&k.user_key, k.seq).map(drop)));
        }
    }
    let results: Vec<_> = TableIter::new(table.clone(), None).collect();
    let err = results.last().unwrap();
    assert!(names_block(err.as_ref().map(drop).map_err(clone_error)));
    assert!(results[..results.len() - 1].iter().all(Result::is_ok));
    let mut seeked = TableIter::new(table.clone(), Some(in_block[0].clone()));
    assert!(names_block(seeked.next().unwrap().map(drop)));
    assert!(seeked.next().is_none(), "the iterator ends after an error");
    assert!(names_block(table.verify().map(drop)));
}

fn clone_error(e: &Error) -> Error {
    match e {
        Error::Corruption {
            path,
            offset,
            reason,
        } => Error::corruption(path, *offset, reason.clone()),
        other => Error::InvalidOptions(other.to_string()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(debug_assertions) { 48 } else { 400 }))]

    /// Random write histories over few keys, random block sizes and filters: every read at
    /// every snapshot and every seek agrees with the model.
    #[test]
    fn prop_table_matches_model(
        ops in prop::collection::vec((0u8..30, any::<bool>(), prop::collection::vec(any::<u8>(), 0..12)), 1..250),
        block_size in prop::sample::select(vec![1usize, 16, 64, 256, 4096]),
        bloom in prop::sample::select(vec![0u32, 1, 10]),
        seeks in prop::collection::vec((0u8..31, 0u64..260), 0..8),
    ) {
        let mut model = Model::new();
        for (seq, (user, delete, value)) in ops.iter().enumerate() {
            let user = [b'k', *user];
            if *delete {
                model.insert(ikey(&user, seq as u64 + 1, ValueKind::Delete), Vec::new());
            } else {
                model.insert(ikey(&user, seq as u64 + 1, ValueKind::Put), value.clone());
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prop.sst");
        build(&path, TableOptions { block_size, bloom_bits_per_key: bloom, ..TableOptions::default() }, &model);
        let table = open(&path, new_cache(64 * 1024));
        for user in 0u8..31 {
            let user = [b'k', user];
            for snap in 0..=ops.len() as u64 + 1 {
                prop_assert_eq!(table_get(&table, &user, snap), model_get(&model, &user, snap));
            }
        }
        let all: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        prop_assert_eq!(collect(TableIter::new(table.clone(), None)), all);
        for (user, seq) in seeks {
            let start = ikey(&[b'k', user], seq, ValueKind::Delete);
            let expected: Vec<_> = model.range(start.clone()..).map(|(k, v)| (k.clone(), v.clone())).collect();
            prop_assert_eq!(collect(TableIter::new(table.clone(), Some(start.clone()))), expected);
        }
        let report = table.verify().unwrap();
        prop_assert_eq!(report.entries, model.len() as u64);
    }
}

/// Point-read latency: `cargo test -p ferrolite --release -- --ignored --nocapture get_latency`.
#[test]
#[ignore]
fn get_latency() {
    use std::time::Instant;
    let n: u64 = std::env::var("FERROLITE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.sst");
    let mut model = Model::new();
    for i in 0..n {
        model.insert(
            ikey(format!("key{i:012}").as_bytes(), i + 1, ValueKind::Put),
            vec![b'v'; 100],
        );
    }
    let meta = build(&path, TableOptions::default(), &model);
    let cache = new_cache(256 << 20);
    let table = open(&path, cache.clone());
    let keys: Vec<Vec<u8>> = {
        let mut rng = StdRng::seed_from_u64(1);
        (0..n)
            .map(|_| format!("key{:012}", rng.random_range(0..n)).into_bytes())
            .collect()
    };
    for k in &keys {
        table.get(k, u64::MAX).unwrap().unwrap();
    }
    let absent: Vec<Vec<u8>> = keys.iter().map(|k| [&k[..], b"x"].concat()).collect();
    for (label, keys) in [("present", &keys), ("absent", &absent)] {
        let start = Instant::now();
        for k in keys {
            std::hint::black_box(table.get(k, u64::MAX).unwrap());
        }
        let per = start.elapsed().as_nanos() / u128::from(n);
        println!(
            "get {label} (cached, {} KiB table, {} blocks): {per} ns/op",
            meta.file_size / 1024,
            table.block_count()
        );
        println!("{:?} {} blocks cached", cache.stats(), cache.len());
    }
    let table = open(&path, new_cache(0));
    let start = Instant::now();
    for k in keys.iter().take(50_000.min(n as usize)) {
        std::hint::black_box(table.get(k, u64::MAX).unwrap());
    }
    println!(
        "get present (uncached, page cache warm): {} ns/op",
        start.elapsed().as_nanos() / 50_000.min(u128::from(n))
    );
}
