//! # Progress with a thread paused forever (shuttle)
//!
//! Lock-freedom is a progress guarantee: whatever one thread does — including stopping forever
//! in the middle of an operation (descheduled, preempted, killed) — the others still complete
//! theirs. Linearizability checkers cannot see it; this checker tests it directly.
//!
//! Under shuttle a custom scheduler ([`PauseScheduler`]) runs three threads on one map: a
//! *victim* and two others, each doing a few operations on shared keys. In each execution the
//! victim is **paused forever after its k-th step** (a step is what it runs between two
//! synchronisation points: an atomic access, a lock), for every k from 1 to a bound, each with
//! several random schedules of the rest. From then on the scheduler never runs the victim again,
//! and the other threads must finish:
//!
//! * **progress** — they finish: the map did not need the victim;
//! * **blocked by a paused thread** — no thread but the victim can run while the others have
//!   not finished: they wait for it (a lock it holds) — what a blocking map must do, and what
//!   the mutex skip list and `Mutex<BTreeMap>` do;
//! * **no progress while a thread is paused** — the others keep running (for more than
//!   [`Budget::spin_bound`] steps) without finishing: they spin waiting for the victim (a
//!   lock-free map that waits for another thread's help is not lock-free).
//!
//! A map whose registry entry says `lock_free: true` must make progress at every pause point;
//! a blocking map is expected to be blocked (the matrix shows that as its expected result — and
//! a blocking map never blocked would mean the checker cannot fail). An execution where the
//! victim finished before its k-th step paused nothing and is counted apart.
//!
//! The victim is the first thread spawned (shuttle task 1). `FERROLITE_PROGRESS_SEED` replays the
//! random schedules of a run.

use crate::Mode;
use ferrolite_structures::sync::thread;
use ferrolite_structures::sync::Arc as SArc;
use ferrolite_structures::ConcurrentMap;
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How hard the checker works.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Pause points: the victim is paused after each of its first `pause_points` steps.
    pub pause_points: usize,
    /// Random schedules of the other threads per pause point.
    pub repeats: usize,
    /// Steps the other threads may take after the pause without finishing, before they count
    /// as spinning on the victim.
    pub spin_bound: usize,
    /// The seed of the schedules.
    pub seed: u64,
}

impl Budget {
    /// The budget of `mode`: 60, 150 or 400 pause points, 4, 10 or 30 schedules each; the seed
    /// from `FERROLITE_PROGRESS_SEED` (or the run's `FERROLITE_SEED`).
    pub fn for_mode(mode: Mode) -> Budget {
        Budget {
            pause_points: mode.pick(60, 150, 400),
            repeats: mode.pick(4, 10, 30),
            spin_bound: 20_000,
            seed: crate::rng::seed_from_var("FERROLITE_PROGRESS_SEED"),
        }
    }
}

/// Why the other threads did not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stall {
    /// No thread but the victim could run.
    Blocked,
    /// The others ran this many steps without finishing.
    Spins(usize),
}

/// The first execution in which the others did not finish.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The map.
    pub map: String,
    /// After which of its steps the victim was paused.
    pub pause_step: usize,
    /// The operation the victim was in when paused.
    pub victim_op: String,
    /// Operations the others completed, of how many.
    pub others_done: usize,
    /// The others' operations in all.
    pub others_total: usize,
    /// What the others did instead of finishing.
    pub stall: Stall,
    /// The tasks the scheduler ran, in order (0 main, 1 the victim, 2.. the others).
    pub schedule: Vec<usize>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.stall {
            Stall::Blocked => write!(f, "blocked by a paused thread")?,
            Stall::Spins(n) => write!(
                f,
                "no progress while a thread is paused (the others ran {n} steps without finishing: a spin waiting for it)"
            )?,
        }
        writeln!(
            f,
            "\n  map `{}`: the victim (t1) paused forever after its step {}, inside {}; the others \
             (t2, t3) completed {} of their {} operations",
            self.map, self.pause_step, self.victim_op, self.others_done, self.others_total
        )?;
        let shown: Vec<String> = self
            .schedule
            .iter()
            .take(400)
            .map(|t| format!("t{t}"))
            .collect();
        writeln!(
            f,
            "  schedule (task per step{}): {}",
            if self.schedule.len() > 400 {
                ", first 400"
            } else {
                ""
            },
            shown.join(" ")
        )
    }
}

