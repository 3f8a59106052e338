//! The simulator's model: the durable length of every file written through it, the
//! directory operations not yet made durable by a directory sync, and the cut that turns the
//! real directory into what a machine could come back with.

use super::modes::{CutMode, CutReport, TailMode, TRASH_PREFIX};
use ferrolite::fs::FileSystem;
use ferrolite_structures::rng::SplitMix;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// A directory operation not yet made durable by a sync of its directory.
#[derive(Clone, Debug)]
pub(super) enum DirOp {
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
    pub(super) fn trash(&self) -> Option<&Path> {
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
pub(super) struct Data {
    pub(super) len: u64,
    pub(super) synced: u64,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) dead: bool,
    pub(super) next_id: u64,
    /// File id → lengths.
    pub(super) data: HashMap<u64, Data>,
    /// Current name → file id, for every file written or opened for writing through us.
    pub(super) names: HashMap<PathBuf, u64>,
    /// Pending directory operations, oldest first, with their directory.
    pub(super) pending: Vec<(PathBuf, DirOp)>,
    pub(super) trash_seq: u64,
    /// Mutating operations so far.
    pub(super) ops: u64,
    /// Cut the power before this operation number, this way.
    pub(super) armed: Option<(u64, CutMode)>,
    /// The outcome of the cut, once it happened.
    pub(super) last_cut: Option<Result<CutReport, String>>,
}

impl State {
    pub(super) fn new_file(&mut self, path: &Path, data: Data) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.data.insert(id, data);
        self.names.insert(path.to_path_buf(), id);
        id
    }

    pub(super) fn move_name(&mut self, from: &Path, to: &Path) {
        self.names.remove(to);
        if let Some(id) = self.names.remove(from) {
            self.names.insert(to.to_path_buf(), id);
        }
    }

    pub(super) fn forget(&mut self, path: &Path) {
        if let Some(id) = self.names.remove(path) {
            self.data.remove(&id);
        }
    }

    pub(super) fn trash_path(&mut self, path: &Path) -> PathBuf {
        self.trash_seq += 1;
        parent(path).join(format!(
            "{TRASH_PREFIX}{}-{}",
            std::process::id(),
            self.trash_seq
        ))
    }
}

#[derive(Debug)]
pub(super) struct Shared {
    pub(super) inner: Arc<dyn FileSystem>,
    /// Whether file and directory syncs reach `inner` (the model needs only their order).
    pub(super) real_syncs: bool,
    pub(super) state: Mutex<State>,
}

impl Shared {
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state, unless the power was cut.
    pub(super) fn live(&self) -> io::Result<MutexGuard<'_, State>> {
        let st = self.state();
        if st.dead {
            return Err(dead());
        }
        Ok(st)
    }

    /// The state for a mutating operation: counted, and the armed cut happens here, before
    /// the operation, which then fails like every later one.
    pub(super) fn op(&self) -> io::Result<MutexGuard<'_, State>> {
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

pub(super) fn dead() -> io::Error {
    io::Error::other("power cut: this file system handle is dead")
}

pub(super) fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

pub(super) fn is_trash(name: &str) -> bool {
    name.starts_with(TRASH_PREFIX)
}

/// Apply a power cut to the real files and mark the state dead.
pub(super) fn cut_now(
    inner: &dyn FileSystem,
    guard: &mut State,
    mode: CutMode,
) -> io::Result<CutReport> {
    let st = std::mem::take(guard);
    guard.dead = true;
    guard.ops = st.ops;
    let mut rng = SplitMix::new(mode.seed ^ 0x6A09_E667_F3BC_C908);
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
                let keep = durable + rng.range(0, real - durable);
                (keep, keep)
            }
            TailMode::ZeroFill => {
                let keep = durable + rng.range(0, real - durable);
                (keep, keep + rng.range(0, real - keep))
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
    let kept = if mode.keep_dir_prefix {
        rng.range(0, n)
    } else {
        0
    } as usize;
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
pub(super) fn remove_if_present(fs: &dyn FileSystem, path: &Path) -> io::Result<bool> {
    match fs.remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}
