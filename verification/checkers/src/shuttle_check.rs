//! # Randomized and PCT schedules under shuttle
//!
//! The models behind `tests/shuttle.rs`, public so that a map of your own runs them too:
//! [`run_all`] on your map type, written against the sync shim
//! (`ferrolite_structures::sync`), from a test of your crate.
//!
//! Build with `--features shuttle` (this module is absent otherwise). The structures' atomics,
//! mutexes, threads and thread-locals are then shuttle's: every thread runs on one OS thread and
//! shuttle's scheduler picks which one runs at every synchronisation point. Shuttle explores
//! far larger programs than loom (every atomic is `SeqCst` to it, and it samples schedules
//! instead of enumerating them): here 3–4 threads run 10–15 random operations each over a few
//! keys, under `shuttle::check_random` (uniformly random scheduling) and `shuttle::check_pct`
//! (probabilistic concurrency testing with depth 3, which finds any bug that needs at most two
//! ordering constraints with a known probability per schedule).
//!
//! ## Workloads
//!
//! Operations (insert/replace, remove, get, bounded range) and keys are drawn from shuttle's own
//! random source, so a failing schedule replays them too. Every value is unique and names its
//! key, writer thread and operation (`key << 24 | thread << 16 | op`), so each observation can be
//! traced to the write that produced it.
//!
//! * **shared**: 4 threads × 10 operations on 4 keys; any thread writes any key, so inserts race
//!   with inserts, replaces and removes of the same key.
//! * **owned**: 3 threads × 15 operations on 6 keys; each key is *written* (inserted/replaced) by
//!   one owner thread only, while every thread removes, reads and scans every key. With a
//!   single writer per key, the owner's program order fixes the order of the key's values, which
//!   makes much stronger checks possible without knowing the global order.
//!
//! ## Checks (no global order needed)
//!
//! * every value returned by a get, a remove, a range or the final scan was written for that key
//!   (and is not a value that was overwritten before the threads started);
//! * ranges are strictly increasing and stay within their bounds;
//! * a value is removed at most once;
//! * per key, `initially present + new inserts − successful removes` is the final presence (0 or
//!   1); the final `len()` equals the number of entries a scan yields, which equals the sum over
//!   threads of successful inserts minus successful removes (plus the initial entries);
//! * *owned* keys: for consecutive writes `a`, `b` of the owner, `b` was new exactly when some
//!   remove returned `a`; the owner's last write was removed exactly when the key is absent at
//!   the end, and is otherwise the final value; a get by the owner returns its latest write or
//!   nothing.
//!
//! Worker threads only record what they observe; all checks run after the join, and on failure
//! (and under an active seeded mutant) the map is leaked rather than dropped: a seeded bug may
//! have corrupted it (a value retired twice), and a double free in its destructor would abort
//! the process before the report and the schedule are printed. Shuttle has no memory checker,
//! so such corruption is not a finding here; loom and Miri look for it.
//!
//! On a failure shuttle's panic hook prints the schedule (`failing schedule: "…"`, to pass to
//! `shuttle::replay`) *before* the panic message. The panic message itself ends with the
//! schedule in readable form — runs of steps, each with the thread and the operation it was
//! in (the schedulers are wrapped to record every decision, and each worker records where its
//! operations begin) — and the exact command that replays the run: the schedulers are seeded
//! (`FERROLITE_SHUTTLE_SEED`, or derived from the run's `FERROLITE_SEED`), so the same seed
//! explores the same schedules up to the failing one. The
//! test harness shows both with the failed test's captured output. A run that exceeds shuttle's
//! step limit (1 000 000 steps: a thread spinning while the others are descheduled, which PCT
//! provokes) fails the same way, with "exceeded max_steps bound".
//!
//! ## Budget and statistics
//!
//! `FERROLITE_VERIFY_MODE` picks the schedules per workload and scheduler (quick 1 000, default
//! 10 000, full 100 000: 4 000 / 40 000 / 400 000 per structure). Each test prints
//! `VERIFY-STAT schedules <n>`.

use crate::{active_mutant, report, Mode};
use ferrolite_structures::ConcurrentMap;
use shuttle::rand::{thread_rng, RngCore};
use shuttle::scheduler::{PctScheduler, RandomScheduler, Schedule, Scheduler, Task, TaskId};
use shuttle::sync::Arc;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Instant;

