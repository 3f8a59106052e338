//! The power-loss test: the engine runs on a [`PowerCutFs`], writers commit deterministic
//! batches, the power is cut at a random moment, and the directory the cut leaves behind —
//! unsynced file data lost or torn, unsynced creations, renames and removals undone — must
//! recover every acknowledged batch.
//!
//! The crash test ([`crate::crash`]) kills a process, which never loses what was handed to
//! the OS, so it cannot tell whether the engine *syncs* what it acknowledges; this test can.
//!
//! Every cycle:
//! 1. opens the database on a fresh [`PowerCutFs`] (over the real temporary directory, with
//!    syncs simulated) with the cycle's options: a stage preset or the default, small
//!    memtables and tables ([`crash::child_options`]) so that WAL segment switches, flushes,
//!    compactions and manifest edits happen every few dozen batches, and a sync policy in
//!    turn — `EveryWrite`, `GroupCommit`, and now and then `None`;
//! 2. checks the recovered state (the previous cycle's cut): for every writer `w` the marker
//!    key says batch `k_w` was the last applied, and `k_w >=` the last batch acknowledged
//!    under a syncing policy (**nothing acknowledged is lost**) and `>=` what an earlier
//!    check saw; the whole database equals the model applying exactly each writer's batches
//!    up to `k_w` (batches whole or absent, a prefix of each writer's commits); `Db::verify`;
//! 3. runs one or two writer threads continuing at `k_w + 1` ([`crash::batch_ops`],
//!    acknowledgements recorded after `write` returns), and cuts the power after a random
//!    number of acknowledgements or a random time, whichever comes first ([`CutMode`] in
//!    turn: strict, torn prefix, torn with zeros);
//! 4. drops the dead instance (its writers and workers see I/O errors and stop).
//!
//! Two cycles in three arm the cut before a random file operation
//! ([`PowerCutFs::arm_cut`]), so that it lands at exact points — between a file's creation
//! and its directory's sync, between the `CURRENT` rename and its sync — which a timer rarely
//! hits; one cycle in four aims it into the open (recovery, orphan deletion, the new manifest
//! and `CURRENT`). The others cut after a random number of acknowledgements or a random time.
//!
//! Under `SyncPolicy::None` an acknowledgement promises nothing after a power cut, so only
//! the prefix property is checked, and those cycles cut strictly (see [`run`]).

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrolite::fs::FileKind;
use ferrolite::inspect;
use ferrolite::{Db, StdFs, SyncPolicy, WalRecovery, WriteBatch};
use ferrolite_structures::MapKind;
use ferrolite_testfs::powercut::{CutMode, CutReport, PowerCutFs};

use crate::crash::{self, batch_ops, Op, PrefixTracker};
use crate::rng::SplitMix as Rng;
use crate::{report, Mode};

/// The most writer threads a cycle runs.
pub const MAX_WRITERS: usize = 2;

/// What [`run`] did.
#[derive(Clone, Debug, Default)]
pub struct PowerCutReport {
    /// Cycles run (each one an open, a check, writes, a power cut).
    pub cycles: u64,
    /// Cycles whose power cut hit the open (recovery).
    pub cuts_during_open: u64,
    /// Batches acknowledged under a syncing policy (each one checked after the cut).
    pub acked_batches: u64,
    /// Batches acknowledged under `SyncPolicy::None` (allowed to be lost).
    pub unsynced_acks: u64,
    /// Batches found after a cut that were written but not acknowledged when it happened.
    pub unacked_recovered: u64,
    /// Keys compared in the checks.
    pub keys_checked: u64,
    /// What the cuts threw away, summed.
    pub cuts: CutReport,
    /// Logs left with a zero-filled complete final record: WAL segments reopened under
    /// `WalRecovery::TolerateCorruptedTail`, manifests cut by hand (see
    /// [`zero_filled_tails`]).
    pub zero_fill_repairs: u64,
}

