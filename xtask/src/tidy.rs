//! The house rules, enforced by `cargo test` (rust-analyzer's `xtask/src/tidy.rs` is the
//! model): a rule a test checks does not drift, a rule a document states does.
//!
//! Each rule is one `#[test]` over the files git tracks (and new files it does not ignore):
//! - no build output is tracked (nothing under a `target/` folder);
//! - no report holds an absolute machine path (build directories, the cargo home, `/tmp`…):
//!   every path a report prints is relative to the repository;
//! - no Rust source file is longer than [`MAX_LINES`];
//! - every Rust source file opens with a `//!` paragraph saying what it is for;
//! - `ARCHITECTURE.md` names every Rust source file (its codemaps);
//! - within each crate, no module imports a module that imports it back (dependencies point
//!   one way, down), counting `crate::…` and `super::…` paths outside unit-test modules;
//! - outside tests, no engine code but the real file-system adapter (`engine/src/fs/os.rs`)
//!   names `std::fs`: every file operation goes through the file port.
//!
//! A failure names the files and what to do.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The longest a Rust source file may be.
const MAX_LINES: usize = 800;

/// The repository root (xtask lives one folder below it).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the repository")
        .to_path_buf()
}

/// The files git tracks or would track (untracked files that are not ignored count: a new
/// file is checked before it is committed), relative to the root (`/`-separated).
fn tracked() -> Vec<String> {
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root())
        .output()
        .expect("tidy needs git to list the tracked files");
    assert!(out.status.success(), "git ls-files failed");
    String::from_utf8(out.stdout)
        .expect("file names are UTF-8")
        .split('\0')
        .filter(|s| !s.is_empty())
        // A file deleted in the work tree but not yet in the index is not there to check.
        .filter(|s| root().join(s).exists())
        .map(String::from)
        .collect()
}

fn rust_files() -> Vec<String> {
    tracked()
        .into_iter()
        .filter(|f| f.ends_with(".rs"))
        .collect()
}

fn read(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("reading {file}: {e}"))
}

#[track_caller]
fn report(rule: &str, offenders: &[String], fix: &str) {
    assert!(
        offenders.is_empty(),
        "tidy: {rule}: {} offender(s):\n  {}\n{fix}",
        offenders.len(),
        offenders.join("\n  ")
    );
}

#[test]
fn no_build_output_is_tracked() {
    let bad: Vec<String> = tracked()
        .into_iter()
        .filter(|f| f.split('/').any(|c| c == "target") || f.ends_with(".rs.bk"))
        .collect();
    report(
        "tracked build output",
        &bad,
        "untrack them (`git rm -r --cached <path>`); .gitignore ignores every `target/`",
    );
}

/// Absolute paths a report must not contain: `/home/…`, `/root/…`, `/tmp/…`, the cargo home.
fn absolute_paths(text: &str) -> Vec<String> {
    const ROOTS: [&str; 9] = [
        "/home/", "/root/", "/tmp/", "/work/", "/Users/", "/var/", "/usr/", "/opt/", "/mnt/",
    ];
    let mut found = Vec::new();
    for line in text.lines() {
        for r in ROOTS {
            let mut from = 0;
            while let Some(i) = line[from..].find(r) {
                let at = from + i;
                // A path starts a token: nothing path-like right before it.
                let before = line[..at].chars().next_back();
                if !before
                    .is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
                {
                    let token: String = line[at..]
                        .chars()
                        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '`' | ')' | '|'))
                        .collect();
                    found.push(token);
                }
                from = at + r.len();
            }
        }
    }
    found
}

#[test]
fn reports_hold_no_absolute_paths() {
    let mut bad = Vec::new();
    for f in tracked().into_iter().filter(|f| f.starts_with("reports/")) {
        let Ok(text) = std::fs::read_to_string(root().join(&f)) else {
            continue; // not text
        };
        for p in absolute_paths(&text) {
            bad.push(format!("{f}: {p}"));
        }
    }
    report(
        "absolute paths in reports",
        &bad,
        "print paths relative to the repository (the code that writes the report)",
    );
}

#[test]
fn absolute_path_detection() {
    assert_eq!(absolute_paths("built in /tmp/x/y, ok"), vec!["/tmp/x/y,"]);
    assert_eq!(
        absolute_paths("(`/root/.cargo/bin`)"),
        vec!["/root/.cargo/bin"]
    );
    assert!(absolute_paths("target/verify/loom and a/tmp/b").is_empty());
}

