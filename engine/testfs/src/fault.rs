//! A fault-injecting file system: [`FaultFs`] wraps any [`FileSystem`], counts every
//! operation by kind and by file class, and fails the operations its armed rules pick.
//!
//! ```
//! use std::sync::Arc;
//! use ferrolite::fs::FileKind;
//! use ferrolite_testfs::fault::{FaultFs, FaultRule, OpKind};
//! use ferrolite::{Db, Options};
//! # fn main() -> ferrolite::Result<()> {
//! # let dir = tempfile_dir();
//! let fault = FaultFs::over_std();
//! let db = Db::open(&dir, Options::default().file_system(Arc::new(fault.clone())))?;
//! db.put("a", "1")?;
//! // The second WAL write from now fails with EIO.
//! fault.arm(FaultRule::eio().on(&[OpKind::Write]).class(&[FileKind::Wal]).nth(1));
//! db.put("b", "2")?;
//! assert!(db.put("c", "3").is_err());
//! assert_eq!(fault.counts().injected, 1);
//! assert!(db.put("d", "4").is_err()); // refused until reopened
//! assert_eq!(db.get("b")?.as_deref(), Some(&b"2"[..]));
//! # drop(db); std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! # fn tempfile_dir() -> std::path::PathBuf {
//! #     let d = std::env::temp_dir().join(format!("ferrolite-fault-doc-{}", std::process::id()));
//! #     let _ = std::fs::remove_dir_all(&d);
//! #     d
//! # }
//! ```
//!
//! # Rules
//!
//! A [`FaultRule`] matches operations by kind ([`OpKind`]; none given: any) and by the class
//! of the file they touch ([`FileKind`], from the file name; none given: any), and fails the
//! `nth` matching operation (0-based) counted from when it was armed, with an injected
//! `io::Error`: [`Injected::Eio`] (one-shot, a transient device error), [`Injected::StorageFull`]
//! (`ErrorKind::StorageFull`), or any kind and message. A rule made
//! [`sticky`](FaultRule::sticky) keeps failing after it fired: every later operation of the
//! sticky kinds fails too, until [`FaultFs::disarm`] — a full disk ([`FaultRule::full_disk`]:
//! every later create and write fails). A failing write can first write a prefix of its buffer
//! ([`FaultRule::short_write`]): a short write before the error, as a real `ENOSPC` leaves.
//!
//! # Counting and tracing
//!
//! [`FaultFs::counts`] returns the operations seen since the last [`FaultFs::reset_counts`],
//! per kind and class, and how many failures were injected. With [`FaultFs::start_trace`]
//! every operation is also recorded in order ([`OpRecord`]): run a step once to learn its
//! operations, then rerun it with a fault at each of them.
//!
//! Every operation takes one uncontended mutex: meant for tests and experiments, not for
//! measuring speed.

use ferrolite::fs::{
    DirEntry, FileKind, FileLock, FileSystem, IoJob, RandomAccessFile, StdFs, WritableFile,
};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The kinds of file-system operation [`FaultFs`] counts and can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// Creating a file for writing ([`FileSystem::create_new`], [`FileSystem::create`]).
    Create,
    /// Opening an existing file ([`FileSystem::open_append`], [`FileSystem::open_random`]).
    Open,
    /// One write of a writable file.
    Write,
    /// `fdatasync` or `fsync` of a writable file.
    Sync,
    /// A positional read of a table, or reading a whole file ([`FileSystem::read`]).
    Read,
    /// [`FileSystem::rename`].
    Rename,
    /// [`FileSystem::remove_file`].
    Remove,
    /// [`FileSystem::truncate`].
    Truncate,
    /// [`FileSystem::list_dir`].
    List,
    /// [`FileSystem::sync_dir`].
    SyncDir,
    /// [`FileSystem::lock`].
    Lock,
    /// [`FileSystem::create_dir_all`] and [`FileSystem::exists`].
    Metadata,
}

impl OpKind {
    /// Every kind, in declaration order.
    pub const ALL: [OpKind; 12] = [
        OpKind::Create,
        OpKind::Open,
        OpKind::Write,
        OpKind::Sync,
        OpKind::Read,
        OpKind::Rename,
        OpKind::Remove,
        OpKind::Truncate,
        OpKind::List,
        OpKind::SyncDir,
        OpKind::Lock,
        OpKind::Metadata,
    ];

