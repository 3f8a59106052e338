//! `load.md` — what ran, the server's throughput and latencies per face × workload × clients,
//! the in-process reference, the ratios (the cost of the network face), the soak's RSS and its
//! verdict, the rerun command and the machine — and the summary table `loadgen` prints.

use ferrolite_bench_format::load::{LoadCell, LoadReport, IN_PROCESS};
use std::fmt::Write as _;

/// A count with thousands separators: `1,234,567`.
pub fn thousands(v: f64) -> String {
    let n = v.round().max(0.0) as u64;
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Microseconds: one decimal below 100, whole above.
pub fn us(v: f64) -> String {
    if v < 100.0 {
        format!("{v:.1}")
    } else {
        thousands(v)
    }
}

/// The sentence on noise: the cores, and how far the repeated cell landed from its first run.
pub fn noise(r: &LoadReport) -> String {
    let mut s = format!(
        "A {}-core machine shared by the server, the load generator (and anything else running) \
         is noisy: their threads compete for the same cores, and a cell's throughput moves with \
         whatever else the machine does.",
        r.cores
    );
    let first = r.repeat.as_ref().and_then(|rep| {
        let c = r.cell(&rep.face, &rep.workload, rep.clients)?;
        Some((rep, c))
    });
    if let Some((rep, c)) = first.filter(|(_, c)| c.throughput > 0.0) {
        let _ = write!(
            s,
            " Here the first cell ({} {} ×{}), run again after the server's other cells, gave \
             {} req/s against {} the first time ({:+.0} %): read smaller differences between \
             cells as noise.",
            rep.face,
            rep.workload,
            rep.clients,
            thousands(rep.throughput),
            thousands(c.throughput),
            (rep.throughput / c.throughput - 1.0) * 100.0
        );
    }
    s
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |x| format!("{x:.digits$}"))
}

/// The columns of a cell's row after the face.
const HEADER: &str = "| workload | clients | req/s | p50 µs | p99 µs | p99.9 µs | max µs | requests | s | server CPU s | loadgen CPU s |";
const RULE: &str = "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

/// A cell's row: with its face for the server's tables, without (and without the server's
/// CPU) for the in-process table.
fn cell_row(c: &LoadCell, face: bool) -> String {
    let l = &c.latency_us;
    let mut row = String::from("|");
    if face {
        let _ = write!(row, " {} |", c.face);
    }
    let _ = write!(
        row,
        " {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
        c.workload,
        c.clients,
        thousands(c.throughput),
        us(l.p50),
        us(l.p99),
        us(l.p999),
        us(l.max),
        thousands(c.requests as f64),
        c.seconds,
    );
    if face {
        let _ = write!(row, " {} |", opt(c.server_cpu_s, 1));
    }
    let _ = write!(row, " {} |", opt(c.client_cpu_s, 1));
    row
}

