//! `cargo xtask mutants`: how much the checkers miss, measured with `cargo-mutants` over the
//! structures' lock-free core (`lockfree/`, `reclaim/`, `tag.rs`, `level.rs`).
//!
//! cargo-mutants runs `cargo test`, so the checkers it uses are test targets: the structures'
//! own tests (model, stress, drop and leak counts, borrowed lookups) and `ferrolite-checkers`'
//! quick checks (`verification/checkers/tests/quick.rs`: model and lincheck per map). A mutant
//! they miss is tried again under shuttle (`--features ferrolite-checkers/shuttle`) and then
//! under loom (`--cfg loom`), each of which runs only `quick.rs`'s module for it. The three
//! passes share a ledger (`mutants.json` in the output directory), so a run can be split
//! into shards (`--shard K/N`) over several sessions, and the report (`mutants.md`) counts
//! every mutant once, with the pass that caught it, and gives each missed mutant the
//! judgement recorded in `xtask/src/mutants/judgements.txt` (equivalent, or a gap).

mod ledger;
mod report;

use anyhow::{bail, Context, Result};
use ledger::{Ledger, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const USAGE: &str = "\
usage: cargo xtask mutants [--shard K/N] [--passes normal,shuttle,loom] [--timeout SECS]
                           [--file GLOB]... [--out DIR] [--recheck-missed] [--forget PASS]
                           [--merge PASS=DIR]... [--report-only]

Runs cargo-mutants 27.x (installed if missing) over the structures' lock-free core with the
quick checkers as its tests, then retries the survivors under shuttle and loom. Results merge
into DIR/mutants.json (default DIR: target/mutants-report); DIR/mutants.md is the report.
--recheck-missed runs the normal pass again on the ledger's missed mutants (after a checker
was strengthened); the retries and rechecks skip mutants judged equivalent; --forget PASS drops a pass's verdicts from the ledger (a pass run
wrongly); --report-only redraws the report from the ledger.";

/// The lock-free core: what is mutated.
const FILES: [&str; 4] = [
    "structures/src/lockfree/**",
    "structures/src/reclaim/**",
    "structures/src/tag.rs",
    "structures/src/level.rs",
];

/// A pass: a build of the checkers and the tests it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// The structures' tests and the quick model and lincheck checks.
    Normal,
    /// The quick shuttle checks.
    Shuttle,
    /// The quick loom models.
    Loom,
}

impl Pass {
    const ALL: [Pass; 3] = [Pass::Normal, Pass::Shuttle, Pass::Loom];

