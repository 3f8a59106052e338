//! `mutants.md`: the mutation score of the checkers over the lock-free core, what each pass
//! caught, and every missed mutant with its judgement (`judgements.txt`).

use super::ledger::{key_of, Ledger, Status};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A person's judgement of a missed mutant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    /// `equivalent` (no behaviour a checker could see changes) or `gap` (a checker should
    /// catch it and does not).
    pub verdict: String,
    /// Why.
    pub why: String,
}

/// The judgements of `judgements.txt`, by mutant key (`file: replace …`, no line or column).
pub fn judgements() -> BTreeMap<String, Judgement> {
    parse_judgements(include_str!("judgements.txt"))
}

fn parse_judgements(text: &str) -> BTreeMap<String, Judgement> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            // From the right: a mutant's name may itself hold ` | ` (`replace | with ^`); the
            // verdict and the reason do not.
            let mut parts = l.rsplitn(3, " | ");
            let (why, verdict, name) = (parts.next()?, parts.next()?, parts.next()?);
            Some((
                key_of(name.trim()),
                Judgement {
                    verdict: verdict.trim().to_string(),
                    why: why.trim().to_string(),
                },
            ))
        })
        .collect()
}

/// The report.
pub fn markdown(ledger: &Ledger, judged: &BTreeMap<String, Judgement>) -> String {
    let mut s = String::new();
    let count = |st: Status| ledger.entries.iter().filter(|e| e.status == st).count();
    let (caught, missed, timeout, unviable) = (
        count(Status::Caught),
        count(Status::Missed),
        count(Status::Timeout),
        count(Status::Unviable),
    );
    let viable = caught + missed + timeout;
    let score = if viable == 0 {
        0.0
    } else {
        100.0 * (caught + timeout) as f64 / viable as f64
    };
    writeln!(s, "# Mutation testing of the lock-free core\n").unwrap();
    writeln!(
        s,
        "`cargo xtask mutants` with {} over `{}`; {}. Runs, at their commits: {}. A mutant is \
         one small change to the code (a function body replaced by a default, an operator \
         swapped); it is *caught* when a checker's test fails, a *timeout* when the tests do \
         not finish (a livelock or a hang: detected, counted with the caught), *unviable* when \
         it does not build. Tests: the structures' own tests and the quick model and lincheck \
         checks (normal pass); what they miss is retried under shuttle, then loom. The quick \
         checks but loom's run with the use-after-free detector on (freed nodes quarantined \
         with poisoned links; `structures/src/quarantine.rs`) since it was added; a missed \
         mutant from an earlier run is rechecked (`--recheck-missed`) before it is judged.\n",
        if ledger.tool.is_empty() {
            "cargo-mutants"
        } else {
            &ledger.tool
        },
        ledger.files.join("`, `"),
        if ledger.shards.is_empty() {
            "every mutant".to_string()
        } else {
            format!("covered: shards {}", ledger.shards.join(", "))
        },
        ledger.commit
    )
    .unwrap();
    writeln!(
        s,
        "| mutants | viable | caught | timeout | missed | unviable | score |"
    )
    .unwrap();
    writeln!(s, "|--:|--:|--:|--:|--:|--:|--:|").unwrap();
    writeln!(
        s,
        "| {} | {viable} | {caught} | {timeout} | {missed} | {unviable} | **{score:.1}%** |\n",
        ledger.entries.len()
    )
    .unwrap();
    let equivalent = ledger
        .entries
        .iter()
        .filter(|e| {
            e.status == Status::Missed
                && judged
                    .get(&e.key())
                    .is_some_and(|j| j.verdict == "equivalent")
        })
        .count();
    let detectable = viable - equivalent;
    let adjusted = if detectable == 0 {
        0.0
    } else {
        100.0 * (caught + timeout) as f64 / detectable as f64
    };
    writeln!(
        s,
        "Score = (caught + timeout) / viable: **{score:.1}%**. {equivalent} of the missed are \
         judged *equivalent* (no behaviour a checker could observe changes; the judgements are \
         below): without them, (caught + timeout) / (viable − equivalent) = **{adjusted:.1}%**. \
         Target: at least 90% of the viable mutants that a checker could catch — **{}**.\n",
        if detectable == 0 {
            "not measured yet"
        } else if adjusted >= 90.0 {
            "MET"
        } else {
            "MISSED"
        }
    )
    .unwrap();

    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    let mut livelocks = 0;
    for e in ledger.entries.iter().filter(|e| e.status == Status::Caught) {
        *by.entry(e.by.as_str()).or_default() += 1;
        livelocks += usize::from(e.livelock);
    }
    let passes: Vec<String> = by.iter().map(|(p, n)| format!("{p} {n}")).collect();
    writeln!(
        s,
        "Caught by pass: {}{}.\n",
        if passes.is_empty() {
            "none".to_string()
        } else {
            passes.join(" · ")
        },
        if livelocks > 0 {
            format!(" ({livelocks} of them by a quick check's time limit: a livelock, weaker evidence than a wrong answer)")
        } else {
            String::new()
        }
    )
    .unwrap();

    writeln!(s, "## By file\n").unwrap();
    writeln!(s, "| file | viable | caught | timeout | missed |").unwrap();
    writeln!(s, "|:--|--:|--:|--:|--:|").unwrap();
    let mut files: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for e in &ledger.entries {
        let file = e.name.split(':').next().unwrap_or("");
        let slot = match e.status {
            Status::Caught => 0,
            Status::Timeout => 1,
            Status::Missed => 2,
            Status::Unviable => continue,
        };
        files.entry(file).or_default()[slot] += 1;
    }
    for (f, [c, t, m]) in &files {
        writeln!(s, "| `{f}` | {} | {c} | {t} | {m} |", c + t + m).unwrap();
    }
    writeln!(s).unwrap();

    let missed: Vec<_> = ledger
        .entries
        .iter()
        .filter(|e| e.status == Status::Missed)
        .collect();
    writeln!(s, "## Missed mutants\n").unwrap();
    if missed.is_empty() {
        writeln!(s, "None.\n").unwrap();
    } else {
        writeln!(
            s,
            "Each with its judgement (`xtask/src/mutants/judgements.txt`): *equivalent* — no \
             behaviour any checker could observe changes; *gap* — a checker should catch it \
             and does not.\n"
        )
        .unwrap();
        writeln!(s, "| mutant | passes tried | judgement | why |").unwrap();
        writeln!(s, "|:--|:--|:--|:--|").unwrap();
        for e in missed {
            let (verdict, why) = match judged.get(&e.key()) {
                Some(j) => (j.verdict.as_str(), j.why.as_str()),
                None => ("**not judged yet**", ""),
            };
            writeln!(
                s,
                "| `{}` | {} | {verdict} | {why} |",
                e.name.replace('|', "\\|"),
                e.tried.join(", ")
            )
            .unwrap();
        }
        writeln!(s).unwrap();
    }
    let timeouts: Vec<_> = ledger
        .entries
        .iter()
        .filter(|e| e.status == Status::Timeout)
        .collect();
    if !timeouts.is_empty() {
        writeln!(s, "## Timeouts\n").unwrap();
        for e in timeouts {
            writeln!(s, "- `{}` ({} pass)", e.name, e.by).unwrap();
        }
        writeln!(s).unwrap();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutants::ledger::Entry;

    #[test]
    fn every_judgement_parses_to_a_verdict() {
        let text = include_str!("judgements.txt");
        // Two mutants may share a key (the same change at two lines of one function); each
        // line must still parse.
        let keys: std::collections::BTreeSet<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| key_of(l.rsplitn(3, " | ").last().unwrap_or(l).trim()))
            .collect();
        let judged = judgements();
        assert_eq!(judged.len(), keys.len(), "a line did not parse");
        for (key, j) in &judged {
            assert!(
                j.verdict == "equivalent" || j.verdict == "gap",
                "{key}: verdict `{}` (a reason holding ` | ` splits wrongly)",
                j.verdict
            );
        }
    }

    #[test]
    fn the_score_counts_timeouts_as_detected_and_missed_mutants_get_their_judgement() {
        let entry = |name: &str, status| Entry {
            name: name.into(),
            status,
            by: "normal".into(),
            tried: vec!["normal".into()],
            livelock: false,
        };
        let ledger = Ledger {
            entries: vec![
                entry("a.rs:1:1: replace f with ()", Status::Caught),
                entry("a.rs:2:1: replace g with ()", Status::Timeout),
                entry("a.rs:3:1: replace h with ()", Status::Missed),
                entry("b.rs:4:1: replace k with ()", Status::Unviable),
            ],
            ..Ledger::default()
        };
        let judged = parse_judgements(
            "# comment\na.rs:99:9: replace h with () | equivalent | h only logs\n\
             t.rs:25:22: replace | with ^ in marked | equivalent | on unmarked pointers only\n",
        );
        assert_eq!(
            judged["t.rs: replace | with ^ in marked"].verdict,
            "equivalent"
        );
        let md = markdown(&ledger, &judged);
        assert!(md.contains("| 4 | 3 | 1 | 1 | 1 | 1 | **66.7%** |"), "{md}");
        // One missed mutant, judged equivalent: 2 of 2 detectable caught.
        assert!(md.contains("= **100.0%**") && md.contains("MET"), "{md}");
        assert!(md.contains("| equivalent | h only logs |"), "{md}");
    }
}
