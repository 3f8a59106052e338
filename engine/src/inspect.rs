//! Reading a database's files without opening the database: for tools and checkers.
//!
//! A `Db` hides its files. Tools that look at them from outside — a log dumper, a table
//! checker (RocksDB's `ldb` and `sst_dump`), the crash and corruption checkers that damage a
//! byte and expect the engine to notice — need the formats' framing without the engine's
//! internals. This module is that view, read-only but for [`encode_log`], which writes the
//! bytes a log writer of this build would write (to build test inputs):
//!
//! - [`read_log`]: every intact record of a WAL segment or manifest with its offset, where
//!   reading stopped and why (a torn tail), by the same rules recovery uses;
//! - [`encode_log`]: a log file's bytes for given payloads;
//! - [`check_table`]: open a table and check every checksum; its entry count and blocks.
//!
//! The kind of a file comes from its name ([`FileKind`]): `nnnnnn.wal`, `MANIFEST-nnnnnn`,
//! `nnnnnn.sst`.

use crate::cache::NoCache;
use crate::error::{Error, Result};
use crate::fs::{Dir, FileKind, FileSystem};
use crate::sstable::Table;
use crate::wal::record::{encode_frame, encode_header, MANIFEST_MAGIC, WAL_MAGIC};
use bytes::Bytes;
use std::path::Path;
use std::sync::Arc;

pub use crate::wal::record::{LOG_HEADER_LEN, MAX_RECORD_LEN, RECORD_HEADER_LEN};

/// One intact record of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Offset of the record's frame in the file.
    pub offset: u64,
    /// The payload.
    pub payload: Bytes,
}

/// What [`read_log`] found in a log file.
#[derive(Clone, Debug)]
pub struct LogFile {
    /// The intact records, in file order.
    pub records: Vec<Record>,
    /// Length of the intact prefix: the header and every record. The file's length unless
    /// it ends in a torn tail.
    pub valid_len: u64,
    /// Where reading stopped at an unfinished last write, and why.
    pub torn_tail: Option<(u64, String)>,
}

fn magic_of(path: &Path) -> Result<[u8; 8]> {
    match FileKind::of(path) {
        FileKind::Wal => Ok(WAL_MAGIC),
        FileKind::Manifest => Ok(MANIFEST_MAGIC),
        other => Err(Error::InvalidOptions(format!(
            "{} is not a log file (its name says {other}; expected a .wal segment or a MANIFEST)",
            path.display()
        ))),
    }
}

/// Read the WAL segment or manifest at `path` through `fs`. Errors as recovery sees them:
/// [`Error::Corruption`] at a damaged record with data after it (or a damaged complete last
/// record), [`Error::Incompatible`] for another format or version.
pub fn read_log(fs: &Arc<dyn FileSystem>, path: &Path) -> Result<LogFile> {
    let magic = magic_of(path)?;
    let (dir, name) = split(fs, path)?;
    let contents = crate::wal::read_log(&dir, &name, magic)?;
    Ok(LogFile {
        records: contents
            .records
            .into_iter()
            .map(|r| Record {
                offset: r.offset,
                payload: r.payload,
            })
            .collect(),
        valid_len: contents.valid_len,
        torn_tail: contents.torn_tail.map(|t| (t.offset, t.reason)),
    })
}

/// The bytes of a log file of `kind` ([`FileKind::Wal`] or [`FileKind::Manifest`]) holding
/// `payloads`, as this build's writer frames them.
///
/// # Panics
///
/// If `kind` is not a log kind or a payload exceeds [`MAX_RECORD_LEN`].
pub fn encode_log(kind: FileKind, payloads: &[&[u8]]) -> Vec<u8> {
    let magic = match kind {
        FileKind::Wal => WAL_MAGIC,
        FileKind::Manifest => MANIFEST_MAGIC,
        other => panic!("{other} files are not logs"),
    };
    let mut out = encode_header(magic).to_vec();
    for p in payloads {
        assert!(p.len() <= MAX_RECORD_LEN, "payload above MAX_RECORD_LEN");
        out.extend_from_slice(&encode_frame(p));
        out.extend_from_slice(p);
    }
    out
}

/// What [`check_table`] found in a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableCheck {
    /// Entries (versions and tombstones).
    pub entries: u64,
    /// Data blocks.
    pub blocks: u64,
    /// Bytes.
    pub file_size: u64,
}

/// Open the table at `path` through `fs` and check every checksum of it.
pub fn check_table(fs: &Arc<dyn FileSystem>, path: &Path) -> Result<TableCheck> {
    let (dir, name) = split(fs, path)?;
    let table = Table::open(&dir, &name, 0, Arc::new(NoCache::default()))?;
    let report = table.verify()?;
    Ok(TableCheck {
        entries: table.entries(),
        blocks: report.blocks,
        file_size: table.file_size(),
    })
}

fn split(fs: &Arc<dyn FileSystem>, path: &Path) -> Result<(Dir, String)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::InvalidOptions(format!("{} names no file", path.display())))?;
    let parent = path.parent().unwrap_or(Path::new(""));
    Ok((Dir::new(fs.clone(), parent), name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::StdFs;

    #[test]
    fn encoded_logs_read_back_and_other_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let fs: Arc<dyn FileSystem> = Arc::new(StdFs);
        let path = tmp.path().join("000003.wal");
        std::fs::write(&path, encode_log(FileKind::Wal, &[b"one", b"", b"three"])).unwrap();
        let log = read_log(&fs, &path).unwrap();
        let payloads: Vec<&[u8]> = log.records.iter().map(|r| &r.payload[..]).collect();
        assert_eq!(payloads, vec![&b"one"[..], b"", b"three"]);
        assert_eq!(log.records[0].offset, LOG_HEADER_LEN as u64);
        assert_eq!(log.valid_len, std::fs::metadata(&path).unwrap().len());
        assert!(log.torn_tail.is_none());
        // A manifest's magic differs: a WAL's bytes under a manifest's name are refused.
        let wrong = tmp.path().join("MANIFEST-000004");
        std::fs::copy(&path, &wrong).unwrap();
        assert!(matches!(
            read_log(&fs, &wrong),
            Err(Error::Incompatible { .. })
        ));
        assert!(read_log(&fs, &tmp.path().join("000005.sst")).is_err());
    }
}
