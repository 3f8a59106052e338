//! A soak thread's reads and what it checks of them: gets and scans of its own keys against
//! its model (exactly), of other threads' keys (decodable, issued, never going back in time),
//! and reads through held snapshots (their model copy, and the same answer every time).

use super::config::{HELD_OTHERS, KEYS_PER_THREAD, MAX_HELD, THREADS};
use super::values::{decode, describe, describe_expected, key, parse_key, prefix, ValueHeader};
use super::worker::{Held, Worker};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

impl<'a> Worker<'a> {
    // --- reads of own keys ------------------------------------------------------------------

    /// `got` for own key `idx` must be exactly `expected`.
    pub(super) fn check_own_value(
        &self,
        idx: u32,
        got: Option<&[u8]>,
        expected: Option<(u64, u32)>,
        what: &str,
    ) {
        let ok = match (got, expected) {
            (None, None) => true,
            (Some(b), Some((version, len))) => decode(b).is_ok_and(|h| {
                h == ValueHeader {
                    owner: self.t as u8,
                    idx,
                    version,
                    len,
                }
            }),
            _ => false,
        };
        if !ok {
            self.fail(format!(
                "{what}: key {}: expected {}, got {}",
                String::from_utf8_lossy(&key(self.t, idx)),
                describe_expected(self.t, idx, expected),
                describe(got)
            ));
        }
    }

    pub(super) fn check_own_get(&mut self, idx: u32, what: &str) {
        let r = self.sh.db.get(key(self.t, idx));
        let got = self.ok(what, r);
        self.tick();
        self.counts.own_gets += 1;
        self.check_own_value(idx, got.as_deref(), self.model.get(&idx).copied(), what);
    }

    /// Bounds over own keys: `[lo, hi)` or `[lo, hi]` or the whole prefix.
    /// A scan of own keys: a short range (`[lo, lo + span)` or `[lo, lo + span]`) most of
    /// the time, the whole prefix now and then; the answer must equal the model's range.
    pub(super) fn own_scan(&mut self) {
        let lo = self.random_idx();
        let hi = (lo + self.rng.range(1, 160) as u32).min(KEYS_PER_THREAD - 1);
        let shape = self.rng.below(10);
        let (what, iter) = match shape {
            0..5 => (
                format!("scan of own keys [{lo}, {hi})"),
                self.sh.db.scan(key(self.t, lo)..key(self.t, hi)),
            ),
            5..9 => (
                format!("scan of own keys [{lo}, {hi}]"),
                self.sh.db.scan(key(self.t, lo)..=key(self.t, hi)),
            ),
            _ => (
                "scan of every own key".to_string(),
                self.sh.db.scan_prefix(prefix(self.t)),
            ),
        };
        let iter = self.ok(&what, iter);
        self.tick();
        self.counts.scans += 1;
        let n = match shape {
            0..5 => self.compare_own_scan(iter, self.model.range(lo..hi), &what),
            5..9 => self.compare_own_scan(iter, self.model.range(lo..=hi), &what),
            _ => self.compare_own_scan(iter, self.model.iter(), &what),
        };
        self.counts.scanned += n;
    }