/// What a run found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Executions run.
    pub executions: u64,
    /// Executions in which the victim was paused before it finished.
    pub paused: u64,
    /// Executions in which the victim finished before its pause point (nothing paused).
    pub vacuous: u64,
    /// Executions in which the others finished with the victim paused.
    pub progressed: u64,
    /// The first execution in which they did not.
    pub failure: Option<Failure>,
    /// Executions in which they did not.
    pub stalled: u64,
    /// What the map claims (`ConcurrentMap::lock_free`), asked inside an execution: a map on
    /// the sync shim cannot be built, or dropped, outside one.
    pub claim: Option<bool>,
}

/// What a run means for the map, by what it claims ([`Report::claim`]).
#[derive(Debug)]
pub enum Verdict<'a> {
    /// The others always finished, and the map does not claim to block.
    Progressed,
    /// The others stalled, as a map claiming to block (or claiming nothing) may: the first
    /// such execution.
    Expected(&'a Failure),
    /// The others stalled though the map claims lock-freedom.
    Broken(&'a Failure),
    /// The map claims to block but was never blocked: the checker could not fail.
    NeverBlocked,
}

impl Report {
    /// The [`Verdict`] of this run.
    pub fn verdict(&self) -> Verdict<'_> {
        match (&self.failure, self.claim) {
            (Some(f), Some(true)) => Verdict::Broken(f),
            (Some(f), _) => Verdict::Expected(f),
            (None, Some(false)) => Verdict::NeverBlocked,
            (None, _) => Verdict::Progressed,
        }
    }
}

/// Per-execution facts the test body shares with the scheduler (std atomics and a std mutex:
/// shuttle does not schedule them). One per run, so runs on parallel test threads stay apart.
#[derive(Default)]
struct Probe {
    others_done: AtomicUsize,
    victim_op: Mutex<String>,
    /// `lock_free()` of the map.
    claim: Mutex<Option<bool>>,
}

impl Probe {
    fn set_op(&self, op: String) {
        *self.victim_op.lock().unwrap_or_else(|e| e.into_inner()) = op;
    }

