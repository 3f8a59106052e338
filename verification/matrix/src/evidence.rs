//! What kind of evidence a failing cell gave, read from its log or panic message: the
//! [`Kind`]s (wrong result, data race, use after free, …) and [`reason`], which names the kind
//! first; and [`expected_in`], the violations a map declared non-linearizable showed as expected.

/// The violations a passing cell showed *as expected* (a map declared non-linearizable, whose
/// lincheck cell counts them instead of failing): the line saying how many, and the first
/// minimal timeline after it. `None` when the text holds none.
pub fn expected_in(text: &str) -> Option<String> {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.contains("as expected of this map"));
    let first = lines.next()?;
    let mut out = vec![first.split_once(": ").map_or(first, |(_, rest)| rest)];
    out.extend(lines.take_while(|l| !l.trim().is_empty() && l.trim() != "ok"));
    Some(out.join("\n"))
}

/// What a failing run showed, for the matrix: its kind, then what was seen.
///
/// The kinds, strongest evidence first: `wrong result` (an answer no correct map gives:
/// not linearizable, a lost or phantom key, a diverging model), `data race`, `use after free`,
/// `undefined behaviour` (Miri's other findings), `crash` (a signal, an allocator abort, a
/// panic inside the code under test or a checker's runtime), `leak` (memory not bounded),
/// `livelock` (a bound on steps or branches exceeded: a spin that never ends — weaker than a
/// wrong answer), `hang` (no progress, a deadlock or an endless stall). A time-limit kill is a
/// `timeout`, reported by the caller ([`Kind`]).
pub fn reason(excerpt: &str) -> String {
    let (kind, detail) = catch(excerpt);
    format!("{}: {detail}", kind.name())
}

/// What kind of evidence a failing cell gave ([`reason`] says it first; the report's legend
/// lists them all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An answer no correct map gives.
    WrongResult,
    /// An unsynchronised access.
    DataRace,
    /// Memory read after it was freed.
    UseAfterFree,
    /// Miri's other findings.
    UndefinedBehaviour,
    /// A signal, an allocator abort or a panic in the code under test.
    Crash,
    /// Memory not bounded.
    Leak,
    /// A bound on steps or branches exceeded.
    Livelock,
    /// No progress at all.
    Hang,
    /// Killed at the time limit.
    Timeout,
    /// Nothing recognised.
    Failed,
}

impl Kind {
    /// Every kind, strongest evidence first.
    pub const ALL: [Kind; 10] = [
        Kind::WrongResult,
        Kind::DataRace,
        Kind::UseAfterFree,
        Kind::UndefinedBehaviour,
        Kind::Crash,
        Kind::Leak,
        Kind::Livelock,
        Kind::Hang,
        Kind::Timeout,
        Kind::Failed,
    ];

    /// How the matrix names it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::WrongResult => "wrong result",
            Kind::DataRace => "data race",
            Kind::UseAfterFree => "use after free",
            Kind::UndefinedBehaviour => "undefined behaviour",
            Kind::Crash => "crash",
            Kind::Leak => "leak",
            Kind::Livelock => "livelock",
            Kind::Hang => "hang",
            Kind::Timeout => "timeout",
            Kind::Failed => "failed",
        }
    }

    /// What it means, for the legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Kind::WrongResult => "an answer no correct map gives (not linearizable, a lost or phantom key, a model that diverges)",
            Kind::DataRace => "an unsynchronised access (loom's causality check, Miri's race detector)",
            Kind::UseAfterFree => "memory read after it was freed (Miri; loom's object store reached through freed memory)",
            Kind::UndefinedBehaviour => "Miri's other findings",
            Kind::Crash => "a signal, an allocator abort or a panic inside the code under test",
            Kind::Leak => "memory not bounded",
            Kind::Livelock => "a bound on steps or branches exceeded: a spin that never ends (weaker evidence than a wrong result)",
            Kind::Hang => "no progress at all: a deadlock or an endless write stall",
            Kind::Timeout => "killed at the time limit",
            Kind::Failed => "none of the above was recognised in the log (read it)",
        }
    }
}