/// What is done after a power cut on a file system that can leave zeros where unsynced data
/// was: a log whose last record is complete but fails its checksum makes `Db::open` refuse
/// with `Corruption` naming the file and offset under the default
/// `WalRecovery::AbsoluteConsistency` (the engine cannot tell such a tear from a flipped bit in
/// an acknowledged record: `wal/record`, rule 5). For a WAL segment the user's way out is the
/// option the engine offers, `WalRecovery::TolerateCorruptedTail`, which the next open uses
/// (returned `true`); a manifest has no such option, and its last record is cut off by hand
/// (the operator's repair). Returns (logs found in that state, whether a WAL segment is among
/// them). Only called after a cut that zero-filled bytes; the checks after the reopen still
/// require every acknowledged batch, so dropping a record that had been synced would fail the
/// test.
pub fn zero_filled_tails(dir: &Path, ctx: &str) -> (u64, bool) {
    let fs = StdFs::shared();
    let (mut found, mut wal) = (0, false);
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{ctx}: list: {e}"));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{ctx}: list: {e}")).path();
        let kind = FileKind::of(&path);
        if !matches!(kind, FileKind::Wal | FileKind::Manifest) {
            continue;
        }
        if let Err(ferrolite::Error::Corruption { offset, reason, .. }) =
            inspect::read_log(&fs, &path)
        {
            if reason.contains("damaged after it was written") {
                found += 1;
                if kind == FileKind::Wal {
                    wal = true;
                } else {
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .and_then(|f| f.set_len(offset).and_then(|()| f.sync_all()));
                    file.unwrap_or_else(|e| panic!("{ctx}: repairing {}: {e}", path.display()));
                }
            }
        }
    }
    (found, wal)
}

/// The sync policy of cycle `cycle`: `EveryWrite`, `GroupCommit`, and every fifth cycle
/// `None`.
fn policy(cycle: u64) -> SyncPolicy {
    match cycle % 5 {
        4 => SyncPolicy::None,
        1 | 3 => SyncPolicy::GroupCommit {
            max_delay: Duration::from_micros(200),
        },
        _ => SyncPolicy::EveryWrite,
    }
}

/// Whether acknowledgements under `p` promise durability.
fn syncs(p: SyncPolicy) -> bool {
    matches!(p, SyncPolicy::EveryWrite | SyncPolicy::GroupCommit { .. })
}