/// The writer id of values stored before the threads start.
const SETUP: u8 = 0xFF;

/// A unique value naming its key, writer thread and operation index.
fn enc(key: u8, thread: u8, op: u16) -> u32 {
    (u32::from(key) << 24) | (u32::from(thread) << 16) | u32::from(op)
}

/// The key a value was written for.
fn key_of(v: u32) -> u8 {
    (v >> 24) as u8
}

/// A workload shape.
#[derive(Clone, Copy, Debug)]
struct Workload {
    name: &'static str,
    threads: u8,
    ops: u16,
    keys: u8,
    /// Each key is written by one thread only (`key % threads`).
    owned: bool,
}

const SHARED: Workload = Workload {
    name: "shared",
    threads: 4,
    ops: 10,
    keys: 4,
    owned: false,
};

const OWNED: Workload = Workload {
    name: "owned",
    threads: 3,
    ops: 15,
    keys: 6,
    owned: true,
};

/// What one operation did.
#[derive(Clone, Debug)]
enum Event {
    Insert { key: u8, value: u32, new: bool },
    Remove { key: u8, got: Option<u32> },
    Get { key: u8, got: Option<u32> },
    Range { lo: u8, hi: u8, got: Vec<(u8, u32)> },
}

/// The values in the map when the threads start: even keys are present; key 0 was written twice
/// (so its live value is boxed and its first value must never be observed).
fn initial(w: Workload) -> (Vec<(u8, u32)>, BTreeMap<u8, u32>) {
    let mut writes = Vec::new();
    let mut live = BTreeMap::new();
    for key in (0..w.keys).step_by(2) {
        writes.push((key, enc(key, SETUP, 0)));
        live.insert(key, enc(key, SETUP, 0));
    }
    writes.push((0, enc(0, SETUP, 1)));
    live.insert(0, enc(0, SETUP, 1));
    (writes, live)
}

/// What the schedulers ran in the current execution, and where each worker's operations
/// began: the material of the readable schedule a failure prints. Shuttle runs an execution's
/// tasks on the test's own OS thread, so a std thread-local is the execution's (parallel tests
/// each have their own).
#[derive(Default)]
struct Trace {
    /// The task run at each step (0 the main thread, 1.. the workers).
    steps: Vec<usize>,
    /// (step at which it began, task, the operation), in order.
    ops: Vec<(usize, usize, String)>,
    /// How to rerun the structure's cell with this seed (set by [`run_all`]).
    replay: String,
}

std::thread_local! {
    static TRACE: std::cell::RefCell<Trace> = std::cell::RefCell::new(Trace::default());
}

/// A scheduler that records every decision of the one it wraps into [`TRACE`].
struct Traced<S>(S);

impl<S: Scheduler> Scheduler for Traced<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        TRACE.with(|t| {
            let mut t = t.borrow_mut();
            t.steps.clear();
            t.ops.clear();
        });
        self.0.new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let next = self.0.next_task(runnable, current, is_yielding);
        if let Some(task) = next {
            TRACE.with(|t| t.borrow_mut().steps.push(usize::from(task)));
        }
        next
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// Worker `t` (shuttle task `t + 1`) begins `op`.
fn began(t: u8, op: String) {
    TRACE.with(|tr| {
        let mut tr = tr.borrow_mut();
        let at = tr.steps.len();
        tr.ops.push((at, usize::from(t) + 1, op));
    });
}

/// The current execution's schedule in words: runs of consecutive steps of one thread, each
/// with the operation that thread was in (the last `MAX` runs, where the failure is).
fn readable_schedule() -> String {
    const MAX: usize = 60;
    TRACE.with(|tr| {
        let tr = tr.borrow();
        let op_at = |task: usize, step: usize| -> String {
            if task == 0 {
                return "main: setup, spawning, joining, checks".into();
            }
            tr.ops
                .iter()
                .rev()
                .find(|(at, t, _)| *t == task && *at <= step)
                .map_or("thread start".into(), |(_, _, op)| op.clone())
        };
        let mut runs: Vec<(usize, usize, usize)> = Vec::new(); // (first step, last step, task)
        for (i, &task) in tr.steps.iter().enumerate() {
            match runs.last_mut() {
                Some(r) if r.2 == task && op_at(task, r.0) == op_at(task, i) => r.1 = i,
                _ => runs.push((i, i, task)),
            }
        }
        let mut out = format!(
            "schedule, {} steps (step: thread — the operation it was in; w<n> is worker n, \
             shuttle task n + 1):\n",
            tr.steps.len()
        );
        if runs.len() > MAX {
            let _ = writeln!(out, "  … {} earlier runs of steps", runs.len() - MAX);
        }
        for &(a, b, task) in runs.iter().skip(runs.len().saturating_sub(MAX)) {
            let steps = if a == b {
                format!("{a}")
            } else {
                format!("{a}-{b}")
            };
            let who = if task == 0 {
                "main".to_string()
            } else {
                format!("w{}", task - 1)
            };
            let _ = writeln!(out, "  {steps:>9}  {who:<4}  {}", op_at(task, a));
        }
        let _ = writeln!(out, "replay: {}", tr.replay);
        out
    })
}