fn catch(x: &str) -> (Kind, String) {
    let has = |needle: &str| x.contains(needle);
    // Miri names the undefined behaviour it found.
    if let Some(line) = x.lines().find(|l| l.contains("Undefined Behavior")) {
        let what = line
            .split("Undefined Behavior: ")
            .nth(1)
            .unwrap_or("")
            .to_string();
        let kind = if what.contains("Data race") {
            Kind::DataRace
        } else if what.contains("freed") || what.contains("use-after-free") {
            Kind::UseAfterFree
        } else {
            Kind::UndefinedBehaviour
        };
        return (kind, format!("Miri: {}", short(&what)));
    }
    if has("error: memory leaked") {
        return (Kind::Leak, "Miri: memory leaked".into());
    }
    if has("Causality violation") {
        return (Kind::DataRace, "loom: causality violation".into());
    }
    // loom's branch bound is a panic inside its runtime too (`rt/path.rs`), but a spin, not
    // freed memory: checked first.
    if has("maximum number of branches") {
        return (Kind::Livelock, "loom branch bound exceeded".into());
    }
    let panic = Panic::find(x);
    // loom's own runtime failing: its object store was reached through freed memory.
    if let Some(p) = &panic {
        if p.at.contains("/loom-") && p.at.contains("/rt/") {
            return (
                Kind::UseAfterFree,
                format!("loom's runtime read freed memory ({})", short(&p.message)),
            );
        }
    }
    if has("exceeded max_steps") || has("exceeded the step bound") {
        return (Kind::Livelock, "shuttle step bound exceeded".into());
    }
    if has("no progress while a thread is paused") {
        return (
            Kind::Livelock,
            "progress: the others spin while a thread is paused".into(),
        );
    }
    if has("blocked by a paused thread") {
        return (
            Kind::Hang,
            "progress: a paused thread blocks the others".into(),
        );
    }
    if has("a case made no progress") {
        return (Kind::Hang, "engine: a case made no progress".into());
    }
    if has("made no progress") {
        return (Kind::Livelock, "an operation made no progress".into());
    }
    for (needle, what) in [
        ("SIGSEGV", "segmentation fault"),
        ("double free", "double free (allocator abort)"),
        ("free(): ", "heap corruption (allocator abort)"),
        ("SIGABRT", "abort"),
    ] {
        if has(needle) {
            return (Kind::Crash, what.into());
        }
    }
    if has("RSS grew") {
        return (Kind::Leak, "soak: memory not bounded".into());
    }
    // The structures' drop tests count the values a map never dropped.
    if let Some(line) = x.lines().find(|l| l.contains(" values leaked")) {
        let what = line.split("failed: ").last().unwrap_or(line);
        return (Kind::Leak, short(what.trim()));
    }
    for (needle, what) in [
        ("engine model check", "the engine diverges from the model"),
        (
            "was acknowledged but the database ends at",
            "crash test: an acknowledged batch was lost",
        ),
        (
            "differs from the prefix model",
            "crash test: recovered state is not a prefix of the commits",
        ),
        ("recovery failed", "crash test: recovery failed"),
        ("WRONG ANSWER", "faults: a damaged file gave a wrong answer"),
        ("UNDETECTED", "faults: damage went undetected"),
        ("no linearization", "not linearizable"),
        ("not linearizable", "not linearizable"),
    ] {
        if has(needle) {
            return (Kind::WrongResult, what.into());
        }
    }
    match panic {
        // A checker's assertion: the map answered wrongly.
        Some(p) if p.in_checker() => (Kind::WrongResult, short(&p.message)),
        Some(p) => (
            Kind::Crash,
            format!("panic at {}: {}", p.at, short(&p.message)),
        ),
        None => (Kind::Failed, "the test failed (see the log)".into()),
    }
}

/// The first panic of a log: where and its message's first line.
struct Panic {
    at: String,
    message: String,
}

impl Panic {
    fn find(x: &str) -> Option<Panic> {
        let mut lines = x.lines();
        let line = lines.by_ref().find(|l| l.contains("panicked at "))?;
        let at = line
            .split("panicked at ")
            .nth(1)?
            .trim_end_matches(':')
            .to_string();
        let message = lines.next().unwrap_or("").trim().to_string();
        Some(Panic { at, message })
    }

    /// Whether the panic is an assertion of a checker or a test (not the code under test).
    fn in_checker(&self) -> bool {
        let file = self.at.split(':').next().unwrap_or("");
        self.message.starts_with("assertion")
            || file.starts_with("verification/")
            || file.contains("/tests/")
            || file.ends_with("tests.rs")
            || file.contains("/tests.rs")
    }
}

