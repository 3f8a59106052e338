//! One benchmark's result ([`Outcome`]: operations, wall time, bytes, a note, merged latency
//! histograms) and its db_bench-style rendering: the `micros/op ops/sec MB/s` line and the
//! percentile rows.

use super::benchmark::Benchmark;
use hdrhistogram::Histogram;

/// One benchmark's result.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The benchmark.
    pub benchmark: Benchmark,
    /// Threads whose operations are counted.
    pub threads: usize,
    /// Operations done.
    pub ops: u64,
    /// Wall time, seconds.
    pub secs: f64,
    /// Key and value bytes read or written.
    pub bytes: u64,
    /// Found counts and the like.
    pub note: String,
    /// Latency histograms (ns) per operation type, in a fixed order, non-empty ones only.
    pub latencies: Vec<(&'static str, Histogram<u64>)>,
}

/// The percentiles `--histogram` prints.
pub const PERCENTILES: [f64; 5] = [50.0, 75.0, 99.0, 99.9, 99.99];

impl Outcome {
    /// Operations per second of wall time.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.secs
    }

    /// db_bench's micros/op: threads × wall time / operations.
    pub fn micros_per_op(&self) -> f64 {
        self.threads as f64 * self.secs * 1e6 / self.ops.max(1) as f64
    }

    /// Bytes per second of wall time, in MB (10⁶ bytes; db_bench divides by 2²⁰).
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / self.secs / 1e6
    }

    /// Every operation's latency in one histogram (ns).
    pub fn all_latencies(&self) -> Option<Histogram<u64>> {
        let mut it = self.latencies.iter();
        let mut all = it.next()?.1.clone();
        for (_, h) in it {
            all.add(h).expect("same bounds");
        }
        Some(all)
    }

    /// The db_bench result line:
    /// `fillrandom   :       3.456 micros/op 289300 ops/sec;   33.1 MB/s (note)`.
    pub fn db_bench_line(&self) -> String {
        let mut s = format!(
            "{:<12} : {:>11.3} micros/op {:.0} ops/sec;",
            self.benchmark.name(),
            self.micros_per_op(),
            self.ops_per_sec()
        );
        if self.bytes > 0 {
            s.push_str(&format!(" {:>6.1} MB/s", self.mb_per_sec()));
        }
        if !self.note.is_empty() {
            s.push_str(&format!(" ({})", self.note));
        }
        s
    }

    /// Rows of `op, count, p50, p75, p99, p99.9, p99.99, max` in µs: one per operation type,
    /// and an `all` row when there are several.
    pub fn histogram_rows(&self) -> Vec<Vec<String>> {
        let row = |name: &str, h: &Histogram<u64>| {
            let mut r = vec![name.to_string(), h.len().to_string()];
            r.extend(
                PERCENTILES
                    .iter()
                    .map(|&p| micros(h.value_at_percentile(p))),
            );
            r.push(micros(h.max()));
            r
        };
        let mut rows: Vec<Vec<String>> = self.latencies.iter().map(|(n, h)| row(n, h)).collect();
        if self.latencies.len() > 1 {
            if let Some(all) = self.all_latencies() {
                rows.push(row("all", &all));
            }
        }
        rows
    }
}

/// Nanoseconds as microseconds with a sensible number of decimals.
pub fn micros(ns: u64) -> String {
    let us = ns as f64 / 1e3;
    if us < 10.0 {
        format!("{us:.2}")
    } else if us < 1000.0 {
        format!("{us:.1}")
    } else {
        format!("{us:.0}")
    }
}
