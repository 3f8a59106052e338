//! The proptest reference-model checker.
//!
//! Random single-threaded sequences of operations (`insert` of new and present keys, i.e.
//! insert and replace; `get`, `remove`, `contains`; `range` with unbounded, included and
//! excluded bounds, inverted and single-key ranges, sometimes dropped part-way; `len`,
//! `is_empty`, `iter`) are applied to a fresh map and to a `BTreeMap`, and every result is
//! compared. After the sequence the final contents, the length and the reclamation counters
//! are checked, the map is dropped, and every value it held must have been dropped exactly once
//! (values carry a shared live-instance counter: a double drop or a leak shows up as a non-zero
//! count).
//!
//! The key space is small, so inserts often replace and removes often hit. Each matrix cell runs
//! two workloads: `u64` keys, and variable-length byte-string keys (the empty key and prefixes).
//!
//! Cases are generated and **shrunk** by a [`proptest`] [`TestRunner`] whose case count the
//! caller chooses ([`ModelConfig::for_mode`] maps [`Mode`] to a budget). On failure the minimal
//! sequence is replayed on a fresh map and printed op by op with the map's and the model's
//! answers ([`Failure`]'s `Display`). Concurrency is not this checker's job: see the lincheck,
//! loom and shuttle checkers.
//!
//! Runs are reproducible: the random seed comes from `FERROLITE_MODEL_SEED` (decimal or `0x`
//! hex) when set, and is printed in every failure.

use crate::{active_mutant, report, Mode};
use ferrolite_structures::{ConcurrentMap, MapKey, MapKind, MapVisitor};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRunner};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::{self, Debug, Write as _};
use std::ops::Bound;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;

/// The environment variable that fixes the random seed of a run.
pub const SEED_VAR: &str = "FERROLITE_MODEL_SEED";

/// How much the checker explores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelConfig {
    /// Random operation sequences per matrix cell (split between the two key types).
    pub cases: u32,
    /// Longest operation sequence.
    pub max_ops: usize,
    /// `u64` keys are drawn from `0..keys`.
    pub keys: u64,
    /// The seed of the case generator.
    pub seed: u64,
}

impl ModelConfig {
    /// The budget of `mode`: 200, 2 000 or 20 000 cases; the seed from [`SEED_VAR`] or fresh.
    pub fn for_mode(mode: Mode) -> ModelConfig {
        ModelConfig {
            cases: mode.pick(200, 2_000, 20_000),
            max_ops: 100,
            keys: 32,
            seed: seed_from_env(),
        }
    }
}

/// The seed named by [`SEED_VAR`], or a fresh one (time and process id) when it is unset.
/// Panics on a malformed value.
pub fn seed_from_env() -> u64 {
    crate::rng::seed_from_var(SEED_VAR)
}

// ---------------------------------------------------------------------------------------------
// Values with a live-instance count
// ---------------------------------------------------------------------------------------------

/// The value type the checker stores: a number, plus a counter of live instances shared by
/// every value of one case (incremented by each clone, decremented by each drop).
pub struct Tracked {
    n: u32,
    live: Arc<AtomicIsize>,
}

impl Tracked {
    /// A new value `n` counted in `live`.
    pub fn new(n: u32, live: &Arc<AtomicIsize>) -> Tracked {
        live.fetch_add(1, Ordering::Relaxed);
        Tracked {
            n,
            live: Arc::clone(live),
        }
    }

    /// Its number.
    pub fn get(&self) -> u32 {
        self.n
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Tracked {
        Tracked::new(self.n, &self.live)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
    }
}

impl PartialEq for Tracked {
    fn eq(&self, other: &Tracked) -> bool {
        self.n == other.n
    }
}

impl Debug for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Debug::fmt(&self.n, f)
    }
}

// ---------------------------------------------------------------------------------------------
// Operations and their results
// ---------------------------------------------------------------------------------------------

/// One operation, applied to the map under test and to the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op<K> {
    /// `insert(key, value)`: a new key or a replace.
    Insert(K, u32),
    /// `get(key)`.
    Get(K),
    /// `remove(key)`.
    Remove(K),
    /// `contains(key)`.
    Contains(K),
    /// `range(lower, upper)`, keeping only the first `take` entries when given (the iterator is
    /// then dropped part-way).
    Range {
        /// Lower bound.
        lower: Bound<K>,
        /// Upper bound.
        upper: Bound<K>,
        /// How many entries to consume.
        take: Option<usize>,
    },
    /// `len()`.
    Len,
    /// `is_empty()`.
    IsEmpty,
    /// `iter()`, consumed entirely.
    Iter,
}

