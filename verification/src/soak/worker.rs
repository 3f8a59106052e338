//! One soak thread: its state (the model of its own keys, versions seen of others' keys, held
//! snapshots, counts), the loop that draws an operation mix until told to stop, and its
//! writes — puts, deletes, batches — each followed by a read-your-write check. Its reads and
//! snapshot checks are in `reads`.

use super::config::{KEYS_PER_THREAD, MAX_BATCH};
use super::report::OpCounts;
use super::values::{encode, key, value_len, ValueHeader};
use crate::model::SEED_VAR;
use crate::rng::SplitMix;
use ferrolite::{Db, MapKind, Snapshot, WriteBatch};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

pub(super) type Model = BTreeMap<u32, (u64, u32)>;

/// What every worker shares.
pub(super) struct Shared<'a> {
    pub(super) db: &'a Db,
    pub(super) kind: MapKind,
    pub(super) seed: u64,
    pub(super) stop: AtomicBool,
    pub(super) failed: AtomicBool,
    pub(super) finished: AtomicUsize,
    /// Per owner: the highest version it has started writing (stored before the write).
    pub(super) issued: Vec<AtomicU64>,
    /// Per thread: operations done (for the hang watchdog and the total).
    pub(super) progress: Vec<AtomicU64>,
}

/// A snapshot held across later operations, with what it must show.
pub(super) struct Held<'a> {
    pub(super) snap: Snapshot<'a>,
    /// The owner's model when the snapshot was taken.
    pub(super) model: Model,
    /// Other threads' keys read through it, with what they read the first time.
    pub(super) others: HashMap<(usize, u32), Option<Vec<u8>>>,
    /// Operation number at which it is released.
    pub(super) release_at: u64,
    /// Operation number at which it was taken.
    pub(super) taken_at: u64,
}

pub(super) struct Worker<'a> {
    pub(super) t: usize,
    pub(super) sh: &'a Shared<'a>,
    pub(super) rng: SplitMix,
    pub(super) model: Model,
    /// This thread's operation counter (the versions of its writes).
    pub(super) version: u64,
    /// Highest version seen per other thread's key by plain (non-snapshot) reads.
    pub(super) seen: HashMap<(usize, u32), u64>,
    pub(super) held: Vec<Held<'a>>,
    pub(super) counts: OpCounts,
    /// Operations done (API calls).
    pub(super) op: u64,
    /// Writes (puts and deletes) and write calls, to compare with the engine's counters.
    pub(super) writes: u64,
    pub(super) write_calls: u64,
}

/// Marks a worker finished (and failed, if it is unwinding) however it ends.
pub(super) struct FinishGuard<'a>(pub(super) &'a Shared<'a>);

impl Drop for FinishGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.failed.store(true, Ordering::SeqCst);
        }
        self.0.finished.fetch_add(1, Ordering::SeqCst);
    }
}

/// What a worker hands back.
pub(super) struct WorkerOut {
    pub(super) model: Model,
    pub(super) counts: OpCounts,
    pub(super) writes: u64,
    pub(super) write_calls: u64,
}

