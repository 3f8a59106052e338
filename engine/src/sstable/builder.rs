//! Writing a table: entries in, one sequential file out.
//!
//! [`TableBuilder`] takes entries in strictly increasing internal-key order, accumulates them
//! into a data block and writes the block (with its trailer) once it reaches the target
//! size, remembering the block's last key and handle for the index. Distinct user keys are
//! hashed for the bloom filter as they pass. [`TableBuilder::finish`] writes the filter, the
//! index and the footer, then syncs the file; the caller syncs the directory and records the
//! returned [`TableMeta`]. Dropping a builder abandons the file, which the caller removes.

use super::block::{
    block_checksum, block_to_json, cmp_parts, split_key, BlockBuilder, BLOCK_BINARY, BLOCK_JSON,
};
use super::filter::BloomBuilder;
use super::footer::{BlockHandle, Footer, FOOTER_LEN};
use super::meta::{TableMeta, TableOptions};
use crate::batch::RecordFormat;
use crate::error::{Error, IoContext, Result};
use crate::fs::{Dir, IoJob, WriteAdapter};
use crate::types::{InternalKey, SeqNo, ValueKind, MAX_SEQ};
use crate::{MAX_KEY_LEN, MAX_VALUE_LEN};
use std::cmp::Ordering;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Write buffer size: large, so that the file is written in big sequential chunks.
const WRITE_BUFFER: usize = 1 << 20;

/// Writes one table file. See the module documentation.
#[derive(Debug)]
pub struct TableBuilder {
    path: PathBuf,
    out: BufWriter<WriteAdapter>,
    opts: TableOptions,
    /// Bytes handed to `out` so far.
    offset: u64,
    data: BlockBuilder,
    index: BlockBuilder,
    bloom: Option<BloomBuilder>,
    /// The last key added, encoded (empty before the first).
    last_key: Vec<u8>,
    /// Reused encoding buffer.
    scratch: Vec<u8>,
    smallest: Option<InternalKey>,
    entries: u64,
    min_seq: SeqNo,
    max_seq: SeqNo,
}

impl TableBuilder {
    /// Create the table file `name` in `dir` (which must not exist) on behalf of `job`, and
    /// start a table.
    pub(crate) fn create(dir: &Dir, name: &str, opts: TableOptions, job: IoJob) -> Result<Self> {
        opts.validate()?;
        let file = dir.create_new(name, job)?;
        Ok(TableBuilder {
            path: dir.file(name),
            out: BufWriter::with_capacity(WRITE_BUFFER, WriteAdapter(file)),
            opts,
            offset: 0,
            data: BlockBuilder::default(),
            index: BlockBuilder::default(),
            bloom: (opts.bloom_bits_per_key > 0)
                .then(|| BloomBuilder::new(opts.bloom_bits_per_key)),
            last_key: Vec::new(),
            scratch: Vec::new(),
            smallest: None,
            entries: 0,
            min_seq: SeqNo::MAX,
            max_seq: 0,
        })
    }

