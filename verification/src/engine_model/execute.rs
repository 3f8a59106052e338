//! Running one case: [`execute`] opens a fresh database in a scratch directory, applies the
//! operations one by one (through [`step`](super::step::step)) while keeping what lives between
//! two opens (a [`Session`]: live snapshots with their copies of the model, held iterators),
//! runs the checks after every operation, handles `Reopen` and the final read-everything,
//! close, reopen, close; optionally writing a transcript, one aligned line per step.

use super::checks::{check_closed, check_disk, check_shape, check_stats, settle};
use super::config::DIR_VAR;
use super::ops::EngineOp;
use super::outcome::{collect, model_scan, Model};
use super::session::{Counts, Session};
use super::setup::Setup;
use super::step::step;
use crate::Memtable;
use ferrolite::Db;
use std::fmt::{self, Write as _};
use std::ops::Bound;
use std::path::PathBuf;

/// A transcript writer: one aligned line per step.
struct Transcript<'t> {
    out: Option<&'t mut String>,
    width: usize,
}

impl Transcript<'_> {
    fn line(&mut self, label: &str, text: &str, got: &dyn fmt::Display, want: Option<&str>) {
        let width = self.width;
        if let Some(t) = self.out.as_deref_mut() {
            let _ = write!(t, "  {label:>5} {text:<width$} -> {got}");
            match want {
                Some(w) => {
                    let _ = writeln!(
                        t,
                        "\n        {:width$}    but {w}   <-- first divergence",
                        ""
                    );
                }
                None => t.push('\n'),
            }
        }
    }
}

/// What a passing case explored (for the summary).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaseStats {
    /// Operations applied.
    pub ops: u64,
    /// Flushes the engine made (inline, background and asked for), over all sessions.
    pub flushes: u64,
    /// Compactions the engine ran (trivial moves included), over all sessions.
    pub compactions: u64,
    /// Reopens (the final one included).
    pub reopens: u64,
    /// 1 if some table lived below L1 at some check, else 0.
    pub deep: u64,
    /// Operations after which a frozen memtable waited for a background flush.
    pub frozen_seen: u64,
    /// Write stalls and slowdowns, over all sessions.
    pub stalls: u64,
}

/// The directory cases create their databases in (see the module documentation).
pub fn scratch_root() -> PathBuf {
    if let Some(d) = std::env::var_os(DIR_VAR).filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        return shm;
    }
    std::env::temp_dir()
}