struct ShowBound<'a, K>(&'a Bound<K>);

impl<K: Debug> fmt::Display for ShowBound<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Bound::Included(k) => write!(f, "Included({k:?})"),
            Bound::Excluded(k) => write!(f, "Excluded({k:?})"),
            Bound::Unbounded => f.write_str("Unbounded"),
        }
    }
}

/// Rust-like: `insert(3, 7)`, `range(Included(2), Unbounded).take(1)`.
impl<K: Debug> fmt::Display for Op<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Insert(k, v) => write!(f, "insert({k:?}, {v})"),
            Op::Get(k) => write!(f, "get({k:?})"),
            Op::Remove(k) => write!(f, "remove({k:?})"),
            Op::Contains(k) => write!(f, "contains({k:?})"),
            Op::Range { lower, upper, take } => {
                write!(f, "range({}, {})", ShowBound(lower), ShowBound(upper))?;
                match take {
                    Some(n) => write!(f, ".take({n})"),
                    None => Ok(()),
                }
            }
            Op::Len => f.write_str("len()"),
            Op::IsEmpty => f.write_str("is_empty()"),
            Op::Iter => f.write_str("iter()"),
        }
    }
}

/// What an operation returned (values by their number).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome<K> {
    Flag(bool),
    Value(Option<u32>),
    Entries(Vec<(K, u32)>),
    Count(usize),
}

impl<K: Debug> fmt::Display for Outcome<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Flag(b) => write!(f, "{b}"),
            Outcome::Value(Some(v)) => write!(f, "Some({v})"),
            Outcome::Value(None) => f.write_str("None"),
            Outcome::Entries(es) => {
                f.write_str("[")?;
                for (i, (k, v)) in es.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "({k:?}, {v})")?;
                }
                f.write_str("]")
            }
            Outcome::Count(n) => write!(f, "{n}"),
        }
    }
}

/// Whether `key` lies within `(lower, upper)`, for any bounds (inverted ranges are empty).
fn within<K: Ord>(key: &K, lower: &Bound<K>, upper: &Bound<K>) -> bool {
    let above = match lower {
        Bound::Unbounded => true,
        Bound::Included(l) => key >= l,
        Bound::Excluded(l) => key > l,
    };
    let below = match upper {
        Bound::Unbounded => true,
        Bound::Included(u) => key <= u,
        Bound::Excluded(u) => key < u,
    };
    above && below
}

/// Apply `op` to the map and to the model: `(what the map returned, what the model expects)`.
fn apply<K: MapKey + Debug>(
    map: &impl ConcurrentMap<K, Tracked>,
    model: &mut BTreeMap<K, u32>,
    live: &Arc<AtomicIsize>,
    op: &Op<K>,
) -> (Outcome<K>, Outcome<K>) {
    let number = |v: Option<Tracked>| Outcome::Value(v.map(|v| v.n));
    let entries = |it: &mut dyn Iterator<Item = (K, Tracked)>, take: usize| {
        Outcome::Entries(it.take(take).map(|(k, v)| (k, v.n)).collect())
    };
    match op {
        Op::Insert(k, v) => {
            let want = Outcome::Flag(model.insert(k.clone(), *v).is_none());
            (
                Outcome::Flag(map.insert(k.clone(), Tracked::new(*v, live))),
                want,
            )
        }
        Op::Get(k) => (number(map.get(k)), Outcome::Value(model.get(k).copied())),
        Op::Remove(k) => (number(map.remove(k)), Outcome::Value(model.remove(k))),
        Op::Contains(k) => (
            Outcome::Flag(map.contains(k)),
            Outcome::Flag(model.contains_key(k)),
        ),
        Op::Range { lower, upper, take } => {
            let take = take.unwrap_or(usize::MAX);
            let want = model
                .iter()
                .filter(|(k, _)| within(*k, lower, upper))
                .take(take)
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            let got = entries(&mut map.range((lower.as_ref(), upper.as_ref())), take);
            (got, Outcome::Entries(want))
        }
        Op::Len => (Outcome::Count(map.len()), Outcome::Count(model.len())),
        Op::IsEmpty => (
            Outcome::Flag(map.is_empty()),
            Outcome::Flag(model.is_empty()),
        ),
        Op::Iter => {
            let want = model.iter().map(|(k, v)| (k.clone(), *v)).collect();
            (entries(&mut map.iter(), usize::MAX), Outcome::Entries(want))
        }
    }
}