    pub fn name(self) -> &'static str {
        match self {
            Pass::Normal => "normal",
            Pass::Shuttle => "shuttle",
            Pass::Loom => "loom",
        }
    }

    fn parse(s: &str) -> Option<Pass> {
        Pass::ALL.into_iter().find(|p| p.name() == s)
    }

    /// cargo-mutants arguments of the pass (after the common ones).
    fn args(self) -> Vec<String> {
        let v: &[&str] = match self {
            Pass::Normal => &["--test-package", "ferrolite-structures,ferrolite-checkers"],
            // The structures' own tests use std threads: not under shuttle or loom. The
            // normal pass's baseline has shown the unmutated tree passes.
            // Optimised: loom's and shuttle's models are an order of magnitude slower in a debug
            // build. cargo-mutants' own baseline cannot run here (it tests the mutated
            // package, which has no `quick` target): `baseline` below runs it instead.
            Pass::Shuttle => &[
                "--test-package",
                "ferrolite-checkers",
                "--cargo-test-arg=--test=quick",
                "--features",
                "ferrolite-checkers/shuttle",
                "--profile",
                "release",
                "--baseline",
                "skip",
            ],
            Pass::Loom => &[
                "--test-package",
                "ferrolite-checkers",
                "--cargo-test-arg=--test=quick",
                "--profile",
                "release",
                "--baseline",
                "skip",
            ],
        };
        v.iter().map(|s| s.to_string()).collect()
    }

    fn env(self) -> Vec<(&'static str, &'static str)> {
        let mut env = vec![("FERROLITE_VERIFY_MODE", "quick"), ("RUST_BACKTRACE", "0")];
        if self == Pass::Loom {
            env.push(("RUSTFLAGS", "--cfg loom --cfg crossbeam_loom"));
            // The loom models of two maps share two cores: minutes, not a livelock.
            env.push(("FERROLITE_QUICK_LIMIT_SECS", "900"));
        }
        env
    }

    /// The pass's tests on the unmutated tree (`cargo test` with the pass's flags), which must
    /// pass, or every mutant would count as caught; cargo-mutants' own baseline covers only
    /// the normal pass.
    fn baseline(self, root: &Path, timeout: u64) -> Result<()> {
        if self == Pass::Normal {
            return Ok(());
        }
        let mut cmd = Command::new(cargo());
        cmd.current_dir(root).args([
            "test",
            "--release",
            "-p",
            "ferrolite-checkers",
            "--test",
            "quick",
            "--target-dir",
            &format!("target/mutants/{}-baseline", self.name()),
        ]);
        if self == Pass::Shuttle {
            cmd.args(["--features", "ferrolite-checkers/shuttle"]);
        }
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        eprintln!(
            "mutants: {} pass: baseline on the unmutated tree (time limit {timeout} s)",
            self.name()
        );
        let status = cmd.status().context("running the baseline")?;
        if !status.success() {
            bail!(
                "the {} pass's tests fail on the unmutated tree: its verdicts would mean nothing",
                self.name()
            );
        }
        Ok(())
    }

    /// cargo-mutants' time limit for one mutant's tests.
    fn timeout(self, base: u64) -> u64 {
        match self {
            Pass::Loom => base.max(1800),
            _ => base,
        }
    }
}

struct Options {
    shard: Option<String>,
    passes: Vec<Pass>,
    timeout: u64,
    files: Vec<String>,
    out: PathBuf,
    report_only: bool,
    recheck: bool,
    forget: Option<Pass>,
    /// cargo-mutants output directories to merge into the ledger, with the pass that made each.
    merge: Vec<(Pass, PathBuf)>,
}

