//! Damaged files: the engine over one memtable kind against a `BTreeMap` model, with its files
//! cut, bit-flipped, removed or joined by strangers between a close and a reopen.
//!
//! One **base database** is built per WAL format (binary; JSON too outside quick mode) and
//! copied for every trial, so that each trial damages exactly one thing:
//!
//! * tables at L2 (a full `compact()`, split by a small `target_file_size`), two L0 tables
//!   (a flush before and one after a reopen), 256-byte data blocks, bloom filters;
//! * a manifest with two records (the snapshot edit of the last open, then a flush's edit);
//! * a WAL segment whose records are the last batches (one record per batch).
//!
//! Trials, each on a fresh copy of the base directory:
//!
//! 1. **WAL cut at every byte offset** from the start of the last `k` records to the end of
//!    the segment: the reopened database holds exactly the batches whose records are whole
//!    (a model of that prefix), accepts a new batch and holds it after another reopen.
//! 2. **One flipped bit** per trial in every region kind of every file: the WAL's file header
//!    and each record (frame header and payload, every record, not only the last), every
//!    SSTable data block, filter block, index block and footer, the manifest's file header and
//!    records, and `CURRENT`. Bytes: a sample of every region in quick mode, every byte with
//!    one bit in default mode, every bit of every byte in full mode. Then open, a `get` of every
//!    key ever written (plus absent ones) and a full scan must give exactly the model's answers
//!    or fail with `Error::Corruption { path, offset }` naming the damaged file and an offset
//!    inside the damaged record/block (or `Error::Incompatible` naming the file). Never a wrong
//!    answer, never a panic — and, stricter, never *undetected*: every byte of these files is
//!    under a checksum, so some operation must report the damage, except the one case the log
//!    rules define as a torn tail (`wal::record`, rules 2 and 5: the last record left with a
//!    zero-filled header end or an all-zero payload), where the database must open and hold
//!    exactly the batches before that record. A flip in a complete last WAL record is
//!    `Corruption`, not a silently dropped batch.
//! 3. After a detected flip, on a sample of trials (all of them in full mode), the original
//!    bytes are put back and the database must open and hold the whole model: the failed open
//!    (or reads) deleted or rewrote nothing that mattered.
//! 4. **Missing SSTable**: each table the manifest lists, removed in turn: open fails with
//!    `Corruption` naming that file (open is eager: it opens every table); the file put back,
//!    everything is there.
//!    `CURRENT` or the manifest removed: `Corruption` naming `CURRENT` — never a new, empty
//!    database over the old tables (which the orphan cleanup would then delete).
//! 5. **Extra SSTables**: a valid table of another database copied in under an unused number,
//!    a junk file and an empty file named like tables: the data is unchanged, no error, and the
//!    files are gone after the open (the engine deletes tables no manifest lists — orphans of
//!    unfinished flushes and compactions); new writes and a reopen work.
//!
//! Directories live under [`crate::engine_model::scratch_root`] (`/dev/shm` when present).
//! Everything is deterministic (a fixed seed per memtable kind), so a failure message names the
//! trial (file, offset, bit) and reruns the same way. Reports `VERIFY-STAT` `cuts`,
//! `bit_flips`, `corruption_detected`, `recovered_ok`, `undo_reopens`, `missing_tables`,
//! `missing_files` and `extra_tables`.
//!
//! The pieces: `base` (the base database, its batches and model), `regions` (where each
//! file's records, blocks and footer lie), `examine` (open, read everything, judge the
//! answers and errors), `wal_cuts` (trial 1), `bit_flips` (trials 2 and 3) and `files`
//! (trials 4 and 5: missing and extra files).

mod base;
mod bit_flips;
mod examine;
mod files;
mod regions;
mod wal_cuts;

use crate::{report, Mode};
use base::Base;
use bit_flips::bit_flips;
use ferrolite::{MapKind, RecordFormat};
use files::{extra_tables, missing_manifest_files, missing_tables};
use wal_cuts::wal_cuts;

/// What the run did.
#[derive(Default, Debug)]
struct Stats {
    cuts: u64,
    bit_flips: u64,
    corruption_detected: u64,
    recovered_ok: u64,
    undo_reopens: u64,
    missing_tables: u64,
    missing_files: u64,
    extra_tables: u64,
}

/// Budgets for one mode.
#[derive(Clone, Copy, Debug)]
struct Budget {
    /// WAL formats with a base database each.
    formats: &'static [RecordFormat],
    /// Cut at every offset of the last `cut_records` WAL records.
    cut_records: usize,
    /// Bytes tried per region (`None`: every byte).
    bytes_per_region: Option<usize>,
    /// Bits tried per byte (1: one, rotating with the offset; 8: all).
    bits_per_byte: u32,
    /// Put the bytes back and reopen after every `undo_every`-th detected flip.
    undo_every: u64,
}

impl Budget {
    fn for_mode(mode: Mode) -> Budget {
        mode.pick(
            Budget {
                formats: &[RecordFormat::Binary],
                cut_records: 3,
                bytes_per_region: Some(12),
                bits_per_byte: 1,
                undo_every: 16,
            },
            Budget {
                formats: &[RecordFormat::Binary, RecordFormat::Json],
                cut_records: 5,
                bytes_per_region: None,
                bits_per_byte: 1,
                undo_every: 8,
            },
            Budget {
                formats: &[RecordFormat::Binary, RecordFormat::Json],
                cut_records: 8,
                bytes_per_region: None,
                bits_per_byte: 8,
                undo_every: 1,
            },
        )
    }
}

/// Run every damage kind on the engine over memtable `kind`; panics with the trial on failure.
pub fn run(kind: MapKind, mode: Mode) {
    let budget = Budget::for_mode(mode);
    let mut st = Stats::default();
    let seed = 0x00c0_ffee ^ (MapKind::ALL.iter().position(|&k| k == kind).unwrap_or(0) as u64);
    for &format in budget.formats {
        let base = Base::build(kind, format, seed ^ format as u64);
        wal_cuts(&base, &budget, &mut st);
        bit_flips(&base, &budget, true, &mut st);
        if format == RecordFormat::Binary {
            // Tables, manifest and CURRENT do not depend on the WAL format.
            bit_flips(&base, &budget, false, &mut st);
            missing_tables(&base, &mut st);
            missing_manifest_files(&base, &mut st);
            extra_tables(&base, &mut st);
        }
    }
    println!(
        "corrupt: memtable {}, mode {mode}: {} WAL cuts, {} bit flips, {} detected, {} recovered \
         exactly, {} undo reopens, {} missing tables, {} missing CURRENT/manifest, {} extra \
         tables",
        kind.name(),
        st.cuts,
        st.bit_flips,
        st.corruption_detected,
        st.recovered_ok,
        st.undo_reopens,
        st.missing_tables,
        st.missing_files,
        st.extra_tables
    );
    report("cuts", st.cuts);
    report("bit_flips", st.bit_flips);
    report("corruption_detected", st.corruption_detected);
    report("recovered_ok", st.recovered_ok);
    report("undo_reopens", st.undo_reopens);
    report("missing_tables", st.missing_tables);
    report("missing_files", st.missing_files);
    report("extra_tables", st.extra_tables);
}
