//! A power-loss simulator: [`PowerCutFs`] wraps any [`FileSystem`] (normally [`StdFs`] over a
//! real temporary directory), tracks what a POSIX file system would have made *durable*, and
//! [`cut`](PowerCutFs::cut) turns the real directory into a state the machine could have come
//! back with after losing power at that instant.
//!
//! ```
//! use std::sync::Arc;
//! use ferrolite::powercut::{CutMode, PowerCutFs};
//! use ferrolite::{Db, Options, SyncPolicy};
//! # fn main() -> ferrolite::Result<()> {
//! # let dir = std::env::temp_dir().join(format!("ferrolite-powercut-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! # std::fs::create_dir_all(&dir).unwrap();
//! let fs = PowerCutFs::over_std();
//! let opts = || Options::default().sync(SyncPolicy::EveryWrite);
//! let db = Db::open(&dir, opts().file_system(Arc::new(fs.clone())))?;
//! db.put("a", "1")?; // acknowledged: synced
//! let report = fs.cut(CutMode::strict()).unwrap(); // the power goes out
//! assert!(db.put("b", "2").is_err()); // the old instance can no longer touch the disk
//! drop(db);
//! let db = Db::open(&dir, opts().file_system(Arc::new(PowerCutFs::over_std())))?;
//! assert_eq!(db.get("a")?.as_deref(), Some(&b"1"[..]));
//! # let _ = report; drop(db); std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! ```
//!
//! # The model
//!
//! * **File data.** Every file written through the adapter has a durable length: the length it
//!   had when the last `sync_data`/`sync_all` *started* (bytes appended during a sync are not
//!   covered by it). Bytes beyond it may be lost. Files that already existed when the adapter
//!   first saw them are durable as found. [`FileSystem::truncate`] is durable when it returns
//!   (the port's contract: it syncs). Truncating an existing file with [`FileSystem::create`]
//!   is treated as durable at once (lenient: the old contents never come back; the engine
//!   only does that to its own temporary files, which open deletes).
//! * **Directory entries.** Creating a file, creating a directory, renaming and removing are
//!   *pending* in their parent directory until [`FileSystem::sync_dir`] of that directory
//!   returns. A pending creation may vanish (a vanished directory comes back empty: the trait
//!   cannot remove a directory, and an empty database directory is what a vanished one looks
//!   like to the engine), a pending rename may be undone (the file goes back to its old name
//!   and a replaced target comes back), and a pending removal may be undone (the file comes
//!   back, with its durable contents).
//!
//!   Removals are undoable cheaply: `remove_file` renames the file to a hidden name
//!   (`.powercut-trash-…`, never listed by [`FileSystem::list_dir`]) in the same directory,
//!   and the directory sync that makes the removal durable deletes it. A rename over an
//!   existing target first moves the target aside the same way, so for a moment the target
//!   name is absent: harmless for the engine, which renames only `CURRENT.tmp` over `CURRENT`
//!   and reads `CURRENT` only at open.
//!
//! # The cut
//!
//! [`PowerCutFs::cut`] (with a [`CutMode`]) first cuts every tracked file back to its durable
//! length — or, with [`TailMode::Prefix`], to a random length within its unsynced tail (a torn
//! write that reached the disk in part), or with [`TailMode::ZeroFill`] to such a prefix
//! followed by zero bytes (blocks allocated but never written) — then undoes the pending
//! directory operations newest first: all of them ([`CutMode::strict`]), or, with
//! `keep_dir_prefix`, all but a random prefix in order (a journal that committed part of
//! them). Garbage tails are not offered: the engine's logs treat non-zero damage as
//! corruption by design ([`crate::wal::record`]).
//!
//! After the cut the adapter is dead: every operation through it, through any file it opened
//! or through any clone of it fails with an `io::Error` and never touches the disk, so an
//! engine instance still running on it (with its background threads) can only be dropped.
//! Open the directory again on a fresh adapter.
//!
//! Every mutating operation takes one mutex (syncs run outside it): meant for tests.

use crate::fs::{DirEntry, FileLock, FileSystem, RandomAccessFile, StdFs, WritableFile};
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The prefix of the hidden names removed files wait under until their directory is synced.
pub const TRASH_PREFIX: &str = ".powercut-trash-";

/// What survives of a file's unsynced tail at a cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TailMode {
    /// Nothing: the file is cut to its durable length.
    Drop,
    /// A random prefix of the unsynced tail.
    Prefix,
    /// A random prefix of the unsynced tail, then zero bytes up to a random length no longer
    /// than the file was.
    ZeroFill,
}

