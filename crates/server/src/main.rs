//! The `trellis` binary: parse the command line, resolve the configuration, start logging, run.

use clap::Parser;
use std::collections::HashMap;
use std::process::ExitCode;
use trellis_server::cli::Cli;
use trellis_server::config::Config;

/// Exit code for a configuration that cannot be used (clap uses 2 for bad arguments too).
const EXIT_CONFIG: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Variables that are not valid UTF-8 cannot be trellis settings; skip them rather than panic.
    let env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let config = match Config::load(&env, &cli.overrides()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Err(err) = trellis_server::telemetry::init(&config) {
        eprintln!("error: {err:#}");
        return ExitCode::FAILURE;
    }
    match trellis_server::run(cli.command, config).await {
        Ok(code) => code,
        Err(err) => {
            // `{:#}` prints the context chain on one line; no backtrace, no Debug dump.
            tracing::debug!(error = ?err, "command failed");
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
