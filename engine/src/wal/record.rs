//! The framed record log: the on-disk format of WAL segments and of the manifest.
//!
//! A log file is a 16-byte header followed by records, appended and never rewritten:
//!
//! ```text
//! header:  [magic: 8 bytes][version: u32 LE][crc32c of the previous 12 bytes: u32 LE]
//! record:  [len: u32 LE][payload_crc: u32 LE][header_crc: u32 LE][payload: len bytes]
//!
//!          payload_crc = crc32c(payload)
//!          header_crc  = mask(crc32c(len ++ payload_crc))
//!          mask(c)     = c.rotate_right(15) + 0xa282ead8   (wrapping; as in LevelDB)
//! ```
//!
//! The magic tells the two users apart ([`WAL_MAGIC`], [`MANIFEST_MAGIC`]). [`LogWriter`]
//! frames records into a memory buffer ([`LogWriter::append`] makes no system call), hands the
//! buffer to the OS in one `write` ([`LogWriter::flush`]: the records now survive a crash of the
//! process) and forces it to the device on request ([`LogWriter::sync`]: they survive a crash of
//! the machine). Grouping commits and choosing when to sync is the engine's business.
//!
//! # The frame header protects itself
//!
//! Each record's 12-byte frame header carries its own checksum, separate from the payload's.
//! A reader therefore trusts a record's length *before* it looks at the payload: a damaged length
//! fails the header check on its own and can never make a record appear to reach past the end of
//! the file, whatever bytes were damaged. The header checksum is masked because it covers data
//! that contains a CRC (the payload checksum), and a plain CRC over such data has degenerate
//! properties; the mask also keeps an all-zero header (from a zero-filled tail) from passing.
//!
//! # Torn tails and corruption
//!
//! [`read_log`] returns every intact record and separates two kinds of damage. A **torn tail**
//! is what a crash leaves behind: the last write stopped part-way, and the file ends there or
//! continues with zeros the file system allocated but that were never overwritten. Reading stops
//! at it; this is not an error, and [`truncate_torn_tail`] can cut the file back to
//! [`LogContents::valid_len`]. Anything else that fails a check is [`Error::Corruption`] naming
//! the record's offset: data in the middle of a log is never skipped silently.
//!
//! The file header follows the same rule: a file that holds a prefix of its header followed
//! by nothing but zero bytes (the first write torn) is an empty log with a torn tail at 0.
//!
//! At a record starting at offset `p`:
//!
//! 1. Fewer than 12 bytes left: the header is cut off by the end of the file — torn tail.
//! 2. The header checksum fails: if the header's last byte and everything after it are zero (a
//!    write cut short inside the header, or a zero-filled tail) — torn tail; otherwise
//!    corruption at `p`. A complete damaged header with data after it is never skipped.
//! 3. The header is intact but `len` exceeds [`MAX_RECORD_LEN`]: corruption at `p` (only a
//!    broken writer produces that).
//! 4. The header is intact but the payload reaches past the end of the file — torn tail.
//! 5. The header is intact, the whole payload is present, but the payload checksum fails: if the
//!    payload and everything after it are zero (a header that reached the disk without any of
//!    its payload) — torn tail; otherwise corruption at `p`, **even for the last record of the
//!    file**.
//!
//! Damage to any bytes of a record that is followed by another record is thus reported as
//! corruption at that record (short of a 1-in-2^32 checksum collision): the following record's
//! header is never all zero, so rules 2 and 5 see data after it, and rule 4 cannot apply to a
//! damaged header because it fails its check first.
//!
//! # Why a damaged complete last record is corruption, not a torn tail
//!
//! A crash of the process can only leave a record *shorter* than its header says (rules 1 and
//! 4): the bytes of one `write` that reached the OS are all there. A record that is all there
//! and still fails its checksum was *damaged after it was written* — and it may have been
//! acknowledged (with `fdatasync` even). Dropping it as a torn tail would silently lose an
//! acknowledged batch (for the manifest, whose edits always end in the zero high bytes of a
//! sequence number: a whole flush, whose WAL segment is already gone), so it is reported as
//! corruption like damage anywhere else.
//!
//! The zero-filled forms of rules 2 and 5 are what a crash of the *machine* can leave on a file
//! system that made the new length durable before the data: the unwritten blocks read as
//! zeros. Only the forms that no damage to a written record can produce are accepted: an
//! all-zero header end (a header's last byte is the top byte of a masked checksum) and an
//! all-zero payload (no batch or edit encodes to zeros: both start with a non-zero field). A
//! payload that is only *partly* zero-filled cannot be told from a damaged one (records, and
//! manifest edits in particular, often end in zero bytes), so it is corruption: after such a
//! crash the database refuses to open and the error names the segment and the record's offset,
//! where [`truncate_torn_tail`] can cut it — a false alarm is preferred to a silent loss.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use crate::error::{Error, IoContext, Result};
use crate::fs::{FileSystem, StdFs, WritableFile};

/// Magic number of WAL segments.
pub const WAL_MAGIC: [u8; 8] = *b"FLITEWAL";
/// Magic number of manifest files.
pub const MANIFEST_MAGIC: [u8; 8] = *b"FLITEMAN";
/// Format version written into (and required in) the header.
pub const LOG_FORMAT_VERSION: u32 = 1;
/// Size of the file header in bytes.
pub const LOG_HEADER_LEN: usize = 16;
/// Size of a record's frame header (length, payload checksum, header checksum) in bytes.
pub const RECORD_HEADER_LEN: usize = 12;
/// Largest payload one record may carry (256 MiB).
pub const MAX_RECORD_LEN: usize = 256 * 1024 * 1024;