#[test]
fn no_source_file_is_too_long() {
    let bad: Vec<String> = rust_files()
        .into_iter()
        .filter_map(|f| {
            let n = read(&f).lines().count();
            (n > MAX_LINES).then(|| format!("{f}: {n} lines"))
        })
        .collect();
    report(
        &format!("source files over {MAX_LINES} lines"),
        &bad,
        "split it into a folder of files with one job each",
    );
}

#[test]
fn every_source_file_opens_with_a_doc_paragraph() {
    let bad: Vec<String> = rust_files()
        .into_iter()
        .filter(|f| {
            let text = read(f);
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            !first.starts_with("//!")
        })
        .collect();
    report(
        "files without a `//!` opening",
        &bad,
        "open the file with a `//!` paragraph: what it does, and why",
    );
}

/// Expand `{a,b}` alternatives: `x/{a,b}.rs` → `x/a.rs`, `x/b.rs`.
fn expand(span: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (span.find('{'), span.find('}')) else {
        return vec![span.to_string()];
    };
    if close < open {
        return vec![span.to_string()];
    }
    let (head, tail) = (&span[..open], &span[close + 1..]);
    span[open + 1..close]
        .split(',')
        .flat_map(|alt| expand(&format!("{head}{}{tail}", alt.trim())))
        .collect()
}

/// Every path `ARCHITECTURE.md` names: backticked spans, with `{a,b}` expanded, taken as they
/// are and, inside a `## Codemap: \`base\`` section, also joined with that base.
fn named_in_architecture() -> BTreeSet<String> {
    let text = read("ARCHITECTURE.md");
    let mut names = BTreeSet::new();
    let mut base: Option<String> = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            base = h
                .strip_prefix("Codemap: `")
                .and_then(|r| r.split('`').next())
                .map(|b| b.trim_end_matches('/').to_string());
        }
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 0 {
                continue;
            }
            for name in expand(span) {
                if let Some(b) = &base {
                    names.insert(format!("{b}/{name}"));
                }
                names.insert(name);
            }
        }
    }
    names
}

#[test]
fn architecture_names_every_source_file() {
    let named = named_in_architecture();
    let bad: Vec<String> = rust_files()
        .into_iter()
        .filter(|f| !named.contains(f))
        .collect();
    report(
        "source files ARCHITECTURE.md does not name",
        &bad,
        "add each to its codemap (a row, or a `{a,b}` list), as a path from the codemap's base",
    );
}

#[test]
fn brace_expansion() {
    assert_eq!(expand("t/{a,b}.rs"), vec!["t/a.rs", "t/b.rs"]);
    assert_eq!(expand("x.rs"), vec!["x.rs"]);
}

/// A crate's modules (by path, `[]` for the root) and their files.
fn modules(src: &str, files: &[String]) -> BTreeMap<Vec<String>, String> {
    let mut out = BTreeMap::new();
    for f in files {
        let Some(rel) = f.strip_prefix(&format!("{src}/")) else {
            continue;
        };
        let Some(stem) = rel.strip_suffix(".rs") else {
            continue;
        };
        let mut path: Vec<String> = stem.split('/').map(String::from).collect();
        if matches!(
            path.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            path.pop();
        }
        out.insert(path, f.clone());
    }
    out
}

/// The source of a module without its unit-test module (`#[cfg(test)] mod tests { … }` at
/// the end of a file): tests may import anything.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests {")
        .map_or(text, |i| &text[..i])
}

/// The code of a file: without its unit-test module, comment lines and the contents of string
/// literals (doc links, prose and strings may name anything).
fn code(text: &str) -> String {
    without_tests(text)
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(without_strings)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A line with the contents of its `"…"` literals removed (escapes honoured; a `'"'` char
/// literal is not a string).
fn without_strings(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut prev = '\0';
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                out.push(c);
            }
        } else {
            if c == '"' && !(prev == '\'' && chars.peek() == Some(&'\'')) {
                in_string = true;
            }
            out.push(c);
        }
        prev = c;
    }
    out
}