    /// A scan of exactly this thread's keys against the model's entries, entry by entry as
    /// the iterator yields them (nothing is collected: a held entry would pin its block).
    /// Returns the number of entries.
    fn compare_own_scan<'m>(
        &self,
        iter: ferrolite::DbIter,
        expect: impl Iterator<Item = (&'m u32, &'m (u64, u32))>,
        what: &str,
    ) -> u64 {
        let mut e = expect.map(|(k, v)| (*k, *v)).peekable();
        let mut n = 0;
        for item in iter {
            let (k, v) = self.ok(what, item);
            n += 1;
            let k = &k[..];
            let Some((owner, idx)) = parse_key(k).filter(|(o, _)| *o == self.t) else {
                self.fail(format!(
                    "{what}: returned key {:?} that is not one of this thread's",
                    String::from_utf8_lossy(k)
                ));
            };
            // Expected keys before this one were missed.
            if let Some(&(ei, ev)) = e.peek().filter(|(ei, _)| *ei < idx) {
                self.fail(format!(
                    "{what}: key {} missing: expected {}, the scan went on to {}",
                    String::from_utf8_lossy(&key(owner, ei)),
                    describe_expected(owner, ei, Some(ev)),
                    String::from_utf8_lossy(k)
                ));
            }
            match e.next() {
                Some((ei, ev)) if ei == idx => {
                    self.check_own_value(idx, Some(v.as_ref()), Some(ev), what)
                }
                _ => self.fail(format!(
                    "{what}: key {} returned with {} but it should be absent (or out of order)",
                    String::from_utf8_lossy(k),
                    describe(Some(v.as_ref()))
                )),
            }
        }
        if let Some((ei, ev)) = e.next() {
            self.fail(format!(
                "{what}: key {} missing at the end of the scan: expected {}",
                String::from_utf8_lossy(&key(self.t, ei)),
                describe_expected(self.t, ei, Some(ev))
            ));
        }
        n
    }

    // --- reads of other threads' keys ---------------------------------------------------------

    fn other_owner(&mut self) -> usize {
        let o = self.rng.below(THREADS as u64 - 1) as usize;
        if o >= self.t {
            o + 1
        } else {
            o
        }
    }

    /// A value of another thread's key `(owner, idx)` read now (not through a snapshot): it
    /// must decode, belong to that key, be issued already and not older than one seen before.
    fn check_foreign(&mut self, owner: usize, idx: u32, got: Option<&[u8]>, what: &str) {
        self.counts.foreign_values += 1;
        let Some(b) = got else { return };
        let k = String::from_utf8_lossy(&key(owner, idx)).into_owned();
        let h = decode(b).unwrap_or_else(|e| {
            self.fail(format!(
                "{what}: key {k}: value of {} B does not decode: {e}",
                b.len()
            ))
        });
        if h.owner as usize != owner || h.idx != idx {
            self.fail(format!(
                "{what}: key {k} holds the value of another key: {h}"
            ));
        }
        let issued = self.sh.issued[owner].load(Ordering::Acquire);
        if h.version > issued {
            self.fail(format!(
                "{what}: key {k}: read {h}, but thread {owner} had only issued versions up to {issued}"
            ));
        }
        let seen = self.seen.entry((owner, idx)).or_insert(0);
        if h.version < *seen {
            let before = *seen;
            self.fail(format!(
                "{what}: key {k}: read {h} after having read v{before} of it earlier \
                 (reads went back in time)"
            ));
        }
        *seen = h.version;
    }

    pub(super) fn other_get(&mut self) {
        let owner = self.other_owner();
        let idx = self.random_idx();
        let r = self.sh.db.get(key(owner, idx));
        let got = self.ok("get of another thread's key", r);
        self.tick();
        self.counts.other_gets += 1;
        self.check_foreign(owner, idx, got.as_deref(), "get of another thread's key");
    }

    /// Up to 64 entries from a random key of another thread on (crossing into later owners'
    /// ranges, this thread's included).
    pub(super) fn other_scan(&mut self) {
        let owner = self.other_owner();
        let idx = self.random_idx();
        let start = key(owner, idx);
        let what = format!(
            "scan from {} (another thread's range)",
            String::from_utf8_lossy(&start)
        );
        let r = self.sh.db.scan(start.clone()..);
        let iter = self.ok(&what, r);
        self.tick();
        self.counts.scans += 1;
        let mut last: Option<(usize, u32)> = None;
        for item in iter.take(64) {
            let (k, v) = self.ok(&what, item);
            self.counts.scanned += 1;
            let Some((o, i)) = parse_key(&k) else {
                self.fail(format!(
                    "{what}: returned key {:?} that no thread writes",
                    String::from_utf8_lossy(&k)
                ));
            };
            if (o, i) < (owner, idx) || last.is_some_and(|l| l >= (o, i)) {
                self.fail(format!(
                    "{what}: key {} out of order (previous {:?}) or below the start",
                    String::from_utf8_lossy(&k),
                    last.map(|(o, i)| String::from_utf8_lossy(&key(o, i)).into_owned())
                ));
            }
            last = Some((o, i));
            if o == self.t {
                // This thread's own key: the scan began after its last write, so exact.
                self.check_own_value(i, Some(&v), self.model.get(&i).copied(), &what);
            } else {
                self.check_foreign(o, i, Some(&v), &what);
            }
        }
    }

    // --- snapshots ------------------------------------------------------------------------------

    pub(super) fn snapshot_step(&mut self) {
        // Release the one due, with a full check.
        if let Some(pos) = self.held.iter().position(|h| self.op >= h.release_at) {
            let h = self.held.swap_remove(pos);
            self.check_held_scan(&h);
            return;
        }
        if self.held.len() < MAX_HELD && self.rng.chance(300) {
            let r = self.sh.db.snapshot();
            let snap = self.ok("snapshot()", r);
            self.tick();
            self.counts.snapshots += 1;
            let hold = self.rng.range(200, 4000);
            self.held.push(Held {
                snap,
                model: self.model.clone(),
                others: HashMap::new(),
                release_at: self.op + hold,
                taken_at: self.op,
            });
            return;
        }
        if self.held.is_empty() {
            return;
        }
        let which = self.rng.below(self.held.len() as u64) as usize;
        let mut h = self.held.swap_remove(which);
        if self.rng.chance(100) {
            self.check_held_scan(&h);
        } else {
            self.check_held_gets(&mut h);
        }
        self.held.push(h);
    }

    /// Gets through a held snapshot: own keys against its model, other keys against their
    /// first read through it.
    fn check_held_gets(&mut self, h: &mut Held<'a>) {
        let what = format!(
            "get through the snapshot at seq {} taken at op #{}",
            h.snap.seq(),
            h.taken_at
        );
        for _ in 0..3 {
            let idx = self.random_idx();
            let r = h.snap.get(key(self.t, idx));
            let got = self.ok(&what, r);
            self.tick();
            self.counts.snapshot_reads += 1;
            self.check_own_value(idx, got.as_deref(), h.model.get(&idx).copied(), &what);
        }
        for _ in 0..2 {
            // Most of the time re-read a key already read through this snapshot.
            let (owner, idx) = if !h.others.is_empty() && self.rng.chance(700) {
                let n = self.rng.below(h.others.len() as u64) as usize;
                *h.others.keys().nth(n).expect("n < len")
            } else {
                (self.other_owner(), self.random_idx())
            };
            let r = h.snap.get(key(owner, idx));
            let got = self.ok(&what, r);
            self.tick();
            self.counts.snapshot_reads += 1;
            self.counts.foreign_values += 1;
            let k = String::from_utf8_lossy(&key(owner, idx)).into_owned();
            if let Some(b) = got.as_deref() {
                match decode(b) {
                    Ok(v) if v.owner as usize == owner && v.idx == idx => {}
                    Ok(v) => self.fail(format!("{what}: key {k} holds another key's value {v}")),
                    Err(e) => self.fail(format!("{what}: key {k}: value does not decode: {e}")),
                }
            }
            match h.others.get(&(owner, idx)) {
                Some(first) if first.as_deref() != got.as_deref() => {
                    self.fail(format!(
                        "{what}: key {k} changed under the snapshot: first read {}, now {}",
                        describe(first.as_deref()),
                        describe(got.as_deref())
                    ));
                }
                Some(_) => {}
                None if h.others.len() < HELD_OTHERS => {
                    h.others.insert((owner, idx), got.map(|b| b.to_vec()));
                }
                None => {}
            }
        }
    }

    /// A full scan of this thread's keys through a held snapshot against its model.
    pub(super) fn check_held_scan(&mut self, h: &Held<'a>) {
        let what = format!(
            "scan of own keys through the snapshot at seq {} taken at op #{} (now op #{})",
            h.snap.seq(),
            h.taken_at,
            self.op
        );
        let r = h.snap.scan_prefix(prefix(self.t));
        let iter = self.ok(&what, r);
        self.tick();
        self.counts.snapshot_reads += 1;
        let n = self.compare_own_scan(iter, h.model.iter(), &what);
        self.counts.scanned += n;
    }
}
