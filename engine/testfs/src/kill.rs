//! Crash points through the file port: [`KillFs`] wraps any [`FileSystem`] and kills the
//! process at a named instant of its file operations.
//!
//! Random `SIGKILL`s from outside rarely land at the instants that matter — between a table's
//! blocks and its sync, between the manifest edit and the deletion it permits, between the new
//! `CURRENT` and the removal of the old manifest. Those instants are all file operations, so
//! the engine needs no code for them: this adapter watches the operations and names each
//! instant by the kind of file ([`FileKind`], from its name), the operation, before or after
//! it, and — for tables — the job that created the file ([`IoJob`], which the engine passes
//! with every creation). RocksDB's crash test does the same with `TEST_KILL_RANDOM` inside
//! its file writers.
//!
//! | point | instant |
//! |---|---|
//! | `wal.{before,after}_write` | a `write_all` to a WAL segment (a commit group handed to the OS) |
//! | `wal.{before,after}_sync` | a `sync_data`/`sync_all` of a WAL segment |
//! | `{flush,compaction,recovery}.after_block` | a `write_all` to a table written by that job (recovery: by `Db::open`), of which only a prefix of random length reaches the file |
//! | `{flush,compaction,recovery}.{before,after}_sync` | the sync of such a table |
//! | `manifest.{before,after}_{write,sync}` | a version edit appended to the manifest, and its sync |
//! | `current.{before,after}_rename` | the rename of `CURRENT.tmp` over `CURRENT` |
//! | `obsolete.{before,after}_delete` | the removal of a WAL segment, table or manifest |
//!
//! A point fires when one of its operations is reached and the [`Trigger`] says so: at the
//! n-th hit of the point, or at each hit with probability 1/odds (a seeded draw). Firing
//! writes `FERROLITE-KILL-POINT <name>` on its own line to standard error, so a harness can
//! count where crashes landed, and sends `SIGKILL` to the process itself: no destructor, buffer
//! flush or `atexit` handler runs, as if the machine had killed it (data already handed to the
//! OS survives, as it would a process crash). Tests can replace the kill by any action
//! ([`KillFs::with_action`]).
//!
//! [`KillFs::from_env`] arms the adapter from the environment of a crash-test child:
//! `FERROLITE_KILL_POINTS=a,b` (points equal to, or starting with, an entry; unset: all of
//! [`POINTS`]), `FERROLITE_KILL_ODDS=N` or `FERROLITE_KILL_AT=N` (the trigger; neither: never)
//! and `FERROLITE_KILL_SEED=S` (the draw's seed; default the process id).

use ferrolite::fs::{
    DirEntry, FileKind, FileLock, FileSystem, IoJob, RandomAccessFile, StdFs, WritableFile,
};
use ferrolite_structures::rng::mix;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Every kill point, in the order a write travels: the WAL, then tables, then the manifest and
/// `CURRENT`, then deletions.
pub const POINTS: &[&str] = &[
    "wal.before_write",
    "wal.after_write",
    "wal.before_sync",
    "wal.after_sync",
    "flush.after_block",
    "flush.before_sync",
    "flush.after_sync",
    "compaction.after_block",
    "compaction.before_sync",
    "compaction.after_sync",
    "recovery.after_block",
    "recovery.before_sync",
    "recovery.after_sync",
    "manifest.before_write",
    "manifest.after_write",
    "manifest.before_sync",
    "manifest.after_sync",
    "current.before_rename",
    "current.after_rename",
    "obsolete.before_delete",
    "obsolete.after_delete",
];

/// When an enabled point fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Never (the adapter only passes operations through).
    Never,
    /// At the n-th hit (1-based) of any enabled point, counted over all of them.
    Nth(u64),
    /// At each hit with probability 1/odds, drawn from the seed and the hit's number.
    Odds {
        /// One in this many hits fires.
        odds: u64,
        /// The draw's seed.
        seed: u64,
    },
}

/// What a fired point does (default: report it on standard error and `SIGKILL` the process).
pub type Action = Arc<dyn Fn(&'static str) + Send + Sync>;

/// The file-port adapter; see the module documentation. Clones share their counters.
#[derive(Clone)]
pub struct KillFs {
    inner: Arc<dyn FileSystem>,
    shared: Arc<Shared>,
}

struct Shared {
    /// Enabled points (names or prefixes); empty: all.
    only: Vec<String>,
    trigger: Trigger,
    /// Hits of enabled points so far.
    hits: AtomicU64,
    action: Action,
}

impl fmt::Debug for KillFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KillFs")
            .field("inner", &self.inner)
            .field("only", &self.shared.only)
            .field("trigger", &self.shared.trigger)
            .field("hits", &self.hits())
            .finish()
    }
}

