//! Recording one history: the threads run their plans against a target, each call timed with
//! a shared clock; then the calls are decomposed into the per-key operations the lincheck
//! search understands.
//!
//! **Timing** is lincheck's (`crate::lincheck`'s runner): the threads are released together
//! by a `Barrier` and a short spin until all run, and every call is bracketed by two readings
//! of one `AtomicU64` taken with `fetch_add(SeqCst)`, so a response reading below another
//! call's invocation reading means the first call returned before the second began. A scan's
//! interval runs from before `Db::scan` to after its iterator is exhausted.
//!
//! **Decomposition** ([`Recording::history`]): a put is a blind `Op::Put`, a delete a blind
//! `Op::Delete`, a get an `Op::Get`; a batch is one `Put`/`Delete` per key it writes, and a
//! scan one `Get` per key of its range (a key it did not return: found `None`), all with the
//! call's interval. The per-key check then asks whether each key's writes and reads have a
//! linearization. That is a necessary condition only: a batch or a scan is *one* point in a
//! linearization of the whole store, while the per-key check may place its parts at different
//! points of its interval. A batch applied as separate writes, or a scan that mixes two
//! moments, passes it (see the module notes of `super`).
//!
//! **Failures** of a call (an engine error, bytes the checker never wrote) end the thread that
//! saw them; the others finish their short plans, and the first failure is returned with the
//! call. A watchdog ends the process (status 101) with every thread's pending call if no call
//! completes for the stall timeout: a deadlock or a write stall that never ends can be neither
//! joined nor reported otherwise.

use super::target::{LinTarget, TargetError, Write};
use super::workload::Call;
use crate::lincheck::{start_together, Event, History, Op};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// What a call returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A put, delete or batch returned.
    Written,
    /// A get's value.
    Got(Option<u64>),
    /// A scan's entries, ascending.
    Scanned(Vec<(u64, u64)>),
}

/// One completed call: who made it, what it returned, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    /// The thread (0-based within the history).
    pub thread: usize,
    /// The call.
    pub call: Call,
    /// Its answer.
    pub answer: Answer,
    /// The clock reading just before the call.
    pub invoke: u64,
    /// The clock reading just after it returned.
    pub response: u64,
}

/// A call that failed, with the thread that made it.
#[derive(Debug)]
pub struct CallError {
    /// The thread.
    pub thread: usize,
    /// The call.
    pub call: Call,
    /// What went wrong.
    pub error: TargetError,
}

/// Every call of a history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    /// The calls, thread by thread.
    pub calls: Vec<Done>,
}

impl Recording {
    /// The per-key history (see the module notes).
    pub fn history(&self) -> History {
        let mut h = History::new();
        for d in &self.calls {
            let mut push = |op| {
                h.push(d.thread, d.invoke, d.response, op);
            };
            match (&d.call, &d.answer) {
                (Call::Put(key, value), _) => push(Op::Put {
                    key: *key,
                    value: *value,
                }),
                (Call::Delete(key), _) => push(Op::Delete { key: *key }),
                (Call::Get(key), Answer::Got(found)) => push(Op::Get {
                    key: *key,
                    found: *found,
                }),
                (Call::Batch(writes), _) => writes.iter().for_each(|w| {
                    push(match *w {
                        Write::Put(key, value) => Op::Put { key, value },
                        Write::Delete(key) => Op::Delete { key },
                    })
                }),
                (Call::Scan(lo, hi), Answer::Scanned(entries)) => (*lo..=*hi).for_each(|key| {
                    let found = entries.iter().find(|e| e.0 == key).map(|e| e.1);
                    push(Op::Get { key, found })
                }),
                // A get or scan always has its own kind of answer (see `perform`).
                (Call::Get(_) | Call::Scan(..), _) => {}
            }
        }
        h
    }

    /// How many calls overlapped a call of another thread: how much real concurrency the
    /// recording got (lincheck's [`History::concurrent_ops`], over whole calls).
    pub fn concurrent_calls(&self) -> usize {
        let intervals = History {
            events: self
                .calls
                .iter()
                .map(|d| Event {
                    thread: d.thread,
                    // Only the intervals count.
                    op: Op::Delete { key: 0 },
                    invoke: d.invoke,
                    response: d.response,
                })
                .collect(),
        };
        intervals.concurrent_ops()
    }

    /// The call an event of [`Recording::history`] came from.
    pub fn origin(&self, event: &Event) -> Option<&Done> {
        self.calls
            .iter()
            .find(|d| d.thread == event.thread && d.invoke == event.invoke)
    }
}

