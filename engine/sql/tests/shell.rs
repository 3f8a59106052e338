//! The shell, end to end: a script of statements and dot commands (`tests/golden/*.sql`) is
//! piped into `ferrolite-sql --memory --echo`, and the transcript (stdout and stderr, in
//! order) must equal `tests/golden/*.out` — a golden file that reads as documentation.
//! `FERROLITE_BLESS=1 cargo test -p ferrolite-sql --test shell` rewrites the expected files.

use std::path::Path;
use std::process::Command;

fn transcript(script: &Path) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' --memory --echo < '{}' 2>&1; echo \"(exit $?)\"",
            env!("CARGO_BIN_EXE_ferrolite-sql"),
            script.display()
        ))
        .output()
        .expect("running the shell");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn golden_shell_sessions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty());
    for script in scripts {
        let got = transcript(&script);
        let expected_path = script.with_extension("out");
        if std::env::var_os("FERROLITE_BLESS").is_some() {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        assert_eq!(
            got,
            expected,
            "{} (FERROLITE_BLESS=1 rewrites the .out file)",
            script.display()
        );
    }
}

#[test]
fn one_command_and_its_exit_code() {
    let bin = env!("CARGO_BIN_EXE_ferrolite-sql");
    let ok = Command::new(bin)
        .args(["--memory", "-c", "SELECT 1 + 1 AS two"])
        .output()
        .unwrap();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("two"));
    let bad = Command::new(bin)
        .args(["--memory", "-c", "SELEC 1"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("syntax error at line 1"));
    let usage = Command::new(bin).args(["--nope"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}
