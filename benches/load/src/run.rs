//! The whole run, in order: a server for the cells (preload, every face × workload × client
//! count, the first cell again, `SIGTERM`), the in-process reference (with the server gone, so
//! it has the cores to itself), a fresh server for the soak; then `load.json` and `load.md`.
//! A failed request, a server that dies, or a shutdown that does not exit 0 stops the run —
//! after writing what was measured so far, marked as failed.

use crate::cell::{server_cell, Bounds, Outcome, Spec};
use crate::cli::Args;
use crate::client::{preload, Addrs};
use crate::inproc::InProcess;
use crate::report;
use crate::server::{default_server_bin, ServerConfig, ServerProcess};
use crate::soak::{soak, Budget, SoakPlan};
use crate::workload::Shape;
use anyhow::{anyhow, Context, Result};
use ferrolite::{MapKind, Options};
use ferrolite_bench_format::load::{LoadCell, LoadReport, LoadSetup};
use ferrolite_bench_format::time::UtcTime;
use std::path::Path;
use std::time::Duration;

/// How long a server gets to shut down after `SIGTERM` (its drain deadline is 10 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The short commit of this checkout, `-dirty` with changes to tracked files.
pub fn commit() -> String {
    ferrolite_bench_format::git_commit(Path::new(env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|| "unknown".into())
}

/// The CPU model from `/proc/cpuinfo`.
pub fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "model name").then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| format!("unknown CPU ({})", std::env::consts::ARCH))
}

/// Now, as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn now() -> String {
    UtcTime::now().datetime()
}

/// The seconds the plan takes, roughly (without preloads and start-ups).
pub fn estimate(a: &Args) -> f64 {
    let server = (a.faces.len() * a.workloads.len() * a.clients.len() + 1) as f64;
    let inproc = if a.in_process {
        (a.workloads.len() * a.clients.len()) as f64
    } else {
        0.0
    };
    server * (a.warmup + a.seconds) + inproc * (a.warmup + a.in_process_seconds()) + a.soak_seconds
}

fn one_line(c: &LoadCell) -> String {
    format!(
        "{:<10} {:<6} x{:<3} {:>10} req/s  p50 {:>7} µs  p99 {:>7} µs  p99.9 {:>7} µs",
        c.face,
        c.workload,
        c.clients,
        report::thousands(c.throughput),
        report::us(c.latency_us.p50),
        report::us(c.latency_us.p99),
        report::us(c.latency_us.p999)
    )
}

/// Where the report goes and what it says so far.
struct Out<'a> {
    args: &'a Args,
    report: LoadReport,
}

impl Out<'_> {
    /// Write `load.json` and `load.md` (`failure`: the run stopped there).
    fn write(&mut self, failure: Option<&str>) -> Result<()> {
        self.report.date = now();
        let dir = &self.args.out;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let json = dir.join("load.json");
        self.report
            .save(&json)
            .with_context(|| format!("writing {}", json.display()))?;
        let md = dir.join("load.md");
        std::fs::write(&md, report::markdown(&self.report, failure))
            .with_context(|| format!("writing {}", md.display()))?;
        Ok(())
    }

    /// Fail the run: write what was measured, marked with `why`, and return the error.
    fn fail(&mut self, why: String) -> anyhow::Error {
        if let Err(e) = self.write(Some(&why)) {
            eprintln!("loadgen: could not write the partial report: {e:#}");
        }
        anyhow!(why)
    }

    /// Keep a cell; fail the run if a request failed.
    fn take(&mut self, o: Outcome, push: impl FnOnce(&mut LoadReport, LoadCell)) -> Result<()> {
        eprintln!("  {}", one_line(&o.cell));
        let (errors, label) = (
            o.cell.errors,
            format!("{} {} x{}", o.cell.face, o.cell.workload, o.cell.clients),
        );
        push(&mut self.report, o.cell);
        match o.first_error {
            Some(e) => Err(self.fail(format!(
                "{errors} failed request(s) in cell {label}; the first: {e}"
            ))),
            None => Ok(()),
        }
    }

    /// Stop `server` with SIGTERM; keep what it logged.
    fn stop(&mut self, server: ServerProcess) -> Result<()> {
        match server.stop(STOP_TIMEOUT) {
            Ok(log) => {
                self.report
                    .server_log
                    .extend(log.lines().map(String::from).filter(|l| !l.is_empty()));
                Ok(())
            }
            Err(e) => Err(self.fail(format!("{e:#}"))),
        }
    }
}

