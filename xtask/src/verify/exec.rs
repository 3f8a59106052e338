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
        // libtest may print `test <name> ... ` in front of a test's first line of output.
        let line = match line.find("VERIFY-STAT ") {
            Some(i) => &line[i..],
            None => line,
        };
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
    ferrolite_matrix::expected_in(&std::fs::read_to_string(log).unwrap_or_default())
}

/// What a cell left behind beside its verdict (`VERIFY-ARTIFACT timeline <path>` and
/// `VERIFY-HISTORY <json>` lines of its log): the timeline page is copied to
/// `<out>/timelines/` and named relative to `out`, where the report goes.
pub fn evidence(log: &Path, out: &Path) -> ferrolite_matrix::Evidence {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut e = ferrolite_matrix::Evidence::default();
    for line in text.lines() {
        if let Some(json) = line.strip_prefix("VERIFY-HISTORY ") {
            e.history = serde_json::from_str(json).ok();
        }
        if let Some(page) = line.strip_prefix("VERIFY-ARTIFACT timeline ") {
            let page = Path::new(page.trim());
            let Some(name) = page.file_name() else {
                continue;
            };
            let dir = out.join("timelines");
            if std::fs::create_dir_all(&dir)
                .and_then(|_| std::fs::copy(page, dir.join(name)))
                .is_ok()
            {
                e.timeline = Some(Path::new("timelines").join(name));
            }
        }
    }
    e
}

/// The interesting part of a failed run's log: the first panic or Miri error and what follows
/// (the reproduction: shrunk sequence, schedule, history timeline), at most `max` lines.
pub fn excerpt(log: &Path, max: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines = compact_schedules(text.lines());
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
        Some(i) => lines[i..].iter().take(max).map(String::as_str).collect(),
        None => lines
            .iter()
            .rev()
            .take(max)
            .rev()
            .map(String::as_str)
            .collect(),
    };
    picked.join("\n")
}

/// `lines` with each quoted schedule or seed shuttle prints (`"` on a line, hundreds of lines
/// of hex, `"`) cut to its first line and a count: otherwise the schedule fills the excerpt and
/// the panic message after it — what the failure was — is cut off. The log keeps it whole.
fn compact_schedules<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut quoted: Option<Vec<&str>> = None;
    for line in lines {
        match (&mut quoted, line.trim() == "\"") {
            (None, true) => {
                out.push(line.to_string());
                quoted = Some(Vec::new());
            }
            (Some(body), true) => {
                match body.len() {
                    0..=2 => out.extend(body.iter().map(|l| l.to_string())),
                    n => {
                        out.push(body[0].to_string());
                        out.push(format!(
                            "… ({} more lines: the whole string is in the log)",
                            n - 1
                        ));
                    }
                }
                out.push(line.to_string());
                quoted = None;
            }
            (Some(body), false) => body.push(line),
            (None, false) => out.push(line.to_string()),
        }
    }
    // An unclosed quote: keep what there was.
    if let Some(body) = quoted {
        out.extend(body.iter().map(|l| l.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{compact_schedules, excerpt, stats, Paths};

    #[test]
    fn a_stat_behind_libtests_test_line_is_counted() {
        let dir = std::env::temp_dir().join(format!("ferrolite-stats-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("cell.log");
        std::fs::write(
            &log,
            "running 1 test\ntest seize ... VERIFY-STAT statements 3008\nVERIFY-STAT queries 7\n",
        )
        .unwrap();
        let s = stats(&log);
        assert_eq!(
            (s.get("statements"), s.get("queries")),
            (Some(&3008), Some(&7))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_long_schedule_does_not_push_the_panic_out_of_the_excerpt() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("x.log");
        let hex = vec!["91a0c084"; 500].join("\n");
        std::fs::write(
            &log,
            format!(
                "running 1 test\nfailing schedule:\n\"\n{hex}\n\"\npass that string to `shuttle::replay`\n\
                 thread 'epoch' panicked at shuttle-engine/src/runtime/execution.rs:217:50:\n\
                 exceeded max_steps bound 1000000. this might be caused by an unfair schedule\n"
            ),
        )
        .unwrap();
        let e = excerpt(&log, 40);
        assert!(e.starts_with("failing schedule:"), "{e}");
        assert!(e.contains("… (499 more lines"), "{e}");
        assert!(e.contains("exceeded max_steps bound"), "{e}");
        assert_eq!(
            ferrolite_matrix::reason(&e),
            "livelock: shuttle step bound exceeded"
        );
        let short = compact_schedules(["\"", "ab", "\""].into_iter());
        assert_eq!(short, ["\"", "ab", "\""]);
    }
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
}
