//! Recording real concurrent histories on std threads, and the loop that checks many of them.
//!
//! **Workloads.** Each history runs 2–3 threads against a map, each thread performing a
//! random sequence of `insert` / `get` / `remove` / `contains` drawn *before* the threads start
//! (so the timed loop does nothing but call the map and read the clock). The key set is tiny —
//! one to a few keys, often just one — so that operations collide on the same node, which is
//! where lock-free bugs live (a lost CAS race, a blind store, a resurrected node). Every value
//! is unique ([`encode_value`]: thread, operation number). Each history draws its own shape
//! (threads, keys, length, update ratio) from its own seed, derived from the budget's seed and
//! the history's number, so a run covers read-mostly and update-only, one-key and few-key
//! histories alike. A map serves 32 consecutive histories ([`Budget::histories_per_map`]),
//! each on keys of its own, so every history starts with its keys absent while the map around
//! them holds the leftovers of the others, as a real map would.
//!
//! **Timing.** The threads are spawned in a `std::thread::scope` and released together: a
//! `Barrier`, then a short spin until all of them are running, because a barrier wakes its
//! waiters one by one and a thread would otherwise finish its few microseconds of work before
//! the others are scheduled. Around every call the thread reads the shared clock, an
//! `AtomicU64` taken with `fetch_add(SeqCst)`, once just before invoking and once just after the
//! response. `SeqCst` read-modify-writes form one total order consistent with each thread's
//! program order, so a response reading smaller than another operation's invocation reading
//! means the first call really returned before the second began. The recorded intervals
//! contain the real ones; they can only make the checker more permissive, never report a
//! violation that did not happen.
//!
//! **Failures.** A history that has no linearization becomes a [`Violation`] (shrunk, with the
//! map name, history number and seed in its context). The map it ran on is then leaked rather
//! than dropped: a structure that just returned impossible results may have corrupted its own
//! memory (the seeded blind-store mutants retire one value twice), and its destructor must not
//! turn a readable report into an abort.
//!
//! **Under a seeded mutant** (`FERROLITE_MUTANT` set, see [`Budget::for_mode`]) a mutant's race
//! can corrupt memory — retire one node or value twice — in a history whose results still
//! happen to have a linearization. Reclamation would then free it twice later (epoch bags
//! carried over to the next history of the same map, or the map's destructor) and abort the
//! process before any timeline is printed. So mutant runs give every history a fresh map and
//! leak it afterwards ([`Budget::leak_maps`]): a 128-operation history on a fresh map retires
//! too little to fill an epoch bag, so nothing is freed while the checker still has to see the
//! results. Mutant runs check 20 000 histories in every mode: they stop at the first
//! violation, usually within a few hundred histories, but on a loaded machine the threads of a
//! history often share one core and run one after the other (the `concurrent_ops` stat shows
//! it), and then a race takes thousands of histories to show; more would cost memory, since
//! leaked maps take about 30–60 KB each.
//!
//! Thread schedules are not reproducible, so neither are the histories; the seed reproduces
//! the workload (operations and shapes), which is what a re-run with
//! `FERROLITE_LINCHECK_SEED` pins down.

use super::history::{encode_value, Event, History, Op, ValueLabel};
use super::violation::{check_history, Violation};
use crate::rng::{mix as splitmix, SplitMix as Rng};
use crate::Mode;
use ferrolite_structures::{ConcurrentMap, MapKind, MapVisitor};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// A map operation to perform (its result is not known yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    /// `insert(key, value)`.
    Insert(u64, u64),
    /// `get(key)`.
    Get(u64),
    /// `remove(key)`.
    Remove(u64),
    /// `contains(key)`.
    Contains(u64),
    /// `first_in(key..=key)`.
    FirstIn(u64),
}

impl std::fmt::Display for Call {
    /// `insert(2,v0.1)`, `get(2)`, `remove(2)`, `contains(2)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Call::Insert(key, value) => write!(f, "insert({key},{})", ValueLabel(value)),
            Call::Get(key) => write!(f, "get({key})"),
            Call::Remove(key) => write!(f, "remove({key})"),
            Call::Contains(key) => write!(f, "contains({key})"),
            Call::FirstIn(key) => write!(f, "first_in({key})"),
        }
    }
}

