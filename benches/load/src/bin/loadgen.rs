//! `loadgen`: load `ferrolite-server` over gRPC and REST, compare with the engine in process,
//! soak it; `load.json`, `load.md` and a summary on stdout. See `ferrolite_load::cli::USAGE`.

use ferrolite_load::cli::{parse, USAGE};
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&argv) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            return ExitCode::from(2);
        }
    };
    match ferrolite_load::run::run(&args) {
        Ok(report) => {
            print!("{}", ferrolite_load::report::summary(&report));
            println!(
                "loadgen: wrote {} and {}",
                args.out.join("load.json").display(),
                args.out.join("load.md").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: FAILED: {e:#}");
            ExitCode::FAILURE
        }
    }
}
