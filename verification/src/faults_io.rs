//! I/O failures at every file operation of a commit, a flush and a compaction.
//!
//! The engine runs on a counting, fault-injecting file system ([`ferrolite_testfs::FaultFs`]).
//! For each of three scenarios — a commit that freezes a full memtable and flushes it inline
//! before logging its batch, a `flush()`, a `compact()` — the step is first run with a
//! tracing `FaultFs` to learn every file operation it makes, in order. Then, for every
//! operation index whose kind can fail in a way the engine must survive (create, open, write,
//! sync, directory sync, rename, remove, and in default and full modes reads; quick mode
//! samples at most 40 per variant, scenario and fault flavour),
//! the scenario is rerun from scratch with a fault injected exactly there, in two flavours:
//!
//! * `eio`: that one operation fails with `EIO` (one-shot);
//! * `full`: a full disk — the operation fails with `StorageFull`, a failing write first writes
//!   half its buffer (a short write), and every later create and write fails too.
//!
//! After the faulted step the checker asserts:
//!
//! 1. the fault fired at the planned operation (the step is deterministic: no background
//!    threads);
//! 2. the caller got a typed error — an [`Error::Io`] naming the file of the failed operation —
//!    except where the failure is harmless: deleting a flushed WAL segment or an obsolete
//!    table (deleted at the next open instead), which succeeds;
//! 3. gets, a full scan and a snapshot from the same handle return exactly the acknowledged
//!    data (a batch whose commit failed is not visible);
//! 4. after a WAL or manifest failure the database refuses writes ([`Error::Background`]);
//!    after a one-shot table failure it still accepts them (the step can be retried);
//! 5. every table file in the directory is complete (opens and verifies), and there are no
//!    more of them than the version lists — unless the failure hit the manifest (the edit may
//!    have reached it, so its tables must stay until the next open decides) or the deletion of
//!    an obsolete table;
//! 6. after closing and reopening with the real file system, every acknowledged write is there
//!    and a failed batch is all-or-nothing (compared with `BTreeMap` models), the tables
//!    verify, and the database accepts writes again.
//!
//! Reports `VERIFY-STAT faults_injected`, `fault_points` (distinct operation indices faulted,
//! over the scenarios) and `reopens_checked`.

use crate::Mode;
use ferrolite::fs::FileKind;
use ferrolite::inspect;
use ferrolite::{Db, Error, MapKind, Options, SyncPolicy, WriteBatch};
use ferrolite_testfs::fault::{FaultFs, FaultRule, OpKind, OpRecord, ShortWrite};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// The step each scenario faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// `db.write(batch)` with the active memtable full: freeze it, new WAL segment, inline
    /// flush to L0, then the batch's WAL record and sync.
    Commit,
    /// `db.flush()`: freeze the active memtable, write it to L0, record, delete its segment.
    Flush,
    /// `db.compact()`: flush, then merge L0 into L1 and L1 into the last level.
    Compact,
}

impl Scenario {
    /// All three.
    pub const ALL: [Scenario; 3] = [Scenario::Commit, Scenario::Flush, Scenario::Compact];

    fn name(self) -> &'static str {
        match self {
            Scenario::Commit => "commit",
            Scenario::Flush => "flush",
            Scenario::Compact => "compact",
        }
    }
}

/// How the planned operation fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// One-shot `EIO`.
    Eio,
    /// One-shot `EIO` after writing 7 bytes of a write's buffer (default and full modes).
    EioShort,
    /// A full disk: `StorageFull`, half of a write's buffer written first, then every create
    /// and write fails.
    Full,
}

