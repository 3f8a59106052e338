//! One cell of a [`Suite`](super::Suite): a checker run in-process on a family's maps, its
//! failure turned into the matrix's words (the kind of evidence, the reproduction, a log file).

use crate::lincheck::Violation;
use crate::Mode;
use ferrolite_matrix::{Checker, Evidence, Kind, Outcome, Row};
use ferrolite_structures::MapFamily;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Mutex, Once};
use std::time::Instant;

/// What a checker returned: its stats, or a failure of a known kind with its full text, or the
/// violations of a map declared non-linearizable (expected, not a failure).
pub(super) enum Ran {
    Pass(BTreeMap<String, u64>),
    #[cfg_attr(loom, allow(dead_code))] // lincheck and progress expect
    Expected(BTreeMap<String, u64>, String, Option<Box<Violation>>),
    Fail(Kind, String, Option<Box<Violation>>),
    Skip(String),
}

/// Where the last panic happened (`file:line:col`), recorded by [`install_panic_hook`]: the
/// matrix tells a checker's assertion (a wrong result) from a panic inside the map (a crash) by
/// where it was raised.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Records each panic's location in [`LAST_PANIC`], then runs the hook that was there before
/// (which prints the message, and under shuttle the failing schedule).
pub(super) fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if let Some(loc) = info.location() {
                let at = format!("{}:{}:{}", loc.file(), loc.line(), loc.column());
                *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
            }
            previous(info);
        }));
    });
}

/// Runs `checker` on `F`'s maps for `row` (its label names the map in messages; a mutant row
/// expects to be caught) with the budget of `mode`, in this process, and says what it came to;
/// a failure's whole text goes to `logs/<row>-<checker>.log`. A checker this build cannot run
/// is [`Outcome::Skipped`] with the build that runs it. A linearizability counterexample
/// (failing, or expected of a map declared not linearizable) is also drawn, as
/// `logs/<row>-<checker>.html`: the [`Evidence`] names it relative to `logs`' parent (where
/// the report goes) and holds the minimal history.
pub fn cell<F: MapFamily>(
    checker: Checker,
    row: &Row,
    mode: Mode,
    logs: &Path,
) -> (Outcome, Evidence) {
    let start = Instant::now();
    *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = None;
    let ran = panic::catch_unwind(AssertUnwindSafe(|| run::<F>(checker, row, mode)));
    let secs = start.elapsed().as_secs_f64();
    let ran = ran.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "<a panic without a message>".into());
        let at = LAST_PANIC
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| "<unknown location>".into());
        // The words `xtask verify` reads in a log, so that one classifier names the kind.
        let text = format!("thread '{}' panicked at {at}:\n{message}", checker.name());
        let reason = ferrolite_matrix::reason(&text);
        let kind = Kind::ALL
            .into_iter()
            .find(|k| reason.starts_with(k.name()))
            .unwrap_or(Kind::Failed);
        Ran::Fail(kind, text, None)
    });
    let stem = format!(
        "{}-{}",
        row.label().replace(" + ", "+").replace(['/', ' '], "_"),
        checker.name()
    );
    let mut evidence = Evidence::default();
    let violation = match &ran {
        Ran::Expected(_, _, v) | Ran::Fail(_, _, v) => v.as_deref(),
        _ => None,
    };
    if let Some(v) = violation {
        let title = format!("{} × {}", row.label(), checker.name());
        let page = logs.join(format!("{stem}.html"));
        match std::fs::create_dir_all(logs)
            .and_then(|_| std::fs::write(&page, crate::lincheck::timeline_page(v, &title)))
        {
            Ok(()) => {
                let dir = logs.file_name().map(Path::new).unwrap_or(Path::new("logs"));
                evidence.timeline = Some(dir.join(format!("{stem}.html")));
            }
            Err(e) => eprintln!("own: cannot write {}: {e}", page.display()),
        }
        evidence.history = Some(v.history_json());
    }
    let outcome = match ran {
        Ran::Pass(stats) => Outcome::Pass {
            secs,
            stats,
            expected: None,
        },
        Ran::Expected(stats, text, _) => Outcome::Pass {
            secs,
            stats,
            expected: Some(text),
        },
        Ran::Skip(why) => Outcome::Skipped(why),
        Ran::Fail(kind, text, _) => {
            let log = logs.join(format!("{stem}.log"));
            if let Err(e) = std::fs::create_dir_all(logs).and_then(|_| std::fs::write(&log, &text))
            {
                eprintln!("own: cannot write {}: {e}", log.display());
            }
            let reason = match kind {
                // A panic was classified from its text already; a typed failure says what the
                // checker saw in its first line.
                _ if text.contains(" panicked at ") => ferrolite_matrix::reason(&text),
                _ => format!("{}: {}", kind.name(), first_line(&text)),
            };
            Outcome::Fail {
                secs,
                reason,
                excerpt: excerpt(&text, 60),
                log,
            }
        }
    };
    (outcome, evidence)
}

