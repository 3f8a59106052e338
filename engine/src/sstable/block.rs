//! Blocks: the unit a table is read, checksummed and cached in.
//!
//! A block is a run of entries `[key_len varint32][val_len varint32][key][value]` followed by
//! an array of u32 LE entry offsets and a u32 LE entry count. The offset array lets a reader
//! binary-search the block in place, and entries are handed out as zero-copy slices of the
//! block's `Bytes`. Data blocks and the index block share this layout (in data blocks the key
//! is an encoded internal key; in the index it is the last such key of a data block and the
//! value a block handle).
//!
//! On disk every block is followed by a trailer (encoding type, crc32c); see
//! [`block_checksum`]. The encoding is [`BLOCK_BINARY`] (the layout above, as is) or
//! [`BLOCK_JSON`]: the stage ladder's S0–S3 tables, whose data and index blocks are written as
//! `serde_json` text (an array of `{"key", "seq", "kind", "value"}` objects, bytes as arrays of
//! numbers, as the ancestor serialised them) and turned back into the binary layout when read
//! ([`json_to_block`]) — every read of an uncached JSON block pays for parsing it. A block read from disk goes through [`Block::parse`], which checks the
//! structure (offsets contiguous and in range, keys at least a trailer long) once, so that
//! cached blocks can be used with only bounds-checked accesses after that.

use crate::types::{split_trailer, trailer, InternalKey, ValueKind};
use bytes::Bytes;
use std::cmp::Ordering;
use std::ops::Range;

/// Bytes after every block on disk: encoding type u8 and crc32c u32 LE.
pub(crate) const BLOCK_TRAILER_LEN: usize = 5;
/// Block encoding type: the binary layout, uncompressed.
pub(crate) const BLOCK_BINARY: u8 = 0;
/// Block encoding type: `serde_json` text (see the module documentation).
pub(crate) const BLOCK_JSON: u8 = 1;

/// One entry of a JSON block.
#[derive(serde::Serialize, serde::Deserialize)]
struct JsonEntry {
    key: Vec<u8>,
    seq: u64,
    kind: String,
    value: Vec<u8>,
}

/// The JSON encoding of a binary block (one this crate built); `None` if it is malformed.
pub(crate) fn block_to_json(contents: &[u8]) -> Option<Vec<u8>> {
    let block = Block::parse(Bytes::copy_from_slice(contents)).ok()?;
    let data = block.bytes();
    let mut entries = Vec::with_capacity(block.len());
    for i in 0..block.len() {
        let (key, value) = block.ranges(i)?;
        let (user, trailer) = split_key(data.get(key)?)?;
        let (seq, kind) = split_trailer(trailer)?;
        entries.push(JsonEntry {
            key: user.to_vec(),
            seq,
            kind: match kind {
                ValueKind::Put => "put".into(),
                ValueKind::Delete => "delete".into(),
            },
            value: data.get(value)?.to_vec(),
        });
    }
    serde_json::to_vec(&entries).ok()
}

/// Parse a JSON block back into the binary layout; the error says what is wrong.
pub(crate) fn json_to_block(json: &[u8]) -> Result<Bytes, String> {
    let entries: Vec<JsonEntry> =
        serde_json::from_slice(json).map_err(|e| format!("bad JSON block: {e}"))?;
    let mut builder = BlockBuilder::default();
    let mut key = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        let kind = match e.kind.as_str() {
            "put" => ValueKind::Put,
            "delete" => ValueKind::Delete,
            other => return Err(format!("JSON block entry {i}: bad kind `{other}`")),
        };
        if e.seq > crate::types::MAX_SEQ {
            return Err(format!(
                "JSON block entry {i}: sequence number {} too large",
                e.seq
            ));
        }
        key.clear();
        key.extend_from_slice(&e.key);
        key.extend_from_slice(&trailer(e.seq, kind).to_le_bytes());
        if !builder.add(&key, &e.value) {
            return Err(format!("JSON block entry {i}: block exceeds 4 GiB"));
        }
    }
    let bytes = builder
        .finish()
        .ok_or_else(|| "JSON block exceeds 4 GiB".to_string())?;
    Ok(Bytes::copy_from_slice(bytes))
}