/// After a flush the write buffer keeps at most this much capacity, so that one huge record
/// does not pin its memory for the life of the writer.
const KEEP_CAPACITY: usize = 4 * 1024 * 1024;

/// Added to the rotated CRC by [`mask_crc`] (LevelDB's constant).
const CRC_MASK_DELTA: u32 = 0xa282_ead8;

/// Mask a CRC that is stored next to, or computed over, other CRCs (LevelDB's scheme).
#[inline]
fn mask_crc(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(CRC_MASK_DELTA)
}

/// The masked checksum of a frame header's first eight bytes (length and payload checksum).
#[inline]
fn header_crc(len: u32, payload_crc: u32) -> u32 {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&len.to_le_bytes());
    b[4..].copy_from_slice(&payload_crc.to_le_bytes());
    mask_crc(crc32c::crc32c(&b))
}

/// The 12-byte frame header of a record carrying `payload`.
#[inline]
fn encode_frame(payload: &[u8]) -> [u8; RECORD_HEADER_LEN] {
    // Cannot truncate: callers check that the length is at most MAX_RECORD_LEN < 2^32.
    let len = payload.len() as u32;
    let payload_crc = crc32c::crc32c(payload);
    let mut h = [0u8; RECORD_HEADER_LEN];
    h[..4].copy_from_slice(&len.to_le_bytes());
    h[4..8].copy_from_slice(&payload_crc.to_le_bytes());
    h[8..].copy_from_slice(&header_crc(len, payload_crc).to_le_bytes());
    h
}

/// The 16-byte file header for `magic`.
fn encode_header(magic: [u8; 8]) -> [u8; LOG_HEADER_LEN] {
    let mut h = [0u8; LOG_HEADER_LEN];
    h[..8].copy_from_slice(&magic);
    h[8..12].copy_from_slice(&LOG_FORMAT_VERSION.to_le_bytes());
    let crc = crc32c::crc32c(&h[..12]);
    h[12..16].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Appends framed records to a new log file.
///
/// Records are framed into an internal buffer by [`append`](Self::append); [`flush`](Self::flush)
/// writes the buffer to the file in one call and [`sync`](Self::sync) also forces it to stable
/// storage. Dropping the writer flushes what is still buffered (best effort, errors ignored).
///
/// If a write or sync fails the writer is *failed*: the file may end in a partial record, so
/// every later call returns an error and nothing more is written (not even on drop). The caller
/// should abandon the file and continue in a new one; a reader sees the partial record as a
/// torn tail.
pub struct LogWriter {
    /// The file system the log lives on.
    fs: Arc<dyn FileSystem>,
    /// `None` after [`release`](LogWriter::release): reopened (append) by the next flush.
    file: Option<Box<dyn WritableFile>>,
    path: PathBuf,
    /// Bytes handed to the OS so far.
    written: u64,
    /// Framed records not yet written.
    buf: Vec<u8>,
    /// Set when a write or sync failed.
    failed: bool,
    /// Kill-point names of this log (WAL or manifest), for the crash test.
    points: &'static LogPoints,
}

/// The kill points of one log kind ([`crate::kill`]).
#[derive(Debug)]
struct LogPoints {
    before_write: &'static str,
    after_write: &'static str,
    before_sync: &'static str,
    after_sync: &'static str,
}

static WAL_POINTS: LogPoints = LogPoints {
    before_write: "wal.before_write",
    after_write: "wal.after_write",
    before_sync: "wal.before_sync",
    after_sync: "wal.after_sync",
};

static MANIFEST_POINTS: LogPoints = LogPoints {
    before_write: "manifest.before_write",
    after_write: "manifest.after_write",
    before_sync: "manifest.before_sync",
    after_sync: "manifest.after_sync",
};

impl LogWriter {
    /// Create the log at `path` (which must not exist) and write its header.
    ///
    /// The header is flushed to the OS but not synced; syncing the file and its directory is the
    /// caller's job (see [`crate::fsutil::sync_dir`]).
    pub fn create(path: &Path, magic: [u8; 8]) -> Result<LogWriter> {
        LogWriter::create_in(Arc::new(StdFs), path, magic)
    }

    /// [`LogWriter::create`] on the file system `fs`.
    pub fn create_in(fs: Arc<dyn FileSystem>, path: &Path, magic: [u8; 8]) -> Result<LogWriter> {
        let file = fs.create_new(path).ctx(path)?;
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(&encode_header(magic));
        let mut w = LogWriter {
            fs,
            file: Some(file),
            path: path.to_path_buf(),
            written: 0,
            buf,
            failed: false,
            points: if magic == MANIFEST_MAGIC {
                &MANIFEST_POINTS
            } else {
                &WAL_POINTS
            },
        };
        w.flush()?;
        Ok(w)
    }

    /// Frame `payload` as one record into the buffer. No system call is made.
    ///
    /// Fails with [`Error::BatchTooLarge`] if `payload` is longer than [`MAX_RECORD_LEN`], and
    /// with [`Error::Io`] if an earlier write failed.
    pub fn append(&mut self, payload: &[u8]) -> Result<()> {
        self.check_usable()?;
        if payload.len() > MAX_RECORD_LEN {
            return Err(Error::BatchTooLarge {
                len: payload.len(),
                max: MAX_RECORD_LEN,
            });
        }
        let frame = encode_frame(payload);
        self.buf.reserve(RECORD_HEADER_LEN + payload.len());
        self.buf.extend_from_slice(&frame);
        self.buf.extend_from_slice(payload);
        Ok(())
    }

    /// Write everything buffered to the file in one `write_all`. After it returns the records
    /// survive a crash of this process (not of the machine: see [`sync`](Self::sync)).
    pub fn flush(&mut self) -> Result<()> {
        self.check_usable()?;
        if self.buf.is_empty() {
            return Ok(());
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                // Released after the last write: reopen to append (the ancestor's first stage
                // opened, appended to and closed its log for every write).
                let f = self.fs.open_append(&self.path).ctx(&self.path)?;
                self.file.insert(f)
            }
        };
        crate::kill::kill_point!(self.points.before_write);
        if let Err(e) = file.write_all(&self.buf) {
            self.failed = true;
            return Err(e).ctx(&self.path);
        }
        crate::kill::kill_point!(self.points.after_write);
        self.written += self.buf.len() as u64;
        self.buf.clear();
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf.shrink_to(KEEP_CAPACITY);
        }
        Ok(())
    }

    /// [`flush`](Self::flush), then `sync_data`: the records survive a crash of the machine.
    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        crate::kill::kill_point!(self.points.before_sync);
        let synced = match &mut self.file {
            Some(f) => f.sync_data(),
            // Released right after a flush: reopen to sync what was written.
            None => self
                .fs
                .open_append(&self.path)
                .and_then(|mut f| f.sync_data()),
        };
        if let Err(e) = synced {
            // After a failed fsync the kernel may have dropped the dirty pages; nothing written
            // since the last successful sync can be trusted.
            self.failed = true;
            return Err(e).ctx(&self.path);
        }
        crate::kill::kill_point!(self.points.after_sync);
        Ok(())
    }

    /// Flush, then close the file; the next flush reopens it in append mode. One
    /// open/append/close per write is what a log without a long-lived handle costs.
    pub fn release(&mut self) -> Result<()> {
        self.flush()?;
        self.file = None;
        Ok(())
    }

    /// Length of the file in bytes, counting records still in the buffer.
    pub fn len(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    /// Whether the log holds no records (only the header), counting buffered ones.
    pub fn is_empty(&self) -> bool {
        self.len() <= LOG_HEADER_LEN as u64
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes framed but not yet flushed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Error out if an earlier write or sync failed.
    fn check_usable(&self) -> Result<()> {
        if self.failed {
            return Err(io::Error::other(
                "an earlier write or sync of this log failed; the log must be abandoned",
            ))
            .ctx(&self.path);
        }
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        if !self.failed && !self.buf.is_empty() {
            let _ = self.flush();
        }
    }
}

impl fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogWriter")
            .field("path", &self.path)
            .field("len", &self.len())
            .field("buffered", &self.buf.len())
            .field("failed", &self.failed)
            .finish()
    }
}

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

