//! The cells a [`Suite`](super::Suite) saves under `<out>/cells/`, one JSON file each, so that
//! the report of one build holds the columns the other builds ran (loom and shuttle each need
//! their own build).

use ferrolite_matrix::{Cell, Checker, Evidence, Outcome, Row, RowMutant};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

fn file_name(cell: &Cell) -> String {
    let label: String = cell
        .row
        .label()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{label}--{}.json", cell.checker.name())
}

/// Writes `cell` to its file in `dir`.
pub(super) fn save(dir: &Path, cell: &Cell) -> io::Result<()> {
    let (status, secs, stats, text, excerpt, log) = match &cell.outcome {
        Outcome::Pass {
            secs,
            stats,
            expected,
        } => ("pass", *secs, json!(stats), expected.clone(), None, None),
        Outcome::Fail {
            secs,
            reason,
            excerpt,
            log,
        } => (
            "fail",
            *secs,
            json!({}),
            Some(reason.clone()),
            Some(excerpt.clone()),
            Some(log.clone()),
        ),
        Outcome::Timeout { secs, log } => {
            ("timeout", *secs, json!({}), None, None, Some(log.clone()))
        }
        Outcome::Skipped(why) => ("skipped", 0.0, json!({}), Some(why.clone()), None, None),
        Outcome::BuildFailed(log) => (
            "build_failed",
            0.0,
            json!({}),
            None,
            None,
            Some(log.clone()),
        ),
    };
    let v = json!({
        "structure": cell.row.structure,
        "mutant": cell.row.mutant.as_ref().map(|m| json!({"name": m.name, "description": m.description})),
        "checker": cell.checker.name(),
        "status": status,
        "seconds": secs,
        "stats": stats,
        "text": text,
        "excerpt": excerpt,
        "log": log,
        "timeline": cell.evidence.timeline,
        "history": cell.evidence.history,
    });
    let pretty = serde_json::to_string_pretty(&v).map_err(io::Error::other)?;
    std::fs::write(dir.join(file_name(cell)), pretty + "\n")
}

/// Every cell saved in `dir` (none if it does not exist). A file that does not parse is an
/// error naming it: a report silently missing a column would be worse.
pub(super) fn load(dir: &Path) -> io::Result<Vec<Cell>> {
    let mut cells = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(cells),
        Err(e) => return Err(e),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        let cell = parse(&text).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a saved cell (delete it to rerun)", path.display()),
            )
        })?;
        cells.push(cell);
    }
    Ok(cells)
}

fn parse(text: &str) -> Option<Cell> {
    let v: Value = serde_json::from_str(text).ok()?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let mutant = match v.get("mutant")? {
        Value::Null => None,
        m => Some(RowMutant {
            name: m.get("name")?.as_str()?.to_string(),
            description: m.get("description")?.as_str()?.to_string(),
        }),
    };
    let row = Row {
        structure: s("structure")?,
        mutant,
    };
    let checker = Checker::parse(&s("checker")?)?;
    let secs = v.get("seconds")?.as_f64()?;
    let log = || s("log").map(PathBuf::from);
    let outcome = match s("status")?.as_str() {
        "pass" => {
            let stats: BTreeMap<String, u64> = v
                .get("stats")?
                .as_object()?
                .iter()
                .filter_map(|(k, n)| n.as_u64().map(|n| (k.clone(), n)))
                .collect();
            Outcome::Pass {
                secs,
                stats,
                expected: s("text"),
            }
        }
        "fail" => Outcome::Fail {
            secs,
            reason: s("text")?,
            excerpt: s("excerpt")?,
            log: log()?,
        },
        "timeout" => Outcome::Timeout { secs, log: log()? },
        "skipped" => Outcome::Skipped(s("text")?),
        "build_failed" => Outcome::BuildFailed(log()?),
        _ => return None,
    };
    let evidence = Evidence {
        timeline: s("timeline").map(PathBuf::from),
        history: v.get("history").filter(|h| !h.is_null()).cloned(),
        seeds: Vec::new(),
    };
    Some(Cell {
        row,
        checker,
        outcome,
        evidence,
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn saved_cells_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let row = Row {
            structure: "mine".into(),
            mutant: Some(RowMutant {
                name: "split_replace".into(),
                description: "replace in two steps".into(),
            }),
        };
        let cells = [
            Outcome::Pass {
                secs: 1.5,
                stats: [("histories".to_string(), 40)].into_iter().collect(),
                expected: Some("3 of 40 histories".into()),
            },
            Outcome::Fail {
                secs: 0.25,
                reason: "wrong result: not linearizable".into(),
                excerpt: "t0 |--get(0)=None--|".into(),
                log: "logs/x.log".into(),
            },
            Outcome::Skipped("a loom build runs it".into()),
        ];
        for (checker, outcome) in [Checker::Lincheck, Checker::Model, Checker::Loom]
            .into_iter()
            .zip(cells)
        {
            save(
                dir.path(),
                &Cell {
                    row: row.clone(),
                    checker,
                    outcome,
                    evidence: Evidence {
                        timeline: Some("logs/x.html".into()),
                        history: Some(json!({"key": 3})),
                        seeds: Vec::new(),
                    },
                },
            )
            .unwrap();
        }
        let back = load(dir.path()).unwrap();
        assert_eq!(back.len(), 3);
        assert!(back.iter().all(|c| c.row == row));
        assert!(back.iter().all(|c| c.evidence.timeline.as_deref()
            == Some(Path::new("logs/x.html"))
            && c.evidence.history == Some(json!({"key": 3}))));
        let find = |c: Checker| back.iter().find(|x| x.checker == c).unwrap();
        assert!(matches!(&find(Checker::Lincheck).outcome,
            Outcome::Pass { stats, expected: Some(e), .. } if stats["histories"] == 40 && e.starts_with("3 of")));
        assert!(matches!(&find(Checker::Model).outcome,
            Outcome::Fail { reason, log, .. } if reason.starts_with("wrong result") && log.ends_with("x.log")));
        assert!(matches!(&find(Checker::Loom).outcome, Outcome::Skipped(w) if w.contains("loom")));
        std::fs::write(dir.path().join("junk.json"), "{}").unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("junk.json"), "{err}");
    }
}