/// The checksum stored in a block trailer: crc32c of the block bytes then the type byte.
pub(crate) fn block_checksum(contents: &[u8], compression: u8) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(contents), &[compression])
}

/// Append `v` as a LEB128 varint.
pub(crate) fn put_varint32(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Read a LEB128 varint at `*pos`, advancing it; `None` if truncated or over 32 bits.
pub(crate) fn get_varint32(buf: &[u8], pos: &mut usize) -> Option<u32> {
    let mut result = 0u32;
    for shift in [0u32, 7, 14, 21, 28] {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        if shift == 28 && byte > 0x0f {
            return None;
        }
        result |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(result);
        }
    }
    None
}

/// Split an encoded internal key into user key and trailer (`None` if shorter than 8 bytes).
pub(crate) fn split_key(encoded: &[u8]) -> Option<(&[u8], u64)> {
    let split = encoded.len().checked_sub(8)?;
    let (user, trailer) = encoded.split_at(split);
    Some((user, u64::from_le_bytes(trailer.try_into().ok()?)))
}

/// Internal order on (user key, trailer) pairs: user key ascending, trailer descending.
pub(crate) fn cmp_parts(a: (&[u8], u64), b: (&[u8], u64)) -> Ordering {
    a.0.cmp(b.0).then_with(|| b.1.cmp(&a.1))
}

/// Decode an encoded internal key whose bytes are `block[range]` into an [`InternalKey`]
/// sharing the block's memory; `None` if malformed.
pub(crate) fn decode_key(block: &Bytes, range: Range<usize>) -> Option<InternalKey> {
    let (user, seq, kind) = InternalKey::decode(block.get(range.clone())?)?;
    let user_end = range.start + user.len();
    Some(InternalKey {
        user_key: block.slice(range.start..user_end),
        seq,
        kind,
    })
}

/// Accumulates the entries of one block.
#[derive(Debug, Default)]
pub(crate) struct BlockBuilder {
    buf: Vec<u8>,
    offsets: Vec<u32>,
}

impl BlockBuilder {
    /// Append an entry; `false` (and nothing appended) if the block would pass 4 GiB.
    pub(crate) fn add(&mut self, key: &[u8], value: &[u8]) -> bool {
        let (Ok(offset), Ok(key_len), Ok(val_len)) = (
            u32::try_from(self.buf.len()),
            u32::try_from(key.len()),
            u32::try_from(value.len()),
        ) else {
            return false;
        };
        self.offsets.push(offset);
        put_varint32(&mut self.buf, key_len);
        put_varint32(&mut self.buf, val_len);
        self.buf.extend_from_slice(key);
        self.buf.extend_from_slice(value);
        true
    }

    /// Whether no entry was added since the last reset.
    pub(crate) fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Size of the block [`Self::finish`] would produce.
    pub(crate) fn size_estimate(&self) -> usize {
        self.buf.len() + 4 * self.offsets.len() + 4
    }

    /// Append the offset array and count and return the block's bytes; `None` if the block
    /// is larger than a handle can describe (4 GiB). Call [`Self::reset`] before reusing.
    pub(crate) fn finish(&mut self) -> Option<&[u8]> {
        let count = u32::try_from(self.offsets.len()).ok()?;
        for offset in &self.offsets {
            self.buf.extend_from_slice(&offset.to_le_bytes());
        }
        self.buf.extend_from_slice(&count.to_le_bytes());
        u32::try_from(self.buf.len()).ok()?;
        Some(&self.buf)
    }

    /// Forget all entries, keeping the allocations.
    pub(crate) fn reset(&mut self) {
        self.buf.clear();
        self.offsets.clear();
    }
}

/// A block in memory: its bytes and where the offset array starts.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    data: Bytes,
    /// Start of the offset array (= end of the entries).
    entries_end: usize,
    count: usize,
}

