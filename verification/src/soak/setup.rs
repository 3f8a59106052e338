//! How a soak run is set up: the engine options (small memtables and levels so that the
//! background workers flush and compact all along; the WAL policy from the seed) and the time
//! budget of a mode.

use super::config::SECS_VAR;
use crate::{secs_from_env, Mode};
use ferrolite::{MapKind, Options, SyncPolicy};
use std::time::Duration;

/// The options of a soak run over `kind`: small memtables and level sizes so that the
/// background workers flush and compact many times; a small block cache and recent-writes map.
/// The WAL policy comes from `seed` (the three ways writers hand over commits): none, buffered
/// (2 ms) or group commit (200 µs).
pub fn options(kind: MapKind, seed: u64) -> Options {
    let sync = match seed % 3 {
        0 => SyncPolicy::None,
        1 => SyncPolicy::Buffered {
            max_delay: Duration::from_millis(2),
        },
        _ => SyncPolicy::GroupCommit {
            max_delay: Duration::from_micros(200),
        },
    };
    Options::default()
        .memtable(kind)
        .memtable_size(256 << 10)
        .max_immutable_memtables(2)
        .l0_compaction_trigger(2)
        .l0_slowdown_trigger(4)
        .l0_stop_trigger(8)
        .level1_size(4 << 20)
        .level_size_multiplier(8)
        .target_file_size(1 << 20)
        .block_cache_bytes(4 << 20)
        .recent_writes_bytes(1 << 20)
        .background_threads(2)
        .sync(sync)
}

/// The run time of `mode` (2, 20 or 120 s), or [`SECS_VAR`].
pub fn budget(mode: Mode) -> Duration {
    secs_from_env(SECS_VAR).unwrap_or_else(|| Duration::from_secs(mode.pick(2, 20, 120)))
}
