//! The workloads: what each thread of a history calls, drawn before the threads start.
//!
//! A history's [`Shape`] — 2–4 threads, 3–8 keys, a number of calls per thread and a mix of
//! operations — is drawn from the history's seed, so one run covers write-heavy, read-heavy
//! and batch-and-scan-heavy histories alike. [`Shape::plans`] then draws each thread's calls
//! on the history's keys `key_base..key_base + keys`: puts, deletes, gets, atomic batches of
//! 2–3 writes on distinct keys, and forward scans of 1–4 consecutive keys. Every value written
//! is unique within the history: thread `t`'s `n`-th written value is
//! [`encode_value(t, n)`](crate::lincheck::encode_value), shown as `vt.n` in timelines.
//!
//! Keys are few so that the threads collide on them, which is where a stale or lost version
//! shows; each history gets keys of its own (the runner moves `key_base` on), so every history
//! starts with its keys absent, as the sequential specification assumes, while the database
//! around them holds every earlier history's leftovers in its memtables and tables.

use super::target::Write;
use crate::lincheck::{encode_value, ValueLabel};
use crate::rng::SplitMix as Rng;
use std::fmt;

/// One call of a thread's plan (its answer is not known yet).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    /// `put(key, value)`.
    Put(u64, u64),
    /// `delete(key)`.
    Delete(u64),
    /// `get(key)`.
    Get(u64),
    /// An atomic batch of writes on distinct keys.
    Batch(Vec<Write>),
    /// A forward scan of the keys `lo..=hi`.
    Scan(u64, u64),
}

impl fmt::Display for Write {
    /// `put(2,v0.1)`, `delete(2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Write::Put(key, value) => write!(f, "put({key},{})", ValueLabel(value)),
            Write::Delete(key) => write!(f, "delete({key})"),
        }
    }
}

impl fmt::Display for Call {
    /// `put(2,v0.1)`, `delete(2)`, `get(2)`, `batch[put(2,v0.1),delete(3)]`, `scan(2..=4)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Put(key, value) => Write::Put(*key, *value).fmt(f),
            Call::Delete(key) => Write::Delete(*key).fmt(f),
            Call::Get(key) => write!(f, "get({key})"),
            Call::Batch(writes) => {
                f.write_str("batch[")?;
                for (i, w) in writes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    w.fmt(f)?;
                }
                f.write_str("]")
            }
            Call::Scan(lo, hi) => write!(f, "scan({lo}..={hi})"),
        }
    }
}

/// A history's mix of operations, in percent (puts, deletes, gets, batches, scans).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    /// Its name, for reports.
    pub name: &'static str,
    /// Percentages of puts, deletes, gets, batches and scans (summing to 100).
    pub weights: [u64; 5],
}

/// The mixes a history draws from.
pub const MIXES: [Mix; 3] = [
    Mix {
        name: "write-heavy",
        weights: [35, 15, 20, 15, 15],
    },
    Mix {
        name: "read-heavy",
        weights: [20, 10, 40, 10, 20],
    },
    Mix {
        name: "batches-and-scans",
        weights: [15, 10, 15, 30, 30],
    },
];

/// The shape of one history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Threads.
    pub threads: usize,
    /// Calls per thread.
    pub calls_per_thread: usize,
    /// Keys: `key_base..key_base + keys`.
    pub keys: u64,
    /// The operation mix.
    pub mix: Mix,
}

impl Shape {
    /// Draws a shape with `seed`: 2 to `max_threads` threads, `min_keys` to `max_keys` keys,
    /// half of `calls_per_thread` to all of it per thread, one of [`MIXES`].
    pub fn draw(
        seed: u64,
        max_threads: usize,
        calls_per_thread: usize,
        (min_keys, max_keys): (u64, u64),
    ) -> Shape {
        let mut rng = Rng(seed);
        let threads = 2 + rng.below(max_threads.saturating_sub(1).max(1) as u64) as usize;
        let min_keys = min_keys.max(3);
        let keys = min_keys + rng.below(max_keys.max(min_keys) - min_keys + 1);
        let half = calls_per_thread.div_ceil(2).max(1);
        let calls = half + rng.below((calls_per_thread.max(half) + 1 - half) as u64) as usize;
        Shape {
            threads,
            calls_per_thread: calls,
            keys,
            mix: MIXES[rng.below(MIXES.len() as u64) as usize],
        }
    }

