//! One server cell: N clients (tokio tasks, each over its own connection) send one workload's
//! requests back to back — closed loop, the next request after the answer — for a warm-up
//! that is not recorded, then until the cell's time bound or its request bound, whichever
//! comes first. Each request's latency (send to checked answer) goes into the client's
//! histogram; the histograms are merged at the end. The first error stops the cell and is
//! returned with it, so the run fails loudly.

use crate::client::{Addrs, Client};
use crate::measure::{self, cell_bar, Proc};
use crate::workload::{Face, Rng, Shape, Workload};
use anyhow::Result;
use ferrolite_bench_format::load::LoadCell;
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a cell runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Seconds measured (after the warm-up).
    pub seconds: f64,
    /// Requests measured.
    pub requests: u64,
    /// Seconds of unrecorded requests first.
    pub warmup: f64,
}

/// A cell's numbers, and the first error if a request failed.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// What was measured.
    pub cell: LoadCell,
    /// The first failure (the cell stopped there).
    pub first_error: Option<String>,
}

/// What the clients of a cell share: the stop flag, the request count, the errors.
#[derive(Debug, Default)]
pub struct Shared {
    stop: AtomicBool,
    /// Measured requests started so far (the request bound and the progress bar read it).
    pub started: AtomicU64,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
    hit_request_bound: AtomicBool,
}

impl Shared {
    /// Count a failure and stop the cell.
    pub fn fail(&self, e: &anyhow::Error) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
        first.get_or_insert_with(|| format!("{e:#}"));
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the cell should stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Claim one measured request; `false` once the request bound is reached (the cell then
    /// stops).
    pub fn claim(&self, bound: u64) -> bool {
        if self.started.fetch_add(1, Ordering::Relaxed) < bound {
            return true;
        }
        self.started.fetch_sub(1, Ordering::Relaxed);
        self.hit_request_bound.store(true, Ordering::Relaxed);
        self.stop.store(true, Ordering::Relaxed);
        false
    }
}

/// The clock of a cell: when the warm-up ends and when the time bound is reached.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// The end of the warm-up: the measured window's start.
    pub warm_end: Instant,
    /// The time bound.
    pub deadline: Instant,
}

impl Clock {
    /// Starting now.
    pub fn start(b: &Bounds) -> Clock {
        let warm_end = Instant::now() + Duration::from_secs_f64(b.warmup);
        Clock {
            warm_end,
            deadline: warm_end + Duration::from_secs_f64(b.seconds),
        }
    }
}

/// Merge the clients' histograms and say what the cell measured. `end` is when the last
/// client stopped; `cpu` the (server, client) CPU seconds of the window, `rss` the server's
/// resident set at the end.
pub fn finish(
    (face, workload, clients): (&str, Workload, u32),
    shared: &Shared,
    clock: &Clock,
    hists: Vec<(Histogram<u64>, Instant)>,
    (server_cpu_s, client_cpu_s, server_rss_mib): (Option<f64>, Option<f64>, Option<f64>),
) -> Outcome {
    let mut h = measure::histogram();
    let mut end = clock.warm_end;
    for (part, at) in &hists {
        // Both histograms have the same bounds: adding cannot fail.
        let _ = h.add(part);
        end = end.max(*at);
    }
    let seconds = end.duration_since(clock.warm_end).as_secs_f64().max(1e-9);
    let requests = h.len();
    let first_error = shared
        .first_error
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Outcome {
        cell: LoadCell {
            face: face.to_string(),
            workload: workload.name().to_string(),
            clients,
            requests,
            seconds,
            throughput: requests as f64 / seconds,
            latency_us: measure::latency(&h),
            errors: shared.errors.load(Ordering::Relaxed),
            stopped_by: if shared.hit_request_bound.load(Ordering::Relaxed) {
                "requests".into()
            } else {
                "seconds".into()
            },
            server_cpu_s,
            client_cpu_s,
            server_rss_mib,
        },
        first_error,
    }
}