impl Flavour {
    fn name(self) -> &'static str {
        match self {
            Flavour::Eio => "eio",
            Flavour::EioShort => "eio-short",
            Flavour::Full => "full",
        }
    }

    fn rule(self, target: &OpRecord, nth: u64) -> FaultRule {
        let rule = match self {
            Flavour::Eio => FaultRule::eio(),
            Flavour::EioShort => FaultRule::eio().short_write(ShortWrite::Bytes(7)),
            Flavour::Full => FaultRule::full_disk().short_write(ShortWrite::Half),
        };
        rule.on(&[target.kind]).class(&[target.class]).nth(nth)
    }

    fn sticky(self) -> bool {
        self == Flavour::Full
    }
}

/// Engine configurations the scenarios run under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// `SyncPolicy::EveryWrite`: one `fdatasync` per commit.
    Synced,
    /// `SyncPolicy::None`: acknowledged means handed to the OS (the reopen is in the same
    /// process, so the OS still has it).
    Unsynced,
    /// The stage ladder's S0 file handling: the WAL closed and reopened (append) for every
    /// commit, JSON records and blocks.
    ReopenPerWrite,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Synced => "synced",
            Variant::Unsynced => "unsynced",
            Variant::ReopenPerWrite => "reopen-per-write",
        }
    }

    fn apply(self, o: Options) -> Options {
        match self {
            Variant::Synced => o.sync(SyncPolicy::EveryWrite),
            Variant::Unsynced => o.sync(SyncPolicy::None),
            Variant::ReopenPerWrite => o
                .sync(SyncPolicy::EveryWrite)
                .wal_reopen_per_write(true)
                .wal_format(ferrolite::RecordFormat::Json)
                .table_format(ferrolite::RecordFormat::Json),
        }
    }
}

/// What one kind's run did.
#[derive(Clone, Debug, Default)]
pub struct FaultsIoStats {
    /// Faulted runs.
    pub runs: u64,
    /// Failures injected (a sticky fault counts every operation it failed).
    pub faults_injected: u64,
    /// Distinct (scenario, operation index) pairs faulted.
    pub fault_points: u64,
    /// Reopens whose contents were checked against the models.
    pub reopens_checked: u64,
    /// Faults that the step survived with success, as "scenario op class" (harmless ones).
    pub harmless: BTreeSet<String>,
    /// Runs after which the database refused writes until reopened.
    pub read_only_after: u64,
    /// Runs whose failed batch was found after the reopen (it reached the WAL whole).
    pub failed_batch_recovered: u64,
}

/// The operation kinds that are faulted (default and full modes add reads).
const FAULTED: [OpKind; 7] = [
    OpKind::Create,
    OpKind::Open,
    OpKind::Write,
    OpKind::Sync,
    OpKind::SyncDir,
    OpKind::Rename,
    OpKind::Remove,
];

fn key(i: usize) -> Vec<u8> {
    format!("key{i:04}").into_bytes()
}

fn value(i: usize, tag: &str, len: usize) -> Vec<u8> {
    let mut v = format!("{i}-{tag}-").into_bytes();
    v.resize(len.max(v.len()), b'a' + (i % 26) as u8);
    v
}

fn options(kind: MapKind, variant: Variant, fs: Option<Arc<dyn ferrolite::FileSystem>>) -> Options {
    let o = Options::default()
        .memtable(kind)
        .memtable_size(16 << 10)
        .auto_compaction(false)
        .compaction(false)
        .num_levels(3)
        .block_size(1024)
        .target_file_size(6 << 10)
        .block_cache_bytes(64 << 10)
        .event_stats(false);
    let o = variant.apply(o);
    match fs {
        Some(fs) => o.file_system(fs),
        None => o,
    }
}

fn apply(model: &mut Model, batch: &[(Vec<u8>, Option<Vec<u8>>)]) {
    for (k, v) in batch {
        match v {
            Some(v) => model.insert(k.clone(), v.clone()),
            None => model.remove(k),
        };
    }
}

fn to_batch(ops: &[(Vec<u8>, Option<Vec<u8>>)]) -> WriteBatch {
    let mut b = WriteBatch::new();
    for (k, v) in ops {
        match v {
            Some(v) => b.put(k.clone(), v.clone()),
            None => b.delete(k.clone()),
        };
    }
    b
}

