//! The soak: the mixed workload over both faces at once (gRPC and REST clients side by side)
//! for a minute by default, the server's resident set (`VmRSS`) and the engine's own account
//! of its memory (`GET /v1/stats`: the active memtable, frozen memtables, the block cache)
//! sampled every second, and the judgement whether the RSS stayed bounded.
//!
//! **The rule.** The engine's memory legitimately grows during a write-heavy minute: the active
//! memtable fills until it is frozen and flushed at `memtable_size` (64 MiB by default), up to
//! `max_immutable_memtables` frozen ones wait for their flush, and the block cache fills up to
//! its capacity — the engine *accounts* for these (`/v1/stats`). An allocator keeps what was
//! freed, so the resident set follows the high-water mark `H` of the accounted bytes, not
//! their current size. And the memtable's accounted bytes are an estimate (key + value + 8 +
//! 64 bytes per entry): the real footprint of an entry of 11-byte key and 100-byte value —
//! skip-list node and tower, the value's own allocation, allocator rounding — is about 1.5×
//! that (measured on 2026-12-05: a put-only soak grew the RSS 65 MiB while the memtable's estimate grew
//! 44 MiB, and the RSS then stayed flat while a new memtable refilled after the flush). So:
//!
//! 1. The *residual* — RSS minus [`FOOTPRINT`] (2) × `H` — must not grow: its median over the
//!    last window is at most its median over the first window plus 16 MiB (the slack absorbs
//!    allocator arenas, threads of tokio's blocking pool and connection buffers settling).
//!    Growth the memtable explains is bounded by its flush; a leak per request or per
//!    connection is not, and shows here.
//! 2. The RSS never exceeds its first-window median + 2 × the engine's whole budget (memtable
//!    size × (1 + frozen memtables) + block cache) + 16 MiB.
//!
//! The windows are the first and last 10 s (a third of the soak when it is shorter than 30 s).
//! The report also gives the soak's own RSS growth per MiB of accounted growth, to show the
//! margin left under the factor 2.

use crate::cell::{server_cell, Bounds, Outcome, Spec};
use crate::client::{rest_client, Addrs};
use crate::measure::{mib, Proc};
use crate::workload::{Face, Shape, Workload};
use anyhow::{Context, Result};
use ferrolite_bench_format::load::{RssSample, Soak};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the soak runs.
#[derive(Clone, Copy, Debug)]
pub struct SoakPlan {
    /// Seconds.
    pub seconds: f64,
    /// Clients per face.
    pub clients: u32,
    /// A request bound per face (the soak stops at whichever bound comes first).
    pub requests: u64,
}

/// The engine's memory budget the rule allows on top of the first window: in bytes, the
/// memtable size × (1 + frozen memtables) + the block cache.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// `Options::memtable_size`.
    pub memtable_bytes: u64,
    /// `Options::max_immutable_memtables`.
    pub max_immutable: u64,
    /// `Options::block_cache_bytes`.
    pub cache_bytes: u64,
}

impl Budget {
    /// The whole budget in MiB.
    pub fn total_mib(&self) -> f64 {
        mib(self.memtable_bytes * (1 + self.max_immutable) + self.cache_bytes)
    }
}

/// Slack of both parts of the rule, in MiB.
pub const SLACK_MIB: f64 = 16.0;
/// Resident bytes allowed per byte the engine accounts for (see the module's rule).
pub const FOOTPRINT: f64 = 2.0;

