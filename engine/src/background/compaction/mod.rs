//! [`Compactor`]: leveled compaction — picking (`pick.rs`), merging (`merge.rs`), installing.
//!
//! **Installing** records the edit (inputs deleted, outputs added at the next level) in the
//! manifest first; only then are the inputs marked obsolete (their files go when the last
//! reader lets go). A table with nothing to merge below it is *moved* down by a manifest edit
//! alone (a trivial move). One compaction at a time (the `compacting` flag of [`Control`]).
//!
//! `compact_all` (behind `Db::compact`) compacts every level into the next, from L0 to the
//! bottom, and rewrites the bottom level so that the garbage already there goes too.

mod merge;
mod pick;

use crate::control::Control;
use crate::options::{CompactionStyle, Options};
use crate::stats::Counters;
use crate::tables::{TableHandle, TableSet, Version, VersionEdit};
use crate::visibility::Visibility;
use crate::{Error, Result};
use pick::{user_range, Pick};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A waiting compactor re-checks at least this often.
const RECHECK: Duration = Duration::from_millis(200);

/// See the module documentation.
pub(crate) struct Compactor {
    pub(crate) opts: Arc<Options>,
    pub(crate) control: Arc<Control>,
    pub(crate) tables: Arc<TableSet>,
    pub(crate) visibility: Arc<Visibility>,
    pub(crate) stats: Arc<Counters>,
}

impl Compactor {
    /// Whether a compaction of `version` is due.
    pub(crate) fn is_due(&self, version: &Version, pointers: &[Option<bytes::Bytes>]) -> bool {
        self.opts.compaction && pick::pick(&self.opts, version, pointers).is_some()
    }

    /// Run one automatic compaction if one is due. Returns whether one ran.
    pub(crate) fn compact_once(&self) -> Result<bool> {
        let pick = {
            let mut jobs = self.control.jobs();
            if jobs.closing {
                return Err(Error::Closed);
            }
            if jobs.compacting {
                return Ok(false);
            }
            let sv = self.tables.current();
            let Some(pick) = pick::pick(&self.opts, &sv.version, &jobs.compact_pointer) else {
                return Ok(false);
            };
            jobs.compacting = true;
            pick
        };
        let result = self.run(pick);
        self.control.jobs().compacting = false;
        self.control.notify();
        result.map(|()| true)
    }

    /// Compact every level into the next, from L0 to the bottom level: the last level, or
    /// under [`CompactionStyle::SingleRun`] L1 (or the deepest level holding tables, for a
    /// database an earlier leveled configuration wrote).
    pub(crate) fn compact_all(&self) -> Result<()> {
        let bottom = match self.opts.compaction_style {
            CompactionStyle::Leveled => self.opts.num_levels - 1,
            CompactionStyle::SingleRun => {
                let sv = self.tables.current();
                let deepest = sv.version.levels.iter().rposition(|l| !l.is_empty());
                deepest.unwrap_or(0).max(1)
            }
        };
        for level in 0..bottom {
            let pick = {
                let mut jobs = self.control.jobs();
                while jobs.compacting && !jobs.closing {
                    jobs = self.control.wait(jobs, RECHECK);
                }
                if jobs.closing {
                    return Err(Error::Closed);
                }
                let sv = self.tables.current();
                let inputs = sv.version.levels[level].clone();
                let pick = if level + 1 == bottom {
                    // The last step merges the level above (possibly empty) with the *whole*
                    // bottom level, so garbage already at the bottom — versions a since
                    // released snapshot kept, tombstones — goes too (RocksDB's "force
                    // bottommost" full compaction).
                    let next = sv.version.levels[level + 1].clone();
                    (!inputs.is_empty() || !next.is_empty()).then_some(Pick {
                        level,
                        inputs,
                        next,
                        rewrite: true,
                    })
                } else {
                    pick::with_inputs(&sv.version, level, inputs)
                };
                match pick {
                    Some(p) => {
                        jobs.compacting = true;
                        p
                    }
                    None => continue,
                }
            };
            let result = self.run(pick);
            self.control.jobs().compacting = false;
            self.control.notify();
            result?;
        }
        Ok(())
    }

    fn run(&self, pick: Pick) -> Result<()> {
        let out_level = pick.level + 1;
        let started = Instant::now();
        let span = tracing::info_span!(
            "compaction",
            level = pick.level,
            inputs = pick.inputs.len(),
            next = pick.next.len()
        );
        let _enter = span.enter();
        let trivial = pick.is_trivial();
        let outputs: Vec<Arc<TableHandle>> = if trivial {
            pick.inputs.clone()
        } else {
            merge::merge(
                &self.tables,
                &pick,
                self.visibility.smallest_readable(),
                self.opts.target_file_size,
            )?
        };
        let mut edit = VersionEdit::default();
        for t in &pick.inputs {
            edit.deleted.push((pick.level, t.meta.id));
        }
        for t in &pick.next {
            edit.deleted.push((out_level, t.meta.id));
        }
        for t in &outputs {
            edit.added.push((out_level, t.meta.clone()));
        }
        if let Err(e) = self.tables.install(&outputs, |cur| (edit, cur.imm.clone())) {
            // As in a flush: the edit may be in the manifest, so neither the outputs nor the
            // inputs are deleted (the next open keeps whichever side the manifest lists and
            // deletes the other as orphans), and with the manifest's log abandoned the
            // database refuses writes until reopened.
            self.control.fail(&e);
            return Err(e);
        }
        if let Some((_, hi)) = user_range(&pick.inputs) {
            self.control.jobs().compact_pointer[pick.level] = Some(hi);
        }
        let read: u64 = pick
            .inputs
            .iter()
            .chain(&pick.next)
            .map(|t| t.meta.size)
            .sum();
        let written: u64 = outputs.iter().map(|t| t.meta.size).sum();
        if !trivial {
            for t in pick.inputs.iter().chain(&pick.next) {
                t.mark_obsolete();
            }
            self.stats
                .compaction_read_bytes
                .fetch_add(read, Ordering::Relaxed);
            self.stats
                .compaction_bytes
                .fetch_add(written, Ordering::Relaxed);
        } else {
            self.stats.trivial_moves.fetch_add(1, Ordering::Relaxed);
        }
        self.stats.compactions.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            to_level = out_level,
            trivial,
            read_bytes = read,
            written_bytes = written,
            outputs = outputs.len(),
            ms = started.elapsed().as_millis() as u64,
            "compaction done"
        );
        Ok(())
    }
}