/// `load.md`. `failure`: why the run stopped early (the report then holds what was measured
/// before).
pub fn markdown(r: &LoadReport, failure: Option<&str>) -> String {
    let s = &r.setup;
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(
        w,
        "# Server load: gRPC and REST over loopback, and the engine in process\n"
    );
    if let Some(f) = failure {
        let _ = writeln!(w, "**FAILED:** {f}\n");
    }
    let _ = writeln!(
        w,
        "Machine: {} ({} logical cores) · {} · commit `{}`\n",
        r.machine, r.cores, r.date, r.commit
    );
    let _ = writeln!(w, "Rerun: `{}`\n", r.command);
    let _ = writeln!(w, "{}\n", noise(r));
    let _ = writeln!(w, "## What ran\n");
    let _ = writeln!(
        w,
        "- **Server:** `ferrolite-server` of this commit, started by the load generator on loopback \
         port 0 (`--memtable {} --sync {} --log-level warn`, a fresh data directory, default \
         limits and engine options: memtable {} MiB, {} frozen memtables, block cache {} MiB), \
         stopped with `SIGTERM` after its cells — its orderly shutdown exited 0. The soak ran \
         on a second, fresh server.",
        s.memtable,
        s.sync,
        s.memtable_bytes >> 20,
        s.max_immutable_memtables,
        s.block_cache_bytes >> 20
    );
    let _ = writeln!(
        w,
        "- **Data:** {} keys (`k` + 10 digits) with {}-byte values, preloaded through the batch \
         endpoint (1,000 puts per batch); table `t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)` \
         with {} rows of {}-byte text, preloaded by scripts of multi-row `INSERT`s.",
        thousands(s.keys as f64),
        s.value_bytes,
        thousands(s.sql_rows as f64),
        s.value_bytes
    );
    let _ = writeln!(
        w,
        "- **Workloads:** `get` (a uniform preloaded key; it must be found with its {} bytes), \
         `put` (a new {}-byte value under a uniform key), `sql` (`SELECT v FROM t WHERE id = ?` \
         with a uniform id as its parameter; exactly one row), `mixed` ({}). Every answer is \
         checked; any failed request fails the run.",
        s.value_bytes, s.value_bytes, s.mix
    );
    let _ = writeln!(
        w,
        "- **Clients:** {}. Closed loop: each client sends its next request when the answer to \
         the last one is in, so the latencies are service times under that load (no coordinated \
         omission correction). The load generator runs on the same machine (a tokio runtime of \
         {} worker threads), so its CPU time — the `loadgen CPU s` column — is taken from the \
         server's.",
        s.connections, s.client_threads
    );
    let _ = writeln!(
        w,
        "- **Bounds:** each cell has {:.2} s of unrecorded warm-up (and a connection's first \
         request is never recorded), then runs until {} s or {} requests, whichever comes first. \
         Latency: from sending the request to the checked answer, recorded in nanoseconds in an \
         HdrHistogram (3 significant digits), shown in µs.",
        s.warmup_seconds,
        s.cell_seconds,
        thousands(s.cell_requests as f64)
    );
    let _ = writeln!(
        w,
        "- **In process:** the same preload, workloads, checks and bounds against `ferrolite::Db` \
         and `ferrolite_sql::Database` over `EngineStorage::new(Arc<Db>)` in the load \
         generator's own process (the server stopped), with the server's options; N OS threads \
         instead of N connections; the point query prepared once per thread \
         (`Database::prepare` + `Session::execute_prepared`) — the server parses the SQL text \
         of every request.\n"
    );

    let _ = writeln!(w, "## Throughput and latency over the server\n");
    let _ = writeln!(w, "| face {HEADER}\n{RULE}");
    for c in &r.cells {
        let _ = writeln!(w, "{}", cell_row(c, true));
    }
    let _ = writeln!(
        w,
        "\nCPU seconds are the server's and the load generator's over the measured window \
         (from `/proc/<pid>/stat`); {} cores give at most {} CPU seconds per second.\n",
        r.cores, r.cores
    );
    if !r.in_process.is_empty() {
        let _ = writeln!(w, "## The engine in process (the reference)\n");
        let _ = writeln!(
            w,
            "| workload | threads | ops/s | p50 µs | p99 µs | p99.9 µs | max µs | ops | s | CPU s |\n\
             |---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for c in &r.in_process {
            let _ = writeln!(w, "{}", cell_row(c, false));
        }
        let _ = writeln!(w);
        ratio_table(w, r);
    }
    soak_section(w, r);
    md
}

/// The ratios: server throughput over each face / in-process throughput.
fn ratio_table(w: &mut String, r: &LoadReport) {
    let faces: Vec<String> = r
        .distinct(|c| c.face.clone())
        .into_iter()
        .filter(|f| f != IN_PROCESS)
        .collect();
    let _ = writeln!(w, "## The cost of the network face\n");
    let _ = writeln!(
        w,
        "The server's throughput over loopback as a fraction of the in-process engine's on the \
         same workload with as many clients as threads (1.00 = no cost; 0.10 = the network face \
         delivers a tenth).\n"
    );
    let mut head = String::from("| workload | clients |");
    let mut rule = String::from("|---|---|");
    for f in &faces {
        let _ = write!(head, " {f} / in-process |");
        rule.push_str("---:|");
    }
    if faces.len() == 2 {
        let _ = write!(head, " {} / {} |", faces[1], faces[0]);
        rule.push_str("---:|");
    }
    let _ = writeln!(w, "{head}\n{rule}");
    for wl in r.distinct(|c| c.workload.clone()) {
        for n in r.distinct(|c| c.clients) {
            if r.cell(IN_PROCESS, &wl, n).is_none() {
                continue;
            }
            let mut row = format!("| {wl} | {n} |");
            for f in &faces {
                let _ = write!(
                    row,
                    " {} |",
                    r.ratio(f, &wl, n).map_or("–".into(), |x| format!("{x:.3}"))
                );
            }
            if faces.len() == 2 {
                let a = r.cell(&faces[0], &wl, n).map(|c| c.throughput);
                let b = r.cell(&faces[1], &wl, n).map(|c| c.throughput);
                let x = a.zip(b).filter(|(a, _)| *a > 0.0).map(|(a, b)| b / a);
                let _ = write!(row, " {} |", opt(x, 2));
            }
            let _ = writeln!(w, "{row}");
        }
    }
    let _ = writeln!(w);
}

