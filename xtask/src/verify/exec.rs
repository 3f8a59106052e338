//! Running cargo for builds and cells: environment, timeouts, logs, and what is read back.
//!
//! Output goes to a log file per run (`target/verify/logs/`), never through pipes, so a chatty
//! checker cannot dead-lock the verifier. Stats are the `VERIFY-STAT <key> <value>` lines that
//! `ferrolite-verification` prints; for Miri, libtest's `test result:` lines. What a report
//! quotes of a log goes through [`Paths::relative`] first, so that no report names a
//! directory of the machine it ran on.

use super::plan::Build;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Exit status 0.
    Success,
    /// Non-zero exit (or killed by a signal).
    Failure,
    /// Killed after the time limit.
    Timeout,
}

/// One finished run.
#[derive(Clone, Debug)]
pub struct Run {
    pub exit: Exit,
    pub secs: f64,
}

/// The `cargo` to use: `$CARGO` (the toolchain running xtask) for stable builds, the `cargo`
/// proxy on `PATH` for `+nightly`.
fn cargo(build: &Build) -> Command {
    if build.miri {
        let mut c = Command::new("cargo");
        c.arg("+nightly");
        c
    } else {
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
    }
}

/// Run `build`'s cargo with `extra` arguments and `env`, logging to `log`.
pub fn run(
    root: &Path,
    build: &Build,
    extra: &[String],
    env: &[(&str, String)],
    log: &Path,
    limit: Duration,
) -> Result<Run> {
    let mut cmd = cargo(build);
    cmd.current_dir(root)
        .args(&build.args)
        .arg("--target-dir")
        .arg(&build.target_dir)
        .args(extra)
        .env("RUSTFLAGS", &build.rustflags)
        .env("CARGO_TERM_COLOR", "never")
        // Backtraces would push the reproduction (schedule, history, shrunk input) out of the
        // report's excerpt; the panic message and location are enough to find the check.
        .env("RUST_BACKTRACE", "0")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("FERROLITE_MUTANT")
        .stdin(Stdio::null());
    if build.miri {
        // Tree Borrows: crossbeam-epoch's intrusive list is reported under Stacked Borrows.
        // Isolation hides the host environment: forward the variables the tests read (or,
        // for tests that need the file system, turn isolation off, which forwards them all).
        cmd.env(
            "MIRIFLAGS",
            if build.miri_isolation {
                "-Zmiri-tree-borrows -Zmiri-env-forward=FERROLITE_MUTANT \
                 -Zmiri-env-forward=FERROLITE_VERIFY_MODE"
            } else {
                "-Zmiri-tree-borrows -Zmiri-disable-isolation"
            },
        );
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    cmd.stdout(file.try_clone()?).stderr(file);
    let start = Instant::now();
    let mut child = cmd.spawn().context("spawning cargo")?;
    let exit = loop {
        if let Some(status) = child.try_wait()? {
            break if status.success() {
                Exit::Success
            } else {
                Exit::Failure
            };
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break Exit::Timeout;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ok(Run {
        exit,
        secs: start.elapsed().as_secs_f64(),
    })
}

/// The machine's directories a log may name, and what a report writes instead: paths in the
/// repository relative to it, the cargo and rustup homes (registry sources, toolchains) as
/// `$CARGO_HOME` and `$RUSTUP_HOME`.
#[derive(Clone, Debug)]
pub struct Paths {
    /// `(absolute prefix, replacement)`, longest prefix first.
    prefixes: Vec<(String, String)>,
}

impl Paths {
    /// The directories of this machine: the repository `root`, `$CARGO_HOME` and
    /// `$RUSTUP_HOME` (by default `~/.cargo` and `~/.rustup`).
    pub fn of_machine(root: &Path) -> Paths {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let dir = |var: &str, default: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(default)))
        };
        Paths::new(
            root,
            dir("CARGO_HOME", ".cargo"),
            dir("RUSTUP_HOME", ".rustup"),
        )
    }

    /// As [`Paths::of_machine`], with the homes given.
    pub fn new(root: &Path, cargo_home: Option<PathBuf>, rustup_home: Option<PathBuf>) -> Paths {
        let mut prefixes = vec![(format!("{}/", root.display()), String::new())];
        for (dir, name) in [(cargo_home, "$CARGO_HOME"), (rustup_home, "$RUSTUP_HOME")] {
            if let Some(d) = dir {
                prefixes.push((format!("{}/", d.display()), format!("{name}/")));
            }
        }
        prefixes.retain(|(p, _)| p.len() > 1); // never rewrite every `/`
        prefixes.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        Paths { prefixes }
    }

    /// `text` with every machine directory replaced.
    pub fn relative(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (prefix, with) in &self.prefixes {
            out = out.replace(prefix.as_str(), with);
        }
        out
    }

    /// `path` as a report prints it.
    pub fn path(&self, path: &Path) -> PathBuf {
        PathBuf::from(self.relative(&path.display().to_string()))
    }
}