/// One worker thread: `w.ops` random operations, recorded.
fn worker<M: ConcurrentMap<u8, u32>>(map: &M, w: Workload, t: u8) -> Vec<Event> {
    let mut rng = thread_rng();
    let mut log = Vec::with_capacity(usize::from(w.ops));
    for op in 0..w.ops {
        let r = rng.next_u64();
        let kind = r % 100;
        let mut key = ((r >> 8) % u64::from(w.keys)) as u8;
        let event = if kind < 35 {
            if w.owned {
                // One of the keys this thread owns: t, t + threads, ...
                let owned = (w.keys - t).div_ceil(w.threads);
                key = t + w.threads * ((r >> 16) % u64::from(owned)) as u8;
            }
            let value = enc(key, t, op);
            began(t, format!("insert({key}, {value:#x})"));
            let new = map.insert(key, value);
            Event::Insert { key, value, new }
        } else if kind < 65 {
            began(t, format!("remove({key})"));
            Event::Remove {
                key,
                got: map.remove(&key),
            }
        } else if kind < 85 {
            began(t, format!("get({key})"));
            Event::Get {
                key,
                got: map.get(&key),
            }
        } else {
            let hi = key + 1 + ((r >> 24) % u64::from(w.keys)) as u8;
            began(t, format!("range({key}..{hi})"));
            let got = map.range(key..hi).collect();
            Event::Range { lo: key, hi, got }
        };
        log.push(event);
    }
    began(t, "finished".into());
    log
}