type Ops = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// The acknowledged writes before the step: two flushed generations and a full memtable.
fn setup_batches() -> Vec<(Ops, bool)> {
    // (batch, flush after it)
    let a: Ops = (0..120)
        .map(|i| (key(i), Some(value(i, "a", 40))))
        .collect();
    let b: Ops = (0..120)
        .step_by(2)
        .map(|i| {
            if i % 6 == 0 {
                (key(i), None)
            } else {
                (key(i), Some(value(i, "b", 60)))
            }
        })
        .collect();
    // One batch that leaves the active memtable over its 16 KiB.
    let c: Ops = (60..220)
        .map(|i| {
            if i % 9 == 0 {
                (key(i), None)
            } else {
                (key(i), Some(value(i, "c", 110)))
            }
        })
        .collect();
    vec![(a, true), (b, true), (c, false)]
}

/// The commit scenario's batch.
fn step_batch() -> Ops {
    let mut ops: Ops = (0..8)
        .map(|i| (key(300 + i), Some(value(i, "d", 30))))
        .collect();
    ops.push((key(61), Some(value(61, "d", 5))));
    ops.push((key(62), None));
    ops
}

/// Open a fresh database on `fault` and write the setup; the model of what was acknowledged.
fn prepare(
    kind: MapKind,
    variant: Variant,
    dir: &Path,
    fault: &FaultFs,
) -> Result<(Db, Model), String> {
    let db = Db::open(dir, options(kind, variant, Some(Arc::new(fault.clone()))))
        .map_err(|e| format!("open: {e}"))?;
    let mut model = Model::new();
    for (i, (ops, flush)) in setup_batches().into_iter().enumerate() {
        db.write(to_batch(&ops))
            .map_err(|e| format!("setup batch {i}: {e}"))?;
        apply(&mut model, &ops);
        if flush {
            db.flush().map_err(|e| format!("setup flush {i}: {e}"))?;
        }
    }
    Ok((db, model))
}

fn do_step(db: &Db, scenario: Scenario) -> ferrolite::Result<()> {
    match scenario {
        Scenario::Commit => db.write(to_batch(&step_batch())),
        Scenario::Flush => db.flush(),
        Scenario::Compact => db.compact(),
    }
}

/// Every key's value and the full scan must equal `want`.
fn check_contents(db: &Db, want: &Model, extra_keys: &[Vec<u8>]) -> Result<(), String> {
    let got: Model = db
        .iter()
        .map_err(|e| format!("scan: {e}"))?
        .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
        .collect::<ferrolite::Result<_>>()
        .map_err(|e| format!("scan: {e}"))?;
    if &got != want {
        let missing: Vec<_> = want
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(v))
            .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
            .take(5)
            .collect();
        let unexpected: Vec<_> = got
            .iter()
            .filter(|(k, v)| want.get(*k) != Some(v))
            .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
            .take(5)
            .collect();
        return Err(format!(
            "scan returned {} entries, expected {}; missing or different: {missing:?}; \
             unexpected or different: {unexpected:?}",
            got.len(),
            want.len()
        ));
    }
    for k in want.keys().chain(extra_keys) {
        let got = db
            .get(k)
            .map_err(|e| format!("get {}: {e}", String::from_utf8_lossy(k)))?;
        if got.as_deref() != want.get(k).map(|v| &v[..]) {
            return Err(format!(
                "get {} returned {:?}, expected {:?}",
                String::from_utf8_lossy(k),
                got.map(|v| String::from_utf8_lossy(&v).into_owned()),
                want.get(k).map(|v| String::from_utf8_lossy(v).into_owned())
            ));
        }
    }
    Ok(())
}

