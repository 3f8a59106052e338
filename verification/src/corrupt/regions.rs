//! Where the damage may go: the byte regions of each file (a log's header and records; a
//! table's data blocks, filter, index and footer, read from its footer and index as
//! `ferrolite::sstable` documents them), each with the offsets an error about it may name.

use ferrolite::inspect::{self, LOG_HEADER_LEN};
use std::ops::Range;
use std::path::Path;

/// What a region of a file is, for messages and for the expected outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RegionKind {
    LogHeader,
    LogRecord,
    DataBlock,
    FilterBlock,
    IndexBlock,
    Footer,
    Current,
}

/// A byte range of one file whose damage must be reported at an offset inside it.
#[derive(Clone, Debug)]
pub(super) struct Region {
    pub(super) kind: RegionKind,
    /// The file's name in the database directory.
    pub(super) file: String,
    pub(super) range: Range<u64>,
    /// For log records: whether it is the last record of the file.
    pub(super) last: bool,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn varint(b: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = b[*pos];
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// The regions of a binary table, read from its footer and index block as documented in
/// `ferrolite::sstable` (footer: filter handle, index handle; blocks followed by 5-byte
/// trailers; index entries `[key_len varint][val_len varint][key][handle: offset u64, size
/// u32]`, then the u32 entry offsets and the u32 count).
pub(super) fn table_regions(name: &str, bytes: &[u8]) -> Vec<Region> {
    const TRAILER: u64 = 5;
    let len = bytes.len() as u64;
    let footer = &bytes[bytes.len() - 64..];
    assert_eq!(&footer[56..], b"FLITESST", "{name}: not a table");
    let (f_off, f_size) = (u64_at(footer, 0), u64::from(u32_at(footer, 8)));
    let (i_off, i_size) = (u64_at(footer, 12), u64::from(u32_at(footer, 20)));
    let region = |kind, range: Range<u64>| Region {
        kind,
        file: name.to_string(),
        range,
        last: false,
    };
    let mut out = Vec::new();
    let index = &bytes[i_off as usize..(i_off + i_size) as usize];
    let count = u32_at(index, index.len() - 4) as usize;
    let offsets = index.len() - 4 - 4 * count;
    let mut data_end = 0;
    for i in 0..count {
        let mut pos = u32_at(index, offsets + 4 * i) as usize;
        let klen = varint(index, &mut pos) as usize;
        let vlen = varint(index, &mut pos) as usize;
        assert_eq!(vlen, 12, "{name}: index entry {i}");
        let h = pos + klen;
        let (off, size) = (u64_at(index, h), u64::from(u32_at(index, h + 8)));
        assert_eq!(off, data_end, "{name}: data blocks tile the file");
        data_end = off + size + TRAILER;
        out.push(region(RegionKind::DataBlock, off..data_end));
    }
    if f_size > 0 || f_off > 0 {
        assert_eq!(f_off, data_end, "{name}: the filter follows the data");
        out.push(region(
            RegionKind::FilterBlock,
            f_off..f_off + f_size + TRAILER,
        ));
    }
    assert_eq!(
        i_off + i_size + TRAILER,
        len - 64,
        "{name}: index ends at the footer"
    );
    out.push(region(
        RegionKind::IndexBlock,
        i_off..i_off + i_size + TRAILER,
    ));
    out.push(region(RegionKind::Footer, len - 64..len));
    out
}

/// The regions of a framed log: its 16-byte header and each record.
pub(super) fn log_regions(name: &str, path: &Path) -> (Vec<Region>, Vec<u64>) {
    let contents = inspect::read_log(&ferrolite::StdFs::shared(), path)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        contents.torn_tail.is_none(),
        "{name}: the base log is whole"
    );
    let len = std::fs::metadata(path).expect("log size").len();
    let offsets: Vec<u64> = contents.records.iter().map(|r| r.offset).collect();
    let mut out = vec![Region {
        kind: RegionKind::LogHeader,
        file: name.to_string(),
        range: 0..LOG_HEADER_LEN as u64,
        last: false,
    }];
    for (i, &o) in offsets.iter().enumerate() {
        let end = offsets.get(i + 1).copied().unwrap_or(len);
        out.push(Region {
            kind: RegionKind::LogRecord,
            file: name.to_string(),
            range: o..end,
            last: i + 1 == offsets.len(),
        });
    }
    (out, offsets)
}