/// Module paths named in `text` after `prefix` (`crate::` or `super::`), including the items
/// of a `{a, b::c}` group.
fn paths_after(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let split = |path: &str| -> Vec<String> {
        path.split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(prefix) {
        let at = from + i + prefix.len();
        from = at;
        if text[..at - prefix.len()]
            .chars()
            .next_back()
            .is_some_and(|c| ident(c) || c == ':')
        {
            continue; // `foo_crate::`, or a longer path
        }
        let rest = &text[at..];
        let items: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group[..group.find('}').unwrap_or(0)].split(',').collect(),
            None => vec![rest],
        };
        for item in items {
            let path: String = item
                .trim()
                .chars()
                .take_while(|&c| ident(c) || c == ':')
                .collect();
            let path = split(&path);
            // (`"crate::"` in a string names nothing.)
            if !path.is_empty() {
                out.push(path);
            }
        }
    }
    out
}

/// Where a module that only re-exports gets `item` from: the path (relative to the module)
/// its `use` lines name for it, as in `pub use child::Item` or `pub(crate) use child::{A, Item}`.
fn reexport_source(text: &str, item: &str) -> Option<Vec<String>> {
    for stmt in text.split(';') {
        // Attributes before the `use` (`#[cfg(…)]`) are not part of the path.
        let stmt: Vec<&str> = stmt
            .trim()
            .lines()
            .skip_while(|l| l.trim_start().starts_with("#["))
            .collect();
        let stmt = stmt.join("\n");
        let stmt = stmt.trim();
        let Some(rest) = ["pub use ", "pub(crate) use ", "pub(super) use ", "use "]
            .iter()
            .find_map(|p| stmt.strip_prefix(p))
        else {
            continue;
        };
        let rest = rest.strip_prefix("self::").unwrap_or(rest);
        let (prefix, names) = match rest.find('{') {
            Some(i) => (&rest[..i], rest[i + 1..].trim_end_matches('}')),
            None => match rest.rfind("::") {
                Some(i) => (&rest[..i + 2], &rest[i + 2..]),
                None => continue,
            },
        };
        for name in names.split(',') {
            let name = name.trim();
            let (orig, alias) = match name.split_once(" as ") {
                Some((o, a)) => (o.trim(), a.trim()),
                None => (name, name.rsplit("::").next().unwrap_or(name)),
            };
            if alias == item {
                let full = format!("{prefix}{orig}");
                let parts: Vec<String> = full
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                // The module part: everything but the item itself.
                return Some(parts[..parts.len().saturating_sub(1)].to_vec());
            }
        }
    }
    None
}

/// Whether a file defines items of its own (beyond `mod` declarations and `use`
/// re-exports), outside its unit tests.
fn defines_items(text: &str) -> bool {
    code(text).lines().any(|line| {
        let mut l = line.trim_start();
        for vis in ["pub(crate) ", "pub(super) ", "pub "] {
            l = l.strip_prefix(vis).unwrap_or(l);
        }
        [
            "fn ",
            "struct ",
            "enum ",
            "trait ",
            "const ",
            "static ",
            "type ",
            "impl",
            "macro_rules!",
            "unsafe ",
            "union ",
        ]
        .iter()
        .any(|k| l.starts_with(k))
    })
}

