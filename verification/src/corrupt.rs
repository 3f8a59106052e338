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

use crate::engine_model::scratch_root;
use crate::rng::SplitMix as Rng;
use crate::{report, Mode};
use ferrolite::inspect::{self, LOG_HEADER_LEN, RECORD_HEADER_LEN};
use ferrolite::{Db, Error, MapKind, Options, RecordFormat, WriteBatch};
use std::collections::BTreeMap;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// One operation of a batch.
#[derive(Clone, Debug)]
enum Op {
    Put(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
}

type Batch = Vec<Op>;

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

/// Keys `k0000..k0119`.
const KEYS: u64 = 120;

fn key(i: u64) -> Vec<u8> {
    format!("k{i:04}").into_bytes()
}

fn random_batch(rng: &mut Rng) -> Batch {
    let n = 1 + rng.below(4);
    (0..n)
        .map(|_| {
            let k = key(rng.below(KEYS));
            if rng.below(4) == 0 {
                return Op::Delete(k);
            }
            let len = match rng.below(20) {
                0..=1 => 0,
                2..=7 => 1 + rng.below(8),
                8..=16 => 8 + rng.below(40),
                _ => 48 + rng.below(150),
            };
            Op::Put(k, rng.bytes(len as usize))
        })
        .collect()
}

fn apply(model: &mut Model, batch: &Batch) {
    for op in batch {
        match op {
            Op::Put(k, v) => {
                model.insert(k.clone(), v.clone());
            }
            Op::Delete(k) => {
                model.remove(k);
            }
        }
    }
}

fn to_write_batch(batch: &Batch) -> WriteBatch {
    let mut wb = WriteBatch::new();
    for op in batch {
        match op {
            Op::Put(k, v) => wb.put(k.clone(), v.clone()),
            Op::Delete(k) => wb.delete(k.clone()),
        };
    }
    wb
}

/// What a region of a file is, for messages and for the expected outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RegionKind {
    LogHeader,
    LogRecord,
    DataBlock,
    FilterBlock,
    IndexBlock,
    Footer,
    Current,
}

/// A byte range of one file whose damage must be reported at an offset inside it.
#[derive(Clone, Debug)]
struct Region {
    kind: RegionKind,
    /// The file's name in the database directory.
    file: String,
    range: Range<u64>,
    /// For log records: whether it is the last record of the file.
    last: bool,
}

/// A closed database to copy for each trial, with the model of everything written.
struct Base {
    kind: MapKind,
    format: RecordFormat,
    dir: tempfile::TempDir,
    batches: Vec<Batch>,
    /// Index of the first batch whose record is in the WAL.
    wal_first: usize,
    wal: String,
    wal_records: Vec<u64>,
    wal_len: u64,
    tables: Vec<String>,
    regions: Vec<Region>,
    universe: Vec<Vec<u8>>,
}

fn options(kind: MapKind, format: RecordFormat) -> Options {
    Options::default()
        .memtable(kind)
        .memtable_size(64 << 20)
        .auto_compaction(false)
        .block_size(256)
        .target_file_size(4096)
        .level1_size(4096)
        .num_levels(3)
        .wal_format(format)
        .table_format(RecordFormat::Binary)
}

fn scratch(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("ferrolite-corrupt-{tag}-"))
        .tempdir_in(scratch_root())
        .unwrap_or_else(|e| panic!("creating a scratch directory: {e}"))
}

/// Copy a closed database directory (everything but `LOCK`).
fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("listing the base directory") {
        let entry = entry.expect("listing the base directory");
        if entry.file_name() != "LOCK" {
            std::fs::copy(entry.path(), to.join(entry.file_name()))
                .unwrap_or_else(|e| panic!("copying {}: {e}", entry.path().display()));
        }
    }
}