/// The first line of `text`, at most 90 characters.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= 90 {
        line.to_string()
    } else {
        line.chars().take(89).collect::<String>() + "…"
    }
}

/// At most `max` lines of `text`.
fn excerpt(text: &str, max: usize) -> String {
    text.lines().take(max).collect::<Vec<_>>().join("\n")
}

fn stats<const N: usize>(pairs: [(&str, u64); N]) -> BTreeMap<String, u64> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The build this process is: which columns it can run.
pub fn build_name() -> &'static str {
    if cfg!(loom) {
        "loom"
    } else if cfg!(feature = "shuttle") {
        "shuttle"
    } else {
        "normal"
    }
}

/// Which build runs `checker`, when this one does not.
fn elsewhere(checker: Checker) -> Option<String> {
    let loom = "in a loom build: RUSTFLAGS=\"--cfg loom --cfg crossbeam_loom\"";
    let shuttle = "in a shuttle build: --features ferrolite-verification/shuttle";
    let normal = "in the normal build";
    match (checker, build_name()) {
        (Checker::Loom, "loom") | (Checker::Shuttle | Checker::Progress, "shuttle") => None,
        (Checker::Loom, _) => Some(loom.into()),
        (Checker::Shuttle | Checker::Progress, _) => Some(shuttle.into()),
        (_, "normal") => None,
        _ => Some(normal.into()),
    }
}

fn run<F: MapFamily>(checker: Checker, row: &Row, mode: Mode) -> Ran {
    if let Some(why) = elsewhere(checker) {
        return Ran::Skip(why);
    }
    let name = row.label();
    match checker {
        #[cfg(loom)]
        Checker::Loom => {
            let n = crate::loom_check::run_all::<F::Map<u8, u8>>(&name, mode);
            Ran::Pass(stats([("executions", n)]))
        }
        #[cfg(all(feature = "shuttle", not(loom)))]
        Checker::Shuttle => {
            let n = crate::shuttle_check::run_all::<F::Map<u8, u32>>(&name, mode);
            Ran::Pass(stats([("schedules", n)]))
        }
        #[cfg(all(feature = "shuttle", not(loom)))]
        Checker::Progress => progress::<F>(&name, mode),
        #[cfg(not(any(loom, feature = "shuttle")))]
        Checker::Model => normal::model::<F>(&name, mode),
        #[cfg(not(any(loom, feature = "shuttle")))]
        Checker::Lincheck => normal::lincheck::<F>(row, mode),
        #[cfg(not(any(loom, feature = "shuttle")))]
        Checker::Engine => normal::engine::<F>(mode),
        #[cfg(not(any(loom, feature = "shuttle")))]
        Checker::EngineLin => normal::engine_lin::<F>(mode),
        other => Ran::Skip(format!(
            "{} is not offered for a map of your own",
            other.name()
        )),
    }
}

/// A thread paused forever mid-operation; what the map claims (`ConcurrentMap::lock_free`)
/// decides what the others must do.
#[cfg(all(feature = "shuttle", not(loom)))]
fn progress<F: MapFamily>(name: &str, mode: Mode) -> Ran {
    use crate::progress::{check, Budget, Stall, Verdict};
    let r = check::<F::Map<u8, u32>>(name, Budget::for_mode(mode));
    let figures = stats([
        ("executions", r.executions),
        ("paused", r.paused),
        ("progressed", r.progressed),
        ("stalled", r.stalled),
        ("vacuous", r.vacuous),
    ]);
    match r.verdict() {
        Verdict::Broken(f) => {
            let kind = match f.stall {
                Stall::Blocked => Kind::Hang,
                Stall::Spins(_) => Kind::Livelock,
            };
            Ran::Fail(
                kind,
                format!("progress {name} (it claims lock_free() == Some(true)): {f}"),
                None,
            )
        }
        Verdict::Expected(f) => Ran::Expected(
            figures,
            format!(
                "{} of {} paused executions blocked, as expected of this map ({}); the first \
                 one:\n{f}",
                r.stalled,
                r.paused,
                if r.claim.is_some() {
                    "lock_free() is Some(false): blocking"
                } else {
                    "lock_free() is None: it claims no progress guarantee"
                }
            ),
            None,
        ),
        Verdict::NeverBlocked => Ran::Fail(
            Kind::Failed,
            format!(
                "progress {name}: the checker could not fail: a map claiming to block \
                 (lock_free() is Some(false)) was never blocked by a paused thread in {} \
                 executions",
                r.executions
            ),
            None,
        ),
        Verdict::Progressed => Ran::Pass(figures),
    }
}

