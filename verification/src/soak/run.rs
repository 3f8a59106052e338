//! A soak run: open the database, start the threads and the RSS sampler, watch for hangs and
//! for the end of the budget (extended until a flush and a compaction happened), then the
//! engine's counters, the final check before and after a reopen, and the memory bound.

use super::check::check_all;
use super::config::{EXTENSION_SECS, HANG_SECS, RSS_SLACK_KIB, THREADS};
use super::memory::{read_rss_kib, rss_bound_kib, Sampler};
use super::report::{OpCounts, SoakReport};
use super::setup::{budget, options};
use super::worker::{FinishGuard, Shared, Worker, WorkerOut};
use crate::engine_model::scratch_root;
use crate::model::{seed_from_env, SEED_VAR};
use crate::{report, Mode};
use ferrolite::{Db, MapKind};
use std::collections::BTreeMap;
use std::panic;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Soak runs in one process take turns, so that each one's RSS is its own.
static SOAK_LOCK: Mutex<()> = Mutex::new(());

/// Hold this to keep soak runs of this process from measuring memory while you use some: a
/// test in the same binary that allocates a lot (a panic with `RUST_BACKTRACE=1` loads the
/// binary's debug information, about 90 MiB in a debug build) takes it. [`run`] holds it.
pub fn exclusive() -> MutexGuard<'static, ()> {
    SOAK_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn hang(kind: MapKind, seed: u64, what: &str, progress: &[AtomicU64]) -> ! {
    let ops: Vec<u64> = progress.iter().map(|p| p.load(Ordering::Relaxed)).collect();
    let msg = format!(
        "soak: memtable {kind}, seed {seed:#x}: {what} for {HANG_SECS} s (a hang: deadlock or a \
         write stall that never ends); operations per thread so far: {ops:?}"
    );
    println!("{msg}");
    eprintln!("{msg}");
    std::process::exit(3);
}