impl Call {
    /// Performs the call on `map` and returns it with its result.
    pub fn perform(self, map: &impl ConcurrentMap<u64, u64>) -> Op {
        match self {
            Call::Insert(key, value) => Op::Insert {
                key,
                value,
                new: map.insert(key, value),
            },
            Call::Get(key) => Op::Get {
                key,
                found: map.get(&key),
            },
            Call::Remove(key) => Op::Remove {
                key,
                removed: map.remove(&key),
            },
            Call::Contains(key) => Op::Contains {
                key,
                present: map.contains(&key),
            },
            Call::FirstIn(key) => Op::FirstIn {
                key,
                found: map.first_in(key..=key).map(|(_, v)| v),
            },
        }
    }
}

/// How much checking one run does, and the ranges each history's shape is drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Histories to record and check.
    pub histories: u64,
    /// Threads per history: each history uses 2 to `max_threads` (at least 2).
    pub max_threads: usize,
    /// Operations per thread: each history uses between half of this and this.
    pub ops_per_thread: usize,
    /// Keys per history: each history uses 1 to `keys` (one key in at least half of them).
    pub keys: u64,
    /// The run's seed; history `h` uses a seed derived from it and `h`.
    pub seed: u64,
    /// Histories run on one map before it is replaced by a fresh one. Each history of a map
    /// uses its own keys (see [`Workload::plans`]), so every history still starts with its keys
    /// absent, while the map fills up with other histories' leftovers as a real one would.
    pub histories_per_map: u64,
    /// How long a history may go without any operation completing before the run is declared
    /// stuck (a livelock or deadlock in the map): the pending operations are printed and the
    /// process exits with status 101, since stuck threads can be neither joined nor killed.
    /// `None`: wait forever.
    pub stall_timeout: Option<Duration>,
    /// Leak every map instead of dropping it (see the module notes): set when a seeded mutant
    /// is active, whose memory errors would otherwise abort the process in reclamation or in a
    /// destructor before a violation is reported.
    pub leak_maps: bool,
}

impl Budget {
    /// The budget of a verifier mode: about 3 s per structure in `quick`, about 30 s in
    /// `default`, a few minutes in `full` (on 2 cores).
    ///
    /// Unoptimised builds (`debug_assertions`) run a tenth of the histories: the verifier
    /// builds with `--release`, and a plain `cargo test` should not take a quarter of an hour.
    ///
    /// Histories are long rather than many (64–128 operations per thread, 192 in `full`): a
    /// thread start costs tens of microseconds and a short history can finish before the other
    /// threads get going, while a long one keeps 2–3 threads colliding on one to three keys
    /// for its whole length. The seeded blind-store mutants are caught after tens to a few
    /// hundred such histories, against thousands with 12–24 operations per thread.
    ///
    /// When a mutant is active (`FERROLITE_MUTANT`), every history gets a fresh map that is
    /// leaked afterwards, histories keep 128 operations per thread, and 20 000 histories run
    /// in every mode (see the module notes).
    ///
    /// The seed is `FERROLITE_LINCHECK_SEED` (decimal or `0x` hex) if set, otherwise taken from
    /// the clock.
    pub fn for_mode(mode: Mode) -> Budget {
        let budget = Budget {
            histories: mode.pick(4_000, 40_000, 300_000) / DEBUG_DIVISOR,
            max_threads: 3,
            ops_per_thread: mode.pick(128, 128, 192),
            keys: 3,
            seed: seed_from_env(),
            histories_per_map: 32,
            stall_timeout: Some(Duration::from_secs(20)),
            leak_maps: false,
        };
        if crate::active_mutant().is_some() {
            Budget {
                histories: 20_000 / DEBUG_DIVISOR,
                ops_per_thread: 128,
                histories_per_map: 1,
                leak_maps: true,
                ..budget
            }
        } else {
            budget
        }
    }
}

/// Histories are divided by this in unoptimised builds (see [`Budget::for_mode`]).
const DEBUG_DIVISOR: u64 = if cfg!(debug_assertions) { 10 } else { 1 };

/// `FERROLITE_LINCHECK_SEED` if set (decimal or `0x` hex), otherwise the clock.
pub fn seed_from_env() -> u64 {
    crate::rng::seed_from_var("FERROLITE_LINCHECK_SEED")
}