/// The checkers of the normal build.
#[cfg(not(any(loom, feature = "shuttle")))]
mod normal {
    use crate::lincheck::{survey_with, Budget};
    use crate::model::{check, ModelConfig, Tracked};
    use crate::own::run::{stats, Ran};
    use crate::{engine_lin, engine_model, Memtable, Mode};
    use bytes::Bytes;
    use ferrolite::MemKey;
    use ferrolite_matrix::{Kind, Row};
    use ferrolite_structures::{ConcurrentMap, MapFamily};
    use proptest::collection::vec;

    /// The model: three quarters of the cases on `u64` keys, a quarter on byte strings.
    pub(super) fn model<F: MapFamily>(name: &str, mode: Mode) -> Ran {
        let config = ModelConfig::for_mode(mode);
        let bytes = config.cases / 4;
        let ints = check::<u64, F::Map<u64, Tracked>>(
            name,
            "u64 keys",
            &config,
            config.cases - bytes,
            0..config.keys,
            &F::Map::<u64, Tracked>::default,
            true,
        );
        let strings = ints.as_ref().ok().map(|_| {
            check::<Vec<u8>, F::Map<Vec<u8>, Tracked>>(
                name,
                "byte-string keys",
                &config,
                bytes,
                vec(0..3u8, 0..=3),
                &F::Map::<Vec<u8>, Tracked>::default,
                true,
            )
        });
        match (ints, strings) {
            (Err(f), _) | (Ok(_), Some(Err(f))) => {
                Ran::Fail(Kind::WrongResult, f.to_string(), None)
            }
            (Ok(a), Some(Ok(b))) => Ran::Pass(stats([
                ("cases", a.cases + b.cases),
                ("ops", a.ops + b.ops),
            ])),
            (Ok(_), None) => unreachable!("the byte-string run follows a passing u64 run"),
        }
    }

    /// Linearizability of recorded histories; a map whose `linearizable()` is false (and is not
    /// a mutant row) has its violations counted as expected.
    pub(super) fn lincheck<F: MapFamily>(row: &Row, mode: Mode) -> Ran {
        let budget = Budget::for_mode(mode);
        let declared = F::Map::<u64, u64>::default().linearizable();
        let expected = !declared && row.mutant.is_none();
        let survey = survey_with(F::Map::<u64, u64>::default, &budget, !expected);
        let s = &survey.stats;
        let figures = stats([
            ("histories", s.histories),
            ("ops", s.operations),
            ("states", s.states),
            ("concurrent_ops", s.concurrent_ops),
            ("violating_histories", survey.violating_histories),
        ]);
        match survey.first {
            None => Ran::Pass(figures),
            Some(v) if expected => Ran::Expected(
                figures,
                format!(
                    "{} of {} histories not linearizable, as expected of this map \
                     (linearizable() is false); the first one:\n{v}",
                    survey.violating_histories, s.histories
                ),
                Some(Box::new(v)),
            ),
            Some(v) => Ran::Fail(
                Kind::WrongResult,
                format!(
                    "not linearizable (found after {} of {} histories)\n{v}",
                    s.histories, budget.histories
                ),
                Some(Box::new(v)),
            ),
        }
    }

    /// The engine over the map as its memtable, against a `BTreeMap`.
    pub(super) fn engine<F: MapFamily>(mode: Mode) -> Ran {
        let memtable = Memtable::own::<F::Map<MemKey, Bytes>>();
        let config = engine_model::EngineConfig::for_mode(mode);
        match engine_model::check_memtable(&memtable, &config) {
            Ok(s) => Ran::Pass(stats([
                ("cases", s.cases),
                ("ops", s.ops),
                ("flushes", s.flushes),
                ("compactions", s.compactions),
                ("reopens", s.reopens),
            ])),
            Err(f) => Ran::Fail(Kind::WrongResult, f.to_string(), None),
        }
    }

    /// The engine over the map as its memtable, threads on shared keys.
    pub(super) fn engine_lin<F: MapFamily>(mode: Mode) -> Ran {
        let memtable = Memtable::own::<F::Map<MemKey, Bytes>>();
        let budget = engine_lin::Budget::for_mode(mode);
        let out = engine_lin::check_memtable(&memtable, &budget);
        let figures = stats(out.stats.figures());
        match out.failure {
            None => Ran::Pass(figures),
            Some(engine_lin::Failure::Violation(v)) => {
                Ran::Fail(Kind::WrongResult, format!("not linearizable: {v}"), Some(v))
            }
            Some(f) => Ran::Fail(Kind::Failed, f.to_string(), None),
        }
    }
}

