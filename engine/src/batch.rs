//! Write batches: the unit of atomicity, and their WAL encoding.
//!
//! A [`WriteBatch`] collects puts and deletes; [`crate::Db::write`] applies all of them or none.
//! The batch receives consecutive sequence numbers `first_seq..first_seq + len`, so a
//! snapshot either sees the whole batch or none of it. One batch is one WAL record, whose
//! first byte names its encoding ([`RecordFormat`]; a log may mix them, so a database written
//! with one format opens with the other):
//!
//! ```text
//! binary (0): first_seq: u64 LE | count: u32 LE | count × ( kind: u8 | key_len: u32 LE | key
//!                                                 | [value_len: u32 LE | value]  (puts only) )
//! JSON (1):   {"seq":17,"ops":[{"op":"put","key":[107],"value":[118]},{"op":"delete","key":[…]}]}
//! ```
//!
//! JSON is the ancestor's first encoding (the stage ladder's S0–S3): readable, and several
//! times larger and slower than the binary one — which is what the ladder measures.
//!
//! # Format versions
//!
//! The tag byte is also the WAL's record-level version number: a later version that changes
//! the encoding of a batch writes a new tag (2, 3, …). A record reaches [`WriteBatch::decode`]
//! only after its checksum passed, so a tag this build does not know was *written* that way,
//! by a newer version, not damaged: it is [`Error::Incompatible`] (naming the segment and the
//! record's offset), while a malformed record under a known tag is [`Error::Corruption`]. (A
//! change to the framing itself bumps the log header's version instead, see
//! [`crate::wal::record`].)

use crate::key::{validate_key, validate_value, IntoBytes};
use crate::types::{SeqNo, ValueKind};
use crate::{Error, Result};
use bytes::Bytes;
use std::path::Path;

/// How WAL records are encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecordFormat {
    /// Length-prefixed binary (the default).
    #[default]
    Binary,
    /// `serde_json` text.
    Json,
}

const TAG_BINARY: u8 = 0;
const TAG_JSON: u8 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
struct JsonBatch {
    seq: SeqNo,
    ops: Vec<JsonOp>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct JsonOp {
    op: String,
    key: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<Vec<u8>>,
}

/// One operation of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchOp {
    /// Put or delete.
    pub kind: ValueKind,
    /// The user key.
    pub key: Bytes,
    /// The value (empty for deletes).
    pub value: Bytes,
}

