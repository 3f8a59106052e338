//! The background worker threads: each round a worker takes the most urgent job.
//!
//! Workers sleep on [`Control`]'s condition variable. Each round a worker takes the most
//! urgent job: flushing the oldest frozen memtable, else one compaction. At most one flush and
//! one compaction run at a time, so with two workers a flush can run while a long compaction
//! does. Idle workers also hand an old WAL buffer to the OS under `SyncPolicy::Buffered`
//! ([`Committer::flush_buffered_wal`]). A failed job makes the database read-only and stops
//! the worker; `close` stops them all after their current step.

use crate::background::{Compactor, Flusher};
use crate::commit::Committer;
use crate::control::Control;
use crate::error::IoContext;
use crate::options::SyncPolicy;
use crate::{Error, Result};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A worker re-checks for work at least this often.
const IDLE_WAIT: Duration = Duration::from_millis(200);

enum Job {
    Flush,
    Compact,
}

/// What a worker works with.
#[derive(Clone)]
pub(crate) struct Workers {
    pub(crate) control: Arc<Control>,
    pub(crate) committer: Arc<Committer>,
    pub(crate) flusher: Arc<Flusher>,
    pub(crate) compactor: Arc<Compactor>,
}

impl Workers {
    /// Start `n` worker threads.
    pub(crate) fn spawn(&self, n: usize) -> Result<Vec<JoinHandle<()>>> {
        (0..n)
            .map(|i| {
                let w = self.clone();
                std::thread::Builder::new()
                    .name(format!("ferrolite-bg-{i}"))
                    .spawn(move || w.run())
                    .ctx("<background worker thread>")
            })
            .collect()
    }

    /// The body of a worker thread.
    fn run(&self) {
        let wait = match self.committer.sync_policy() {
            SyncPolicy::Buffered { max_delay } => max_delay.min(IDLE_WAIT),
            _ => IDLE_WAIT,
        };
        loop {
            let job = {
                let mut jobs = self.control.jobs();
                loop {
                    if jobs.closing || self.control.has_failed() {
                        return;
                    }
                    let sv = self.flusher.tables.current();
                    if !sv.imm.is_empty() && !jobs.flushing {
                        break Job::Flush;
                    }
                    if !jobs.compacting && self.compactor.is_due(&sv.version, &jobs.compact_pointer)
                    {
                        break Job::Compact;
                    }
                    drop(sv);
                    jobs = self.control.wait(jobs, wait);
                    drop(jobs);
                    if let Err(e) = self.committer.flush_buffered_wal() {
                        self.control.fail(&e);
                        return;
                    }
                    jobs = self.control.jobs();
                }
            };
            let result = match job {
                Job::Flush => self.flusher.flush_oldest(false).map(drop),
                Job::Compact => self.compactor.compact_once().map(drop),
            };
            match result {
                Err(Error::Closed) => return,
                Err(e) => {
                    self.control.fail(&e);
                    return;
                }
                Ok(()) => {}
            }
        }
    }
}