/// The commit of the current directory's repository, if there is one (`git rev-parse`).
pub(super) fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short=7", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The progress column of a suite decides by what the map claims. Run with
/// `cargo test -p ferrolite-verification --features shuttle --lib own::` (`.ci/run` does).
#[cfg(all(test, feature = "shuttle", not(loom)))]
mod progress_tests {
    use super::cell;
    use crate::Mode;
    use ferrolite_matrix::{Checker, Kind, Outcome, Row};
    use ferrolite_structures::{
        ConcurrentMap, EpochSkipList, MapFamily, MapKey, MapValue, MutexBTreeMap, ReclaimStats,
    };
    use std::borrow::Borrow;
    use std::ops::RangeBounds;

    /// `M`, claiming `CLAIM` (0 nothing, 1 lock-free, 2 blocking) instead of what `M` claims.
    #[derive(Default)]
    struct Claims<M, const CLAIM: u8>(M);

    impl<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>, const CLAIM: u8> ConcurrentMap<K, V>
        for Claims<M, CLAIM>
    {
        fn name(&self) -> &'static str {
            self.0.name()
        }
        fn insert(&self, key: K, value: V) -> bool {
            self.0.insert(key, value)
        }
        fn get<Q>(&self, key: &Q) -> Option<V>
        where
            K: Borrow<Q>,
            Q: Ord + ?Sized,
        {
            self.0.get(key)
        }
        fn remove<Q>(&self, key: &Q) -> Option<V>
        where
            K: Borrow<Q>,
            Q: Ord + ?Sized,
        {
            self.0.remove(key)
        }
        fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
        where
            K: Borrow<Q>,
            R: RangeBounds<Q>,
            Q: Ord + ?Sized,
        {
            self.0.range(range)
        }
        fn len(&self) -> usize {
            self.0.len()
        }
        fn reclamation(&self) -> ReclaimStats {
            self.0.reclamation()
        }
        fn lock_free(&self) -> Option<bool> {
            match CLAIM {
                0 => None,
                1 => Some(true),
                _ => Some(false),
            }
        }
    }

    struct BTree<const CLAIM: u8>;
    impl<const CLAIM: u8> MapFamily for BTree<CLAIM> {
        type Map<K: MapKey, V: MapValue> = Claims<MutexBTreeMap<K, V>, CLAIM>;
    }
    struct Epoch<const CLAIM: u8>;
    impl<const CLAIM: u8> MapFamily for Epoch<CLAIM> {
        type Map<K: MapKey, V: MapValue> = Claims<EpochSkipList<K, V>, CLAIM>;
    }

    fn progress<F: MapFamily>() -> Outcome {
        let logs = tempfile::tempdir().unwrap();
        let row = Row::structure("claims".to_string());
        cell::<F>(Checker::Progress, &row, Mode::Quick, logs.path()).0
    }

    fn expected(outcome: &Outcome) -> Option<&str> {
        match outcome {
            Outcome::Pass { expected, .. } => expected.as_deref(),
            other => panic!("not a pass: {other:?}"),
        }
    }

    #[test]
    fn a_lock_free_map_passes_whatever_it_claims_but_blocking() {
        assert_eq!(expected(&progress::<Epoch<1>>()), None);
        assert_eq!(expected(&progress::<Epoch<0>>()), None);
        match progress::<Epoch<2>>() {
            Outcome::Fail { reason, .. } => assert!(
                reason.starts_with(Kind::Failed.name()) && reason.contains("could not fail"),
                "{reason}"
            ),
            other => panic!("a lock-free map claiming to block passed: {other:?}"),
        }
    }

    #[test]
    fn a_blocking_map_is_expected_to_block_unless_it_claims_lock_freedom() {
        let claimed = progress::<BTree<2>>();
        assert!(expected(&claimed).is_some_and(|t| t.contains("Some(false)")));
        let unclaimed = progress::<BTree<0>>();
        assert!(expected(&unclaimed).is_some_and(|t| t.contains("claims no progress")));
        match progress::<BTree<1>>() {
            Outcome::Fail { reason, .. } => assert!(
                reason.starts_with(Kind::Hang.name()) && reason.contains("blocked by a paused"),
                "{reason}"
            ),
            other => panic!("a mutex claiming lock-freedom passed: {other:?}"),
        }
    }
}