    /// Append an entry. Keys must arrive in strictly increasing internal order (user key
    /// ascending, sequence number descending); tombstones carry an empty value.
    pub fn add(&mut self, key: &InternalKey, value: &[u8]) -> Result<()> {
        if key.user_key.len() > MAX_KEY_LEN {
            return Err(Error::KeyTooLarge {
                len: key.user_key.len(),
                max: MAX_KEY_LEN,
            });
        }
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::ValueTooLarge {
                len: value.len(),
                max: MAX_VALUE_LEN,
            });
        }
        if key.seq > MAX_SEQ {
            return Err(Error::InvalidOptions(format!(
                "table key {key:?}: sequence number exceeds {MAX_SEQ}"
            )));
        }
        if key.kind == ValueKind::Delete && !value.is_empty() {
            return Err(Error::InvalidOptions(format!(
                "table key {key:?}: a tombstone with a {}-byte value",
                value.len()
            )));
        }
        let last = split_key(&self.last_key);
        if let Some(last) = last {
            if cmp_parts(last, (&key.user_key, key.trailer())) != Ordering::Less {
                return Err(Error::InvalidOptions(format!(
                    "table keys out of order: {key:?} added after {:?}",
                    InternalKey::decode(&self.last_key).map(|(u, seq, kind)| InternalKey::new(
                        u.to_vec(),
                        seq,
                        kind
                    ))
                )));
            }
        }
        if let Some(bloom) = &mut self.bloom {
            if last.is_none_or(|(user, _)| user != &key.user_key[..]) {
                bloom.add_key(&key.user_key);
            }
        }
        self.scratch.clear();
        key.encode_into(&mut self.scratch);
        if !self.data.add(&self.scratch, value) {
            return Err(Error::InvalidOptions(
                "table data block exceeds 4 GiB".into(),
            ));
        }
        std::mem::swap(&mut self.last_key, &mut self.scratch);
        if self.smallest.is_none() {
            self.smallest = Some(key.clone());
        }
        self.entries += 1;
        self.min_seq = self.min_seq.min(key.seq);
        self.max_seq = self.max_seq.max(key.seq);
        if self.data.size_estimate() >= self.opts.block_size {
            self.flush_data()?;
        }
        Ok(())
    }

    /// Approximate size of the file if finished now (written bytes, the pending block, the
    /// filter and the index). Compaction cuts its outputs on this.
    pub fn estimated_size(&self) -> u64 {
        let pending = if self.data.is_empty() {
            0
        } else {
            self.data.size_estimate() + self.last_key.len() + 20
        };
        let filter = self.bloom.as_ref().map_or(0, BloomBuilder::size_estimate);
        let index = if self.index.is_empty() {
            0
        } else {
            self.index.size_estimate()
        };
        self.offset + (pending + filter + index + FOOTER_LEN) as u64
    }

    /// Number of entries added.
    #[cfg(test)]
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The file being written.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write the last data block, the filter, the index and the footer, and sync the file.
    /// A table without entries cannot be finished (`InvalidOptions`).
    pub fn finish(mut self) -> Result<TableMeta> {
        let Some(smallest) = self.smallest.take() else {
            return Err(Error::InvalidOptions(
                "cannot finish a table without entries".into(),
            ));
        };
        self.flush_data()?;
        let filter = match &self.bloom {
            Some(bloom) => Some(write_block(
                &mut self.out,
                &mut self.offset,
                &self.path,
                &bloom.build(),
                RecordFormat::Binary,
            )?),
            None => None,
        };
        let index_block = self
            .index
            .finish()
            .ok_or_else(|| Error::InvalidOptions("table index block exceeds 4 GiB".into()))?;
        let index = write_block(
            &mut self.out,
            &mut self.offset,
            &self.path,
            index_block,
            self.opts.format,
        )?;
        let footer = Footer {
            filter,
            index,
            entries: self.entries,
            min_seq: self.min_seq,
            max_seq: self.max_seq,
        };
        self.out.write_all(&footer.encode()).ctx(&self.path)?;
        self.offset += FOOTER_LEN as u64;
        let mut file = self
            .out
            .into_inner()
            .map_err(|e| e.into_error())
            .ctx(&self.path)?;
        file.0.sync_all().ctx(&self.path)?;
        let largest = InternalKey::decode(&self.last_key)
            .map(|(user, seq, kind)| InternalKey::new(user.to_vec(), seq, kind))
            .ok_or_else(|| Error::InvalidOptions("table lost its last key".into()))?;
        Ok(TableMeta {
            file_size: self.offset,
            entries: self.entries,
            smallest,
            largest,
            min_seq: self.min_seq,
            max_seq: self.max_seq,
        })
    }

    /// Write the pending data block and index it under its last key.
    fn flush_data(&mut self) -> Result<()> {
        if self.data.is_empty() {
            return Ok(());
        }
        let contents = self
            .data
            .finish()
            .ok_or_else(|| Error::InvalidOptions("table data block exceeds 4 GiB".into()))?;
        let handle = write_block(
            &mut self.out,
            &mut self.offset,
            &self.path,
            contents,
            self.opts.format,
        )?;
        self.data.reset();
        let mut encoded = Vec::with_capacity(12);
        handle.encode_into(&mut encoded);
        if !self.index.add(&self.last_key, &encoded) {
            return Err(Error::InvalidOptions(
                "table index block exceeds 4 GiB".into(),
            ));
        }
        Ok(())
    }
}

/// Write `contents` (a binary block, or any bytes for `Binary`) in `format` with its trailer
/// at `*offset`, advancing it; the block's handle.
fn write_block(
    out: &mut BufWriter<WriteAdapter>,
    offset: &mut u64,
    path: &Path,
    contents: &[u8],
    format: RecordFormat,
) -> Result<BlockHandle> {
    let json;
    let (contents, encoding) = match format {
        RecordFormat::Binary => (contents, BLOCK_BINARY),
        RecordFormat::Json => {
            json = block_to_json(contents)
                .ok_or_else(|| Error::InvalidOptions("table block cannot be encoded".into()))?;
            (&json[..], BLOCK_JSON)
        }
    };
    let size = u32::try_from(contents.len())
        .map_err(|_| Error::InvalidOptions("table block exceeds 4 GiB".into()))?;
    let mut trailer = [0u8; 5];
    trailer[0] = encoding;
    trailer[1..].copy_from_slice(&block_checksum(contents, encoding).to_le_bytes());
    out.write_all(contents).ctx(path)?;
    out.write_all(&trailer).ctx(path)?;
    let handle = BlockHandle {
        offset: *offset,
        size,
    };
    *offset += u64::from(size) + trailer.len() as u64;
    Ok(handle)
}
