//! Reading a table: open once, then point reads and scans from many threads.
//!
//! [`Table::open`] reads the footer, then the index and filter blocks (checksummed), checks
//! that the blocks they describe tile the file exactly, and keeps the index in memory as a
//! sorted array of (last key, handle) — the keys are slices of the index block, so opening
//! costs one allocation per table plus the array. The file stays open and data blocks are
//! read with positional reads, so concurrent readers share one descriptor without locking.
//!
//! A point read ([`Table::get`]) asks the bloom filter, binary-searches the index for the
//! first block whose last key is at or after the seek key `(user_key, snapshot)`, fetches
//! that block through the shared [`Cache`] and binary-searches it. On a cache hit no memory
//! is allocated; the value returned is a slice of the cached block.
//!
//! [`Table::verify`] rereads everything from disk, bypassing the cache.

use super::block::{
    block_checksum, cmp_parts, json_to_block, split_key, Block, BLOCK_BINARY, BLOCK_JSON,
    BLOCK_TRAILER_LEN,
};
use super::filter::Bloom;
use super::footer::{BlockHandle, Footer, FOOTER_LEN};
use crate::cache::Cache;
use crate::error::{Error, IoContext, Result};
use crate::fs::{Dir, RandomAccessFile};
use crate::types::{split_trailer, trailer, InternalKey, SeqNo, ValueKind, MAX_SEQ};
use bytes::Bytes;
use std::cmp::Ordering;
use std::fmt;
use std::io;
#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;

/// One index entry: a data block's last key (split) and its handle.
#[derive(Clone, Debug)]
struct IndexEntry {
    user_key: Bytes,
    trailer: u64,
    handle: BlockHandle,
}

/// What [`Table::verify`] checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Data blocks read.
    pub blocks: u64,
    /// Entries read.
    pub entries: u64,
}

/// An open table. `Send + Sync`; share it as `Arc<Table>`.
pub struct Table {
    id: u64,
    path: PathBuf,
    file: Arc<dyn RandomAccessFile>,
    file_size: u64,
    footer: Footer,
    index: Vec<IndexEntry>,
    filter: Option<Bloom>,
    cache: Arc<dyn Cache>,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("id", &self.id)
            .field("path", &self.path)
            .field("file_size", &self.file_size)
            .field("entries", &self.footer.entries)
            .field("blocks", &self.index.len())
            .field("filter", &self.filter.is_some())
            .finish()
    }
}

impl Table {
    /// Open the table `name` of `dir`. `id` must be unique among the tables sharing `cache`
    /// (it keys the cached blocks). A wrong magic or version is [`Error::Incompatible`]; a bad
    /// checksum or inconsistent layout is [`Error::Corruption`].
    pub(crate) fn open(dir: &Dir, name: &str, id: u64, cache: Arc<dyn Cache>) -> Result<Table> {
        let path = &dir.file(name);
        let file = dir.open_random(name)?;
        let file_size = file.len().ctx(path)?;
        let Some(footer_offset) = file_size.checked_sub(FOOTER_LEN as u64) else {
            return Err(Error::corruption(
                path,
                0,
                format!("file of {file_size} bytes is too short for a table footer"),
            ));
        };
        let mut table = Table {
            id,
            path: path.to_path_buf(),
            file,
            file_size,
            footer: Footer {
                filter: None,
                index: BlockHandle::default(),
                entries: 0,
                min_seq: 0,
                max_seq: 0,
            },
            index: Vec::new(),
            filter: None,
            cache,
        };
        table.footer = table.read_footer()?;
        let footer = table.footer;
        let corrupt = |reason: String| Error::corruption(path, footer_offset, reason);
        // The index ends at the footer, the filter (if any) at the index: the data blocks
        // fill everything before.
        if footer.index.end() != Some(footer_offset) {
            return Err(corrupt(format!(
                "index block {:?} does not end at the footer",
                footer.index
            )));
        }
        let data_end = match footer.filter {
            Some(filter) if filter.end() != Some(footer.index.offset) => {
                return Err(corrupt(format!(
                    "filter block {filter:?} does not end at the index block"
                )))
            }
            Some(filter) => filter.offset,
            None => footer.index.offset,
        };
        if footer.entries == 0 {
            return Err(corrupt("footer says the table has no entries".into()));
        }
        if footer.min_seq > footer.max_seq {
            return Err(corrupt(format!(
                "footer sequence range {}..={} is empty",
                footer.min_seq, footer.max_seq
            )));
        }
        table.index = table.read_index(data_end)?;
        if let Some(handle) = footer.filter {
            let bytes = table.read_checked(handle)?;
            table.filter =
                Some(Bloom::parse(bytes).map_err(|r| Error::corruption(path, handle.offset, r))?);
        }
        Ok(table)
    }