fn parse(args: &[String]) -> Result<Option<Options>> {
    let mut o = Options {
        shard: None,
        passes: Pass::ALL.to_vec(),
        timeout: 300,
        files: Vec::new(),
        out: PathBuf::from("target/mutants-report"),
        report_only: false,
        recheck: false,
        forget: None,
        merge: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match a.as_str() {
            "--shard" => {
                let s = value("--shard")?;
                let ok = s
                    .split_once('/')
                    .and_then(|(k, n)| Some((k.parse::<u32>().ok()?, n.parse::<u32>().ok()?)))
                    .is_some_and(|(k, n)| n > 0 && k < n);
                if !ok {
                    bail!("--shard {s}: expected K/N with 0 <= K < N");
                }
                o.shard = Some(s);
            }
            "--passes" => {
                o.passes = value("--passes")?
                    .split(',')
                    .map(|p| Pass::parse(p).with_context(|| format!("unknown pass `{p}`")))
                    .collect::<Result<_>>()?;
            }
            "--timeout" => o.timeout = value("--timeout")?.parse().context("--timeout SECS")?,
            "--file" => o.files.push(value("--file")?),
            "--out" => o.out = PathBuf::from(value("--out")?),
            "--report-only" => o.report_only = true,
            "--recheck-missed" => o.recheck = true,
            "--merge" => {
                let v = value("--merge")?;
                let (p, dir) = v
                    .split_once('=')
                    .with_context(|| format!("--merge {v}: expected PASS=DIR"))?;
                let pass = Pass::parse(p).with_context(|| format!("unknown pass `{p}`"))?;
                o.merge.push((pass, PathBuf::from(dir)));
            }
            "--forget" => {
                let p = value("--forget")?;
                o.forget = Some(Pass::parse(&p).with_context(|| format!("unknown pass `{p}`"))?);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    if o.files.is_empty() {
        o.files = FILES.iter().map(|s| s.to_string()).collect();
    }
    Ok(Some(o))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The installed cargo-mutants' version, installing 27.x when it is missing or another major.
fn ensure_cargo_mutants() -> Result<String> {
    let version = || -> Option<String> {
        let out = Command::new(cargo())
            .args(["mutants", "--version"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    if let Some(v) = version().filter(|v| v.starts_with("cargo-mutants 27.")) {
        return Ok(v);
    }
    let install = "cargo install cargo-mutants --version ^27 --locked";
    eprintln!("mutants: cargo-mutants 27.x is not installed; installing it: {install}");
    let ok = Command::new(cargo())
        .args(["install", "cargo-mutants", "--version", "^27", "--locked"])
        .status()
        .is_ok_and(|s| s.success());
    match version() {
        Some(v) if ok && v.starts_with("cargo-mutants 27.") => Ok(v),
        _ => bail!("cargo-mutants 27.x could not be installed (run `{install}` and retry)"),
    }
}

pub fn main(args: &[String]) -> Result<()> {
    let Some(opts) = parse(args)? else {
        return Ok(());
    };
    let root = crate::verify::workspace_root();
    let out = root.join(&opts.out);
    std::fs::create_dir_all(&out)?;
    let ledger_path = out.join("mutants.json");
    let mut ledger = Ledger::load(&ledger_path)?;
    // The current source's mutants, listed once (cargo-mutants parses every file): merges
    // and passes decide by them which ledger entries are still in the source.
    let version = if opts.report_only {
        None
    } else {
        Some(ensure_cargo_mutants()?)
    };
    let listed = match (&version, opts.merge.is_empty()) {
        (Some(_), _) => listed(&root, &opts)?,
        (None, false) => listed(&root, &opts).unwrap_or_else(|e| {
            eprintln!("mutants: merging without the current list of mutants ({e:#})");
            Vec::new()
        }),
        (None, true) => Vec::new(),
    };
    for (pass, dir) in &opts.merge {
        let n = ledger.merge(&root.join(dir), pass.name(), &listed)?;
        eprintln!(
            "mutants: merged {n} outcomes of the {} pass from {}",
            pass.name(),
            dir.display()
        );
        ledger.save(&ledger_path)?;
    }
    if let Some(pass) = opts.forget {
        let n = ledger.forget(pass.name());
        eprintln!(
            "mutants: forgot the {} pass's verdicts ({n} mutants missed again)",
            pass.name()
        );
        ledger.save(&ledger_path)?;
    }
    if let Some(version) = version {
        ledger.tool = version;
        ledger.commit = commit_history(&ledger.commit, &crate::bench::commit(&root), &opts);
        ledger.files = opts.files.clone();
        // What the ledger covers: the shards run, and "the rest" once a run without a shard
        // has tested every mutant they left.
        let covered = match (&opts.shard, opts.recheck) {
            (Some(s), _) => Some(s.clone()),
            (None, false) => Some("the rest".to_string()),
            (None, true) => None,
        };
        if let Some(c) = covered {
            if !ledger.shards.contains(&c) {
                ledger.shards.push(c);
            }
        }
        ledger.relocate(&listed);
        for &pass in &opts.passes {
            run_pass(&root, &opts, &listed, pass, &mut ledger)?;
            ledger.save(&ledger_path)?;
        }
    }
    let md = report::markdown(&ledger, &report::judgements());
    std::fs::write(out.join("mutants.md"), &md)?;
    print!("{md}");
    eprintln!(
        "mutants: wrote {} and {}",
        opts.out.join("mutants.md").display(),
        opts.out.join("mutants.json").display()
    );
    Ok(())
}

/// The ledger's commits with this run's added: which commit each shard and recheck ran at
/// (`307287d (shard 0/4); 5cb8049 (shard 1/4); 79a5227 (recheck)`), so a ledger built over
/// several sessions says what it measured.
fn commit_history(before: &str, commit: &str, opts: &Options) -> String {
    let what = match (&opts.shard, opts.recheck) {
        (Some(s), false) => format!("shard {s}"),
        (Some(s), true) => format!("recheck of shard {s}"),
        (None, true) => "recheck".to_string(),
        (None, false) => "every mutant no run had tested".to_string(),
    };
    let run = format!("{commit} ({what})");
    if before.is_empty() {
        run
    } else if before.split("; ").any(|r| r == run) {
        before.to_string()
    } else {
        format!("{before}; {run}")
    }
}

/// One cargo-mutants run of `pass`: the normal pass on every mutant of the shard the ledger
/// has no verdict for, the others on the mutants still missed.
fn run_pass(
    root: &Path,
    opts: &Options,
    listed: &[String],
    pass: Pass,
    ledger: &mut Ledger,
) -> Result<()> {
    std::fs::create_dir_all(root.join(format!("target/mutants/{}", pass.name())))?;
    let mut args: Vec<String> = vec![
        "mutants".into(),
        "-p".into(),
        "ferrolite-structures".into(),
        "--no-shuffle".into(),
        "--timeout".into(),
        pass.timeout(opts.timeout).to_string(),
        "--build-timeout".into(),
        "900".into(),
        "-o".into(),
        format!("target/mutants/{}", pass.name()),
    ];
    for f in &opts.files {
        args.extend(["-f".into(), f.clone()]);
    }
    let shared = count_keys(listed);
    let select = |name: &str| selector(name, &shared);
    // Judged equivalent: nothing a checker could see; retrying proves nothing.
    let judged = report::judgements();
    let missed: Vec<&ledger::Entry> = ledger
        .entries
        .iter()
        .filter(|e| {
            e.status == Status::Missed
                && (pass == Pass::Normal || !e.tried.contains(&pass.name().to_string()))
                && judged
                    .get(&e.key())
                    .is_none_or(|j| j.verdict != "equivalent")
        })
        .collect();
    match pass {
        Pass::Normal if opts.recheck => {
            let recheck = missed;
            if recheck.is_empty() {
                eprintln!("mutants: normal pass: no missed mutant to recheck");
                return Ok(());
            }
            for e in recheck {
                args.extend(["-F".into(), select(&e.name)]);
            }
        }
        Pass::Normal => {
            // The shard selects among all mutants; the retries select by name already (a
            // shard of that list would skip three quarters of it).
            if let Some(s) = &opts.shard {
                args.extend(["--shard".into(), s.clone()]);
            }
            // Skip what an earlier normal pass ran: its missed mutants are for the retries
            // and `--recheck-missed`, not for running again with the same tests.
            for e in ledger
                .entries
                .iter()
                .filter(|e| e.tried.iter().any(|t| t == "normal"))
            {
                args.extend(["-E".into(), select(&e.name)]);
            }
        }
        Pass::Shuttle | Pass::Loom => {
            if missed.is_empty() {
                eprintln!("mutants: {} pass: no missed mutant to retry", pass.name());
                return Ok(());
            }
            for e in missed {
                args.extend(["-F".into(), select(&e.name)]);
            }
        }
    }
    args.extend(pass.args());
    pass.baseline(root, pass.timeout(opts.timeout))?;
    eprintln!("mutants: {} pass: cargo {}", pass.name(), args.join(" "));
    let started = Instant::now();
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root).args(&args);
    for (k, v) in pass.env() {
        cmd.env(k, v);
    }
    let status = cmd.status().context("running cargo mutants")?;
    // cargo-mutants exits 2 when mutants were missed, 3 on timeouts: outcomes, not errors.
    if !matches!(status.code(), Some(0 | 2 | 3)) {
        bail!(
            "cargo mutants ({} pass) failed with {status} (see target/mutants/{}/mutants.out/debug.log)",
            pass.name(),
            pass.name()
        );
    }
    let dir = root.join(format!("target/mutants/{}/mutants.out", pass.name()));
    let n = ledger.merge(&dir, pass.name(), listed)?;
    eprintln!(
        "mutants: {} pass: {n} outcomes merged in {:.0} s",
        pass.name(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The current source's mutants in the files of `opts` (`cargo mutants --list`).
fn listed(root: &Path, opts: &Options) -> Result<Vec<String>> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root)
        .args(["mutants", "-p", "ferrolite-structures", "--list"]);
    for f in &opts.files {
        cmd.args(["-f", f]);
    }
    let out = cmd.output().context("running cargo mutants --list")?;
    if !out.status.success() {
        bail!(
            "cargo mutants --list failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// How many of the mutants `listed` share each key (`file: what`, no line): the same change at
/// several places (`delete !` three times in one function) shares one.
fn count_keys(listed: &[String]) -> BTreeMap<String, usize> {
    let mut shared = BTreeMap::new();
    for name in listed {
        *shared.entry(ledger::key_of(name)).or_insert(0) += 1;
    }
    shared
}

/// The regex that selects (or excludes) the ledger's mutant `name`: at any line when its key
/// names one mutant of the current source (an edit elsewhere may have moved it), by its exact
/// name when several share the key — or excluding one caught `delete !` would skip the other
/// places it was made, never run (a moved one of those is run again: safe).
fn selector(name: &str, shared: &BTreeMap<String, usize>) -> String {
    if shared.get(&ledger::key_of(name)).copied().unwrap_or(0) > 1 {
        format!("^{}$", regex_escape(name))
    } else {
        name_regex(name)
    }
}

/// A regex for cargo-mutants' `-F`/`-E` that matches the mutant named `name` at any line and
/// column: an edit elsewhere in the file moves it without making it another mutant.
fn name_regex(name: &str) -> String {
    let mut parts = name.splitn(4, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(file), Some(_), Some(_), Some(rest)) => format!(
            "^{}:[0-9]+:[0-9]+:{}$",
            regex_escape(file),
            regex_escape(rest)
        ),
        _ => format!("^{}$", regex_escape(name)),
    }
}

/// `s` with the regex metacharacters escaped.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_for_cargo_mutants_regexes() {
        let name = "structures/src/reclaim/epoch.rs:62:9: replace <impl Scheme for Epoch>::protect -> *mut T with Default::default()";
        let e = regex_escape(name);
        assert!(
            e.contains(r"\*mut T") && e.contains(r"Default::default\(\)"),
            "{e}"
        );
        assert!(e.contains(r"epoch\.rs") && e.contains(r"\->"), "{e}");
        let r = name_regex(name);
        assert!(
            r.starts_with(r"^structures/src/reclaim/epoch\.rs:[0-9]+:[0-9]+: replace"),
            "{r}"
        );
    }

    #[test]
    fn mutants_sharing_a_key_are_selected_by_their_exact_names() {
        let list = [
            "a.rs:1:2: delete ! in f",
            "a.rs:5:6: delete ! in f",
            "a.rs:7:1: replace f -> bool with true",
        ]
        .map(String::from);
        let shared = count_keys(&list);
        assert_eq!(shared.get("a.rs: delete ! in f"), Some(&2));
        let exact = selector("a.rs:1:2: delete ! in f", &shared);
        assert_eq!(exact, r"^a\.rs:1:2: delete ! in f$");
        let moved = selector("a.rs:3:1: replace f -> bool with true", &shared);
        assert_eq!(
            moved,
            r"^a\.rs:[0-9]+:[0-9]+: replace f \-> bool with true$"
        );
    }

    #[test]
    fn arguments_are_checked() {
        let a = |v: &[&str]| parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(a(&["--shard", "4/4"]).is_err());
        assert!(a(&["--passes", "normal,nope"]).is_err());
        let recheck = a(&["--recheck-missed"]).unwrap().unwrap();
        assert_eq!(commit_history("", "abc1234", &recheck), "abc1234 (recheck)");
        let shard = a(&["--shard", "2/4"]).unwrap().unwrap();
        let h = commit_history("abc1234 (recheck)", "def5678", &shard);
        assert_eq!(h, "abc1234 (recheck); def5678 (shard 2/4)");
        assert_eq!(
            commit_history(&h, "def5678", &shard),
            h,
            "a rerun adds nothing"
        );
        let o = a(&["--shard", "0/4", "--passes", "loom"]).unwrap().unwrap();
        assert_eq!(o.passes, vec![Pass::Loom]);
        assert_eq!(o.files.len(), FILES.len());
    }
}
