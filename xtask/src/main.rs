//! `cargo xtask`: project automation. `verify`, `bench` and `report` arrive with their issues.

fn main() -> anyhow::Result<()> {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    match cmd.as_str() {
        "" | "help" | "--help" => {
            println!("usage: cargo xtask <verify|bench|report>");
            Ok(())
        }
        other => {
            anyhow::bail!("`cargo xtask {other}` is not implemented yet (see the open issues)")
        }
    }
}
