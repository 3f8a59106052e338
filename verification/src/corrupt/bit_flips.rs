//! Trials 2 and 3: one flipped bit per trial in every region of every file (sampled bytes in
//! quick mode, every byte or every bit otherwise); the damage is reported where it is, or the
//! answers are exactly the model's (a torn tail by the log's rules); on a sample of detected
//! flips the bytes are put back and everything must be there.

use super::base::Base;
use super::budget::Budget;
use super::examine::{examine, guarded, write_close_reopen, Damage, Found};
use super::regions::{Region, RegionKind};
use super::stats::Stats;
use ferrolite::inspect::RECORD_HEADER_LEN;
use std::ops::Range;

/// The bytes of `region` a trial damages under `budget`: all of them, or a sample — the
/// first and last bytes (headers, trailers, checksums) and evenly spaced ones between.
pub(super) fn sample(range: &Range<u64>, budget: &Budget) -> Vec<u64> {
    let len = range.end - range.start;
    match budget.bytes_per_region {
        Some(n) if len > n as u64 => {
            let n = n as u64;
            let edge = (n / 3).max(1);
            let mut out: Vec<u64> = (0..edge).map(|i| range.start + i).collect();
            out.extend((0..edge).map(|i| range.end - 1 - i));
            let middle = n - 2 * edge;
            for i in 0..middle {
                out.push(range.start + edge + (len - 2 * edge) * (i + 1) / (middle + 1));
            }
            out.sort_unstable();
            out.dedup();
            out
        }
        _ => range.clone().collect(),
    }
}

pub(super) fn bits(at: u64, budget: &Budget) -> Vec<u8> {
    if budget.bits_per_byte >= 8 {
        (0..8).collect()
    } else {
        (0..budget.bits_per_byte)
            .map(|i| ((at * 5 + u64::from(i) * 3) % 8) as u8)
            .collect()
    }
}

/// Whether flipping leaves the WAL's last record looking like an unfinished write
/// (`wal::record` rules 2 and 5): zeros from its header's last byte on, or an all-zero payload
/// with nothing but zeros after it.
fn torn_signature(damaged: &[u8], region: &Region, at: u64) -> bool {
    if !region.last {
        return false;
    }
    let start = region.range.start as usize;
    let header_end = start + RECORD_HEADER_LEN;
    if (at as usize) < header_end {
        damaged[header_end - 1..].iter().all(|&b| b == 0)
    } else {
        damaged[header_end..].iter().all(|&b| b == 0)
    }
}

/// 2 and 3. One flipped bit per trial in every region of every file.
pub(super) fn bit_flips(base: &Base, budget: &Budget, wal_only: bool, st: &mut Stats) {
    let full = base.model(base.batches.len());
    let mut detected = 0u64;
    for region in &base.regions {
        let is_wal = region.file == base.wal;
        if wal_only != is_wal {
            continue;
        }
        let original = std::fs::read(base.dir.path().join(&region.file))
            .unwrap_or_else(|e| panic!("reading {}: {e}", region.file));
        for at in sample(&region.range, budget) {
            for bit in bits(at, budget) {
                let what = format!(
                    "{}: bit {bit} of byte {at} flipped in {} ({:?} {:?}{})",
                    base.label(),
                    region.file,
                    region.kind,
                    region.range,
                    if region.last { ", the last record" } else { "" }
                );
                let mut damaged = original.clone();
                damaged[at as usize] ^= 1 << bit;
                let torn = is_wal && torn_signature(&damaged, region, at);
                let undo = detected.is_multiple_of(budget.undo_every);
                let mut was_detected = false;
                guarded(&what, || {
                    let dir = base.copy();
                    let path = dir.path().join(&region.file);
                    std::fs::write(&path, &damaged).map_err(|e| format!("writing: {e}"))?;
                    let opts = base.opts();
                    let damage = Damage {
                        path: path.clone(),
                        range: &region.range,
                    };
                    if torn {
                        // By the log rules an unfinished write: every batch before it.
                        let model = base.model(base.batches.len() - 1);
                        return match examine(dir.path(), &opts, &model, &base.universe, None)? {
                            (Found::Nothing, Some(db)) => write_close_reopen(
                                db,
                                dir.path(),
                                &opts,
                                &model,
                                &base.universe,
                                at,
                            ),
                            (found, _) => Err(format!("torn tail: {found:?}")),
                        };
                    }
                    let (found, db) =
                        examine(dir.path(), &opts, &full, &base.universe, Some(&damage))?;
                    if let Some(db) = db {
                        db.close().map_err(|e| format!("close: {e}"))?;
                    }
                    let must_fail_open = !matches!(region.kind, RegionKind::DataBlock);
                    match found {
                        Found::Nothing => {
                            return Err("UNDETECTED: every get and the scan gave the model's \
                                        answers, but the damage was not reported"
                                .into())
                        }
                        Found::ByRead if must_fail_open => {
                            return Err(format!(
                                "the open did not detect damage to a {:?}, which it reads",
                                region.kind
                            ))
                        }
                        _ => {}
                    }
                    was_detected = true;
                    if undo {
                        // Put the bytes back: the failed open or reads lost nothing.
                        std::fs::write(&path, &original)
                            .map_err(|e| format!("undoing the damage: {e}"))?;
                        match examine(dir.path(), &opts, &full, &base.universe, None)? {
                            (Found::Nothing, Some(db)) => {
                                db.close().map_err(|e| format!("close: {e}"))?
                            }
                            (found, _) => return Err(format!("after undoing: {found:?}")),
                        }
                    }
                    Ok(())
                });
                st.bit_flips += 1;
                if was_detected {
                    detected += 1;
                    st.corruption_detected += 1;
                    if undo {
                        st.undo_reopens += 1;
                    }
                } else {
                    st.recovered_ok += 1;
                }
            }
        }
    }
}
