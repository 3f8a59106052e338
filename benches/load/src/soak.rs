//! The soak: the mixed workload over both faces at once (gRPC and REST clients side by side)
//! for a minute by default, the server's resident set (`VmRSS`) and the engine's own account
//! of its memory (`GET /v1/stats`: the active memtable, frozen memtables, the block cache)
//! sampled every second, and the judgement whether the RSS stayed bounded.
//!
//! **The rule.** The engine's memory legitimately grows during a write-heavy minute: the active
//! memtable fills until it is frozen and flushed at `memtable_size` (64 MiB by default), up to
//! `max_immutable_memtables` frozen ones wait for their flush, and the block cache fills up to
//! its capacity; and an allocator keeps what was freed, so the resident set follows the
//! high-water mark of those, not their current size. So the RSS is judged in two parts:
//!
//! 1. *Unaccounted* memory — RSS minus the high-water mark so far of what the engine accounts
//!    for (active memtable + frozen memtables × memtable size + block cache) — must not grow:
//!    its median over the last window is at most 1.25 × its median over the first window,
//!    plus 16 MiB (the slack absorbs allocator arenas, threads of tokio's blocking pool and
//!    connection buffers settling). A leak per request or per connection fails this.
//! 2. The RSS never exceeds its first-window median + the engine's whole budget
//!    (memtable size × (1 + frozen memtables) + block cache) + 16 MiB.
//!
//! The windows are the first and last 10 s (a third of the soak when it is shorter than 30 s).

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
/// Growth factor allowed to unaccounted memory.
pub const GROWTH: f64 = 1.25;

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
    // RSS minus the high-water mark of what the engine accounts for.
    let mut high = 0f64;
    let unaccounted: Vec<f64> = samples
        .iter()
        .map(|s| {
            let accounted = s.memtable_mib
                + s.immutable_memtables as f64 * mib(budget.memtable_bytes)
                + s.cache_mib;
            high = high.max(accounted);
            s.rss_mib - high
        })
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
    let first_unaccounted_mib = median(&mut pick(&unaccounted, true));
    let last_unaccounted_mib = median(&mut pick(&unaccounted, false));
    let max_rss_mib = rss.iter().copied().fold(0.0, f64::max);
    let growth_bound = GROWTH * first_unaccounted_mib + SLACK_MIB;
    let ceiling = first_median_mib + budget.total_mib() + SLACK_MIB;
    let bounded =
        !samples.is_empty() && last_unaccounted_mib <= growth_bound && max_rss_mib <= ceiling;
    let rule = format!(
        "RSS minus the high-water mark of the engine's accounted memory (memtable + frozen memtables x {:.0} MiB + block cache), median over the last {window:.0} s <= {GROWTH} x its median over the first {window:.0} s + {SLACK_MIB:.0} MiB ({last_unaccounted_mib:.1} <= {growth_bound:.1}); and max RSS <= first-window median + the engine's budget {:.0} MiB + {SLACK_MIB:.0} MiB ({max_rss_mib:.1} <= {ceiling:.1})",
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
        first_unaccounted_mib,
        last_unaccounted_mib,
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
        // RSS follows the memtable: 40 MiB of process plus the memtable's growth.
        let s = judge(&samples(|t| 40.0 + t * 0.5, |t| t * 0.5), 60.0, &BUDGET);
        assert!(s.bounded, "{}", s.rule);
        assert!((s.max_rss_mib - 70.0).abs() < 1e-9);
        assert!(s.last_median_mib > s.first_median_mib);
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
        assert!(s.last_unaccounted_mib > s.first_unaccounted_mib + 40.0);
        assert!(!judge(&[], 60.0, &BUDGET).bounded, "no samples, no verdict");
    }

    #[test]
    fn short_soaks_use_a_third_for_each_window() {
        let s = judge(&samples(|_| 50.0, |_| 0.0), 6.0, &BUDGET);
        assert!(s.rule.contains("last 2 s"), "{}", s.rule);
    }
}