/// Run `ops` on a fresh map, then the final checks. `Err` describes the first divergence.
/// With `transcript`, every step is written to it, one line each.
fn execute<K: MapKey + Debug, M: ConcurrentMap<K, Tracked>>(
    make: &dyn Fn() -> M,
    ops: &[Op<K>],
    check_drops: bool,
    mut transcript: Option<&mut String>,
) -> Result<(), String> {
    let live = Arc::new(AtomicIsize::new(0));
    let map = make();
    let mut model = BTreeMap::new();
    // Formatting is for the transcript and the failure message only (the hot path skips it).
    let tracing = transcript.is_some();
    let width = if tracing {
        ops.iter().map(|op| op.to_string().len()).max().unwrap_or(0)
    } else {
        0
    };
    let mut line =
        |label: &str, text: &str, got: &dyn fmt::Display, want: Option<&dyn fmt::Display>| {
            if let Some(t) = transcript.as_deref_mut() {
                let _ = write!(t, "  {label:>5} {text:<width$} -> {got}");
                match want {
                    Some(w) => {
                        let _ = writeln!(t, "   but the model says {w}   <-- first divergence");
                    }
                    None => t.push('\n'),
                }
            }
        };
    for (i, op) in ops.iter().enumerate() {
        let (got, want) = apply(&map, &mut model, &live, op);
        if !tracing && got == want {
            continue;
        }
        let text = op.to_string();
        if got != want {
            line(&format!("#{i}"), &text, &got, Some(&want));
            return Err(format!(
                "op #{i} {text}: map returned {got}, model expects {want}"
            ));
        }
        line(&format!("#{i}"), &text, &got, None);
    }
    // Final state.
    let (got, want) = apply(&map, &mut model, &live, &Op::Iter);
    if got != want {
        line("end", "iter()", &got, Some(&want));
        return Err(format!("final iter(): map has {got}, model has {want}"));
    }
    let (got, want) = apply(&map, &mut model, &live, &Op::Len);
    if got != want {
        line("end", "len()", &got, Some(&want));
        return Err(format!("final len(): map says {got}, model has {want}"));
    }
    let stats = map.reclamation();
    if stats.nodes_freed > stats.nodes_retired || stats.values_freed > stats.values_retired {
        line("end", "reclamation()", &stats, Some(&"freed <= retired"));
        return Err(format!("reclamation(): freed more than retired: {stats}"));
    }
    drop(map);
    let alive = live.load(Ordering::Relaxed);
    if check_drops && alive != 0 {
        line(
            "end",
            "drop(map)",
            &format!("{alive} values alive"),
            Some(&0),
        );
        return Err(format!(
            "after dropping the map {alive} values are alive (negative: dropped twice; \
             positive: leaked)"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

fn bound_strategy<K: Debug + Clone>(
    key: impl Strategy<Value = K> + Clone,
) -> impl Strategy<Value = Bound<K>> {
    prop_oneof![
        1 => Just(Bound::Unbounded),
        2 => key.clone().prop_map(Bound::Included),
        2 => key.prop_map(Bound::Excluded),
    ]
}

/// One operation over keys drawn from `key`.
pub fn op_strategy<K: Debug + Clone>(
    key: impl Strategy<Value = K> + Clone + 'static,
) -> impl Strategy<Value = Op<K>> {
    let range = (
        bound_strategy(key.clone()),
        bound_strategy(key.clone()),
        proptest::option::of(0..5usize),
    )
        .prop_map(|(lower, upper, take)| Op::Range { lower, upper, take });
    // The four ranges on one key: [k, k], [k, k), (k, k], (k, k).
    let single = (key.clone(), any::<bool>(), any::<bool>()).prop_map(|(k, lo, hi)| {
        let b = |inc: bool, k: K| {
            if inc {
                Bound::Included(k)
            } else {
                Bound::Excluded(k)
            }
        };
        Op::Range {
            lower: b(lo, k.clone()),
            upper: b(hi, k),
            take: None,
        }
    });
    prop_oneof![
        8 => (key.clone(), 0..100u32).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => key.clone().prop_map(Op::Get),
        5 => key.clone().prop_map(Op::Remove),
        2 => key.prop_map(Op::Contains),
        3 => range,
        1 => single,
        1 => Just(Op::Len),
        1 => Just(Op::IsEmpty),
        1 => Just(Op::Iter),
    ]
}

// ---------------------------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------------------------

/// What a passing run explored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Operation sequences run.
    pub cases: u64,
    /// Operations applied (final checks not counted).
    pub ops: u64,
}

/// A divergence from the model, with the shrunk operation sequence.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The map's name.
    pub map: String,
    /// The workload (`u64 keys`, `byte-string keys`).
    pub workload: &'static str,
    /// The generator seed (rerun with [`SEED_VAR`] set to it).
    pub seed: u64,
    /// The active mutant, if any.
    pub mutant: Option<String>,
    /// Cases run up to and including the first failing one, over every workload of the cell.
    pub cases: u64,
    /// Shrinking steps tried.
    pub shrink_steps: u64,
    /// Why the minimal case fails, as proptest reported it.
    pub reason: String,
    /// The minimal failing sequence, one operation per entry (`insert(3, 7)`, …).
    pub ops: Vec<String>,
    /// The minimal sequence replayed on a fresh map, one line per operation with its result.
    pub transcript: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "model check: map `{}` ({})", self.map, self.workload)?;
        if let Some(m) = &self.mutant {
            write!(f, " [mutant {m}]")?;
        }
        writeln!(
            f,
            " diverges from BTreeMap\n  first failing case after {} cases, shrunk in {} steps; \
             seed {} (rerun with {SEED_VAR}={})",
            self.cases, self.shrink_steps, self.seed, self.seed
        )?;
        writeln!(f, "  reason: {}", self.reason)?;
        writeln!(
            f,
            "  minimal failing sequence ({} ops), replayed on a fresh map:",
            self.ops.len()
        )?;
        f.write_str(&self.transcript)
    }
}

