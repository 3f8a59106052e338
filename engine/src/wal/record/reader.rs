//! Reading a log back: every intact record, and where and why reading stopped (the rules of
//! torn tails and corruption in the module above).

use super::format::{
    encode_header, header_crc, LOG_FORMAT_VERSION, LOG_HEADER_LEN, MAX_RECORD_LEN,
    RECORD_HEADER_LEN,
};
use crate::error::{Error, Result};
use crate::fs::Dir;
use bytes::Bytes;
use std::path::Path;

/// One intact record read back from a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Offset of the record's frame in the file.
    pub offset: u64,
    /// The payload (a slice of the file's contents, not a copy).
    pub payload: Bytes,
}

/// Where and why reading stopped at an unfinished last write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// Offset of the first byte that is not part of an intact record.
    pub offset: u64,
    /// What was found there.
    pub reason: String,
}

/// Everything [`read_log`] found in a log file.
#[derive(Clone, Debug)]
pub struct LogContents {
    /// The intact records, in file order.
    pub records: Vec<Record>,
    /// Length of the intact prefix: the header and all of `records`. Equals the file length
    /// unless there is a torn tail.
    pub valid_len: u64,
    /// Set if the file ends in an unfinished write (see the module documentation).
    pub torn_tail: Option<TornTail>,
}

/// Read the log `name` of `dir`, whose header must carry `magic`.
///
/// Errors: [`Error::Incompatible`] for a wrong magic or an unknown version,
/// [`Error::Corruption`] for a damaged header or a damaged record that has data after it,
/// [`Error::Io`] if the file cannot be read. A torn tail is not an error (see
/// [`LogContents::torn_tail`]).
pub(crate) fn read_log(dir: &Dir, name: &str, magic: [u8; 8]) -> Result<LogContents> {
    let data = dir.read(name)?;
    decode_log(&dir.file(name), magic, Bytes::from(data))
}

/// A log read from its contents already in memory (see `read_log`); `path` is only used in
/// errors.
pub(crate) fn decode_log(path: &Path, magic: [u8; 8], data: Bytes) -> Result<LogContents> {
    let (contents, damage) = salvage_log(path, magic, data)?;
    match damage {
        None => Ok(contents),
        Some(d) => Err(Error::corruption(path, d.offset, d.reason)),
    }
}

/// Damage that is not a torn tail: a record (or the file header) that fails a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Damage {
    /// Offset of the damaged record's frame (0: the file header).
    pub offset: u64,
    /// What check failed.
    pub reason: String,
    /// The damaged record is the last thing in the file: its frame header is intact and its
    /// payload ends the file (or only zeros follow it), so no record can hide behind it.
    pub last: bool,
}

/// [`decode_log`] that does not fail at damage: the intact records before it, and the damage.
/// `Err` only for a file of another format or version ([`Error::Incompatible`]).
pub(crate) fn salvage_log(
    path: &Path,
    magic: [u8; 8],
    data: Bytes,
) -> Result<(LogContents, Option<Damage>)> {
    let contents = |records, valid_len, torn_tail| LogContents {
        records,
        valid_len,
        torn_tail,
    };
    let empty_torn = |reason: &str| LogContents {
        records: Vec::new(),
        valid_len: 0,
        torn_tail: Some(TornTail {
            offset: 0,
            reason: reason.to_string(),
        }),
    };
    // A header write cut short, with zeros after it (blocks the file system allocated but
    // never wrote): the file's first write never completed, so nothing follows it. (Fix: a
    // power cut that tore the unsynced header of a fresh WAL segment — "FLIT" then zeros —
    // made the database refuse to open. Found by the power-cut test.)
    let header = encode_header(magic);
    let matching = data
        .iter()
        .zip(header.iter())
        .take_while(|(a, b)| a == b)
        .count();
    if matching < LOG_HEADER_LEN && matching > 0 && all_zero(&data[matching..]) {
        return Ok((
            empty_torn(&format!(
                "the header is cut off after {matching} bytes (then {} zero bytes)",
                data.len() - matching
            )),
            None,
        ));
    }
    if data.len() < LOG_HEADER_LEN {
        let present = &data[..data.len().min(magic.len())];
        if present != &magic[..present.len()] && !all_zero(present) {
            return Err(bad_magic(path, present, magic));
        }
        return Ok((
            empty_torn(&format!(
                "file of {} bytes is shorter than the {LOG_HEADER_LEN}-byte header",
                data.len()
            )),
            None,
        ));
    }
    if data[..8] != magic {
        if all_zero(&data) {
            return Ok((empty_torn("file holds only zero bytes"), None));
        }
        return Err(bad_magic(path, &data[..8], magic));
    }
    let stored = read_u32(&data, 12);
    if crc32c::crc32c(&data[..12]) != stored {
        let damage = Damage {
            offset: 0,
            reason: "header checksum mismatch".into(),
            last: false,
        };
        return Ok((contents(Vec::new(), 0, None), Some(damage)));
    }
    let version = read_u32(&data, 8);
    if version != LOG_FORMAT_VERSION {
        return Err(Error::Incompatible {
            path: path.to_path_buf(),
            reason: format!(
                "log format version {version}, this build reads version {LOG_FORMAT_VERSION}"
            ),
        });
    }

    let mut records = Vec::new();
    let mut pos = LOG_HEADER_LEN;
    let mut torn_tail = None;
    let mut damage = None;
    while pos < data.len() {
        match read_frame(&data, pos) {
            Frame::Intact { end } => {
                records.push(Record {
                    offset: pos as u64,
                    payload: data.slice(pos + RECORD_HEADER_LEN..end),
                });
                pos = end;
            }
            Frame::Torn(reason) => {
                torn_tail = Some(TornTail {
                    offset: pos as u64,
                    reason,
                });
                break;
            }
            Frame::Damaged { reason, last } => {
                damage = Some(Damage {
                    offset: pos as u64,
                    reason,
                    last,
                });
                break;
            }
        }
    }
    Ok((contents(records, pos as u64, torn_tail), damage))
}