/// Run everything `args` asks for; the report (also written to `args.out`).
pub fn run(args: &Args) -> Result<LoadReport> {
    let memtable: MapKind = args
        .memtable
        .parse()
        .map_err(|e| anyhow!("--memtable {}: {e}", args.memtable))?;
    let sync = ferrolite_server::config::sync_policy(&args.sync)?;
    let bin = match &args.server_bin {
        Some(b) => b.clone(),
        None => default_server_bin()?,
    };
    let shape = Shape {
        keys: args.keys,
        rows: args.rows,
        value_bytes: args.value_bytes,
        mix: args.mix,
    };
    let opts = Options::default();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let mut out = Out {
        args,
        report: LoadReport {
            commit: commit(),
            date: now(),
            machine: machine(),
            cores,
            command: args.command.clone().unwrap_or_else(|| {
                let argv: Vec<String> = std::env::args().skip(1).collect();
                format!(
                    "cargo run --release -p ferrolite-load --bin loadgen -- {}",
                    argv.join(" ")
                )
            }),
            setup: LoadSetup {
                keys: shape.keys,
                value_bytes: shape.value_bytes,
                sql_rows: shape.rows,
                mix: shape.mix.to_string(),
                memtable: args.memtable.clone(),
                sync: args.sync.clone(),
                memtable_bytes: opts.memtable_size as u64,
                soak_memtable_bytes: match args.soak_memtable_bytes {
                    0 => opts.memtable_size as u64,
                    n => n as u64,
                },
                soak_cache_bytes: match args.soak_cache_bytes {
                    0 => opts.block_cache_bytes,
                    n => n as u64,
                },
                max_immutable_memtables: opts.max_immutable_memtables as u64,
                block_cache_bytes: opts.block_cache_bytes,
                clients: args.clients.clone(),
                cell_seconds: args.seconds,
                cell_requests: args.requests,
                warmup_seconds: args.warmup,
                client_threads: args.client_threads,
                connections: "one gRPC channel (one HTTP/2 connection) per gRPC client; one \
                              HTTP/1.1 keep-alive connection per REST client (its own reqwest \
                              client keeping one idle connection)"
                    .into(),
            },
            ..LoadReport::default()
        },
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .enable_all()
        .build()
        .context("starting the clients' runtime")?;
    eprintln!(
        "loadgen: {} faces × {} workloads × clients {:?}, {} s per cell (+{} s warm-up), soak {} s: about {:.0} s",
        args.faces.len(),
        args.workloads.len(),
        args.clients,
        args.seconds,
        args.warmup,
        args.soak_seconds,
        estimate(args)
    );
    let cfg = ServerConfig {
        bin,
        bind: args.bind,
        memtable: args.memtable.clone(),
        sync: args.sync.clone(),
        memtable_bytes: None,
        cache_bytes: None,
    };
    let bounds = Bounds {
        seconds: args.seconds,
        requests: args.requests,
        warmup: args.warmup,
    };

    // The server's cells.
    let mut server = ServerProcess::start(&cfg)?;
    let addrs = Addrs {
        grpc: server.grpc,
        http: server.http,
    };
    eprintln!(
        "server: pid {}, gRPC {}, REST {}; preloading {} keys and {} rows",
        server.pid(),
        addrs.grpc,
        addrs.http,
        shape.keys,
        shape.rows
    );
    rt.block_on(preload(addrs.grpc, &shape, args.seed))
        .map_err(|e| out.fail(format!("preloading the server: {e:#}")))?;
    let mut specs = Vec::new();
    for &workload in &args.workloads {
        for &clients in &args.clients {
            for &face in &args.faces {
                let seed = args.seed.wrapping_mul(1_000_003) + specs.len() as u64;
                specs.push(Spec {
                    face,
                    workload,
                    clients,
                    seed,
                });
            }
        }
    }
    for spec in &specs {
        let o = rt.block_on(server_cell(
            *spec,
            addrs,
            server.proc(),
            shape,
            bounds,
            None,
        ))?;
        out.take(o, |r, c| r.cells.push(c))?;
        server
            .check_alive()
            .map_err(|e| out.fail(format!("{e:#}")))?;
    }
    if let Some(first) = specs.first() {
        eprintln!("the first cell again (how noisy is this machine):");
        let o = rt.block_on(server_cell(
            *first,
            addrs,
            server.proc(),
            shape,
            bounds,
            None,
        ))?;
        out.take(o, |r, c| r.repeat = Some(c))?;
    }
    out.stop(server)?;

    // The reference, with the cores to itself.
    if args.in_process {
        eprintln!("in process: preloading");
        let db = InProcess::open(memtable, sync)?;
        db.preload(&shape, args.seed)
            .map_err(|e| out.fail(format!("preloading in process: {e:#}")))?;
        let ip_bounds = Bounds {
            seconds: args.in_process_seconds(),
            ..bounds
        };
        for &workload in &args.workloads {
            for &clients in &args.clients {
                let seed = specs
                    .iter()
                    .find(|s| s.workload == workload && s.clients == clients)
                    .map_or(args.seed, |s| s.seed);
                let o = db.cell(workload, clients, shape, ip_bounds, seed)?;
                out.take(o, |r, c| r.in_process.push(c))?;
            }
        }
        db.close()?;
    }

    // The soak, on a fresh server.
    if args.soak_seconds > 0.0 {
        let soak_memtable = match args.soak_memtable_bytes {
            0 => opts.memtable_size,
            n => n,
        };
        let soak_cache = match args.soak_cache_bytes {
            0 => opts.block_cache_bytes as usize,
            n => n,
        };
        let server = ServerProcess::start(&ServerConfig {
            memtable_bytes: Some(soak_memtable),
            cache_bytes: Some(soak_cache),
            ..cfg.clone()
        })?;
        let addrs = Addrs {
            grpc: server.grpc,
            http: server.http,
        };
        eprintln!(
            "soak: server pid {}; preloading, then {} s of the mixed workload",
            server.pid(),
            args.soak_seconds
        );
        rt.block_on(preload(addrs.grpc, &shape, args.seed))
            .map_err(|e| out.fail(format!("preloading the soak's server: {e:#}")))?;
        let plan = SoakPlan {
            seconds: args.soak_seconds,
            clients: args.soak_clients,
            requests: args.requests.saturating_mul(1_000),
        };
        let budget = Budget {
            memtable_bytes: soak_memtable as u64,
            max_immutable: opts.max_immutable_memtables as u64,
            cache_bytes: soak_cache as u64,
        };
        let (s, outcomes) = rt
            .block_on(soak(
                addrs,
                server.proc(),
                shape,
                plan,
                budget,
                args.seed ^ 0x50a6,
            ))
            .map_err(|e| out.fail(format!("the soak: {e:#}")))?;
        out.report.soak = Some(s);
        for o in outcomes {
            out.take(o, |_, _| {})?;
        }
        out.stop(server)?;
        let bounded = out.report.soak.as_ref().is_some_and(|s| s.bounded);
        if !bounded {
            let rule = out
                .report
                .soak
                .as_ref()
                .map_or(String::new(), |s| s.rule.clone());
            return Err(out.fail(format!(
                "the server's RSS was not bounded in the soak: {rule}"
            )));
        }
    }
    out.write(None)?;
    Ok(out.report)
}