/// Run `ops` on a fresh database over memtable `kind`, then the final checks. `Err` describes
/// the first divergence. With `transcript`, every step is written to it, one line each.
pub fn execute(
    memtable: &Memtable,
    setup: Setup,
    ops: &[EngineOp],
    transcript: Option<&mut String>,
) -> Result<CaseStats, String> {
    let tracing = transcript.is_some();
    let mut tr = Transcript {
        width: if tracing {
            ops.iter()
                .map(|op| op.to_string().chars().count())
                .max()
                .unwrap_or(0)
                .clamp(24, 70)
        } else {
            0
        },
        out: transcript,
    };
    let dir = tempfile::Builder::new()
        .prefix("ferrolite-engine-model-")
        .tempdir_in(scratch_root())
        .map_err(|e| format!("creating a scratch directory: {e}"))?;
    let opts = setup.options(memtable);
    let mut model = Model::new();
    let mut c = Counts::default();
    let mut stats = CaseStats {
        ops: ops.len() as u64,
        ..CaseStats::default()
    };
    let mut i = 0usize;
    let mut reopened_at: Option<usize> = None;
    loop {
        let db = match Db::open(dir.path(), opts.clone()) {
            Ok(db) => db,
            Err(e) => {
                let what = match reopened_at {
                    Some(at) => format!("#{at}"),
                    None => "start".into(),
                };
                tr.line(
                    &what,
                    "Db::open",
                    &format!("Err({e})"),
                    Some("it must open"),
                );
                return Err(format!("Db::open failed ({what}): {e}"));
            }
        };
        c.session_writes = 0;
        c.session_batches = 0;
        c.session_gets = 0;
        // After a reopen: everything written must be back.
        if let Some(at) = reopened_at {
            let got = collect(db.iter(), usize::MAX);
            let want = model_scan(&model, &Bound::Unbounded, &Bound::Unbounded, usize::MAX);
            let text = ops
                .get(at)
                .map_or("close(); reopen()".into(), |op| op.to_string());
            let label = if at < ops.len() {
                format!("#{at}")
            } else {
                "end".into()
            };
            if got != want {
                let w = format!("the model holds {want}");
                tr.line(&label, &format!("{text}; iter()"), &got, Some(&w));
                return Err(format!(
                    "{label} {text}: after reopening the database holds {got}, the model {want}"
                ));
            }
            tr.line(
                &label,
                &text,
                &format!("reopened, {} entries", model.len()),
                None,
            );
            if let Err(why) = check_stats(&db.stats(), memtable, setup, &c) {
                tr.line(&label, "stats()", &"(see below)", Some(&why));
                return Err(format!("{label} after reopening: {why}"));
            }
            if at >= ops.len() {
                // The final reopen: done.
                let s = db.stats();
                stats.flushes += s.flushes;
                stats.compactions += s.compactions;
                stats.stalls += s.stalls;
                if let Err(e) = db.close() {
                    tr.line(
                        "end",
                        "close()",
                        &format!("Err({e})"),
                        Some("it must close"),
                    );
                    return Err(format!("final close(): {e}"));
                }
                if let Err(why) = check_closed(&db) {
                    tr.line("end", "use after close()", &"(see below)", Some(&why));
                    return Err(format!("after the final close(): {why}"));
                }
                return Ok(stats);
            }
        }
        let mut sess = Session {
            snaps: Vec::new(),
            held: Vec::new(),
        };
        let mut reopen = false;
        while i < ops.len() {
            let op = &ops[i];
            let label = format!("#{i}");
            i += 1;
            if *op == EngineOp::Reopen {
                reopen = true;
                reopened_at = Some(i - 1);
                break;
            }
            let (got, want, note) = step(&db, &mut sess, &mut model, &mut c, setup, op);
            let text = match note {
                Some(n) if tracing => format!("{op}  [{n}]"),
                _ => op.to_string(),
            };
            if got != want {
                let w = format!("the model says {want}");
                tr.line(&label, &text, &got, Some(&w));
                return Err(format!(
                    "op {label} {text}: the engine returned {got}, the model expects {want}"
                ));
            }
            let s = db.stats();
            if s.files_per_level.iter().skip(2).any(|&n| n > 0) {
                stats.deep = 1;
            }
            if s.immutable_memtables > 0 {
                stats.frozen_seen += 1;
            }
            if let Err(why) = check_stats(&s, memtable, setup, &c)
                .and_then(|()| check_shape(&s, setup, op))
                .and_then(|()| {
                    if sess.held.is_empty() {
                        let clean = sess.snaps.is_empty();
                        check_disk(&db, &s, setup, op, clean, &model)
                    } else {
                        Ok(()) // held iterators keep obsolete tables alive
                    }
                })
            {
                tr.line(&label, &text, &got, Some(&why));
                return Err(format!("op {label} {text}: {why}"));
            }
            tr.line(&label, &text, &got, None);
        }
        if !reopen {
            // End of the case: full contents, every live snapshot, then close and reopen once
            // more.
            let got = collect(db.iter(), usize::MAX);
            let want = model_scan(&model, &Bound::Unbounded, &Bound::Unbounded, usize::MAX);
            if got != want {
                let w = format!("the model holds {want}");
                tr.line("end", "iter()", &got, Some(&w));
                return Err(format!(
                    "final iter(): the engine has {got}, the model {want}"
                ));
            }
            for h in std::mem::take(&mut sess.held) {
                let text = format!("iterator #{} ({}): the rest", h.serial, h.text);
                let (got, want) = h.finish();
                if got != want {
                    let w = format!("at opening the model held {want}");
                    tr.line("end", &text, &got, Some(&w));
                    return Err(format!(
                        "final {text}: the engine read {got}, the model {want}"
                    ));
                }
                tr.line("end", &text, &got, None);
            }
            for s in &sess.snaps {
                let got = collect(s.snap.iter(), usize::MAX);
                let want = model_scan(&s.model, &Bound::Unbounded, &Bound::Unbounded, usize::MAX);
                let text = format!("snapshot #{}.iter()", s.serial);
                if got != want {
                    let w = format!("the model held {want}");
                    tr.line("end", &text, &got, Some(&w));
                    return Err(format!(
                        "final {text}: the engine has {got}, the model {want}"
                    ));
                }
            }
            if setup.auto_compaction {
                if let Err(why) = settle(&db, setup) {
                    tr.line(
                        "end",
                        "(background work settles)",
                        &"(see below)",
                        Some(&why),
                    );
                    return Err(format!("end: {why}"));
                }
            }
            reopened_at = Some(ops.len());
        }
        c.reopens += 1;
        stats.reopens += 1;
        drop(sess);
        let s = db.stats();
        stats.flushes += s.flushes;
        stats.compactions += s.compactions;
        stats.stalls += s.stalls;
        if let Err(e) = db.close() {
            tr.line("", "close()", &format!("Err({e})"), Some("it must close"));
            return Err(format!("close() before reopening: {e}"));
        }
        drop(db);
    }
}
