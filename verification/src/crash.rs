//! The crash test: a child process writes through the engine and is killed — by `SIGKILL` from
//! this process at a random moment, or by itself at a named kill point of its file operations
//! ([`ferrolite_testfs::kill`]: the child's database runs on a `KillFs`) — and every recovered
//! state is checked against the acknowledgements.
//!
//! **The child** (`src/bin/crash-child.rs`, which calls [`child_main`]) opens the database with
//! a stage preset and a memtable kind, prints `READY`, and runs [`WRITERS`] writer threads. Writer
//! `w` commits its batches `start_w, start_w + 1, …` in order; batch `i` of writer `w` is a pure
//! function of `(seed, w, i)` ([`batch_ops`]): puts (values of 10 B … 20 KiB, so memtables fill
//! and flushes and compactions run all the time), overwrites and deletes of writer `w`'s own
//! keys, and a put of writer `w`'s marker key holding `i`. The WAL is synced on every commit
//! (`SyncPolicy::EveryWrite`). After each successful commit the writer prints `ACK w i`; a
//! reader thread does gets meanwhile.
//!
//! **The parent** ([`run`]) runs cycles. A cycle picks the preset (S0…S5 and the default options,
//! in turn) and the way to die: a targeted kill point (`FERROLITE_KILL_POINTS=<point>` with odds
//! fitted to how often the point is reached), or only the parent's timer, which `SIGKILL`s the
//! child after a random delay (it is also the backstop of the targeted cycles). Then it copies
//! the directory (so the next child recovers the crashed state itself — crashes inside recovery
//! are part of the test), opens the copy and checks:
//! - for every writer, the marker says batch `k_w` was the last one applied, and
//!   `k_w >= ` the last acknowledged batch: **nothing acknowledged is lost**;
//! - the whole database equals the model that applies, for every writer, exactly its batches up
//!   to `k_w`: every batch is all or nothing and what survived is a prefix of each writer's
//!   commits (a later batch never survives without an earlier one);
//! - `Db::verify` finds every table intact.
//!
//! The next child continues writing at `k_w + 1` on the crashed (not the copied) directory.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrolite::{Db, Options, Stage, SyncPolicy, WriteBatch};
use ferrolite_structures::MapKind;
use ferrolite_testfs::KillFs;

use crate::rng::SplitMix as Rng;
use crate::{report, Mode};

/// Writer threads in the child. Two, so that group commit forms groups of several batches.
pub const WRITERS: usize = 2;
/// Keys per writer.
const KEYS_PER_WRITER: u64 = 400;
/// The presets the cycles rotate through (`default` = `Options::default()`).
pub const PRESETS: [&str; 7] = ["S0", "S1", "S2", "S3", "S4", "S5", "default"];
/// What a cycle's line on the child's stderr starts with when a kill point fired.
const KILL_LINE: &str = "FERROLITE-KILL-POINT ";

/// One operation of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Put key → value.
    Put(Vec<u8>, Vec<u8>),
    /// Delete key.
    Delete(Vec<u8>),
}

/// The marker key of writer `w`: its value is the index of the writer's last applied batch.
pub fn marker(w: usize) -> Vec<u8> {
    format!("~commit-{w}").into_bytes()
}

/// Batch `i` of writer `w` under `seed`: 1–6 puts/deletes of the writer's keys, then the
/// marker. A pure function, so the parent replays exactly what the child wrote.
pub fn batch_ops(seed: u64, w: usize, i: u64) -> Vec<Op> {
    let mut rng = Rng::stream(seed ^ i << 8, w as u64);
    let n = 1 + rng.below(6);
    let mut ops = Vec::with_capacity(n as usize + 1);
    for j in 0..n {
        let key = format!("w{w}-k{:04}", rng.below(KEYS_PER_WRITER)).into_bytes();
        if rng.below(5) == 0 {
            ops.push(Op::Delete(key));
            continue;
        }
        let len = match rng.below(100) {
            0..70 => 10 + rng.below(90),
            70..95 => 100 + rng.below(1900),
            _ => 2000 + rng.below(18000),
        } as usize;
        let mut value = format!("{w}:{i}:{j}:").into_bytes();
        let fill = b'a' + (rng.below(26) as u8);
        value.resize(len.max(value.len()), fill);
        ops.push(Op::Put(key, value));
    }
    ops.push(Op::Put(marker(w), i.to_be_bytes().to_vec()));
    ops
}

