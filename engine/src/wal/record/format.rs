//! The bytes of the format: magic numbers, the file header, the frame header and its masked
//! checksum (see the module above for the layout and the reading rules).

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
pub(super) fn mask_crc(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(CRC_MASK_DELTA)
}

/// The masked checksum of a frame header's first eight bytes (length and payload checksum).
#[inline]
pub(super) fn header_crc(len: u32, payload_crc: u32) -> u32 {
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