impl std::error::Error for Failure {}

fn runner_config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        // The verifier owns its budget and writes no regression files; the seed reproduces.
        failure_persistence: None,
        // XorShift: ChaCha dominates the time of an unoptimised build.
        rng_algorithm: RngAlgorithm::XorShift,
        rng_seed: RngSeed::Fixed(seed),
        // Shrinking a single-threaded failure is fast; bound it anyway (milliseconds).
        max_shrink_time: 120_000,
        ..Config::default()
    }
}

/// Check the maps `make` builds against the model over `cases` sequences of operations on keys
/// drawn from `key`. `check_drops`: require every value to be dropped once the map is dropped.
/// `name` and `workload` only label the failure.
pub fn check<K: MapKey + Debug, M: ConcurrentMap<K, Tracked>>(
    name: &str,
    workload: &'static str,
    config: &ModelConfig,
    cases: u32,
    key: impl Strategy<Value = K> + Clone + 'static,
    make: &dyn Fn() -> M,
    check_drops: bool,
) -> Result<Summary, Box<Failure>> {
    let strategy = vec(op_strategy(key), 0..=config.max_ops);
    let mut runner = TestRunner::new(runner_config(cases, config.seed));
    let (run, ops, failed, shrinks) = (
        Cell::new(0u64),
        Cell::new(0u64),
        Cell::new(false),
        Cell::new(0u64),
    );
    let result = runner.run(&strategy, |seq| {
        if failed.get() {
            shrinks.set(shrinks.get() + 1);
        } else {
            run.set(run.get() + 1);
            ops.set(ops.get() + seq.len() as u64);
        }
        let r = execute(make, &seq, check_drops, None).map_err(TestCaseError::fail);
        if r.is_err() {
            failed.set(true);
        }
        r
    });
    match result {
        Ok(()) => Ok(Summary {
            cases: run.get(),
            ops: ops.get(),
        }),
        Err(TestError::Abort(reason)) => Err(Box::new(Failure {
            map: name.to_string(),
            workload,
            seed: config.seed,
            mutant: active_mutant(),
            cases: run.get(),
            shrink_steps: shrinks.get(),
            reason: format!("proptest aborted: {reason}"),
            ops: Vec::new(),
            transcript: String::new(),
        })),
        Err(TestError::Fail(reason, minimal)) => {
            let mut transcript = String::new();
            let replay = panic::catch_unwind(AssertUnwindSafe(|| {
                execute(make, &minimal, check_drops, Some(&mut transcript))
            }));
            match replay {
                Ok(Err(_)) => {}
                Ok(Ok(())) => transcript.push_str(
                    "  (the replay passed: the failure depends on more than the operations)\n",
                ),
                Err(p) => {
                    let msg = p
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "<non-string panic>".into());
                    let _ = writeln!(transcript, "  (the next operation panicked: {msg})");
                }
            }
            Err(Box::new(Failure {
                map: name.to_string(),
                workload,
                seed: config.seed,
                mutant: active_mutant(),
                cases: run.get(),
                shrink_steps: shrinks.get(),
                reason: reason.to_string(),
                ops: minimal.iter().map(|op| op.to_string()).collect(),
                transcript,
            }))
        }
    }
}