/// Apply `ops` to a model.
pub(crate) fn apply(model: &mut BTreeMap<Vec<u8>, Vec<u8>>, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Put(k, v) => {
                model.insert(k.clone(), v.clone());
            }
            Op::Delete(k) => {
                model.remove(k);
            }
        }
    }
}

/// What the recovery checks carry from cycle to cycle, per writer: the model of its batches up
/// to the last one seen applied, what must survive, and how far it got. Shared by the crash
/// and power-cut tests.
#[derive(Clone, Debug)]
pub struct PrefixTracker {
    seed: u64,
    models: Vec<BTreeMap<Vec<u8>, Vec<u8>>>,
    /// The last batch seen applied per writer by a check.
    pub applied: Vec<Option<u64>>,
    /// The last batch per writer whose acknowledgement promised durability (must survive).
    pub must_have: Vec<Option<u64>>,
    /// Batches attempted per writer (what a check may find is below it).
    pub attempted: Vec<u64>,
}

impl PrefixTracker {
    /// A fresh database written by `writers` writers of `batch_ops(seed, …)`.
    pub fn new(seed: u64, writers: usize) -> PrefixTracker {
        PrefixTracker {
            seed,
            models: vec![BTreeMap::new(); writers],
            applied: vec![None; writers],
            must_have: vec![None; writers],
            attempted: vec![0; writers],
        }
    }