/// Every table in `dir` is complete; how many there are.
fn check_tables(dir: &Path) -> Result<usize, String> {
    let fs = ferrolite::StdFs::shared();
    let mut n = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| format!("listing: {e}"))? {
        let path = entry.map_err(|e| format!("listing: {e}"))?.path();
        if FileKind::of(&path) != FileKind::Table {
            continue;
        }
        inspect::check_table(&fs, &path).map_err(|e| {
            format!(
                "table {} left in the directory is not complete: {e}",
                path.display()
            )
        })?;
        n += 1;
    }
    Ok(n)
}

/// Run `scenario` once with a tracing file system: its operations.
fn learn(kind: MapKind, variant: Variant, scenario: Scenario) -> Result<Vec<OpRecord>, String> {
    let dir = scratch(kind, scenario, "learn")?;
    let fault = FaultFs::over_std();
    let (db, _) = prepare(kind, variant, dir.path(), &fault)?;
    fault.reset_counts();
    fault.start_trace();
    do_step(&db, scenario).map_err(|e| format!("the unfaulted step failed: {e}"))?;
    let trace = relative(fault.take_trace(), dir.path());
    drop(db);
    Ok(trace)
}

/// The trace with paths relative to the database directory (the directory itself: empty).
fn relative(mut trace: Vec<OpRecord>, dir: &Path) -> Vec<OpRecord> {
    for op in &mut trace {
        op.path = rel(&op.path, dir);
    }
    trace
}

fn rel(path: &Path, dir: &Path) -> std::path::PathBuf {
    path.strip_prefix(dir).unwrap_or(path).to_path_buf()
}

fn scratch(kind: MapKind, scenario: Scenario, what: &str) -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix(&format!(
            "ferrolite-faults-io-{kind}-{}-{what}-",
            scenario.name()
        ))
        .tempdir_in(crate::engine_model::scratch_root())
        .map_err(|e| format!("scratch directory: {e}"))
}