    /// A short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Open => "open",
            OpKind::Write => "write",
            OpKind::Sync => "sync",
            OpKind::Read => "read",
            OpKind::Rename => "rename",
            OpKind::Remove => "remove",
            OpKind::Truncate => "truncate",
            OpKind::List => "list",
            OpKind::SyncDir => "syncdir",
            OpKind::Lock => "lock",
            OpKind::Metadata => "metadata",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The position of `kind` in [`FileKind::ALL`] (the column of the counts table).
fn kind_index(kind: FileKind) -> usize {
    FileKind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("every kind is listed")
}

/// The error an armed rule injects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Injected {
    /// A device error (`EIO`), kind `Other`.
    Eio,
    /// No space left on the device (`ENOSPC`), kind `StorageFull`.
    StorageFull,
    /// Any kind and message.
    Custom {
        /// The error's kind.
        kind: io::ErrorKind,
        /// Its message.
        message: String,
    },
}

impl Injected {
    /// The `io::Error` to return.
    pub fn to_io_error(&self) -> io::Error {
        match self {
            Injected::Eio => io::Error::other("injected fault: input/output error (EIO)"),
            Injected::StorageFull => io::Error::new(
                io::ErrorKind::StorageFull,
                "injected fault: no space left on device (ENOSPC)",
            ),
            Injected::Custom { kind, message } => io::Error::new(*kind, message.clone()),
        }
    }
}

/// How much of its buffer a failing write writes before it fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShortWrite {
    /// At most this many bytes (never the whole buffer).
    Bytes(usize),
    /// Half of the buffer, rounded down.
    Half,
}

impl ShortWrite {
    fn prefix(self, len: usize) -> usize {
        match self {
            ShortWrite::Bytes(n) => n.min(len.saturating_sub(1)),
            ShortWrite::Half => len / 2,
        }
    }
}

/// Which operation to fail and how. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    ops: Vec<OpKind>,
    classes: Vec<FileKind>,
    nth: u64,
    error: Injected,
    sticky: Option<Vec<OpKind>>,
    short_write: Option<ShortWrite>,
}

impl FaultRule {
    /// Fail the first matching operation once with `error` (refine with the other methods).
    pub fn new(error: Injected) -> FaultRule {
        FaultRule {
            ops: Vec::new(),
            classes: Vec::new(),
            nth: 0,
            error,
            sticky: None,
            short_write: None,
        }
    }

    /// A one-shot `EIO`.
    pub fn eio() -> FaultRule {
        FaultRule::new(Injected::Eio)
    }

    /// A full disk: `StorageFull`, sticky for every later create and write.
    pub fn full_disk() -> FaultRule {
        FaultRule::new(Injected::StorageFull).sticky(&[OpKind::Create, OpKind::Write])
    }

    /// Match only these operation kinds (default: any).
    #[must_use]
    pub fn on(mut self, ops: &[OpKind]) -> FaultRule {
        self.ops = ops.to_vec();
        self
    }

    /// Match only operations on these file classes (default: any).
    #[must_use]
    pub fn class(mut self, classes: &[FileKind]) -> FaultRule {
        self.classes = classes.to_vec();
        self
    }

    /// Fail the `n`-th matching operation from arming, 0-based (default 0: the first).
    #[must_use]
    pub fn nth(mut self, n: u64) -> FaultRule {
        self.nth = n;
        self
    }

    /// After firing, keep failing every operation of `kinds` (any file) until disarmed.
    #[must_use]
    pub fn sticky(mut self, kinds: &[OpKind]) -> FaultRule {
        self.sticky = Some(kinds.to_vec());
        self
    }

    /// When the operation that fires is a write, write this prefix of its buffer first.
    #[must_use]
    pub fn short_write(mut self, short: ShortWrite) -> FaultRule {
        self.short_write = Some(short);
        self
    }

    /// The injected error.
    pub fn error(&self) -> &Injected {
        &self.error
    }

    fn matches(&self, kind: OpKind, class: FileKind) -> bool {
        (self.ops.is_empty() || self.ops.contains(&kind))
            && (self.classes.is_empty() || self.classes.contains(&class))
    }
}

/// One operation seen while tracing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpRecord {
    /// Position among the operations counted since the last reset, 0-based.
    pub index: u64,
    /// What it was.
    pub kind: OpKind,
    /// The class of its file.
    pub class: FileKind,
    /// Its path (the source for a rename).
    pub path: PathBuf,
    /// Whether a fault was injected into it.
    pub injected: bool,
}

impl fmt::Display for OpRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {} {} {}{}",
            self.index,
            self.kind,
            self.class,
            self.path.display(),
            if self.injected { " (failed)" } else { "" }
        )
    }
}