/// One soak run over memtable `kind` with the budget of `mode` (see the module documentation).
/// Prints what it did (and `VERIFY-STAT` lines: `soak_ops`, `soak_threads`, `soak_secs`,
/// `flushes`, `compactions`, `peak_rss_kib`, `rss_growth_kib`, `keys_checked`); panics with
/// the seed, the thread, the key and expected vs. found on any failure.
pub fn run(kind: MapKind, mode: Mode) -> SoakReport {
    let _turn = exclusive();
    let budget = budget(mode);
    let seed = seed_from_env();
    let opts = options(kind, seed);
    let bound = rss_bound_kib(&opts);
    let root = scratch_root();
    println!(
        "soak: memtable {kind}, mode {mode}, {THREADS} threads for {:.1} s, seed {seed:#x} \
         ({SEED_VAR}), WAL {:?}, databases under {}, RSS growth bound {bound} KiB",
        budget.as_secs_f64(),
        opts.sync,
        root.display()
    );
    let fail_ctx = format!("soak: memtable {kind}, seed {seed:#x} ({SEED_VAR})");
    let dir = tempfile::Builder::new()
        .prefix("ferrolite-soak-")
        .tempdir_in(&root)
        .unwrap_or_else(|e| panic!("{fail_ctx}: temporary directory in {}: {e}", root.display()));

    let baseline = read_rss_kib();
    let sampler = Sampler::start(baseline.unwrap_or(0));

    let memtable_kib = opts.memtable_size as u64 / 1024;
    let db = Db::open(dir.path(), opts.clone()).unwrap_or_else(|e| panic!("{fail_ctx}: open: {e}"));
    let shared = Shared {
        db: &db,
        kind,
        seed,
        stop: AtomicBool::new(false),
        failed: AtomicBool::new(false),
        finished: AtomicUsize::new(0),
        issued: (0..THREADS).map(|_| AtomicU64::new(0)).collect(),
        progress: (0..THREADS).map(|_| AtomicU64::new(0)).collect(),
    };

    let started = Instant::now();
    let outs: Vec<WorkerOut> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let sh = &shared;
                std::thread::Builder::new()
                    .name(format!("soak-{t}"))
                    .spawn_scoped(s, move || {
                        let _guard = FinishGuard(sh);
                        Worker::new(t, sh).run()
                    })
                    .unwrap_or_else(|e| panic!("soak: spawning thread {t}: {e}"))
            })
            .collect();
        // Run until the budget is spent (and at least one flush and one compaction happened,
        // or EXTENSION_SECS more passed), a worker fails, or nothing moves for HANG_SECS.
        let deadline = started + budget;
        let cap = deadline + Duration::from_secs(EXTENSION_SECS);
        let total = |sh: &Shared<'_>| -> u64 {
            sh.progress.iter().map(|p| p.load(Ordering::Relaxed)).sum()
        };
        let mut last_total = 0;
        let mut last_move = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(50));
            if shared.failed.load(Ordering::SeqCst) {
                break;
            }
            let now = Instant::now();
            let t = total(&shared);
            if t != last_total {
                last_total = t;
                last_move = now;
            } else if now - last_move > Duration::from_secs(HANG_SECS) {
                hang(kind, seed, "no operation completed", &shared.progress);
            }
            if now >= deadline {
                let st = db.stats();
                if (st.flushes > 0 && st.compactions > 0) || now >= cap {
                    break;
                }
            }
        }
        shared.stop.store(true, Ordering::SeqCst);
        let stopped = Instant::now();
        while shared.finished.load(Ordering::SeqCst) < THREADS {
            if stopped.elapsed() > Duration::from_secs(HANG_SECS) {
                hang(kind, seed, "workers did not stop", &shared.progress);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut outs = Vec::with_capacity(THREADS);
        let mut first_panic = None;
        for h in handles {
            match h.join() {
                Ok(o) => outs.push(o),
                Err(p) => {
                    first_panic.get_or_insert(p);
                }
            }
        }
        if let Some(p) = first_panic {
            panic::resume_unwind(p);
        }
        outs
    });
    let elapsed = started.elapsed();

    // The engine's counters: this session's writes exactly, flushes and compactions happened.
    let stats = db.stats();
    let mut counts = OpCounts::default();
    let (mut writes, mut write_calls) = (0, 0);
    let mut union = BTreeMap::new();
    for (t, o) in outs.iter().enumerate() {
        counts.add(&o.counts);
        writes += o.writes;
        write_calls += o.write_calls;
        union.extend(o.model.iter().map(|(&i, &v)| ((t, i), v)));
    }
    let ops: u64 = shared
        .progress
        .iter()
        .map(|p| p.load(Ordering::Relaxed))
        .sum();
    assert_eq!(
        (stats.writes, stats.batches, stats.last_seq),
        (writes, write_calls, writes),
        "{fail_ctx}: the engine counted (writes, batches, last seq) differently from the \
         {writes} writes in {write_calls} write calls made"
    );
    assert!(
        stats.flushes > 0 && stats.compactions > 0,
        "{fail_ctx}: after {:.1} s with a 256 KiB memtable there were {} flushes and {} \
         compactions; the soak needs both to mean anything\n{stats}",
        elapsed.as_secs_f64(),
        stats.flushes,
        stats.compactions
    );

    // The final consistency check, then close, reopen, check again.
    let mut keys_checked = check_all(&db, &union, &format!("{fail_ctx}: after the run"));
    db.verify()
        .unwrap_or_else(|e| panic!("{fail_ctx}: verify() after the run: {e}"));
    db.close()
        .unwrap_or_else(|e| panic!("{fail_ctx}: close: {e}"));
    drop(db);
    let db = Db::open(dir.path(), opts).unwrap_or_else(|e| panic!("{fail_ctx}: reopen: {e}"));
    keys_checked += check_all(&db, &union, &format!("{fail_ctx}: after reopen"));
    db.verify()
        .unwrap_or_else(|e| panic!("{fail_ctx}: verify() after reopen: {e}"));
    db.close()
        .unwrap_or_else(|e| panic!("{fail_ctx}: close after reopen: {e}"));
    drop(db);

    let (peak, samples) = sampler.finish();
    let baseline = baseline.unwrap_or(0);
    let growth = peak.saturating_sub(baseline);
    let report_out = SoakReport {
        kind,
        seed,
        threads: THREADS,
        budget,
        elapsed,
        ops,
        counts,
        stats,
        keys_checked,
        live_keys: union.len() as u64,
        baseline_rss_kib: baseline,
        peak_rss_kib: peak,
        rss_growth_kib: growth,
        rss_bound_kib: bound,
        rss_samples: samples,
    };
    println!("{report_out}");
    let written_kib = report_out.stats.user_bytes / 1024;
    println!(
        "  the RSS bound is {:.1} % of the {written_kib} KiB of user data written and of the {} KiB \
         of memtables flushed",
        bound as f64 * 100.0 / written_kib.max(1) as f64,
        report_out.stats.flushes * memtable_kib
    );
    if samples == 0 {
        println!("  memory: /proc/self/status unreadable here: RSS not checked");
    } else {
        assert!(
            growth <= bound,
            "{fail_ctx}: RSS grew by {growth} KiB (from {baseline} to a peak of {peak} KiB) \
             during the run, over the bound of {bound} KiB derived from the options (memtables, \
             block cache, recent-writes map, models, values in flight, {RSS_SLACK_KIB} KiB slack); \
             {written_kib} KiB of user data were written: something keeps written data alive"
        );
    }
    report("soak_ops", ops);
    report("soak_threads", THREADS as u64);
    report("soak_secs", elapsed.as_secs());
    report("flushes", report_out.stats.flushes);
    report("compactions", report_out.stats.compactions);
    report("peak_rss_kib", peak);
    report("rss_growth_kib", growth);
    report("keys_checked", keys_checked);
    report_out
}
