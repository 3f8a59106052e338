//! The hang watchdog: cases in progress are registered by token, and a thread started once
//! per process prints a case that made no progress for [`HANG_SECS`] seconds (its memtable,
//! options and operations) and ends the process with status 3 — a deadlock or an endless
//! write stall would otherwise hang the test run silently.

use super::config::HANG_SECS;
use super::ops::EngineOp;
use super::setup::Setup;
use crate::Memtable;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// A case in progress, for the watchdog.
struct Running {
    started: Instant,
    memtable: Memtable,
    setup: Setup,
    ops: Vec<EngineOp>,
}

/// Cases in progress, by a per-run token (tests of several kinds may run in parallel).
static RUNNING: Mutex<BTreeMap<u64, Running>> = Mutex::new(BTreeMap::new());
static WATCHDOG: Once = Once::new();
static NEXT_TOKEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn running() -> std::sync::MutexGuard<'static, BTreeMap<u64, Running>> {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Start the watchdog thread (once per process): a case running longer than [`HANG_SECS`]
/// is printed and the process exits with status 3.
fn start_watchdog() {
    WATCHDOG.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("engine-model-watchdog".into())
            .spawn(|| loop {
                std::thread::sleep(Duration::from_secs(1));
                let cases = running();
                if let Some(r) = cases
                    .values()
                    .find(|r| r.started.elapsed() > Duration::from_secs(HANG_SECS))
                {
                    let mut msg = format!(
                        "engine model check: memtable `{}`: a case made no progress for {HANG_SECS} s \
                         (a hang: deadlock or a write stall that never ends)\n  options: \
                         Options::default(){}{}\n  operations ({}):\n",
                        r.memtable.name(),
                        r.memtable.builder_call(),
                        r.setup,
                        r.ops.len()
                    );
                    for (i, op) in r.ops.iter().enumerate() {
                        let _ = writeln!(msg, "  #{i:<4} {op}");
                    }
                    println!("{msg}");
                    eprintln!("{msg}");
                    std::process::exit(3);
                }
            });
        if let Err(e) = spawned {
            eprintln!("engine model: no watchdog thread ({e}); hangs will not be reported");
        }
    });
}

/// Run one case under the watchdog.
pub(super) fn watched<T>(
    memtable: &Memtable,
    setup: Setup,
    ops: &[EngineOp],
    f: impl FnOnce() -> T,
) -> T {
    start_watchdog();
    let token = NEXT_TOKEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    running().insert(
        token,
        Running {
            started: Instant::now(),
            memtable: memtable.clone(),
            setup,
            ops: ops.to_vec(),
        },
    );
    struct Clear(u64);
    impl Drop for Clear {
        fn drop(&mut self) {
            running().remove(&self.0);
        }
    }
    let _clear = Clear(token);
    f()
}