    /// Each thread's calls, drawn with `seed`, on keys `key_base..key_base + keys`.
    pub fn plans(&self, seed: u64, key_base: u64) -> Vec<Vec<Call>> {
        let mut rng = Rng(seed ^ 0x2545_f491_4f6c_dd1d);
        let keys = self.keys.max(3);
        (0..self.threads)
            .map(|t| {
                let mut written = 0;
                let mut value = || {
                    written += 1;
                    encode_value(t, written - 1)
                };
                (0..self.calls_per_thread)
                    .map(|_| {
                        let key = key_base + rng.below(keys);
                        match pick(&mut rng, &self.mix.weights) {
                            0 => Call::Put(key, value()),
                            1 => Call::Delete(key),
                            2 => Call::Get(key),
                            3 => {
                                let n = 2 + rng.below(2);
                                let mut chosen: Vec<u64> = Vec::new();
                                while (chosen.len() as u64) < n {
                                    let k = key_base + rng.below(keys);
                                    if !chosen.contains(&k) {
                                        chosen.push(k);
                                    }
                                }
                                Call::Batch(
                                    chosen
                                        .into_iter()
                                        .map(|k| {
                                            if rng.below(3) == 0 {
                                                Write::Delete(k)
                                            } else {
                                                Write::Put(k, value())
                                            }
                                        })
                                        .collect(),
                                )
                            }
                            _ => {
                                let last = key_base + keys - 1;
                                Call::Scan(key, (key + rng.below(4)).min(last))
                            }
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// An index drawn with the given weights (in percent).
fn pick(rng: &mut Rng, weights: &[u64]) -> usize {
    let mut roll = rng.below(weights.iter().sum::<u64>().max(1));
    for (i, &w) in weights.iter().enumerate() {
        if roll < w {
            return i;
        }
        roll -= w;
    }
    weights.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_plans_stay_in_bounds_with_unique_values() {
        for seed in 0..200 {
            let shape = Shape::draw(seed, 4, 24, (3, 8));
            assert!((2..=4).contains(&shape.threads), "{shape:?}");
            assert!((3..=8).contains(&shape.keys), "{shape:?}");
            assert!((12..=24).contains(&shape.calls_per_thread), "{shape:?}");
            let plans = shape.plans(seed, 100);
            assert_eq!(plans.len(), shape.threads);
            let mut values = Vec::new();
            for call in plans.iter().flatten() {
                let in_keys = |k: u64| (100..100 + shape.keys).contains(&k);
                match call {
                    Call::Put(k, v) => {
                        assert!(in_keys(*k));
                        values.push(*v);
                    }
                    Call::Delete(k) | Call::Get(k) => assert!(in_keys(*k)),
                    Call::Batch(writes) => {
                        assert!((2..=3).contains(&writes.len()), "{call}");
                        let mut ks: Vec<u64> = writes.iter().map(|w| w.key()).collect();
                        ks.sort_unstable();
                        ks.dedup();
                        assert_eq!(ks.len(), writes.len(), "distinct keys: {call}");
                        assert!(ks.iter().all(|&k| in_keys(k)));
                        values.extend(writes.iter().filter_map(|w| match w {
                            Write::Put(_, v) => Some(*v),
                            Write::Delete(_) => None,
                        }));
                    }
                    Call::Scan(lo, hi) => {
                        assert!(in_keys(*lo) && in_keys(*hi) && lo <= hi && hi - lo < 4)
                    }
                }
            }
            let n = values.len();
            values.sort_unstable();
            values.dedup();
            assert_eq!(values.len(), n, "values are unique");
        }
        let batch = Call::Batch(vec![Write::Put(2, encode_value(0, 1)), Write::Delete(3)]);
        assert_eq!(batch.to_string(), "batch[put(2,v0.1),delete(3)]");
        assert_eq!(Call::Scan(2, 4).to_string(), "scan(2..=4)");
    }
}
