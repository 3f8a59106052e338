//! Results files and their provenance: JSON documents read and written whole, and the git
//! commit a report names.

use std::path::Path;
use std::process::Command;

/// Read a JSON document of type `T` from `path` (the results files: `stages.json`, `load.json`).
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> std::io::Result<T> {
    let text = std::fs::read_to_string(path)?;
    serde_json::from_str(&text).map_err(std::io::Error::other)
}

/// Write `value` to `path` as pretty JSON.
pub fn write_json<T: serde::Serialize>(value: &T, path: &Path) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}

/// The short commit of the git checkout holding `dir`, with `-dirty` if tracked files had
/// changes; `None` outside a git checkout (or without git). Every report names its commit so.
pub fn git_commit(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "--short", "HEAD"])?;
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}