/// The median of `v` (0 when empty).
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Judge `samples` (time order) by the module's rule; `seconds` is the soak's length.
pub fn judge(samples: &[RssSample], seconds: f64, budget: &Budget) -> Soak {
    let window = 10f64.min(seconds / 3.0);
    // The high-water mark of what the engine accounts for, at each sample.
    let mut high = 0f64;
    let hwm: Vec<f64> = samples
        .iter()
        .map(|s| {
            let accounted = s.memtable_mib
                + s.immutable_memtables as f64 * mib(budget.memtable_bytes)
                + s.cache_mib;
            high = high.max(accounted);
            high
        })
        .collect();
    let residual: Vec<f64> = samples
        .iter()
        .zip(&hwm)
        .map(|(s, h)| s.rss_mib - FOOTPRINT * h)
        .collect();
    let pick = |v: &[f64], first: bool| -> Vec<f64> {
        samples
            .iter()
            .zip(v)
            .filter(|(s, _)| {
                if first {
                    s.t <= window
                } else {
                    s.t >= seconds - window
                }
            })
            .map(|(_, x)| *x)
            .collect()
    };
    let rss: Vec<f64> = samples.iter().map(|s| s.rss_mib).collect();
    let first_median_mib = median(&mut pick(&rss, true));
    let last_median_mib = median(&mut pick(&rss, false));
    let first_residual_mib = median(&mut pick(&residual, true));
    let last_residual_mib = median(&mut pick(&residual, false));
    let max_rss_mib = rss.iter().copied().fold(0.0, f64::max);
    let growth_bound = first_residual_mib + SLACK_MIB;
    let ceiling = first_median_mib + FOOTPRINT * budget.total_mib() + SLACK_MIB;
    let bounded =
        !samples.is_empty() && last_residual_mib <= growth_bound && max_rss_mib <= ceiling;
    let accounted_growth = hwm.last().zip(hwm.first()).map_or(0.0, |(b, a)| b - a);
    let rss_growth = rss.last().zip(rss.first()).map_or(0.0, |(b, a)| b - a);
    let rule = format!(
        "the residual, RSS - {FOOTPRINT} x the high-water mark of the engine's accounted memory (memtable + frozen memtables x {:.0} MiB + block cache), has its last-{window:.0}-s median <= its first-{window:.0}-s median + {SLACK_MIB:.0} MiB ({last_residual_mib:.1} <= {growth_bound:.1}); and max RSS <= first-window median + {FOOTPRINT} x the engine's budget of {:.0} MiB + {SLACK_MIB:.0} MiB ({max_rss_mib:.1} <= {ceiling:.1})",
        mib(budget.memtable_bytes),
        budget.total_mib(),
    );
    Soak {
        seconds,
        cells: vec![],
        samples: samples.to_vec(),
        max_rss_mib,
        first_median_mib,
        last_median_mib,
        first_residual_mib,
        last_residual_mib,
        rss_per_accounted: (accounted_growth > 1.0).then(|| rss_growth / accounted_growth),
        rule,
        bounded,
    }
}

/// One sample: the server's RSS and the engine's statistics over REST.
async fn sample(http: &reqwest::Client, addrs: Addrs, server: Proc, t: f64) -> Result<RssSample> {
    let rss = server.rss_bytes()?;
    let stats: serde_json::Value = http
        .get(format!("http://{}/v1/stats", addrs.http))
        .send()
        .await
        .context("GET /v1/stats")?
        .error_for_status()
        .context("GET /v1/stats")?
        .json()
        .await
        .context("GET /v1/stats: the body")?;
    let num = |path: &str| stats.pointer(path).and_then(serde_json::Value::as_u64);
    Ok(RssSample {
        t,
        rss_mib: mib(rss),
        memtable_mib: mib(
            num("/engine/memtable_bytes").context("/v1/stats has no engine.memtable_bytes")?
        ),
        immutable_memtables: num("/engine/immutable_memtables").unwrap_or(0),
        cache_mib: mib(num("/engine/cache/bytes").unwrap_or(0)),
        flushes: num("/engine/counters/flushes").unwrap_or(0),
        compactions: num("/engine/counters/compactions").unwrap_or(0),
    })
}

