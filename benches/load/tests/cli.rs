//! The `loadgen` command line, run as a user runs it. (Also why `cargo test --workspace`
//! builds the `loadgen` binary, which `cargo xtask load --quick` then runs without a build of
//! its own.)

use std::process::Command;

fn loadgen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .output()
        .expect("run loadgen")
}

#[test]
fn help_lists_the_options() {
    let out = loadgen(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--server-bin",
        "--faces",
        "--clients",
        "--soak-seconds",
        "--quick",
    ] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
}

#[test]
fn bad_options_and_non_loopback_targets_are_refused() {
    for args in [
        &["--bind", "10.1.2.3"][..],
        &["--frobnicate"],
        &["--clients", "0"],
        &["--faces", "carrier-pigeon"],
    ] {
        let out = loadgen(args);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(!out.stderr.is_empty(), "{args:?}: no message");
    }
    let out = loadgen(&["--bind", "10.1.2.3"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}
