//! Picking a compaction (LevelDB's scores).
//!
//! L0 scores its table count over `l0_compaction_trigger`; level n ≥ 1 scores its bytes over
//! its target size (`level1_size · multiplier^(n-1)`). The highest score ≥ 1 is compacted:
//! from L0 every table (they overlap), from a deeper level one table chosen round-robin by key
//! (a compact pointer per level), together with every table of the next level that overlaps
//! them. Under [`CompactionStyle::SingleRun`] only L0 is scored: L1 is one run that never moves
//! deeper.

use crate::options::{CompactionStyle, Options};
use crate::tables::{TableHandle, Version};
use bytes::Bytes;
use std::sync::Arc;

/// One compaction: `inputs` of `level` merged with `next` of `level + 1`.
pub(crate) struct Pick {
    pub level: usize,
    pub inputs: Vec<Arc<TableHandle>>,
    pub next: Vec<Arc<TableHandle>>,
    /// Merge even when moving the inputs down would do: the last step of `compact_all`,
    /// which must drop the garbage (tombstones, overwritten versions) a move would keep.
    pub rewrite: bool,
}

impl Pick {
    /// Whether the compaction is a move: one table (or a deeper level's table) with nothing
    /// to merge below it goes down by a manifest edit alone.
    pub(crate) fn is_trivial(&self) -> bool {
        !self.rewrite && self.next.is_empty() && (self.level > 0 || self.inputs.len() == 1)
    }
}

/// The user-key range `[smallest, largest]` of `tables`; `None` for no table.
pub(crate) fn user_range(tables: &[Arc<TableHandle>]) -> Option<(Bytes, Bytes)> {
    let lo = tables.iter().map(|t| &t.meta.smallest.user_key).min()?;
    let hi = tables.iter().map(|t| &t.meta.largest.user_key).max()?;
    Some((lo.clone(), hi.clone()))
}

/// The most urgent compaction of `version`, if any level is over its target; `pointers` are
/// the compact pointers per level.
pub(crate) fn pick(opts: &Options, version: &Version, pointers: &[Option<Bytes>]) -> Option<Pick> {
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
        let after = pointers[level].as_ref();
        let chosen = after
            .and_then(|p| files.iter().find(|t| t.meta.smallest.user_key > *p))
            .unwrap_or(&files[0]);
        vec![chosen.clone()]
    };
    with_inputs(version, level, inputs)
}

/// `inputs` of `level` with the tables of the next level they overlap.
pub(crate) fn with_inputs(
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
