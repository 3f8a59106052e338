//! Kill points: named instants at which a crash test may kill this process.
//!
//! Random `SIGKILL`s from outside rarely land at the instants that matter — between a table's
//! last block and its sync, between the manifest edit and the deletion it permits, between the
//! new `CURRENT` and the removal of the old manifest. The engine therefore names those instants
//! with [`kill_point!`]; a crash-test child built with the cargo feature `kill-points` and run
//! with the environment below kills itself there with a chosen probability (RocksDB's crash test
//! does the same with `TEST_KILL_RANDOM`). Without the feature the macro expands to nothing, so
//! normal builds carry no trace of it.
//!
//! Environment (read once, at the first kill point reached):
//! - `FERROLITE_KILL_ODDS=N` — each hit of an enabled point kills with probability 1/N
//!   (unset or 0: never);
//! - `FERROLITE_KILL_POINTS=a,b.` — enable only points equal to, or starting with, one of the
//!   comma-separated entries (unset: all of [`POINTS`]);
//! - `FERROLITE_KILL_SEED=S` — seed of the random choice (default: the process id).
//!
//! Before it dies the process writes `FERROLITE-KILL-POINT <name>` on its own line to standard
//! error, so the harness can count where crashes landed. The kill is `SIGKILL` to itself: no
//! destructor, buffer flush or `atexit` handler runs, exactly as if the machine had killed it
//! (data already handed to the OS survives, as it would a process crash).

/// Every kill point the engine has, in the order a write travels: the WAL, then tables, then
/// the manifest and `CURRENT`, then deletions.
pub const POINTS: &[&str] = &[
    // A WAL append: the group's records are handed to the OS in one write, then synced.
    "wal.before_write",
    "wal.after_write",
    "wal.before_sync",
    "wal.after_sync",
    // A table being written by a flush (a data block handed to the file's buffer; the last
    // block written, before the file's sync; synced, before the manifest edit)…
    "flush.after_block",
    "flush.before_sync",
    "flush.after_sync",
    // … by a compaction …
    "compaction.after_block",
    "compaction.before_sync",
    "compaction.after_sync",
    // … or by recovery, replaying the WAL into an L0 table at open.
    "recovery.after_block",
    "recovery.before_sync",
    "recovery.after_sync",
    // A version edit appended to the manifest (after a flush or compaction, or at open).
    "manifest.before_write",
    "manifest.after_write",
    "manifest.before_sync",
    "manifest.after_sync",
    // Pointing `CURRENT` at a new manifest (at open): the temporary file is written and synced,
    // then renamed over `CURRENT`, then the directory is synced.
    "current.before_rename",
    "current.after_rename",
    // Deleting a file the manifest no longer needs: WAL segments after a flush or replay, tables
    // after a compaction, the previous manifest, orphans at open.
    "obsolete.before_delete",
    "obsolete.after_delete",
];

/// Mark a kill point (see the [module documentation](crate::kill)). The name must be one of
/// [`POINTS`]. Expands to nothing unless the crate is built with the feature `kill-points`.
macro_rules! kill_point {
    ($name:expr) => {{
        #[cfg(feature = "kill-points")]
        $crate::kill::hit($name);
        // Without the feature only the name is evaluated (a constant), so callers' name
        // fields do not look unused.
        #[cfg(not(feature = "kill-points"))]
        let _: &'static str = $name;
    }};
}
pub(crate) use kill_point;

#[cfg(feature = "kill-points")]
mod imp {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    struct Config {
        odds: u64,
        /// Enabled names or prefixes; empty = all.
        only: Vec<String>,
        seed: u64,
    }

    static CONFIG: OnceLock<Option<Config>> = OnceLock::new();
    /// Draw counter: each hit of an enabled point takes the next number.
    static DRAWS: AtomicU64 = AtomicU64::new(0);

    fn config() -> Option<&'static Config> {
        CONFIG
            .get_or_init(|| {
                let odds: u64 = std::env::var("FERROLITE_KILL_ODDS")
                    .ok()?
                    .trim()
                    .parse()
                    .ok()?;
                if odds == 0 {
                    return None;
                }
                let only = std::env::var("FERROLITE_KILL_POINTS")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                let seed = std::env::var("FERROLITE_KILL_SEED")
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or_else(|| u64::from(std::process::id()));
                Some(Config { odds, only, seed })
            })
            .as_ref()
    }

    /// SplitMix64: a well-mixed 64-bit value from a counter.
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A kill point was reached: maybe die here.
    pub fn hit(name: &'static str) {
        debug_assert!(super::POINTS.contains(&name), "unknown kill point {name}");
        let Some(cfg) = config() else { return };
        if !cfg.only.is_empty() && !cfg.only.iter().any(|p| name.starts_with(p.as_str())) {
            return;
        }
        // Relaxed: the counter only has to hand out distinct numbers.
        let n = DRAWS.fetch_add(1, Ordering::Relaxed);
        if !mix(cfg.seed ^ mix(n)).is_multiple_of(cfg.odds) {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "FERROLITE-KILL-POINT {name}");
        let _ = err.flush();
        // SAFETY: `getpid` has no preconditions and `kill` with a valid signal number only
        // sends a signal; SIGKILL cannot be caught, so this call does not return.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        // Unreachable in practice; if the signal could not be sent, do not carry on as if the
        // crash had happened.
        std::process::abort();
    }
}

#[cfg(feature = "kill-points")]
pub use imp::hit;