/// The shape of one history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    /// Threads.
    pub threads: usize,
    /// Operations per thread.
    pub ops_per_thread: usize,
    /// Keys: `key_base..key_base + keys` (see [`Workload::plans`]).
    pub keys: u64,
    /// Percentage of updates (insert or remove, half each); the rest are gets and contains
    /// (three to one).
    pub update_percent: u64,
}

impl Workload {
    /// Draws a history's shape from `budget` with `seed`.
    pub fn draw(budget: &Budget, seed: u64) -> Workload {
        let mut rng = Rng(seed);
        let threads = 2 + rng.below(budget.max_threads.saturating_sub(1) as u64) as usize;
        let keys = if rng.below(2) == 0 {
            1
        } else {
            1 + rng.below(budget.keys.max(1))
        };
        let half = budget.ops_per_thread.div_ceil(2).max(1);
        let ops_per_thread = half + rng.below((budget.ops_per_thread + 1 - half) as u64) as usize;
        let update_percent = [50, 80, 95][rng.below(3) as usize];
        Workload {
            threads,
            ops_per_thread,
            keys,
            update_percent,
        }
    }

    /// Each thread's calls, drawn with `seed`, on keys `key_base..key_base + keys`. Inserted
    /// values are unique.
    pub fn plans(&self, seed: u64, key_base: u64) -> Vec<Vec<Call>> {
        let mut rng = Rng(seed ^ 0x5851_f42d_4c95_7f2d);
        (0..self.threads)
            .map(|t| {
                (0..self.ops_per_thread)
                    .map(|i| {
                        let key = key_base + rng.below(self.keys);
                        if rng.below(100) < self.update_percent {
                            if rng.below(2) == 0 {
                                Call::Insert(key, encode_value(t, i))
                            } else {
                                Call::Remove(key)
                            }
                        } else {
                            // Reads: get, the range seek (`first_in`, as LSM point reads do:
                            // its own code path), contains.
                            match rng.below(8) {
                                0 | 1 => Call::Contains(key),
                                2..=4 => Call::FirstIn(key),
                                _ => Call::Get(key),
                            }
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// Release `threads` recording threads as one: each calls this; none returns before all have
/// passed the barrier. A barrier wakes its waiters one at a time, so each then spins (briefly,
/// then yielding) until every thread is running, which makes their first calls overlap.
pub fn start_together(barrier: &Barrier, running: &AtomicUsize, threads: usize) {
    barrier.wait();
    running.fetch_add(1, Ordering::SeqCst);
    let mut spins = 0u32;
    while running.load(Ordering::SeqCst) < threads {
        if spins < 2_000 {
            std::hint::spin_loop();
            spins += 1;
        } else {
            std::thread::yield_now();
        }
    }
}

/// Runs `plans` (one list of calls per thread) concurrently against `map`, each thread on its
/// own std thread, and returns the history with every operation's interval and result.
pub fn record(map: &impl ConcurrentMap<u64, u64>, plans: &[Vec<Call>]) -> History {
    record_watched(map, plans, None, "")
}

/// [`record`] with a watchdog: if no operation completes for `stall_timeout`, it prints what
/// each thread is stuck in (with `context`, e.g. the history's seed) and ends the process with
/// status 101 (see [`Budget::stall_timeout`]).
pub fn record_watched(
    map: &impl ConcurrentMap<u64, u64>,
    plans: &[Vec<Call>],
    stall_timeout: Option<Duration>,
    context: &str,
) -> History {
    let threads = plans.len();
    let clock = AtomicU64::new(0);
    let barrier = Barrier::new(threads);
    let running = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    // The operation each thread is in (its index in the plan); the watchdog's report.
    let current: Vec<AtomicUsize> = (0..threads).map(|_| AtomicUsize::new(0)).collect();
    let per_thread: Vec<Vec<Event>> = std::thread::scope(|s| {
        let watchdog = stall_timeout.map(|stall| {
            let (clock, finished, current) = (&clock, &finished, &current);
            s.spawn(move || watch(map.name(), plans, stall, context, clock, finished, current))
        });
        let watcher = watchdog.as_ref().map(|w| w.thread().clone());
        let handles: Vec<_> = plans
            .iter()
            .enumerate()
            .map(|(thread, plan)| {
                let (clock, barrier, running) = (&clock, &barrier, &running);
                let (finished, current, watcher) = (&finished, &current[thread], watcher.clone());
                s.spawn(move || {
                    // Counts this thread as finished however it ends (a map may panic).
                    let _done = Finished {
                        finished,
                        threads,
                        current,
                        watcher,
                    };
                    let mut events = Vec::with_capacity(plan.len());
                    start_together(barrier, running, threads);
                    for (i, &call) in plan.iter().enumerate() {
                        current.store(i, Ordering::Relaxed);
                        let invoke = clock.fetch_add(1, Ordering::SeqCst);
                        let op = call.perform(map);
                        let response = clock.fetch_add(1, Ordering::SeqCst);
                        events.push(Event {
                            thread,
                            op,
                            invoke,
                            response,
                        });
                    }
                    events
                })
            })
            .collect();
        let events = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        if let Some(w) = watchdog {
            w.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        }
        events
    });
    History {
        events: per_thread.into_iter().flatten().collect(),
    }
}

/// Marks a recording thread finished when dropped (at its end, or while it unwinds), and
/// wakes the watchdog when it is the last.
struct Finished<'a> {
    finished: &'a AtomicUsize,
    threads: usize,
    current: &'a AtomicUsize,
    watcher: Option<std::thread::Thread>,
}

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.current.store(usize::MAX, Ordering::Relaxed);
        if self.finished.fetch_add(1, Ordering::SeqCst) + 1 == self.threads {
            if let Some(w) = &self.watcher {
                w.unpark();
            }
        }
    }
}

/// The watchdog of one history: returns when every thread finished; ends the process if the
/// clock does not move for `stall`.
fn watch(
    name: &str,
    plans: &[Vec<Call>],
    stall: Duration,
    context: &str,
    clock: &AtomicU64,
    finished: &AtomicUsize,
    current: &[AtomicUsize],
) {
    let threads = plans.len();
    let mut last = clock.load(Ordering::SeqCst);
    let mut since = Instant::now();
    while finished.load(Ordering::SeqCst) < threads {
        // Unparked by the last thread to finish; otherwise look at the clock now and then.
        std::thread::park_timeout(Duration::from_millis(250).min(stall));
        let now = clock.load(Ordering::SeqCst);
        if now != last {
            (last, since) = (now, Instant::now());
            continue;
        }
        if since.elapsed() < stall || finished.load(Ordering::SeqCst) == threads {
            continue;
        }
        let mut report = format!(
            "lincheck: map `{name}` made no progress for {stall:?} (livelock or deadlock); {} \
             operations completed, stuck in:\n",
            now / 2
        );
        for (t, plan) in plans.iter().enumerate() {
            let i = current[t].load(Ordering::Relaxed);
            match plan.get(i) {
                Some(call) => {
                    report += &format!("  t{t} {call} (operation {i} of {})\n", plan.len())
                }
                None => report += &format!("  t{t} (finished)\n"),
            }
        }
        if !context.is_empty() {
            report += context;
            report.push('\n');
        }
        println!("{report}");
        eprintln!("{report}");
        std::process::exit(101);
    }
}

/// What a run checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Histories recorded and checked.
    pub histories: u64,
    /// Operations checked, over all histories.
    pub operations: u64,
    /// Search configurations explored, over all histories and keys.
    pub states: u64,
    /// Operations that overlapped an operation of another thread ([`History::concurrent_ops`]).
    pub concurrent_ops: u64,
    /// The most operations on one key in one history.
    pub max_key_ops: usize,
    /// Wall-clock time of the run (recording and checking).
    pub elapsed: Duration,
}

/// The outcome of a run, violating or not (see [`survey_with`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Survey {
    /// What was checked (every history, violating or not).
    pub stats: Stats,
    /// Histories that had no linearization.
    pub violating_histories: u64,
    /// The first violation, shrunk.
    pub first: Option<Violation>,
}

/// Records and checks `budget.histories` histories on maps of `kind` (a new one every
/// [`Budget::histories_per_map`] histories); returns the stats, or the first violation.
pub fn check_map(kind: MapKind, budget: &Budget) -> Result<Stats, Violation> {
    let survey = survey_map(kind, budget, true);
    match survey.first {
        Some(v) => Err(v),
        None => Ok(survey.stats),
    }
}

/// [`check_map`] for any map: `build` makes a new empty map.
pub fn check_with<M: ConcurrentMap<u64, u64>>(
    build: impl Fn() -> M,
    budget: &Budget,
) -> Result<Stats, Violation> {
    let survey = survey_with(build, budget, true);
    match survey.first {
        Some(v) => Err(v),
        None => Ok(survey.stats),
    }
}

/// Like [`check_map`], with the stats of what ran either way. With `stop_at_first` false it
/// checks every history and counts the violating ones: for maps that are not linearizable by
/// design ([`ConcurrentMap::linearizable`] false), to see how often it shows.
pub fn survey_map(kind: MapKind, budget: &Budget, stop_at_first: bool) -> Survey {
    kind.visit(SurveyOf {
        budget,
        stop_at_first,
    })
}

/// [`survey_with`] on fresh maps of the visited type ([`survey_map`]'s visitor).
struct SurveyOf<'a> {
    budget: &'a Budget,
    stop_at_first: bool,
}

impl MapVisitor<u64, u64> for SurveyOf<'_> {
    type Output = Survey;
    fn visit<M: ConcurrentMap<u64, u64> + Default + 'static>(self) -> Survey {
        survey_with(M::default, self.budget, self.stop_at_first)
    }
}

