//! The `trellis` command line. Parsing only: each command's work lives in its own module.

use crate::config::Overrides;
pub use crate::simulators::SimulatedPlatform;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use trellis_core::SortOrder;

/// trellis: a self-hosted community-management inbox.
#[derive(Debug, Parser)]
#[command(name = "trellis", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Settings shared by every command; each overrides the config file and `TRELLIS_*` variables.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file [default: <data dir>/trellis.toml when it exists]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Directory for the SQLite database and the search index [default: ./data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// sqlite://PATH or postgres://USER:PASSWORD@HOST/DB [default: sqlite://<data dir>/trellis.sqlite]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Log filter in tracing env-filter syntax, e.g. `info` or `trellis_server=debug` [default: info]
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,

    /// Log line format: text or json [default: text]
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server and the search indexer
    Serve(ServeArgs),
    /// Apply pending database migrations and exit
    Migrate,
    /// Rebuild the search index from the store
    Reindex,
    /// Import messages from a JSON Lines file (see docs/import-format.md)
    Import(ImportArgs),
    /// Search messages from the command line
    Search(SearchArgs),
    /// Connect platform accounts, list them with their health, pause or resume them
    Account(crate::commands::account::AccountArgs),
    /// Poll connected accounts and deliver the outbox without serving HTTP (`--once`: one poll
    /// of every account, then exit)
    Sync(SyncArgs),
    /// Run one platform simulator with live traffic, to connect accounts to without a real platform
    Simulate(SimulateArgs),
    /// Run the whole product on three simulated platforms with live traffic: a seeded brand,
    /// accounts, team and rules in a demo data dir (default ./data/demo), until Ctrl-C
    Demo(DemoArgs),
    /// List conversations to pick what to answer (newest activity first)
    Conversations(crate::commands::conversations::ConversationsArgs),
    /// Show one conversation: its messages, its timeline and its SLA clocks
    Conversation(crate::commands::conversations::ConversationArgs),
    // `assign`, `take`, `resolve`, `reopen`, `snooze`, `tag`, `priority`: verbs on one
    // conversation, each its own top-level command.
    #[command(flatten)]
    ConversationOp(crate::commands::conversation_ops::ConversationOp),
    /// Queue a reply to a conversation in the outbox (delivered by `sync` or `serve`)
    Reply(crate::commands::reply::ReplyArgs),
    /// Queue a moderation action on one message in the outbox: hide, unhide, delete or flag
    Moderate(crate::commands::moderate::ModerateArgs),
    /// List outbox entries with their state, platform id and the platform's error
    Outbox(crate::commands::outbox::OutboxArgs),
    /// List users with their role
    Users(crate::commands::admin::users::UsersArgs),
    /// Add a user, change their role or password, deactivate or reactivate them
    User(crate::commands::admin::users::UserArgs),
    /// Create, list and revoke personal API tokens
    Token(crate::commands::admin::tokens::TokenArgs),
    /// List teams with their members and assignment settings
    Teams(crate::commands::admin::teams::TeamsArgs),
    /// Add a team, add or remove members, change how it assigns conversations
    Team(crate::commands::admin::teams::TeamArgs),
    /// List agents with their availability, capacity and open conversations
    Agents(crate::commands::admin::agents::AgentsArgs),
    /// Set an agent's availability or capacity
    Agent(crate::commands::admin::agents::AgentArgs),
    /// List triage rules in evaluation order
    Rules(crate::commands::admin::rules::RulesArgs),
    /// Show, add, update, enable, disable, delete, move, preview or run triage rules
    Rule(crate::commands::admin::rules::RuleArgs),
    /// List business-hours calendars
    Calendars(crate::commands::admin::calendars::CalendarsArgs),
    /// Add, update or delete a business-hours calendar
    Calendar(crate::commands::admin::calendars::CalendarArgs),
    /// SLA policies and a conversation's SLA clocks
    Sla(crate::commands::admin::policies::SlaArgs),
    /// List canned replies, or add, update and delete them
    Canned(crate::commands::admin::canned::CannedArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import, or `-` for standard input
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Brand that accounts created by this import belong to (created if missing)
    #[arg(long, value_name = "NAME", default_value = "Default")]
    pub brand: String,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// A query in the trellis query language, e.g. `refund from:@jane #billing`
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// Print the results as JSON
    #[arg(long)]
    pub json: bool,

    /// How many hits to show
    #[arg(long, short = 'n', default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,

    /// Result order
    #[arg(long, value_enum, default_value_t = SortArg::Relevance)]
    pub sort: SortArg,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Poll every account once (following each stream until nothing more is waiting), print a
    /// summary per account and exit
    #[arg(long)]
    pub once: bool,

    /// With --once: polls per account at most, so a huge backlog cannot keep the command running
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_rounds: u32,

    /// With --once: only poll; leave the outbox for a later run or a running node
    #[arg(long, requires = "once")]
    pub no_deliver: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The platform to simulate
    #[arg(long, value_enum)]
    pub platform: SimulatedPlatform,

    /// Address to listen on (port 0 picks a free port; the URL is printed)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub bind: std::net::SocketAddr,

    /// Seed of the traffic generator and the fault dice, to replay a run
    #[arg(long, default_value_t = 7)]
    pub seed: u64,

    /// New messages a minute added while running
    #[arg(long, value_name = "MSGS_PER_MIN", default_value_t = 12.0)]
    pub rate: f64,

    /// Percent of reads that meet a fault (429s, 5xx, slow or truncated answers, …)
    #[arg(long, value_name = "PERCENT", default_value_t = 0.0)]
    pub faults: f64,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,

    /// New messages a minute each simulated platform adds while running
    #[arg(long, value_name = "MSGS_PER_MIN", default_value_t = 12.0)]
    pub rate: f64,

    /// Seed of the simulators' traffic; keep it across runs on one data dir
    #[arg(long, default_value_t = 7)]
    pub seed: u64,

    /// Wipe the demo data dir first and start from nothing
    #[arg(long)]
    pub fresh: bool,
}