/// Run cycles until `cycles` are done or, with `None`, until `budget` has passed (at least
/// one cycle). Panics with the seed, cycle and configuration on any lost acknowledged batch,
/// half batch, non-prefix state, failed open or failed verification.
pub fn run_cycles(
    kind: MapKind,
    cycles: Option<u64>,
    budget: Duration,
    seed: u64,
) -> PowerCutReport {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("db");
    let mut rng = Rng(seed ^ 0x0BAD_CAFE);
    let mut tracker = PrefixTracker::new(seed, MAX_WRITERS);
    let mut report = PowerCutReport::default();
    let started = Instant::now();
    let mut cycle = 0u64;
    // What the previous cycle did and its cut threw away, for messages.
    let mut last_cut = String::from("nothing (fresh directory)");
    // File operations an open makes (the most seen), to aim cuts into opens.
    let mut open_ops = 40u64;
    // Zero bytes the cuts wrote so far, as of the last repair check.
    let mut zeroed_seen = 0u64;
    // A WAL segment ends in a zero-filled complete record: open tolerating it.
    let mut tolerate_wal_tail = false;
    loop {
        match cycles {
            Some(n) if cycle >= n => break,
            None if cycle > 0 && started.elapsed() >= budget => break,
            _ => {}
        }
        // The last cut left zeros where unsynced data was: see `zero_filled_tails`. A WAL
        // tail stays damaged until an open completes, so the mode sticks until then.
        if report.cuts.zeroed_bytes > zeroed_seen {
            let (found, wal) = zero_filled_tails(&dir, &last_cut);
            report.zero_fill_repairs += found;
            tolerate_wal_tail |= wal;
            zeroed_seen = report.cuts.zeroed_bytes;
        }
        let preset = crash::PRESETS[(cycle / 2) as usize % crash::PRESETS.len()];
        let sync = policy(cycle);
        let cut_mode = if !syncs(sync) {
            // Under `None` nothing is synced, so a torn tail of one segment followed by a
            // kept record in the next is reported as corruption by design (module docs).
            CutMode::strict()
        } else {
            match cycle % 3 {
                0 => CutMode::strict(),
                1 => CutMode::torn(rng.next(), false),
                _ => CutMode::torn(rng.next(), true),
            }
        };
        let during_open = cycle % 4 == 3;
        let writers = 1 + (cycle / 3 % MAX_WRITERS as u64) as usize;
        let ctx = format!(
            "power-cut test {kind:?} seed {seed} (FERROLITE_POWERCUT_SEED) cycle {cycle} preset \
             {preset} sync {sync:?} writers {writers} cut {cut_mode:?}; the state checked was \
             left by: {last_cut}"
        );
        let fs = PowerCutFs::without_real_syncs(StdFs::shared());
        let opts = crash::child_options(kind, preset)
            .unwrap_or_else(|e| panic!("{ctx}: options: {e}"))
            .sync(sync)
            .wal_recovery(if tolerate_wal_tail {
                WalRecovery::TolerateCorruptedTail
            } else {
                WalRecovery::AbsoluteConsistency
            })
            .file_system(Arc::new(fs.clone()));

        // How the power goes out: before a random file operation (during the open, or
        // while writing), or after a random number of acknowledgements or a random time.
        let armed_cut = cycle % 3 != 1;
        if during_open {
            fs.arm_cut(rng.below(open_ops + 1), cut_mode);
        }
        let db = match Db::open(&dir, opts) {
            Ok(db) => {
                tolerate_wal_tail = false;
                Arc::new(db)
            }
            Err(e) if fs.is_dead() => {
                // The cut hit the open.
                let cut = fs.last_cut().expect("a cut happened").unwrap_or_else(|e| {
                    panic!("{ctx}: cut: {e}");
                });
                report.cuts.add(&cut);
                report.cuts_during_open += 1;
                last_cut = format!(
                    "cycle {cycle} (cut during open at op {} of ~{open_ops}, {e}: {cut})",
                    fs.ops()
                );
                report.cycles += 1;
                cycle += 1;
                continue;
            }
            Err(e) => panic!("{ctx}: recovery failed: {e}"),
        };
        fs.disarm_cut();
        if fs.is_dead() {
            // The cut aimed at the open hit the workers it had just started.
            let cut = fs.last_cut().expect("a cut happened").unwrap_or_else(|e| {
                panic!("{ctx}: cut: {e}");
            });
            report.cuts.add(&cut);
            drop(db);
            last_cut = format!("cycle {cycle} (cut right after the open: {cut})");
            report.cycles += 1;
            cycle += 1;
            continue;
        }
        open_ops = open_ops.max(fs.ops());
        let (unacked, keys) = tracker.check(&db, &ctx);
        report.unacked_recovered += unacked;
        report.keys_checked += keys;
        if armed_cut {
            fs.arm_cut(fs.ops() + rng.below(1_500), cut_mode);
        }

        // Write, then cut.
        let stop = Arc::new(AtomicBool::new(false));
        let total_acks = Arc::new(AtomicU64::new(0));
        let acked: Arc<Vec<AtomicU64>> = Arc::new((0..MAX_WRITERS).map(|_| 0.into()).collect());
        let attempted: Arc<Vec<AtomicU64>> = Arc::new(
            (0..MAX_WRITERS)
                .map(|w| AtomicU64::new(tracker.attempted[w]))
                .collect(),
        );
        let failure: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let start = tracker.applied[w].map_or(0, |a| a + 1);
                let (db, fs, stop) = (db.clone(), fs.clone(), stop.clone());
                let (total_acks, acked, attempted, failure) = (
                    total_acks.clone(),
                    acked.clone(),
                    attempted.clone(),
                    failure.clone(),
                );
                std::thread::spawn(move || {
                    for i in start.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let mut batch = WriteBatch::new();
                        for op in batch_ops(seed, w, i) {
                            match op {
                                Op::Put(k, v) => batch.put(k, v),
                                Op::Delete(k) => batch.delete(k),
                            };
                        }
                        attempted[w].fetch_max(i + 1, Ordering::SeqCst);
                        match db.write(batch) {
                            Ok(_) => {
                                acked[w].store(i + 1, Ordering::SeqCst);
                                total_acks.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(e) => {
                                if !fs.is_dead() {
                                    *failure.lock().unwrap() =
                                        Some(format!("writer {w} batch {i}: {e}"));
                                }
                                break;
                            }
                        }
                    }
                })
            })
            .collect();
        let (target, deadline) = if armed_cut {
            (u64::MAX, Duration::from_secs(2)) // the armed cut normally comes first
        } else {
            (
                rng.below(300),
                Duration::from_micros(500 + rng.below(150_000)),
            )
        };
        let t0 = Instant::now();
        while total_acks.load(Ordering::SeqCst) < target
            && t0.elapsed() < deadline
            && !fs.is_dead()
            && failure.lock().unwrap().is_none()
        {
            std::thread::sleep(Duration::from_micros(200));
        }
        let cut = match fs.cut(cut_mode) {
            Ok(cut) => Ok(cut),
            Err(_) => fs.last_cut().expect("an armed cut happened"),
        }
        .unwrap_or_else(|e| panic!("{ctx}: cut: {e}"));
        report.cuts.add(&cut);
        last_cut = format!(
            "cycle {cycle} ({preset}, {sync:?}, {} acks, {cut_mode:?}: {cut})",
            total_acks.load(Ordering::SeqCst)
        );
        stop.store(true, Ordering::SeqCst);
        let joined = Instant::now();
        for h in handles {
            h.join().expect("writer thread");
        }
        assert!(
            joined.elapsed() < Duration::from_secs(20),
            "{ctx}: writers took {:?} to stop after the cut",
            joined.elapsed()
        );
        if let Some(f) = failure.lock().unwrap().take() {
            panic!("{ctx}: a write failed before the cut: {f}");
        }
        drop(db); // closes: workers stop on the dead file system's errors
        for w in 0..MAX_WRITERS {
            let a = acked[w].load(Ordering::SeqCst);
            tracker.attempted[w] = attempted[w].load(Ordering::SeqCst);
            if a == 0 {
                continue;
            }
            let n = a - tracker.applied[w].map_or(0, |x| x + 1);
            if syncs(sync) {
                tracker.must_have[w] = tracker.must_have[w].max(Some(a - 1));
                report.acked_batches += n;
            } else {
                report.unsynced_acks += n;
            }
        }
        report.cycles += 1;
        cycle += 1;
    }
    // The last cut's check.
    if report.cuts.zeroed_bytes > zeroed_seen {
        let (found, wal) = zero_filled_tails(&dir, &last_cut);
        report.zero_fill_repairs += found;
        tolerate_wal_tail |= wal;
    }
    let fs = PowerCutFs::without_real_syncs(StdFs::shared());
    let opts = crash::child_options(kind, "default")
        .expect("options")
        .wal_recovery(if tolerate_wal_tail {
            WalRecovery::TolerateCorruptedTail
        } else {
            WalRecovery::AbsoluteConsistency
        })
        .file_system(Arc::new(fs));
    let ctx = format!(
        "power-cut test {kind:?} seed {seed} final check; the state checked was left by: \
         {last_cut}"
    );
    let db = Db::open(&dir, opts).unwrap_or_else(|e| panic!("{ctx}: recovery failed: {e}"));
    let (unacked, keys) = tracker.check(&db, &ctx);
    report.unacked_recovered += unacked;
    report.keys_checked += keys;
    db.close().unwrap_or_else(|e| panic!("{ctx}: close: {e}"));
    report
}

