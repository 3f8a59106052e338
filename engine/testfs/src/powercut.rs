//! A power-loss simulator: [`PowerCutFs`] wraps any [`FileSystem`] (normally [`StdFs`] over a
//! real temporary directory), tracks what a POSIX file system would have made *durable*, and
//! [`cut`](PowerCutFs::cut) turns the real directory into a state the machine could have come
//! back with after losing power at that instant.
//!
//! ```
//! use std::sync::Arc;
//! use ferrolite_testfs::powercut::{CutMode, PowerCutFs};
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
//! corruption by design (the engine's `wal/record` rules).
//!
//! After the cut the adapter is dead: every operation through it, through any file it opened
//! or through any clone of it fails with an `io::Error` and never touches the disk, so an
//! engine instance still running on it (with its background threads) can only be dropped.
//! Open the directory again on a fresh adapter.
//!
//! Every mutating operation takes one mutex (syncs run outside it): meant for tests.

use ferrolite::fs::{DirEntry, FileLock, FileSystem, IoJob, RandomAccessFile, StdFs, WritableFile};
use model::{cut_now, is_trash, parent, remove_if_present, Data, DirOp, Shared, State};
pub use modes::{CutMode, CutReport, TailMode, TRASH_PREFIX};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
    fn create_new(&self, path: &Path, job: IoJob) -> io::Result<Box<dyn WritableFile>> {
        let mut st = self.shared.op()?;
        let f = self.shared.inner.create_new(path, job)?;
        let id = st.new_file(path, Data::default());
        st.pending
            .push((parent(path), DirOp::Created(path.to_path_buf())));
        drop(st);
        Ok(self.writable(id, f))
    }

    fn create(&self, path: &Path, job: IoJob) -> io::Result<Box<dyn WritableFile>> {
        let mut st = self.shared.op()?;
        let existed = self.shared.inner.exists(path)?;
        let f = self.shared.inner.create(path, job)?;
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

mod model;
mod modes;
#[cfg(test)]
mod tests;