/// Check one kind of map: three quarters of the cases with `u64` keys in `0..config.keys`, a
/// quarter with byte-string keys of length 0 to 3 over a 3-letter alphabet (40 keys).
pub fn check_kind(kind: MapKind, config: &ModelConfig) -> Result<Summary, Box<Failure>> {
    let byte_cases = config.cases / 4;
    let ints = kind.visit(CheckKind {
        kind,
        config,
        workload: "u64 keys",
        cases: config.cases - byte_cases,
        key: 0..config.keys,
    })?;
    let bytes = kind
        .visit(CheckKind {
            kind,
            config,
            workload: "byte-string keys",
            cases: byte_cases,
            key: vec(0..3u8, 0..=3),
        })
        .map_err(|mut f| {
            f.cases += ints.cases;
            f
        })?;
    Ok(Summary {
        cases: ints.cases + bytes.cases,
        ops: ints.ops + bytes.ops,
    })
}

/// [`check`] on fresh maps of the visited type, keys drawn from `key` ([`check_kind`]'s
/// visitor).
struct CheckKind<'a, S> {
    kind: MapKind,
    config: &'a ModelConfig,
    workload: &'static str,
    cases: u32,
    key: S,
}

impl<K, S> MapVisitor<K, Tracked> for CheckKind<'_, S>
where
    K: MapKey + Debug,
    S: Strategy<Value = K> + Clone + 'static,
{
    type Output = Result<Summary, Box<Failure>>;

    fn visit<M: ConcurrentMap<K, Tracked> + Default + 'static>(self) -> Self::Output {
        check(
            self.kind.name(),
            self.workload,
            self.config,
            self.cases,
            self.key,
            &M::default,
            // A map whose drop does not free everything (crossbeam's global collector) may
            // drop values after the map is gone.
            self.kind.info().frees_on_drop,
        )
    }
}