/// Read the log at `path`, whose header must carry `magic`.
///
/// Errors: [`Error::Incompatible`] for a wrong magic or an unknown version,
/// [`Error::Corruption`] for a damaged header or a damaged record that has data after it,
/// [`Error::Io`] if the file cannot be read. A torn tail is not an error (see
/// [`LogContents::torn_tail`]).
pub fn read_log(path: &Path, magic: [u8; 8]) -> Result<LogContents> {
    read_log_in(&StdFs, path, magic)
}

/// [`read_log`] on the file system `fs`.
pub fn read_log_in(fs: &dyn FileSystem, path: &Path, magic: [u8; 8]) -> Result<LogContents> {
    let data = fs.read(path).ctx(path)?;
    decode_log(path, magic, Bytes::from(data))
}

/// [`read_log`] over contents already in memory; `path` is only used in errors.
pub fn decode_log(path: &Path, magic: [u8; 8], data: Bytes) -> Result<LogContents> {
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
        return Ok(empty_torn(&format!(
            "the header is cut off after {matching} bytes (then {} zero bytes)",
            data.len() - matching
        )));
    }
    if data.len() < LOG_HEADER_LEN {
        let present = &data[..data.len().min(magic.len())];
        if present != &magic[..present.len()] && !all_zero(present) {
            return Err(bad_magic(path, present, magic));
        }
        return Ok(empty_torn(&format!(
            "file of {} bytes is shorter than the {LOG_HEADER_LEN}-byte header",
            data.len()
        )));
    }
    if data[..8] != magic {
        if all_zero(&data) {
            return Ok(empty_torn("file holds only zero bytes"));
        }
        return Err(bad_magic(path, &data[..8], magic));
    }
    let stored = read_u32(&data, 12);
    if crc32c::crc32c(&data[..12]) != stored {
        return Err(Error::corruption(path, 0, "header checksum mismatch"));
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
    while pos < data.len() {
        match read_frame(path, &data, pos)? {
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
        }
    }
    Ok(LogContents {
        records,
        valid_len: pos as u64,
        torn_tail,
    })
}