/// At most 90 characters of `s`.
fn short(s: &str) -> String {
    if s.chars().count() <= 90 {
        s.to_string()
    } else {
        s.chars().take(89).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::{reason, Kind};

    #[test]
    fn expected_violations_are_read_with_their_timeline() {
        let log = "VERIFY-STAT violating_histories 32303\n\
            lincheck crossbeam: 32303 of 40000 histories not linearizable, as expected of this map (linearizable() is false); the first one:\n\
            key 0: no linearization of 2 operations\n\
            t1    |--get(0)=None--|\n\
            t2 |--insert(0,v2.28)=replaced--|\n\
            \n\
            ok\n";
        let got = super::expected_in(log).expect("found");
        assert!(got.starts_with("32303 of 40000 histories"), "{got}");
        assert!(got.ends_with("t2 |--insert(0,v2.28)=replaced--|"), "{got}");
        assert_eq!(super::expected_in("VERIFY-STAT histories 4\nok\n"), None);
    }

    #[test]
    fn reasons_name_the_failure_kind() {
        let cases = [
            ("thread 'x' panicked at src/a.rs:1:1:\nModel exceeded maximum number of branches. This is often caused", "livelock: loom"),
            // What loom printed for insert_ignores_mark: the branch bound is raised inside loom's
            // runtime, where a freed-memory panic is raised too.
            ("thread 'epoch' (22515) panicked at $CARGO_HOME/registry/src/index.crates.io-1949cf8c6b5b557f/loom-0.7.3/src/rt/path.rs:247:13:\nModel exceeded maximum number of branches. This is often caused by an algorithm requiring the processor to make progress, e.g. spin locks.", "livelock: loom branch bound exceeded"),
            ("failing schedule:\n\"\n91ab\n\"\nthread 'x' panicked at a.rs:\nexceeded max_steps bound 100000.", "livelock: shuttle"),
            ("failing schedule:\n\"\n91ab\n\"\nthread 'epoch' panicked at verification/tests/shuttle.rs:398:9:\nepoch workload shared: key 0: the key is absent", "wrong result: epoch workload shared: key 0"),
            // What loom printed for free_before_unlink and replace_frees_immediately.
            ("thread 'epoch' (9171) panicked at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/loom-0.7.3/src/rt/object.rs:382:50:\nindex out of bounds: the len is 63 but the index is 16422444654388123113", "use after free: loom's runtime"),
            ("thread 'hazard' panicked at /r/loom-0.7.3/src/rt/object.rs:287:14:\n[loom internal bug] unexpected object stored at reference", "use after free: loom's runtime"),
            ("thread 'epoch' (1059) panicked at verification/tests/loom.rs:249:5:\nexactly one insert is new (main true, spawned true)", "wrong result: exactly one insert is new"),
            ("error: Undefined Behavior: in-bounds pointer arithmetic failed: alloc61196 has been freed, so this pointer is dangling", "use after free: Miri"),
            ("error: Undefined Behavior: Data race detected between (1) non-atomic write on thread `unnamed-2`", "data race: Miri"),
            ("error: Undefined Behavior: constructing invalid value: encountered a dangling box (use-after-free)", "use after free: Miri"),
            ("error: Undefined Behavior: pointer not dereferenceable", "undefined behaviour: Miri"),
            ("panicked at x.rs:\nCausality violation: Concurrent write accesses", "data race: loom"),
            ("panicked at v.rs:\nengine model check: memtable `epoch` (x) diverges", "wrong result: the engine diverges"),
            ("engine model check: memtable `epoch`: a case made no progress for 120 s", "hang: engine"),
            ("thread 'epoch' panicked at verification/tests/progress.rs:40:26:\nprogress epoch: no progress while a thread is paused (the others ran 20001 steps", "livelock: progress"),
            ("thread 'epoch' panicked at verification/tests/progress.rs:40:26:\nprogress epoch: blocked by a paused thread", "hang: progress"),
            ("crash test Epoch seed 1 cycle 3 preset S2 ending: x: writer 0: batch 7 was acknowledged but the database ends at Some(5)", "wrong result: crash test: an acknowledged batch"),
            ("crash test Epoch seed 1 cycle 3 preset S2 ending: x: recovered state differs from the prefix model (3 keys", "wrong result: crash test: recovered state"),
            ("process didn't exit successfully: `model --exact epoch` (signal: 11, SIGSEGV: invalid memory reference)", "crash: segmentation fault"),
            ("thread 'main' panicked at structures/src/lockfree/node.rs:10:5:\ncalled `Option::unwrap()` on a `None` value", "crash: panic at structures/src/lockfree/node.rs"),
            ("thread 'noreclaim' panicked at structures/tests/drop_leak.rs:58:9:\nassertion `left == right` failed: map `noreclaim`: 1 of 40 values leaked\n  left: 1", "leak: map `noreclaim`: 1 of 40 values leaked"),
            ("something else entirely", "failed:"),
        ];
        for (excerpt, want) in cases {
            let got = reason(excerpt);
            assert!(
                got.starts_with(want),
                "{excerpt:?} gave {got:?}, want {want:?}"
            );
        }
        // Every kind a reason can start with is in the legend.
        for (excerpt, _) in cases {
            let got = reason(excerpt);
            let kind = got.split(':').next().unwrap();
            assert!(Kind::ALL.iter().any(|k| k.name() == kind), "{kind}");
        }
    }
}
