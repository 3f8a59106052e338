//! [`Control`]: the database's life cycle and its background schedule, and the one condition
//! variable every wait in the engine sleeps on.
//!
//! - **Open or closed.** `close` (or dropping the `Db`) sets `closed`; every later operation
//!   is [`Error::Closed`]. A flag read on every operation, so an atomic.
//! - **Healthy or failed.** A WAL or manifest write that failed, or a failed background job,
//!   makes the database refuse writes ([`Error::Background`] with the first reason) until it
//!   is reopened; reads go on. The reason sits behind a mutex, with an atomic flag so that the
//!   healthy case costs one load per write.
//! - **Which background job runs.** At most one flush and one compaction at a time
//!   ([`Jobs`]), and the compaction's round-robin pointers; `closing` tells jobs to stop after
//!   their current step.
//!
//! Writers stalled by flow control, idle workers, a `flush()` waiting for a running flush and
//! `close` waiting for jobs all sleep on [`Control::changed`]; whoever changes what they wait
//! for — a finished job, a frozen memtable, a failure, a close — calls [`Control::notify`].

use crate::error::{Error, Result};
use bytes::Bytes;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Lock a mutex, ignoring poisoning: every critical section of the engine leaves its data
/// consistent before doing anything that can panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The background schedule, under [`Control`]'s mutex.
#[derive(Debug)]
pub(crate) struct Jobs {
    /// A flush is running.
    pub flushing: bool,
    /// A compaction is running.
    pub compacting: bool,
    /// The database is closing: jobs stop after their current step.
    pub closing: bool,
    /// Per level, the largest key of the last table compacted from it (round-robin picking).
    pub compact_pointer: Vec<Option<Bytes>>,
}

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct Control {
    closed: AtomicBool,
    /// Why the database refuses writes, once it does.
    failed: Mutex<Option<String>>,
    /// `failed.is_some()`, readable without the lock: checked on every write.
    has_failed: AtomicBool,
    jobs: Mutex<Jobs>,
    changed: Condvar,
}

impl Control {
    /// A healthy, open database with `levels` levels and no job running.
    pub(crate) fn new(levels: usize) -> Control {
        Control {
            closed: AtomicBool::new(false),
            failed: Mutex::new(None),
            has_failed: AtomicBool::new(false),
            jobs: Mutex::new(Jobs {
                flushing: false,
                compacting: false,
                closing: false,
                compact_pointer: vec![None; levels],
            }),
            changed: Condvar::new(),
        }
    }

    /// [`Error::Closed`] once the database is closed.
    pub(crate) fn check_open(&self) -> Result<()> {
        // Acquire pairs with the Release in `close`: a thread that sees `closed` sees the
        // shutdown that preceded it.
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// [`Error::Closed`], or [`Error::Background`] once writes are refused.
    pub(crate) fn check_writable(&self) -> Result<()> {
        self.check_open()?;
        // Acquire pairs with the Release in `fail`: the reason is set before the flag.
        if !self.has_failed.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some(why) = lock(&self.failed).as_ref() {
            return Err(Error::Background(why.clone()));
        }
        Ok(())
    }

    /// Whether writes are refused.
    pub(crate) fn has_failed(&self) -> bool {
        self.has_failed.load(Ordering::Acquire)
    }

    /// Refuse writes from now on (the first reason is kept) and wake every waiter.
    pub(crate) fn fail(&self, err: &Error) {
        tracing::error!(error = %err, "database is now read-only until reopened");
        let mut failed = lock(&self.failed);
        if failed.is_none() {
            *failed = Some(err.to_string());
        }
        self.has_failed.store(true, Ordering::Release);
        drop(failed);
        self.notify();
    }

    /// Mark the database closed; `false` if it already was.
    pub(crate) fn close(&self) -> bool {
        !self.closed.swap(true, Ordering::AcqRel)
    }

    /// The background schedule.
    pub(crate) fn jobs(&self) -> MutexGuard<'_, Jobs> {
        lock(&self.jobs)
    }

    /// Sleep until notified or `timeout` passed (the caller re-checks what it waits for).
    pub(crate) fn wait<'a>(
        &self,
        jobs: MutexGuard<'a, Jobs>,
        timeout: Duration,
    ) -> MutexGuard<'a, Jobs> {
        self.changed
            .wait_timeout(jobs, timeout)
            .unwrap_or_else(|e| e.into_inner())
            .0
    }

    /// Wake every waiter: something it may wait for changed.
    pub(crate) fn notify(&self) {
        self.changed.notify_all();
    }
}
