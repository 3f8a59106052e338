//! Recording real concurrent histories on std threads, and the loop that checks many of them.
//!
//! **Workloads.** Each history runs 2–3 threads against a fresh map, each thread performing a
//! random sequence of `insert` / `get` / `remove` / `contains` drawn *before* the threads start
//! (so the timed loop does nothing but call the map and read the clock). The key set is tiny —
//! one to a few keys, often just one — so that operations collide on the same node, which is
//! where lock-free bugs live (a lost CAS race, a blind store, a resurrected node). Every value
//! is unique ([`encode_value`]: thread, operation number). Each history draws its own shape
//! (threads, keys, length, update ratio) from its own seed, derived from the budget's seed and
//! the history's number, so a run covers read-mostly and update-only, one-key and few-key
//! histories alike.
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
//! turn a readable report into an abort. When a mutant is active ([`Budget::leak_maps`], set
//! from `FERROLITE_MUTANT`) every map is leaked, even after a history that passed: a mutant's
//! race can corrupt memory (retire one value twice) while the results it returned still
//! happen to have a linearization, and the double free at teardown would abort the process
//! before a later history shows the violation. Leaks are bounded by the budget (mutant runs
//! stop at the first violation, usually within a few hundred histories), and a leaked map's
//! unreclaimed memory is mostly untouched arena pages.
//!
//! Thread schedules are not reproducible, so neither are the histories; the seed reproduces
//! the workload (operations and shapes), which is what a re-run with
//! `FERROLITE_LINCHECK_SEED` pins down.

use super::history::{encode_value, Event, History, Op};
use super::violation::{check_history, Violation};
use crate::Mode;
use ferrolite_structures::{ConcurrentMap, MapKind};
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
}