impl<'a> Worker<'a> {
    pub(super) fn new(t: usize, sh: &'a Shared<'a>) -> Worker<'a> {
        Worker {
            t,
            sh,
            rng: SplitMix::stream(sh.seed, t as u64 + 1),
            model: Model::new(),
            version: 0,
            seen: HashMap::new(),
            held: Vec::new(),
            counts: OpCounts::default(),
            op: 0,
            writes: 0,
            write_calls: 0,
        }
    }

    pub(super) fn fail(&self, msg: impl fmt::Display) -> ! {
        self.sh.failed.store(true, Ordering::SeqCst);
        panic!(
            "soak: memtable {}, seed {:#x} ({SEED_VAR}), thread {}, op #{}: {msg}",
            self.sh.kind, self.sh.seed, self.t, self.op
        )
    }

    pub(super) fn tick(&mut self) {
        self.op += 1;
        self.sh.progress[self.t].store(self.op, Ordering::Relaxed);
    }

    pub(super) fn ok<T>(&self, what: &str, r: ferrolite::Result<T>) -> T {
        r.unwrap_or_else(|e| self.fail(format!("{what}: engine error: {e}")))
    }

    pub(super) fn run(mut self) -> WorkerOut {
        while !self.sh.stop.load(Ordering::Relaxed) {
            self.step();
        }
        // Release the held snapshots with a last full check each.
        while let Some(h) = self.held.pop() {
            self.check_held_scan(&h);
        }
        WorkerOut {
            model: self.model,
            counts: self.counts,
            writes: self.writes,
            write_calls: self.write_calls,
        }
    }

    fn step(&mut self) {
        let r = self.rng.below(1000);
        match r {
            0..250 => self.put(),
            250..320 => self.delete(),
            320..400 => self.batch(),
            400..650 => {
                let idx = self.rng.below(u64::from(KEYS_PER_THREAD)) as u32;
                self.check_own_get(idx, "get");
            }
            650..800 => self.other_get(),
            800..880 => self.own_scan(),
            880..930 => self.other_scan(),
            930..999 => self.snapshot_step(),
            _ => {
                // About one in a thousand operations: a user flush, racing the workers.
                if self.rng.chance(333) {
                    let r = self.sh.db.flush();
                    self.ok("flush()", r);
                    self.counts.user_flushes += 1;
                    self.tick();
                }
            }
        }
    }

    // --- writes ---------------------------------------------------------------------------

    fn next_value(&mut self, idx: u32) -> ValueHeader {
        self.version += 1;
        let len = value_len(&mut self.rng);
        if len > 32 << 10 {
            self.counts.large_values += 1;
        }
        ValueHeader {
            owner: self.t as u8,
            idx,
            version: self.version,
            len,
        }
    }

    pub(super) fn random_idx(&mut self) -> u32 {
        self.rng.below(u64::from(KEYS_PER_THREAD)) as u32
    }

    /// A live key when there is one (half the time), else any.
    fn delete_idx(&mut self) -> u32 {
        let idx = self.random_idx();
        if self.rng.chance(500) {
            if let Some((&k, _)) = self
                .model
                .range(idx..)
                .next()
                .or_else(|| self.model.iter().next())
            {
                return k;
            }
        }
        idx
    }

    /// Publish that versions up to the current counter may appear (before writing them).
    fn publish_issued(&self) {
        self.sh.issued[self.t].store(self.version, Ordering::Release);
    }

    fn put(&mut self) {
        let idx = self.random_idx();
        let h = self.next_value(idx);
        self.publish_issued();
        let r = self.sh.db.put(key(self.t, idx), encode(&h));
        self.ok(&format!("put({h})"), r);
        self.tick();
        self.counts.puts += 1;
        self.writes += 1;
        self.write_calls += 1;
        if self.model.insert(idx, (h.version, h.len)).is_some() {
            self.counts.overwrites += 1;
        }
        self.check_own_get(idx, "read-your-write after put");
    }

    fn delete(&mut self) {
        let idx = self.delete_idx();
        self.version += 1;
        self.publish_issued();
        let r = self.sh.db.delete(key(self.t, idx));
        self.ok("delete", r);
        self.tick();
        self.counts.deletes += 1;
        self.writes += 1;
        self.write_calls += 1;
        self.model.remove(&idx);
        self.check_own_get(idx, "read-your-write after delete");
    }

    fn batch(&mut self) {
        let n = self.rng.range(2, MAX_BATCH as u64) as usize;
        let mut batch = WriteBatch::new();
        let mut ops: Vec<(u32, Option<ValueHeader>)> = Vec::with_capacity(n);
        for i in 0..n {
            // Now and then the same key twice in one batch: the later op must win.
            let idx = if i > 0 && self.rng.chance(150) {
                ops[self.rng.below(i as u64) as usize].0
            } else {
                self.random_idx()
            };
            if self.rng.chance(750) {
                let h = self.next_value(idx);
                batch.put(key(self.t, idx), encode(&h));
                ops.push((idx, Some(h)));
            } else {
                self.version += 1;
                batch.delete(key(self.t, idx));
                ops.push((idx, None));
            }
        }
        self.publish_issued();
        let r = self.sh.db.write(batch);
        self.ok(&format!("write(batch of {n})"), r);
        self.tick();
        self.counts.batches += 1;
        self.counts.batch_ops += n as u64;
        self.writes += n as u64;
        self.write_calls += 1;
        for (idx, h) in &ops {
            match h {
                Some(h) => {
                    if self.model.insert(*idx, (h.version, h.len)).is_some() {
                        self.counts.overwrites += 1;
                    }
                }
                None => {
                    self.model.remove(idx);
                }
            }
        }
        let last = ops[n - 1].0;
        let any = ops[self.rng.below(n as u64) as usize].0;
        self.check_own_get(last, "read-your-write after batch (last op)");
        self.check_own_get(any, "read-your-write after batch");
    }
}
