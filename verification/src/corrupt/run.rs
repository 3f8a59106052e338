//! One memtable kind's damage run: per WAL format, a base database and then every trial on
//! copies of it (WAL cuts, bit flips; for the binary format also missing and extra files),
//! and the counts it prints and reports as `VERIFY-STAT` lines.

use super::base::Base;
use super::bit_flips::bit_flips;
use super::budget::Budget;
use super::files::{extra_tables, missing_manifest_files, missing_tables};
use super::stats::Stats;
use super::wal_cuts::wal_cuts;
use super::wal_modes::wal_modes;
use crate::{report, Mode};
use ferrolite::{MapKind, RecordFormat};

/// Run every damage kind on the engine over memtable `kind`; panics with the trial on failure.
pub fn run(kind: MapKind, mode: Mode) {
    let budget = Budget::for_mode(mode);
    let mut st = Stats::default();
    let seed = 0x00c0_ffee ^ (MapKind::ALL.iter().position(|&k| k == kind).unwrap_or(0) as u64);
    for &format in budget.formats {
        let base = Base::build(kind, format, seed ^ format as u64);
        wal_cuts(&base, &budget, &mut st);
        bit_flips(&base, &budget, true, &mut st);
        wal_modes(&base, &budget, &mut st);
        if format == RecordFormat::Binary {
            // Tables, manifest and CURRENT do not depend on the WAL format.
            bit_flips(&base, &budget, false, &mut st);
            missing_tables(&base, &mut st);
            missing_manifest_files(&base, &mut st);
            extra_tables(&base, &mut st);
        }
    }
    println!(
        "corrupt: memtable {}, mode {mode}: {} WAL cuts, {} bit flips, {} detected, {} recovered \
         exactly, {} undo reopens, {} missing tables, {} missing CURRENT/manifest, {} extra \
         tables, {} WAL damages under the other recovery modes",
        kind.name(),
        st.cuts,
        st.bit_flips,
        st.corruption_detected,
        st.recovered_ok,
        st.undo_reopens,
        st.missing_tables,
        st.missing_files,
        st.extra_tables,
        st.mode_trials
    );
    report("cuts", st.cuts);
    report("bit_flips", st.bit_flips);
    report("corruption_detected", st.corruption_detected);
    report("recovered_ok", st.recovered_ok);
    report("undo_reopens", st.undo_reopens);
    report("missing_tables", st.missing_tables);
    report("missing_files", st.missing_files);
    report("extra_tables", st.extra_tables);
    report("wal_mode_trials", st.mode_trials);
}