/// Makes `call` on `target`.
pub fn perform(target: &dyn LinTarget, call: &Call) -> Result<Answer, TargetError> {
    Ok(match call {
        Call::Put(key, value) => target.put(*key, *value).map(|()| Answer::Written)?,
        Call::Delete(key) => target.delete(*key).map(|()| Answer::Written)?,
        Call::Get(key) => Answer::Got(target.get(*key)?),
        Call::Batch(writes) => target.write(writes).map(|()| Answer::Written)?,
        Call::Scan(lo, hi) => Answer::Scanned(target.scan(*lo, *hi)?),
    })
}

/// Runs `plans` (one list of calls per thread) concurrently against `target` and returns
/// every call with its answer and interval, or the first call that failed. With a
/// `stall_timeout`, a watchdog ends the process if no call completes for that long, printing
/// `context` and each thread's pending call.
pub fn record(
    target: &dyn LinTarget,
    plans: &[Vec<Call>],
    stall_timeout: Option<Duration>,
    context: &dyn Fn() -> String,
) -> Result<Recording, CallError> {
    let threads = plans.len();
    let clock = AtomicU64::new(0);
    let barrier = Barrier::new(threads);
    let running = AtomicUsize::new(0);
    // The call each thread is in (its index in the plan; `usize::MAX` when done).
    let current: Vec<AtomicUsize> = (0..threads).map(|_| AtomicUsize::new(0)).collect();
    let results: Vec<Result<Vec<Done>, CallError>> = std::thread::scope(|s| {
        let handles: Vec<_> = plans
            .iter()
            .enumerate()
            .map(|(thread, plan)| {
                let (clock, barrier, running) = (&clock, &barrier, &running);
                let current = &current[thread];
                s.spawn(move || {
                    let _done = Finished(current);
                    start_together(barrier, running, threads);
                    let mut done = Vec::with_capacity(plan.len());
                    for (i, call) in plan.iter().enumerate() {
                        current.store(i, Ordering::Relaxed);
                        let invoke = clock.fetch_add(1, Ordering::SeqCst);
                        let answer = perform(target, call);
                        let response = clock.fetch_add(1, Ordering::SeqCst);
                        let answer = answer.map_err(|error| CallError {
                            thread,
                            call: call.clone(),
                            error,
                        })?;
                        done.push(Done {
                            thread,
                            call: call.clone(),
                            answer,
                            invoke,
                            response,
                        });
                    }
                    Ok(done)
                })
            })
            .collect();
        if let Some(stall) = stall_timeout {
            watch(plans, stall, context, &clock, &current);
        }
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut calls = Vec::new();
    for r in results {
        calls.extend(r?);
    }
    Ok(Recording { calls })
}

/// Marks a recording thread done when dropped (at its end, on an error, or while unwinding).
struct Finished<'a>(&'a AtomicUsize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.store(usize::MAX, Ordering::SeqCst);
    }
}

/// Returns when every thread is done; ends the process if the clock stands still for `stall`.
fn watch(
    plans: &[Vec<Call>],
    stall: Duration,
    context: &dyn Fn() -> String,
    clock: &AtomicU64,
    current: &[AtomicUsize],
) {
    let all_done = || {
        current
            .iter()
            .all(|c| c.load(Ordering::SeqCst) == usize::MAX)
    };
    let (mut last, mut since) = (clock.load(Ordering::SeqCst), Instant::now());
    let mut nap = Duration::from_micros(50);
    while !all_done() {
        std::thread::sleep(nap);
        // Most histories take a millisecond or two: look often at first, then rarely.
        nap = (nap * 2).min(Duration::from_millis(100));
        let now = clock.load(Ordering::SeqCst);
        if now != last {
            (last, since) = (now, Instant::now());
            continue;
        }
        if since.elapsed() < stall || all_done() {
            continue;
        }
        let mut report = format!(
            "engine-lin: no call completed for {stall:?} (a deadlock, or a write stall that \
             never ends); {} calls completed; pending:\n",
            now / 2
        );
        for (t, plan) in plans.iter().enumerate() {
            let i = current[t].load(Ordering::SeqCst);
            match plan.get(i) {
                Some(call) => report += &format!("  t{t} {call} (call {i} of {})\n", plan.len()),
                None => report += &format!("  t{t} (finished)\n"),
            }
        }
        report += &context();
        println!("{report}");
        eprintln!("{report}");
        std::process::exit(101);
    }
}