/// Operation counts of a [`FaultFs`] since its last reset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    by: [[u64; FileKind::ALL.len()]; OpKind::ALL.len()],
    /// Every operation.
    pub total: u64,
    /// Operations failed by a rule (sticky failures included).
    pub injected: u64,
}

impl FaultCounts {
    /// Operations of `kind` on files of `class`.
    pub fn get(&self, kind: OpKind, class: FileKind) -> u64 {
        self.by[kind.index()][kind_index(class)]
    }

    /// Operations of `kind`, on any file.
    pub fn of_kind(&self, kind: OpKind) -> u64 {
        self.by[kind.index()].iter().sum()
    }

    /// Operations on files of `class`, of any kind.
    pub fn of_class(&self, class: FileKind) -> u64 {
        self.by.iter().map(|row| row[kind_index(class)]).sum()
    }
}

impl fmt::Display for FaultCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ops, {} injected:", self.total, self.injected)?;
        for kind in OpKind::ALL {
            for class in FileKind::ALL {
                let n = self.get(kind, class);
                if n > 0 {
                    write!(f, " {kind}/{class}={n}")?;
                }
            }
        }
        Ok(())
    }
}

struct Armed {
    rule: FaultRule,
    /// Matching operations seen since armed.
    seen: u64,
    fired: bool,
}

#[derive(Default)]
struct State {
    counts: FaultCounts,
    rules: Vec<Armed>,
    /// A fired sticky rule: the kinds that keep failing, and the error.
    stuck: Option<(Vec<OpKind>, Injected)>,
    trace: Option<Vec<OpRecord>>,
}

/// What to do with one operation.
enum Verdict {
    Pass,
    Fail(io::Error, Option<ShortWrite>),
}

/// A [`FileSystem`] that counts operations and fails the ones armed rules pick. Clones share
/// their counts and rules: keep one to arm while the database owns another.
#[derive(Clone)]
pub struct FaultFs {
    inner: Arc<dyn FileSystem>,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for FaultFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state();
        f.debug_struct("FaultFs")
            .field("inner", &self.inner)
            .field("ops", &st.counts.total)
            .field("injected", &st.counts.injected)
            .field("rules", &st.rules.len())
            .field("stuck", &st.stuck.is_some())
            .finish()
    }
}

impl FaultFs {
    /// Wrap `inner`; no rule armed.
    pub fn new(inner: Arc<dyn FileSystem>) -> FaultFs {
        FaultFs {
            inner,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Wrap the operating system's file system.
    pub fn over_std() -> FaultFs {
        FaultFs::new(Arc::new(StdFs))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Add `rule`; its `nth` counts matching operations from now.
    pub fn arm(&self, rule: FaultRule) {
        self.state().rules.push(Armed {
            rule,
            seen: 0,
            fired: false,
        });
    }

    /// Remove every rule and end a sticky failure (the disk has room again).
    pub fn disarm(&self) {
        let mut st = self.state();
        st.rules.clear();
        st.stuck = None;
    }

    /// Whether a sticky rule has fired and not been disarmed.
    pub fn is_stuck(&self) -> bool {
        self.state().stuck.is_some()
    }

    /// Counts since the last reset.
    pub fn counts(&self) -> FaultCounts {
        self.state().counts.clone()
    }

    /// Zero the counts (operation indices restart at 0); rules stay armed.
    pub fn reset_counts(&self) {
        let mut st = self.state();
        st.counts = FaultCounts::default();
        if let Some(t) = &mut st.trace {
            t.clear();
        }
    }

    /// Record every operation from now on (see [`take_trace`](Self::take_trace)).
    pub fn start_trace(&self) {
        self.state().trace = Some(Vec::new());
    }

    /// The operations recorded since [`start_trace`](Self::start_trace); stops tracing.
    pub fn take_trace(&self) -> Vec<OpRecord> {
        self.state().trace.take().unwrap_or_default()
    }

    /// Count the operation and decide whether it fails.
    fn check(&self, kind: OpKind, path: &Path) -> Verdict {
        let class = FileKind::of(path);
        let mut st = self.state();
        let index = st.counts.total;
        st.counts.total += 1;
        st.counts.by[kind.index()][kind_index(class)] += 1;
        let mut verdict = Verdict::Pass;
        if let Some((kinds, error)) = &st.stuck {
            if kinds.contains(&kind) {
                verdict = Verdict::Fail(error.to_io_error(), None);
            }
        }
        let mut newly_stuck = None;
        for armed in st.rules.iter_mut().filter(|a| !a.fired) {
            if !armed.rule.matches(kind, class) {
                continue;
            }
            if armed.seen == armed.rule.nth {
                armed.fired = true;
                if let Some(kinds) = &armed.rule.sticky {
                    newly_stuck = Some((kinds.clone(), armed.rule.error.clone()));
                }
                if matches!(verdict, Verdict::Pass) {
                    let short = (kind == OpKind::Write)
                        .then_some(armed.rule.short_write)
                        .flatten();
                    verdict = Verdict::Fail(armed.rule.error.to_io_error(), short);
                }
            } else {
                armed.seen += 1;
            }
        }
        if newly_stuck.is_some() {
            st.stuck = newly_stuck;
        }
        let injected = matches!(verdict, Verdict::Fail(..));
        if injected {
            st.counts.injected += 1;
        }
        if let Some(trace) = &mut st.trace {
            trace.push(OpRecord {
                index,
                kind,
                class,
                path: path.to_path_buf(),
                injected,
            });
        }
        verdict
    }

    /// `Err` if the operation fails (no short writes outside `write_all`).
    fn gate(&self, kind: OpKind, path: &Path) -> io::Result<()> {
        match self.check(kind, path) {
            Verdict::Pass => Ok(()),
            Verdict::Fail(e, _) => Err(e),
        }
    }

    fn writable(&self, path: &Path, inner: Box<dyn WritableFile>) -> Box<dyn WritableFile> {
        Box::new(FaultFile {
            fs: self.clone(),
            path: path.to_path_buf(),
            inner,
        })
    }
}

/// A writable file whose writes and syncs go through the rules.
struct FaultFile {
    fs: FaultFs,
    path: PathBuf,
    inner: Box<dyn WritableFile>,
}

impl fmt::Debug for FaultFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultFile")
            .field("path", &self.path)
            .finish()
    }
}

impl WritableFile for FaultFile {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self.fs.check(OpKind::Write, &self.path) {
            Verdict::Pass => self.inner.write_all(buf),
            Verdict::Fail(e, short) => {
                if let Some(short) = short {
                    let n = short.prefix(buf.len());
                    if n > 0 {
                        let _ = self.inner.write_all(&buf[..n]);
                    }
                }
                Err(e)
            }
        }
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.fs.gate(OpKind::Sync, &self.path)?;
        self.inner.sync_data()
    }

