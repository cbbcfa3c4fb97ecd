//! `trellis agents`, `trellis agent availability` and `trellis agent capacity`: who takes new
//! conversations, since when, and how many they may hold. Changes go through
//! `trellis_app::teams` as the operator (capacity changes are audited).

use super::{find_team, find_user, print_json};
use crate::commands::render::{cell, utc_time};
use crate::config::Config;
use clap::{Args, Subcommand};
use std::collections::HashMap;
use std::str::FromStr;
use trellis_app::teams;
use trellis_app::Principal;
use trellis_core::Availability;

#[derive(Debug, Args)]
pub struct AgentsArgs {
    /// Only the members of this team (id or name)
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,

    /// Print the agents as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AgentArgs {
    #[command(subcommand)]
    pub command: AgentCommand,
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Set whether an agent takes new conversations: online, away or offline
    Availability {
        /// The user's id or email
        #[arg(value_name = "USER")]
        user: String,
        #[arg(value_name = "AVAILABILITY", value_parser = clap::value_parser!(Availability))]
        availability: Availability,
    },
    /// Set how many open conversations an agent may hold, or `team` for their team's default
    Capacity {
        /// The user's id or email
        #[arg(value_name = "USER")]
        user: String,
        #[arg(value_name = "N|team", value_parser = CapacityArg::from_str)]
        capacity: CapacityArg,
    },
}

/// An agent's own capacity, or their team's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapacityArg {
    Own(u32),
    Team,
}

impl FromStr for CapacityArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.eq_ignore_ascii_case("team") {
            return Ok(CapacityArg::Team);
        }
        match text.parse::<u32>() {
            Ok(n) if n > 0 => Ok(CapacityArg::Own(n)),
            _ => Err(format!("invalid capacity {text:?}, expected a number above zero or team")),
        }
    }
}

pub async fn list(config: &Config, args: &AgentsArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let team = match &args.team {
        Some(key) => Some(find_team(&store, key).await?.id),
        None => None,
    };
    let states = teams::agents(store.as_ref(), &Principal::operator(), team).await?;
    if args.json {
        return print_json(&states);
    }
    if states.is_empty() {
        say!("no agents");
        return Ok(());
    }
    let names: HashMap<_, _> =
        store.list_users().await?.into_iter().map(|user| (user.id, user.name)).collect();
    say!(
        "{:>5}  {:<24}  {:<12}  {:<19}  {:>8}  {:>4}",
        "ID",
        "NAME",
        "AVAILABILITY",
        "SINCE",
        "CAPACITY",
        "OPEN"
    );
    for state in &states {
        let name = names.get(&state.user_id).map_or("-", String::as_str);
        say!(
            "{:>5}  {:<24}  {:<12}  {:<19}  {:>8}  {:>4}",
            state.user_id,
            cell(name, 24),
            state.availability.as_str(),
            utc_time(state.availability_since),
            state.capacity.map_or_else(|| "team".to_owned(), |n| n.to_string()),
            state.open_conversations,
        );
    }
    Ok(())
}

pub async fn run(config: &Config, args: AgentArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let operator = Principal::operator();
    match args.command {
        AgentCommand::Availability { user, availability } => {
            let user = find_user(&store, &user).await?;
            teams::set_availability(store.as_ref(), &operator, user.id, availability).await?;
            say!("{} is {availability}", user.name);
        }
        AgentCommand::Capacity { user, capacity } => {
            let user = find_user(&store, &user).await?;
            let own = match capacity {
                CapacityArg::Own(n) => Some(n),
                CapacityArg::Team => None,
            };
            teams::set_capacity(store.as_ref(), &operator, user.id, own).await?;
            match own {
                Some(n) => say!("{} may hold {n} open conversations", user.name),
                None => say!("{} follows their team's capacity", user.name),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_capacity_is_a_positive_number_or_team() {
        assert_eq!("5".parse::<CapacityArg>(), Ok(CapacityArg::Own(5)));
        assert_eq!("Team".parse::<CapacityArg>(), Ok(CapacityArg::Team));
        assert!("0".parse::<CapacityArg>().is_err());
        assert!("lots".parse::<CapacityArg>().is_err());
    }
}
