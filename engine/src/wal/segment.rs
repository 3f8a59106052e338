//! Listing WAL segment files: `nnnnnn.wal`, one per memtable generation (names in
//! `fs/names.rs`: only canonical names count, so no segment is listed twice and temporary
//! files or strangers are ignored).

use crate::error::Result;
use crate::fs::{parse_number, Dir, FileKind};

/// The WAL segments of `dir`, as (number, file name), sorted by number.
pub(crate) fn list_segments(dir: &Dir) -> Result<Vec<(u64, String)>> {
    let mut out: Vec<(u64, String)> = dir
        .list_files()?
        .into_iter()
        .filter_map(|name| match parse_number(&name) {
            Some((FileKind::Wal, number)) => Some((number, name)),
            _ => None,
        })
        .collect();
    out.sort_unstable_by_key(|(n, _)| *n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::{segment_name, StdFs};
    use std::sync::Arc;

    #[test]
    fn list_finds_segments_in_order_and_ignores_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        for n in [10u64, 2, 1_000_001, 3] {
            std::fs::write(tmp.path().join(segment_name(n)), b"").unwrap();
        }
        for other in ["CURRENT", "000004.sst", "000005.wal.tmp", "LOCK", "7.wal"] {
            std::fs::write(tmp.path().join(other), b"").unwrap();
        }
        std::fs::create_dir(tmp.path().join("000006.wal")).unwrap();
        let dir = Dir::new(Arc::new(StdFs), tmp.path());
        let got = list_segments(&dir).unwrap();
        let numbers: Vec<u64> = got.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![2, 3, 10, 1_000_001]);
        assert_eq!(got[0].1, "000002.wal");
        assert!(list_segments(&Dir::new(Arc::new(StdFs), tmp.path().join("missing"))).is_err());
    }
}