impl KillFs {
    /// Wrap `inner`: the points named by (or starting with) an entry of `only` (all if empty)
    /// fire by `trigger`.
    pub fn new(inner: Arc<dyn FileSystem>, only: &[&str], trigger: Trigger) -> KillFs {
        KillFs {
            inner,
            shared: Arc::new(Shared {
                only: only.iter().map(|s| s.to_string()).collect(),
                trigger,
                hits: AtomicU64::new(0),
                action: Arc::new(kill_self),
            }),
        }
    }

    /// Armed from the environment (see the module documentation), over [`StdFs`].
    ///
    /// # Panics
    ///
    /// On a malformed number in `FERROLITE_KILL_{ODDS,AT,SEED}` or an unknown point in
    /// `FERROLITE_KILL_POINTS`: a crash test with a typo must not silently test nothing.
    pub fn from_env() -> KillFs {
        let number = |var: &str| {
            std::env::var(var).ok().map(|v| {
                v.trim()
                    .parse::<u64>()
                    .unwrap_or_else(|_| panic!("{var}={v:?} is not a number"))
            })
        };
        let only: Vec<String> = std::env::var("FERROLITE_KILL_POINTS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        for p in &only {
            assert!(
                POINTS.iter().any(|name| name.starts_with(p.as_str())),
                "FERROLITE_KILL_POINTS names no kill point: {p:?}"
            );
        }
        let seed = number("FERROLITE_KILL_SEED").unwrap_or_else(|| u64::from(std::process::id()));
        let trigger = match (number("FERROLITE_KILL_AT"), number("FERROLITE_KILL_ODDS")) {
            (Some(n), _) if n > 0 => Trigger::Nth(n),
            (_, Some(odds)) if odds > 0 => Trigger::Odds { odds, seed },
            _ => Trigger::Never,
        };
        let only: Vec<&str> = only.iter().map(String::as_str).collect();
        KillFs::new(Arc::new(StdFs), &only, trigger)
    }

    /// The same adapter with `action` run instead of the kill (for tests of the adapter).
    pub fn with_action(self, action: Action) -> KillFs {
        KillFs {
            inner: self.inner,
            shared: Arc::new(Shared {
                only: self.shared.only.clone(),
                trigger: self.shared.trigger,
                hits: AtomicU64::new(0),
                action,
            }),
        }
    }

    /// Hits of enabled points so far.
    pub fn hits(&self) -> u64 {
        self.shared.hits.load(Ordering::Relaxed)
    }

    fn enabled(&self, name: &str) -> bool {
        self.shared.only.is_empty() || self.shared.only.iter().any(|p| name.starts_with(p))
    }

    /// Point `name` is reached: whether it fires.
    fn fires(&self, name: &'static str) -> bool {
        debug_assert!(POINTS.contains(&name), "unknown kill point {name}");
        if !self.enabled(name) {
            return false;
        }
        // Relaxed: the counter only hands out distinct hit numbers.
        let n = self.shared.hits.fetch_add(1, Ordering::Relaxed) + 1;
        match self.shared.trigger {
            Trigger::Never => false,
            Trigger::Nth(at) => n == at,
            Trigger::Odds { odds, seed } => mix(seed ^ mix(n)).is_multiple_of(odds),
        }
    }

    /// Point `name` is reached: fire it if the trigger says so.
    fn point(&self, name: &'static str) {
        if self.fires(name) {
            (self.shared.action)(name);
        }
    }

    fn wrap(
        &self,
        file: Box<dyn WritableFile>,
        path: &Path,
        job: Option<IoJob>,
    ) -> Box<dyn WritableFile> {
        Box::new(KillFile {
            inner: file,
            fs: self.clone(),
            points: FilePoints::of(FileKind::of(path), job),
            written: 0,
        })
    }
}