impl Call {
    /// Performs the call on `map` and returns it with its result.
    pub fn perform(self, map: &dyn ConcurrentMap<u64, u64>) -> Op {
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
    /// Leak every map instead of dropping it (see the module notes): set when a seeded mutant
    /// is active, whose memory errors would otherwise abort the process in a destructor
    /// before a violation is reported.
    pub leak_maps: bool,
}

impl Budget {
    /// The budget of a verifier mode: about 3 s per structure in `quick`, about 30 s in
    /// `default`, a few minutes in `full` (on 2 cores). The seed is `FERROLITE_LINCHECK_SEED`
    /// (decimal or `0x` hex) if set, otherwise taken from the clock.
    pub fn for_mode(mode: Mode) -> Budget {
        Budget {
            histories: std::env::var("LC_H").ok().and_then(|s| s.parse().ok()).unwrap_or(mode.pick(8_000, 80_000, 500_000)),
            max_threads: std::env::var("LC_THREADS").ok().and_then(|s| s.parse().ok()).unwrap_or(3),
            ops_per_thread: std::env::var("LC_OPS").ok().and_then(|s| s.parse().ok()).unwrap_or(mode.pick(24, 32, 40)),
            keys: 3,
            seed: seed_from_env(),
            leak_maps: crate::active_mutant().is_some(),
        }
    }
}

/// `FERROLITE_LINCHECK_SEED` if set (decimal or `0x` hex), otherwise the clock.
pub fn seed_from_env() -> u64 {
    if let Ok(s) = std::env::var("FERROLITE_LINCHECK_SEED") {
        let s = s.trim();
        let parsed = match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => s.parse(),
        };
        return parsed.unwrap_or_else(|_| panic!("FERROLITE_LINCHECK_SEED={s}: not a number"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    splitmix(now.as_nanos() as u64 ^ u64::from(std::process::id()))
}

/// The shape of one history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    /// Threads.
    pub threads: usize,
    /// Operations per thread.
    pub ops_per_thread: usize,
    /// Keys `0..keys`.
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
        let single: u64 = std::env::var("LC_SINGLE").ok().and_then(|s| s.parse().ok()).unwrap_or(50);
        let keys = if rng.below(100) < single {
            1
        } else {
            1 + rng.below(budget.keys.max(1))
        };
        let half = budget.ops_per_thread.div_ceil(2).max(1);
        let ops_per_thread = half + rng.below((budget.ops_per_thread + 1 - half) as u64) as usize;
        let up: u64 = std::env::var("LC_UP").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
        let update_percent = if up > 0 { up } else { [50, 80, 95][rng.below(3) as usize] };
        Workload {
            threads,
            ops_per_thread,
            keys,
            update_percent,
        }
    }

    /// Each thread's calls, drawn with `seed`. Inserted values are unique.
    pub fn plans(&self, seed: u64) -> Vec<Vec<Call>> {
        let mut rng = Rng(seed ^ 0x5851_f42d_4c95_7f2d);
        (0..self.threads)
            .map(|t| {
                (0..self.ops_per_thread)
                    .map(|i| {
                        let key = rng.below(self.keys);
                        if rng.below(100) < self.update_percent {
                            if rng.below(2) == 0 {
                                Call::Insert(key, encode_value(t, i))
                            } else {
                                Call::Remove(key)
                            }
                        } else if rng.below(4) == 0 {
                            Call::Contains(key)
                        } else {
                            Call::Get(key)
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// Runs `plans` (one list of calls per thread) concurrently against `map`, each thread on its
/// own std thread, and returns the history with every operation's interval and result.
pub fn record(map: &dyn ConcurrentMap<u64, u64>, plans: &[Vec<Call>]) -> History {
    let threads = plans.len();
    let clock = AtomicU64::new(0);
    let barrier = Barrier::new(threads);
    let running = AtomicUsize::new(0);
    let per_thread: Vec<Vec<Event>> = std::thread::scope(|s| {
        let handles: Vec<_> = plans
            .iter()
            .enumerate()
            .map(|(thread, plan)| {
                let (clock, barrier, running) = (&clock, &barrier, &running);
                s.spawn(move || {
                    let mut events = Vec::with_capacity(plan.len());
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
                    for &call in plan {
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
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    History {
        events: per_thread.into_iter().flatten().collect(),
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

/// Records and checks `budget.histories` histories on fresh maps of `kind`; returns the stats,
/// or the first violation.
pub fn check_map(kind: MapKind, budget: &Budget) -> Result<Stats, Violation> {
    check_with(&|| kind.build(), budget)
}

/// [`check_map`] for any map: `build` makes a fresh empty map per history.
pub fn check_with(
    build: &dyn Fn() -> Box<dyn ConcurrentMap<u64, u64>>,
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
    survey_with(&|| kind.build(), budget, stop_at_first)
}

/// [`survey_map`] for any map: `build` makes a fresh empty map per history.
pub fn survey_with(
    build: &dyn Fn() -> Box<dyn ConcurrentMap<u64, u64>>,
    budget: &Budget,
    stop_at_first: bool,
) -> Survey {
    let start = Instant::now();
    let mut survey = Survey {
        stats: Stats::default(),
        violating_histories: 0,
        first: None,
    };
    for h in 0..budget.histories {
        let seed = splitmix(budget.seed ^ splitmix(h));
        let workload = Workload::draw(budget, seed);
        let map = build();
        let history = record(&*map, &workload.plans(seed));
        let stats = &mut survey.stats;
        stats.histories += 1;
        stats.operations += history.len() as u64;
        match check_history(&history) {
            Ok(check) => {
                stats.states += check.states;
                stats.max_key_ops = stats.max_key_ops.max(check.max_key_ops);
                if budget.leak_maps {
                    std::mem::forget(map);
                } else {
                    drop(map);
                }
            }
            Err(mut violation) => {
                stats.max_key_ops = stats.max_key_ops.max(violation.key_ops);
                violation.context = format!(
                    "map `{}`, history {h} of {} (seed {:#x}: {} threads x {} ops, {} keys, {}% \
                     updates; FERROLITE_LINCHECK_SEED={:#x} replays the workloads)",
                    map.name(),
                    budget.histories,
                    seed,
                    workload.threads,
                    workload.ops_per_thread,
                    workload.keys,
                    workload.update_percent,
                    budget.seed,
                );
                // The map just misbehaved: its destructor may double-free (module notes).
                std::mem::forget(map);
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
    survey.stats.elapsed = start.elapsed();
    survey
}

/// SplitMix64's output function: a good 64-bit mixer for deriving seeds.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small SplitMix64 generator for workloads (no dependency, reproducible from a seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        splitmix(self.0)
    }

    /// Uniform in `0..n` (`n` > 0; the modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