fn names_ending(dir: &Path, suffix: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("listing a database directory")
        .map(|e| {
            e.expect("listing")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(suffix))
        .collect();
    out.sort();
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn varint(b: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = b[*pos];
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// The regions of a binary table, read from its footer and index block as documented in
/// `ferrolite::sstable` (footer: filter handle, index handle; blocks followed by 5-byte
/// trailers; index entries `[key_len varint][val_len varint][key][handle: offset u64, size
/// u32]`, then the u32 entry offsets and the u32 count).
fn table_regions(name: &str, bytes: &[u8]) -> Vec<Region> {
    const TRAILER: u64 = 5;
    let len = bytes.len() as u64;
    let footer = &bytes[bytes.len() - 64..];
    assert_eq!(&footer[56..], b"FLITESST", "{name}: not a table");
    let (f_off, f_size) = (u64_at(footer, 0), u64::from(u32_at(footer, 8)));
    let (i_off, i_size) = (u64_at(footer, 12), u64::from(u32_at(footer, 20)));
    let region = |kind, range: Range<u64>| Region {
        kind,
        file: name.to_string(),
        range,
        last: false,
    };
    let mut out = Vec::new();
    let index = &bytes[i_off as usize..(i_off + i_size) as usize];
    let count = u32_at(index, index.len() - 4) as usize;
    let offsets = index.len() - 4 - 4 * count;
    let mut data_end = 0;
    for i in 0..count {
        let mut pos = u32_at(index, offsets + 4 * i) as usize;
        let klen = varint(index, &mut pos) as usize;
        let vlen = varint(index, &mut pos) as usize;
        assert_eq!(vlen, 12, "{name}: index entry {i}");
        let h = pos + klen;
        let (off, size) = (u64_at(index, h), u64::from(u32_at(index, h + 8)));
        assert_eq!(off, data_end, "{name}: data blocks tile the file");
        data_end = off + size + TRAILER;
        out.push(region(RegionKind::DataBlock, off..data_end));
    }
    if f_size > 0 || f_off > 0 {
        assert_eq!(f_off, data_end, "{name}: the filter follows the data");
        out.push(region(
            RegionKind::FilterBlock,
            f_off..f_off + f_size + TRAILER,
        ));
    }
    assert_eq!(
        i_off + i_size + TRAILER,
        len - 64,
        "{name}: index ends at the footer"
    );
    out.push(region(
        RegionKind::IndexBlock,
        i_off..i_off + i_size + TRAILER,
    ));
    out.push(region(RegionKind::Footer, len - 64..len));
    out
}

/// The regions of a framed log: its 16-byte header and each record.
fn log_regions(name: &str, path: &Path) -> (Vec<Region>, Vec<u64>) {
    let contents = inspect::read_log(&ferrolite::StdFs::shared(), path)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        contents.torn_tail.is_none(),
        "{name}: the base log is whole"
    );
    let len = std::fs::metadata(path).expect("log size").len();
    let offsets: Vec<u64> = contents.records.iter().map(|r| r.offset).collect();
    let mut out = vec![Region {
        kind: RegionKind::LogHeader,
        file: name.to_string(),
        range: 0..LOG_HEADER_LEN as u64,
        last: false,
    }];
    for (i, &o) in offsets.iter().enumerate() {
        let end = offsets.get(i + 1).copied().unwrap_or(len);
        out.push(Region {
            kind: RegionKind::LogRecord,
            file: name.to_string(),
            range: o..end,
            last: i + 1 == offsets.len(),
        });
    }
    (out, offsets)
}

impl Base {
    fn build(kind: MapKind, format: RecordFormat, seed: u64) -> Base {
        let dir = scratch("base");
        let opts = options(kind, format);
        let mut rng = Rng(seed);
        let mut batches = Vec::new();
        let mut write = |db: &Db, n: usize, batches: &mut Vec<Batch>| {
            for _ in 0..n {
                let b = random_batch(&mut rng);
                db.write(to_write_batch(&b))
                    .unwrap_or_else(|e| panic!("{kind}: building the base: {e}"));
                batches.push(b);
            }
        };
        {
            let db = Db::open(dir.path(), opts.clone()).expect("opening the base");
            write(&db, 40, &mut batches);
            db.compact().expect("compacting the base");
            write(&db, 25, &mut batches);
            db.flush().expect("flushing the base");
            db.close().expect("closing the base");
        }
        let wal_first;
        {
            let db = Db::open(dir.path(), opts.clone()).expect("reopening the base");
            write(&db, 20, &mut batches);
            db.flush().expect("flushing the base");
            wal_first = batches.len();
            write(&db, 8, &mut batches);
            db.close().expect("closing the base");
        }
        let wals = names_ending(dir.path(), ".wal");
        assert_eq!(wals.len(), 1, "{kind}: one WAL segment in the base");
        let wal = wals[0].clone();
        let wal_path = dir.path().join(&wal);
        let (mut regions, wal_records) = log_regions(&wal, &wal_path);
        assert_eq!(
            wal_records.len(),
            batches.len() - wal_first,
            "{kind}: one WAL record per batch"
        );
        let wal_len = std::fs::metadata(&wal_path).expect("WAL size").len();
        let manifest = std::fs::read_to_string(dir.path().join("CURRENT"))
            .expect("reading CURRENT")
            .trim_end()
            .to_string();
        let (m, m_records) = log_regions(&manifest, &dir.path().join(&manifest));
        assert_eq!(m_records.len(), 2, "{kind}: snapshot edit + one flush edit");
        regions.extend(m);
        let tables = names_ending(dir.path(), ".sst");
        assert!(tables.len() >= 3, "{kind}: tables in the base: {tables:?}");
        for t in &tables {
            let bytes = std::fs::read(dir.path().join(t)).expect("reading a table");
            regions.extend(table_regions(t, &bytes));
        }
        let current_len = std::fs::metadata(dir.path().join("CURRENT"))
            .expect("CURRENT")
            .len();
        regions.push(Region {
            kind: RegionKind::Current,
            file: "CURRENT".into(),
            range: 0..current_len,
            last: false,
        });
        let mut universe: Vec<Vec<u8>> = (0..KEYS).map(key).collect();
        universe.extend([
            b"a".to_vec(),
            b"k0000\0".to_vec(),
            b"k9999".to_vec(),
            b"z".to_vec(),
        ]);
        Base {
            kind,
            format,
            dir,
            batches,
            wal_first,
            wal,
            wal_records,
            wal_len,
            tables,
            regions,
            universe,
        }
    }

    fn opts(&self) -> Options {
        options(self.kind, self.format)
    }

    /// The model after the first `n` batches.
    fn model(&self, n: usize) -> Model {
        let mut m = Model::new();
        for b in &self.batches[..n] {
            apply(&mut m, b);
        }
        m
    }

    fn copy(&self) -> tempfile::TempDir {
        let d = scratch("trial");
        copy_dir(self.dir.path(), d.path());
        d
    }

    fn label(&self) -> String {
        format!(
            "memtable {}, WAL format {:?}",
            self.kind.name(),
            self.format
        )
    }
}

/// The damage a trial made: the file and the offsets an error may name.
struct Damage<'a> {
    path: PathBuf,
    range: &'a Range<u64>,
}

/// Check that `e` reports `damage`: `Corruption` naming the file at an offset in the range, or
/// `Incompatible` naming the file.
fn check_error(e: &Error, damage: &Damage<'_>) -> Result<(), String> {
    match e {
        Error::Corruption { path, offset, .. } => {
            if *path != damage.path {
                return Err(format!(
                    "Corruption names {} instead of the damaged {}: {e}",
                    path.display(),
                    damage.path.display()
                ));
            }
            if !damage.range.contains(offset) {
                return Err(format!(
                    "Corruption at offset {offset}, outside the damaged region {:?}: {e}",
                    damage.range
                ));
            }
            Ok(())
        }
        Error::Incompatible { path, .. } if *path == damage.path => Ok(()),
        other => Err(format!(
            "expected Corruption or Incompatible, got {other:?}"
        )),
    }
}

/// Where a damage was reported.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Nothing,
    AtOpen,
    ByRead,
}

