//! [`WalState`]: the active WAL segment's writer and the last sequence number written, owned
//! by whoever holds the WAL lock (the group leader, a memtable switch, a sync).

use crate::batch::WriteBatch;
use crate::options::{Options, SyncPolicy, BUFFERED_WAL_BYTES};
use crate::types::SeqNo;
use crate::wal::LogWriter;
use crate::Result;
use std::sync::MutexGuard;
use std::time::Instant;

/// The WAL writer, owned by the current group leader (or by whoever holds the lock).
pub(crate) struct WalState {
    pub(super) log: LogWriter,
    /// The active segment's number.
    pub(super) number: u64,
    /// The last sequence number written to the log.
    pub(super) last_seq: SeqNo,
    /// Reused encoding buffer.
    scratch: Vec<u8>,
    /// When the buffer was last handed to the OS ([`SyncPolicy::Buffered`]).
    pub(super) flushed_at: Instant,
}

impl WalState {
    /// The recovered log: segment `number`, sequence numbers up to `last_seq` taken.
    pub(crate) fn new(log: LogWriter, number: u64, last_seq: SeqNo) -> WalState {
        WalState {
            log,
            number,
            last_seq,
            scratch: Vec::new(),
            flushed_at: Instant::now(),
        }
    }

    /// Append one record per batch (the first operation numbered `first`) and make them as
    /// durable as `opts.sync` promises. Returns the bytes appended. On `Err` the log is
    /// failed: the caller refuses writes from then on.
    pub(super) fn append_group(
        &mut self,
        batches: &[MutexGuard<'_, WriteBatch>],
        first: SeqNo,
        opts: &Options,
    ) -> Result<u64> {
        let before = self.log.len();
        let mut seq = first;
        for batch in batches {
            self.scratch.clear();
            batch.encode_into(seq, opts.wal_format, &mut self.scratch);
            seq += batch.len() as u64;
            self.log.append(&self.scratch)?;
        }
        match opts.sync {
            SyncPolicy::None => self.log.flush()?,
            SyncPolicy::Buffered { max_delay } => {
                if self.log.buffered() >= BUFFERED_WAL_BYTES
                    || self.flushed_at.elapsed() >= max_delay
                {
                    self.flushed_at = Instant::now();
                    self.log.flush()?;
                }
            }
            SyncPolicy::EveryWrite | SyncPolicy::GroupCommit { .. } => self.log.sync()?,
        }
        if opts.wal_reopen_per_write {
            self.log.release()?;
        }
        Ok(self.log.len() - before)
    }
}