    /// Read and decode the footer.
    fn read_footer(&self) -> Result<Footer> {
        let offset = self.footer_offset();
        let mut buf = [0u8; FOOTER_LEN];
        self.read_at(&mut buf, offset).ctx(&self.path)?;
        Footer::decode(&buf, &self.path, offset)
    }

    /// Read the index block and check that its handles tile `0..data_end` in key order.
    fn read_index(&self, data_end: u64) -> Result<Vec<IndexEntry>> {
        let handle = self.footer.index;
        let corrupt = |reason: String| Error::corruption(&self.path, handle.offset, reason);
        let block = Block::parse(self.read_checked(handle)?).map_err(corrupt)?;
        let mut index = Vec::with_capacity(block.len());
        let mut expected_offset = 0u64;
        for i in 0..block.len() {
            let (key_range, value_range) = block
                .ranges(i)
                .ok_or_else(|| corrupt(format!("index entry {i} is malformed")))?;
            let data = block.bytes();
            let (user, trailer) = data
                .get(key_range.clone())
                .and_then(split_key)
                .ok_or_else(|| corrupt(format!("index entry {i} has a malformed key")))?;
            let block_handle = data
                .get(value_range)
                .and_then(BlockHandle::decode)
                .ok_or_else(|| corrupt(format!("index entry {i} has a malformed handle")))?;
            if block_handle.offset != expected_offset || block_handle.size == 0 {
                return Err(corrupt(format!(
                    "index entry {i}: data block {block_handle:?}, expected one at offset \
                     {expected_offset}"
                )));
            }
            expected_offset = block_handle
                .end()
                .filter(|&end| end <= data_end)
                .ok_or_else(|| {
                    corrupt(format!(
                        "index entry {i}: data block {block_handle:?} runs past {data_end}"
                    ))
                })?;
            if let Some(prev) = index.last() {
                let prev: &IndexEntry = prev;
                if cmp_parts((&prev.user_key, prev.trailer), (user, trailer)) != Ordering::Less {
                    return Err(corrupt(format!("index entry {i}: keys out of order")));
                }
            }
            let user_start = key_range.start;
            index.push(IndexEntry {
                user_key: data.slice(user_start..user_start + user.len()),
                trailer,
                handle: block_handle,
            });
        }
        if expected_offset != data_end {
            return Err(corrupt(format!(
                "data blocks end at {expected_offset}, the next block starts at {data_end}"
            )));
        }
        Ok(index)
    }

    fn footer_offset(&self) -> u64 {
        self.file_size - FOOTER_LEN as u64
    }

    /// Fill `buf` from the file at `offset` (a positional read: no seek, no lock).
    #[inline]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }

