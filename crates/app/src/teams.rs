//! Teams and agents: the teams conversations are routed to, their members, the brands they serve
//! (an agent works the conversations of their teams' brands) and assignment settings, and each
//! agent's availability and capacity. Supervisors manage them (audited);
//! everyone reads them, and every agent sets their own availability.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use crate::identity::audit;
use chrono::Utc;
use serde::{Deserialize, Deserializer, Serialize};
use trellis_core::{
    AgentState, AssignmentMode, Availability, BrandId, Store, Team, TeamId, TeamSettings, UserId,
};

/// A team with its members and how it assigns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamView {
    #[serde(flatten)]
    pub team: Team,
    pub members: Vec<UserId>,
    /// The brands the team serves, sorted: its agents work these brands' conversations. Empty:
    /// every brand, those added later included.
    pub brands: Vec<BrandId>,
    pub settings: TeamSettings,
}

/// A change to a team's assignment settings; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    #[serde(default)]
    pub assignment: Option<AssignmentMode>,
    #[serde(default)]
    pub default_capacity: Option<u32>,
    /// `null` never returns an offline agent's conversations to the queue.
    #[serde(default, deserialize_with = "present")]
    pub return_after_offline_secs: Option<Option<i64>>,
}

fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

pub async fn list(store: &dyn Store, principal: &Principal) -> ServiceResult<Vec<TeamView>> {
    principal.require(Permission::ReadInbox)?;
    let mut views = Vec::new();
    for team in store.list_teams().await? {
        views.push(view(store, team).await?);
    }
    Ok(views)
}

async fn view(store: &dyn Store, team: Team) -> ServiceResult<TeamView> {
    let members = store.team_members(team.id).await?;
    let brands = store.team_brands(team.id).await?;
    let settings = store.team_settings(team.id).await?;
    Ok(TeamView { team, members, brands, settings })
}

async fn team(store: &dyn Store, id: TeamId) -> ServiceResult<TeamView> {
    let team = store
        .list_teams()
        .await?
        .into_iter()
        .find(|team| team.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("team {id} not found")))?;
    view(store, team).await
}

/// Creates a team serving `brands` (empty: every brand, what a deployment of one brand wants; an
/// agency names the brand).
pub async fn create(
    store: &dyn Store,
    principal: &Principal,
    name: &str,
    brands: &[BrandId],
) -> ServiceResult<TeamView> {
    principal.require(Permission::ManageWorkflow)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid_parameter("name", "a team name has 1 to 100 characters"));
    }
    if store.list_teams().await?.iter().any(|team| team.name.eq_ignore_ascii_case(name)) {
        return Err(ServiceError::Conflict(format!("a team named {name} exists already")));
    }
    let brands = known_brands(store, brands).await?;
    let team = store.create_team(name).await?;
    if !brands.is_empty() {
        store.set_team_brands(team.id, &brands).await?;
    }
    let created = view(store, team).await?;
    audit::record(
        store,
        principal,
        "team.created",
        "team",
        created.team.id,
        None::<()>,
        Some(&created),
    )
    .await?;
    Ok(created)
}

/// Replaces the brands team `id` serves (empty: every brand). Its agents' inboxes change from
/// their next request.
pub async fn set_brands(
    store: &dyn Store,
    principal: &Principal,
    id: TeamId,
    brands: &[BrandId],
) -> ServiceResult<TeamView> {
    principal.require(Permission::ManageWorkflow)?;
    let before = team(store, id).await?;
    let brands = known_brands(store, brands).await?;
    store.set_team_brands(id, &brands).await?;
    let after = team(store, id).await?;
    audit::record(store, principal, "team.brands_changed", "team", id, Some(&before), Some(&after))
        .await?;
    Ok(after)
}

/// `brands`, each checked to exist: an unknown one is refused naming the field.
async fn known_brands(store: &dyn Store, brands: &[BrandId]) -> ServiceResult<Vec<BrandId>> {
    let known = store.list_brands().await?;
    if let Some(unknown) = brands.iter().find(|id| !known.iter().any(|brand| brand.id == **id)) {
        return Err(ServiceError::invalid_parameter(
            "brands",
            format!("there is no brand {unknown}"),
        ));
    }
    Ok(brands.to_vec())
}

