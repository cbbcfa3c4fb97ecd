//! The `trellis` binary's library: configuration, the command line, the HTTP server and the
//! operator commands (`migrate`, `import`, `reindex`, `search`). `main.rs` only wires these up.

pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod extract;
pub mod import;
pub mod routes;
pub mod serve;
pub mod startup;
pub mod state;
pub mod telemetry;

use cli::Command;
use config::Config;
use std::process::ExitCode;
use std::sync::Arc;

/// Exit code for a command that ran but achieved nothing (an import where every line was refused).
pub const EXIT_NOTHING_DONE: u8 = 3;

/// Runs one command to completion. Errors carry their whole context chain for `main` to print.
pub async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(_) => serve::run(Arc::new(config)).await?,
        Command::Migrate => {
            startup::open_store(&config).await?;
            println!("database {} is up to date", config.redacted_database_url());
        }
        Command::Reindex => commands::reindex::run(&config).await?,
        Command::Import(args) => {
            return match commands::import::run(&config, &args).await? {
                commands::import::ImportResult::Done(_) => Ok(ExitCode::SUCCESS),
                commands::import::ImportResult::NothingAccepted(_) => {
                    eprintln!("error: no line of {} could be imported", args.file.display());
                    Ok(ExitCode::from(EXIT_NOTHING_DONE))
                }
            }
        }
        Command::Search(args) => commands::search::run(&config, &args).await?,
    }
    Ok(ExitCode::SUCCESS)
}
