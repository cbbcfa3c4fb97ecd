//! The administration commands: users, API tokens, teams, agents, rules, business-hours calendars,
//! SLA policies and canned replies. Each is a thin layer over the store and the triage crate's
//! parsing (`trellis_triage::stored`): a definition read from a file is validated exactly as the
//! triage service will read it, and nothing is written when it is refused.

/// `println!` that returns the write error (a closed pipe, as in `trellis rules | head`) to the
/// caller instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?;
    }};
}

pub mod agents;
pub mod calendars;
pub mod canned;
pub mod duration;
pub mod policies;
pub mod rule_runs;
pub mod rules;
pub mod teams;
pub mod tokens;
pub mod users;

use anyhow::Context;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use trellis_core::{Brand, BrandId, Store, Team, TeamId, User, UserId};

/// Prints `value` as pretty JSON on stdout, for `--json`.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// The text of a definition file (`-` for standard input).
pub fn read_definition(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        return std::io::read_to_string(std::io::stdin()).context("cannot read standard input");
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// A user named by id or by email.
pub async fn find_user(store: &Arc<dyn Store>, key: &str) -> anyhow::Result<User> {
    let users = store.list_users().await?;
    let id = key.parse::<i64>().ok().map(UserId);
    users
        .into_iter()
        .find(|user| Some(user.id) == id || user.email.eq_ignore_ascii_case(key))
        .with_context(|| format!("no user with id or email {key:?} (see `trellis users`)"))
}

/// A brand named by id or by name.
pub async fn find_brand(store: &Arc<dyn Store>, key: &str) -> anyhow::Result<Brand> {
    let brands = store.list_brands().await?;
    let id = key.parse::<i64>().ok().map(BrandId);
    brands
        .into_iter()
        .find(|brand| Some(brand.id) == id || brand.name == key)
        .with_context(|| format!("no brand with id or name {key:?} (see `trellis accounts`)"))
}

/// A team named by id or by name.
pub async fn find_team(store: &Arc<dyn Store>, key: &str) -> anyhow::Result<Team> {
    let teams = store.list_teams().await?;
    let id = key.parse::<i64>().ok().map(TeamId);
    teams
        .into_iter()
        .find(|team| Some(team.id) == id || team.name == key)
        .with_context(|| format!("no team with id or name {key:?} (see `trellis teams`)"))
}
