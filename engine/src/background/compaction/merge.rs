//! Merging a compaction's inputs into new tables, dropping what no reader can see.
//!
//! The inputs are read through [`MergeIter`] (per user key, newest version first). A version
//! is dropped when
//! 1. a newer version of the same key is at or below the smallest readable sequence number
//!    (no reader can see past it), or
//! 2. it is a tombstone at or below it and no deeper level holds the key (nothing older left
//!    to hide): tombstones are dropped at the bottom, never above it.
//!
//! Outputs are cut at `target_file_size`, but only between user keys, so that the tables of a
//! level stay disjoint by user key. A failed merge deletes the outputs it created: no
//! manifest lists them.

use super::pick::{user_range, Pick};
use crate::fs::IoJob;
use crate::iter::{table_iter, LevelSource, MergeIter, Source};
use crate::sstable::TableBuilder;
use crate::tables::{TableHandle, TableSet};
use crate::types::{SeqNo, ValueKind};
use crate::Result;
use bytes::Bytes;
use std::sync::Arc;

/// Merge `pick` into new tables of `pick.level + 1`; versions at or below
/// `smallest_readable` follow the drop rules. The outputs are synced, with their directory
/// entries.
pub(crate) fn merge(
    tables: &TableSet,
    pick: &Pick,
    smallest_readable: SeqNo,
    target_file_size: u64,
) -> Result<Vec<Arc<TableHandle>>> {
    let mut created = Vec::new();
    let result = merge_inner(
        tables,
        pick,
        smallest_readable,
        target_file_size,
        &mut created,
    );
    if result.is_err() {
        for id in created {
            tables.discard(id);
        }
    }
    result
}

fn merge_inner(
    tables: &TableSet,
    pick: &Pick,
    smallest_readable: SeqNo,
    target_file_size: u64,
    created: &mut Vec<u64>,
) -> Result<Vec<Arc<TableHandle>>> {
    let out_level = pick.level + 1;
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
    let sv = tables.current_full();
    let bottom = (out_level + 1..sv.version.levels.len())
        .all(|l| sv.version.overlapping(l, &lo, &hi).is_empty());

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
        let shadowed = newer_seq <= smallest_readable;
        let dead_tombstone =
            key.kind == ValueKind::Delete && key.seq <= smallest_readable && bottom;
        newer_seq = key.seq;
        if shadowed || dead_tombstone {
            if !same_key {
                user = Some(key.user_key.clone());
            }
            continue;
        }
        if let Some((id, builder)) = current.take() {
            if !same_key && builder.estimated_size() >= target_file_size {
                let meta = builder.finish()?;
                outputs.push(tables.open_table(id, meta)?);
            } else {
                current = Some((id, builder));
            }
        }
        if current.is_none() {
            let id = tables.new_file_number();
            created.push(id);
            current = Some((id, tables.create_table(id, IoJob::Compaction)?));
        }
        let (_, builder) = current.as_mut().expect("just set");
        builder.add(&key, &value)?;
        if !same_key {
            user = Some(key.user_key);
        }
    }
    if let Some((id, builder)) = current {
        let meta = builder.finish()?;
        outputs.push(tables.open_table(id, meta)?);
    }
    tables.sync_dir()?;
    Ok(outputs)
}
