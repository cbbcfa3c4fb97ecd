//! What the demo puts in the store, each item only when it is missing, so a second run on the
//! same data dir finds everything in place and duplicates nothing: the brand "Acme Coffee", one
//! account per simulator (connected through the code `trellis account add` uses), the team
//! "Support" with a supervisor and four agents, and triage rules beyond the first-run defaults.

use crate::cli::SimulatedPlatform;
use crate::config::Config;
use crate::simulators::Connection;
use anyhow::Context;
use chrono::Utc;
use std::sync::Arc;
use trellis_core::{
    Account, AssignmentMode, Availability, BrandId, Channel, NewUser, Priority, Role, Store,
    TagName, TeamId, TeamSettings,
};
use trellis_sync::accounts::connect::connect_with_token;
use trellis_sync::accounts::Connectors;
use trellis_sync::secrets::{AccountSecrets, SecretKey};
use trellis_triage::rules::{Action, Condition, ConditionGroup, MatchMode, Rule, RuleId};
use trellis_triage::service::defaults::SPAM_RULE;
use trellis_triage::stored::{rule_from_record, rule_input};

pub const BRAND: &str = "Acme Coffee";
pub const TEAM: &str = "Support";
/// Open conversations an agent of the demo team holds at most.
const CAPACITY: u32 = 5;
/// The demo rules, created once; the first one marks that they were.
const REFUND_RULE: &str = "Refunds go to billing";
const VIP_RULE: &str = "Verified and big accounts first";

/// The team's people: name, email, role and availability.
pub const PEOPLE: [(&str, &str, Role, Availability); 5] = [
    ("Sam Rivera", "sam@acme-coffee.example", Role::Supervisor, Availability::Online),
    ("Ava Chen", "ava@acme-coffee.example", Role::Agent, Availability::Online),
    ("Ben Okafor", "ben@acme-coffee.example", Role::Agent, Availability::Online),
    ("Cleo Martin", "cleo@acme-coffee.example", Role::Agent, Availability::Away),
    ("Dan Novak", "dan@acme-coffee.example", Role::Agent, Availability::Offline),
];

/// Everything the demo needs, created where missing. Returns the connected accounts.
pub async fn seed(
    config: &Config,
    store: &Arc<dyn Store>,
    simulators: &[Connection],
) -> anyhow::Result<Vec<Account>> {
    let brand = brand(store).await?;
    let accounts = connect_accounts(config, store, brand, simulators).await?;
    let team = team(store).await?;
    trellis_triage::service::ensure_defaults(store)
        .await
        .context("cannot create triage defaults")?;
    rules(store, team).await?;
    Ok(accounts)
}

async fn brand(store: &Arc<dyn Store>) -> anyhow::Result<BrandId> {
    let existing = store.list_brands().await?.into_iter().find(|brand| brand.name == BRAND);
    Ok(match existing {
        Some(brand) => brand.id,
        None => store.create_brand(BRAND).await?.id,
    })
}

/// Connects (or, on a later run, reconnects) each simulator's account with the credentials it
/// accepts: verified with the platform, sealed with the data dir's key. The account is found by
/// its platform id, so a second run updates its credentials instead of adding another.
async fn connect_accounts(
    config: &Config,
    store: &Arc<dyn Store>,
    brand: BrandId,
    simulators: &[Connection],
) -> anyhow::Result<Vec<Account>> {
    let key = SecretKey::load_or_generate(config.secret_key.as_deref(), &config.data_dir)
        .context("cannot load the secret key that seals account credentials")?;
    let connectors = Connectors::from_settings(&config.connection_settings())
        .context("cannot set up the connectors")?;
    let mut accounts = Vec::new();
    for sim in simulators {
        let (channel, claimed) = match sim.platform {
            SimulatedPlatform::X => (Channel::X, None),
            SimulatedPlatform::Facebook => (Channel::Facebook, sim.page_id.as_deref()),
            SimulatedPlatform::Discourse => (Channel::Discourse, sim.username.as_deref()),
        };
        let secrets = AccountSecrets {
            access_token: sim.access_token.clone(),
            refresh_token: sim.refresh_token.clone(),
            expires_at: None,
            api_username: sim.username.clone(),
        };
        let connector = connectors.get(channel);
        let account = connect_with_token(
            store,
            &key,
            connector.as_ref(),
            brand,
            &sim.base_url,
            claimed,
            secrets,
        )
        .await
        .with_context(|| format!("cannot connect the {channel} simulator's account"))?;
        accounts.push(account);
    }
    Ok(accounts)
}