/// One faulted run; `Err` describes the first violated expectation.
fn faulted_run(
    kind: MapKind,
    variant: Variant,
    scenario: Scenario,
    flavour: Flavour,
    target: &OpRecord,
    nth: u64,
    stats: &mut FaultsIoStats,
) -> Result<(), String> {
    let dir = scratch(kind, scenario, flavour.name())?;
    let fault = FaultFs::over_std();
    let (db, before) = prepare(kind, variant, dir.path(), &fault)?;
    let mut after = before.clone();
    let step_ops = if scenario == Scenario::Commit {
        step_batch()
    } else {
        Vec::new()
    };
    apply(&mut after, &step_ops);
    let step_keys: Vec<Vec<u8>> = step_ops.iter().map(|(k, _)| k.clone()).collect();

    fault.reset_counts();
    fault.start_trace();
    fault.arm(flavour.rule(target, nth));
    let result = do_step(&db, scenario);
    let trace = relative(fault.take_trace(), dir.path());
    let counts = fault.counts();
    stats.faults_injected += counts.injected;

    // 1. The fault fired where planned.
    let first = trace.iter().find(|r| r.injected).ok_or_else(|| {
        format!(
            "the fault was never injected (the step made {} operations)",
            trace.len()
        )
    })?;
    if first.index != target.index || first.kind != target.kind || first.path != target.path {
        return Err(format!(
            "the fault hit {first}, planned {target}: the step is not deterministic"
        ));
    }

    // 2. A typed error naming the file, or a harmless failure.
    let harmless = target.kind == OpKind::Remove;
    match &result {
        Ok(()) if harmless => {
            stats.harmless.insert(format!(
                "{} {} {}",
                scenario.name(),
                target.kind,
                target.class
            ));
        }
        Ok(()) => return Err("the step reported success".into()),
        Err(_) if harmless && flavour.sticky() => {} // a later create/write failed
        Err(Error::Io { path, .. }) if !harmless && rel(path, dir.path()) == target.path => {}
        Err(e) => {
            return Err(format!(
                "the step failed with {e:?}; expected {}",
                if harmless {
                    "success (the failed deletion is harmless)".to_string()
                } else {
                    format!("Error::Io naming {:?}", target.path)
                }
            ))
        }
    }
    let visible = if result.is_ok() { &after } else { &before };

    // 3. Readable from the same handle.
    check_contents(&db, visible, &step_keys).map_err(|e| format!("same handle: {e}"))?;
    {
        let snap = db.snapshot().map_err(|e| format!("snapshot: {e}"))?;
        let n = snap
            .iter()
            .map_err(|e| format!("snapshot scan: {e}"))?
            .count();
        if n != visible.len() {
            return Err(format!(
                "snapshot scan: {n} entries, expected {}",
                visible.len()
            ));
        }
    }

    // 5. No partial or unlisted tables.
    let on_disk = check_tables(dir.path())?;
    let listed: usize = db.stats().files_per_level.iter().sum();
    let may_keep_extra = target.class == FileKind::Manifest
        || (target.kind == OpKind::Remove && target.class == FileKind::Table);
    if on_disk < listed || (on_disk > listed && !may_keep_extra) {
        return Err(format!(
            "{on_disk} table files in the directory, the version lists {listed}"
        ));
    }

    // 4. Writes refused after a WAL/manifest failure; accepted after a one-shot table one.
    let probe_key = key(9_000);
    let probe_val = value(9_000, "probe", 12);
    let probe = db.put(probe_key.clone(), probe_val.clone());
    let mut acknowledged = visible.clone();
    let refused = match &probe {
        Ok(()) => {
            acknowledged.insert(probe_key.clone(), probe_val.clone());
            false
        }
        Err(Error::Background(_)) | Err(Error::Io { .. }) => true,
        Err(e) => return Err(format!("probe write after the fault: unexpected {e:?}")),
    };
    if refused {
        stats.read_only_after += 1;
    }
    let must_refuse =
        result.is_err() && matches!(target.class, FileKind::Wal | FileKind::Manifest) && !harmless;
    if must_refuse && !matches!(probe, Err(Error::Background(_))) {
        return Err(format!(
            "after a failed {} of {} the database accepted a write ({probe:?})",
            target.kind, target.class
        ));
    }
    if !flavour.sticky() && target.class == FileKind::Table && !harmless && refused {
        return Err(format!(
            "after a one-shot table failure the database refused writes: {probe:?}"
        ));
    }

    // 6. Close, reopen on the real file system, compare.
    let closed = db.close();
    if let Err(e) = &closed {
        if !matches!(e, Error::Io { .. } | Error::Background(_)) {
            return Err(format!("close: unexpected {e:?}"));
        }
    }
    drop(db);
    let db = Db::open(dir.path(), options(kind, variant, None))
        .map_err(|e| format!("reopen with the real file system: {e}"))?;
    let mut with_batch = acknowledged.clone();
    if result.is_err() {
        // The probe's key is not in the batch: the order of the two does not matter.
        apply(&mut with_batch, &step_ops);
    }
    let mut keys = step_keys.clone();
    keys.push(probe_key.clone());
    let without = check_contents(&db, &acknowledged, &keys);
    if let Err(e) = without {
        if result.is_ok() || step_ops.is_empty() {
            return Err(format!("after reopen: {e}"));
        }
        check_contents(&db, &with_batch, &keys).map_err(|e2| {
            format!(
                "after reopen the failed batch is neither absent ({e}) nor whole \
                 ({e2})"
            )
        })?;
        stats.failed_batch_recovered += 1;
    }
    db.verify()
        .map_err(|e| format!("after reopen, verify: {e}"))?;
    db.put(key(9_001), "after")
        .map_err(|e| format!("after reopen, a write: {e}"))?;
    db.flush()
        .map_err(|e| format!("after reopen, a flush: {e}"))?;
    drop(db);
    stats.reopens_checked += 1;
    stats.runs += 1;
    Ok(())
}

