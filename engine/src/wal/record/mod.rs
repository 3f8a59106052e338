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

mod reader;
#[cfg(test)]
mod tests;
mod writer;

pub(crate) use reader::read_log;
#[cfg(test)]
use reader::LogContents;
pub(crate) use reader::{decode_log, salvage_log, Damage};
pub use writer::LogWriter;

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
pub(crate) fn encode_frame(payload: &[u8]) -> [u8; RECORD_HEADER_LEN] {
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
pub(crate) fn encode_header(magic: [u8; 8]) -> [u8; LOG_HEADER_LEN] {
    let mut h = [0u8; LOG_HEADER_LEN];
    h[..8].copy_from_slice(&magic);
    h[8..12].copy_from_slice(&LOG_FORMAT_VERSION.to_le_bytes());
    let crc = crc32c::crc32c(&h[..12]);
    h[12..16].copy_from_slice(&crc.to_le_bytes());
    h
}
