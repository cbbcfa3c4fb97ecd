//! The `trellis` binary's library: configuration, the command line, start-up, the demo and the
//! operator commands. The HTTP API is `trellis-http`'s, the service layer `trellis-app`'s, the
//! connection runtime `trellis-sync`'s. `main.rs` only wires these up.

pub mod cli;
pub mod commands;
pub mod config;
pub mod config_apps;
pub mod import;
pub mod progress;
pub mod serve;
pub mod simulators;
pub mod startup;
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
        Command::Sync(args) if args.once => {
            if !commands::sync::run(&config, &args).await? {
                eprintln!("error: some accounts did not sync cleanly (see above)");
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Sync(_) => serve::run_sync_only(Arc::new(config)).await?,
        Command::Simulate(args) => commands::simulate::run(&args).await?,
        Command::Demo(args) => commands::demo::run(config, &args).await?,
        Command::Account(args) => commands::account::run(&config, args).await?,
        Command::Conversations(args) => commands::conversations::list(&config, &args).await?,
        Command::Conversation(args) => commands::conversations::show(&config, &args).await?,
        Command::ConversationOp(op) => commands::conversation_ops::run(&config, op).await?,
        Command::Reply(args) => commands::reply::run(&config, &args).await?,
        Command::Moderate(args) => commands::moderate::run(&config, &args).await?,
        Command::Outbox(args) => commands::outbox::run(&config, &args).await?,
        Command::Users(args) => commands::admin::users::list(&config, &args).await?,
        Command::User(args) => commands::admin::users::run(&config, args).await?,
        Command::Token(args) => commands::admin::tokens::run(&config, args).await?,
        Command::Teams(args) => commands::admin::teams::list(&config, &args).await?,
        Command::Team(args) => commands::admin::teams::run(&config, args).await?,
        Command::Agents(args) => commands::admin::agents::list(&config, &args).await?,
        Command::Agent(args) => commands::admin::agents::run(&config, args).await?,
        Command::Rules(args) => commands::admin::rules::list(&config, &args).await?,
        Command::Rule(args) => commands::admin::rules::run(&config, args).await?,
        Command::Calendars(args) => commands::admin::calendars::list(&config, &args).await?,
        Command::Calendar(args) => commands::admin::calendars::run(&config, args).await?,
        Command::Sla(args) => commands::admin::policies::run(&config, args).await?,
        Command::Canned(args) => commands::admin::canned::run(&config, args).await?,
    }
    Ok(ExitCode::SUCCESS)
}