/// Evenly spaced picks of at most `budget` items.
fn sample<T: Clone>(items: &[T], budget: usize) -> Vec<T> {
    if items.len() <= budget {
        return items.to_vec();
    }
    (0..budget)
        .map(|i| items[i * items.len() / budget].clone())
        .collect()
}

/// Run every scenario on memtable `kind`; panics with a reproducible description on the first
/// failure. Budget: faulted operations per variant, scenario and flavour — quick 40 (20 in
/// unoptimised builds: a plain `cargo test`), default and full all of them; quick runs the `synced` and `reopen-per-write` variants with the `eio`
/// and `full` flavours, default and full add the `unsynced` variant, the `eio-short` flavour
/// and faults in reads.
pub fn run(kind: MapKind, mode: Mode) -> FaultsIoStats {
    let budget = mode.pick(40, usize::MAX, usize::MAX) / if cfg!(debug_assertions) { 2 } else { 1 };
    let flavours: &[Flavour] = match mode {
        Mode::Quick => &[Flavour::Eio, Flavour::Full],
        _ => &[Flavour::Eio, Flavour::EioShort, Flavour::Full],
    };
    let variants: &[Variant] = match mode {
        Mode::Quick => &[Variant::Synced, Variant::ReopenPerWrite],
        _ => &[Variant::Synced, Variant::Unsynced, Variant::ReopenPerWrite],
    };
    let started = Instant::now();
    let mut stats = FaultsIoStats::default();
    let mut points = BTreeSet::new();
    for &variant in variants {
        for scenario in Scenario::ALL {
            let what = format!(
                "faults_io: memtable {kind}, variant {}, scenario {}",
                variant.name(),
                scenario.name()
            );
            let trace = learn(kind, variant, scenario).unwrap_or_else(|e| panic!("{what}: {e}"));
            // The n-th operation of its (kind, class), counted from the start of the step.
            let mut seen: BTreeMap<(OpKind, FileKind), u64> = BTreeMap::new();
            let mut candidates = Vec::new();
            for op in &trace {
                let n = seen.entry((op.kind, op.class)).or_insert(0);
                if FAULTED.contains(&op.kind) || (mode != Mode::Quick && op.kind == OpKind::Read) {
                    candidates.push((op.clone(), *n));
                }
                *n += 1;
            }
            let mut runs = 0;
            for &flavour in flavours {
                let candidates: Vec<_> = candidates
                    .iter()
                    .filter(|(op, _)| flavour != Flavour::EioShort || op.kind == OpKind::Write)
                    .cloned()
                    .collect();
                for (target, nth) in sample(&candidates, budget) {
                    points.insert((variant.name(), scenario.name(), target.index));
                    runs += 1;
                    let result =
                        faulted_run(kind, variant, scenario, flavour, &target, nth, &mut stats);
                    if let Err(e) = result {
                        let ops: Vec<String> = trace.iter().map(ToString::to_string).collect();
                        panic!(
                            "{what}, fault {} at {target}: {e}\n\
                             the step's operations (unfaulted run):\n  {}",
                            flavour.name(),
                            ops.join("\n  ")
                        );
                    }
                }
            }
            println!(
                "{what}: {} operations, {} faultable, {runs} faulted runs",
                trace.len(),
                candidates.len()
            );
        }
    }
    stats.fault_points = points.len() as u64;
    println!(
        "faults_io: memtable {kind}, mode {mode}: {} faulted runs, {} faults injected, {} fault \
         points, {} reopens checked, {} runs left the database read-only, {} failed batches \
         found whole after reopen, harmless: {:?}, in {:.1} s",
        stats.runs,
        stats.faults_injected,
        stats.fault_points,
        stats.reopens_checked,
        stats.read_only_after,
        stats.failed_batch_recovered,
        stats.harmless,
        started.elapsed().as_secs_f64()
    );
    crate::report("faults_injected", stats.faults_injected);
    crate::report("fault_points", stats.fault_points);
    crate::report("reopens_checked", stats.reopens_checked);
    stats
}