    /// Read a block and its trailer from disk and check the checksum and encoding type;
    /// the block's contents in the binary layout (a JSON block is parsed and converted).
    fn read_checked(&self, handle: BlockHandle) -> Result<Bytes> {
        let size = handle.size as usize;
        let corrupt = |reason: String| Error::corruption(&self.path, handle.offset, reason);
        if handle.end().is_none_or(|end| end > self.file_size) {
            return Err(corrupt(format!(
                "block {handle:?} runs past the end of the file"
            )));
        }
        let mut buf = vec![0u8; size + BLOCK_TRAILER_LEN];
        self.read_at(&mut buf, handle.offset).ctx(&self.path)?;
        let (contents, trailer) = buf.split_at(size);
        let compression = trailer[0];
        let stored = u32::from_le_bytes([trailer[1], trailer[2], trailer[3], trailer[4]]);
        let computed = block_checksum(contents, compression);
        if stored != computed {
            return Err(corrupt(format!(
                "block checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            )));
        }
        match compression {
            BLOCK_BINARY => {
                buf.truncate(size);
                Ok(Bytes::from(buf))
            }
            BLOCK_JSON => json_to_block(contents).map_err(corrupt),
            // The checksum vouches for the type byte: an unknown type was written by a newer
            // version (a new encoding or compression), not damaged.
            other => Err(Error::Incompatible {
                path: self.path.clone(),
                reason: format!(
                    "block at offset {} has encoding type {other}, written by a newer version; \
                     this build reads types {BLOCK_BINARY} (binary) and {BLOCK_JSON} (JSON)",
                    handle.offset
                ),
            }),
        }
    }

    /// Data block `i` (an index position), through the cache.
    pub(super) fn data_block(&self, i: usize) -> Result<Block> {
        let handle = self.block_handle(i)?;
        if let Some(block) = self
            .cache
            .get(self.id, handle.offset)
            .and_then(Block::trusted)
        {
            return Ok(block);
        }
        let bytes = self.read_checked(handle)?;
        let block = Block::parse(bytes.clone())
            .map_err(|reason| Error::corruption(&self.path, handle.offset, reason))?;
        self.cache.insert(self.id, handle.offset, bytes);
        Ok(block)
    }

    /// The handle of data block `i`.
    pub(super) fn block_handle(&self, i: usize) -> Result<BlockHandle> {
        self.index.get(i).map(|e| e.handle).ok_or_else(|| {
            Error::corruption(&self.path, self.footer.index.offset, "no such data block")
        })
    }

    /// Number of data blocks.
    pub(super) fn block_count(&self) -> usize {
        self.index.len()
    }

    /// Index of the first data block whose last key is at or after `(user_key, trailer)`
    /// (`block_count()` if none).
    pub(super) fn find_block(&self, user_key: &[u8], trailer: u64) -> usize {
        self.index.partition_point(|e| {
            cmp_parts((&e.user_key, e.trailer), (user_key, trailer)) == Ordering::Less
        })
    }

    /// The malformed-entry error for entry `entry` of data block `block`.
    pub(super) fn bad_entry(&self, block: usize, entry: usize) -> Error {
        let offset = self.index.get(block).map_or(0, |e| e.handle.offset);
        Error::corruption(&self.path, offset, format!("malformed entry {entry}"))
    }

    /// The newest entry for `user_key` with a sequence number at or below `snapshot`, as
    /// (sequence number, kind, value); tombstones are returned too (with an empty value).
    pub fn get(
        &self,
        user_key: &[u8],
        snapshot: SeqNo,
    ) -> Result<Option<(SeqNo, ValueKind, Bytes)>> {
        if !self.may_contain(user_key) {
            return Ok(None);
        }
        // The seek key (user_key, snapshot, Put) sorts before every version visible at
        // `snapshot` and after every newer one.
        let trailer = trailer(snapshot.min(MAX_SEQ), ValueKind::Put);
        let mut i = self.find_block(user_key, trailer);
        // The first block whose last key is >= the seek key holds the answer; the loop only
        // moves on if that block unexpectedly has no such entry.
        while i < self.index.len() {
            let block = self.data_block(i)?;
            let pos = block
                .seek(user_key, trailer)
                .ok_or_else(|| self.bad_entry(i, 0))?;
            if pos < block.len() {
                let (key, value) = block.ranges(pos).ok_or_else(|| self.bad_entry(i, pos))?;
                let (user, trailer) = block
                    .bytes()
                    .get(key)
                    .and_then(split_key)
                    .ok_or_else(|| self.bad_entry(i, pos))?;
                if user != user_key {
                    return Ok(None);
                }
                let (seq, kind) = split_trailer(trailer).ok_or_else(|| self.bad_entry(i, pos))?;
                return Ok(Some((seq, kind, block.bytes().slice(value))));
            }
            i += 1;
        }
        Ok(None)
    }

    /// Reread the whole table from disk (bypassing the cache) and check every checksum, the
    /// block structure, that keys strictly increase, that each index key is its block's last
    /// key, that the filter knows every user key, and that the entry count and sequence range
    /// match the footer. Failures are [`Error::Corruption`] at the offending block's offset.
    pub fn verify(&self) -> Result<VerifyReport> {
        let footer_offset = self.footer_offset();
        let footer = self.read_footer()?;
        if footer != self.footer {
            return Err(Error::corruption(
                &self.path,
                footer_offset,
                "footer changed since the table was opened",
            ));
        }
        // Reread the index and filter for their checksums (their contents were checked at open).
        self.read_checked(footer.index)?;
        if let Some(handle) = footer.filter {
            self.read_checked(handle)?;
        }
        let mut prev: Option<Bytes> = None;
        let mut entries = 0u64;
        let (mut min_seq, mut max_seq) = (SeqNo::MAX, 0);
        for index_entry in &self.index {
            let handle = index_entry.handle;
            let corrupt = |reason: String| Error::corruption(&self.path, handle.offset, reason);
            let block = Block::parse(self.read_checked(handle)?).map_err(corrupt)?;
            let data = block.bytes();
            for j in 0..block.len() {
                let (key_range, value_range) = block
                    .ranges(j)
                    .ok_or_else(|| corrupt(format!("entry {j} is malformed")))?;
                let key = data.slice(key_range);
                let (user, seq, kind) = InternalKey::decode(&key)
                    .ok_or_else(|| corrupt(format!("entry {j} has a malformed key")))?;
                if kind == ValueKind::Delete && !value_range.is_empty() {
                    return Err(corrupt(format!("entry {j} is a tombstone with a value")));
                }
                if let Some(prev) = &prev {
                    let ordered = split_key(prev)
                        .zip(split_key(&key))
                        .map(|(a, b)| cmp_parts(a, b));
                    if ordered != Some(Ordering::Less) {
                        return Err(corrupt(format!(
                            "entry {j}: key not after the previous key"
                        )));
                    }
                }
                if !self.may_contain(user) {
                    return Err(corrupt(format!(
                        "entry {j}: the filter does not know its key"
                    )));
                }
                entries += 1;
                min_seq = min_seq.min(seq);
                max_seq = max_seq.max(seq);
                prev = Some(key);
            }
            let last = prev.as_deref().and_then(split_key);
            if last != Some((&index_entry.user_key[..], index_entry.trailer)) {
                return Err(corrupt("index key is not the block's last key".into()));
            }
        }
        if (entries, min_seq, max_seq) != (footer.entries, footer.min_seq, footer.max_seq) {
            return Err(Error::corruption(
                &self.path,
                footer_offset,
                format!(
                    "footer says {} entries with seqs {}..={}, the blocks hold {entries} with \
                     {min_seq}..={max_seq}",
                    footer.entries, footer.min_seq, footer.max_seq
                ),
            ));
        }
        Ok(VerifyReport {
            blocks: self.index.len() as u64,
            entries,
        })
    }

    /// The id given at open (the cache key prefix).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The file's path.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's size in bytes.
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// Number of entries (puts and tombstones).
    pub fn entries(&self) -> u64 {
        self.footer.entries
    }

    /// The smallest sequence number of any entry.
    #[cfg(test)]
    pub fn min_seq(&self) -> SeqNo {
        self.footer.min_seq
    }

    /// The largest sequence number of any entry.
    #[cfg(test)]
    pub fn max_seq(&self) -> SeqNo {
        self.footer.max_seq
    }

    /// Whether the table has a bloom filter.
    #[cfg(test)]
    pub fn has_filter(&self) -> bool {
        self.filter.is_some()
    }

    /// Whether the table may hold `user_key` (always `true` without a filter).
    pub fn may_contain(&self, user_key: &[u8]) -> bool {
        self.filter.as_ref().is_none_or(|f| f.may_contain(user_key))
    }
}