/// The cycles of module imports in the crate whose sources are under `src`: a module and
/// its children count too — a child that uses an item its parent defines, while the parent
/// declares the child, is a loop (move the item into a child of its own).
fn import_cycles(src: &str, files: &[String], read: &dyn Fn(&str) -> String) -> Vec<String> {
    let mods = modules(src, files);
    let texts: BTreeMap<Vec<String>, String> = mods
        .iter()
        .map(|(m, f)| (m.clone(), code(&read(f))))
        .collect();
    let declares_only: BTreeSet<Vec<String>> = texts
        .iter()
        .filter(|(_, t)| !defines_items(t))
        .map(|(m, _)| m.clone())
        .collect();
    // The module an item path names: the longest module prefix, and for an item that module
    // re-exports, the module its `use` line names (`pub use child::Item`).
    let resolve = |path: &[String]| -> Option<Vec<String>> {
        let mut path = path.to_vec();
        for _ in 0..8 {
            let n = (0..=path.len())
                .rev()
                .find(|&n| mods.contains_key(&path[..n]))?;
            let module = path[..n].to_vec();
            let Some(item) = path.get(n) else {
                return Some(module);
            };
            match reexport_source(&texts[&module], item) {
                // Re-exported from another crate: not a module of this one.
                Some(rel)
                    if rel.first().is_some_and(|r| {
                        let first = module
                            .iter()
                            .cloned()
                            .chain([r.clone()])
                            .collect::<Vec<_>>();
                        !mods.keys().any(|m| m.starts_with(&first))
                    }) =>
                {
                    return None
                }
                Some(rel) => path = module.iter().cloned().chain(rel).collect(),
                None => return Some(module),
            }
        }
        None
    };
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, text) in &texts {
        if module.last().is_some_and(|m| m == "tests") {
            continue;
        }
        let text = text.as_str();
        let mut deps = BTreeSet::new();
        for path in paths_after(text, "crate::") {
            if let Some(t) = resolve(&path) {
                deps.insert(t);
            }
        }
        let parent = &module[..module.len().saturating_sub(1)];
        for path in paths_after(text, "super::") {
            let full: Vec<String> = parent.iter().cloned().chain(path).collect();
            if let Some(t) = resolve(&full) {
                deps.insert(t);
            }
        }
        deps.retain(|d| d != module);
        // A re-export that could not be traced to a child is not an import "up".
        deps.retain(|d| !module.starts_with(d) || !declares_only.contains(d));
        // A parent depends on the children it declares.
        deps.extend(
            mods.keys()
                .filter(|c| c.len() == module.len() + 1 && c.starts_with(module))
                .cloned(),
        );
        graph.insert(module.clone(), deps);
    }
    // Report each pair of modules that reach each other (one line per cycle's pair).
    let reach = |from: &Vec<String>| -> BTreeSet<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(m) = stack.pop() {
            for d in graph.get(&m).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        seen
    };
    let name = |m: &Vec<String>| {
        if m.is_empty() {
            "crate".to_string()
        } else {
            m.join("::")
        }
    };
    let mut cycles = Vec::new();
    for (a, deps) in &graph {
        for b in deps {
            if a < b && reach(b).contains(a) {
                cycles.push(format!(
                    "{src}: {} → {} → … → {}",
                    name(a),
                    name(b),
                    name(a)
                ));
            }
        }
    }
    cycles
}

#[test]
fn no_import_cycles_between_modules() {
    let files = rust_files();
    let srcs: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.find("/src/").map(|i| f[..i + 4].to_string()))
        .chain(
            files
                .iter()
                .filter(|f| f.starts_with("src/"))
                .map(|_| "src".into()),
        )
        .collect();
    let mut bad = Vec::new();
    for src in srcs {
        bad.extend(import_cycles(&src, &files, &|f: &str| read(f)));
    }
    report(
        "modules that import each other",
        &bad,
        "move what both need into a module below them, so dependencies point one way",
    );
}

#[test]
fn the_engine_touches_files_only_through_its_port() {
    let bad: Vec<String> = rust_files()
        .into_iter()
        .filter(|f| f.starts_with("engine/src/") && f != "engine/src/fs/os.rs")
        .filter(|f| !f.ends_with("/tests.rs"))
        .filter(|f| code(&read(f)).contains("std::fs"))
        .collect();
    report(
        "engine code naming std::fs outside fs/os.rs",
        &bad,
        "go through the file port (a `Dir`), so adapters see every file operation",
    );
}

#[test]
fn import_cycle_detection() {
    let crate_files: BTreeMap<&str, &str> = BTreeMap::from([
        (
            "c/src/lib.rs",
            "mod a;\nmod b;\nmod c;\npub use a::Thing;\n",
        ),
        // `a` uses `b`, `b` uses a re-export of the root that is `a`'s: a loop.
        ("c/src/a.rs", "use crate::b::helper;\npub struct Thing;\n"),
        ("c/src/b.rs", "use crate::Thing;\npub fn helper() {}\n"),
        // `c` declares `c/d` and defines what `d` uses: a loop through the parent.
        ("c/src/c/mod.rs", "mod d;\npub struct Shared;\n"),
        (
            "c/src/c/d.rs",
            "use super::Shared;\n// use crate::a; (a comment names nothing)\n",
        ),
    ]);
    let files: Vec<String> = crate_files.keys().map(|s| s.to_string()).collect();
    let found = import_cycles("c/src", &files, &|f: &str| crate_files[f].to_string());
    assert_eq!(
        found,
        vec!["c/src: a → b → … → a", "c/src: c → c::d → … → c"],
        "{found:?}"
    );
    assert_eq!(
        reexport_source("pub(crate) use x::{A, B as C};", "C"),
        Some(vec!["x".into()])
    );
    assert_eq!(
        paths_after("use crate::{a::B, c}; \"crate::\"", "crate::").len(),
        2
    );
    let line = "f(\"crate::x\", '\"', \"a\\\"b\") + crate::y";
    assert_eq!(without_strings(line), "f(\"\", '\"', \"\") + crate::y");
}