/// How [`PowerCutFs::cut`] loses what was not durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutMode {
    /// What survives of unsynced file data.
    pub tail: TailMode,
    /// Keep a random prefix (in order) of the pending directory operations; `false`: undo
    /// every one of them.
    pub keep_dir_prefix: bool,
    /// Seeds the random choices.
    pub seed: u64,
}

impl CutMode {
    /// Lose everything that is not durable: every file at its durable length, every pending
    /// directory operation undone.
    pub fn strict() -> CutMode {
        CutMode {
            tail: TailMode::Drop,
            keep_dir_prefix: false,
            seed: 0,
        }
    }

    /// Torn state: random prefixes of unsynced tails (zero-filled or not) and of the pending
    /// directory operations.
    pub fn torn(seed: u64, zero_fill: bool) -> CutMode {
        CutMode {
            tail: if zero_fill {
                TailMode::ZeroFill
            } else {
                TailMode::Prefix
            },
            keep_dir_prefix: true,
            seed,
        }
    }
}

/// What one [`PowerCutFs::cut`] threw away.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CutReport {
    /// Files cut shorter than they were.
    pub files_truncated: u64,
    /// Unsynced bytes lost (cut off or replaced by zeros).
    pub lost_unsynced_bytes: u64,
    /// Zero bytes written in place of lost data ([`TailMode::ZeroFill`]).
    pub zeroed_bytes: u64,
    /// Files whose creation was undone (including files in a directory whose creation was).
    pub files_vanished: u64,
    /// Renames undone.
    pub renames_undone: u64,
    /// Removals undone (the file came back).
    pub removals_undone: u64,
    /// Directories whose creation was undone (emptied).
    pub dirs_emptied: u64,
    /// Pending directory operations kept (made durable by the cut's journal).
    pub dir_ops_kept: u64,
}

impl CutReport {
    /// Add `other`'s counts to these.
    pub fn add(&mut self, other: &CutReport) {
        self.files_truncated += other.files_truncated;
        self.lost_unsynced_bytes += other.lost_unsynced_bytes;
        self.zeroed_bytes += other.zeroed_bytes;
        self.files_vanished += other.files_vanished;
        self.renames_undone += other.renames_undone;
        self.removals_undone += other.removals_undone;
        self.dirs_emptied += other.dirs_emptied;
        self.dir_ops_kept += other.dir_ops_kept;
    }
}

impl fmt::Display for CutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} files truncated ({} unsynced bytes lost, {} zeroed), {} files vanished, {} \
             renames undone, {} removals undone, {} dirs emptied, {} dir ops kept",
            self.files_truncated,
            self.lost_unsynced_bytes,
            self.zeroed_bytes,
            self.files_vanished,
            self.renames_undone,
            self.removals_undone,
            self.dirs_emptied,
            self.dir_ops_kept
        )
    }
}

/// A directory operation not yet made durable by a sync of its directory.
#[derive(Clone, Debug)]
enum DirOp {
    Created(PathBuf),
    CreatedDir(PathBuf),
    Renamed {
        from: PathBuf,
        to: PathBuf,
        /// Where the replaced target waits.
        displaced: Option<PathBuf>,
    },
    Removed {
        path: PathBuf,
        trash: PathBuf,
    },
}

impl DirOp {
    /// The trash file this operation keeps, if any.
    fn trash(&self) -> Option<&Path> {
        match self {
            DirOp::Renamed {
                displaced: Some(t), ..
            } => Some(t),
            DirOp::Removed { trash, .. } => Some(trash),
            _ => None,
        }
    }
}

/// Lengths of one file (inode): written and durable.
#[derive(Clone, Copy, Debug, Default)]
struct Data {
    len: u64,
    synced: u64,
}

#[derive(Debug, Default)]
struct State {
    dead: bool,
    next_id: u64,
    /// File id → lengths.
    data: HashMap<u64, Data>,
    /// Current name → file id, for every file written or opened for writing through us.
    names: HashMap<PathBuf, u64>,
    /// Pending directory operations, oldest first, with their directory.
    pending: Vec<(PathBuf, DirOp)>,
    trash_seq: u64,
    /// Mutating operations so far.
    ops: u64,
    /// Cut the power before this operation number, this way.
    armed: Option<(u64, CutMode)>,
    /// The outcome of the cut, once it happened.
    last_cut: Option<Result<CutReport, String>>,
}