/// The team with balanced assignment and its people. Availability is set when a person is
/// created, so what was changed since is kept on a later run.
async fn team(store: &Arc<dyn Store>) -> anyhow::Result<TeamId> {
    let team = match store.list_teams().await?.into_iter().find(|team| team.name == TEAM) {
        Some(team) => team.id,
        None => {
            let team = store.create_team(TEAM).await?.id;
            store
                .update_team_settings(TeamSettings {
                    team_id: team,
                    assignment: AssignmentMode::Balanced,
                    default_capacity: CAPACITY,
                    return_after_offline_secs: None,
                    round_robin_last: None,
                })
                .await?;
            team
        }
    };
    let users = store.list_users().await?;
    for (name, email, role, availability) in PEOPLE {
        if users.iter().any(|user| user.email == email) {
            continue;
        }
        let user = store
            .create_user(NewUser { email: email.to_owned(), name: name.to_owned(), role })
            .await?;
        store.add_team_member(team, user.id).await?;
        store.set_availability(user.id, availability, Utc::now()).await?;
        store.set_capacity(user.id, Some(CAPACITY)).await?;
    }
    Ok(team)
}

/// Turns on the spam rule and adds the demo's rules, once: an administrator's later changes to
/// them are kept.
async fn rules(store: &Arc<dyn Store>, team: TeamId) -> anyhow::Result<()> {
    let existing = store.list_rules().await?;
    if existing.iter().any(|rule| rule.name == REFUND_RULE) {
        return Ok(());
    }
    if let Some(spam) = existing.iter().find(|rule| rule.name == SPAM_RULE) {
        let mut enabled = rule_from_record(spam)?;
        enabled.enabled = true;
        store.update_rule(spam.id, rule_input(&enabled)).await?;
    }
    for rule in [vip_rule()?, refund_rule(team)?] {
        store.create_rule(rule_input(&rule)).await?;
    }
    tracing::info!(team_id = %team, "created the demo triage rules");
    Ok(())
}

fn tag(name: &str) -> anyhow::Result<TagName> {
    TagName::parse(name).with_context(|| format!("bad tag {name}"))
}

/// `#refund` and `refund` messages are billing's: tagged and routed to the team, which assigns
/// them to the least busy online agent.
fn refund_rule(team: TeamId) -> anyhow::Result<Rule> {
    Ok(Rule {
        id: RuleId(0),
        name: REFUND_RULE.to_owned(),
        enabled: true,
        conditions: ConditionGroup {
            match_mode: MatchMode::Any,
            conditions: vec![Condition::TextContains { any_of: vec!["refund".to_owned()] }],
        },
        actions: vec![
            Action::AddTag { tag: tag("billing")? },
            Action::RouteToTeam { team_id: team },
        ],
        stop_processing: false,
    })
}

/// Verified authors and those with more than 10k followers are answered first.
fn vip_rule() -> anyhow::Result<Rule> {
    Ok(Rule {
        id: RuleId(0),
        name: VIP_RULE.to_owned(),
        enabled: true,
        conditions: ConditionGroup {
            match_mode: MatchMode::Any,
            conditions: vec![
                Condition::AuthorVerified,
                Condition::AuthorFollowersAtLeast { count: 10_001 },
            ],
        },
        actions: vec![
            Action::AddTag { tag: tag("vip")? },
            Action::SetPriority { priority: Priority::High },
        ],
        stop_processing: false,
    })
}
