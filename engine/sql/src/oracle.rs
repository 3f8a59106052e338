//! The commit oracle: optimistic concurrency control for transactions.
//!
//! RocksDB's `OptimisticTransactionDB` is the model; the bookkeeping follows Badger's oracle.
//! Every commit that writes gets a *version* from a counter. A transaction starts at the
//! **watermark** — the highest version `w` such that every version `<= w` has been applied to
//! storage — and only then takes its storage read view, so the view holds every commit up to
//! its start version (and perhaps later ones, which can only cause false conflicts).
//!
//! At commit, under the oracle's lock, the transaction is checked: if any key it read or
//! wrote was written by a commit with a version above its start, it fails with
//! [`crate::Error::Conflict`] and nothing is applied. Otherwise it takes the next version,
//! records that version as the last writer of each key it writes, and leaves the lock; the
//! storage write happens **outside** the lock, so commits of concurrent writers reach the
//! engine together (its group commit and lock-free memtable take them in parallel). Two
//! transactions in flight at once never write the same key: the later one to validate sees
//! the earlier's version (above its start, since the earlier was not applied when it
//! started) and fails. When the write returns, the version is marked applied and the
//! watermark advances over every contiguous applied version.
//!
//! The last-writer table only needs versions above the oldest running transaction's start:
//! entries at or below `min(oldest start, watermark)` are pruned, in version order.

use crate::{Error, Result};
use ferrolite::Bytes;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard};

/// The oracle of one database.
#[derive(Debug, Default)]
pub struct Oracle {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The last version handed out.
    last_version: u64,
    /// Every version `<=` this one is applied.
    watermark: u64,
    /// Versions handed out and not yet applied.
    pending: BTreeSet<u64>,
    /// Start versions of running transactions, with their counts.
    running: BTreeMap<u64, usize>,
    /// The last version that wrote each key (above the prune line).
    last_writer: HashMap<Bytes, u64, BuildHasherDefault<KeyHasher>>,
    /// Keys by the version that wrote them, oldest first, for pruning.
    log: VecDeque<(u64, Vec<Bytes>)>,
}

/// A ticket for one transaction: its start version. Hand it back with
/// [`Oracle::commit`] or [`Oracle::finish`].
#[derive(Debug)]
pub struct Ticket {
    start: u64,
    done: bool,
}

impl Ticket {
    /// The version the transaction reads at.
    pub fn start(&self) -> u64 {
        self.start
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        debug_assert!(self.done, "a transaction ticket was dropped without finish");
    }
}

impl Oracle {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the state consistent before it can panic.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Start a transaction. Take the storage read view *after* this returns.
    pub fn begin(&self) -> Ticket {
        let mut st = self.lock();
        let start = st.watermark;
        *st.running.entry(start).or_default() += 1;
        Ticket { start, done: false }
    }

    /// End a transaction that applies nothing (read-only, rolled back, or failed).
    pub fn finish(&self, mut ticket: Ticket) {
        ticket.done = true;
        let mut st = self.lock();
        st.leave(ticket.start);
        st.prune();
    }

    /// Validate and apply a transaction: `read` and `written` are the keys it read and wrote;
    /// `apply` writes to storage (called outside the lock). On a conflict, `apply` is not
    /// called and the error names the key.
    pub fn commit<'k>(
        &self,
        mut ticket: Ticket,
        read: impl IntoIterator<Item = &'k [u8]>,
        written: Vec<Bytes>,
        name: &dyn Fn(&[u8]) -> Option<String>,
        apply: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        ticket.done = true;
        let version = {
            let mut st = self.lock();
            let start = ticket.start;
            let newer = |k: &[u8]| st.last_writer.get(k).is_some_and(|&v| v > start);
            let clash = match read.into_iter().find(|k| newer(k)) {
                Some(k) => Some(name(k).unwrap_or_else(|| describe(k))),
                None => written
                    .iter()
                    .find(|k| newer(k))
                    .map(|k| name(k).unwrap_or_else(|| describe(k))),
            };
            if let Some(key) = clash {
                st.leave(start);
                st.prune();
                return Err(Error::Conflict(format!(
                    "another transaction committed a change to {key} after this one began"
                )));
            }
            st.last_version += 1;
            let version = st.last_version;
            for k in &written {
                st.last_writer.insert(k.clone(), version);
            }
            st.log.push_back((version, written));
            st.pending.insert(version);
            st.leave(start);
            version
        };
        let result = apply();
        let mut st = self.lock();
        st.pending.remove(&version);
        st.watermark = match st.pending.first() {
            Some(&p) => p - 1,
            None => st.last_version,
        };
        st.prune();
        result
    }

    /// How many keys the last-writer table holds (for tests).
    #[cfg(test)]
    pub fn tracked_keys(&self) -> usize {
        self.lock().last_writer.len()
    }
}