impl State {
    fn new_file(&mut self, path: &Path, data: Data) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.data.insert(id, data);
        self.names.insert(path.to_path_buf(), id);
        id
    }

    fn move_name(&mut self, from: &Path, to: &Path) {
        self.names.remove(to);
        if let Some(id) = self.names.remove(from) {
            self.names.insert(to.to_path_buf(), id);
        }
    }

    fn forget(&mut self, path: &Path) {
        if let Some(id) = self.names.remove(path) {
            self.data.remove(&id);
        }
    }

    fn trash_path(&mut self, path: &Path) -> PathBuf {
        self.trash_seq += 1;
        parent(path).join(format!(
            "{TRASH_PREFIX}{}-{}",
            std::process::id(),
            self.trash_seq
        ))
    }
}

#[derive(Debug)]
struct Shared {
    inner: Arc<dyn FileSystem>,
    /// Whether file and directory syncs reach `inner` (the model needs only their order).
    real_syncs: bool,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state, unless the power was cut.
    fn live(&self) -> io::Result<MutexGuard<'_, State>> {
        let st = self.state();
        if st.dead {
            return Err(dead());
        }
        Ok(st)
    }

    /// The state for a mutating operation: counted, and the armed cut happens here, before
    /// the operation, which then fails like every later one.
    fn op(&self) -> io::Result<MutexGuard<'_, State>> {
        let mut st = self.live()?;
        if let Some((at, mode)) = st.armed {
            if st.ops >= at {
                let result = cut_now(self.inner.as_ref(), &mut st, mode);
                st.last_cut = Some(result.map_err(|e| e.to_string()));
                return Err(dead());
            }
        }
        st.ops += 1;
        Ok(st)
    }
}