/// Open `dir` and read everything: every get of `universe` and a full scan must give exactly
/// `model`'s answers or an error reporting `damage` (with no damage: no error at all). Returns
/// where the damage was reported and the open database (if it opened).
fn examine(
    dir: &Path,
    opts: &Options,
    model: &Model,
    universe: &[Vec<u8>],
    damage: Option<&Damage<'_>>,
) -> Result<(Found, Option<Db>), String> {
    let report_err = |e: &Error, what: &str| match damage {
        Some(d) => check_error(e, d).map_err(|m| format!("{what}: {m}")),
        None => Err(format!(
            "{what}: unexpected error on an undamaged database: {e}"
        )),
    };
    let db = match Db::open(dir, opts.clone()) {
        Ok(db) => db,
        Err(e) => {
            report_err(&e, "open")?;
            return Ok((Found::AtOpen, None));
        }
    };
    let mut found = Found::Nothing;
    for k in universe {
        match db.get(k) {
            Ok(got) => {
                if got.as_deref() != model.get(k).map(|v| &v[..]) {
                    return Err(format!(
                        "WRONG ANSWER: get({}) = {:?}, the model says {:?}",
                        String::from_utf8_lossy(k),
                        got.map(|v| v.len()),
                        model.get(k).map(|v| v.len())
                    ));
                }
            }
            Err(e) => {
                report_err(&e, &format!("get({})", String::from_utf8_lossy(k)))?;
                found = Found::ByRead;
            }
        }
    }
    let iter = match db.iter() {
        Ok(it) => Some(it),
        Err(e) => {
            report_err(&e, "iter()")?;
            found = Found::ByRead;
            None
        }
    };
    if let Some(iter) = iter {
        let mut expected = model.iter();
        let mut seen = 0usize;
        let mut failed = false;
        for item in iter {
            match item {
                Ok((k, v)) => {
                    // Entries before an error are exactly the model's first entries, in order.
                    let want = expected.next();
                    if want.map(|(wk, wv)| (&wk[..], &wv[..])) != Some((&k[..], &v[..])) {
                        return Err(format!(
                            "WRONG ANSWER: scan entry {seen} is {} ({} bytes), the model's is \
                             {:?}",
                            String::from_utf8_lossy(&k),
                            v.len(),
                            want.map(|(wk, _)| String::from_utf8_lossy(wk).into_owned())
                        ));
                    }
                    seen += 1;
                }
                Err(e) => {
                    report_err(&e, &format!("scan after {seen} entries"))?;
                    found = Found::ByRead;
                    failed = true;
                    break;
                }
            }
        }
        if !failed && seen != model.len() {
            return Err(format!(
                "WRONG ANSWER: the scan ended after {seen} entries, the model has {}",
                model.len()
            ));
        }
    }
    Ok((found, Some(db)))
}

