//! The ledger of `cargo xtask mutants`: one entry per mutant with its verdict and the pass that
//! reached it, merged from each cargo-mutants run's `outcomes.json`, saved as `mutants.json`.

use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::path::Path;

/// A mutant's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// A test failed: a checker caught it.
    Caught,
    /// Every test passed.
    Missed,
    /// The tests did not finish within the time limit (a livelock or a hang).
    Timeout,
    /// It does not build.
    Unviable,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Caught => "caught",
            Status::Missed => "missed",
            Status::Timeout => "timeout",
            Status::Unviable => "unviable",
        }
    }

    fn parse(s: &str) -> Option<Status> {
        [
            Status::Caught,
            Status::Missed,
            Status::Timeout,
            Status::Unviable,
        ]
        .into_iter()
        .find(|x| x.name() == s)
    }

    /// cargo-mutants' summary of a scenario.
    fn from_summary(s: &str) -> Option<Status> {
        match s {
            "CaughtMutant" => Some(Status::Caught),
            "MissedMutant" => Some(Status::Missed),
            "Timeout" => Some(Status::Timeout),
            "Unviable" => Some(Status::Unviable),
            _ => None,
        }
    }
}

/// One mutant.
#[derive(Clone, Debug)]
pub struct Entry {
    /// cargo-mutants' name: `file:line:col: replace … with …`.
    pub name: String,
    /// Its verdict.
    pub status: Status,
    /// The pass that gave the verdict.
    pub by: String,
    /// The passes that ran it.
    pub tried: Vec<String>,
    /// For a caught mutant, whether a quick check's own time limit caught it (a livelock)
    /// rather than a wrong answer.
    pub livelock: bool,
}

impl Entry {
    /// The name without its line and column (`file: replace …`): stable across edits elsewhere
    /// in the file, the key of a judgement.
    pub fn key(&self) -> String {
        key_of(&self.name)
    }
}

/// `file:line:col: what` → `file: what`.
pub fn key_of(name: &str) -> String {
    let mut parts = name.splitn(4, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(file), Some(_line), Some(_col), Some(rest)) => format!("{file}:{rest}"),
        _ => name.to_string(),
    }
}

/// Everything the passes found.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pub tool: String,
    pub commit: String,
    pub files: Vec<String>,
    pub shards: Vec<String>,
    pub entries: Vec<Entry>,
}