/// Check one execution's logs and final state; `Err` describes the first violation.
fn check_execution<M: ConcurrentMap<u8, u32>>(
    map: &M,
    w: Workload,
    logs: &[Vec<Event>],
) -> Result<(), String> {
    let (setup_writes, initial_live) = initial(w);
    // Every value written, and the ones overwritten before the threads started.
    let mut written: HashSet<u32> = setup_writes.iter().map(|&(_, v)| v).collect();
    for log in logs {
        for e in log {
            if let Event::Insert { value, .. } = *e {
                written.insert(value);
            }
        }
    }
    let stale: HashSet<u32> = setup_writes
        .iter()
        .map(|&(_, v)| v)
        .filter(|v| !initial_live.values().any(|l| l == v))
        .collect();
    // `v` was written for `key` and was live at some point after the threads started.
    let valid = |key: u8, v: u32| -> Result<(), String> {
        if key_of(v) != key || !written.contains(&v) {
            return Err(format!(
                "value {v:#010x} observed under key {key} was never written for it"
            ));
        }
        if stale.contains(&v) {
            return Err(format!(
                "value {v:#010x} observed under key {key} was overwritten before the threads \
                 started"
            ));
        }
        Ok(())
    };

    let mut removed: HashMap<u32, (usize, usize)> = HashMap::new();
    let mut net: BTreeMap<u8, i64> = BTreeMap::new();
    for key in 0..w.keys {
        net.insert(key, i64::from(initial_live.contains_key(&key)));
    }
    let mut net_total: i64 = initial_live.len() as i64;
    for (t, log) in logs.iter().enumerate() {
        for (i, e) in log.iter().enumerate() {
            match e {
                Event::Insert { key, new, .. } => {
                    if *new {
                        *net.get_mut(key).expect("key in range") += 1;
                        net_total += 1;
                    }
                }
                Event::Remove { key, got } => {
                    if let Some(v) = *got {
                        valid(*key, v)?;
                        if let Some((t0, i0)) = removed.insert(v, (t, i)) {
                            return Err(format!(
                                "value {v:#010x} of key {key} removed twice: by thread {t0} op \
                                 {i0} and by thread {t} op {i}"
                            ));
                        }
                        *net.get_mut(key).expect("key in range") -= 1;
                        net_total -= 1;
                    }
                }
                Event::Get { key, got } => {
                    if let Some(v) = *got {
                        valid(*key, v)?;
                    }
                }
                Event::Range { lo, hi, got } => {
                    if !got.windows(2).all(|p| p[0].0 < p[1].0) {
                        return Err(format!(
                            "thread {t} op {i}: range [{lo}, {hi}) not increasing: {got:?}"
                        ));
                    }
                    for &(k, v) in got {
                        if k < *lo || k >= *hi {
                            return Err(format!(
                                "thread {t} op {i}: range [{lo}, {hi}) yielded key {k}"
                            ));
                        }
                        valid(k, v)?;
                    }
                }
            }
        }
    }

    // Final state, through every read path.
    let entries: Vec<(u8, u32)> = map.iter().collect();
    if !entries.windows(2).all(|p| p[0].0 < p[1].0) {
        return Err(format!("final scan not increasing: {entries:?}"));
    }
    let finals: BTreeMap<u8, u32> = entries.iter().copied().collect();
    for (&k, &v) in &finals {
        valid(k, v)?;
        if removed.contains_key(&v) {
            return Err(format!(
                "key {k}: final value {v:#010x} was also returned by a remove"
            ));
        }
    }
    for key in 0..w.keys {
        let present = i64::from(finals.contains_key(&key));
        if net[&key] != present {
            return Err(format!(
                "key {key}: initially present + new inserts - removes = {}, but the key is {}",
                net[&key],
                if present == 1 { "present" } else { "absent" }
            ));
        }
        if map.get(&key) != finals.get(&key).copied() {
            return Err(format!(
                "key {key}: get {:?} disagrees with the final scan {:?}",
                map.get(&key),
                finals.get(&key)
            ));
        }
    }
    if map.len() != entries.len() || entries.len() as i64 != net_total {
        return Err(format!(
            "final len() {} / scanned {} / inserts - removes {}",
            map.len(),
            entries.len(),
            net_total
        ));
    }

    if w.owned {
        check_owned(w, logs, &initial_live, &removed, &finals)?;
    }
    Ok(())
}

