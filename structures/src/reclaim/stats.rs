//! Striped reclamation and length counters.
//!
//! One shared counter updated by every insert and remove would make every thread write the
//! same cache line; the counters are striped by thread index instead (each stripe on its own
//! cache line, `Relaxed` increments: nothing is published through them). Readers sum the
//! stripes: exact at rest, approximate while updates run, as [`crate::ConcurrentMap::len`]
//! documents.

use crate::map::ReclaimStats;
use crate::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use crossbeam_utils::CachePadded;

/// Whether a retired object is a skip list node or a value box (counted apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Node,
    Value,
}

const STRIPES: usize = if crate::sync::SMALL_MODEL { 2 } else { 16 };
/// Peak sampling period, in retirements per stripe and kind (1: exact, in small models).
const PEAK_SAMPLE: u64 = if crate::sync::SMALL_MODEL { 1 } else { 16 };

#[derive(Default)]
struct Stripe {
    len: AtomicI64,
    nodes_retired: AtomicU64,
    nodes_freed: AtomicU64,
    values_retired: AtomicU64,
    values_freed: AtomicU64,
}

/// A map's counters: length and reclamation.
pub(crate) struct Counters {
    stripes: Box<[CachePadded<Stripe>]>,
    peak: AtomicU64,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES)
                .map(|_| CachePadded::new(Stripe::default()))
                .collect(),
            peak: AtomicU64::new(0),
        }
    }
}

impl Counters {
    #[inline]
    fn stripe(&self) -> &Stripe {
        let i = crate::thread_id::current().unwrap_or(0) % STRIPES;
        &self.stripes[i]
    }

    /// One more (`+1`) or one fewer (`-1`) entry.
    #[inline]
    pub(crate) fn add_len(&self, delta: i64) {
        self.stripe().len.fetch_add(delta, Ordering::Relaxed);
    }

    /// The entry count (sum of the stripes; never negative).
    pub(crate) fn len(&self) -> usize {
        let sum: i64 = self
            .stripes
            .iter()
            .map(|s| s.len.load(Ordering::Relaxed))
            .sum();
        sum.max(0) as usize
    }

    /// `n` objects of `kind` retired; samples the peak of retired-but-unfreed objects on every
    /// `PEAK_SAMPLE`-th retirement of a stripe (summing every stripe on each retirement would
    /// cost more than the retirement itself).
    #[inline]
    pub(crate) fn retired(&self, kind: Kind, n: u64) {
        let s = self.stripe();
        let before = match kind {
            Kind::Node => s.nodes_retired.fetch_add(n, Ordering::Relaxed),
            Kind::Value => s.values_retired.fetch_add(n, Ordering::Relaxed),
        };
        if before.is_multiple_of(PEAK_SAMPLE) {
            self.sample_peak();
        }
    }

    /// Fold the current retired-but-unfreed count into the peak.
    pub(crate) fn sample_peak(&self) {
        let now = self.snapshot().unreclaimed();
        if now > self.peak.load(Ordering::Relaxed) {
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
    }

    /// `n` objects of `kind` freed.
    #[inline]
    pub(crate) fn freed(&self, kind: Kind, n: u64) {
        let s = self.stripe();
        match kind {
            Kind::Node => s.nodes_freed.fetch_add(n, Ordering::Relaxed),
            Kind::Value => s.values_freed.fetch_add(n, Ordering::Relaxed),
        };
    }

    /// Retired minus freed objects of `kind` (for teardown accounting).
    pub(crate) fn outstanding(&self, kind: Kind) -> u64 {
        let s = self.snapshot();
        match kind {
            Kind::Node => s.nodes_retired.saturating_sub(s.nodes_freed),
            Kind::Value => s.values_retired.saturating_sub(s.values_freed),
        }
    }

    /// A summed snapshot.
    pub(crate) fn snapshot(&self) -> ReclaimStats {
        let mut r = ReclaimStats::default();
        for s in self.stripes.iter() {
            r.nodes_retired += s.nodes_retired.load(Ordering::Relaxed);
            r.nodes_freed += s.nodes_freed.load(Ordering::Relaxed);
            r.values_retired += s.values_retired.load(Ordering::Relaxed);
            r.values_freed += s.values_freed.load(Ordering::Relaxed);
        }
        r.peak_unreclaimed = self.peak.load(Ordering::Relaxed);
        r
    }
}
