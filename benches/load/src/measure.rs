//! What a cell measures besides its requests: latency histograms (nanoseconds, reported in
//! microseconds), a process's resident set and CPU time from `/proc`, and the progress bar a
//! cell shows while it runs.

use anyhow::{Context, Result};
use ferrolite_bench_format::load::Latency;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

/// The slowest latency a histogram holds exactly (slower ones are clamped to it and still
/// counted): 5 minutes, far beyond any request timeout.
const MAX_NS: u64 = 300_000_000_000;

/// An empty latency histogram: 1 ns to 5 minutes, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts (low >= 1, high >= 2 * low, sigfig 3).
    Histogram::new_with_bounds(1, MAX_NS, 3).unwrap_or_else(|_| unreachable!())
}

/// Record `d` in `h` (clamped to the histogram's range).
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    let ns = u64::try_from(d.as_nanos())
        .unwrap_or(MAX_NS)
        .clamp(1, MAX_NS);
    h.saturating_record(ns);
}

/// The percentiles of `h` in microseconds (zeros when it is empty).
pub fn latency(h: &Histogram<u64>) -> Latency {
    if h.is_empty() {
        return Latency::default();
    }
    let us = |ns: u64| ns as f64 / 1e3;
    Latency {
        p50: us(h.value_at_quantile(0.50)),
        p99: us(h.value_at_quantile(0.99)),
        p999: us(h.value_at_quantile(0.999)),
        max: us(h.max()),
        mean: h.mean() / 1e3,
    }
}

/// A process: `self` or a pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proc {
    /// This process.
    Myself,
    /// Another process.
    Pid(u32),
}

impl Proc {
    fn dir(self) -> String {
        match self {
            Proc::Myself => "/proc/self".into(),
            Proc::Pid(p) => format!("/proc/{p}"),
        }
    }

    /// `VmRSS` from `/proc/<pid>/status`, in bytes.
    pub fn rss_bytes(self) -> Result<u64> {
        let path = format!("{}/status", self.dir());
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        parse_vm_rss(&text).with_context(|| format!("no VmRSS line in {path}"))
    }

    /// User plus system CPU time from `/proc/<pid>/stat`, in seconds.
    pub fn cpu_seconds(self) -> Result<f64> {
        let path = format!("{}/stat", self.dir());
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let ticks = parse_cpu_ticks(&text).with_context(|| format!("cannot parse {path}"))?;
        Ok(ticks as f64 / clock_ticks_per_second())
    }
}

/// The `VmRSS:` line of a `status` file, in bytes.
pub fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut parts = line["VmRSS:".len()..].split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | None => Some(n * 1024),
        Some(_) => None,
    }
}

/// `utime + stime` (fields 14 and 15) of a `stat` file, in clock ticks. The command name
/// (field 2) may hold spaces and parentheses, so fields are counted after its last `)`.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (the state): utime is field 14, index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value; it has no memory effects.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// Bytes in MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1u32 << 20)
}

/// A spinner for a cell: its label, the time, the requests done so far.
pub fn cell_bar(label: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    let style =
        ProgressStyle::with_template("{spinner} {prefix:<28} {elapsed:>4} {pos:>9} req {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    pb.set_style(style);
    pb.set_prefix(label.to_string());
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_in_microseconds() {
        let mut h = histogram();
        for us in 1..=1000u64 {
            record(&mut h, Duration::from_micros(us));
        }
        let l = latency(&h);
        assert!((l.p50 - 500.0).abs() < 1.0, "{l:?}");
        assert!((l.p99 - 990.0).abs() < 1.0, "{l:?}");
        assert!((l.max - 1000.0).abs() < 1.0, "{l:?}");
        assert_eq!(latency(&histogram()), Latency::default());
        record(&mut h, Duration::from_secs(3600));
        assert_eq!(h.len(), 1001, "an out-of-range latency is still counted");
    }

    #[test]
    fn proc_files_parse() {
        assert_eq!(
            parse_vm_rss("Name:\tx\nVmRSS:\t   2048 kB\nVmSwap: 0 kB\n"),
            Some(2048 * 1024)
        );
        assert_eq!(parse_vm_rss("Name: x\n"), None);
        let stat = "123 (a (weird) name) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        assert_eq!(parse_cpu_ticks("garbage"), None);
        assert!(Proc::Myself.rss_bytes().unwrap() > 0);
        assert!(Proc::Myself.cpu_seconds().unwrap() >= 0.0);
    }
}
