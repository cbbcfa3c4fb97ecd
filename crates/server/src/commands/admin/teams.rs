//! `trellis teams`, `trellis team add`, `trellis team member add|remove`, `trellis team brands`
//! and `trellis team settings`: the teams conversations are routed to, who is in them, the brands
//! they serve, and how each assigns its conversations. Every change goes through
//! `trellis_app::teams` as the operator, so it is checked and audited as over the API.

use super::duration::{format_duration, MaybeDuration};
use super::{find_brand, find_team, find_user, print_json};
use crate::config::Config;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::str::FromStr;
use std::sync::Arc;
use trellis_app::teams::{self, SettingsChange};
use trellis_app::Principal;
use trellis_core::{AssignmentMode, BrandId, Store, TeamSettings};

#[derive(Debug, Args)]
pub struct TeamsArgs {
    /// Print the teams, their members and settings as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TeamArgs {
    #[command(subcommand)]
    pub command: TeamCommand,
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team
    Add {
        #[arg(value_name = "NAME")]
        name: String,
        /// A brand (id or name) the team serves; repeat for several. None: every brand, those
        /// added later included
        #[arg(long = "brand", value_name = "BRAND")]
        brands: Vec<String>,
    },
    /// Set the brands a team serves (its agents work those brands' conversations); with no
    /// brand, every brand
    Brands {
        /// The team's id or name
        #[arg(value_name = "TEAM")]
        team: String,
        /// Brands by id or name
        #[arg(value_name = "BRAND")]
        brands: Vec<String>,
    },
    /// Manage a team's members
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Change how a team assigns its conversations, then print its settings (with no option:
    /// print them)
    Settings(SettingsArgs),
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a user to a team
    Add {
        /// The team's id or name
        #[arg(value_name = "TEAM")]
        team: String,
        /// The user's id or email
        #[arg(value_name = "USER")]
        user: String,
    },
    /// Take a user out of a team
    Remove {
        /// The team's id or name
        #[arg(value_name = "TEAM")]
        team: String,
        /// The user's id or email
        #[arg(value_name = "USER")]
        user: String,
    },
}

#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// The team's id or name
    #[arg(value_name = "TEAM")]
    pub team: String,

    /// manual, round_robin or balanced
    #[arg(long, value_parser = clap::value_parser!(AssignmentMode))]
    pub assignment: Option<AssignmentMode>,

    /// Open conversations an agent may hold unless their own capacity says otherwise
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub capacity: Option<u32>,

    /// Return an agent's open conversations to the queue after this long offline (30m, 2h, …),
    /// or never
    #[arg(long, value_name = "DURATION", value_parser = MaybeDuration::from_str)]
    pub return_after: Option<MaybeDuration>,

    /// Print the settings as JSON
    #[arg(long)]
    pub json: bool,
}

pub async fn list(config: &Config, args: &TeamsArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let views = teams::list(store.as_ref(), &Principal::operator()).await?;
    if args.json {
        return print_json(&views);
    }
    if views.is_empty() {
        say!("no teams; add one with `trellis team add NAME`");
        return Ok(());
    }
    say!(
        "{:>5}  {:<24}  {:>7}  {:<11}  {:>8}  {:<12}  {}",
        "ID",
        "NAME",
        "MEMBERS",
        "ASSIGNMENT",
        "CAPACITY",
        "RETURN AFTER",
        "BRANDS"
    );
    for view in &views {
        say!(
            "{:>5}  {:<24}  {:>7}  {:<11}  {:>8}  {:<12}  {}",
            view.team.id,
            crate::commands::render::cell(&view.team.name, 24),
            view.members.len(),
            view.settings.assignment.as_str(),
            view.settings.default_capacity,
            return_after(&view.settings),
            brands(&view.brands),
        );
    }
    Ok(())
}

