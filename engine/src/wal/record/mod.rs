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
//! at it; this is not an error (the next segment starts a fresh file; recovery writes what it
//! replayed to a table and deletes the segment). Anything else that fails a check is [`Error::Corruption`] naming
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
//! and the user may reopen with `WalRecovery::TolerateCorruptedTail`, which drops such a record
//! (`open/replay.rs`) — a false alarm is preferred to a silent loss.

mod format;
mod reader;
#[cfg(test)]
mod tests;
mod writer;

#[cfg(test)]
use format::header_crc;
pub(crate) use format::{encode_frame, encode_header};
pub use format::{LOG_HEADER_LEN, MANIFEST_MAGIC, MAX_RECORD_LEN, RECORD_HEADER_LEN, WAL_MAGIC};
pub(crate) use reader::read_log;
#[cfg(test)]
use reader::LogContents;
pub(crate) use reader::{decode_log, salvage_log, Damage};
pub use writer::LogWriter;
