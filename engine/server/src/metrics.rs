//! The server's own counters — requests by face, operation and outcome, and a latency
//! histogram per face and operation — and the Prometheus text exposition of them with the
//! engine's [`ferrolite::DbStats`].
//!
//! Every cell is a `Relaxed` atomic in a fixed array indexed by (face, operation, code): no
//! lock and no allocation on the request path. Each counter is an independent tally; a
//! scrape that reads a count and a histogram a moment apart may disagree by the requests in
//! between, as with any Prometheus client.

use ferrolite::DbStats;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which face a request came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    /// gRPC (tonic).
    Grpc,
    /// REST (axum).
    Rest,
}

impl Face {
    const ALL: [Face; 2] = [Face::Grpc, Face::Rest];

    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            Face::Grpc => "grpc",
            Face::Rest => "rest",
        }
    }
}

/// The operations counted (the same on both faces).
pub const OPS: [&str; 12] = [
    "get",
    "put",
    "delete",
    "batch",
    "scan",
    "sql",
    "watch",
    "health",
    "stats",
    "metrics",
    "reflection",
    "other",
];

/// The outcomes counted: gRPC code names.
pub const CODES: [&str; 13] = [
    "OK",
    "INVALID_ARGUMENT",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "UNAUTHENTICATED",
    "UNAVAILABLE",
    "INTERNAL",
    "UNKNOWN",
];

/// Upper bounds of the latency buckets, in microseconds (the last bucket is +Inf).
pub const BUCKETS_MICROS: [u64; 16] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 10_000_000,
];

const NB: usize = BUCKETS_MICROS.len() + 1;

#[derive(Default)]
struct Latency {
    buckets: [AtomicU64; NB],
    sum_micros: AtomicU64,
}

/// The server's counters.
pub struct Metrics {
    requests: Vec<AtomicU64>,
    latency: Vec<Latency>,
    started: std::time::Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: (0..Face::ALL.len() * OPS.len() * CODES.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            latency: (0..Face::ALL.len() * OPS.len())
                .map(|_| Latency::default())
                .collect(),
            started: std::time::Instant::now(),
        }
    }
}

/// The index of an operation's name (unknown names count as `other`).
pub fn op_index(op: &str) -> usize {
    OPS.iter().position(|o| *o == op).unwrap_or(OPS.len() - 1)
}

/// The index of a code's name (unknown names count as `UNKNOWN`).
pub fn code_index(code: &str) -> usize {
    CODES
        .iter()
        .position(|c| *c == code)
        .unwrap_or(CODES.len() - 1)
}