fn soak_section(w: &mut String, r: &LoadReport) {
    let Some(s) = &r.soak else {
        return;
    };
    let _ = writeln!(w, "## Soak: both faces at once, RSS sampled every second\n");
    let _ = writeln!(
        w,
        "The mixed workload from {} gRPC and {} REST clients at once for {:.0} s on a fresh \
         server (same preload) started with `--memtable-bytes {}` ({:.0} MiB memtables, so that \
         within the soak memtables fill, freeze, flush and are compacted: {} flushes and {} \
         compactions here) and `--cache-bytes {}` (a block cache it fills); `VmRSS` from `/proc/<pid>/status` and the engine's memtable, cache \
         and counters from `GET /v1/stats` every second.\n",
        s.cells.first().map_or(0, |c| c.clients),
        s.cells.get(1).map_or(0, |c| c.clients),
        s.seconds,
        r.setup.soak_memtable_bytes,
        r.setup.soak_memtable_bytes as f64 / f64::from(1 << 20),
        s.samples.last().map_or(0, |x| x.flushes) - s.samples.first().map_or(0, |x| x.flushes),
        s.samples.last().map_or(0, |x| x.compactions)
            - s.samples.first().map_or(0, |x| x.compactions),
        r.setup.soak_cache_bytes,
    );
    let _ = writeln!(w, "| face {HEADER}\n{RULE}");
    for c in &s.cells {
        let _ = writeln!(w, "{}", cell_row(c, true));
    }
    let _ = writeln!(
        w,
        "\nThe two faces ran at once: each row's CPU seconds are the whole process's over the soak."
    );
    let verdict = if s.bounded {
        "**bounded**"
    } else {
        "**NOT bounded**"
    };
    let _ = writeln!(
        w,
        "\n| RSS | MiB |\n|---|---:|\n| max | {:.1} |\n| median, first window | {:.1} |\n\
         | median, last window | {:.1} |\n| residual (RSS − 2 × the engine's accounted high-water mark), first window | {:.1} |\n\
         | residual, last window | {:.1} |\n",
        s.max_rss_mib,
        s.first_median_mib,
        s.last_median_mib,
        s.first_residual_mib,
        s.last_residual_mib
    );
    if let Some(k) = s.rss_per_accounted {
        let _ = writeln!(
            w,
            "Over the soak the RSS grew {k:.2} MiB per MiB the engine's accounted memory grew \
             (the rule allows 2).\n"
        );
    }
    let _ = writeln!(w, "Verdict: {verdict}. Rule: {}.\n", s.rule);
    let _ = writeln!(
        w,
        "Why this rule: the memtable grows with every put until it is frozen and flushed at \
         its size, frozen memtables wait for their flush, the block cache fills to its \
         capacity, and the allocator keeps freed memory, so the RSS follows the high-water mark \
         of what the engine accounts for — growth its options bound. The memtable's account is \
         an estimate (key + value + 72 bytes per entry); an entry's real footprint (skip-list \
         node, the value's allocation, allocator rounding) is about 1.5× that for these \
         entries, so the rule allows 2×. What must not grow is the residual (a leak per request \
         or per connection would); the 16 MiB slack covers allocator arenas, the blocking \
         pool's threads and connection buffers settling.\n"
    );
    let _ = writeln!(
        w,
        "| t s | RSS MiB | memtable MiB | frozen | cache MiB | flushes | compactions |"
    );
    let _ = writeln!(w, "|---:|---:|---:|---:|---:|---:|---:|");
    let step = (s.samples.len() / 12).max(1);
    for (i, x) in s.samples.iter().enumerate() {
        if i % step == 0 || i + 1 == s.samples.len() {
            let _ = writeln!(
                w,
                "| {:.0} | {:.1} | {:.1} | {} | {:.1} | {} | {} |",
                x.t,
                x.rss_mib,
                x.memtable_mib,
                x.immutable_memtables,
                x.cache_mib,
                x.flushes,
                x.compactions
            );
        }
    }
    let _ = writeln!(
        w,
        "\n(Every {step}th sample; all of them are in `load.json`.)"
    );
}