    fn sync_all(&mut self) -> io::Result<()> {
        self.fs.gate(OpKind::Sync, &self.path)?;
        self.inner.sync_all()
    }
}

/// A random-access file whose reads go through the rules.
struct FaultRandom {
    fs: FaultFs,
    path: PathBuf,
    inner: Arc<dyn RandomAccessFile>,
}

impl fmt::Debug for FaultRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultRandom")
            .field("path", &self.path)
            .finish()
    }
}

impl RandomAccessFile for FaultRandom {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.fs.gate(OpKind::Read, &self.path)?;
        self.inner.read_exact_at(buf, offset)
    }

    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
}

impl FileSystem for FaultFs {
    fn create_new(&self, path: &Path, job: IoJob) -> io::Result<Box<dyn WritableFile>> {
        self.gate(OpKind::Create, path)?;
        Ok(self.writable(path, self.inner.create_new(path, job)?))
    }

    fn create(&self, path: &Path, job: IoJob) -> io::Result<Box<dyn WritableFile>> {
        self.gate(OpKind::Create, path)?;
        Ok(self.writable(path, self.inner.create(path, job)?))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        self.gate(OpKind::Open, path)?;
        Ok(self.writable(path, self.inner.open_append(path)?))
    }

    fn open_random(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>> {
        self.gate(OpKind::Open, path)?;
        Ok(Arc::new(FaultRandom {
            fs: self.clone(),
            path: path.to_path_buf(),
            inner: self.inner.open_random(path)?,
        }))
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.gate(OpKind::Read, path)?;
        self.inner.read(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.gate(OpKind::Rename, to)?;
        self.inner.rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.gate(OpKind::Remove, path)?;
        self.inner.remove_file(path)
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        self.gate(OpKind::Truncate, path)?;
        self.inner.truncate(path, len)
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        self.gate(OpKind::List, dir)?;
        self.inner.list_dir(dir)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.gate(OpKind::Metadata, dir)?;
        self.inner.create_dir_all(dir)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.gate(OpKind::Metadata, path)?;
        self.inner.exists(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.gate(OpKind::SyncDir, dir)?;
        self.inner.sync_dir(dir)
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        self.gate(OpKind::Lock, path)?;
        self.inner.lock(path)
    }
}

#[cfg(test)]
mod tests;