impl Metrics {
    /// Count one finished request.
    pub fn record(&self, face: Face, op: &str, code: &str, elapsed: Duration) {
        let f = face as usize;
        let o = op_index(op);
        let c = code_index(code);
        self.requests[(f * OPS.len() + o) * CODES.len() + c].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let lat = &self.latency[f * OPS.len() + o];
        let b = BUCKETS_MICROS
            .iter()
            .position(|&le| micros <= le)
            .unwrap_or(NB - 1);
        lat.buckets[b].fetch_add(1, Ordering::Relaxed);
        lat.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Seconds since the server started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Requests counted so far as (face, op, code, count), zero cells left out.
    pub fn requests(&self) -> Vec<(&'static str, &'static str, &'static str, u64)> {
        let mut out = Vec::new();
        for (fi, f) in Face::ALL.iter().enumerate() {
            for (oi, o) in OPS.iter().enumerate() {
                for (ci, c) in CODES.iter().enumerate() {
                    let n = self.requests[(fi * OPS.len() + oi) * CODES.len() + ci]
                        .load(Ordering::Relaxed);
                    if n > 0 {
                        out.push((f.name(), *o, *c, n));
                    }
                }
            }
        }
        out
    }

    /// The Prometheus text exposition (format 0.0.4) of the server's and the engine's numbers.
    pub fn prometheus(&self, stats: &DbStats, open_streams: usize) -> String {
        let mut out = String::new();
        for (name, help, value) in stats.counters() {
            let n = family(
                &mut out,
                &format!("ferrolite_engine_{name}_total"),
                "counter",
                help,
            );
            let _ = writeln!(out, "{n} {value}");
        }
        let gauges: [(&str, &str, f64); 9] = [
            (
                "last_seq",
                "Last sequence number visible to readers.",
                stats.last_seq as f64,
            ),
            (
                "memtable_bytes",
                "Bytes in the active memtable (approximate).",
                stats.memtable_bytes as f64,
            ),
            (
                "immutable_memtables",
                "Frozen memtables waiting for flush.",
                stats.immutable_memtables as f64,
            ),
            (
                "cache_blocks",
                "Blocks in the block cache.",
                stats.cache_blocks as f64,
            ),
            (
                "cache_bytes",
                "Bytes of the blocks in the block cache.",
                stats.cache_bytes as f64,
            ),
            (
                "feed_subscribers",
                "Live change-feed subscriptions.",
                stats.feed_subscribers as f64,
            ),
            (
                "write_amplification",
                "(WAL + flush + compaction bytes) / user bytes.",
                stats.write_amplification(),
            ),
            (
                "stall_seconds",
                "Total time writers spent delayed or stopped.",
                stats.stall_time().as_secs_f64(),
            ),
            (
                "recent_writes_keys",
                "Keys held by the recent-writes map.",
                stats.recent_writes_keys as f64,
            ),
        ];
        for (name, help, value) in gauges {
            let n = family(&mut out, &format!("ferrolite_engine_{name}"), "gauge", help);
            let _ = writeln!(out, "{n} {value}");
        }
        for (name, help, values) in [
            (
                "tables",
                "Tables per level.",
                stats
                    .files_per_level
                    .iter()
                    .map(|&v| v as u64)
                    .collect::<Vec<_>>(),
            ),
            (
                "level_bytes",
                "Bytes per level.",
                stats.bytes_per_level.clone(),
            ),
        ] {
            let n = family(&mut out, &format!("ferrolite_engine_{name}"), "gauge", help);
            for (level, v) in values.iter().enumerate() {
                let _ = writeln!(out, "{n}{{level=\"{level}\"}} {v}");
            }
        }
        for (name, value) in [
            ("cache_hits", stats.cache_hits),
            ("cache_misses", stats.cache_misses),
        ] {
            let n = family(
                &mut out,
                &format!("ferrolite_engine_{name}_total"),
                "counter",
                "Block cache lookups by outcome.",
            );
            let _ = writeln!(out, "{n} {value}");
        }
        let n = family(
            &mut out,
            "ferrolite_engine_memtable_info",
            "gauge",
            "The memtable structure (always 1).",
        );
        let _ = writeln!(out, "{n}{{memtable=\"{}\"}} 1", stats.memtable);

        let n = family(
            &mut out,
            "ferrolite_server_requests_total",
            "counter",
            "Requests finished, by face, operation and gRPC code.",
        );
        for (f, o, c, v) in self.requests() {
            let _ = writeln!(out, "{n}{{face=\"{f}\",op=\"{o}\",code=\"{c}\"}} {v}");
        }
        let n = family(
            &mut out,
            "ferrolite_server_request_seconds",
            "histogram",
            "Request latency (for streams: until the response began), by face and operation.",
        );
        for (fi, f) in Face::ALL.iter().enumerate() {
            for (oi, o) in OPS.iter().enumerate() {
                let lat = &self.latency[fi * OPS.len() + oi];
                let counts: Vec<u64> = lat
                    .buckets
                    .iter()
                    .map(|b| b.load(Ordering::Relaxed))
                    .collect();
                let total: u64 = counts.iter().sum();
                if total == 0 {
                    continue;
                }
                let mut cumulative = 0;
                for (i, c) in counts.iter().enumerate() {
                    cumulative += c;
                    let le = match BUCKETS_MICROS.get(i) {
                        Some(m) => format!("{}", *m as f64 / 1e6),
                        None => "+Inf".to_string(),
                    };
                    let _ = writeln!(
                        out,
                        "{n}_bucket{{face=\"{}\",op=\"{o}\",le=\"{le}\"}} {cumulative}",
                        f.name()
                    );
                }
                let sum = lat.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
                let _ = writeln!(out, "{n}_sum{{face=\"{}\",op=\"{o}\"}} {sum}", f.name());
                let _ = writeln!(out, "{n}_count{{face=\"{}\",op=\"{o}\"}} {total}", f.name());
            }
        }
        let n = family(
            &mut out,
            "ferrolite_server_open_streams",
            "gauge",
            "SQL and watch streams open now.",
        );
        let _ = writeln!(out, "{n} {open_streams}");
        let n = family(
            &mut out,
            "ferrolite_server_uptime_seconds",
            "gauge",
            "Seconds since the server started.",
        );
        let _ = writeln!(out, "{n} {}", self.uptime().as_secs_f64());
        out
    }
}

/// Write a family's HELP and TYPE lines; its name, for the samples.
fn family(out: &mut String, name: &str, kind: &str, help: &str) -> String {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_cells_and_buckets() {
        let m = Metrics::default();
        m.record(Face::Rest, "get", "OK", Duration::from_micros(70));
        m.record(Face::Rest, "get", "OK", Duration::from_micros(70));
        m.record(
            Face::Grpc,
            "put",
            "RESOURCE_EXHAUSTED",
            Duration::from_secs(100),
        );
        m.record(Face::Grpc, "nonsense", "WHAT", Duration::ZERO);
        assert_eq!(
            m.requests(),
            vec![
                ("grpc", "put", "RESOURCE_EXHAUSTED", 1),
                ("grpc", "other", "UNKNOWN", 1),
                ("rest", "get", "OK", 2),
            ]
        );
        let text = m.prometheus(&DbStats::default(), 3);
        assert!(
            text.contains(
                "ferrolite_server_request_seconds_bucket{face=\"rest\",op=\"get\",le=\"0.0001\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("ferrolite_server_request_seconds_bucket{face=\"rest\",op=\"get\",le=\"0.00005\"} 0"), "{text}");
        assert!(
            text.contains(
                "ferrolite_server_request_seconds_bucket{face=\"grpc\",op=\"put\",le=\"+Inf\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "ferrolite_server_requests_total{face=\"rest\",op=\"get\",code=\"OK\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("ferrolite_server_open_streams 3"));
        assert!(text.contains("# TYPE ferrolite_engine_writes_total counter"));
        // Every sample line belongs to the family declared last before it.
        let mut current = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                current = rest.split(' ').next().unwrap().to_string();
            } else if !line.starts_with('#') {
                assert!(
                    line.starts_with(&current),
                    "{line} outside its family {current}"
                );
            }
        }
    }
}