/// One matrix cell: the power-loss test over memtable `kind` for the budget of `mode` (quick
/// 3 s, default 30 s, full 180 s, a third of that in unoptimised builds — a plain `cargo test`;
/// `FERROLITE_POWERCUT_CYCLES` fixes the cycle count instead),
/// seed from `FERROLITE_POWERCUT_SEED` (else random, printed). Prints `VERIFY-STAT` lines.
pub fn run(kind: MapKind, mode: Mode) -> PowerCutReport {
    let cycles = std::env::var("FERROLITE_POWERCUT_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok());
    let budget = Duration::from_millis(
        mode.pick(3_000, 30_000, 180_000) / if cfg!(debug_assertions) { 3 } else { 1 },
    );
    let seed = crate::rng::seed_from_var("FERROLITE_POWERCUT_SEED");
    println!(
        "power-cut test: memtable {kind:?}, {} FERROLITE_POWERCUT_SEED={seed}",
        match cycles {
            Some(n) => format!("{n} cycles,"),
            None => format!("{budget:?},"),
        }
    );
    let started = Instant::now();
    let r = run_cycles(kind, cycles, budget, seed);
    println!(
        "power-cut test: memtable {kind:?}: {} cycles in {:.1?} ({} cut during open), {} synced \
         batches acknowledged, all recovered ({} more written but unacknowledged found), {} \
         unsynced acknowledgements, {} key checks, {} zero-filled log tails (WAL: opened with \
         TolerateCorruptedTail; manifest: cut by hand); cuts: {}",
        r.cycles,
        started.elapsed(),
        r.cuts_during_open,
        r.acked_batches,
        r.unacked_recovered,
        r.unsynced_acks,
        r.keys_checked,
        r.zero_fill_repairs,
        r.cuts
    );
    report("power_cuts", r.cycles);
    report("power_acked_batches", r.acked_batches);
    report("lost_unsynced_bytes", r.cuts.lost_unsynced_bytes);
    report("files_vanished", r.cuts.files_vanished);
    report("renames_undone", r.cuts.renames_undone);
    report("removals_undone", r.cuts.removals_undone);
    report("cuts_during_open", r.cuts_during_open);
    report("power_keys_checked", r.keys_checked);
    report("zero_fill_repairs", r.zero_fill_repairs);
    r
}