/// After a successful open holding `model`: write one more batch, close, reopen, and check
/// the model with it.
fn write_close_reopen(
    db: Db,
    dir: &Path,
    opts: &Options,
    model: &Model,
    universe: &[Vec<u8>],
    tag: u64,
) -> Result<(), String> {
    let mut model = model.clone();
    let batch: Batch = vec![
        Op::Put(
            format!("after-{tag}").into_bytes(),
            tag.to_le_bytes().to_vec(),
        ),
        Op::Delete(key(tag % KEYS)),
        Op::Put(key((tag * 7 + 3) % KEYS), b"rewritten".to_vec()),
    ];
    db.write(to_write_batch(&batch))
        .map_err(|e| format!("a write after recovery failed: {e}"))?;
    apply(&mut model, &batch);
    db.close()
        .map_err(|e| format!("close after recovery: {e}"))?;
    drop(db);
    let mut keys = universe.to_vec();
    keys.push(format!("after-{tag}").into_bytes());
    match examine(dir, opts, &model, &keys, None)? {
        (Found::Nothing, Some(db)) => {
            db.close().map_err(|e| format!("close: {e}"))?;
            Ok(())
        }
        (found, _) => Err(format!("second reopen: {found:?}")),
    }
}

/// Run `f`, turning a panic (of the engine or of a check) into a failure naming `what`.
fn guarded(what: &str, f: impl FnOnce() -> Result<(), String>) {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {}
        Ok(Err(msg)) => panic!("{what}: {msg}"),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{what}: PANIC: {msg}")
        }
    }
}

