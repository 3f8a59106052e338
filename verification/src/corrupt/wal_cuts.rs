//! Trial 1: the WAL cut at every byte offset from the start of its last records to its end;
//! the reopened database holds exactly the batches whose records are whole, and goes on
//! working.

use super::base::Base;
use super::budget::Budget;
use super::examine::{examine, guarded, write_close_reopen, Found};
use super::stats::Stats;
use std::path::Path;

fn truncate(path: &Path, len: u64) {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    f.set_len(len)
        .unwrap_or_else(|e| panic!("truncating {}: {e}", path.display()));
}

/// 1. Cut the WAL at every offset from the start of its last `k` records to its end.
pub(super) fn wal_cuts(base: &Base, budget: &Budget, st: &mut Stats) {
    let records = &base.wal_records;
    let k = budget.cut_records.min(records.len());
    let from = records[records.len() - k];
    let ends: Vec<u64> = records
        .iter()
        .skip(1)
        .copied()
        .chain([base.wal_len])
        .collect();
    for cut in from..=base.wal_len {
        let whole = ends.iter().take_while(|&&e| e <= cut).count();
        let model = base.model(base.wal_first + whole);
        let what = format!(
            "{}: WAL {} cut at byte {cut} of {} ({whole} of {} records whole)",
            base.label(),
            base.wal,
            base.wal_len,
            records.len()
        );
        guarded(&what, || {
            let dir = base.copy();
            truncate(&dir.path().join(&base.wal), cut);
            let opts = base.opts();
            match examine(dir.path(), &opts, &model, &base.universe, None)? {
                (Found::Nothing, Some(db)) => {
                    write_close_reopen(db, dir.path(), &opts, &model, &base.universe, cut)
                }
                (found, _) => Err(format!("{found:?}")),
            }
        });
        st.cuts += 1;
        st.recovered_ok += 1;
    }
}