/// What [`read_frame`] found at a record's offset.
enum Frame {
    /// An intact record whose payload ends at `end`.
    Intact { end: usize },
    /// The unfinished last write, and why.
    Torn(String),
    /// Damage (see [`Damage`]).
    Damaged {
        reason: String,
        /// The record's header is intact and its payload ends the file (zeros aside).
        last: bool,
    },
}

/// Check the record starting at `pos` (`pos < data.len()`) by the rules in the module
/// documentation.
fn read_frame(data: &[u8], pos: usize) -> Frame {
    let rest = data.len() - pos;
    if rest < RECORD_HEADER_LEN {
        return Frame::Torn(format!(
            "record header cut off by the end of the file ({rest} of {RECORD_HEADER_LEN} bytes)"
        ));
    }
    let len = read_u32(data, pos);
    let payload_crc = read_u32(data, pos + 4);
    if header_crc(len, payload_crc) != read_u32(data, pos + 8) {
        // A write cut short inside the header leaves its last byte, and all that follows, zero.
        if all_zero(&data[pos + RECORD_HEADER_LEN - 1..]) {
            return Frame::Torn(format!(
                "record header checksum mismatch with only zero bytes from the end of the \
                 header to the end of the file ({rest} bytes)"
            ));
        }
        return Frame::Damaged {
            reason: format!(
                "record header checksum mismatch with {} bytes after the header",
                rest - RECORD_HEADER_LEN
            ),
            last: false,
        };
    }
    let len = len as usize;
    if len > MAX_RECORD_LEN {
        return Frame::Damaged {
            reason: format!("record length {len} exceeds the maximum {MAX_RECORD_LEN}"),
            last: false,
        };
    }
    let body = pos + RECORD_HEADER_LEN;
    let present = data.len() - body;
    if len > present {
        return Frame::Torn(format!(
            "record of {len} bytes cut off by the end of the file ({present} bytes present)"
        ));
    }
    let end = body + len;
    if crc32c::crc32c(&data[body..end]) != payload_crc {
        let after = data.len() - end;
        // Rule 5: only a payload that is entirely zero, with nothing but zeros after it, is
        // an unfinished write (see "Why a damaged complete last record is corruption").
        if all_zero(&data[body..]) {
            return Frame::Torn(format!(
                "payload checksum mismatch in a record of {len} bytes whose payload and the \
                 {after} bytes after it are zero (an unfinished write)"
            ));
        }
        return Frame::Damaged {
            reason: format!(
                "payload checksum mismatch in a complete record of {len} bytes followed by \
                 {after} more bytes (damaged after it was written)"
            ),
            last: all_zero(&data[end..]),
        };
    }
    Frame::Intact { end }
}

fn bad_magic(path: &Path, found: &[u8], expected: [u8; 8]) -> Error {
    Error::Incompatible {
        path: path.to_path_buf(),
        reason: format!(
            "not a log of this kind: magic is \"{}\", expected \"{}\"",
            found.escape_ascii(),
            expected.escape_ascii()
        ),
    }
}

/// Little-endian u32 at `at`; the caller guarantees four bytes are there.
#[inline]
fn read_u32(data: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&data[at..at + 4]);
    u32::from_le_bytes(b)
}

pub(super) fn all_zero(data: &[u8]) -> bool {
    data.iter().all(|&b| b == 0)
}