fn truncate(path: &Path, len: u64) {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    f.set_len(len)
        .unwrap_or_else(|e| panic!("truncating {}: {e}", path.display()));
}

/// 1. Cut the WAL at every offset from the start of its last `k` records to its end.
fn wal_cuts(base: &Base, budget: &Budget, st: &mut Stats) {
    let records = &base.wal_records;
    let k = budget.cut_records.min(records.len());
    let from = records[records.len() - k];
    let ends: Vec<u64> = records
        .iter()
        .skip(1)
        .copied()
        .chain([base.wal_len])
        .collect();
    for cut in from..=base.wal_len {
        let whole = ends.iter().take_while(|&&e| e <= cut).count();
        let model = base.model(base.wal_first + whole);
        let what = format!(
            "{}: WAL {} cut at byte {cut} of {} ({whole} of {} records whole)",
            base.label(),
            base.wal,
            base.wal_len,
            records.len()
        );
        guarded(&what, || {
            let dir = base.copy();
            truncate(&dir.path().join(&base.wal), cut);
            let opts = base.opts();
            match examine(dir.path(), &opts, &model, &base.universe, None)? {
                (Found::Nothing, Some(db)) => {
                    write_close_reopen(db, dir.path(), &opts, &model, &base.universe, cut)
                }
                (found, _) => Err(format!("{found:?}")),
            }
        });
        st.cuts += 1;
        st.recovered_ok += 1;
    }
}

/// The bytes of `region` a trial damages under `budget`: all of them, or a sample — the
/// first and last bytes (headers, trailers, checksums) and evenly spaced ones between.
fn sample(range: &Range<u64>, budget: &Budget) -> Vec<u64> {
    let len = range.end - range.start;
    match budget.bytes_per_region {
        Some(n) if len > n as u64 => {
            let n = n as u64;
            let edge = (n / 3).max(1);
            let mut out: Vec<u64> = (0..edge).map(|i| range.start + i).collect();
            out.extend((0..edge).map(|i| range.end - 1 - i));
            let middle = n - 2 * edge;
            for i in 0..middle {
                out.push(range.start + edge + (len - 2 * edge) * (i + 1) / (middle + 1));
            }
            out.sort_unstable();
            out.dedup();
            out
        }
        _ => range.clone().collect(),
    }
}

fn bits(at: u64, budget: &Budget) -> Vec<u8> {
    if budget.bits_per_byte >= 8 {
        (0..8).collect()
    } else {
        (0..budget.bits_per_byte)
            .map(|i| ((at * 5 + u64::from(i) * 3) % 8) as u8)
            .collect()
    }
}

/// Whether flipping leaves the WAL's last record looking like an unfinished write
/// (`wal::record` rules 2 and 5): zeros from its header's last byte on, or an all-zero payload
/// with nothing but zeros after it.
fn torn_signature(damaged: &[u8], region: &Region, at: u64) -> bool {
    if !region.last {
        return false;
    }
    let start = region.range.start as usize;
    let header_end = start + RECORD_HEADER_LEN;
    if (at as usize) < header_end {
        damaged[header_end - 1..].iter().all(|&b| b == 0)
    } else {
        damaged[header_end..].iter().all(|&b| b == 0)
    }
}