/// The single-writer checks of the *owned* workload.
fn check_owned(
    w: Workload,
    logs: &[Vec<Event>],
    initial_live: &BTreeMap<u8, u32>,
    removed: &HashMap<u32, (usize, usize)>,
    finals: &BTreeMap<u8, u32>,
) -> Result<(), String> {
    for key in 0..w.keys {
        let owner = usize::from(key % w.threads);
        // The key's values in order: the initial one, then the owner's writes in program order.
        let mut prev: Option<u32> = initial_live.get(&key).copied();
        for (i, e) in logs[owner].iter().enumerate() {
            match *e {
                Event::Insert { key: k, value, new } if k == key => {
                    let prev_removed = prev.is_none_or(|p| removed.contains_key(&p));
                    if new != prev_removed {
                        return Err(format!(
                            "key {key}: owner thread {owner} op {i} insert returned new={new}, \
                             but its previous value {prev:x?} was {}removed",
                            if prev_removed { "" } else { "not " }
                        ));
                    }
                    prev = Some(value);
                }
                Event::Get { key: k, got } if k == key && got.is_some() && got != prev => {
                    return Err(format!(
                        "key {key}: owner thread {owner} op {i} get returned {got:x?}, not its \
                         latest write {prev:x?}"
                    ));
                }
                _ => {}
            }
        }
        let last_removed = prev.is_none_or(|p| removed.contains_key(&p));
        match finals.get(&key) {
            Some(&v) if last_removed || Some(v) != prev => {
                return Err(format!(
                    "key {key}: final value {v:#010x}, but the last write {prev:x?} was {}",
                    if last_removed {
                        "removed"
                    } else {
                        "a different value"
                    }
                ));
            }
            None if !last_removed => {
                return Err(format!(
                    "key {key} is absent at the end, but its last write {prev:x?} was never \
                     removed"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// One execution of workload `w` on a fresh `M`.
fn execution<M: ConcurrentMap<u8, u32> + Default + 'static>(w: Workload) {
    let map = M::default();
    for (key, value) in initial(w).0 {
        map.insert(key, value);
    }
    let map = Arc::new(map);
    let handles: Vec<_> = (0..w.threads)
        .map(|t| {
            let map = map.clone();
            shuttle::thread::spawn(move || worker(&*map, w, t))
        })
        .collect();
    let logs: Vec<Vec<Event>> = handles
        .into_iter()
        .map(|h| h.join().expect("worker threads record, never panic"))
        .collect();
    let checked = check_execution(&*map, w, &logs);
    if checked.is_ok()
        && active_mutant().is_some()
        && ferrolite_structures::testing::MUTANTS_COMPILED_IN
    {
        // A seeded bug can corrupt the map without any observable result going wrong (a value
        // retired twice, say), and its destructor would then abort the whole process with no
        // schedule to replay. Leak it: mutants are caught by the checks above, or not at all.
        std::mem::forget(map);
        return;
    }
    if let Err(violation) = checked {
        let name = map.name();
        // A seeded bug may have corrupted the map (a value retired twice, say): leak it, so that
        // its destructor cannot abort the process before the report and the schedule are out.
        std::mem::forget(map);
        let mut history = String::new();
        for (t, log) in logs.iter().enumerate() {
            let _ = writeln!(history, "  thread {t}: {log:x?}");
        }
        panic!(
            "{name} workload {}: {violation}\n\
             history (values are key<<24 | thread<<16 | op):\n{history}{}",
            w.name,
            readable_schedule()
        );
    }
}

/// Schedules per workload and scheduler.
fn budget(mode: Mode) -> usize {
    mode.pick(1_000, 10_000, 100_000)
}

/// Both workloads under both schedulers on `M` (named `structure` in the output), with the
/// budget of `mode`; prints `VERIFY-STAT schedules` and returns the schedules run. A failure
/// panics after shuttle printed the failing schedule.
pub fn run_all<M: ConcurrentMap<u8, u32> + Default + 'static>(structure: &str, mode: Mode) -> u64 {
    let n = budget(mode);
    if let Some(m) = active_mutant() {
        eprintln!("shuttle {structure}: mutant {m} active");
    }
    let start = Instant::now();
    let mut schedules = 0u64;
    let run_seed = crate::rng::seed_from_var("FERROLITE_SHUTTLE_SEED");
    let mutant = active_mutant()
        .map(|m| format!("RUSTFLAGS=\"--cfg ferrolite_mutants\" FERROLITE_MUTANT={m} "))
        .unwrap_or_default();
    let replay = if structure.parse::<ferrolite_structures::MapKind>().is_ok() {
        format!(
            "{mutant}FERROLITE_VERIFY_MODE={mode} FERROLITE_SHUTTLE_SEED={run_seed:#x} cargo test \
             --release -p ferrolite-verification --features shuttle --test shuttle -- --exact \
             {structure}"
        )
    } else {
        // A map of the user's own (`own::Suite`): their command, with the seed.
        format!("rerun with FERROLITE_VERIFY_MODE={mode} FERROLITE_SHUTTLE_SEED={run_seed:#x}")
    };
    TRACE.with(|t| t.borrow_mut().replay = replay);
    for w in [SHARED, OWNED] {
        let t = Instant::now();
        // Seeded (`FERROLITE_SHUTTLE_SEED`, or from the run's `FERROLITE_SEED`): the same seed
        // explores the same schedules.
        let seed = run_seed ^ w.name.len() as u64;
        let random = Traced(RandomScheduler::new_from_seed(seed, n));
        shuttle::Runner::new(random, shuttle::Config::new()).run(move || execution::<M>(w));
        let pct = Traced(PctScheduler::new_from_seed(seed, 3, n));
        shuttle::Runner::new(pct, shuttle::Config::new()).run(move || execution::<M>(w));
        schedules += 2 * n as u64;
        eprintln!(
            "shuttle {structure}/{}: {} schedules (random + PCT depth 3) in {:.1?} (mode {mode})",
            w.name,
            2 * n,
            t.elapsed()
        );
    }
    eprintln!(
        "shuttle {structure}: {schedules} schedules in {:.1?} (seed {:#x}: \
         FERROLITE_SHUTTLE_SEED replays them)",
        start.elapsed(),
        run_seed
    );
    report("schedules", schedules);
    schedules
}