/// The default action: report the point and `SIGKILL` the process.
fn kill_self(name: &'static str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "FERROLITE-KILL-POINT {name}");
    let _ = err.flush();
    // SAFETY: `getpid` has no preconditions and `kill` with a valid signal number only sends
    // a signal; SIGKILL cannot be caught, so this call does not return.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    // Unreachable in practice; if the signal could not be sent, do not carry on as if the
    // crash had happened.
    std::process::abort();
}

/// The points of one file's writes and syncs (none for files without points).
#[derive(Clone, Copy, Debug, Default)]
struct FilePoints {
    before_write: Option<&'static str>,
    after_write: Option<&'static str>,
    /// A write that fires this point reaches the file only in part (a table's blocks).
    partial_write: bool,
    before_sync: Option<&'static str>,
    after_sync: Option<&'static str>,
}

impl FilePoints {
    fn of(kind: FileKind, job: Option<IoJob>) -> FilePoints {
        let table = |job: &'static str| FilePoints {
            before_write: None,
            after_write: Some(match job {
                "flush" => "flush.after_block",
                "compaction" => "compaction.after_block",
                _ => "recovery.after_block",
            }),
            partial_write: true,
            before_sync: Some(match job {
                "flush" => "flush.before_sync",
                "compaction" => "compaction.before_sync",
                _ => "recovery.before_sync",
            }),
            after_sync: Some(match job {
                "flush" => "flush.after_sync",
                "compaction" => "compaction.after_sync",
                _ => "recovery.after_sync",
            }),
        };
        match (kind, job) {
            (FileKind::Wal, _) => FilePoints {
                before_write: Some("wal.before_write"),
                after_write: Some("wal.after_write"),
                partial_write: false,
                before_sync: Some("wal.before_sync"),
                after_sync: Some("wal.after_sync"),
            },
            (FileKind::Manifest, _) => FilePoints {
                before_write: Some("manifest.before_write"),
                after_write: Some("manifest.after_write"),
                partial_write: false,
                before_sync: Some("manifest.before_sync"),
                after_sync: Some("manifest.after_sync"),
            },
            (FileKind::Table, Some(IoJob::Flush)) => table("flush"),
            (FileKind::Table, Some(IoJob::Compaction)) => table("compaction"),
            (FileKind::Table, Some(IoJob::Open)) => table("recovery"),
            _ => FilePoints::default(),
        }
    }
}

/// A written file and its points.
struct KillFile {
    inner: Box<dyn WritableFile>,
    fs: KillFs,
    points: FilePoints,
    /// Bytes written so far (for the draw of a partial write's length).
    written: u64,
}

impl fmt::Debug for KillFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KillFile")
            .field("inner", &self.inner)
            .finish()
    }
}

impl KillFile {
    fn sync(
        &mut self,
        sync: impl FnOnce(&mut dyn WritableFile) -> io::Result<()>,
    ) -> io::Result<()> {
        if let Some(p) = self.points.before_sync {
            self.fs.point(p);
        }
        sync(self.inner.as_mut())?;
        if let Some(p) = self.points.after_sync {
            self.fs.point(p);
        }
        Ok(())
    }
}

impl WritableFile for KillFile {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(p) = self.points.before_write {
            self.fs.point(p);
        }
        match self.points.after_write {
            Some(p) if self.points.partial_write && self.fs.fires(p) => {
                // The crash lands inside this write: a prefix of it reaches the file.
                let cut = (mix(self.written ^ buf.len() as u64) % (buf.len() as u64 + 1)) as usize;
                self.inner.write_all(&buf[..cut])?;
                (self.fs.shared.action)(p);
                self.inner.write_all(&buf[cut..])?;
            }
            Some(p) if !self.points.partial_write => {
                self.inner.write_all(buf)?;
                self.fs.point(p);
            }
            _ => self.inner.write_all(buf)?,
        }
        self.written += buf.len() as u64;
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.sync(|f| f.sync_data())
    }

    fn sync_all(&mut self) -> io::Result<()> {
        self.sync(|f| f.sync_all())
    }
}

/// Whether removing `path` deletes a file the engine no longer needs.
fn obsolete(path: &Path) -> bool {
    matches!(
        FileKind::of(path),
        FileKind::Wal | FileKind::Table | FileKind::Manifest
    ) && path.extension().is_none_or(|e| e != "tmp")
}

impl FileSystem for KillFs {
    fn create_new(&self, path: &Path, job: IoJob) -> io::Result<Box<dyn WritableFile>> {
        let file = self.inner.create_new(path, job)?;
        Ok(self.wrap(file, path, Some(job)))
    }