/// 2 and 3. One flipped bit per trial in every region of every file.
fn bit_flips(base: &Base, budget: &Budget, wal_only: bool, st: &mut Stats) {
    let full = base.model(base.batches.len());
    let mut detected = 0u64;
    for region in &base.regions {
        let is_wal = region.file == base.wal;
        if wal_only != is_wal {
            continue;
        }
        let original = std::fs::read(base.dir.path().join(&region.file))
            .unwrap_or_else(|e| panic!("reading {}: {e}", region.file));
        for at in sample(&region.range, budget) {
            for bit in bits(at, budget) {
                let what = format!(
                    "{}: bit {bit} of byte {at} flipped in {} ({:?} {:?}{})",
                    base.label(),
                    region.file,
                    region.kind,
                    region.range,
                    if region.last { ", the last record" } else { "" }
                );
                let mut damaged = original.clone();
                damaged[at as usize] ^= 1 << bit;
                let torn = is_wal && torn_signature(&damaged, region, at);
                let undo = detected.is_multiple_of(budget.undo_every);
                let mut was_detected = false;
                guarded(&what, || {
                    let dir = base.copy();
                    let path = dir.path().join(&region.file);
                    std::fs::write(&path, &damaged).map_err(|e| format!("writing: {e}"))?;
                    let opts = base.opts();
                    let damage = Damage {
                        path: path.clone(),
                        range: &region.range,
                    };
                    if torn {
                        // By the log rules an unfinished write: every batch before it.
                        let model = base.model(base.batches.len() - 1);
                        return match examine(dir.path(), &opts, &model, &base.universe, None)? {
                            (Found::Nothing, Some(db)) => write_close_reopen(
                                db,
                                dir.path(),
                                &opts,
                                &model,
                                &base.universe,
                                at,
                            ),
                            (found, _) => Err(format!("torn tail: {found:?}")),
                        };
                    }
                    let (found, db) =
                        examine(dir.path(), &opts, &full, &base.universe, Some(&damage))?;
                    if let Some(db) = db {
                        db.close().map_err(|e| format!("close: {e}"))?;
                    }
                    let must_fail_open = !matches!(region.kind, RegionKind::DataBlock);
                    match found {
                        Found::Nothing => {
                            return Err("UNDETECTED: every get and the scan gave the model's \
                                        answers, but the damage was not reported"
                                .into())
                        }
                        Found::ByRead if must_fail_open => {
                            return Err(format!(
                                "the open did not detect damage to a {:?}, which it reads",
                                region.kind
                            ))
                        }
                        _ => {}
                    }
                    was_detected = true;
                    if undo {
                        // Put the bytes back: the failed open or reads lost nothing.
                        std::fs::write(&path, &original)
                            .map_err(|e| format!("undoing the damage: {e}"))?;
                        match examine(dir.path(), &opts, &full, &base.universe, None)? {
                            (Found::Nothing, Some(db)) => {
                                db.close().map_err(|e| format!("close: {e}"))?
                            }
                            (found, _) => return Err(format!("after undoing: {found:?}")),
                        }
                    }
                    Ok(())
                });
                st.bit_flips += 1;
                if was_detected {
                    detected += 1;
                    st.corruption_detected += 1;
                    if undo {
                        st.undo_reopens += 1;
                    }
                } else {
                    st.recovered_ok += 1;
                }
            }
        }
    }
}

/// 4. Each table the manifest lists, removed: open names it; put back, all is there.
fn missing_tables(base: &Base, st: &mut Stats) {
    let full = base.model(base.batches.len());
    for t in &base.tables {
        let what = format!("{}: table {t} removed", base.label());
        guarded(&what, || {
            let dir = base.copy();
            let path = dir.path().join(t);
            let saved = std::fs::read(&path).map_err(|e| e.to_string())?;
            std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            match Db::open(dir.path(), base.opts()) {
                Err(Error::Corruption { path: p, .. }) if p == path => {}
                Err(e) => return Err(format!("expected Corruption naming {t}, got {e:?}")),
                Ok(_) => return Err("OPENED without a table the manifest lists".into()),
            }
            std::fs::write(&path, saved).map_err(|e| e.to_string())?;
            match examine(dir.path(), &base.opts(), &full, &base.universe, None)? {
                (Found::Nothing, Some(db)) => db.close().map_err(|e| e.to_string()),
                (found, _) => Err(format!("after putting it back: {found:?}")),
            }
        });
        st.missing_tables += 1;
        st.corruption_detected += 1;
    }
}