    fn op(&self) -> String {
        self.victim_op
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

const OTHERS: usize = 2;
const VICTIM_OPS: [(u8, u8); 6] = [(0, 1), (1, 2), (0, 2), (2, 1), (1, 1), (0, 3)];
const OTHER_OPS: [(u8, u8); 5] = [(0, 2), (2, 2), (1, 1), (0, 1), (3, 0)];

fn op_name(op: u8, key: u8) -> String {
    match op {
        0 => format!("insert({key})"),
        1 => format!("remove({key})"),
        2 => format!("get({key})"),
        _ => "range(0..4)".to_string(),
    }
}

fn apply<M: ConcurrentMap<u8, u32>>(map: &M, op: u8, key: u8, value: u32) {
    match op {
        0 => {
            map.insert(key, value);
        }
        1 => {
            map.remove(&key);
        }
        2 => {
            map.get(&key);
        }
        _ => {
            map.range(0u8..4).count();
        }
    }
}

/// One execution's body: the victim and the others on a map holding keys 0..4.
fn body<M: ConcurrentMap<u8, u32> + Default + 'static>(probe: &Arc<Probe>) {
    probe.others_done.store(0, Ordering::SeqCst);
    probe.set_op("no operation yet".into());
    let map = SArc::new(M::default());
    *probe.claim.lock().unwrap_or_else(|e| e.into_inner()) = map.lock_free();
    for k in 0..4u8 {
        map.insert(k, u32::from(k));
    }
    let victim = {
        let (map, probe) = (map.clone(), probe.clone());
        thread::spawn(move || {
            for (i, &(op, key)) in VICTIM_OPS.iter().enumerate() {
                probe.set_op(op_name(op, key));
                apply(&*map, op, key, 100 + i as u32);
            }
            probe.set_op("nothing: it had finished".into());
        })
    };
    let others: Vec<_> = (0..OTHERS)
        .map(|t| {
            let (map, probe) = (map.clone(), probe.clone());
            thread::spawn(move || {
                for (i, &(op, key)) in OTHER_OPS.iter().enumerate() {
                    apply(
                        &*map,
                        op,
                        (key + t as u8) % 4,
                        1000 * (t as u32 + 1) + i as u32,
                    );
                    probe.others_done.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for o in others {
        o.join().expect("another thread");
    }
    victim.join().expect("the victim");
}

/// The scheduler that pauses the victim (see the module documentation).
pub struct PauseScheduler {
    map: String,
    probe: Arc<Probe>,
    budget: Budget,
    out: Arc<Mutex<Report>>,
    /// The next (pause point, repeat) to run.
    next: (usize, usize),
    /// This execution's pause point.
    k: usize,
    victim_steps: usize,
    paused: bool,
    after_pause: usize,
    decided: bool,
    rng: u64,
    schedule: Vec<usize>,
}

impl PauseScheduler {
    fn new(
        map: &str,
        probe: Arc<Probe>,
        budget: Budget,
        out: Arc<Mutex<Report>>,
    ) -> PauseScheduler {
        PauseScheduler {
            map: map.to_string(),
            probe,
            budget,
            out,
            next: (1, 0),
            k: 0,
            victim_steps: 0,
            paused: false,
            after_pause: 0,
            decided: true,
            rng: 0,
            schedule: Vec::new(),
        }
    }

    fn random(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Closes the previous execution's books.
    fn settle(&mut self) {
        if !self.decided {
            let mut r = self.out.lock().unwrap_or_else(|e| e.into_inner());
            if self.paused {
                // Ended normally with the victim paused: cannot happen (its join blocks).
                r.progressed += 1;
            } else {
                r.vacuous += 1;
            }
            self.decided = true;
        }
    }

    fn stall(&mut self, stall: Stall) {
        let mut r = self.out.lock().unwrap_or_else(|e| e.into_inner());
        r.stalled += 1;
        if r.failure.is_none() {
            r.failure = Some(Failure {
                map: self.map.clone(),
                pause_step: self.k,
                victim_op: self.probe.op(),
                others_done: self.probe.others_done.load(Ordering::SeqCst),
                others_total: OTHERS * OTHER_OPS.len(),
                stall,
                schedule: self.schedule.clone(),
            });
        }
        self.decided = true;
    }
}

impl Scheduler for PauseScheduler {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.settle();
        let (k, rep) = self.next;
        if k > self.budget.pause_points {
            return None;
        }
        self.next = if rep + 1 < self.budget.repeats {
            (k, rep + 1)
        } else {
            (k + 1, 0)
        };
        self.k = k;
        self.victim_steps = 0;
        self.paused = false;
        self.after_pause = 0;
        self.decided = false;
        self.rng = self.budget.seed ^ ((k as u64) << 32) ^ rep as u64;
        self.schedule.clear();
        self.out
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .executions += 1;
        Some(Schedule::new(self.rng))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        _current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        if self.decided {
            return None;
        }
        let victim = TaskId::from(1);
        let candidates: Vec<TaskId> = runnable
            .iter()
            .map(|t| t.id())
            .filter(|&t| !(self.paused && t == victim))
            .collect();
        if self.paused {
            let done = self.probe.others_done.load(Ordering::SeqCst) == OTHERS * OTHER_OPS.len();
            if candidates.is_empty() {
                if done {
                    self.out
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .progressed += 1;
                    self.decided = true;
                } else {
                    self.stall(Stall::Blocked);
                }
                return None;
            }
            self.after_pause += 1;
            if !done && self.after_pause > self.budget.spin_bound {
                self.stall(Stall::Spins(self.after_pause));
                return None;
            }
        }
        let pick = candidates[(self.random() % candidates.len() as u64) as usize];
        if pick == victim {
            self.victim_steps += 1;
            if self.victim_steps == self.k {
                self.paused = true;
                self.out.lock().unwrap_or_else(|e| e.into_inner()).paused += 1;
            }
        }
        self.schedule.push(usize::from(pick));
        Some(pick)
    }

    fn next_u64(&mut self) -> u64 {
        self.random()
    }
}

/// Runs the checker on `M` (named `name` in the report) with `budget`.
pub fn check<M: ConcurrentMap<u8, u32> + Default + 'static>(name: &str, budget: Budget) -> Report {
    let out = Arc::new(Mutex::new(Report::default()));
    let probe = Arc::new(Probe::default());
    let scheduler = PauseScheduler::new(name, probe.clone(), budget, out.clone());
    let mut config = shuttle::Config::new();
    // The checker's own bound decides spinning; shuttle's must not fire first.
    config.max_steps = shuttle::MaxSteps::None;
    // A stopped execution's teardown panics inside shuttle (its statics are dropped without an
    // execution); the failure, if any, is ours to report, with our own schedule.
    config.failure_persistence = shuttle::FailurePersistence::None;
    shuttle::Runner::new(scheduler, config).run({
        let probe = probe.clone();
        move || body::<M>(&probe)
    });
    let mut report = out.lock().unwrap_or_else(|e| e.into_inner()).clone();
    report.claim = *probe.claim.lock().unwrap_or_else(|e| e.into_inner());
    report
}