    fn create(&self, path: &Path, job: IoJob) -> io::Result<Box<dyn WritableFile>> {
        let file = self.inner.create(path, job)?;
        Ok(self.wrap(file, path, Some(job)))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = self.inner.open_append(path)?;
        Ok(self.wrap(file, path, None))
    }

    fn open_random(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>> {
        self.inner.open_random(path)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.inner.read(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let current = FileKind::of(to) == FileKind::Current;
        if current {
            self.point("current.before_rename");
        }
        self.inner.rename(from, to)?;
        if current {
            self.point("current.after_rename");
        }
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let obsolete = obsolete(path);
        if obsolete {
            self.point("obsolete.before_delete");
        }
        self.inner.remove_file(path)?;
        if obsolete {
            self.point("obsolete.after_delete");
        }
        Ok(())
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        self.inner.truncate(path, len)
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        self.inner.list_dir(dir)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.inner.create_dir_all(dir)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.inner.exists(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.inner.sync_dir(dir)
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        self.inner.lock(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrolite::{Db, Options, SyncPolicy};
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// A `KillFs` over the real file system whose action records the points it fires.
    fn recording(only: &[&str], trigger: Trigger) -> (KillFs, Arc<Mutex<Vec<&'static str>>>) {
        let fired = Arc::new(Mutex::new(Vec::new()));
        let log = fired.clone();
        let fs = KillFs::new(Arc::new(StdFs), only, trigger)
            .with_action(Arc::new(move |p| log.lock().unwrap().push(p)));
        (fs, fired)
    }

    /// Every point is reached by an engine that opens, writes, flushes, compacts, and opens
    /// again (recovery with a WAL to replay): no point is dead.
    #[test]
    fn an_engine_run_reaches_every_point() {
        let (fs, fired) = recording(&[], Trigger::Odds { odds: 1, seed: 1 });
        let dir = tempfile::tempdir().unwrap();
        let opts = || {
            Options::default()
                .file_system(Arc::new(fs.clone()))
                .sync(SyncPolicy::EveryWrite)
                .memtable_size(4096)
                .auto_compaction(false)
        };
        {
            let db = Db::open(dir.path(), opts()).unwrap();
            for i in 0..200u32 {
                db.put(format!("k{:04}", i % 150), vec![7u8; 100]).unwrap();
            }
            db.compact().unwrap();
            db.put("after", "compaction").unwrap();
        }
        // Reopen: the WAL holding "after" is replayed into a table (recovery), and the old
        // manifest and the replayed segment are deleted.
        drop(Db::open(dir.path(), opts()).unwrap());
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for p in fired.lock().unwrap().iter() {
            *counts.entry(p).or_default() += 1;
        }
        for p in POINTS {
            assert!(counts.contains_key(p), "{p} never reached: {counts:?}");
        }
    }

    #[test]
    fn nth_fires_once_and_only_enabled_points_count() {
        let (fs, fired) = recording(&["wal.after_sync"], Trigger::Nth(3));
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(
            dir.path(),
            Options::default()
                .file_system(Arc::new(fs.clone()))
                .sync(SyncPolicy::EveryWrite),
        )
        .unwrap();
        for i in 0..5 {
            db.put(format!("k{i}"), "v").unwrap();
        }
        assert_eq!(*fired.lock().unwrap(), vec!["wal.after_sync"]);
        assert!(fs.hits() >= 5, "{}", fs.hits());
    }

    #[test]
    fn a_table_write_that_fires_is_cut_then_completed_by_a_surviving_action() {
        let fired = Arc::new(Mutex::new(Vec::new()));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("000009.sst");
        let seen = fired.clone();
        let p2 = path.clone();
        let fs = KillFs::new(Arc::new(StdFs), &["flush.after_block"], Trigger::Nth(1)).with_action(
            Arc::new(move |p| {
                // At the instant of the kill the file holds a prefix of the write.
                let len = std::fs::metadata(&p2).unwrap().len();
                seen.lock().unwrap().push((p, len));
            }),
        );
        let mut f = fs.create_new(&path, IoJob::Flush).unwrap();
        f.write_all(&[1u8; 1000]).unwrap();
        let got = fired.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "flush.after_block");
        assert!(got[0].1 <= 1000);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 1000);
    }
}
