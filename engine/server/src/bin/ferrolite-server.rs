//! `ferrolite-server --data DIR [--grpc ADDR] [--http ADDR] [--memtable KIND] [--sync POLICY]
//! [--token-file FILE] [limits] [--log-format text|json]`: see `config::USAGE`.

use ferrolite_server::config::{parse_args, ConfigError};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(ConfigError::Usage(text)) if text.starts_with("usage:") => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ferrolite-server: {e}");
            return ExitCode::from(2);
        }
    };
    ferrolite_server::server::init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ferrolite-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(ferrolite_server::serve(config, None));
    // Requests cancelled at the deadline may still hold blocking threads: do not wait long.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the server stopped with an error");
            eprintln!("ferrolite-server: {e}");
            ExitCode::FAILURE
        }
    }
}