/// What [`read_frame`] found at a record's offset.
enum Frame {
    /// An intact record whose payload ends at `end`.
    Intact { end: usize },
    /// The unfinished last write, and why.
    Torn(String),
}

/// Check the record starting at `pos` (`pos < data.len()`) by the rules in the module
/// documentation; damage that is not a torn tail is returned as [`Error::Corruption`].
fn read_frame(path: &Path, data: &[u8], pos: usize) -> Result<Frame> {
    let rest = data.len() - pos;
    if rest < RECORD_HEADER_LEN {
        return Ok(Frame::Torn(format!(
            "record header cut off by the end of the file ({rest} of {RECORD_HEADER_LEN} bytes)"
        )));
    }
    let len = read_u32(data, pos);
    let payload_crc = read_u32(data, pos + 4);
    if header_crc(len, payload_crc) != read_u32(data, pos + 8) {
        // A write cut short inside the header leaves its last byte, and all that follows, zero.
        if all_zero(&data[pos + RECORD_HEADER_LEN - 1..]) {
            return Ok(Frame::Torn(format!(
                "record header checksum mismatch with only zero bytes from the end of the \
                 header to the end of the file ({rest} bytes)"
            )));
        }
        return Err(Error::corruption(
            path,
            pos as u64,
            format!(
                "record header checksum mismatch with {} bytes after the header",
                rest - RECORD_HEADER_LEN
            ),
        ));
    }
    let len = len as usize;
    if len > MAX_RECORD_LEN {
        return Err(Error::corruption(
            path,
            pos as u64,
            format!("record length {len} exceeds the maximum {MAX_RECORD_LEN}"),
        ));
    }
    let body = pos + RECORD_HEADER_LEN;
    let present = data.len() - body;
    if len > present {
        return Ok(Frame::Torn(format!(
            "record of {len} bytes cut off by the end of the file ({present} bytes present)"
        )));
    }
    let end = body + len;
    if crc32c::crc32c(&data[body..end]) != payload_crc {
        let after = data.len() - end;
        // Rule 5: only a payload that is entirely zero, with nothing but zeros after it, is
        // an unfinished write (see "Why a damaged complete last record is corruption").
        if all_zero(&data[body..]) {
            return Ok(Frame::Torn(format!(
                "payload checksum mismatch in a record of {len} bytes whose payload and the \
                 {after} bytes after it are zero (an unfinished write)"
            )));
        }
        return Err(Error::corruption(
            path,
            pos as u64,
            format!(
                "payload checksum mismatch in a complete record of {len} bytes followed by \
                 {after} more bytes (damaged after it was written)"
            ),
        ));
    }
    Ok(Frame::Intact { end })
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

fn all_zero(data: &[u8]) -> bool {
    data.iter().all(|&b| b == 0)
}

/// Cut the log at `path` back to `valid_len` bytes (normally [`LogContents::valid_len`] of a log
/// with a torn tail) and sync it.
///
/// Fails with an [`Error::Io`] of kind `InvalidInput` if the file is shorter than `valid_len`.
pub fn truncate_torn_tail(path: &Path, valid_len: u64) -> Result<()> {
    truncate_torn_tail_in(&StdFs, path, valid_len)
}

/// [`truncate_torn_tail`] on the file system `fs`.
pub fn truncate_torn_tail_in(fs: &dyn FileSystem, path: &Path, valid_len: u64) -> Result<()> {
    fs.truncate(path, valid_len).ctx(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};

    /// Write `payloads` through a [`LogWriter`]; return the file's bytes and each record's
    /// offset.
    fn build(payloads: &[Vec<u8>]) -> (Vec<u8>, Vec<u64>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut w = LogWriter::create(&path, WAL_MAGIC).unwrap();
        let mut offsets = Vec::new();
        for p in payloads {
            offsets.push(w.len());
            w.append(p).unwrap();
        }
        w.sync().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, w.len());
        (bytes, offsets)
    }

    fn decode(data: &[u8]) -> Result<LogContents> {
        decode_log(
            Path::new("test.log"),
            WAL_MAGIC,
            Bytes::copy_from_slice(data),
        )
    }

    fn payloads_of(c: &LogContents) -> Vec<Vec<u8>> {
        c.records.iter().map(|r| r.payload.to_vec()).collect()
    }

    /// Payloads with non-zero bytes, some empty.
    fn sample_payloads() -> Vec<Vec<u8>> {
        [0usize, 1, 5, 17, 0, 40, 3]
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| (i * 31 + j * 7 + 1) as u8).collect())
            .collect()
    }

    fn corruption_offset(r: Result<LogContents>) -> Option<u64> {
        match r {
            Err(Error::Corruption { offset, .. }) => Some(offset),
            _ => None,
        }
    }

    #[test]
    fn roundtrip_many_random_records() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("000001.wal");
        let mut w = LogWriter::create(&path, WAL_MAGIC).unwrap();
        assert!(w.is_empty());
        assert_eq!(w.len(), LOG_HEADER_LEN as u64);
        let mut expected = Vec::new();
        for i in 0..500 {
            let len = if i % 10 == 0 {
                0
            } else {
                rng.random_range(0..3000)
            };
            let p: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            let offset = w.len();
            w.append(&p).unwrap();
            assert_eq!(w.len(), offset + (RECORD_HEADER_LEN + len) as u64);
            if rng.random_ratio(1, 20) {
                w.flush().unwrap();
                assert_eq!(w.buffered(), 0);
            }
            expected.push((offset, p));
        }
        w.sync().unwrap();
        let c = read_log(&path, WAL_MAGIC).unwrap();
        assert!(c.torn_tail.is_none());
        assert_eq!(c.valid_len, w.len());
        assert_eq!(c.valid_len, std::fs::metadata(&path).unwrap().len());
        let got: Vec<(u64, Vec<u8>)> = c
            .records
            .iter()
            .map(|r| (r.offset, r.payload.to_vec()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn flushed_records_are_visible_without_sync_and_drop_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m");
        let mut w = LogWriter::create(&path, MANIFEST_MAGIC).unwrap();
        w.append(b"one").unwrap();
        w.append(b"").unwrap();
        assert_eq!(w.buffered(), 2 * RECORD_HEADER_LEN + 3);
        // Not flushed yet: only the header is in the file.
        let c = read_log(&path, MANIFEST_MAGIC).unwrap();
        assert!(c.records.is_empty() && c.torn_tail.is_none());
        w.flush().unwrap();
        let c = read_log(&path, MANIFEST_MAGIC).unwrap();
        assert_eq!(payloads_of(&c), vec![b"one".to_vec(), Vec::new()]);
        w.append(b"three").unwrap();
        drop(w);
        let c = read_log(&path, MANIFEST_MAGIC).unwrap();
        assert_eq!(c.records.len(), 3);
        assert_eq!(&c.records[2].payload[..], b"three");
    }

    #[test]
    fn create_refuses_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        std::fs::write(&path, b"").unwrap();
        assert!(matches!(
            LogWriter::create(&path, WAL_MAGIC),
            Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists
        ));
    }

    #[test]
    fn oversized_record_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = LogWriter::create(&dir.path().join("x"), WAL_MAGIC).unwrap();
        // calloc'd and never touched: cheap.
        let big = vec![0u8; MAX_RECORD_LEN + 1];
        assert!(matches!(
            w.append(&big),
            Err(Error::BatchTooLarge { len, max }) if len == MAX_RECORD_LEN + 1 && max == MAX_RECORD_LEN
        ));
        assert_eq!(w.buffered(), 0);
    }

    #[test]
    fn truncation_at_every_offset_is_a_torn_tail_or_clean() {
        let payloads = sample_payloads();
        let (bytes, offsets) = build(&payloads);
        let ends: Vec<u64> = offsets
            .iter()
            .zip(&payloads)
            .map(|(o, p)| o + (RECORD_HEADER_LEN + p.len()) as u64)
            .collect();
        for cut in 0..=bytes.len() {
            let c = decode(&bytes[..cut]).unwrap_or_else(|e| panic!("cut {cut}: {e}"));
            let cut = cut as u64;
            let whole = ends.iter().take_while(|&&e| e <= cut).count();
            assert_eq!(payloads_of(&c), payloads[..whole].to_vec(), "cut {cut}");
            if cut < LOG_HEADER_LEN as u64 {
                assert_eq!(c.valid_len, 0);
                assert_eq!(c.torn_tail.as_ref().unwrap().offset, 0);
                continue;
            }
            let boundary = if whole == 0 {
                LOG_HEADER_LEN as u64
            } else {
                ends[whole - 1]
            };
            assert_eq!(c.valid_len, boundary, "cut {cut}");
            if cut == boundary {
                assert!(c.torn_tail.is_none(), "cut {cut}");
            } else {
                assert_eq!(c.torn_tail.unwrap().offset, boundary, "cut {cut}");
            }
        }
    }

    #[test]
    fn damage_in_a_record_followed_by_another_is_corruption() {
        let payloads = sample_payloads();
        let (bytes, offsets) = build(&payloads);
        for i in 0..offsets.len() - 1 {
            let start = offsets[i] as usize;
            let end = offsets[i + 1] as usize;
            for at in start..end {
                for mask in [0x01u8, 0x10, 0x80, 0xff] {
                    let mut d = bytes.clone();
                    d[at] ^= mask;
                    assert_eq!(
                        corruption_offset(decode(&d)),
                        Some(offsets[i]),
                        "record {i}, byte {at}, mask {mask:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn multi_byte_damage_to_a_middle_length_is_corruption() {
        let payloads = sample_payloads();
        let (bytes, offsets) = build(&payloads);
        let masks = [0x01u8, 0x80, 0xff, 0x5a];
        let middle = &offsets[..offsets.len() - 1];
        for (i, &offset) in middle.iter().enumerate() {
            let start = offset as usize;
            // Every set of 2 to 4 of the four length bytes, each damaged with every mask (the
            // same one for all bytes of a set, and a mix).
            for set in 0u32..16 {
                let picked: Vec<usize> = (0..4).filter(|b| set & (1 << b) != 0).collect();
                if picked.len() < 2 {
                    continue;
                }
                for (m, &mask) in masks.iter().enumerate() {
                    for mixed in [false, true] {
                        let mut d = bytes.clone();
                        for (k, &b) in picked.iter().enumerate() {
                            let mask = if mixed {
                                masks[(m + k) % masks.len()]
                            } else {
                                mask
                            };
                            d[start + b] ^= mask;
                        }
                        assert_eq!(
                            corruption_offset(decode(&d)),
                            Some(offset),
                            "record {i}, bytes {picked:?}, mask {mask:#x}, mixed {mixed}"
                        );
                    }
                }
            }
            // A length that reaches far past the end of the file, or beyond the maximum.
            for len in [u32::MAX, MAX_RECORD_LEN as u32 + 1, bytes.len() as u32] {
                let mut d = bytes.clone();
                d[start..start + 4].copy_from_slice(&len.to_le_bytes());
                assert_eq!(corruption_offset(decode(&d)), Some(offset), "len {len}");
            }
        }
    }

    #[test]
    fn damage_in_the_last_record() {
        let payloads = sample_payloads();
        let (bytes, offsets) = build(&payloads);
        let last = *offsets.last().unwrap();
        assert!(payloads.last().unwrap().iter().all(|&b| b != 0));
        for at in last as usize..bytes.len() {
            for mask in [0x01u8, 0x10, 0x80, 0xff] {
                let mut d = bytes.clone();
                d[at] ^= mask;
                // A complete record that fails a check was damaged after it was written, not
                // torn: the header's or the payload's, the record is reported, never dropped.
                // (The payload's last byte is 201: no mask here makes it the zero that an
                // unfinished write would leave.)
                assert_ne!(d[d.len() - 1], 0);
                assert_eq!(
                    corruption_offset(decode(&d)),
                    Some(last),
                    "byte {at} mask {mask:#x}"
                );
            }
        }
        // The same damage with zeros appended after the record (a preallocated tail): still
        // corruption, the record itself does not end in zeros.
        for at in last as usize..bytes.len() {
            let mut d = bytes.clone();
            d[at] ^= 0x10;
            d.resize(bytes.len() + 100, 0);
            assert_eq!(corruption_offset(decode(&d)), Some(last), "byte {at}");
        }
        // A payload that is partly zero cannot be told from a damaged one: corruption. A
        // payload that is entirely zero (the header reached the disk, none of the payload did)
        // is the torn tail rule 5 describes.
        let plen = payloads.last().unwrap().len();
        for zeroed in 1..=plen {
            let mut d = bytes.clone();
            let n = d.len();
            d[n - zeroed..].fill(0);
            if zeroed < plen {
                assert_eq!(corruption_offset(decode(&d)), Some(last), "{zeroed} zeroed");
                continue;
            }
            let c = decode(&d).unwrap_or_else(|e| panic!("{zeroed} bytes zeroed: {e}"));
            assert_eq!(payloads_of(&c), payloads[..payloads.len() - 1].to_vec());
            assert_eq!(c.valid_len, last);
            assert_eq!(c.torn_tail.unwrap().offset, last);
        }
    }

    #[test]
    fn write_cut_short_and_zero_filled_is_a_torn_tail() {
        let payloads = sample_payloads();
        let (bytes, offsets) = build(&payloads);
        let last = *offsets.last().unwrap() as usize;
        // The last write reached the disk up to `written` bytes into the record; the file was
        // extended with zeros up to its full length (and perhaps further). Torn while nothing
        // of the payload is there; a partly written payload is corruption (rule 5).
        for written in 0..bytes.len() - last {
            for extra in [0usize, 1, 100] {
                let mut d = bytes[..last + written].to_vec();
                d.resize(bytes.len() + extra, 0);
                if written > RECORD_HEADER_LEN {
                    assert_eq!(
                        corruption_offset(decode(&d)),
                        Some(last as u64),
                        "written {written}"
                    );
                    continue;
                }
                let c = decode(&d).unwrap_or_else(|e| panic!("written {written}: {e}"));
                assert_eq!(payloads_of(&c), payloads[..payloads.len() - 1].to_vec());
                assert_eq!(c.valid_len, last as u64);
                assert_eq!(
                    c.torn_tail.unwrap().offset,
                    last as u64,
                    "written {written}"
                );
            }
        }
        // The same for a record with an empty payload: the header alone.
        let (bytes, offsets) = build(&[b"x".to_vec(), Vec::new()]);
        let last = offsets[1] as usize;
        for written in 0..RECORD_HEADER_LEN {
            let mut d = bytes[..last + written].to_vec();
            d.resize(bytes.len() + 5, 0);
            let c = decode(&d).unwrap_or_else(|e| panic!("written {written}: {e}"));
            assert_eq!(payloads_of(&c), vec![b"x".to_vec()]);
            assert_eq!(c.torn_tail.unwrap().offset, last as u64);
        }
    }

    #[test]
    fn frame_format_is_pinned() {
        let (bytes, offsets) = build(&[b"abc".to_vec(), Vec::new()]);
        assert_eq!(offsets, vec![16, 16 + 12 + 3]);
        // Spelled as in LevelDB's crc32c::Mask, independently of `mask_crc`.
        #[allow(clippy::manual_rotate)]
        let leveldb_mask = |c: u32| ((c >> 15) | (c << 17)).wrapping_add(0xa282_ead8);
        for (at, payload) in [(16usize, &b"abc"[..]), (31, &b""[..])] {
            let len = (payload.len() as u32).to_le_bytes();
            let pcrc = crc32c::crc32c(payload).to_le_bytes();
            let hcrc = leveldb_mask(crc32c::crc32c(&[len, pcrc].concat())).to_le_bytes();
            let expect = [&len[..], &pcrc, &hcrc, payload].concat();
            assert_eq!(&bytes[at..at + expect.len()], &expect[..]);
        }
        assert_eq!(crc32c::crc32c(b"abc"), 0x364b_3fb7);
        assert_eq!(bytes.len(), 16 + 12 + 3 + 12);
        // An all-zero header never passes its check, so zeros never read as empty records.
        assert_ne!(header_crc(0, 0), 0);
    }

    #[test]
    fn zero_filled_tail_is_torn_but_zeros_before_data_are_corruption() {
        let payloads = sample_payloads();
        let (bytes, offsets) = build(&payloads);
        for zeros in [1usize, 7, 8, 11, 12, 13, 100, 4096] {
            let mut d = bytes.clone();
            d.resize(bytes.len() + zeros, 0);
            let c = decode(&d).unwrap();
            assert_eq!(payloads_of(&c), payloads);
            assert_eq!(c.valid_len, bytes.len() as u64);
            assert_eq!(c.torn_tail.unwrap().offset, bytes.len() as u64);
        }
        // A hole (zeros) where a record should be, with a record after it.
        let mut d = bytes[..offsets[3] as usize].to_vec();
        d.resize(d.len() + 64, 0);
        d.extend_from_slice(&bytes[offsets[3] as usize..]);
        assert_eq!(corruption_offset(decode(&d)), Some(offsets[3]));
        // A zeroed record (not last) is corruption too.
        let mut d = bytes.clone();
        d[offsets[2] as usize..offsets[3] as usize].fill(0);
        assert_eq!(corruption_offset(decode(&d)), Some(offsets[2]));
    }

    #[test]
    fn header_checks() {
        let (bytes, _) = build(&sample_payloads());
        let p = Path::new("f");
        let b = Bytes::copy_from_slice(&bytes);
        assert!(matches!(
            decode_log(p, MANIFEST_MAGIC, b.clone()),
            Err(Error::Incompatible { .. })
        ));
        let mut d = bytes.clone();
        d[..8].copy_from_slice(b"SQLite f");
        assert!(matches!(decode(&d), Err(Error::Incompatible { .. })));
        // Another version with a correct header checksum.
        let mut d = bytes.clone();
        d[8..12].copy_from_slice(&2u32.to_le_bytes());
        let crc = crc32c::crc32c(&d[..12]);
        d[12..16].copy_from_slice(&crc.to_le_bytes());
        let e = decode(&d).unwrap_err();
        assert!(matches!(e, Error::Incompatible { .. }), "{e}");
        // Damaged version or checksum: corruption at 0.
        for at in 8..16 {
            let mut d = bytes.clone();
            d[at] ^= 0x04;
            assert_eq!(corruption_offset(decode(&d)), Some(0), "byte {at}");
        }
        // Shorter than the header: torn at 0, whether a header prefix or zeros.
        for n in 0..LOG_HEADER_LEN {
            for d in [bytes[..n].to_vec(), vec![0u8; n]] {
                let c = decode(&d).unwrap();
                assert!(c.records.is_empty());
                assert_eq!(c.valid_len, 0);
                assert_eq!(c.torn_tail.unwrap().offset, 0);
            }
        }
        // A header cut short and zero-filled (a torn first write), short or long: torn at 0.
        for n in 1..LOG_HEADER_LEN {
            for total in [n + 1, LOG_HEADER_LEN, 100] {
                let mut d = bytes[..n].to_vec();
                d.resize(total.max(n + 1), 0);
                if d[n] == bytes[n] {
                    continue; // the header's own byte is zero here: not cut at n
                }
                let c = decode(&d).unwrap();
                assert!(
                    c.records.is_empty() && c.valid_len == 0,
                    "n {n} total {total}"
                );
                assert_eq!(c.torn_tail.unwrap().offset, 0);
            }
        }
        // ... but a damaged header with non-zero data after it is not.
        let mut d = bytes[..LOG_HEADER_LEN + 20].to_vec();
        d[10] ^= 1;
        assert!(decode(&d).is_err());
        // A short file of something else is not ours.
        assert!(matches!(decode(b"hello"), Err(Error::Incompatible { .. })));
        // A file of zeros (size reached the disk, data did not) is an empty torn log.
        let c = decode(&[0u8; 100]).unwrap();
        assert!(c.records.is_empty() && c.torn_tail.is_some());
    }

    #[test]
    fn truncate_torn_tail_cuts_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("000007.wal");
        let mut w = LogWriter::create(&path, WAL_MAGIC).unwrap();
        w.append(b"kept").unwrap();
        w.sync().unwrap();
        drop(w);
        let good = std::fs::metadata(&path).unwrap().len();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, &[9, 0, 0, 0, 1, 2]).unwrap();
        drop(f);
        let c = read_log(&path, WAL_MAGIC).unwrap();
        assert_eq!(c.valid_len, good);
        assert!(c.torn_tail.is_some());
        truncate_torn_tail(&path, c.valid_len).unwrap();
        let c = read_log(&path, WAL_MAGIC).unwrap();
        assert!(c.torn_tail.is_none());
        assert_eq!(payloads_of(&c), vec![b"kept".to_vec()]);
        // Idempotent; refuses to grow the file.
        truncate_torn_tail(&path, good).unwrap();
        assert!(truncate_torn_tail(&path, good + 1).is_err());
        assert!(truncate_torn_tail(&dir.path().join("missing"), 0).is_err());
    }

    fn payload_sets() -> impl Strategy<Value = Vec<Vec<u8>>> {
        prop::collection::vec(
            prop_oneof![
                Just(Vec::new()),
                prop::collection::vec(any::<u8>(), 0..64),
                prop::collection::vec(any::<u8>(), 0..600),
            ],
            1..12,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn prop_cut_yields_whole_records_before_the_cut(
            payloads in payload_sets(),
            cut_frac in 0.0f64..=1.0,
        ) {
            let (bytes, offsets) = build(&payloads);
            let cut = ((bytes.len() as f64) * cut_frac) as usize;
            let c = decode(&bytes[..cut]).unwrap();
            let whole = offsets
                .iter()
                .zip(&payloads)
                .take_while(|(o, p)| *o + (RECORD_HEADER_LEN + p.len()) as u64 <= cut as u64)
                .count();
            prop_assert_eq!(payloads_of(&c), payloads[..whole].to_vec());
            // A file shorter than its header is torn at 0 (valid_len 0), even an empty one.
            prop_assert_eq!(
                c.torn_tail.is_none(),
                cut >= LOG_HEADER_LEN && c.valid_len == cut as u64
            );
            let full = decode(&bytes).unwrap();
            prop_assert!(full.torn_tail.is_none());
            prop_assert_eq!(payloads_of(&full), payloads);
        }

        #[test]
        fn prop_single_byte_damage_is_reported_at_its_record(
            payloads in payload_sets(),
            pos_frac in 0.0f64..1.0,
            mask in 1u8..=255,
        ) {
            let (bytes, offsets) = build(&payloads);
            let body = bytes.len() - LOG_HEADER_LEN;
            let at = LOG_HEADER_LEN + ((body as f64) * pos_frac) as usize;
            prop_assume!(at < bytes.len());
            let mut d = bytes.clone();
            d[at] ^= mask;
            let i = offsets.iter().rposition(|&o| o <= at as u64).unwrap();
            let start = offsets[i] as usize;
            // In the last record, damage is read as a torn tail only if it leaves the
            // zero-fill signature of an unfinished write: zeros from the header's last byte on
            // (header damage), or an all-zero payload (payload damage); see the module
            // documentation.
            let torn_signature = if at < start + RECORD_HEADER_LEN {
                all_zero(&d[start + RECORD_HEADER_LEN - 1..])
            } else {
                all_zero(&d[start + RECORD_HEADER_LEN..])
            };
            let corrupt = i + 1 < offsets.len() || !torn_signature;
            if corrupt {
                prop_assert_eq!(corruption_offset(decode(&d)), Some(offsets[i]));
            } else {
                let c = decode(&d).unwrap();
                prop_assert_eq!(c.torn_tail.as_ref().map(|t| t.offset), Some(offsets[i]));
                prop_assert_eq!(payloads_of(&c), payloads[..i].to_vec());
            }
        }

        #[test]
        fn prop_damaged_length_of_a_middle_record_is_corruption(
            payloads in payload_sets(),
            rec_frac in 0.0f64..1.0,
            masks in prop::array::uniform4(any::<u8>()),
        ) {
            prop_assume!(payloads.len() >= 2 && masks.iter().any(|&m| m != 0));
            let (bytes, offsets) = build(&payloads);
            let i = ((offsets.len() - 1) as f64 * rec_frac) as usize;
            let start = offsets[i] as usize;
            let mut d = bytes.clone();
            for (b, m) in masks.iter().enumerate() {
                d[start + b] ^= m;
            }
            prop_assert_eq!(corruption_offset(decode(&d)), Some(offsets[i]));
        }

        #[test]
        fn prop_zero_filled_cut_is_a_torn_tail_or_a_partly_zeroed_payload(
            payloads in payload_sets(),
            cut_frac in 0.0f64..=1.0,
            extra in 0usize..64,
        ) {
            // A crash leaves a prefix of the file and zeros up to (or past) its full length.
            let (bytes, offsets) = build(&payloads);
            let cut = LOG_HEADER_LEN
                + ((bytes.len() - LOG_HEADER_LEN) as f64 * cut_frac) as usize;
            let mut d = bytes[..cut].to_vec();
            d.resize(bytes.len() + extra, 0);
            let whole = offsets
                .iter()
                .zip(&payloads)
                .take_while(|(o, p)| *o + (RECORD_HEADER_LEN + p.len()) as u64 <= cut as u64)
                .count();
            let c = match decode(&d) {
                Ok(c) => c,
                // Rule 5: a record cut inside its payload whose zero-filled rest differs from
                // what was written is corruption at that record.
                Err(Error::Corruption { offset, .. }) => {
                    prop_assert_eq!(Some(&offset), offsets.get(whole));
                    prop_assert!(cut as u64 > offset + RECORD_HEADER_LEN as u64);
                    return Ok(());
                }
                Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
            };
            // A record whose zeroed part was all zeros anyway still reads back intact.
            prop_assert!(c.records.len() >= whole);
            prop_assert_eq!(payloads_of(&c), payloads[..c.records.len()].to_vec());
            prop_assert_eq!(c.torn_tail.is_none(), c.valid_len == d.len() as u64);
        }
    }
}