/// Where `trellis demo` keeps its data unless `--data-dir` says otherwise: apart from `./data`,
/// so the demo never writes into a real installation.
pub const DEMO_DATA_DIR: &str = "./data/demo";

/// `--sort` values; mirrors [`SortOrder`] so core needs no clap dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    Relevance,
    Newest,
}

impl From<SortArg> for SortOrder {
    fn from(value: SortArg) -> Self {
        match value {
            SortArg::Relevance => SortOrder::Relevance,
            SortArg::Newest => SortOrder::Newest,
        }
    }
}

impl Cli {
    /// The configuration overrides given as flags.
    pub fn overrides(&self) -> Overrides {
        let bind = match &self.command {
            Command::Serve(args) => args.bind.clone(),
            Command::Demo(args) => args.bind.clone(),
            _ => None,
        };
        let (data_dir, database_url) = match &self.command {
            // The demo stays in its own dir and database whatever TRELLIS_DATA_DIR and
            // TRELLIS_DATABASE_URL say: those name a real installation.
            Command::Demo(_) => {
                let dir = self.global.data_dir.clone().unwrap_or_else(|| DEMO_DATA_DIR.into());
                let url = self.global.database_url.clone().unwrap_or_else(|| {
                    format!("sqlite://{}", dir.join("trellis.sqlite").display())
                });
                (Some(dir), Some(url))
            }
            _ => (self.global.data_dir.clone(), self.global.database_url.clone()),
        };
        Overrides {
            config: self.global.config.clone(),
            data_dir,
            database_url,
            bind,
            log: self.global.log.clone(),
            log_format: self.global.log_format.clone(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("trellis").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn search_takes_its_options_and_defaults() {
        let cli = parse(&["search", "from:@jane refund", "--json", "--sort", "newest"]).unwrap();
        let Command::Search(args) = cli.command else { panic!("expected search") };
        assert_eq!(args.query, "from:@jane refund");
        assert!(args.json);
        assert_eq!(args.limit, 20);
        assert_eq!(SortOrder::from(args.sort), SortOrder::Newest);
    }

    #[test]
    fn a_limit_of_zero_is_refused() {
        assert!(parse(&["search", "x", "--limit", "0"]).is_err());
    }

    #[test]
    fn global_flags_work_after_the_subcommand_and_become_overrides() {
        let cli = parse(&["serve", "--bind", "0.0.0.0:80", "--data-dir", "/tmp/t"]).unwrap();
        let overrides = cli.overrides();
        assert_eq!(overrides.bind.as_deref(), Some("0.0.0.0:80"));
        assert_eq!(overrides.data_dir, Some(PathBuf::from("/tmp/t")));
    }

    #[test]
    fn import_reads_stdin_with_a_dash_and_defaults_the_brand() {
        let cli = parse(&["import", "-"]).unwrap();
        let Command::Import(args) = cli.command else { panic!("expected import") };
        assert_eq!(args.file, PathBuf::from("-"));
        assert_eq!(args.brand, "Default");
    }

    #[test]
    fn sync_once_and_simulate_take_their_options() {
        let cli = parse(&["sync", "--once", "--max-rounds", "3"]).unwrap();
        let Command::Sync(args) = cli.command else { panic!("expected sync") };
        assert!(args.once);
        assert_eq!(args.max_rounds, 3);
        assert!(!args.no_deliver);
        let cli = parse(&["sync", "--once", "--no-deliver"]).unwrap();
        let Command::Sync(args) = cli.command else { panic!("expected sync") };
        assert!(args.no_deliver);
        assert!(parse(&["sync", "--no-deliver"]).is_err(), "--no-deliver needs --once");
        let cli =
            parse(&["simulate", "--platform", "facebook", "--bind", "127.0.0.1:9911"]).unwrap();
        let Command::Simulate(args) = cli.command else { panic!("expected simulate") };
        assert_eq!(args.platform, SimulatedPlatform::Facebook);
        assert_eq!(args.bind.port(), 9911);
        assert!(parse(&["simulate", "--platform", "myspace"]).is_err());
    }

    #[test]
    fn the_demo_keeps_to_its_own_data_dir_and_database_unless_told() {
        let cli = parse(&["demo", "--fresh", "--rate", "30"]).unwrap();
        let overrides = cli.overrides();
        assert_eq!(overrides.data_dir, Some(PathBuf::from(DEMO_DATA_DIR)));
        assert_eq!(overrides.database_url.as_deref(), Some("sqlite://./data/demo/trellis.sqlite"));
        let Command::Demo(args) = cli.command else { panic!("expected demo") };
        assert!(args.fresh);
        assert_eq!(args.rate, 30.0);
        let cli = parse(&["demo", "--data-dir", "/tmp/d", "--bind", "127.0.0.1:9"]).unwrap();
        let overrides = cli.overrides();
        assert_eq!(overrides.data_dir, Some(PathBuf::from("/tmp/d")));
        assert_eq!(overrides.bind.as_deref(), Some("127.0.0.1:9"));
        assert_eq!(overrides.database_url.as_deref(), Some("sqlite:///tmp/d/trellis.sqlite"));
    }

    #[test]
    fn an_unknown_command_is_refused() {
        assert!(parse(&["frobnicate"]).is_err());
    }
}