impl State {
    fn leave(&mut self, start: u64) {
        if let Some(n) = self.running.get_mut(&start) {
            *n -= 1;
            if *n == 0 {
                self.running.remove(&start);
            }
        }
    }

    fn prune(&mut self) {
        let oldest = self.running.keys().next().copied().unwrap_or(u64::MAX);
        let line = oldest.min(self.watermark);
        while let Some((v, _)) = self.log.front() {
            if *v > line {
                break;
            }
            if let Some((v, keys)) = self.log.pop_front() {
                for k in keys {
                    if self.last_writer.get(&k) == Some(&v) {
                        self.last_writer.remove(&k);
                    }
                }
            }
        }
    }
}

/// FNV-1a over 8-byte words: keys are short and not attacker-chosen across processes
/// (the table is per process and pruned), so SipHash's cost buys nothing here.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        // A final mix so the low bits hashbrown uses depend on every input bit.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3);
        }
        for &b in chunks.remainder() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A key for a conflict message: the table or index it belongs to.
fn describe(key: &[u8]) -> String {
    let rest = key
        .strip_prefix(crate::keys::RESERVED_PREFIX)
        .unwrap_or(key);
    let id = |r: &[u8]| {
        r.get(1..5)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    };
    match rest.first() {
        Some(b't') => format!("a row of table #{}", id(rest).unwrap_or(0)),
        Some(b'i') => format!("an entry of index #{}", id(rest).unwrap_or(0)),
        Some(b'c') => format!(
            "the schema of table {}",
            String::from_utf8_lossy(&rest[1..])
        ),
        _ => "the catalog".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn a_write_after_the_start_conflicts_and_nothing_is_applied() {
        let o = Oracle::default();
        let t1 = o.begin();
        let t2 = o.begin();
        o.commit(t1, [], vec![k("a")], &|_| None, || Ok(()))
            .unwrap();
        let mut applied = false;
        let err = o
            .commit(t2, [&b"a"[..]], vec![k("b")], &|_| None, || {
                applied = true;
                Ok(())
            })
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err}");
        assert!(!applied);
        // A transaction that starts after the first commit sees it and does not conflict.
        let t3 = o.begin();
        o.commit(t3, [&b"a"[..]], vec![k("a")], &|_| None, || Ok(()))
            .unwrap();
    }

    #[test]
    fn disjoint_keys_commit_and_the_table_is_pruned() {
        let o = Oracle::default();
        let t1 = o.begin();
        let t2 = o.begin();
        o.commit(t1, [&b"x"[..]], vec![k("a")], &|_| None, || Ok(()))
            .unwrap();
        o.commit(t2, [&b"y"[..]], vec![k("b")], &|_| None, || Ok(()))
            .unwrap();
        assert_eq!(o.tracked_keys(), 0, "nothing runs: nothing to remember");
        let t3 = o.begin();
        let t4 = o.begin();
        o.commit(t4, [], vec![k("c")], &|_| None, || Ok(()))
            .unwrap();
        assert_eq!(o.tracked_keys(), 1, "t3 may still conflict with c");
        o.finish(t3);
        assert_eq!(o.tracked_keys(), 0);
    }

    #[test]
    fn the_watermark_waits_for_every_earlier_apply() {
        let o = std::sync::Arc::new(Oracle::default());
        let (entered_tx, entered_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let slow = {
            let o = o.clone();
            let t = o.begin();
            std::thread::spawn(move || {
                o.commit(t, [], vec![k("slow")], &|_| None, || {
                    entered_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    Ok(())
                })
            })
        };
        entered_rx.recv().unwrap();
        let t = o.begin();
        o.commit(t, [], vec![k("fast")], &|_| None, || Ok(()))
            .unwrap();
        // Version 2 is applied, version 1 is not: a new transaction starts at 0.
        let t = o.begin();
        assert_eq!(t.start(), 0);
        o.finish(t);
        release_tx.send(()).unwrap();
        slow.join().unwrap().unwrap();
        let t = o.begin();
        assert_eq!(t.start(), 2);
        o.finish(t);
    }

    #[test]
    fn a_failed_apply_still_advances_the_watermark() {
        let o = Oracle::default();
        let t = o.begin();
        let err = o.commit(t, [], vec![k("a")], &|_| None, || {
            Err(Error::Eval("disk".into()))
        });
        assert!(err.is_err());
        let t = o.begin();
        assert_eq!(t.start(), 1);
        o.finish(t);
    }
}
