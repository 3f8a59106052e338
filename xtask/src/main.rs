//! `cargo xtask`: project automation, one module per command (matklad's xtask pattern).
//!
//! * `cargo xtask verify [--quick|--full] [--structure S] [--checker C] [--no-mutants]` —
//!   every checker over every structure and seeded mutant; a matrix on stdout and in
//!   `reports/verification.{md,json}`.
//! * `cargo xtask bench [--smoke] [-- <cargo bench args>]` — runs `cargo bench -p
//!   ferrolite-benches` (tiny sizes under `--smoke`), then the report below.
//! * `cargo xtask report [--target-dir DIR] [--out DIR]` — without rerunning anything,
//!   regenerates `reports/*.svg` and `reports/bench.md` (machine, commit, every figure as a
//!   table, the throughput targets MET or MISSED) from criterion's saved estimates under
//!   `target/criterion` and the benches' side data under `target/ferrolite-bench`.
//!
//! Cargo is invoked through `$CARGO` (set by `cargo run`), so the toolchain that runs xtask
//! builds the checkers and the benches.

mod bench;
mod verify;

const USAGE: &str = "\
usage: cargo xtask <COMMAND> [--help]

COMMANDS:
  verify   every checker over every structure and seeded mutant (reports/verification.md)
  bench    run the benchmarks (cargo bench -p ferrolite-benches), then `report`
  report   regenerate reports/*.svg and reports/bench.md from the saved results";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match cmd.as_str() {
        "verify" => verify::main(&rest),
        "bench" => bench::bench_main(&rest),
        "report" => bench::report_main(&rest),
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => anyhow::bail!("unknown command `cargo xtask {other}`\n\n{USAGE}"),
    }
}