fn brands(brands: &[BrandId]) -> String {
    if brands.is_empty() {
        return "all".to_owned();
    }
    brands.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

async fn brand_ids(store: &Arc<dyn Store>, keys: &[String]) -> anyhow::Result<Vec<BrandId>> {
    let mut ids = Vec::with_capacity(keys.len());
    for key in keys {
        ids.push(find_brand(store, key).await?.id);
    }
    Ok(ids)
}

fn return_after(settings: &TeamSettings) -> String {
    settings.return_after_offline_secs.map_or_else(|| "never".to_owned(), format_duration)
}

pub async fn run(config: &Config, args: TeamArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let operator = Principal::operator();
    match args.command {
        TeamCommand::Add { name, brands: keys } => {
            let brands = brand_ids(&store, &keys).await?;
            let view = teams::create(store.as_ref(), &operator, &name, &brands)
                .await
                .with_context(|| format!("cannot add team {name}"))?;
            say!("team {} added: {}", view.team.id, view.team.name);
        }
        TeamCommand::Brands { team, brands: keys } => {
            let team = find_team(&store, &team).await?;
            let brands = brand_ids(&store, &keys).await?;
            let view = teams::set_brands(store.as_ref(), &operator, team.id, &brands).await?;
            say!("team {} serves brands: {}", team.name, self::brands(&view.brands));
        }
        TeamCommand::Member { command: MemberCommand::Add { team, user } } => {
            let team = find_team(&store, &team).await?;
            let user = find_user(&store, &user).await?;
            teams::add_member(store.as_ref(), &operator, team.id, user.id).await?;
            say!("{} <{}> is a member of team {}", user.name, user.email, team.name);
        }
        TeamCommand::Member { command: MemberCommand::Remove { team, user } } => {
            let team = find_team(&store, &team).await?;
            let user = find_user(&store, &user).await?;
            let removed = teams::remove_member(store.as_ref(), &operator, team.id, user.id).await;
            if let Err(trellis_app::ServiceError::NotFound(_)) = removed {
                anyhow::bail!(
                    "{} <{}> is not a member of team {}",
                    user.name,
                    user.email,
                    team.name
                );
            }
            removed?;
            say!("{} <{}> is no longer a member of team {}", user.name, user.email, team.name);
        }
        TeamCommand::Settings(args) => settings(&store, args).await?,
    }
    Ok(())
}

async fn settings(store: &Arc<dyn Store>, args: SettingsArgs) -> anyhow::Result<()> {
    let team = find_team(store, &args.team).await?;
    let change = SettingsChange {
        assignment: args.assignment,
        default_capacity: args.capacity,
        return_after_offline_secs: args.return_after.map(|after| after.secs),
    };
    let settings = if change == SettingsChange::default() {
        store.team_settings(team.id).await?
    } else {
        teams::update_settings(store.as_ref(), &Principal::operator(), team.id, &change)
            .await?
            .settings
    };
    if args.json {
        return print_json(&settings);
    }
    say!("team {} ({}):", team.name, team.id);
    say!("  assignment:    {}", settings.assignment);
    say!("  capacity:      {} open conversations an agent", settings.default_capacity);
    say!("  return after:  {} offline", return_after(&settings));
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn settings(args: &[&str]) -> super::SettingsArgs {
        let line = ["trellis", "team", "settings"].iter().chain(args);
        let Command::Team(team) = Cli::try_parse_from(line).unwrap().command else {
            panic!("expected team")
        };
        let super::TeamCommand::Settings(settings) = team.command else {
            panic!("expected settings")
        };
        settings
    }

    #[test]
    fn team_settings_read_a_return_after_duration_or_never() {
        let args = settings(&["Support", "--return-after", "2h", "--capacity", "4"]);
        assert_eq!(args.return_after.map(|after| after.secs), Some(Some(7_200)));
        assert_eq!(args.capacity, Some(4));
        let args = settings(&["Support", "--return-after", "never"]);
        assert_eq!(args.return_after.map(|after| after.secs), Some(None));
        assert!(settings(&["Support"]).return_after.is_none());
    }
}
