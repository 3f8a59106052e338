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
//! 6. **The other WAL recovery modes** (`wal_modes`): trials 1–2's WAL cuts and flips opened
//!    with `WalRecovery::TolerateCorruptedTail` (a damaged last payload dropped, any other
//!    damage still refused) and `WalRecovery::PointInTime` (exactly the batches before the
//!    damage), each recovered database written to and reopened.
//!
//! Directories live under [`crate::engine_model::scratch_root`] (`/dev/shm` when present).
//! Everything is deterministic (a fixed seed per memtable kind), so a failure message names the
//! trial (file, offset, bit) and reruns the same way. Reports `VERIFY-STAT` `cuts`,
//! `bit_flips`, `corruption_detected`, `recovered_ok`, `undo_reopens`, `missing_tables`,
//! `missing_files`, `extra_tables` and `wal_mode_trials`.
//!
//! The pieces: `base` (the base database, its batches and model), `regions` (where each
//! file's records, blocks and footer lie), `examine` (open, read everything, judge the
//! answers and errors), `budget` (what each mode tries), `stats` (what a run did),
//! `wal_cuts` (trial 1), `bit_flips` (trials 2 and 3), `files` (trials 4 and 5: missing and
//! extra files), `wal_modes` (trial 6) and `run` (every trial on one memtable kind).

mod base;
mod bit_flips;
mod budget;
mod examine;
mod files;
mod regions;
mod run;
mod stats;
mod wal_cuts;
mod wal_modes;

pub use run::run;