/// One verification-matrix cell: check `kind` with the budget of [`Mode::from_env`], print
/// `VERIFY-STAT cases` and `VERIFY-STAT ops`, and panic with the shrunk sequence on failure.
pub fn run_cell(kind: MapKind) {
    let mode = Mode::from_env();
    let config = ModelConfig::for_mode(mode);
    println!(
        "model: map {kind}, mode {mode}, {} cases, seed {}",
        config.cases, config.seed
    );
    match check_kind(kind, &config) {
        Ok(summary) => {
            report("cases", summary.cases);
            report("ops", summary.ops);
        }
        Err(failure) => {
            report("cases", failure.cases);
            panic!("{failure}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrolite_structures::{MapValue, ReclaimStats};
    use std::borrow::Borrow;
    use std::ops::RangeBounds;
    use std::sync::Mutex;

    /// A `Mutex<BTreeMap>` with one seeded defect.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Defect {
        /// `remove` returns the value but keeps the entry.
        RemoveKeeps,
        /// `insert` of a present key reports it as new.
        ReplaceSaysNew,
        /// An excluded lower bound is treated as included.
        RangeIncludesExcluded,
        /// `remove` forgets the value without dropping it (a leak).
        RemoveLeaks,
    }

    struct Broken<K, V> {
        inner: Mutex<BTreeMap<K, V>>,
        defect: Defect,
    }

    impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for Broken<K, V> {
        fn name(&self) -> &'static str {
            "broken"
        }
        fn insert(&self, key: K, value: V) -> bool {
            let new = self.inner.lock().unwrap().insert(key, value).is_none();
            new || self.defect == Defect::ReplaceSaysNew
        }
        fn get<Q>(&self, key: &Q) -> Option<V>
        where
            K: Borrow<Q>,
            Q: Ord + ?Sized,
        {
            self.inner.lock().unwrap().get(key).cloned()
        }
        fn remove<Q>(&self, key: &Q) -> Option<V>
        where
            K: Borrow<Q>,
            Q: Ord + ?Sized,
        {
            let mut m = self.inner.lock().unwrap();
            match self.defect {
                Defect::RemoveKeeps => m.get(key).cloned(),
                Defect::RemoveLeaks => {
                    let v = m.remove(key)?;
                    std::mem::forget(v.clone());
                    Some(v)
                }
                _ => m.remove(key),
            }
        }
        fn range<Q, R>(&self, range: R) -> impl Iterator<Item = (K, V)>
        where
            K: Borrow<Q>,
            R: RangeBounds<Q>,
            Q: Ord + ?Sized,
        {
            let lower = match range.start_bound() {
                Bound::Excluded(k) if self.defect == Defect::RangeIncludesExcluded => {
                    Bound::Included(k)
                }
                b => b,
            };
            let m = self.inner.lock().unwrap();
            let out: Vec<(K, V)> = m
                .iter()
                .filter(|(k, _)| (lower, range.end_bound()).contains((*k).borrow()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            out.into_iter()
        }
        fn len(&self) -> usize {
            self.inner.lock().unwrap().len()
        }
        fn reclamation(&self) -> ReclaimStats {
            ReclaimStats::default()
        }
    }

    fn config(cases: u32) -> ModelConfig {
        ModelConfig {
            cases,
            max_ops: 100,
            keys: 32,
            seed: 0x5eed,
        }
    }

    fn check_broken(defect: Defect) -> Box<Failure> {
        let make = move || Broken {
            inner: Mutex::new(BTreeMap::new()),
            defect,
        };
        check(
            "broken",
            "u64 keys",
            &config(200),
            200,
            0..32u64,
            &make,
            true,
        )
        .expect_err("the broken map passed the model check")
    }

    #[test]
    fn remove_that_keeps_is_caught_with_a_short_sequence() {
        let f = check_broken(Defect::RemoveKeeps);
        println!("{f}");
        // Minimal: insert(0, 0), remove(0), then a read (or the final check).
        assert!(f.ops.len() <= 3, "not shrunk: {f}");
        assert!(f.ops[0].starts_with("insert("), "{f}");
        assert!(f.ops.iter().any(|op| op.starts_with("remove(")), "{f}");
        assert!(f.transcript.contains("first divergence"), "{f}");
        let text = f.to_string();
        assert!(text.contains("minimal failing sequence"), "{text}");
        assert!(text.contains("FERROLITE_MODEL_SEED=24301"), "{text}");
    }

    #[test]
    fn wrong_replace_flag_is_caught() {
        let f = check_broken(Defect::ReplaceSaysNew);
        // Minimal: two inserts of one key (shrinking lowers keys one op at a time, so the key
        // need not reach 0).
        assert_eq!(f.ops.len(), 2, "{f}");
        assert!(f.ops.iter().all(|op| op.starts_with("insert(")), "{f}");
        let key = |op: &str| op.split(',').next().map(str::to_owned);
        assert_eq!(key(&f.ops[0]), key(&f.ops[1]), "{f}");
    }

    #[test]
    fn range_bound_error_is_caught() {
        let f = check_broken(Defect::RangeIncludesExcluded);
        assert_eq!(f.ops.len(), 2, "{f}");
        assert!(f.ops[0].starts_with("insert("), "{f}");
        assert!(f.ops[1].starts_with("range(Excluded("), "{f}");
    }

    #[test]
    fn leaked_value_is_caught() {
        let f = check_broken(Defect::RemoveLeaks);
        assert!(f.ops.len() <= 2, "{f}");
        assert!(f.reason.contains("values are alive"), "{f}");
    }

    #[test]
    fn correct_maps_pass_and_count() {
        let s = check_kind(MapKind::BTree, &config(40)).expect("the reference map failed");
        assert_eq!(s.cases, 40);
        assert!(s.ops > 0);
    }

    #[test]
    fn ops_display_like_calls() {
        let op = Op::Range {
            lower: Bound::Included(2u64),
            upper: Bound::Unbounded,
            take: Some(1),
        };
        assert_eq!(op.to_string(), "range(Included(2), Unbounded).take(1)");
        assert_eq!(Op::Insert(vec![1u8], 7).to_string(), "insert([1], 7)");
        assert_eq!(
            Outcome::Entries(vec![(1u64, 2), (3, 4)]).to_string(),
            "[(1, 2), (3, 4)]"
        );
    }
}
