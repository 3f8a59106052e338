//! One benchmark thread's bookkeeping: an HDR histogram per operation type (the time since the
//! thread's previous operation ended, as db_bench measures), found and looked-up counts, and
//! its share of the progress bar.

use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use std::time::Instant;

/// Largest latency the histograms hold (100 s in ns); longer ones are recorded as this.
const MAX_LATENCY_NS: u64 = 100_000_000_000;

/// Operations between two progress-bar updates of one thread.
const PROGRESS_EVERY: u64 = 1024;

/// The kinds of operation latencies are kept for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OpKind {
    Put,
    Get,
    Delete,
    Seek,
    Next,
    Read,
    Update,
    Insert,
    Scan,
    Rmw,
}

impl OpKind {
    pub(super) const COUNT: usize = 10;
    pub(super) const NAMES: [&'static str; OpKind::COUNT] = [
        "put", "get", "delete", "seek", "next", "read", "update", "insert", "scan", "rmw",
    ];
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3).expect("valid histogram bounds")
}

/// One thread's tallies.
pub(super) struct Worker {
    pub(super) ops: u64,
    pub(super) bytes: u64,
    /// Point reads (or seeks) done, and how many found their key.
    pub(super) looked: u64,
    pub(super) found: u64,
    pub(super) hists: [Option<Histogram<u64>>; OpKind::COUNT],
    /// When the thread started its operations, and when it ended them.
    pub(super) begin: Instant,
    pub(super) end: Instant,
    /// When the thread's previous operation ended.
    pub(super) last: Instant,
    pub(super) unreported: u64,
    pub(super) bar: Option<ProgressBar>,
}

impl Worker {
    pub(super) fn new(bar: Option<ProgressBar>) -> Self {
        let now = Instant::now();
        Worker {
            ops: 0,
            bytes: 0,
            looked: 0,
            found: 0,
            hists: Default::default(),
            begin: now,
            end: now,
            last: now,
            unreported: 0,
            bar,
        }
    }

    /// An operation of `kind` ended now.
    #[inline]
    pub(super) fn done(&mut self, kind: OpKind) {
        let now = Instant::now();
        let ns = now.duration_since(self.last).as_nanos() as u64;
        self.last = now;
        self.hists[kind as usize]
            .get_or_insert_with(new_histogram)
            .saturating_record(ns.clamp(1, MAX_LATENCY_NS));
        self.ops += 1;
        self.unreported += 1;
        if self.unreported == PROGRESS_EVERY {
            if let Some(bar) = &self.bar {
                bar.inc(PROGRESS_EVERY);
            }
            self.unreported = 0;
        }
    }

    pub(super) fn finish(&mut self) {
        self.end = Instant::now();
        if let Some(bar) = &self.bar {
            bar.inc(self.unreported);
        }
        self.unreported = 0;
    }
}
