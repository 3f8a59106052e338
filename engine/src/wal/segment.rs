//! Naming and listing WAL segment files.
//!
//! A segment is named after its file number — a `u64` drawn from the database's shared file
//! number counter, so segment, table and manifest numbers never collide — written in decimal
//! with at least six digits and the suffix `.wal`: `000042.wal`, `1234567.wal`. Only that
//! canonical spelling is recognised, so each number has exactly one name and `list_segments`
//! cannot report the same segment twice; temporary files and anything else in the directory
//! are ignored.

use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::fs::{FileSystem, StdFs};

/// File name suffix of WAL segments.
pub const SEGMENT_SUFFIX: &str = ".wal";

/// The file name of segment `number`: `{number:06}.wal`.
pub fn segment_name(number: u64) -> String {
    format!("{number:06}{SEGMENT_SUFFIX}")
}

/// The path of segment `number` in `dir`.
pub fn segment_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(segment_name(number))
}

/// The number of a segment file name, or `None` if `name` is not the canonical name of a
/// segment.
pub fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u64 = digits.parse().ok()?;
    // Reject non-canonical spellings such as "0000042.wal".
    (segment_name(number) == name).then_some(number)
}

/// All segment files in `dir`, sorted by number.
pub fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    list_segments_in(&StdFs, dir)
}

/// [`list_segments`] on the file system `fs`.
pub fn list_segments_in(fs: &dyn FileSystem, dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in fs.list_dir(dir).ctx(dir)? {
        let Some(number) = parse_segment_name(&entry.name) else {
            continue;
        };
        if entry.is_dir {
            continue;
        }
        out.push((number, dir.join(&entry.name)));
    }
    out.sort_unstable_by_key(|(n, _)| *n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip_and_are_canonical() {
        for n in [0u64, 1, 42, 999_999, 1_000_000, 123_456_789, u64::MAX] {
            let name = segment_name(n);
            assert!(name.len() >= 10, "{name}");
            assert_eq!(parse_segment_name(&name), Some(n));
        }
        assert_eq!(segment_name(7), "000007.wal");
        assert_eq!(
            segment_path(Path::new("/db"), 12),
            Path::new("/db/000012.wal")
        );
        for bad in [
            "",
            ".wal",
            "7.wal",
            "00007.wal",
            "0000007.wal",
            "000007.wal.tmp",
            "000007.WAL",
            "00000a.wal",
            "+00007.wal",
            "000007.sst",
            "99999999999999999999.wal",
        ] {
            assert_eq!(parse_segment_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn list_finds_segments_in_order_and_ignores_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        for n in [10u64, 2, 1_000_001, 3] {
            std::fs::write(segment_path(dir.path(), n), b"").unwrap();
        }
        for other in ["CURRENT", "000004.sst", "000005.wal.tmp", "LOCK"] {
            std::fs::write(dir.path().join(other), b"").unwrap();
        }
        std::fs::create_dir(dir.path().join("000006.wal")).unwrap();
        let got = list_segments(dir.path()).unwrap();
        let numbers: Vec<u64> = got.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![2, 3, 10, 1_000_001]);
        assert_eq!(got[0].1, segment_path(dir.path(), 2));
        assert!(list_segments(&dir.path().join("missing")).is_err());
    }
}
