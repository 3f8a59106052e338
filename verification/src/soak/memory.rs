//! The memory check: the bound on RSS growth derived from the options (what the engine and the
//! checker may legitimately hold, independent of the data written) and the sampler thread that
//! reads `VmRSS` every 50 ms during a run.

use super::config::{KEYS_PER_THREAD, MAX_BATCH, MAX_HELD, MAX_VALUE, RSS_SLACK_KIB, THREADS};
use ferrolite::{MapKind, Options};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The bound on RSS growth for `opts`, in KiB: what the engine may legitimately hold in memory
/// — the active and frozen memtables (×4 for the maps' node overhead, plus the partly used
/// arena chunks of the `noreclaim` map), the block cache and the
/// recent-writes map (×2 for their own bookkeeping) — plus the checker's own state (per thread
/// the live model, `MAX_HELD` snapshot copies and the versions seen of the other threads'
/// keys, 64 B an entry), the values in flight (a batch of the largest values per thread,
/// twice: encoded, and in the WAL record) and [`RSS_SLACK_KIB`]. It does not grow with the
/// bytes written or the time run.
pub fn rss_bound_kib(opts: &Options) -> u64 {
    let in_memory = opts.max_immutable_memtables as u64 + 1;
    let mut memtables = opts.memtable_size as u64 * in_memory * 4;
    if opts.memtable == MapKind::NoReclaim {
        // Its nodes live in per-thread bump arenas of 256 KiB chunks: one partly used chunk
        // per memtable and thread that inserted (any writer may lead a commit group).
        memtables += in_memory * (THREADS + opts.background_threads) as u64 * (256 << 10);
    }
    let cache = opts.block_cache_bytes * 2;
    let index = opts.recent_writes_bytes * 2;
    let keys = u64::from(KEYS_PER_THREAD);
    let checker = THREADS as u64 * keys * (MAX_HELD as u64 + 1 + THREADS as u64 - 1) * 64;
    let in_flight = THREADS as u64 * MAX_BATCH as u64 * u64::from(MAX_VALUE) * 2;
    (memtables + cache + index + checker + in_flight) / 1024 + RSS_SLACK_KIB
}

/// The process's resident set size in KiB (`VmRSS`), if `/proc/self/status` says.
pub fn read_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line["VmRSS:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

pub(super) struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    samples: Arc<AtomicU64>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    pub(super) fn start(baseline: u64) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(baseline));
        let samples = Arc::new(AtomicU64::new(0));
        let (s, p, n) = (stop.clone(), peak.clone(), samples.clone());
        let handle = std::thread::Builder::new()
            .name("soak-rss".into())
            .spawn(move || loop {
                if let Some(rss) = read_rss_kib() {
                    p.fetch_max(rss, Ordering::Relaxed);
                    n.fetch_add(1, Ordering::Relaxed);
                }
                if s.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            })
            .ok();
        Sampler {
            stop,
            peak,
            samples,
            handle,
        }
    }

    /// Stop and return (peak KiB, samples).
    pub(super) fn finish(mut self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        (
            self.peak.load(Ordering::Relaxed),
            self.samples.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soak::options;

    #[test]
    fn rss_is_readable_and_the_bound_does_not_scale_with_data() {
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(read_rss_kib().is_some_and(|k| k > 0));
        }
        let b = rss_bound_kib(&options(MapKind::Epoch, 0));
        assert!(b > RSS_SLACK_KIB && b < 256 << 10, "bound {b} KiB");
    }
}
