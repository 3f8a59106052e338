//! The table footer: the fixed-size record at the end of every table.
//!
//! A reader starts from the footer: it names the filter and index blocks and carries the
//! table's summary (entry count, sequence-number range). Layout, 64 bytes, integers LE:
//!
//! ```text
//!  0  filter handle: offset u64, size u32   (0, 0 = no filter)
//! 12  index handle:  offset u64, size u32
//! 24  entry count u64
//! 32  min seq u64
//! 40  max seq u64
//! 48  format version u32 (1)
//! 52  crc32c of bytes 0..52
//! 56  magic "FLITESST"
//! ```
//!
//! Decoding checks the magic first (a mismatch means "not a Ferrolite table":
//! [`crate::Error::Incompatible`]), then the checksum (damage: [`crate::Error::Corruption`]),
//! then the version (a valid footer of another version: `Incompatible`).

use crate::error::{Error, Result};
use crate::types::SeqNo;
use std::path::Path;

/// Size of the footer in bytes.
pub(crate) const FOOTER_LEN: usize = 64;
/// The last 8 bytes of every table.
pub(crate) const MAGIC: [u8; 8] = *b"FLITESST";
/// The format version this code writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// Where a block lives: its offset and its size without the trailer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BlockHandle {
    /// Offset of the block's first byte.
    pub(crate) offset: u64,
    /// Size of the block's contents (the trailer follows).
    pub(crate) size: u32,
}

/// Encoded size of a [`BlockHandle`].
pub(crate) const HANDLE_LEN: usize = 12;

impl BlockHandle {
    /// Append the 12-byte encoding.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
    }

    /// Decode exactly [`HANDLE_LEN`] bytes.
    pub(crate) fn decode(buf: &[u8]) -> Option<BlockHandle> {
        if buf.len() != HANDLE_LEN {
            return None;
        }
        let (offset, size) = buf.split_at(8);
        Some(BlockHandle {
            offset: u64::from_le_bytes(offset.try_into().ok()?),
            size: u32::from_le_bytes(size.try_into().ok()?),
        })
    }

    /// Offset just past the block's trailer (`None` on overflow).
    pub(crate) fn end(&self) -> Option<u64> {
        self.offset
            .checked_add(u64::from(self.size))?
            .checked_add(super::block::BLOCK_TRAILER_LEN as u64)
    }
}

/// The decoded footer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Footer {
    pub(crate) filter: Option<BlockHandle>,
    pub(crate) index: BlockHandle,
    pub(crate) entries: u64,
    pub(crate) min_seq: SeqNo,
    pub(crate) max_seq: SeqNo,
}

fn u64_at(buf: &[u8; FOOTER_LEN], pos: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&buf[pos..pos + 8]);
    u64::from_le_bytes(word)
}

fn u32_at(buf: &[u8; FOOTER_LEN], pos: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&buf[pos..pos + 4]);
    u32::from_le_bytes(word)
}

impl Footer {
    /// The 64 bytes to write at the end of the table.
    pub(crate) fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut out = Vec::with_capacity(FOOTER_LEN);
        self.filter.unwrap_or_default().encode_into(&mut out);
        self.index.encode_into(&mut out);
        out.extend_from_slice(&self.entries.to_le_bytes());
        out.extend_from_slice(&self.min_seq.to_le_bytes());
        out.extend_from_slice(&self.max_seq.to_le_bytes());
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&MAGIC);
        let mut buf = [0u8; FOOTER_LEN];
        buf.copy_from_slice(&out);
        buf
    }

    /// Decode the footer of `path`, which sits at `offset`.
    pub(crate) fn decode(buf: &[u8; FOOTER_LEN], path: &Path, offset: u64) -> Result<Footer> {
        if buf[56..] != MAGIC {
            return Err(Error::Incompatible {
                path: path.to_path_buf(),
                reason: format!(
                    "not a Ferrolite table: magic {:02x?} at offset {}",
                    &buf[56..],
                    offset + 56
                ),
            });
        }
        let stored = u32_at(buf, 52);
        let computed = crc32c::crc32c(&buf[..52]);
        if stored != computed {
            return Err(Error::corruption(
                path,
                offset,
                format!(
                    "footer checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
                ),
            ));
        }
        let version = u32_at(buf, 48);
        if version != FORMAT_VERSION {
            return Err(Error::Incompatible {
                path: path.to_path_buf(),
                reason: format!(
                    "table format version {version}, this build reads version {FORMAT_VERSION}"
                ),
            });
        }
        let handle = |pos: usize| BlockHandle {
            offset: u64_at(buf, pos),
            size: u32_at(buf, pos + 8),
        };
        let filter = handle(0);
        Ok(Footer {
            filter: (filter != BlockHandle::default()).then_some(filter),
            index: handle(12),
            entries: u64_at(buf, 24),
            min_seq: u64_at(buf, 32),
            max_seq: u64_at(buf, 40),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footer() -> Footer {
        Footer {
            filter: Some(BlockHandle {
                offset: 1000,
                size: 77,
            }),
            index: BlockHandle {
                offset: 1082,
                size: 300,
            },
            entries: 12345,
            min_seq: 3,
            max_seq: 99,
        }
    }

    #[test]
    fn roundtrip() {
        let path = Path::new("t.sst");
        let f = footer();
        assert_eq!(Footer::decode(&f.encode(), path, 0).unwrap(), f);
        let no_filter = Footer {
            filter: None,
            ..footer()
        };
        assert_eq!(
            Footer::decode(&no_filter.encode(), path, 0).unwrap(),
            no_filter
        );
    }

    #[test]
    fn damage_is_typed() {
        let path = Path::new("t.sst");
        let good = footer().encode();
        for i in 0..FOOTER_LEN {
            let mut bad = good;
            bad[i] ^= 0x10;
            match Footer::decode(&bad, path, 500) {
                Err(Error::Incompatible { .. }) => assert!(i >= 56, "byte {i}"),
                Err(Error::Corruption { offset, .. }) => {
                    assert!(i < 56, "byte {i}");
                    assert_eq!(offset, 500);
                }
                other => panic!("byte {i}: {other:?}"),
            }
        }
        // A well-formed footer of another version is incompatible, not corrupt.
        let mut other = good;
        other[48..52].copy_from_slice(&2u32.to_le_bytes());
        let crc = crc32c::crc32c(&other[..52]);
        other[52..56].copy_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            Footer::decode(&other, path, 0),
            Err(Error::Incompatible { .. })
        ));
    }
}
