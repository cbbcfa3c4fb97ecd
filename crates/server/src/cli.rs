//! The `trellis` command line. Parsing only: each command's work lives in its own module.

use crate::config::Overrides;
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
            _ => None,
        };
        Overrides {
            config: self.global.config.clone(),
            data_dir: self.global.data_dir.clone(),
            database_url: self.global.database_url.clone(),
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
    fn an_unknown_command_is_refused() {
        assert!(parse(&["frobnicate"]).is_err());
    }
}
