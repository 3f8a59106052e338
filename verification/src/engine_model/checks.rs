//! The checks besides the answers: the engine's statistics against the options and the case's
//! counts, the shape of the levels right after `flush()`/`compact()`, the directory (no table
//! the version does not list, one WAL segment, no dropped version left after a compaction),
//! background work that settles at the end, and a closed database that refuses everything.

use super::ops::EngineOp;
use super::outcome::Model;
use super::session::Counts;
use super::setup::Setup;
use crate::Memtable;
use ferrolite::{CompactionStyle, Db, DbStats, MapKind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Check the engine's statistics against the options and the case's counts. `Err` says what
/// is wrong.
pub(super) fn check_stats(
    s: &DbStats,
    memtable: &Memtable,
    setup: Setup,
    c: &Counts,
) -> Result<(), String> {
    let n = setup.num_levels;
    if s.files_per_level.len() != n || s.bytes_per_level.len() != n {
        return Err(format!(
            "stats(): files_per_level {:?} / bytes_per_level {:?} should have num_levels = {n} \
             entries",
            s.files_per_level, s.bytes_per_level
        ));
    }
    for (level, (&files, &bytes)) in s.files_per_level.iter().zip(&s.bytes_per_level).enumerate() {
        if (files == 0) != (bytes == 0) {
            return Err(format!(
                "stats(): L{level} has {files} tables but {bytes} bytes"
            ));
        }
    }
    if s.memtable != memtable.name() {
        return Err(format!(
            "stats(): memtable is {:?}, the options asked for {:?}",
            s.memtable,
            memtable.name()
        ));
    }
    if s.last_seq != c.writes {
        return Err(format!(
            "stats(): last_seq is {} after {} writes (every put/delete takes one sequence \
             number, and they survive reopening)",
            s.last_seq, c.writes
        ));
    }
    if s.writes != c.session_writes || s.batches != c.session_batches {
        return Err(format!(
            "stats(): writes {} / batches {} since open, the case made {} / {}",
            s.writes, s.batches, c.session_writes, c.session_batches
        ));
    }
    if s.gets != c.session_gets {
        return Err(format!(
            "stats(): gets {} since open, the case made {}",
            s.gets, c.session_gets
        ));
    }
    if !setup.cache && s.cache_blocks != 0 {
        return Err(format!(
            "stats(): {} cached blocks with block_cache_bytes(0)",
            s.cache_blocks
        ));
    }
    if !setup.auto_compaction && s.immutable_memtables != 0 {
        return Err(format!(
            "stats(): {} frozen memtables wait with auto_compaction(false) (full memtables \
             are flushed inline)",
            s.immutable_memtables
        ));
    }
    Ok(())
}

/// How long background work may take to settle at the end of a case.
const SETTLE: Duration = Duration::from_secs(10);

/// With background work: wait until no flush or compaction is due (no frozen memtable, L0
/// under its trigger, every level above the last under its target), then until the
/// directory holds exactly the listed tables and one WAL segment. `Err` if that does not
/// happen within [`SETTLE`]: background work that never ends, or files it leaks.
pub(super) fn settle(db: &Db, setup: Setup) -> Result<(), String> {
    let opts = setup.options(&MapKind::BTree.into());
    let started = Instant::now();
    loop {
        let s = db.stats();
        let last = s.files_per_level.len() - 1;
        let scored = match opts.compaction_style {
            CompactionStyle::Leveled => last,
            CompactionStyle::SingleRun => 1, // only L0 is ever compacted automatically
        };
        let compaction_due = s.files_per_level[0] >= opts.l0_compaction_trigger
            || (1..scored).any(|l| s.bytes_per_level[l] >= opts.level_target(l));
        let due = s.immutable_memtables > 0 || (opts.compaction && compaction_due);
        let files = DirFiles::list(db.path())?;
        let listed: usize = s.files_per_level.iter().sum();
        let tidy = files.tables.len() == listed && files.wal_segments == 1;
        if !due && tidy {
            return Ok(());
        }
        if started.elapsed() > SETTLE {
            return Err(format!(
                "background work did not settle in {} s: {} frozen memtables, \
                 files_per_level {:?}, bytes_per_level {:?}; {} table files on disk for {listed} \
                 listed, {} WAL segments",
                SETTLE.as_secs(),
                s.immutable_memtables,
                s.files_per_level,
                s.bytes_per_level,
                files.tables.len(),
                files.wal_segments
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A closed database refuses every operation with `Error::Closed`, and closes again
/// without error.
pub(super) fn check_closed(db: &Db) -> Result<(), String> {
    let closed = |what: &str, r: Result<(), ferrolite::Error>| match r {
        Err(ferrolite::Error::Closed) => Ok(()),
        Err(e) => Err(format!(
            "{what} on a closed database: Err({e}), expected Err(Closed)"
        )),
        Ok(()) => Err(format!("{what} on a closed database succeeded")),
    };
    closed("put", db.put("a", "x"))?;
    closed("delete", db.delete("a"))?;
    closed("get", db.get("a").map(drop))?;
    closed("iter", db.iter().map(drop))?;
    closed("scan_prefix", db.scan_prefix("a").map(drop))?;
    closed("snapshot", db.snapshot().map(drop))?;
    closed("flush", db.flush())?;
    closed("compact", db.compact())?;
    closed("verify", db.verify().map(drop))?;
    db.close()
        .map_err(|e| format!("a second close() failed: {e}"))
}

/// Shape checks that hold only without background work: after `flush()` the memtables are
/// empty; after `compact()` only the bottom level holds tables (the last level, or L1 under
/// [`CompactionStyle::SingleRun`]).
pub(super) fn check_shape(s: &DbStats, setup: Setup, op: &EngineOp) -> Result<(), String> {
    if setup.auto_compaction {
        return Ok(());
    }
    let bottom = match setup.options(&MapKind::BTree.into()).compaction_style {
        CompactionStyle::Leveled => s.files_per_level.len() - 1,
        CompactionStyle::SingleRun => 1,
    };
    match op {
        EngineOp::Flush | EngineOp::Compact if s.memtable_bytes != 0 => Err(format!(
            "stats(): {} bytes in the active memtable right after {op}",
            s.memtable_bytes
        )),
        EngineOp::Compact
            if s.files_per_level
                .iter()
                .enumerate()
                .any(|(level, &n)| level != bottom && n > 0) =>
        {
            Err(format!(
                "stats(): files_per_level {:?} right after compact() (everything should be in \
                 L{bottom})",
                s.files_per_level
            ))
        }
        _ => Ok(()),
    }
}

/// Checks of the directory that hold only without background work, when no iterator is
/// alive: every table file on disk is one the current version lists (an obsolete table is
/// deleted as soon as no reader holds it), one WAL segment is live, and right after
/// `compact()` with `expect_clean` (no live snapshot) the tables hold exactly the model's entries (every tombstone and
/// overwritten version dropped).
pub(super) fn check_disk(
    db: &Db,
    s: &DbStats,
    setup: Setup,
    op: &EngineOp,
    expect_clean: bool,
    model: &Model,
) -> Result<(), String> {
    if setup.auto_compaction {
        return Ok(());
    }
    let listed: usize = s.files_per_level.iter().sum();
    let files = DirFiles::list(db.path())?;
    if files.tables.len() != listed {
        let mut ids: Vec<u64> = files.tables.iter().map(|t| t.0).collect();
        ids.sort_unstable();
        return Err(format!(
            "the directory holds {} table files {ids:?}, the version lists {listed} \
             (files_per_level {:?}): obsolete tables are not deleted",
            files.tables.len(),
            s.files_per_level
        ));
    }
    if files.wal_segments != 1 {
        return Err(format!(
            "the directory holds {} WAL segments; with every frozen memtable flushed only \
             the active one should remain",
            files.wal_segments
        ));
    }
    if *op == EngineOp::Compact && expect_clean {
        let total = files.table_entries()?;
        if total != model.len() as u64 {
            return Err(format!(
                "after compact() (no snapshot live) the tables \
                 hold {total} entries, the model {} keys: tombstones or overwritten versions \
                 survived",
                model.len()
            ));
        }
    }
    Ok(())
}

/// The table files and WAL segments in a database directory.
#[derive(Clone, Debug, Default)]
pub struct DirFiles {
    /// Table files: (file number, path).
    pub tables: Vec<(u64, PathBuf)>,
    /// Number of WAL segments.
    pub wal_segments: usize,
}

impl DirFiles {
    /// List `dir`.
    pub fn list(dir: &std::path::Path) -> Result<DirFiles, String> {
        let mut out = DirFiles::default();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("listing the directory: {e}"))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("listing the directory: {e}"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name
                .strip_suffix(".sst")
                .and_then(|n| n.parse::<u64>().ok())
            {
                out.tables.push((id, entry.path()));
            } else if name.ends_with(".wal") {
                out.wal_segments += 1;
            }
        }
        Ok(out)
    }

    /// Entries (versions and tombstones) in all the tables, read from their footers.
    pub fn table_entries(&self) -> Result<u64, String> {
        let fs = ferrolite::StdFs::shared();
        let mut total = 0u64;
        for (_, path) in &self.tables {
            let t = ferrolite::inspect::check_table(&fs, path)
                .map_err(|e| format!("opening table {}: {e}", path.display()))?;
            total += t.entries;
        }
        Ok(total)
    }
}