/// An ordered list of puts and deletes applied atomically by [`crate::Db::write`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteBatch {
    pub(crate) ops: Vec<BatchOp>,
    pub(crate) bytes: usize,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a put. Keys and values may be borrowed (copied) or owned (moved in), see
    /// [`IntoBytes`]; they are checked when the batch is written.
    pub fn put(&mut self, key: impl IntoBytes, value: impl IntoBytes) -> &mut Self {
        let (key, value) = (key.into_owned_bytes(), value.into_owned_bytes());
        self.bytes += key.len() + value.len();
        self.ops.push(BatchOp {
            kind: ValueKind::Put,
            key,
            value,
        });
        self
    }

    /// Add a delete.
    pub fn delete(&mut self, key: impl IntoBytes) -> &mut Self {
        let key = key.into_owned_bytes();
        self.bytes += key.len();
        self.ops.push(BatchOp {
            kind: ValueKind::Delete,
            key,
            value: Bytes::new(),
        });
        self
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True if the batch holds no operation.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Remove every operation.
    pub fn clear(&mut self) {
        self.ops.clear();
        self.bytes = 0;
    }

    /// The operations in order.
    pub fn ops(&self) -> &[BatchOp] {
        &self.ops
    }

    /// The operations, by value.
    pub(crate) fn into_ops(self) -> Vec<BatchOp> {
        self.ops
    }

    /// Check every key and value against the engine's limits.
    pub(crate) fn validate(&self) -> Result<()> {
        for op in &self.ops {
            validate_key(&op.key)?;
            validate_value(&op.value)?;
        }
        Ok(())
    }

    /// Bytes of the WAL encoding.
    pub(crate) fn encoded_len(&self) -> usize {
        13 + self.ops.len() * 9 + self.bytes
    }

    /// Append the WAL encoding of this batch, numbered from `first_seq`, to `out`.
    pub(crate) fn encode_into(&self, first_seq: SeqNo, format: RecordFormat, out: &mut Vec<u8>) {
        if format == RecordFormat::Json {
            out.push(TAG_JSON);
            let json = JsonBatch {
                seq: first_seq,
                ops: self
                    .ops
                    .iter()
                    .map(|op| JsonOp {
                        op: match op.kind {
                            ValueKind::Put => "put".into(),
                            ValueKind::Delete => "delete".into(),
                        },
                        key: op.key.to_vec(),
                        value: (op.kind == ValueKind::Put).then(|| op.value.to_vec()),
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut *out, &json).expect("writing JSON to a Vec cannot fail");
            return;
        }
        out.reserve(self.encoded_len());
        out.push(TAG_BINARY);
        out.extend_from_slice(&first_seq.to_le_bytes());
        out.extend_from_slice(&(self.ops.len() as u32).to_le_bytes());
        for op in &self.ops {
            out.push(op.kind as u8);
            out.extend_from_slice(&(op.key.len() as u32).to_le_bytes());
            out.extend_from_slice(&op.key);
            if op.kind == ValueKind::Put {
                out.extend_from_slice(&(op.value.len() as u32).to_le_bytes());
                out.extend_from_slice(&op.value);
            }
        }
    }

    /// Decode one WAL record. `path` and `offset` name the record in errors.
    pub(crate) fn decode(payload: &Bytes, path: &Path, offset: u64) -> Result<(SeqNo, WriteBatch)> {
        let bad = |why: &str| Error::corruption(path, offset, format!("write batch: {why}"));
        match payload.first() {
            Some(&TAG_BINARY) => {}
            Some(&TAG_JSON) => {
                let json: JsonBatch = serde_json::from_slice(&payload[1..])
                    .map_err(|e| bad(&format!("bad JSON record: {e}")))?;
                let mut batch = WriteBatch::new();
                for op in json.ops {
                    match (op.op.as_str(), op.value) {
                        ("put", Some(v)) => batch.put(op.key, v),
                        ("delete", None) => batch.delete(op.key),
                        (other, _) => return Err(bad(&format!("bad JSON op `{other}`"))),
                    };
                }
                return Ok((json.seq, batch));
            }
            // Checksummed, yet unknown: a future version's encoding (see "Format versions").
            Some(&other) => {
                return Err(Error::Incompatible {
                    path: path.to_path_buf(),
                    reason: format!(
                        "WAL record at offset {offset} has format tag {other}, written by a newer \
                         version; this build reads tags {TAG_BINARY} (binary) and {TAG_JSON} (JSON)"
                    ),
                })
            }
            None => return Err(bad("empty record")),
        }
        let mut pos = 1usize;
        let take = |pos: &mut usize, n: usize| -> Result<Bytes> {
            if payload.len() - *pos < n {
                return Err(bad("truncated"));
            }
            let out = payload.slice(*pos..*pos + n);
            *pos += n;
            Ok(out)
        };
        let u32_at = |pos: &mut usize| -> Result<usize> {
            let b = take(pos, 4)?;
            Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        let seq_bytes = take(&mut pos, 8)?;
        let first_seq = u64::from_le_bytes(seq_bytes[..].try_into().expect("8 bytes"));
        let count = u32_at(&mut pos)?;
        let mut batch = WriteBatch::new();
        for _ in 0..count {
            let kind_byte = take(&mut pos, 1)?[0];
            let kind = ValueKind::from_u8(kind_byte).ok_or_else(|| bad("unknown op kind"))?;
            let klen = u32_at(&mut pos)?;
            let key = take(&mut pos, klen)?;
            match kind {
                ValueKind::Put => {
                    let vlen = u32_at(&mut pos)?;
                    let value = take(&mut pos, vlen)?;
                    batch.put(key, value);
                }
                ValueKind::Delete => {
                    batch.delete(key);
                }
            }
        }
        if pos != payload.len() {
            return Err(bad("trailing bytes"));
        }
        Ok((first_seq, batch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::MAX_KEY_LEN;

    #[test]
    fn encode_decode_roundtrip() {
        let mut b = WriteBatch::new();
        b.put(&b"k1"[..], &b"v1"[..])
            .delete(&b"k2"[..])
            .put(&b"k3"[..], Bytes::new());
        let mut out = Vec::new();
        b.encode_into(42, RecordFormat::Binary, &mut out);
        assert_eq!(out.len(), b.encoded_len() - 4); // deletes carry no value length
        let (seq, back) = WriteBatch::decode(&Bytes::from(out.clone()), Path::new("x"), 0).unwrap();
        assert_eq!((seq, back), (42, b.clone()));
        let mut json = Vec::new();
        b.encode_into(42, RecordFormat::Json, &mut json);
        assert_eq!(json[0], TAG_JSON);
        assert!(std::str::from_utf8(&json[1..])
            .unwrap()
            .contains(r#""op":"delete""#));
        let (seq, back) =
            WriteBatch::decode(&Bytes::from(json.clone()), Path::new("x"), 0).unwrap();
        assert_eq!((seq, back), (42, b));
        for cut in 0..json.len() {
            let err = WriteBatch::decode(&Bytes::copy_from_slice(&json[..cut]), Path::new("x"), 9);
            assert!(
                matches!(err, Err(Error::Corruption { offset: 9, .. })),
                "json cut {cut}"
            );
        }
        for cut in 0..out.len() {
            let err = WriteBatch::decode(&Bytes::copy_from_slice(&out[..cut]), Path::new("x"), 7);
            assert!(
                matches!(err, Err(Error::Corruption { offset: 7, .. })),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn unknown_format_tags_are_incompatible() {
        let mut b = WriteBatch::new();
        b.put(&b"k"[..], &b"v"[..]);
        let mut out = Vec::new();
        b.encode_into(5, RecordFormat::Binary, &mut out);
        for tag in 2..=u8::MAX {
            out[0] = tag;
            match WriteBatch::decode(&Bytes::from(out.clone()), Path::new("s.wal"), 40) {
                Err(Error::Incompatible { path, reason }) => {
                    assert_eq!(path, Path::new("s.wal"));
                    assert!(reason.contains("offset 40") && reason.contains(&format!("tag {tag}")));
                }
                other => panic!("tag {tag}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_keys_are_refused() {
        let mut b = WriteBatch::new();
        b.put(Bytes::new(), &b"v"[..]);
        assert!(matches!(b.validate(), Err(Error::EmptyKey)));
        let mut b = WriteBatch::new();
        b.put(vec![1u8; MAX_KEY_LEN + 1], &b"v"[..]);
        assert!(matches!(b.validate(), Err(Error::KeyTooLarge { .. })));
    }
}