    /// Check `db`, just recovered, and advance the models; panics with `ctx` on a lost
    /// acknowledged batch, a writer gone backwards, a half batch or a state that is not each
    /// writer's prefix, a failed read or table verification. Returns (batches found that were
    /// written but not known to be durable, keys compared).
    pub fn check(&mut self, db: &Db, ctx: &str) -> (u64, u64) {
        let mut unacked = 0;
        for w in 0..self.models.len() {
            let got = db
                .get(marker(w))
                .unwrap_or_else(|e| panic!("{ctx}: get marker: {e}"))
                .map(|v| u64::from_be_bytes(v.as_ref().try_into().expect("8-byte marker")));
            if let Some(a) = self.must_have[w] {
                assert!(
                    got.is_some_and(|k| k >= a),
                    "{ctx}: writer {w}: batch {a} was acknowledged but the database ends at {got:?}"
                );
            }
            assert!(
                got >= self.applied[w],
                "{ctx}: writer {w}: recovered up to {got:?}, an earlier recovery had {:?}",
                self.applied[w]
            );
            if let Some(k) = got {
                assert!(
                    k < self.attempted[w],
                    "{ctx}: writer {w}: marker {k} but only {} batches were written",
                    self.attempted[w]
                );
                let from = self.applied[w].map_or(0, |a| a + 1);
                for i in from..=k {
                    apply(&mut self.models[w], &batch_ops(self.seed, w, i));
                }
                // Batches that survived although nothing promised they would.
                let known = self.must_have[w].max(self.applied[w]);
                unacked += known.map_or(k + 1, |a| k - a);
                self.applied[w] = Some(k);
                self.must_have[w] = Some(k);
            }
        }
        let mut expected: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for m in &self.models {
            expected.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let mut got: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for item in db.iter().unwrap_or_else(|e| panic!("{ctx}: iter: {e}")) {
            let (k, v): (Bytes, Bytes) = item.unwrap_or_else(|e| panic!("{ctx}: scan: {e}"));
            got.insert(k.to_vec(), v.to_vec());
        }
        if got != expected {
            let diff = expected
                .iter()
                .find(|(k, v)| got.get(*k) != Some(*v))
                .map(|(k, _)| k.clone())
                .or_else(|| got.keys().find(|k| !expected.contains_key(*k)).cloned());
            panic!(
                "{ctx}: recovered state differs from the prefix model ({} keys vs {} expected); \
                 first differing key {:?}",
                got.len(),
                expected.len(),
                diff.map(|k| String::from_utf8_lossy(&k).into_owned())
            );
        }
        for (k, v) in &expected {
            let g = db.get(k).unwrap_or_else(|e| panic!("{ctx}: get: {e}"));
            assert_eq!(g.as_deref(), Some(&v[..]), "{ctx}: get {k:?}");
        }
        db.verify()
            .unwrap_or_else(|e| panic!("{ctx}: table verification failed: {e}"));
        (unacked, expected.len() as u64 * 2)
    }
}

/// The options a child opens with: the preset, the memtable kind, a WAL synced on every commit,
/// and small sizes so that flushes and compactions happen every few dozen batches.
pub fn child_options(kind: MapKind, preset: &str) -> Result<Options, ferrolite::Error> {
    let base = match preset {
        "default" => Options::default(),
        s => Options::stage(s.parse::<Stage>()?),
    };
    Ok(base
        .memtable(kind)
        .create_if_missing(true)
        .sync(SyncPolicy::EveryWrite)
        .memtable_size(64 << 10)
        .target_file_size(64 << 10)
        .level1_size(256 << 10)
        .block_size(2048))
}

/// The child process: `crash-child <dir> <kind> <preset> <seed> <start_0>,<start_1>,… <count>`.
/// Exits 0 after `count` batches per writer and a clean close, 2 on bad arguments, 3 if the
/// engine returned an error (printed to stderr).
pub fn child_main() -> ! {
    let args: Vec<String> = std::env::args().collect();
    let usage = || -> ! {
        eprintln!("usage: crash-child <dir> <kind> <preset> <seed> <start,start,...> <count>");
        std::process::exit(2)
    };
    if args.len() != 7 {
        usage();
    }
    let dir = PathBuf::from(&args[1]);
    let Some(kind) = MapKind::ALL.into_iter().find(|k| k.name() == args[2]) else {
        usage()
    };
    let preset = args[3].clone();
    let Ok(seed) = args[4].parse::<u64>() else {
        usage()
    };
    let starts: Vec<u64> = args[5].split(',').filter_map(|s| s.parse().ok()).collect();
    let Ok(count) = args[6].parse::<u64>() else {
        usage()
    };
    if starts.len() != WRITERS {
        usage();
    }
    let fail = |what: &str, e: ferrolite::Error| -> ! {
        eprintln!("crash-child: {what}: {e}");
        std::process::exit(3)
    };
    let opts = child_options(kind, &preset)
        .unwrap_or_else(|e| fail("options", e))
        .file_system(Arc::new(KillFs::from_env()));
    let db = Arc::new(Db::open(&dir, opts).unwrap_or_else(|e| fail("open", e)));
    let out = Arc::new(Mutex::new(std::io::stdout()));
    {
        let mut o = out.lock().unwrap();
        let _ = writeln!(o, "READY");
        let _ = o.flush();
    }
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (db, done) = (db.clone(), done.clone());
        std::thread::spawn(move || {
            let mut rng = Rng::new(seed ^ 0x5EED);
            while !done.load(Ordering::Relaxed) {
                let w = rng.below(WRITERS as u64);
                let key = format!("w{w}-k{:04}", rng.below(KEYS_PER_WRITER));
                if let Err(e) = db.get(key.as_bytes()) {
                    eprintln!("crash-child: get: {e}");
                    std::process::exit(3);
                }
            }
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (db, out, start) = (db.clone(), out.clone(), starts[w]);
            std::thread::spawn(move || {
                for i in start..start + count {
                    let mut batch = WriteBatch::new();
                    for op in batch_ops(seed, w, i) {
                        match op {
                            Op::Put(k, v) => batch.put(k, v),
                            Op::Delete(k) => batch.delete(k),
                        };
                    }
                    if let Err(e) = db.write(batch) {
                        eprintln!("crash-child: writer {w} batch {i}: {e}");
                        std::process::exit(3);
                    }
                    let mut o = out.lock().unwrap();
                    let _ = writeln!(o, "ACK {w} {i}");
                    let _ = o.flush();
                }
            })
        })
        .collect();
    for t in writers {
        let _ = t.join();
    }
    done.store(true, Ordering::Relaxed);
    let _ = reader.join();
    if let Err(e) = db.close() {
        fail("close", e);
    }
    std::process::exit(0)
}

/// How a cycle's child ended.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ending {
    /// It killed itself at this kill point.
    KillPoint(String),
    /// The parent's timer killed it after it had opened the database.
    TimerWhileWriting,
    /// The parent's timer killed it before it reported the database open (inside recovery).
    TimerDuringOpen,
    /// It wrote its whole quota and closed cleanly.
    Finished,
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::KillPoint(p) => write!(f, "kill point {p}"),
            Ending::TimerWhileWriting => f.write_str("SIGKILL while writing"),
            Ending::TimerDuringOpen => f.write_str("SIGKILL during open/recovery"),
            Ending::Finished => f.write_str("finished and closed"),
        }
    }
}

