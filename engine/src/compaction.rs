//! Leveled compaction: picking, merging, dropping what no reader can see, installing.
//!
//! **Picking** (LevelDB's scores): L0 scores its table count over `l0_compaction_trigger`;
//! level n ≥ 1 scores its bytes over its target size (`level1_size · multiplier^(n-1)`). The
//! highest score ≥ 1 is compacted: from L0 every table (they overlap), from a deeper level one
//! table chosen round-robin by key (a compact pointer per level), together with every table of
//! the next level that overlaps them. A table with nothing to merge below it is *moved* down by
//! a manifest edit alone (a trivial move).
//!
//! **Merging** reads the inputs through [`MergeIter`] (per user key, newest version first) and
//! drops a version when
//! 1. a newer version of the same key is at or below the smallest live snapshot (no reader can
//!    see past it), or
//! 2. it is a tombstone at or below the smallest snapshot and no deeper level holds the key
//!    (nothing older left to hide): tombstones are dropped at the bottom, never above it.
//!
//! Outputs are cut at `target_file_size`, but only between user keys, so that the tables of a
//! level stay disjoint by user key. **Installing** records the edit in the manifest first; only
//! then are the inputs marked obsolete (their files go when the last reader lets go).

use crate::db::{lock, Inner, State, SuperVersion};
use crate::iter::{table_iter, LevelSource, MergeIter, Source};
use crate::sstable::{TableBuilder, TableJob};
use crate::types::{SeqNo, ValueKind};
use crate::version::{table_path, TableHandle, Version, VersionEdit};
use crate::{fsutil, CompactionStyle, Error, Result};
use bytes::Bytes;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// One compaction: `inputs` of `level` merged with `next` of `level + 1`.
pub(crate) struct Pick {
    pub level: usize,
    pub inputs: Vec<Arc<TableHandle>>,
    pub next: Vec<Arc<TableHandle>>,
    /// Merge even when moving the inputs down would do: the last step of `compact_all`,
    /// which must drop the garbage (tombstones, overwritten versions) a move would keep.
    pub rewrite: bool,
}

fn user_range(tables: &[Arc<TableHandle>]) -> Option<(Bytes, Bytes)> {
    let lo = tables.iter().map(|t| &t.meta.smallest.user_key).min()?;
    let hi = tables.iter().map(|t| &t.meta.largest.user_key).max()?;
    Some((lo.clone(), hi.clone()))
}

impl Inner {
    /// The most urgent compaction of `version`, if any level is over its target.
    pub(crate) fn pick_compaction(&self, version: &Version, state: &State) -> Option<Pick> {
        let opts = &self.opts;
        let last = version.levels.len() - 1;
        let mut best = (
            version.levels[0].len() as f64 / opts.l0_compaction_trigger as f64,
            0,
        );
        // A single run never pushes L1 down: only L0's score counts.
        let deepest_scored = match opts.compaction_style {
            CompactionStyle::Leveled => last,
            CompactionStyle::SingleRun => 1,
        };
        for level in 1..deepest_scored {
            let bytes: u64 = version.levels[level].iter().map(|t| t.meta.size).sum();
            let score = bytes as f64 / opts.level_target(level) as f64;
            if score > best.0 {
                best = (score, level);
            }
        }
        if best.0 < 1.0 {
            return None;
        }
        let level = best.1;
        let inputs = if level == 0 {
            version.levels[0].clone()
        } else {
            let files = &version.levels[level];
            let after = state.compact_pointer[level].as_ref();
            let chosen = after
                .and_then(|p| files.iter().find(|t| t.meta.smallest.user_key > *p))
                .unwrap_or(&files[0]);
            vec![chosen.clone()]
        };
        self.pick_with_inputs(version, level, inputs)
    }

    fn pick_with_inputs(
        &self,
        version: &Version,
        level: usize,
        inputs: Vec<Arc<TableHandle>>,
    ) -> Option<Pick> {
        let (lo, hi) = user_range(&inputs)?;
        let next = version.overlapping(level + 1, &lo, &hi);
        Some(Pick {
            level,
            inputs,
            next,
            rewrite: false,
        })
    }

    /// Run one automatic compaction if one is due. Returns whether one ran.
    pub(crate) fn compact_once(&self) -> Result<bool> {
        let pick = {
            let mut state = lock(&self.state);
            if state.closing {
                return Err(Error::Closed);
            }
            if state.compacting {
                return Ok(false);
            }
            let sv = self.sv.load();
            let Some(pick) = self.pick_compaction(&sv.version, &state) else {
                return Ok(false);
            };
            state.compacting = true;
            pick
        };
        let result = self.run_compaction(pick);
        lock(&self.state).compacting = false;
        self.state_cv.notify_all();
        result.map(|()| true)
    }

