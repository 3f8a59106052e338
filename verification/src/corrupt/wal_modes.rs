//! Trial 6: the WAL damage of trials 1 and 2 under the two other recovery modes.
//!
//! The default, `WalRecovery::AbsoluteConsistency`, is what trials 1–2 check. Here the same
//! cuts and flips are opened with
//! - `TolerateCorruptedTail`: a flip in the *payload* of the last record opens with every
//!   batch before it (the record is dropped); any other flip is still `Corruption` at the
//!   damaged record;
//! - `PointInTime`: a flip in record `i` opens with exactly the batches before it (the rest of
//!   the log is dropped); a flip in the log's file header opens with none of the segment's
//!   batches, or is `Incompatible` when it changes the magic (another kind of file);
//! - both: a cut is a torn tail as in the default mode (every whole record kept).
//!
//! Every recovered database must hold exactly the model's answers, take a write and survive a
//! reopen under the default mode (the damaged segment was replayed and deleted).

use super::base::Base;
use super::bit_flips::{bits, sample};
use super::budget::Budget;
use super::examine::{examine, guarded, write_close_reopen, Damage, Found};
use super::regions::RegionKind;
use super::stats::Stats;
use ferrolite::inspect::RECORD_HEADER_LEN;
use ferrolite::WalRecovery;

/// What a mode must do with one damaged copy.
enum Expect {
    /// Open, holding the first `n` batches of the base.
    Recover(usize),
    /// Report the damage (at open).
    Refuse,
}

/// Open the damaged copy under `mode` and judge it against `expect`.
fn judge(
    base: &Base,
    mode: WalRecovery,
    damage: &Damage<'_>,
    expect: Expect,
    tag: u64,
) -> Result<(), String> {
    let dir = base.copy();
    std::fs::copy(&damage.path, dir.path().join(&base.wal)).map_err(|e| format!("copy: {e}"))?;
    let opts = base.opts().wal_recovery(mode);
    let own = Damage {
        path: dir.path().join(&base.wal),
        range: damage.range,
    };
    match expect {
        Expect::Recover(n) => {
            let model = base.model(n);
            match examine(dir.path(), &opts, &model, &base.universe, None)? {
                (Found::Nothing, Some(db)) => {
                    write_close_reopen(db, dir.path(), &base.opts(), &model, &base.universe, tag)
                }
                (found, _) => Err(format!("{mode:?}: {found:?}")),
            }
        }
        Expect::Refuse => {
            let full = base.model(base.batches.len());
            match examine(dir.path(), &opts, &full, &base.universe, Some(&own))? {
                (Found::AtOpen, None) => Ok(()),
                (found, _) => Err(format!("{mode:?}: expected a refused open, got {found:?}")),
            }
        }
    }
}

/// 6. Trials 1–2's WAL damage under `TolerateCorruptedTail` and `PointInTime`.
pub(super) fn wal_modes(base: &Base, budget: &Budget, st: &mut Stats) {
    let scratch = super::base::scratch("modes");
    let damaged_path = scratch.path().join(&base.wal);
    let original = std::fs::read(base.dir.path().join(&base.wal)).expect("reading the WAL");
    let last = base.batches.len();
    // Cuts: a torn tail in every mode (a sample of the cuts of trial 1).
    let k = budget.cut_records.min(base.wal_records.len());
    let from = base.wal_records[base.wal_records.len() - k];
    let ends: Vec<u64> = base
        .wal_records
        .iter()
        .skip(1)
        .copied()
        .chain([base.wal_len])
        .collect();
    for cut in (from..=base.wal_len).step_by(budget.mode_cut_step) {
        let whole = ends.iter().take_while(|&&e| e <= cut).count();
        let range = 0..0;
        let damage = Damage {
            path: damaged_path.clone(),
            range: &range,
        };
        for mode in [WalRecovery::TolerateCorruptedTail, WalRecovery::PointInTime] {
            let what = format!("{}: WAL cut at byte {cut}, {mode:?}", base.label());
            guarded(&what, || {
                std::fs::write(&damaged_path, &original[..cut as usize])
                    .map_err(|e| format!("writing: {e}"))?;
                judge(
                    base,
                    mode,
                    &damage,
                    Expect::Recover(base.wal_first + whole),
                    cut,
                )
            });
            st.mode_trials += 1;
        }
    }
    // Flips in the WAL's header and records.
    for region in base.regions.iter().filter(|r| r.file == base.wal) {
        let record = base
            .wal_records
            .iter()
            .position(|&o| o == region.range.start);
        for at in sample(&region.range, budget) {
            for bit in bits(at, budget) {
                let mut damaged = original.clone();
                damaged[at as usize] ^= 1 << bit;
                let in_payload = at >= region.range.start + RECORD_HEADER_LEN as u64;
                // The log rules' torn tail (an all-zero end) is trial 2's business.
                let zero_end = region.last
                    && damaged[(region.range.start as usize + RECORD_HEADER_LEN - 1)..]
                        .iter()
                        .all(|&b| b == 0);
                if zero_end {
                    continue;
                }
                let damage = Damage {
                    path: damaged_path.clone(),
                    range: &region.range,
                };
                let tolerate = if region.last && in_payload {
                    Expect::Recover(last - 1)
                } else {
                    Expect::Refuse
                };
                let point_in_time = match (region.kind, record) {
                    (RegionKind::LogRecord, Some(i)) => Expect::Recover(base.wal_first + i),
                    // The magic: another kind of file, in every mode.
                    (RegionKind::LogHeader, _) if at < 8 => Expect::Refuse,
                    _ => Expect::Recover(base.wal_first),
                };
                for (mode, expect) in [
                    (WalRecovery::TolerateCorruptedTail, tolerate),
                    (WalRecovery::PointInTime, point_in_time),
                ] {
                    let what = format!(
                        "{}: bit {bit} of byte {at} flipped in {} ({:?}), {mode:?}",
                        base.label(),
                        base.wal,
                        region.kind
                    );
                    guarded(&what, || {
                        std::fs::write(&damaged_path, &damaged)
                            .map_err(|e| format!("writing: {e}"))?;
                        judge(base, mode, &damage, expect, at)
                    });
                    st.mode_trials += 1;
                }
            }
        }
    }
}
