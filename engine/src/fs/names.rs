//! The names of a database directory's files, and what kind of file a name says.
//!
//! | file | name | kind |
//! |---|---|---|
//! | WAL segment | `nnnnnn.wal` | [`FileKind::Wal`] |
//! | table | `nnnnnn.sst` | [`FileKind::Table`] |
//! | manifest | `MANIFEST-nnnnnn` | [`FileKind::Manifest`] |
//! | the manifest pointer | `CURRENT` (written as `CURRENT.tmp`, then renamed) | [`FileKind::Current`] |
//! | the directory lock | `LOCK` | [`FileKind::Other`] |
//!
//! Numbers come from one counter per database, so no two files share one; they are written in
//! decimal with at least six digits. Only that canonical spelling is recognised
//! ([`parse_number`]), so each number has exactly one name and a listing never reports a file
//! twice: `7.sst` or `0000007.sst` is not a table, it is a stranger.

use std::path::Path;

/// The file `CURRENT` names the live manifest.
pub(crate) const CURRENT: &str = "CURRENT";
/// The lock file.
pub(crate) const LOCK: &str = "LOCK";

const WAL_SUFFIX: &str = ".wal";
const TABLE_SUFFIX: &str = ".sst";
const MANIFEST_PREFIX: &str = "MANIFEST-";
const TMP_SUFFIX: &str = ".tmp";

/// What a file of a database directory is, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FileKind {
    /// A WAL segment, `*.wal`.
    Wal,
    /// A table, `*.sst`.
    Table,
    /// A manifest, `MANIFEST-*`.
    Manifest,
    /// `CURRENT` and its temporary file `CURRENT.tmp`.
    Current,
    /// Anything else: `LOCK`, the directory itself, unknown files.
    Other,
}

impl FileKind {
    /// Every kind.
    pub const ALL: [FileKind; 5] = [
        FileKind::Wal,
        FileKind::Table,
        FileKind::Manifest,
        FileKind::Current,
        FileKind::Other,
    ];

    /// The kind of the file at `path`, from its name (a `.tmp` suffix is ignored: the
    /// temporary file of `CURRENT` is `CURRENT`'s). Loose: `x.sst` is a table here; the
    /// engine itself only trusts canonical names (`parse_number`).
    pub fn of(path: &Path) -> FileKind {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return FileKind::Other;
        };
        let name = name.strip_suffix(TMP_SUFFIX).unwrap_or(name);
        if name.ends_with(WAL_SUFFIX) {
            FileKind::Wal
        } else if name.ends_with(TABLE_SUFFIX) {
            FileKind::Table
        } else if name.starts_with(MANIFEST_PREFIX) {
            FileKind::Manifest
        } else if name == CURRENT {
            FileKind::Current
        } else {
            FileKind::Other
        }
    }

    /// A short lower-case name: `wal`, `sst`, `manifest`, `current`, `other`.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Wal => "wal",
            FileKind::Table => "sst",
            FileKind::Manifest => "manifest",
            FileKind::Current => "current",
            FileKind::Other => "other",
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// The name of WAL segment `number`: `{number:06}.wal`.
pub(crate) fn segment_name(number: u64) -> String {
    format!("{number:06}{WAL_SUFFIX}")
}

/// The name of table `number`: `{number:06}.sst`.
pub(crate) fn table_name(number: u64) -> String {
    format!("{number:06}{TABLE_SUFFIX}")
}

/// The name of manifest `number`: `MANIFEST-{number:06}`.
pub(crate) fn manifest_name(number: u64) -> String {
    format!("{MANIFEST_PREFIX}{number:06}")
}

/// The kind and number of a numbered file (segment, table, manifest) with a canonical name;
/// `None` for anything else.
pub(crate) fn parse_number(name: &str) -> Option<(FileKind, u64)> {
    let (kind, digits) = if let Some(d) = name.strip_suffix(WAL_SUFFIX) {
        (FileKind::Wal, d)
    } else if let Some(d) = name.strip_suffix(TABLE_SUFFIX) {
        (FileKind::Table, d)
    } else if let Some(d) = name.strip_prefix(MANIFEST_PREFIX) {
        (FileKind::Manifest, d)
    } else {
        return None;
    };
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u64 = digits.parse().ok()?;
    let canonical = match kind {
        FileKind::Wal => segment_name(number),
        FileKind::Table => table_name(number),
        _ => manifest_name(number),
    };
    (canonical == name).then_some((kind, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip_and_are_canonical() {
        for n in [0u64, 1, 42, 999_999, 1_000_000, 123_456_789, u64::MAX] {
            assert_eq!(parse_number(&segment_name(n)), Some((FileKind::Wal, n)));
            assert_eq!(parse_number(&table_name(n)), Some((FileKind::Table, n)));
            assert_eq!(
                parse_number(&manifest_name(n)),
                Some((FileKind::Manifest, n))
            );
        }
        assert_eq!(segment_name(7), "000007.wal");
        assert_eq!(table_name(7), "000007.sst");
        assert_eq!(manifest_name(7), "MANIFEST-000007");
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
            "0000007.sst",
            "MANIFEST-7",
            "MANIFEST-0000007",
            "99999999999999999999.wal",
            "CURRENT",
            "LOCK",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn kinds_come_from_file_names() {
        let kind = |name: &str| FileKind::of(&Path::new("/db").join(name));
        assert_eq!(kind("000001.wal"), FileKind::Wal);
        assert_eq!(kind("000002.sst"), FileKind::Table);
        assert_eq!(kind("MANIFEST-000003"), FileKind::Manifest);
        assert_eq!(kind("CURRENT"), FileKind::Current);
        assert_eq!(kind("CURRENT.tmp"), FileKind::Current);
        assert_eq!(kind("LOCK"), FileKind::Other);
        assert_eq!(FileKind::of(Path::new("/db")), FileKind::Other);
    }
}