/// 4b. `CURRENT` or the manifest removed: open fails with `Corruption` naming `CURRENT` (it
/// does not start a new database over the tables, which would delete them); put back, all is
/// there.
fn missing_manifest_files(base: &Base, st: &mut Stats) {
    let full = base.model(base.batches.len());
    let manifest = std::fs::read_to_string(base.dir.path().join("CURRENT"))
        .expect("reading CURRENT")
        .trim_end()
        .to_string();
    for name in ["CURRENT".to_string(), manifest] {
        let what = format!("{}: {name} removed", base.label());
        guarded(&what, || {
            let dir = base.copy();
            let path = dir.path().join(&name);
            let saved = std::fs::read(&path).map_err(|e| e.to_string())?;
            std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            let current = dir.path().join("CURRENT");
            match Db::open(dir.path(), base.opts()) {
                Err(Error::Corruption { path: p, .. }) if p == current => {}
                Err(e) => return Err(format!("expected Corruption naming CURRENT, got {e:?}")),
                Ok(_) => return Err("OPENED without its file list".into()),
            }
            std::fs::write(&path, saved).map_err(|e| e.to_string())?;
            match examine(dir.path(), &base.opts(), &full, &base.universe, None)? {
                (Found::Nothing, Some(db)) => db.close().map_err(|e| e.to_string()),
                (found, _) => Err(format!("after putting it back: {found:?}")),
            }
        });
        st.missing_files += 1;
        st.corruption_detected += 1;
    }
}

/// 5. Tables no manifest lists: a valid one from another database, junk, an empty file.
fn extra_tables(base: &Base, st: &mut Stats) {
    let full = base.model(base.batches.len());
    // A valid table of another database, with keys that collide with ours.
    let other = scratch("other");
    {
        let db = Db::open(other.path(), base.opts()).expect("opening the other database");
        for i in 0..KEYS {
            db.put(key(i), b"from another database".to_vec())
                .expect("writing the other database");
        }
        db.flush().expect("flushing the other database");
    }
    let foreign = names_ending(other.path(), ".sst");
    assert!(!foreign.is_empty());
    let foreign = std::fs::read(other.path().join(&foreign[0])).expect("reading its table");
    let top: u64 = base
        .tables
        .iter()
        .filter_map(|t| t.trim_end_matches(".sst").parse().ok())
        .max()
        .unwrap_or(0);
    let cases: Vec<(&str, String, Vec<u8>)> = vec![
        (
            "a valid table of another database",
            format!("{:06}.sst", top + 50),
            foreign.clone(),
        ),
        (
            "a valid foreign table numbered below ours",
            "000000.sst".into(),
            foreign,
        ),
        (
            "junk named like a table",
            format!("{:06}.sst", top + 51),
            Rng(7).bytes(3000),
        ),
        (
            "an empty file named like a table",
            format!("{:06}.sst", top + 52),
            Vec::new(),
        ),
    ];
    for (i, (name, file, bytes)) in cases.into_iter().enumerate() {
        let what = format!("{}: extra file {file}: {name}", base.label());
        guarded(&what, || {
            let dir = base.copy();
            std::fs::write(dir.path().join(&file), &bytes).map_err(|e| e.to_string())?;
            let opts = base.opts();
            match examine(dir.path(), &opts, &full, &base.universe, None)? {
                (Found::Nothing, Some(db)) => {
                    if dir.path().join(&file).exists() {
                        return Err("the extra file is still there after open".into());
                    }
                    // New tables get numbers that clash with nothing.
                    db.flush().map_err(|e| format!("flush: {e}"))?;
                    write_close_reopen(db, dir.path(), &opts, &full, &base.universe, 900 + i as u64)
                }
                (found, _) => Err(format!("{found:?}")),
            }
        });
        st.extra_tables += 1;
        st.recovered_ok += 1;
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
