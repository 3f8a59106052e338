//! `cargo xtask`: project automation, one module per command (matklad's xtask pattern).
//!
//! * `cargo xtask verify [--quick|--full] [--structure S] [--checker C] [--no-mutants]
//!   [--out DIR]` — every checker over every structure and seeded mutant; a matrix on stdout
//!   and in `verification.{md,json}`.
//! * `cargo xtask bench [--smoke] [--fresh] [--out DIR] [-- <cargo bench args>]` — runs
//!   `cargo bench -p ferrolite-benches` (tiny sizes under `--smoke`), then the report below.
//! * `cargo xtask report [--target-dir DIR] [--out DIR]` — without rerunning anything,
//!   regenerates the figures (`*.svg`) and `bench.md` (machine, commit, every figure as a
//!   table, the throughput targets MET or MISSED) from criterion's saved estimates under
//!   `target/criterion` and the benches' side data under `target/ferrolite-bench`.
//! * `cargo xtask ladder [--quick] [--runs N] [--out DIR]` — the stage ladder from one build:
//!   `stages.md`, `stages.json` and `stages.svg` (`ladder.rs`).
//! * `cargo xtask load [--quick] [--out DIR] [-- <loadgen args>]` — the server under load
//!   (`ferrolite-load`'s `loadgen`): `load.md`, `load.json` and `load.svg` (`load.rs`).
//! * `cargo xtask mutants [--shard K/N] [--passes …] [--out DIR]` — cargo-mutants over the
//!   structures' lock-free core with the quick checkers as its tests; `mutants.md` with the
//!   mutation score and each missed mutant's judgement (`mutants/`).
//!
//! Every command writes its reports under `target/` (`target/verify-report/`,
//! `target/bench-report/`) unless `--out` says otherwise, so a run leaves the work tree clean;
//! `--out reports` replaces the committed snapshot in `reports/`.
//!
//! Cargo is invoked through `$CARGO` (set by `cargo run`), so the toolchain that runs xtask
//! builds the checkers and the benches.

mod bench;
mod ladder;
mod load;
mod mutants;
#[cfg(test)]
mod tidy;
mod verify;

const USAGE: &str = "\
usage: cargo xtask <COMMAND> [--help]

COMMANDS:
  verify   every checker over every structure and seeded mutant (target/verify-report/)
  bench    run the benchmarks (cargo bench -p ferrolite-benches), then `report`
  report   redraw the figures and bench.md from the saved results (target/bench-report/)
  ladder   the stage ladder: stages.md, stages.json, stages.svg (target/bench-report/)
  load     the server under load over gRPC and REST vs the engine in process, and a soak:
           load.md, load.json, load.svg (target/bench-report/)
  mutants  cargo-mutants over the lock-free core, the quick checkers as its tests:
           mutants.md with the mutation score (target/mutants-report/)

Reports go under target/ unless --out DIR says otherwise; --out reports replaces the
committed snapshot.";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match cmd.as_str() {
        "verify" => verify::main(&rest),
        "bench" => bench::bench_main(&rest),
        "report" => bench::report_main(&rest),
        "ladder" => ladder::main(&rest),
        "load" => load::main(&rest),
        "mutants" => mutants::main(&rest),
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => anyhow::bail!("unknown command `cargo xtask {other}`\n\n{USAGE}"),
    }
}