/// [`survey_map`] for any map: `build` makes a new empty map.
pub fn survey_with<M: ConcurrentMap<u64, u64>>(
    build: impl Fn() -> M,
    budget: &Budget,
    stop_at_first: bool,
) -> Survey {
    let start = Instant::now();
    let mut survey = Survey {
        stats: Stats::default(),
        violating_histories: 0,
        first: None,
    };
    let per_map = budget.histories_per_map.max(1);
    let mut map: Option<M> = None;
    for h in 0..budget.histories {
        let seed = splitmix(budget.seed ^ splitmix(h));
        let workload = Workload::draw(budget, seed);
        if h % per_map == 0 {
            retire_map(map.take(), budget.leak_maps);
        }
        let current = map.get_or_insert_with(&build);
        // Disjoint keys per history of one map, spaced so that neighbours interleave.
        let key_base = (h % per_map) * budget.keys.max(1);
        let context = || {
            format!(
                "map `{}`, history {h} of {} (seed {:#x}: {} threads x {} ops, {} keys from {}, \
                 {}% updates; FERROLITE_LINCHECK_SEED={:#x} replays the workloads)",
                current.name(),
                budget.histories,
                seed,
                workload.threads,
                workload.ops_per_thread,
                workload.keys,
                key_base,
                workload.update_percent,
                budget.seed,
            )
        };
        let plans = workload.plans(seed, key_base);
        let history = match budget.stall_timeout {
            Some(stall) => record_watched(current, &plans, Some(stall), &context()),
            None => record(current, &plans),
        };
        let stats = &mut survey.stats;
        stats.histories += 1;
        stats.operations += history.len() as u64;
        stats.concurrent_ops += history.concurrent_ops() as u64;
        match check_history(&history) {
            Ok(check) => {
                stats.states += check.states;
                stats.max_key_ops = stats.max_key_ops.max(check.max_key_ops);
            }
            Err(mut violation) => {
                stats.states += violation.states;
                stats.max_key_ops = stats.max_key_ops.max(violation.key_ops);
                violation.context = context();
                // The map just misbehaved: its destructor may double-free (module notes).
                std::mem::forget(map.take());
                survey.violating_histories += 1;
                if survey.first.is_none() {
                    survey.first = Some(violation);
                }
                if stop_at_first {
                    break;
                }
            }
        }
    }
    retire_map(map, budget.leak_maps);
    survey.stats.elapsed = start.elapsed();
    survey
}

/// Drops a map that is done with, or leaks it ([`Budget::leak_maps`]).
fn retire_map<M>(map: Option<M>, leak: bool) {
    if leak {
        std::mem::forget(map);
    } else {
        drop(map);
    }
}
