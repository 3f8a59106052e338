//! Linearizability of every map under real std threads: one test per structure, named after
//! it, so `cargo test -p ferrolite-verification --test lincheck -- --exact epoch` is one cell
//! of the verification matrix.
//!
//! Each cell records and checks thousands of short, colliding histories (2–3 threads, one to
//! three keys, up to 128 operations per thread; see `ferrolite_verification::lincheck`), sized
//! by `FERROLITE_VERIFY_MODE`: 4 000 histories in `quick` (a few seconds per structure),
//! 40 000 in `default` (about 30 s), 300 000 in `full` (minutes); a tenth of that in
//! unoptimised builds. Unset (a plain `cargo test`), it is `quick`: the verifier always names
//! its mode. It reports `VERIFY-STAT histories`, `ops` (operations checked), `states`
//! (search configurations explored), `concurrent_ops` (operations that overlapped another
//! thread's: how much real concurrency the machine gave) and `violating_histories`; on a
//! violation it panics with the minimal
//! non-linearizable sub-history drawn as a timeline. If the map stops making progress (no
//! operation completes for 20 s: a livelock or deadlock), a watchdog prints the operation each
//! thread is stuck in and ends the process with status 101. `FERROLITE_LINCHECK_SEED` replays
//! a run's workloads (not its thread schedules).
//!
//! **crossbeam** is the exception, by design. Its adapter cannot tell atomically whether an
//! insert replaced a value, so under same-key insert/remove contention its results are not
//! linearizable (`ConcurrentMap::linearizable()` is false; see `ferrolite-structures`'
//! `reference.rs`; the registry's `linearizable` column). Its cell still runs the full check on the same workloads — restricting
//! them to contention-free histories would leave little worth checking — but counts the
//! violating histories instead of failing, prints the first one, and reports
//! `expected_nonlinearizable 1`. Any map the registry declares non-linearizable is treated so;
//! every other map must pass.
//!
//! In a mutant build (`--cfg ferrolite_mutants`, `FERROLITE_MUTANT=<name>`) the cell of the
//! mutant's structure is expected to fail; `remove_blind_store` (epoch) and
//! `replace_blind_store` (noreclaim) are the ones this checker is meant to catch (usually
//! within a few hundred histories). With a mutant active every mode runs 20 000 histories on
//! fresh maps that are leaked rather than dropped, so that a mutant's double free cannot
//! abort the process before the timeline is printed (see `Budget::for_mode`).

use ferrolite_structures::MapKind;
use ferrolite_verification::lincheck::{publish, survey_map, Budget};
use ferrolite_verification::{active_mutant, report, Mode};

fn cell(name: &str) {
    let kind: MapKind = name.parse().unwrap_or_else(|e| panic!("{e}"));
    let mode = Mode::from_env_or_quick();
    let budget = Budget::for_mode(mode);
    let linearizable = kind.info().linearizable;
    println!(
        "lincheck {name}: mode {mode}, {} histories of 2-{} threads x <= {} ops on <= {} keys, \
         seed {:#x}{}",
        budget.histories,
        budget.max_threads,
        budget.ops_per_thread,
        budget.keys,
        budget.seed,
        active_mutant().map_or(String::new(), |m| format!(", mutant {m}")),
    );
    let survey = survey_map(kind, &budget, linearizable);
    let stats = survey.stats;
    report("histories", stats.histories);
    report("ops", stats.operations);
    report("states", stats.states);
    report("concurrent_ops", stats.concurrent_ops);
    report("violating_histories", survey.violating_histories);
    println!(
        "lincheck {name}: {} histories, {} operations ({:.0}% concurrent), {} search states, at \
         most {} operations per key, {:.1?}",
        stats.histories,
        stats.operations,
        100.0 * stats.concurrent_ops as f64 / stats.operations.max(1) as f64,
        stats.states,
        stats.max_key_ops,
        stats.elapsed
    );
    match survey.first {
        None => {
            if !linearizable {
                report("expected_nonlinearizable", 1);
                println!("lincheck {name}: no violation seen this time (not guaranteed by design)");
            }
        }
        Some(violation) if !linearizable => {
            report("expected_nonlinearizable", 1);
            publish(
                &violation,
                &format!("{name} × lincheck: an expected violation"),
                &format!("{name}-lincheck"),
            );
            println!(
                "lincheck {name}: {} of {} histories not linearizable, as expected of this map \
                 (linearizable() is false); the first one:\n{violation}",
                survey.violating_histories, stats.histories
            );
        }
        Some(violation) => {
            let label = match active_mutant() {
                Some(m) => format!("{name}+{m}"),
                None => name.to_string(),
            };
            publish(
                &violation,
                &format!("{label} × lincheck: not linearizable"),
                &format!("{label}-lincheck"),
            );
            panic!("{name} is not linearizable:\n{violation}")
        }
    }
}

macro_rules! cell_test {
    ($t:ident, $id:ident, $name:literal) => {
        #[test]
        fn $id() {
            cell($name);
        }
    };
}

ferrolite_structures::for_each_map_named!(cell_test);
