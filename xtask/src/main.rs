//! `cargo xtask`: project automation, one module per command (matklad's xtask pattern).
//!
//! * `cargo xtask verify [--quick|--full] [--structure S] [--checker C] [--no-mutants]` —
//!   every checker over every structure and seeded mutant; a matrix on stdout and in
//!   `reports/verification.{md,json}`.
//!
//! Cargo is invoked through `$CARGO` (set by `cargo run`), so the toolchain that runs xtask
//! builds the checkers.

mod verify;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match cmd.as_str() {
        "verify" => verify::main(&rest),
        "" | "help" | "--help" | "-h" => {
            println!("usage: cargo xtask verify [--help]");
            Ok(())
        }
        other => anyhow::bail!("`cargo xtask {other}` is not implemented (see the open issues)"),
    }
}
