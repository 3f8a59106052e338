//! [`VersionEdit`]: a change to the set of tables, and its encoding as a manifest record.
//!
//! An edit lists tables added (with their level and metadata) and removed, and may carry the
//! oldest WAL segment still needed, the next file number and the last sequence number in any
//! table. Encoding: a sequence of tagged fields, little-endian; a tag this build does not
//! know, in a record whose checksum passed, was written by a newer version and is
//! [`Error::Incompatible`].

use crate::types::{InternalKey, SeqNo};
use crate::{Error, Result};
use bytes::Bytes;
use std::path::Path;

/// What the manifest knows about one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMeta {
    /// File number (`nnnnnn.sst`).
    pub id: u64,
    /// File size in bytes.
    pub size: u64,
    /// Entries (versions, tombstones included).
    pub entries: u64,
    /// Smallest internal key.
    pub smallest: InternalKey,
    /// Largest internal key.
    pub largest: InternalKey,
    /// Smallest sequence number inside.
    pub min_seq: SeqNo,
    /// Largest sequence number inside.
    pub max_seq: SeqNo,
}

impl FileMeta {
    /// True if the table's user-key range meets `[lo, hi]`.
    pub fn overlaps(&self, lo: &[u8], hi: &[u8]) -> bool {
        &self.smallest.user_key[..] <= hi && &self.largest.user_key[..] >= lo
    }

    /// True if `user_key` is within the table's user-key range.
    pub fn covers(&self, user_key: &[u8]) -> bool {
        self.overlaps(user_key, user_key)
    }
}

/// A change to the set of tables, as recorded in the manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionEdit {
    /// Tables added, with their level.
    pub added: Vec<(usize, FileMeta)>,
    /// Tables removed: (level, id).
    pub deleted: Vec<(usize, u64)>,
    /// WAL segments numbered below this are no longer needed.
    pub log_number: Option<u64>,
    /// The next unused file number.
    pub next_file: Option<u64>,
    /// The largest sequence number in any table.
    pub last_seq: Option<SeqNo>,
}

const TAG_ADD: u8 = 1;
const TAG_DELETE: u8 = 2;
const TAG_LOG: u8 = 3;
const TAG_NEXT_FILE: u8 = 4;
const TAG_LAST_SEQ: u8 = 5;

impl VersionEdit {
    /// Encode as a manifest record.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let key = |out: &mut Vec<u8>, k: &InternalKey| {
            out.extend_from_slice(&(k.encoded_len() as u32).to_le_bytes());
            k.encode_into(out);
        };
        for (level, m) in &self.added {
            out.push(TAG_ADD);
            out.push(*level as u8);
            for v in [m.id, m.size, m.entries, m.min_seq, m.max_seq] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            key(&mut out, &m.smallest);
            key(&mut out, &m.largest);
        }
        for (level, id) in &self.deleted {
            out.push(TAG_DELETE);
            out.push(*level as u8);
            out.extend_from_slice(&id.to_le_bytes());
        }
        for (tag, v) in [
            (TAG_LOG, self.log_number),
            (TAG_NEXT_FILE, self.next_file),
            (TAG_LAST_SEQ, self.last_seq),
        ] {
            if let Some(v) = v {
                out.push(tag);
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// Decode a manifest record; `path`/`offset` name it in errors.
    pub fn decode(data: &[u8], path: &Path, offset: u64) -> Result<VersionEdit> {
        let bad = |why: &str| Error::corruption(path, offset, format!("version edit: {why}"));
        let mut r = Reader { data, pos: 0 };
        let mut edit = VersionEdit::default();
        while r.pos < data.len() {
            let tag = r.u8().ok_or_else(|| bad("truncated tag"))?;
            match tag {
                TAG_ADD => {
                    let level = r.u8().ok_or_else(|| bad("truncated"))? as usize;
                    let mut v = [0u64; 5];
                    for x in &mut v {
                        *x = r.u64().ok_or_else(|| bad("truncated"))?;
                    }
                    let smallest = r.key().ok_or_else(|| bad("bad smallest key"))?;
                    let largest = r.key().ok_or_else(|| bad("bad largest key"))?;
                    edit.added.push((
                        level,
                        FileMeta {
                            id: v[0],
                            size: v[1],
                            entries: v[2],
                            min_seq: v[3],
                            max_seq: v[4],
                            smallest,
                            largest,
                        },
                    ));
                }
                TAG_DELETE => {
                    let level = r.u8().ok_or_else(|| bad("truncated"))? as usize;
                    let id = r.u64().ok_or_else(|| bad("truncated"))?;
                    edit.deleted.push((level, id));
                }
                TAG_LOG | TAG_NEXT_FILE | TAG_LAST_SEQ => {
                    let v = r.u64().ok_or_else(|| bad("truncated"))?;
                    match tag {
                        TAG_LOG => edit.log_number = Some(v),
                        TAG_NEXT_FILE => edit.next_file = Some(v),
                        _ => edit.last_seq = Some(v),
                    }
                }
                // The record's checksum passed: a tag this build does not know was written
                // by a newer version (a new kind of edit), not damaged.
                other => {
                    return Err(Error::Incompatible {
                        path: path.to_path_buf(),
                        reason: format!(
                            "manifest record at offset {offset} holds edit tag {other}, written \
                             by a newer version; this build knows tags {TAG_ADD}..={TAG_LAST_SEQ}"
                        ),
                    })
                }
            }
        }
        Ok(edit)
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let out = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn key(&mut self) -> Option<InternalKey> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        let raw = self.take(len)?;
        let (user, seq, kind) = InternalKey::decode(raw)?;
        Some(InternalKey::new(Bytes::copy_from_slice(user), seq, kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ValueKind;

    fn meta(id: u64) -> FileMeta {
        FileMeta {
            id,
            size: 100 + id,
            entries: 7,
            smallest: InternalKey::new(&b"a"[..], 3, ValueKind::Put),
            largest: InternalKey::new(&b"zz"[..], 1, ValueKind::Delete),
            min_seq: 1,
            max_seq: 3,
        }
    }

    #[test]
    fn edit_roundtrip_and_truncation_is_an_error() {
        let edit = VersionEdit {
            added: vec![(0, meta(5)), (3, meta(9))],
            deleted: vec![(1, 2), (2, 4)],
            log_number: Some(11),
            next_file: Some(12),
            last_seq: Some(99),
        };
        let bytes = edit.encode();
        assert_eq!(
            VersionEdit::decode(&bytes, Path::new("m"), 0).unwrap(),
            edit
        );
        for cut in 1..bytes.len() {
            if let Ok(e) = VersionEdit::decode(&bytes[..cut], Path::new("m"), 0) {
                assert_ne!(e, edit, "cut at {cut} decoded to the full edit");
            }
        }
    }
}