impl Block {
    /// Locate the offset array; the error says what is wrong.
    fn layout(data: Bytes) -> Result<Block, String> {
        let count_pos = data
            .len()
            .checked_sub(4)
            .ok_or("block shorter than its entry count")?;
        let count =
            read_u32(&data, count_pos).ok_or("block shorter than its entry count")? as usize;
        if count == 0 {
            return Err("empty block".into());
        }
        let entries_end = count
            .checked_mul(4)
            .and_then(|array| count_pos.checked_sub(array))
            .ok_or_else(|| {
                format!(
                    "entry count {count} does not fit a block of {} bytes",
                    data.len()
                )
            })?;
        Ok(Block {
            data,
            entries_end,
            count,
        })
    }

    /// Parse and check a block read from disk: the entries must be contiguous from offset 0
    /// to the offset array, and every key at least a trailer (8 bytes) long.
    pub(crate) fn parse(data: Bytes) -> Result<Block, String> {
        let block = Block::layout(data)?;
        let mut expected = 0usize;
        for i in 0..block.count {
            let offset = block.offset(i).ok_or("offset array out of range")?;
            if offset != expected {
                return Err(format!("entry {i} starts at {offset}, expected {expected}"));
            }
            let (key, value) = block
                .ranges(i)
                .ok_or_else(|| format!("entry {i} at {offset} overruns the block"))?;
            if key.len() < 8 {
                return Err(format!("entry {i} at {offset}: key shorter than a trailer"));
            }
            expected = value.end;
        }
        if expected != block.entries_end {
            return Err(format!(
                "{} unused bytes after the last entry",
                block.entries_end - expected
            ));
        }
        Ok(block)
    }

    /// A block from the cache (parsed before it was cached): only the layout is located.
    pub(crate) fn trusted(data: Bytes) -> Option<Block> {
        Block::layout(data).ok()
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// The block's bytes.
    pub(crate) fn bytes(&self) -> &Bytes {
        &self.data
    }

    /// Byte offset of entry `i`.
    fn offset(&self, i: usize) -> Option<usize> {
        let pos = i.checked_mul(4)?.checked_add(self.entries_end)?;
        Some(read_u32(&self.data, pos)? as usize)
    }

    /// Byte ranges of entry `i`'s key and value.
    pub(crate) fn ranges(&self, i: usize) -> Option<(Range<usize>, Range<usize>)> {
        if i >= self.count {
            return None;
        }
        let mut pos = self.offset(i)?;
        let key_len = get_varint32(&self.data, &mut pos)? as usize;
        let val_len = get_varint32(&self.data, &mut pos)? as usize;
        let key_end = pos.checked_add(key_len)?;
        let val_end = key_end.checked_add(val_len)?;
        if val_end > self.entries_end {
            return None;
        }
        Some((pos..key_end, key_end..val_end))
    }

    /// Entry `i`'s encoded key.
    pub(crate) fn key(&self, i: usize) -> Option<&[u8]> {
        let (key, _) = self.ranges(i)?;
        self.data.get(key)
    }

    /// Entry `i` decoded, sharing the block's memory; `None` if malformed.
    pub(crate) fn entry(&self, i: usize) -> Option<(InternalKey, Bytes)> {
        let (key, value) = self.ranges(i)?;
        Some((decode_key(&self.data, key)?, self.data.slice(value)))
    }

    /// Index of the first entry whose key is at or after `(user_key, trailer)` in internal
    /// order (`len()` if none); `None` if a probed entry is malformed.
    pub(crate) fn seek(&self, user_key: &[u8], trailer: u64) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let probe = split_key(self.key(mid)?)?;
            if cmp_parts(probe, (user_key, trailer)) == Ordering::Less {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Some(lo)
    }
}

/// A u32 LE at `pos`, if in range.
fn read_u32(buf: &[u8], pos: usize) -> Option<u32> {
    let bytes = buf.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(user: &str, seq: u64) -> Vec<u8> {
        let mut out = Vec::new();
        InternalKey::new(user.as_bytes().to_vec(), seq, ValueKind::Put).encode_into(&mut out);
        out
    }

    #[test]
    fn varint_roundtrip_and_rejects_garbage() {
        for v in [0u32, 1, 127, 128, 300, 16_383, 16_384, u32::MAX] {
            let mut buf = Vec::new();
            put_varint32(&mut buf, v);
            let mut pos = 0;
            assert_eq!(get_varint32(&buf, &mut pos), Some(v));
            assert_eq!(pos, buf.len());
            let mut pos = 0;
            assert_eq!(get_varint32(&buf[..buf.len() - 1], &mut pos), None);
        }
        let mut pos = 0;
        assert_eq!(
            get_varint32(&[0xff, 0xff, 0xff, 0xff, 0x1f], &mut pos),
            None
        );
    }

    #[test]
    fn build_parse_seek() {
        let mut builder = BlockBuilder::default();
        let keys: Vec<Vec<u8>> = (0..50).map(|i| key(&format!("k{i:03}"), 7)).collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(builder.add(k, format!("v{i}").as_bytes()));
        }
        let size = builder.size_estimate();
        let bytes = Bytes::copy_from_slice(builder.finish().unwrap());
        assert_eq!(bytes.len(), size);
        let block = Block::parse(bytes).unwrap();
        assert_eq!(block.len(), 50);
        for (i, k) in keys.iter().enumerate() {
            let (user, trailer) = split_key(k).unwrap();
            assert_eq!(block.seek(user, trailer), Some(i));
            let (ik, v) = block.entry(i).unwrap();
            assert_eq!(&ik.user_key[..], user);
            assert_eq!(v, format!("v{i}").as_bytes());
            // A newer snapshot of the same user key seeks to the same entry.
            assert_eq!(
                block.seek(user, crate::types::trailer(100, ValueKind::Put)),
                Some(i)
            );
        }
        assert_eq!(block.seek(b"zzz", 0), Some(50));
        assert_eq!(block.seek(b"", u64::MAX), Some(0));
    }