impl Ledger {
    /// The ledger at `path`, or an empty one.
    pub fn load(path: &Path) -> Result<Ledger> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ledger::default()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let v: Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let strs = |k: &str| -> Vec<String> {
            v[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut entries = Vec::new();
        for e in v["mutants"].as_array().into_iter().flatten() {
            let status = e["status"]
                .as_str()
                .and_then(Status::parse)
                .with_context(|| format!("{}: a mutant without a status", path.display()))?;
            entries.push(Entry {
                name: e["name"].as_str().unwrap_or_default().to_string(),
                status,
                by: e["by"].as_str().unwrap_or_default().to_string(),
                tried: e["tried"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
                livelock: e["livelock"].as_bool().unwrap_or(false),
            });
        }
        Ok(Ledger {
            tool: v["tool"].as_str().unwrap_or_default().to_string(),
            commit: v["commit"].as_str().unwrap_or_default().to_string(),
            files: strs("files"),
            shards: strs("shards"),
            entries,
        })
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let mutants: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                json!({
                    "name": e.name,
                    "status": e.status.name(),
                    "by": e.by,
                    "tried": e.tried,
                    "livelock": e.livelock,
                })
            })
            .collect();
        let v = json!({
            "tool": self.tool,
            "commit": self.commit,
            "files": self.files,
            "shards": self.shards,
            "mutants": mutants,
        });
        std::fs::write(path, serde_json::to_string_pretty(&v)? + "\n")
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Drops the verdicts `pass` gave: its catches are missed again and it counts as untried.
    /// Returns how many catches it took back.
    pub fn forget(&mut self, pass: &str) -> usize {
        let mut n = 0;
        for e in &mut self.entries {
            e.tried.retain(|t| t != pass);
            if e.by == pass && e.status != Status::Missed && e.tried.iter().any(|t| t == "normal") {
                e.status = Status::Missed;
                e.by = "normal".into();
                e.livelock = false;
                n += 1;
            }
        }
        n
    }

    /// Renames each entry the current source `listed` no longer names to the one listed mutant
    /// with its key, when exactly one has it and no entry names that one (it moved with an edit
    /// elsewhere in its file): the report then points at today's lines.
    pub fn relocate(&mut self, listed: &[String]) {
        let named: std::collections::BTreeSet<String> =
            self.entries.iter().map(|e| e.name.clone()).collect();
        let mut by_key: std::collections::BTreeMap<String, Vec<&String>> = Default::default();
        for name in listed {
            by_key.entry(key_of(name)).or_default().push(name);
        }
        for e in &mut self.entries {
            if listed.contains(&e.name) {
                continue;
            }
            if let Some([only]) = by_key.get(&e.key()).map(Vec::as_slice) {
                if !named.contains(only.as_str()) {
                    e.name = only.to_string();
                }
            }
        }
        self.entries.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// Merges the outcomes of a cargo-mutants run (its `mutants.out` directory) made by `pass`;
    /// returns how many mutants it reported. A later pass only upgrades a missed mutant.
    /// `listed` is the current source's mutants (`cargo mutants --list`) when known: an entry
    /// one of them names is still in the source, so an outcome of another mutant with its key
    /// (the same change at another place) is a new entry, not that one moved.
    pub fn merge(&mut self, dir: &Path, pass: &str, listed: &[String]) -> Result<usize> {
        let path = dir.join("outcomes.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let v: Value = serde_json::from_str(&text)?;
        let mut n = 0;
        // This run's names: an entry one of them names exactly is that mutant, never another
        // one moved (two mutants can share a key: the same change at two lines).
        let names: std::collections::BTreeSet<&str> = v["outcomes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["scenario"]["Mutant"]["name"].as_str())
            .chain(listed.iter().map(String::as_str))
            .collect();
        for o in v["outcomes"].as_array().into_iter().flatten() {
            let Some(name) = o["scenario"]["Mutant"]["name"].as_str() else {
                continue; // the baseline
            };
            let Some(status) = o["summary"].as_str().and_then(Status::from_summary) else {
                continue;
            };
            n += 1;
            let livelock = status == Status::Caught
                && o["log_path"]
                    .as_str()
                    .and_then(|p| std::fs::read_to_string(dir.join(p)).ok())
                    .is_some_and(|log| log.contains("made no progress within"));
            // The same mutant, or the same one moved by an edit elsewhere in its file.
            let key = key_of(name);
            let at = self
                .entries
                .iter()
                .position(|e| e.name == name)
                .or_else(|| {
                    // Moved by an edit elsewhere: the one entry with its key that no name of this
                    // run or of the current source claims.
                    let moved: Vec<usize> = (0..self.entries.len())
                        .filter(|&i| {
                            self.entries[i].key() == key
                                && !names.contains(self.entries[i].name.as_str())
                        })
                        .collect();
                    (moved.len() == 1).then(|| moved[0])
                });
            match at.map(|i| &mut self.entries[i]) {
                Some(e) => {
                    e.name = name.to_string();
                    if !e.tried.iter().any(|t| t == pass) {
                        e.tried.push(pass.to_string());
                    }
                    if e.status == Status::Missed && status != Status::Missed {
                        e.status = status;
                        e.by = pass.to_string();
                        e.livelock = livelock;
                    }
                }
                None => self.entries.push(Entry {
                    name: name.to_string(),
                    status,
                    by: pass.to_string(),
                    tried: vec![pass.to_string()],
                    livelock,
                }),
            }
        }
        self.entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_entries_take_their_listed_names_twins_stay() {
        let entry = |name: &str| Entry {
            name: name.into(),
            status: Status::Caught,
            by: "normal".into(),
            tried: vec!["normal".into()],
            livelock: false,
        };
        let mut l = Ledger {
            entries: vec![
                entry("a.rs:3:1: replace f with ()"),
                entry("a.rs:9:2: delete ! in g"),
            ],
            ..Ledger::default()
        };
        let listed = [
            "a.rs:5:1: replace f with ()",
            "a.rs:11:2: delete ! in g",
            "a.rs:12:2: delete ! in g",
        ]
        .map(String::from);
        l.relocate(&listed);
        assert_eq!(l.entries[0].name, "a.rs:5:1: replace f with ()");
        assert_eq!(
            l.entries[1].name, "a.rs:9:2: delete ! in g",
            "ambiguous: left"
        );
    }

    #[test]
    fn keys_drop_line_and_column() {
        assert_eq!(
            key_of("structures/src/reclaim/epoch.rs:92:9: replace <impl Scheme for Epoch>::teardown with ()"),
            "structures/src/reclaim/epoch.rs: replace <impl Scheme for Epoch>::teardown with ()"
        );
    }

    #[test]
    fn a_later_pass_upgrades_a_missed_mutant_and_the_ledger_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let out = |summary: &str| {
            json!({"outcomes": [
                {"scenario": "Baseline", "summary": "Success"},
                {"scenario": {"Mutant": {"name": "a.rs:1:1: replace f with ()"}}, "summary": summary, "log_path": "log/a.log"},
            ]})
            .to_string()
        };
        std::fs::create_dir_all(dir.path().join("log")).unwrap();
        std::fs::write(
            dir.path().join("log/a.log"),
            "timeout: epoch lincheck made no progress within 120s",
        )
        .unwrap();
        std::fs::write(dir.path().join("outcomes.json"), out("MissedMutant")).unwrap();
        let mut l = Ledger::default();
        assert_eq!(l.merge(dir.path(), "normal", &[]).unwrap(), 1);
        // Two mutants with one key (the same change at two lines) stay two.
        let twins = tempfile::tempdir().unwrap();
        std::fs::write(
            twins.path().join("outcomes.json"),
            json!({"outcomes": [
                {"scenario": {"Mutant": {"name": "n.rs:50:44: replace + with - in f"}}, "summary": "MissedMutant"},
                {"scenario": {"Mutant": {"name": "n.rs:59:31: replace + with - in f"}}, "summary": "MissedMutant"},
            ]})
            .to_string(),
        )
        .unwrap();
        let mut t = Ledger::default();
        t.merge(twins.path(), "normal", &[]).unwrap();
        assert_eq!(t.entries.len(), 2);
        // A twin run later, its sibling still in the source: a third entry, not the sibling
        // renamed (without the listing it would look moved).
        std::fs::write(
            twins.path().join("outcomes.json"),
            json!({"outcomes": [
                {"scenario": {"Mutant": {"name": "n.rs:66:44: replace + with - in f"}}, "summary": "CaughtMutant"},
            ]})
            .to_string(),
        )
        .unwrap();
        let listed: Vec<String> = [50, 59]
            .map(|l| format!("n.rs:{l}:1: replace + with - in f"))
            .to_vec();
        let mut with_list = t.clone();
        with_list.entries[0].name = listed[0].clone();
        with_list.entries[1].name = listed[1].clone();
        with_list.merge(twins.path(), "normal", &listed).unwrap();
        assert_eq!(with_list.entries.len(), 3);
        let mut moved = Ledger::default();
        moved.entries.push(t.entries[0].clone());
        moved.merge(twins.path(), "normal", &[]).unwrap();
        assert_eq!(
            moved.entries.len(),
            1,
            "unlisted, the one entry is taken as moved"
        );
        assert_eq!(l.entries[0].status, Status::Missed);
        std::fs::write(dir.path().join("outcomes.json"), out("CaughtMutant")).unwrap();
        l.merge(dir.path(), "shuttle", &[]).unwrap();
        let e = &l.entries[0];
        assert_eq!(
            (e.status, e.by.as_str(), e.livelock),
            (Status::Caught, "shuttle", true)
        );
        assert_eq!(e.tried, vec!["normal", "shuttle"]);
        let path = dir.path().join("mutants.json");
        l.save(&path).unwrap();
        let back = Ledger::load(&path).unwrap();
        assert_eq!(back.entries[0].status, Status::Caught);
        assert_eq!(back.entries[0].tried.len(), 2);
    }
}
