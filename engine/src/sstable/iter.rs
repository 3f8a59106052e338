//! Ordered iteration over a table.
//!
//! A [`TableIter`] owns an `Arc<Table>`, so it can outlive the borrow it was created from and
//! move between threads (scans, compaction). It walks the data blocks in index order,
//! fetching each through the table's cache, and yields entries as zero-copy slices of the
//! current block. A seek (`TableIter::new` with a start key) is done lazily on the first `next`,
//! so that its I/O errors surface as items. After the first error the iterator is finished.

use super::block::Block;
use super::reader::Table;
use crate::error::Result;
use crate::types::InternalKey;
use bytes::Bytes;
use std::fmt;
use std::sync::Arc;

/// An iterator over a table's entries in internal order; yields `(key, value)` or the first
/// error, then ends.
pub struct TableIter {
    table: Arc<Table>,
    /// Where to start, consumed by the first `next`.
    seek: Option<InternalKey>,
    /// The current block and its index position.
    block: Option<(Block, usize)>,
    /// Next entry in the current block.
    pos: usize,
    /// Index position of the next block to load.
    next_block: usize,
    done: bool,
}

impl fmt::Debug for TableIter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableIter")
            .field("table", &self.table.id())
            .field("block", &self.block.as_ref().map(|(_, i)| *i))
            .field("pos", &self.pos)
            .field("done", &self.done)
            .finish()
    }
}

impl TableIter {
    /// The entries of `table` in internal order, from the first at or after `seek` (from the
    /// first entry if `None`).
    pub(crate) fn new(table: Arc<Table>, seek: Option<InternalKey>) -> Self {
        TableIter {
            table,
            seek,
            block: None,
            pos: 0,
            next_block: 0,
            done: false,
        }
    }

    /// Position on the first entry at or after `start`.
    fn seek_to(&mut self, start: &InternalKey) -> Result<()> {
        let table = &self.table;
        let i = table.find_block(&start.user_key, start.trailer());
        self.next_block = i;
        if i < table.block_count() {
            let block = table.data_block(i)?;
            self.pos = block
                .seek(&start.user_key, start.trailer())
                .ok_or_else(|| table.bad_entry(i, 0))?;
            self.block = Some((block, i));
            self.next_block = i + 1;
        }
        Ok(())
    }

    fn advance(&mut self) -> Result<Option<(InternalKey, Bytes)>> {
        if let Some(start) = self.seek.take() {
            self.seek_to(&start)?;
        }
        loop {
            if let Some((block, i)) = &self.block {
                if self.pos < block.len() {
                    let entry = block
                        .entry(self.pos)
                        .ok_or_else(|| self.table.bad_entry(*i, self.pos))?;
                    self.pos += 1;
                    return Ok(Some(entry));
                }
            }
            if self.next_block >= self.table.block_count() {
                self.block = None;
                return Ok(None);
            }
            let block = self.table.data_block(self.next_block)?;
            self.block = Some((block, self.next_block));
            self.pos = 0;
            self.next_block += 1;
        }
    }
}

impl Iterator for TableIter {
    type Item = Result<(InternalKey, Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.advance() {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                self.block = None;
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for TableIter {}