    /// Compact every level into the next, from L0 to the bottom level: the last level, or
    /// under [`CompactionStyle::SingleRun`] L1 (or the deepest level holding tables, for a
    /// database an earlier leveled configuration wrote).
    pub(crate) fn compact_all(&self) -> Result<()> {
        let bottom = match self.opts.compaction_style {
            CompactionStyle::Leveled => self.opts.num_levels - 1,
            CompactionStyle::SingleRun => {
                let sv = self.sv.load();
                let deepest = sv.version.levels.iter().rposition(|l| !l.is_empty());
                deepest.unwrap_or(0).max(1)
            }
        };
        for level in 0..bottom {
            let pick = {
                let mut state = lock(&self.state);
                while state.compacting && !state.closing {
                    state = self.state_cv.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                if state.closing {
                    return Err(Error::Closed);
                }
                let sv = self.sv.load();
                let inputs = sv.version.levels[level].clone();
                let last_step = level + 1 == bottom;
                let pick = if last_step {
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
                    self.pick_with_inputs(&sv.version, level, inputs)
                };
                match pick {
                    Some(p) => {
                        state.compacting = true;
                        p
                    }
                    None => continue,
                }
            };
            let result = self.run_compaction(pick);
            lock(&self.state).compacting = false;
            self.state_cv.notify_all();
            result?;
        }
        Ok(())
    }

    fn run_compaction(&self, pick: Pick) -> Result<()> {
        let out_level = pick.level + 1;
        let started = Instant::now();
        let span = tracing::info_span!(
            "compaction",
            level = pick.level,
            inputs = pick.inputs.len(),
            next = pick.next.len()
        );
        let _enter = span.enter();
        let mut edit = VersionEdit::default();
        for t in &pick.inputs {
            edit.deleted.push((pick.level, t.meta.id));
        }
        for t in &pick.next {
            edit.deleted.push((out_level, t.meta.id));
        }
        let trivial =
            !pick.rewrite && pick.next.is_empty() && (pick.level > 0 || pick.inputs.len() == 1);
        let outputs: Vec<Arc<TableHandle>> = if trivial {
            pick.inputs.clone()
        } else {
            self.merge_into_tables(&pick, out_level)?
        };
        for t in &outputs {
            edit.added.push((out_level, t.meta.clone()));
        }
        edit.next_file = Some(self.next_file.load(Ordering::Relaxed));

        let mut state = lock(&self.state);
        if let Err(e) = state.manifest.record(&edit) {
            // As in a flush: the edit may be in the manifest, so neither the outputs nor the
            // inputs are deleted (the next open keeps whichever side the manifest lists and
            // deletes the other as orphans), and with the manifest's log abandoned the
            // database refuses writes until reopened.
            self.fail(&e);
            return Err(e);
        }
        let cur = self.sv.load_full();
        let version = Arc::new(cur.version.apply(&edit, &outputs));
        debug_assert_eq!(version.check(), Ok(()));
        self.sv.store(Arc::new(SuperVersion {
            mem: cur.mem.clone(),
            imm: cur.imm.clone(),
            version,
        }));
        if let Some((_, hi)) = user_range(&pick.inputs) {
            state.compact_pointer[pick.level] = Some(hi);
        }
        drop(state);

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

    fn merge_into_tables(&self, pick: &Pick, out_level: usize) -> Result<Vec<Arc<TableHandle>>> {
        let mut created = Vec::new();
        let result = self.merge_into_tables_inner(pick, out_level, &mut created);
        if result.is_err() {
            // No manifest lists the outputs of a failed merge: don't leave them on disk.
            for id in created {
                let _ = self.fs().remove_file(&table_path(&self.dir, id));
            }
        }
        result
    }

    fn merge_into_tables_inner(
        &self,
        pick: &Pick,
        out_level: usize,
        created: &mut Vec<u64>,
    ) -> Result<Vec<Arc<TableHandle>>> {
        let mut sources: Vec<Source> = Vec::new();
        if pick.level == 0 {
            for t in &pick.inputs {
                sources.push(Box::new(table_iter(&t.table, None)));
            }
        } else {
            sources.push(Box::new(LevelSource::new(pick.inputs.clone(), None)));
        }
        if !pick.next.is_empty() {
            sources.push(Box::new(LevelSource::new(pick.next.clone(), None)));
        }
        let all: Vec<_> = pick.inputs.iter().chain(&pick.next).cloned().collect();
        let (lo, hi) = user_range(&all).expect("a compaction has inputs");
        let sv = self.sv.load_full();
        let bottom = (out_level + 1..sv.version.levels.len())
            .all(|l| sv.version.overlapping(l, &lo, &hi).is_empty());
        let smallest_snapshot = self.smallest_snapshot();

        let mut outputs = Vec::new();
        let mut current: Option<(u64, TableBuilder)> = None;
        let mut user: Option<Bytes> = None;
        let mut newer_seq: SeqNo = SeqNo::MAX; // seq of the previous version of `user`
        for entry in MergeIter::new(sources) {
            let (key, value) = entry?;
            let same_key = user.as_ref() == Some(&key.user_key);
            if !same_key {
                newer_seq = SeqNo::MAX;
            }
            let shadowed = newer_seq <= smallest_snapshot;
            let dead_tombstone =
                key.kind == ValueKind::Delete && key.seq <= smallest_snapshot && bottom;
            newer_seq = key.seq;
            if shadowed || dead_tombstone {
                if !same_key {
                    user = Some(key.user_key.clone());
                }
                continue;
            }
            if let Some((id, builder)) = current.take() {
                if !same_key && builder.estimated_size() >= self.opts.target_file_size {
                    let meta = builder.finish()?;
                    outputs.push(self.open_table(id, meta)?);
                } else {
                    current = Some((id, builder));
                }
            }
            if current.is_none() {
                let id = self.new_file_number();
                created.push(id);
                let builder = TableBuilder::create_in(
                    self.fs().as_ref(),
                    &table_path(&self.dir, id),
                    self.table_options(),
                )?
                .for_job(TableJob::Compaction);
                current = Some((id, builder));
            }
            let (_, builder) = current.as_mut().expect("just set");
            builder.add(&key, &value)?;
            if !same_key {
                user = Some(key.user_key);
            }
        }
        if let Some((id, builder)) = current {
            let meta = builder.finish()?;
            outputs.push(self.open_table(id, meta)?);
        }
        fsutil::sync_dir_in(self.fs().as_ref(), &self.dir)?;
        Ok(outputs)
    }
}