/// What [`run`] did.
#[derive(Clone, Debug, Default)]
pub struct CrashReport {
    /// Cycles run (each one a child process, a crash or clean end, and a recovery check).
    pub cycles: u64,
    /// How each child ended, with counts.
    pub endings: BTreeMap<String, u64>,
    /// Batches acknowledged to the parent over all cycles.
    pub acked: u64,
    /// Batches recovered that the child had committed but not yet acknowledged when it died.
    pub unacked_recovered: u64,
    /// Keys compared in the recovery checks.
    pub keys_checked: u64,
}

/// The kill-point odds of a targeted cycle: how rarely the point is reached per batch.
fn odds_for(point: &str) -> u64 {
    match point {
        p if p.starts_with("wal.") => 150,
        // A table reaches its file in a few large writes (the builder buffers 1 MiB).
        p if p.starts_with("recovery.") => 1,
        p if p.starts_with("current.") => 1,
        _ => 3,
    }
}

/// Copy every regular file of `from` into a fresh `to`.
fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Run `cycles` crash cycles of the memtable `kind` with the child executable `child`.
/// Panics with the seed, cycle, preset and ending on any lost or half-applied batch.
pub fn run_cycles(kind: MapKind, cycles: u64, seed: u64, child: &Path) -> CrashReport {
    let root = tempfile::tempdir().unwrap();
    let db_dir = root.path().join("db");
    let check_dir = root.path().join("check");
    let mut rng = Rng::new(seed ^ 0xC0FFEE);
    let mut tracker = PrefixTracker::new(seed, WRITERS);
    let mut report = CrashReport::default();
    let points = ferrolite_testfs::kill::POINTS;
    let quota = 4_000u64;
    let mut targeted = 0usize;
    for cycle in 0..cycles {
        let preset = PRESETS[cycle as usize % PRESETS.len()];
        // Two cycles in three target a kill point (in turn); the third only has the timer.
        let target = (cycle % 3 != 2).then(|| {
            let p = points[targeted % points.len()];
            targeted += 1;
            p
        });
        let delay = Duration::from_millis(match target {
            Some(_) => 1_500,
            None => 5 + rng.below(400),
        });
        let starts: Vec<String> = tracker
            .applied
            .iter()
            .map(|a| a.map_or(0, |k| k + 1).to_string())
            .collect();
        let mut cmd = Command::new(child);
        cmd.arg(&db_dir)
            .arg(kind.name())
            .arg(preset)
            .arg(seed.to_string())
            .arg(starts.join(","))
            .arg(quota.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("RUST_BACKTRACE", "0");
        if let Some(p) = target {
            cmd.env("FERROLITE_KILL_POINTS", p)
                .env("FERROLITE_KILL_ODDS", odds_for(p).to_string())
                .env("FERROLITE_KILL_SEED", rng.next().to_string());
        }
        let mut proc = cmd.spawn().expect("spawn the crash child");
        let stdout = proc.stdout.take().unwrap();
        let mut stderr = proc.stderr.take().unwrap();
        let acks = std::thread::spawn(move || {
            let mut ready = false;
            let mut acked: Vec<Option<u64>> = vec![None; WRITERS];
            let mut n = 0u64;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line == "READY" {
                    ready = true;
                } else if let Some(rest) = line.strip_prefix("ACK ") {
                    let mut it = rest.split(' ').map(|s| s.parse::<u64>().unwrap());
                    let (w, i) = (it.next().unwrap() as usize, it.next().unwrap());
                    acked[w] = Some(i);
                    n += 1;
                }
            }
            (ready, acked, n)
        });
        let errs = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let started = Instant::now();
        let mut timer_fired = false;
        let status = loop {
            if let Some(st) = proc.try_wait().unwrap() {
                break st;
            }
            if started.elapsed() >= delay {
                let _ = proc.kill(); // SIGKILL
                timer_fired = true;
                break proc.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let (ready, acked, n_acks) = acks.join().unwrap();
        let err_text = errs.join().unwrap();
        let kill_point = err_text
            .lines()
            .find_map(|l| l.strip_prefix(KILL_LINE))
            .map(str::to_string);
        let ending = match (&kill_point, timer_fired, status.success()) {
            (Some(p), _, _) => Ending::KillPoint(p.clone()),
            (None, true, _) if ready => Ending::TimerWhileWriting,
            (None, true, _) => Ending::TimerDuringOpen,
            (None, false, true) => Ending::Finished,
            (None, false, false) => panic!(
                "crash test {kind:?} seed {seed} cycle {cycle} preset {preset}: the child failed \
                 ({status}) without a kill:\n{err_text}"
            ),
        };
        let ctx = format!(
            "crash test {kind:?} seed {seed} (FERROLITE_CRASH_SEED) cycle {cycle} preset {preset} \
             ending: {ending}"
        );
        *report.endings.entry(ending.to_string()).or_default() += 1;
        report.acked += n_acks;

        // Check a copy of the crashed directory.
        copy_dir(&db_dir, &check_dir);
        let db = Db::open(&check_dir, Options::default().memtable(kind))
            .unwrap_or_else(|e| panic!("{ctx}: recovery failed: {e}"));
        for (w, ack) in acked.iter().enumerate() {
            let start = tracker.applied[w].map_or(0, |a| a + 1);
            tracker.attempted[w] = start + quota;
            tracker.must_have[w] = tracker.must_have[w].max(*ack);
        }
        let (unacked, keys) = tracker.check(&db, &ctx);
        report.unacked_recovered += unacked;
        report.keys_checked += keys;
        db.close().unwrap();
        drop(db);
        report.cycles += 1;
    }
    report
}

/// One matrix cell: the crash test over memtable `kind` with the budget of `mode` (quick 36,
/// default 150, full 900 cycles, a third of that in unoptimised builds — a plain `cargo test`;
/// the verifier builds optimised; `FERROLITE_CRASH_CYCLES` overrides), seed from
/// `FERROLITE_CRASH_SEED` (else random, printed). Prints `VERIFY-STAT` lines and a summary.
pub fn run(kind: MapKind, mode: Mode, child: &Path) -> CrashReport {
    let cycles = std::env::var("FERROLITE_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| mode.pick(36, 150, 900) / if cfg!(debug_assertions) { 3 } else { 1 });
    let seed = crate::rng::seed_from_var("FERROLITE_CRASH_SEED");
    println!("crash test: memtable {kind:?}, {cycles} cycles, FERROLITE_CRASH_SEED={seed}");
    let r = run_cycles(kind, cycles, seed, child);
    println!(
        "crash test: memtable {kind:?}: {} cycles, {} batches acknowledged, all recovered \
         ({} more committed but unacknowledged), {} key checks",
        r.cycles, r.acked, r.unacked_recovered, r.keys_checked
    );
    for (ending, n) in &r.endings {
        println!("  {n:>4} × {ending}");
    }
    report("cycles", r.cycles);
    report("acked_batches", r.acked);
    report("keys_checked", r.keys_checked);
    let kill_points = r
        .endings
        .iter()
        .filter(|(e, _)| e.starts_with("kill point"))
        .map(|(_, n)| n)
        .sum();
    report("kill_point_crashes", kill_points);
    for (ending, n) in &r.endings {
        if let Some(point) = ending.strip_prefix("kill point ") {
            report(&format!("killed_at_{point}"), *n);
        }
    }
    report(
        "timer_kills",
        r.endings
            .iter()
            .filter(|(e, _)| e.starts_with("SIGKILL"))
            .map(|(_, n)| n)
            .sum(),
    );
    r
}
