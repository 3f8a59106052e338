//! Synchrobench-style structure sweep under criterion: every map × threads × update ratio ×
//! key range × key distribution (`FERROLITE_BENCH_SCALE` picks how many; see
//! `ferrolite_benches::structures::Plan::for_scale`).
//!
//! The maps are the rows of `Sweep::standard()`: the registry's, then `scc-treeindex`
//! (`ferrolite_scc::SccTreeIndex`, scc's concurrent B+ tree) — a structure from outside the
//! registry, run through the same public path a user's map takes (`Sweep::map`), so its cells
//! are measured, validated and written exactly like the others and the report shows it as one
//! more row. What a cell measures and writes: `ferrolite_benches::structures::cell`.

use ferrolite_benches::sidecar::{self, Scale};
use ferrolite_benches::structures::{criterion_for, Plan};
use ferrolite_benches::sweep::Sweep;

fn main() {
    let scale = Scale::from_env();
    let plan = Plan::for_scale(scale);
    let sweep = Sweep::standard();
    eprintln!(
        "structures: scale {}, {} workloads × {:?} threads × {} maps ({}), {} ms runs; \
         side data in {}",
        scale.name(),
        plan.workloads.len(),
        plan.threads,
        sweep.rows().len(),
        sweep.names().join(", "),
        plan.duration.as_millis(),
        sidecar::side_dir().display()
    );
    let mut c = criterion_for(&plan);
    sweep.criterion(&mut c, &plan);
    c.final_summary();
}