/// Sum the `VERIFY-STAT` lines of a log (and count passed tests from libtest's summaries).
pub fn stats(log: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let text = std::fs::read_to_string(log).unwrap_or_default();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("VERIFY-STAT") => {
                if let (Some(k), Some(v)) = (words.next(), words.next()) {
                    if let Ok(v) = v.parse::<u64>() {
                        *out.entry(k.to_string()).or_insert(0) += v;
                    }
                }
            }
            Some("test") if line.starts_with("test result:") => {
                // "test result: ok. 13 passed; 0 failed; ..."
                if let Some(n) = line
                    .split(';')
                    .next()
                    .and_then(|s| s.split_whitespace().rev().nth(1))
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    *out.entry("tests".to_string()).or_insert(0) += n;
                }
            }
            _ => {}
        }
    }
    out
}

/// The violations a passing cell showed *as expected* (a map declared non-linearizable, whose
/// lincheck cell counts them instead of failing): the line saying how many, and the first
/// minimal timeline after it. `None` when the log holds none.
pub fn expected(log: &Path) -> Option<String> {
    expected_in(&std::fs::read_to_string(log).unwrap_or_default())
}

fn expected_in(text: &str) -> Option<String> {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.contains("as expected of this map"));
    let first = lines.next()?;
    let mut out = vec![first.split_once(": ").map_or(first, |(_, rest)| rest)];
    out.extend(lines.take_while(|l| !l.trim().is_empty() && l.trim() != "ok"));
    Some(out.join("\n"))
}

/// The interesting part of a failed run's log: the first panic or Miri error and what follows
/// (the reproduction: shrunk sequence, schedule, history timeline), at most `max` lines.
pub fn excerpt(log: &Path, max: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    // Shuttle prints the replayable schedule just before the panic message, so it is a marker
    // too: the excerpt then starts with the reproduction.
    let markers = [
        "failing schedule",
        "panicked at",
        "error: Undefined Behavior",
        "Causality violation",
        "error: memory leaked",
        "error[E",
        "error: could not compile",
        "free(): ",
        "double free",
        "SIGSEGV",
        "SIGABRT",
        "made no progress",
    ];
    let start = lines
        .iter()
        .position(|l| markers.iter().any(|m| l.contains(m)));
    let picked: Vec<&str> = match start {
        Some(i) => lines[i..].iter().take(max).copied().collect(),
        None => lines.iter().rev().take(max).rev().copied().collect(),
    };
    picked.join("\n")
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
    WrongResult,
    DataRace,
    UseAfterFree,
    UndefinedBehaviour,
    Crash,
    Leak,
    Livelock,
    Hang,
    Timeout,
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
    if has("maximum number of branches") {
        return (Kind::Livelock, "loom branch bound exceeded".into());
    }
    if has("exceeded max_steps") || has("exceeded the step bound") {
        return (Kind::Livelock, "shuttle step bound exceeded".into());
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
    use super::{reason, Kind, Paths};
    use std::path::{Path, PathBuf};

    #[test]
    fn reports_name_no_machine_directory() {
        let p = Paths::new(
            Path::new("/work/main"),
            Some(PathBuf::from("/root/.cargo")),
            Some(PathBuf::from("/root/.rustup")),
        );
        let log = "process didn't exit successfully: `/work/main/target/verify/std/release/deps/model-c8 \
            --exact epoch`\nthread 'epoch' panicked at /root/.cargo/registry/src/index.crates.io-1949/loom-0.7.3/src/rt/path.rs:175:9:\n\
            at /root/.rustup/toolchains/nightly/lib/rustlib/src/rust/library/alloc/src/boxed.rs:1558:9\n\
            /work/mainline/x.rs and /root/.cargo-other stay";
        let got = p.relative(log);
        assert!(
            got.contains("`target/verify/std/release/deps/model-c8"),
            "{got}"
        );
        assert!(
            got.contains("at $CARGO_HOME/registry/src/index.crates.io-1949/loom-0.7.3/"),
            "{got}"
        );
        assert!(
            got.contains("at $RUSTUP_HOME/toolchains/nightly/lib/"),
            "{got}"
        );
        assert!(
            got.contains("/work/mainline/x.rs and /root/.cargo-other"),
            "{got}"
        );
        assert_eq!(
            p.path(Path::new("/work/main/target/verify/logs/epoch-loom.log")),
            Path::new("target/verify/logs/epoch-loom.log")
        );
    }

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
            ("crash test Epoch seed 1 cycle 3 preset S2 ending: x: writer 0: batch 7 was acknowledged but the database ends at Some(5)", "wrong result: crash test: an acknowledged batch"),
            ("crash test Epoch seed 1 cycle 3 preset S2 ending: x: recovered state differs from the prefix model (3 keys", "wrong result: crash test: recovered state"),
            ("process didn't exit successfully: `model --exact epoch` (signal: 11, SIGSEGV: invalid memory reference)", "crash: segmentation fault"),
            ("thread 'main' panicked at structures/src/lockfree/node.rs:10:5:\ncalled `Option::unwrap()` on a `None` value", "crash: panic at structures/src/lockfree/node.rs"),
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