/// Update `bar` from `shared` until `done`.
pub async fn tick(bar: ProgressBar, shared: Arc<Shared>, done: Arc<AtomicBool>) {
    while !done.load(Ordering::Relaxed) {
        bar.set_position(shared.started.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What a server cell is.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// The face.
    pub face: Face,
    /// The workload.
    pub workload: Workload,
    /// Concurrent clients.
    pub clients: u32,
    /// The seed of the clients' operation streams.
    pub seed: u64,
}

/// Run one server cell against `addrs` (the server process `server`, for its CPU time and
/// RSS). `bar`: a progress bar to drive, or `None` for one of the cell's own.
pub async fn server_cell(
    spec: Spec,
    addrs: Addrs,
    server: Proc,
    shape: Shape,
    bounds: Bounds,
    bar: Option<ProgressBar>,
) -> Result<Outcome> {
    let mut conns = Vec::with_capacity(spec.clients as usize);
    for _ in 0..spec.clients {
        conns.push(Client::connect(spec.face, addrs).await?);
    }
    let label = format!(
        "{} {} x{}",
        spec.face.name(),
        spec.workload.name(),
        spec.clients
    );
    let bar = bar.unwrap_or_else(|| cell_bar(&label));
    let shared = Arc::new(Shared::default());
    let done = Arc::new(AtomicBool::new(false));
    let ticker = tokio::spawn(tick(bar.clone(), shared.clone(), done.clone()));
    let cpu0 = (server.cpu_seconds().ok(), Proc::Myself.cpu_seconds().ok());
    let clock = Clock::start(&bounds);
    let mut tasks = Vec::with_capacity(conns.len());
    for (i, mut conn) in conns.into_iter().enumerate() {
        let shared = shared.clone();
        let mut rng = Rng::new(spec.seed, i as u64);
        tasks.push(tokio::spawn(async move {
            let mut h = measure::histogram();
            let mut first = true;
            loop {
                let t0 = Instant::now();
                if shared.stopped() || t0 >= clock.deadline {
                    break;
                }
                // The first request of a connection (its set-up) is never recorded.
                let measured = !first && t0 >= clock.warm_end;
                if measured && !shared.claim(bounds.requests) {
                    break;
                }
                first = false;
                let op = shape.next_op(spec.workload, &mut rng);
                match conn.run(op, &shape, &mut rng).await {
                    Ok(()) if measured => measure::record(&mut h, t0.elapsed()),
                    Ok(()) => {}
                    Err(e) => {
                        shared.fail(&e);
                        break;
                    }
                }
            }
            (h, Instant::now())
        }));
    }
    let mut hists = Vec::with_capacity(tasks.len());
    for t in tasks {
        match t.await {
            Ok(h) => hists.push(h),
            Err(e) => shared.fail(&anyhow::anyhow!("a client task failed: {e}")),
        }
    }
    done.store(true, Ordering::Relaxed);
    let _ = ticker.await;
    let cpu1 = (server.cpu_seconds().ok(), Proc::Myself.cpu_seconds().ok());
    let diff = |a: Option<f64>, b: Option<f64>| Some(b? - a?);
    let rss = server.rss_bytes().ok().map(measure::mib);
    let out = finish(
        (spec.face.name(), spec.workload, spec.clients),
        &shared,
        &clock,
        hists,
        (diff(cpu0.0, cpu1.0), diff(cpu0.1, cpu1.1), rss),
    );
    bar.finish_and_clear();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_bound_stops_the_cell() {
        let s = Shared::default();
        assert!(s.claim(2) && s.claim(2));
        assert!(!s.claim(2));
        assert!(s.stopped());
        assert_eq!(s.started.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_failure_is_counted_stops_the_cell_and_keeps_the_first_message() {
        let s = Shared::default();
        s.fail(&anyhow::anyhow!("first"));
        s.fail(&anyhow::anyhow!("second"));
        assert!(s.stopped());
        let clock = Clock::start(&Bounds {
            seconds: 1.0,
            requests: 10,
            warmup: 0.0,
        });
        let o = finish(
            ("grpc", Workload::Get, 1),
            &s,
            &clock,
            vec![],
            (None, None, None),
        );
        assert_eq!(o.cell.errors, 2);
        assert_eq!(o.first_error.as_deref(), Some("first"));
        assert_eq!(o.cell.requests, 0);
        assert_eq!(o.cell.stopped_by, "seconds");
    }
}