fn dead() -> io::Error {
    io::Error::other("power cut: this file system handle is dead")
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn is_trash(name: &str) -> bool {
    name.starts_with(TRASH_PREFIX)
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..=n`.
    fn upto(&mut self, n: u64) -> u64 {
        match n.checked_add(1) {
            Some(m) => self.next() % m,
            None => self.next(),
        }
    }
}

/// The power-loss simulator. See the module documentation. Clones share one state: cutting
/// any clone kills them all.
#[derive(Clone)]
pub struct PowerCutFs {
    shared: Arc<Shared>,
}

impl fmt::Debug for PowerCutFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.state();
        f.debug_struct("PowerCutFs")
            .field("inner", &self.shared.inner)
            .field("dead", &st.dead)
            .field("tracked_files", &st.names.len())
            .field("pending_dir_ops", &st.pending.len())
            .finish()
    }
}

impl PowerCutFs {
    /// Track durability over `inner`.
    pub fn new(inner: Arc<dyn FileSystem>) -> PowerCutFs {
        PowerCutFs::build(inner, true)
    }

    /// Track durability over `inner` without passing file and directory syncs on to it: the
    /// model only needs to know when they happened, and a test that cuts the power many times
    /// a second need not wait for the device. (What survives a *real* crash of the machine
    /// is then unknown.)
    pub fn without_real_syncs(inner: Arc<dyn FileSystem>) -> PowerCutFs {
        PowerCutFs::build(inner, false)
    }

    fn build(inner: Arc<dyn FileSystem>, real_syncs: bool) -> PowerCutFs {
        PowerCutFs {
            shared: Arc::new(Shared {
                inner,
                real_syncs,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Over the operating system's file system.
    pub fn over_std() -> PowerCutFs {
        PowerCutFs::new(StdFs::shared())
    }

    /// Whether [`cut`](Self::cut) was called.
    pub fn is_dead(&self) -> bool {
        self.shared.state().dead
    }

    /// Unsynced bytes now (what a strict cut would cut off), over all tracked files.
    pub fn unsynced_bytes(&self) -> u64 {
        let st = self.shared.state();
        st.data
            .values()
            .map(|d| d.len.saturating_sub(d.synced))
            .sum()
    }

    /// Directory operations not yet made durable.
    pub fn pending_dir_ops(&self) -> usize {
        self.shared.state().pending.len()
    }

    /// Cut the power: apply `mode`'s loss of everything not durable to the real directory
    /// (see the module documentation) and kill this adapter, its clones and its files. A
    /// second cut fails.
    pub fn cut(&self, mode: CutMode) -> io::Result<CutReport> {
        // Held through the cut: operations racing with it wait, then find the adapter dead.
        let mut st = self.shared.live()?;
        let result = cut_now(self.shared.inner.as_ref(), &mut st, mode);
        st.last_cut = Some(result.as_ref().copied().map_err(|e| e.to_string()));
        result
    }

    /// Cut the power (in `mode`) just before the mutating operation numbered `at` (counted
    /// from this adapter's creation, from 0: creates, opens to append, writes, syncs, renames,
    /// removals, truncations, directory creations and syncs); that operation and every later
    /// one fail. Lands the cut at an exact point of the engine's sequence of operations —
    /// between a rename and its directory sync, say — which a timer rarely hits. Replaces an
    /// earlier arming; arming at or below [`ops`](Self::ops) cuts at the next operation.
    pub fn arm_cut(&self, at: u64, mode: CutMode) {
        self.shared.state().armed = Some((at, mode));
    }

    /// Forget an armed cut.
    pub fn disarm_cut(&self) {
        self.shared.state().armed = None;
    }

    /// Mutating operations so far (see [`arm_cut`](Self::arm_cut)).
    pub fn ops(&self) -> u64 {
        self.shared.state().ops
    }

    /// What the cut threw away once it happened ([`cut`](Self::cut) or an armed cut), or why
    /// applying it failed.
    pub fn last_cut(&self) -> Option<Result<CutReport, String>> {
        self.shared.state().last_cut.clone()
    }

    fn writable(&self, id: u64, inner: Box<dyn WritableFile>) -> Box<dyn WritableFile> {
        Box::new(PcFile {
            shared: self.shared.clone(),
            id,
            inner,
        })
    }
}

/// Apply a power cut to the real files and mark the state dead.
fn cut_now(inner: &dyn FileSystem, guard: &mut State, mode: CutMode) -> io::Result<CutReport> {
    let st = std::mem::take(guard);
    guard.dead = true;
    guard.ops = st.ops;
    let mut rng = Rng(mode.seed ^ 0x6A09_E667_F3BC_C908);
    let mut report = CutReport::default();

    // 1. File data, at each file's current name (the inode carries its data through
    //    renames), in name order so a seed replays.
    let mut names: Vec<(&PathBuf, &u64)> = st.names.iter().collect();
    names.sort();
    for (path, id) in names {
        let Some(data) = st.data.get(id) else {
            continue;
        };
        let real = match inner.open_random(path).and_then(|f| f.len()) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let durable = data.synced.min(real);
        if real == durable {
            continue;
        }
        let (keep, zero_to) = match mode.tail {
            TailMode::Drop => (durable, durable),
            TailMode::Prefix => {
                let keep = durable + rng.upto(real - durable);
                (keep, keep)
            }
            TailMode::ZeroFill => {
                let keep = durable + rng.upto(real - durable);
                (keep, keep + rng.upto(real - keep))
            }
        };
        if keep < real {
            inner.truncate(path, keep)?;
            report.files_truncated += 1;
        }
        if zero_to > keep {
            let mut f = inner.open_append(path)?;
            f.write_all(&vec![0u8; (zero_to - keep) as usize])?;
            f.sync_all()?;
            report.zeroed_bytes += zero_to - keep;
        }
        report.lost_unsynced_bytes += real - keep;
    }

    // 2. Pending directory operations: a prefix (in order) survives, the rest is undone
    //    newest first.
    let n = st.pending.len() as u64;
    let kept = if mode.keep_dir_prefix { rng.upto(n) } else { 0 } as usize;
    report.dir_ops_kept = kept as u64;
    for (_, op) in &st.pending[..kept] {
        if let Some(trash) = op.trash() {
            remove_if_present(inner, trash)?;
        }
    }
    for (_, op) in st.pending[kept..].iter().rev() {
        match op {
            DirOp::Created(path) => {
                if remove_if_present(inner, path)? {
                    report.files_vanished += 1;
                }
            }
            DirOp::CreatedDir(dir) => {
                for entry in inner.list_dir(dir)? {
                    if !entry.is_dir {
                        inner.remove_file(&dir.join(&entry.name))?;
                        report.files_vanished += 1;
                    }
                }
                report.dirs_emptied += 1;
            }
            DirOp::Renamed {
                from,
                to,
                displaced,
            } => {
                inner.rename(to, from)?;
                if let Some(trash) = displaced {
                    inner.rename(trash, to)?;
                }
                report.renames_undone += 1;
            }
            DirOp::Removed { path, trash } => {
                inner.rename(trash, path)?;
                report.removals_undone += 1;
            }
        }
    }
    Ok(report)
}

/// Remove `path`; `false` if it was not there.
fn remove_if_present(fs: &dyn FileSystem, path: &Path) -> io::Result<bool> {
    match fs.remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// A file opened for writing through a [`PowerCutFs`].
struct PcFile {
    shared: Arc<Shared>,
    id: u64,
    inner: Box<dyn WritableFile>,
}

impl fmt::Debug for PcFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PcFile")
            .field("id", &self.id)
            .field("inner", &self.inner)
            .finish()
    }
}

impl PcFile {
    /// Sync with `sync`; what was written when it started becomes durable.
    fn sync_with(&mut self, sync: fn(&mut dyn WritableFile) -> io::Result<()>) -> io::Result<()> {
        let len = self.shared.op()?.data.get(&self.id).map_or(0, |d| d.len);
        if self.shared.real_syncs {
            sync(self.inner.as_mut())?;
        }
        let mut st = self.shared.live()?;
        if let Some(d) = st.data.get_mut(&self.id) {
            d.synced = d.synced.max(len.min(d.len));
        }
        Ok(())
    }
}

impl WritableFile for PcFile {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        // Under the lock, so no write lands after (or during) a cut.
        let mut st = self.shared.op()?;
        self.inner.write_all(buf)?;
        if let Some(d) = st.data.get_mut(&self.id) {
            d.len += buf.len() as u64;
        }
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.sync_with(|f| f.sync_data())
    }

    fn sync_all(&mut self) -> io::Result<()> {
        self.sync_with(|f| f.sync_all())
    }
}

/// A file opened for reads through a [`PowerCutFs`]: fails once the power is cut.
struct PcRandom {
    shared: Arc<Shared>,
    inner: Arc<dyn RandomAccessFile>,
}

impl fmt::Debug for PcRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl RandomAccessFile for PcRandom {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        drop(self.shared.live()?);
        self.inner.read_exact_at(buf, offset)
    }

    fn len(&self) -> io::Result<u64> {
        drop(self.shared.live()?);
        self.inner.len()
    }
}

impl FileSystem for PowerCutFs {
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let mut st = self.shared.op()?;
        let f = self.shared.inner.create_new(path)?;
        let id = st.new_file(path, Data::default());
        st.pending
            .push((parent(path), DirOp::Created(path.to_path_buf())));
        drop(st);
        Ok(self.writable(id, f))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let mut st = self.shared.op()?;
        let existed = self.shared.inner.exists(path)?;
        let f = self.shared.inner.create(path)?;
        // Truncating an existing file is treated as durable at once (module documentation).
        st.forget(path);
        let id = st.new_file(path, Data::default());
        if !existed {
            st.pending
                .push((parent(path), DirOp::Created(path.to_path_buf())));
        }
        drop(st);
        Ok(self.writable(id, f))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let mut st = self.shared.op()?;
        let f = self.shared.inner.open_append(path)?;
        let id = match st.names.get(path) {
            Some(&id) => id,
            None => {
                // First seen now: durable as found.
                let len = self.shared.inner.open_random(path)?.len()?;
                st.new_file(path, Data { len, synced: len })
            }
        };
        drop(st);
        Ok(self.writable(id, f))
    }

    fn open_random(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>> {
        drop(self.shared.live()?);
        let inner = self.shared.inner.open_random(path)?;
        Ok(Arc::new(PcRandom {
            shared: self.shared.clone(),
            inner,
        }))
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        drop(self.shared.live()?);
        self.shared.inner.read(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.shared.op()?;
        let inner = self.shared.inner.as_ref();
        if from == to {
            return inner.rename(from, to);
        }
        // Move a replaced target aside, so that undoing the rename can bring it back.
        let displaced = if inner.exists(to)? && inner.exists(from)? {
            let trash = st.trash_path(to);
            inner.rename(to, &trash)?;
            st.move_name(to, &trash);
            Some(trash)
        } else {
            None
        };
        if let Err(e) = inner.rename(from, to) {
            if let Some(trash) = &displaced {
                inner.rename(trash, to)?;
                st.move_name(trash, to);
            }
            return Err(e);
        }
        st.move_name(from, to);
        st.pending.push((
            parent(to),
            DirOp::Renamed {
                from: from.to_path_buf(),
                to: to.to_path_buf(),
                displaced,
            },
        ));
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut st = self.shared.op()?;
        let trash = st.trash_path(path);
        self.shared.inner.rename(path, &trash)?;
        st.move_name(path, &trash);
        st.pending.push((
            parent(path),
            DirOp::Removed {
                path: path.to_path_buf(),
                trash,
            },
        ));
        Ok(())
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let mut st = self.shared.op()?;
        self.shared.inner.truncate(path, len)?;
        if let Some(id) = st.names.get(path).copied() {
            // The port's truncate syncs: the new length is durable.
            st.data.insert(id, Data { len, synced: len });
        }
        Ok(())
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        drop(self.shared.live()?);
        let mut entries = self.shared.inner.list_dir(dir)?;
        entries.retain(|e| !is_trash(&e.name));
        Ok(entries)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.shared.op()?;
        let inner = self.shared.inner.as_ref();
        let mut missing = Vec::new();
        let mut d = dir;
        while !d.as_os_str().is_empty() && !inner.exists(d)? {
            missing.push(d.to_path_buf());
            match d.parent() {
                Some(p) => d = p,
                None => break,
            }
        }
        inner.create_dir_all(dir)?;
        for created in missing.into_iter().rev() {
            st.pending
                .push((parent(&created), DirOp::CreatedDir(created)));
        }
        Ok(())
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        drop(self.shared.live()?);
        self.shared.inner.exists(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        // Under the lock: the operations pending when the sync returns are the durable ones.
        let mut st = self.shared.op()?;
        let inner = self.shared.inner.as_ref();
        if self.shared.real_syncs {
            inner.sync_dir(dir)?;
        } else if !inner.exists(dir)? {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no directory {}", dir.display()),
            ));
        }
        let pending = std::mem::take(&mut st.pending);
        for (d, op) in pending {
            if d != dir {
                st.pending.push((d, op));
                continue;
            }
            if let Some(trash) = op.trash() {
                remove_if_present(inner, trash)?;
                st.forget(trash);
            }
        }
        // Leftovers of an earlier adapter dropped without a cut: their removals are durable
        // now too.
        let referenced: Vec<PathBuf> = st
            .pending
            .iter()
            .filter_map(|(_, op)| op.trash().map(Path::to_path_buf))
            .collect();
        for entry in inner.list_dir(dir)? {
            let path = dir.join(&entry.name);
            if is_trash(&entry.name) && !entry.is_dir && !referenced.contains(&path) {
                remove_if_present(inner, &path)?;
            }
        }
        Ok(())
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        drop(self.shared.live()?);
        self.shared.inner.lock(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PowerCutFs) {
        (tempfile::tempdir().unwrap(), PowerCutFs::over_std())
    }

    #[test]
    fn simulated_syncs_follow_the_same_model() {
        let dir = tempfile::tempdir().unwrap();
        let fs = PowerCutFs::without_real_syncs(StdFs::shared());
        let kept = durable_file(&fs, dir.path(), "kept", b"synced");
        let mut f = fs.open_append(&kept).unwrap();
        f.write_all(b"+lost").unwrap();
        let mut g = fs.create_new(&dir.path().join("new")).unwrap();
        g.sync_data().unwrap();
        assert!(fs.sync_dir(&dir.path().join("missing")).is_err());
        fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&kept).unwrap(), b"synced");
        assert_eq!(real(&dir.path().join("new")), None);
    }

    fn real(path: &Path) -> Option<Vec<u8>> {
        std::fs::read(path).ok()
    }

    /// A synced, dir-synced file `name` holding `data`.
    fn durable_file(fs: &PowerCutFs, dir: &Path, name: &str, data: &[u8]) -> PathBuf {
        let p = dir.join(name);
        let mut f = fs.create_new(&p).unwrap();
        f.write_all(data).unwrap();
        f.sync_data().unwrap();
        fs.sync_dir(dir).unwrap();
        p
    }

    #[test]
    fn unsynced_data_is_lost_and_synced_data_stays() {
        let (dir, fs) = setup();
        let p = durable_file(&fs, dir.path(), "a", b"durable");
        let mut f = fs.open_append(&p).unwrap();
        f.write_all(b" and more").unwrap();
        f.sync_all().unwrap();
        f.write_all(b" lost").unwrap();
        assert_eq!(fs.unsynced_bytes(), 5);
        assert_eq!(real(&p).unwrap(), b"durable and more lost");
        let r = fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&p).unwrap(), b"durable and more");
        assert_eq!((r.files_truncated, r.lost_unsynced_bytes), (1, 5));
    }

    #[test]
    fn files_first_seen_by_open_append_are_durable_as_found() {
        let (dir, fs) = setup();
        let p = dir.path().join("old");
        std::fs::write(&p, b"from before").unwrap();
        let mut f = fs.open_append(&p).unwrap();
        f.write_all(b"!").unwrap();
        fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&p).unwrap(), b"from before");
    }

    #[test]
    fn a_new_file_vanishes_without_a_dir_sync_even_if_its_data_was_synced() {
        let (dir, fs) = setup();
        let kept = durable_file(&fs, dir.path(), "kept", b"x");
        let p = dir.path().join("new");
        let mut f = fs.create_new(&p).unwrap();
        f.write_all(b"synced data").unwrap();
        f.sync_data().unwrap();
        assert_eq!(fs.pending_dir_ops(), 1);
        let r = fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&p), None);
        assert_eq!(real(&kept).unwrap(), b"x");
        assert_eq!(r.files_vanished, 1);
    }

    #[test]
    fn a_dir_synced_file_without_data_sync_stays_empty() {
        let (dir, fs) = setup();
        let p = dir.path().join("f");
        let mut f = fs.create_new(&p).unwrap();
        f.write_all(b"unsynced").unwrap();
        fs.sync_dir(dir.path()).unwrap();
        fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&p).unwrap(), b"");
    }

    #[test]
    fn a_rename_without_a_dir_sync_is_undone_and_the_old_target_comes_back() {
        let (dir, fs) = setup();
        let target = durable_file(&fs, dir.path(), "CURRENT", b"old\n");
        let tmp = dir.path().join("CURRENT.tmp");
        let mut f = fs.create(&tmp).unwrap();
        f.write_all(b"new\n").unwrap();
        f.sync_all().unwrap();
        drop(f);
        fs.rename(&tmp, &target).unwrap();
        assert_eq!(real(&target).unwrap(), b"new\n");
        // The old target is hidden while the rename is pending.
        let names: Vec<_> = fs
            .list_dir(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, vec!["CURRENT".to_string()]);
        let r = fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&target).unwrap(), b"old\n");
        assert_eq!(
            real(&tmp),
            None,
            "the temporary file's creation was undone too"
        );
        assert_eq!((r.renames_undone, r.files_vanished), (1, 1));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no trash left behind");
    }

    #[test]
    fn a_rename_onto_a_new_name_is_undone_to_absent() {
        let (dir, fs) = setup();
        let a = durable_file(&fs, dir.path(), "a", b"data");
        let b = dir.path().join("b");
        fs.rename(&a, &b).unwrap();
        fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&a).unwrap(), b"data");
        assert_eq!(real(&b), None);
    }

    #[test]
    fn a_synced_rename_is_durable_and_the_replaced_file_is_gone() {
        let (dir, fs) = setup();
        let target = durable_file(&fs, dir.path(), "t", b"old");
        let src = durable_file(&fs, dir.path(), "s", b"new");
        fs.rename(&src, &target).unwrap();
        fs.sync_dir(dir.path()).unwrap();
        let r = fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&target).unwrap(), b"new");
        assert_eq!(real(&src), None);
        assert_eq!(r, CutReport::default());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_removal_without_a_dir_sync_is_undone_with_durable_contents() {
        let (dir, fs) = setup();
        let p = durable_file(&fs, dir.path(), "gone", b"kept");
        let mut f = fs.open_append(&p).unwrap();
        f.write_all(b" not synced").unwrap();
        drop(f);
        fs.remove_file(&p).unwrap();
        assert!(!fs.exists(&p).unwrap());
        assert!(fs.list_dir(dir.path()).unwrap().is_empty());
        assert_eq!(
            fs.remove_file(&p).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        let r = fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&p).unwrap(), b"kept");
        assert_eq!(r.removals_undone, 1);
    }

    #[test]
    fn a_synced_removal_is_durable_and_frees_the_trash() {
        let (dir, fs) = setup();
        let p = durable_file(&fs, dir.path(), "gone", b"x");
        fs.remove_file(&p).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1); // the trash
        fs.sync_dir(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&p), None);
    }

    #[test]
    fn a_new_directory_comes_back_empty_unless_its_parent_was_synced() {
        let (root, fs) = setup();
        let db = root.path().join("db");
        fs.create_dir_all(&db).unwrap();
        durable_file(&fs, &db, "f", b"synced in its directory");
        let r = fs.cut(CutMode::strict()).unwrap();
        assert_eq!(std::fs::read_dir(&db).unwrap().count(), 0);
        assert_eq!((r.dirs_emptied, r.files_vanished), (1, 1));

        let fs = PowerCutFs::over_std();
        let db2 = root.path().join("db2");
        fs.create_dir_all(&db2).unwrap();
        fs.sync_dir(root.path()).unwrap();
        let f = durable_file(&fs, &db2, "f", b"here");
        fs.cut(CutMode::strict()).unwrap();
        assert_eq!(real(&f).unwrap(), b"here");
    }

    #[test]
    fn operations_after_the_cut_fail_without_touching_the_disk() {
        let (dir, fs) = setup();
        let p = durable_file(&fs, dir.path(), "a", b"abc");
        let mut w = fs.open_append(&p).unwrap();
        let r = fs.open_random(&p).unwrap();
        let clone = fs.clone();
        fs.cut(CutMode::strict()).unwrap();
        assert!(fs.is_dead() && clone.is_dead());
        assert!(w.write_all(b"zzz").is_err());
        assert!(w.sync_data().is_err());
        assert!(r.read_exact_at(&mut [0u8; 1], 0).is_err());
        assert!(clone.create_new(&dir.path().join("b")).is_err());
        assert!(clone.remove_file(&p).is_err());
        assert!(clone.list_dir(dir.path()).is_err());
        assert!(clone.sync_dir(dir.path()).is_err());
        assert!(fs.cut(CutMode::strict()).is_err());
        assert_eq!(real(&p).unwrap(), b"abc");
        assert!(!dir.path().join("b").exists());
    }

    #[test]
    fn torn_modes_keep_a_prefix_of_the_tail_or_zeros() {
        for seed in 0..40u64 {
            for zero_fill in [false, true] {
                let (dir, fs) = setup();
                let p = durable_file(&fs, dir.path(), "a", b"0123");
                let mut f = fs.open_append(&p).unwrap();
                f.write_all(b"456789").unwrap();
                let r = fs.cut(CutMode::torn(seed, zero_fill)).unwrap();
                let got = real(&p).unwrap();
                assert!(got.len() >= 4 && got.len() <= 10, "{got:?}");
                assert_eq!(&got[..4], b"0123");
                let nonzero = got[4..].iter().take_while(|&&b| b != 0).count();
                assert_eq!(&got[4..4 + nonzero], &b"456789"[..nonzero]);
                assert!(got[4 + nonzero..].iter().all(|&b| b == 0));
                if !zero_fill {
                    assert_eq!(r.zeroed_bytes, 0);
                }
                assert_eq!(r.lost_unsynced_bytes, 10 - nonzero as u64 - 4);
            }
        }
    }

    #[test]
    fn torn_dir_ops_keep_a_prefix_in_order() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..40u64 {
            let (dir, fs) = setup();
            let names = ["a", "b", "c", "d"];
            for n in names {
                let mut f = fs.create_new(&dir.path().join(n)).unwrap();
                f.sync_data().unwrap();
            }
            let r = fs.cut(CutMode::torn(seed, false)).unwrap();
            let present: Vec<bool> = names.iter().map(|n| dir.path().join(n).exists()).collect();
            let k = present.iter().take_while(|&&p| p).count();
            assert!(present[k..].iter().all(|&p| !p), "{present:?}");
            assert_eq!(r.dir_ops_kept, k as u64);
            seen.insert(k);
        }
        assert!(seen.len() >= 3, "prefixes seen: {seen:?}");
    }

    #[test]
    fn an_armed_cut_lands_before_the_chosen_operation() {
        // Ops: 0 create, 1 write, 2 sync, 3 sync_dir, 4 rename, 5 sync_dir.
        let run = |at: u64| {
            let (dir, fs) = setup();
            fs.arm_cut(at, CutMode::strict());
            let (a, b) = (dir.path().join("a"), dir.path().join("b"));
            let steps = || -> io::Result<()> {
                let mut f = fs.create_new(&a)?;
                f.write_all(b"data")?;
                f.sync_data()?;
                fs.sync_dir(dir.path())?;
                fs.rename(&a, &b)?;
                fs.sync_dir(dir.path())
            };
            let ok = steps().is_ok();
            assert_eq!(ok, at >= 6, "at {at}");
            assert_eq!(fs.is_dead(), at < 6);
            assert_eq!(fs.last_cut().is_some(), at < 6);
            (real(&a), real(&b))
        };
        assert_eq!(run(0), (None, None));
        assert_eq!(run(3), (None, None)); // created and synced, but not in the directory
        assert_eq!(run(4), (Some(b"data".to_vec()), None));
        assert_eq!(run(5), (Some(b"data".to_vec()), None)); // the rename is undone
        assert_eq!(run(6), (None, Some(b"data".to_vec())));
    }

    #[test]
    fn create_then_remove_then_cut_leaves_nothing() {
        let (dir, fs) = setup();
        let p = dir.path().join("x");
        let mut f = fs.create_new(&p).unwrap();
        f.write_all(b"1").unwrap();
        drop(f);
        fs.remove_file(&p).unwrap();
        fs.cut(CutMode::strict()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