/// Run the soak against a server whose database holds `shape`'s preload.
pub async fn soak(
    addrs: Addrs,
    server: Proc,
    shape: Shape,
    plan: SoakPlan,
    budget: Budget,
    seed: u64,
) -> Result<(Soak, Vec<Outcome>)> {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix:<28} {elapsed:>4} {msg}") {
        bar.set_style(style);
    }
    bar.set_prefix(format!(
        "soak: mixed, {} grpc + {} rest",
        plan.clients, plan.clients
    ));
    bar.enable_steady_tick(Duration::from_millis(200));
    let bounds = Bounds {
        seconds: plan.seconds,
        requests: plan.requests,
        warmup: 0.0,
    };
    let cell = |face: Face, i: u64| {
        server_cell(
            Spec {
                face,
                workload: Workload::Mixed,
                clients: plan.clients,
                seed: seed ^ i,
            },
            addrs,
            server,
            shape,
            bounds,
            Some(ProgressBar::hidden()),
        )
    };
    let done = Arc::new(AtomicBool::new(false));
    let cells = {
        let done = done.clone();
        async move {
            let r = tokio::join!(cell(Face::Grpc, 1), cell(Face::Rest, 2));
            done.store(true, Ordering::Relaxed);
            r
        }
    };
    let sampler = {
        let bar = bar.clone();
        async move {
            let http = rest_client()?;
            let start = Instant::now();
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if done.load(Ordering::Relaxed) {
                    break;
                }
                let s = sample(&http, addrs, server, start.elapsed().as_secs_f64()).await?;
                bar.set_message(format!(
                    "RSS {:.0} MiB, memtable {:.0} MiB",
                    s.rss_mib, s.memtable_mib
                ));
                samples.push(s);
            }
            anyhow::Ok(samples)
        }
    };
    let ((grpc, rest), samples) = tokio::join!(cells, sampler);
    bar.finish_and_clear();
    let outcomes = vec![grpc?, rest?];
    let samples = samples?;
    let mut s = judge(&samples, plan.seconds, &budget);
    s.cells = outcomes.iter().map(|o| o.cell.clone()).collect();
    Ok((s, outcomes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGET: Budget = Budget {
        memtable_bytes: 64 << 20,
        max_immutable: 2,
        cache_bytes: 64 << 20,
    };

    fn samples(rss: impl Fn(f64) -> f64, memtable: impl Fn(f64) -> f64) -> Vec<RssSample> {
        (1..=60)
            .map(|t| {
                let t = f64::from(t);
                RssSample {
                    t,
                    rss_mib: rss(t),
                    memtable_mib: memtable(t),
                    immutable_memtables: 0,
                    cache_mib: 0.0,
                    flushes: 0,
                    compactions: 0,
                }
            })
            .collect()
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn a_growing_memtable_is_bounded() {
        // RSS follows the memtable at 1.5 times its estimate, as measured.
        let s = judge(&samples(|t| 40.0 + t * 0.75, |t| t * 0.5), 60.0, &BUDGET);
        assert!(s.bounded, "{}", s.rule);
        assert!((s.max_rss_mib - 85.0).abs() < 1e-9);
        assert!(s.last_median_mib > s.first_median_mib);
        assert!((s.rss_per_accounted.unwrap() - 1.5).abs() < 1e-9);
    }

    #[test]
    fn memory_the_allocator_keeps_after_a_flush_is_bounded() {
        // The memtable empties at 30 s (flushed); the RSS stays at its high-water mark.
        let s = judge(
            &samples(
                |t| 40.0 + t.min(30.0),
                |t| if t <= 30.0 { t } else { t - 30.0 },
            ),
            60.0,
            &BUDGET,
        );
        assert!(s.bounded, "{}", s.rule);
    }

    #[test]
    fn a_leak_is_not_bounded() {
        // 1 MiB/s that the engine does not account for.
        let s = judge(&samples(|t| 40.0 + t, |_| 1.0), 60.0, &BUDGET);
        assert!(!s.bounded, "{}", s.rule);
        assert!(s.last_residual_mib > s.first_residual_mib + 40.0);
        assert_eq!(s.rss_per_accounted, None, "no accounted growth, no ratio");
        assert!(!judge(&[], 60.0, &BUDGET).bounded, "no samples, no verdict");
    }

    #[test]
    fn short_soaks_use_a_third_for_each_window() {
        let s = judge(&samples(|_| 50.0, |_| 0.0), 6.0, &BUDGET);
        assert!(s.rule.contains("last-2-s median"), "{}", s.rule);
    }
}
