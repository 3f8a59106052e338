//! Judging a damaged directory: open it and read everything (every key of the universe, a full
//! scan); every answer must be the model's, every error must name the damaged file at an
//! offset inside the damaged region; plus the write–close–reopen that follows a recovery and
//! the guard that turns a panic into a failure naming the trial.

use super::base::{apply, key, to_write_batch, Batch, Model, Op, KEYS};
use ferrolite::{Db, Error, Options};
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The damage a trial made: the file and the offsets an error may name.
pub(super) struct Damage<'a> {
    pub(super) path: PathBuf,
    pub(super) range: &'a Range<u64>,
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
pub(super) enum Found {
    Nothing,
    AtOpen,
    ByRead,
}

/// Open `dir` and read everything: every get of `universe` and a full scan must give exactly
/// `model`'s answers or an error reporting `damage` (with no damage: no error at all). Returns
/// where the damage was reported and the open database (if it opened).
pub(super) fn examine(
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
pub(super) fn write_close_reopen(
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
pub(super) fn guarded(what: &str, f: impl FnOnce() -> Result<(), String>) {
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
