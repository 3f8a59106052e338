//! [`LogWriter`]: frames records into a buffer, hands the buffer to the OS in one write, and
//! syncs on request. See the module above for the format.

use super::format::{encode_frame, encode_header, MAX_RECORD_LEN, RECORD_HEADER_LEN};
use crate::error::{Error, IoContext, Result};
use crate::fs::{Dir, IoJob, WritableFile};
use std::fmt;
use std::io;
use std::path::PathBuf;

/// After a flush the write buffer keeps at most this much capacity, so that one huge record
/// does not pin its memory for the life of the writer.
const KEEP_CAPACITY: usize = 4 * 1024 * 1024;

/// Appends framed records to a new log file.
///
/// Records are framed into an internal buffer by [`append`](Self::append); [`flush`](Self::flush)
/// writes the buffer to the file in one call and [`sync`](Self::sync) also forces it to stable
/// storage. Dropping the writer flushes what is still buffered (best effort, errors ignored).
///
/// If a write or sync fails the writer is *failed*: the file may end in a partial record, so
/// every later call returns an error and nothing more is written (not even on drop). The caller
/// should abandon the file and continue in a new one; a reader sees the partial record as a
/// torn tail.
pub struct LogWriter {
    /// The directory the log lives in.
    dir: Dir,
    /// The log's file name in `dir`.
    name: String,
    /// `None` after [`release`](LogWriter::release): reopened (append) by the next flush.
    file: Option<Box<dyn WritableFile>>,
    path: PathBuf,
    /// Bytes handed to the OS so far.
    written: u64,
    /// Framed records not yet written.
    buf: Vec<u8>,
    /// Set when a write or sync failed.
    failed: bool,
}

impl LogWriter {
    /// Create the log `name` in `dir` (which must not exist) on behalf of `job`, and write
    /// its header.
    ///
    /// The header is flushed to the OS but not synced; syncing the file and its directory is
    /// the caller's job.
    pub(crate) fn create(dir: &Dir, name: &str, magic: [u8; 8], job: IoJob) -> Result<LogWriter> {
        let file = dir.create_new(name, job)?;
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(&encode_header(magic));
        let mut w = LogWriter {
            dir: dir.clone(),
            name: name.to_string(),
            file: Some(file),
            path: dir.file(name),
            written: 0,
            buf,
            failed: false,
        };
        w.flush()?;
        Ok(w)
    }

    /// Frame `payload` as one record into the buffer. No system call is made.
    ///
    /// Fails with [`Error::BatchTooLarge`] if `payload` is longer than [`MAX_RECORD_LEN`], and
    /// with [`Error::Io`] if an earlier write failed.
    pub fn append(&mut self, payload: &[u8]) -> Result<()> {
        self.check_usable()?;
        if payload.len() > MAX_RECORD_LEN {
            return Err(Error::BatchTooLarge {
                len: payload.len(),
                max: MAX_RECORD_LEN,
            });
        }
        let frame = encode_frame(payload);
        self.buf.reserve(RECORD_HEADER_LEN + payload.len());
        self.buf.extend_from_slice(&frame);
        self.buf.extend_from_slice(payload);
        Ok(())
    }

    /// Write everything buffered to the file in one `write_all`. After it returns the records
    /// survive a crash of this process (not of the machine: see [`sync`](Self::sync)).
    pub fn flush(&mut self) -> Result<()> {
        self.check_usable()?;
        if self.buf.is_empty() {
            return Ok(());
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                // Released after the last write: reopen to append (the ancestor's first stage
                // opened, appended to and closed its log for every write).
                let f = self.dir.open_append(&self.name)?;
                self.file.insert(f)
            }
        };
        if let Err(e) = file.write_all(&self.buf) {
            self.failed = true;
            return Err(e).ctx(&self.path);
        }
        self.written += self.buf.len() as u64;
        self.buf.clear();
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf.shrink_to(KEEP_CAPACITY);
        }
        Ok(())
    }

    /// [`flush`](Self::flush), then `sync_data`: the records survive a crash of the machine.
    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        let synced = match &mut self.file {
            Some(f) => f.sync_data(),
            // Released right after a flush: reopen to sync what was written.
            None => self
                .dir
                .fs()
                .open_append(&self.path)
                .and_then(|mut f| f.sync_data()),
        };
        if let Err(e) = synced {
            // After a failed fsync the kernel may have dropped the dirty pages; nothing written
            // since the last successful sync can be trusted.
            self.failed = true;
            return Err(e).ctx(&self.path);
        }
        Ok(())
    }

    /// Flush, then close the file; the next flush reopens it in append mode. One
    /// open/append/close per write is what a log without a long-lived handle costs.
    pub fn release(&mut self) -> Result<()> {
        self.flush()?;
        self.file = None;
        Ok(())
    }

    /// Length of the file in bytes, counting records still in the buffer.
    pub fn len(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    /// Bytes framed but not yet flushed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Error out if an earlier write or sync failed.
    fn check_usable(&self) -> Result<()> {
        if self.failed {
            return Err(io::Error::other(
                "an earlier write or sync of this log failed; the log must be abandoned",
            ))
            .ctx(&self.path);
        }
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        if !self.failed && !self.buf.is_empty() {
            let _ = self.flush();
        }
    }
}

impl fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogWriter")
            .field("path", &self.path)
            .field("len", &self.len())
            .field("buffered", &self.buf.len())
            .field("failed", &self.failed)
            .finish()
    }
}