pub async fn add_member(
    store: &dyn Store,
    principal: &Principal,
    id: TeamId,
    user: UserId,
) -> ServiceResult<TeamView> {
    principal.require(Permission::ManageWorkflow)?;
    let before = team(store, id).await?;
    store.get_user(user).await?;
    if !before.members.contains(&user) {
        store.add_team_member(id, user).await?;
    }
    let after = team(store, id).await?;
    audit::record(store, principal, "team.member_added", "team", id, Some(&before), Some(&after))
        .await?;
    Ok(after)
}

pub async fn remove_member(
    store: &dyn Store,
    principal: &Principal,
    id: TeamId,
    user: UserId,
) -> ServiceResult<TeamView> {
    principal.require(Permission::ManageWorkflow)?;
    let before = team(store, id).await?;
    store.remove_team_member(id, user).await?;
    let after = team(store, id).await?;
    audit::record(store, principal, "team.member_removed", "team", id, Some(&before), Some(&after))
        .await?;
    Ok(after)
}

pub async fn update_settings(
    store: &dyn Store,
    principal: &Principal,
    id: TeamId,
    change: &SettingsChange,
) -> ServiceResult<TeamView> {
    principal.require(Permission::ManageWorkflow)?;
    if change == &SettingsChange::default() {
        return Err(ServiceError::Invalid("the change changes nothing".into()));
    }
    if change.default_capacity.is_some_and(|capacity| !(1..=1000).contains(&capacity)) {
        return Err(ServiceError::invalid_parameter("default_capacity", "capacity is 1 to 1000"));
    }
    if let Some(Some(seconds)) = change.return_after_offline_secs {
        if !(60..=7 * 86_400).contains(&seconds) {
            return Err(ServiceError::invalid_parameter(
                "return_after_offline_secs",
                "between 60 seconds and 7 days, or null for never",
            ));
        }
    }
    let before = team(store, id).await?;
    let mut settings = before.settings.clone();
    if let Some(assignment) = change.assignment {
        settings.assignment = assignment;
    }
    if let Some(capacity) = change.default_capacity {
        settings.default_capacity = capacity;
    }
    if let Some(seconds) = change.return_after_offline_secs {
        settings.return_after_offline_secs = seconds;
    }
    store.update_team_settings(settings).await?;
    let after = team(store, id).await?;
    audit::record(
        store,
        principal,
        "team.settings_changed",
        "team",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Agents with their availability, capacity and open conversations (of one team, or everyone).
pub async fn agents(
    store: &dyn Store,
    principal: &Principal,
    team: Option<TeamId>,
) -> ServiceResult<Vec<AgentState>> {
    principal.require(Permission::ReadInbox)?;
    Ok(store.agent_states(team).await?)
}

/// Sets `user`'s availability: anyone their own, supervisors anyone's.
pub async fn set_availability(
    store: &dyn Store,
    principal: &Principal,
    user: UserId,
    availability: Availability,
) -> ServiceResult<AgentState> {
    if !principal.is(user) {
        principal.require(Permission::ManageWorkflow)?;
    }
    store.get_user(user).await?;
    store.set_availability(user, availability, Utc::now()).await?;
    agent_state(store, user).await
}

/// Sets how many open conversations `user` may hold (`None`: the team's default).
pub async fn set_capacity(
    store: &dyn Store,
    principal: &Principal,
    user: UserId,
    capacity: Option<u32>,
) -> ServiceResult<AgentState> {
    principal.require(Permission::ManageWorkflow)?;
    if capacity.is_some_and(|capacity| !(1..=1000).contains(&capacity)) {
        return Err(ServiceError::invalid_parameter("capacity", "capacity is 1 to 1000, or null"));
    }
    store.get_user(user).await?;
    let before = agent_state(store, user).await.ok();
    store.set_capacity(user, capacity).await?;
    let after = agent_state(store, user).await?;
    audit::record(
        store,
        principal,
        "agent.capacity_changed",
        "user",
        user,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    Ok(after)
}

async fn agent_state(store: &dyn Store, user: UserId) -> ServiceResult<AgentState> {
    store
        .agent_states(None)
        .await?
        .into_iter()
        .find(|state| state.user_id == user)
        .ok_or_else(|| ServiceError::NotFound(format!("agent {user} not found")))
}