    #[test]
    fn json_blocks_roundtrip_and_bad_json_is_an_error() {
        let mut b = BlockBuilder::default();
        let keys = [key("a", 9), key("a", 3), key("b\u{0}\u{ff}", 1)];
        for (i, k) in keys.iter().enumerate() {
            assert!(b.add(k, format!("v{i}").as_bytes()));
        }
        let binary = b.finish().unwrap().to_vec();
        let json = block_to_json(&binary).unwrap();
        assert!(std::str::from_utf8(&json)
            .unwrap()
            .contains(r#""kind":"put""#));
        assert_eq!(json_to_block(&json).unwrap(), binary);
        for bad in [
            &b"not json"[..],
            br#"[{"key":[97],"seq":1,"kind":"maybe","value":[]}]"#,
            br#"[{"key":[97],"seq":72057594037927936,"kind":"put","value":[]}]"#,
            br#"[{"key":[97],"seq":1}]"#,
        ] {
            assert!(
                json_to_block(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn parse_rejects_malformed_blocks() {
        assert!(Block::parse(Bytes::new()).is_err());
        assert!(Block::parse(Bytes::from_static(&[0, 0, 0, 0])).is_err());
        assert!(Block::parse(Bytes::from_static(&[9, 0, 0, 0])).is_err());
        let mut builder = BlockBuilder::default();
        builder.add(&key("a", 1), b"x");
        builder.add(&key("b", 1), b"y");
        let good = builder.finish().unwrap().to_vec();
        assert!(Block::parse(Bytes::from(good.clone())).is_ok());
        // Damage each byte in turn: parse may succeed (values, key bytes) but never panics.
        for i in 0..good.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[i] ^= flip;
                if let Ok(block) = Block::parse(Bytes::from(bad)) {
                    for j in 0..block.len() + 1 {
                        let _ = block.entry(j);
                        let _ = block.seek(b"a", 0);
                    }
                }
            }
        }
        // A short key (no room for a trailer) is refused.
        let mut builder = BlockBuilder::default();
        builder.add(b"short", b"");
        assert!(Block::parse(Bytes::copy_from_slice(builder.finish().unwrap())).is_err());
    }
}
