//! Ferrolite's SQL layer and SQLite side by side (criterion group `sql`), one workload in
//! one run: bulk INSERT into `t (id INTEGER PRIMARY KEY, k INTEGER, v TEXT)` with an index on
//! `k`, in transactions of 1,000 rows, from 1, 2 and 4 writers; point SELECT by `id`; range
//! SELECT of 100 rows on `k`; UPDATE by `id`. The workload and the matched sync pairs are
//! `ferrolite_benches::sql_bench`'s (also run by the `sqlbench` binary).
//!
//! One criterion sample of an insert cell inserts a tenth of the table's rows, appending to
//! the same database, so the ten samples build the whole table (1,000,000 rows at the default
//! scale) and the median is taken over a growing table; the read cells then run on the table
//! the 1-writer cell built. Criterion records time per row (or per query); the side data
//! holds our median/spread of rows/s (range selects: rows returned per second) and the
//! settings, for `cargo xtask report`.

use criterion::{BenchmarkId, Criterion, Throughput};
use ferrolite::MapKind;
use ferrolite_benches::sidecar::{self, per_iteration, Scale, Side, Spread};
use ferrolite_benches::sql_bench::{
    create, random_ids, timed, SqlTarget, RANGE_ROWS, TARGETS, TXN_ROWS,
};
use std::sync::Arc;
use std::time::Duration;

struct Sizes {
    rows: i64,
    point_reads: usize,
    range_reads: usize,
    updates: usize,
}

/// Run `op` as criterion cell `sql/<target>/<workload>`: every call of the routine is one
/// sample; `op(sample)` returns (units done, seconds).
fn cell(
    c: &mut Criterion,
    target: &str,
    workload: &str,
    writers: usize,
    sizes: &Sizes,
    mut op: impl FnMut(u64) -> (u64, f64),
) {
    let mut rates = Vec::new();
    let mut sample = 0u64;
    let mut group = c.benchmark_group("sql");
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new(target, workload), |b| {
        b.iter_custom(|iters| {
            let (units, secs) = op(sample);
            sample += 1;
            rates.push(units as f64 / secs);
            per_iteration(Duration::from_secs_f64(secs), units, iters)
        })
    });
    group.finish();
    let (engine, sync) = target.split_once('-').unwrap_or((target, ""));
    let mut side = Side::new("sql", target, workload)
        .param("engine", engine)
        .param("sync", sync)
        .param("workload", workload)
        .param("writers", writers as u64)
        .param("rows", sizes.rows as u64)
        .option("txn_rows", TXN_ROWS as u64)
        .option(
            "durability",
            match (engine, sync) {
                ("sqlite", "normal") => "WAL, synchronous=NORMAL",
                ("sqlite", "off") => "WAL, synchronous=OFF",
                ("ferrolite", "normal") => "SyncPolicy::None, epoch memtable, default options",
                ("ferrolite", "off") => {
                    "SyncPolicy::Buffered(10 ms), epoch memtable, default options"
                }
                _ => "?",
            },
        );
    side.ops_per_sec = Spread::of(&rates);
    sidecar::write(&side).expect("writing side data");
}

fn inserts(c: &mut Criterion, target: &str, t: &Arc<dyn SqlTarget>, writers: usize, sizes: &Sizes) {
    let chunk = (sizes.rows / 10).max(TXN_ROWS as i64);
    let rows = sizes.rows;
    cell(
        c,
        target,
        &format!("insert-{writers}w"),
        writers,
        sizes,
        |sample| {
            let first = sample as i64 * chunk;
            let ((), secs) = timed(|| t.insert(first, chunk, rows, writers))
                .unwrap_or_else(|e| panic!("{target}: {e:#}"));
            (chunk as u64, secs)
        },
    );
}

fn main() {
    let scale = Scale::from_env();
    let sizes = Sizes {
        rows: scale.pick(20_000, 1_000_000, 1_000_000),
        point_reads: scale.pick(2_000, 100_000, 200_000),
        range_reads: scale.pick(200, 10_000, 20_000),
        updates: scale.pick(1_000, 20_000, 50_000),
    };
    eprintln!(
        "sql: scale {}, {} rows (a tenth per insert sample), {} point selects, {} range selects, {} updates per sample",
        scale.name(),
        sizes.rows,
        sizes.point_reads,
        sizes.range_reads,
        sizes.updates
    );
    let mut c = sidecar::criterion(10, Duration::from_millis(500));
    for &target in TARGETS {
        // The 1-writer table, then the reads on it.
        let dir = tempfile::tempdir().expect("temp dir");
        let t = create(target, dir.path(), MapKind::Epoch).expect("create");
        inserts(&mut c, target, &t, 1, &sizes);
        t.settle().expect("settle before the reads");
        let filled = sizes.rows; // ten samples, each a tenth (the warm-up adds one more tenth)
        cell(&mut c, target, "point-select", 1, &sizes, |sample| {
            let ids = random_ids(sizes.point_reads, filled, 100 + sample);
            let (found, secs) = timed(|| t.point_selects(&ids)).expect("point selects");
            assert_eq!(
                found,
                ids.len() as u64,
                "{target}: every id is in the table"
            );
            (found, secs)
        });
        cell(&mut c, target, "range-select", 1, &sizes, |sample| {
            let starts = random_ids(sizes.range_reads, filled - RANGE_ROWS, 200 + sample);
            let (found, secs) = timed(|| t.range_selects(&starts)).expect("range selects");
            assert!(
                found >= RANGE_ROWS as u64 * starts.len() as u64,
                "{target}: 100 rows per range"
            );
            (found, secs)
        });
        cell(&mut c, target, "update", 1, &sizes, |sample| {
            let ids = random_ids(sizes.updates, filled, 300 + sample);
            let ((), secs) = timed(|| t.updates(&ids, 1 + sample as u32)).expect("updates");
            (ids.len() as u64, secs)
        });
        drop(t);
        for writers in [2, 4] {
            let dir = tempfile::tempdir().expect("temp dir");
            let t = create(target, dir.path(), MapKind::Epoch).expect("create");
            inserts(&mut c, target, &t, writers, &sizes);
        }
    }
    c.final_summary();
}