/// The summary printed at the end: one line per cell, the ratio beside the server's cells.
pub fn summary(r: &LoadReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<11} {:<6} {:>3} {:>11} {:>9} {:>9} {:>9} {:>8}",
        "face", "work", "N", "req/s", "p50 µs", "p99 µs", "p99.9 µs", "/in-proc"
    );
    for c in r.cells.iter().chain(&r.in_process) {
        let ratio = r
            .ratio(&c.face, &c.workload, c.clients)
            .filter(|_| c.face != IN_PROCESS)
            .map_or(String::new(), |x| format!("{x:.3}"));
        let l = &c.latency_us;
        let _ = writeln!(
            out,
            "{:<11} {:<6} {:>3} {:>11} {:>9} {:>9} {:>9} {:>8}",
            c.face,
            c.workload,
            c.clients,
            thousands(c.throughput),
            us(l.p50),
            us(l.p99),
            us(l.p999),
            ratio
        );
    }
    if let Some(s) = &r.soak {
        let _ = writeln!(
            out,
            "soak {:.0} s: RSS max {:.1} MiB, first-window median {:.1}, last-window median {:.1}: {}",
            s.seconds,
            s.max_rss_mib,
            s.first_median_mib,
            s.last_median_mib,
            if s.bounded { "bounded" } else { "NOT BOUNDED" }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrolite_bench_format::load::{Latency, Soak};

    fn cell(face: &str, workload: &str, clients: u32, throughput: f64) -> LoadCell {
        LoadCell {
            face: face.into(),
            workload: workload.into(),
            clients,
            throughput,
            requests: 10,
            seconds: 1.0,
            latency_us: Latency {
                p50: 12.34,
                p99: 250.0,
                p999: 1234.5,
                max: 5000.0,
                mean: 20.0,
            },
            ..LoadCell::default()
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(us(12.34), "12.3");
        assert_eq!(us(1234.5), "1,235");
    }

    #[test]
    fn the_report_has_every_table() {
        let r = LoadReport {
            commit: "abc1234".into(),
            cores: 2,
            command: "cargo xtask load".into(),
            cells: vec![
                cell("grpc", "get", 4, 20_000.0),
                cell("rest", "get", 4, 10_000.0),
            ],
            in_process: vec![cell(IN_PROCESS, "get", 4, 1_000_000.0)],
            soak: Some(Soak {
                seconds: 60.0,
                bounded: true,
                rule: "the rule".into(),
                cells: vec![cell("grpc", "mixed", 4, 1.0), cell("rest", "mixed", 4, 1.0)],
                ..Soak::default()
            }),
            ..LoadReport::default()
        };
        let md = markdown(&r, None);
        assert!(
            md.contains("| grpc | get | 4 | 20,000 | 12.3 | 250 | 1,235 |"),
            "{md}"
        );
        assert!(md.contains("| get | 4 | 0.020 | 0.010 | 0.50 |"), "{md}");
        assert!(md.contains("Verdict: **bounded**. Rule: the rule."), "{md}");
        assert!(md.contains("Rerun: `cargo xtask load`"), "{md}");
        assert!(markdown(&r, Some("boom")).contains("**FAILED:** boom"));
        let s = summary(&r);
        assert!(s.contains("0.020") && s.contains("bounded"), "{s}");
    }
}
