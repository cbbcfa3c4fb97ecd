//! Teams and agents:
//! - `GET /api/v1/teams`: every team with its members, brands and assignment settings;
//! - `POST /api/v1/teams` `{name, brands?}`, `POST /api/v1/teams/{id}/members` `{user_id}`,
//!   `DELETE /api/v1/teams/{id}/members/{user_id}`, `PUT /api/v1/teams/{id}/brands` `{brands}`,
//!   `PATCH /api/v1/teams/{id}/settings`: supervisors;
//! - `GET /api/v1/agents?team=`: availability, capacity and open conversations;
//! - `PUT /api/v1/me/availability` `{availability}`: one's own;
//! - `PUT /api/v1/agents/{id}/availability`, `PUT /api/v1/agents/{id}/capacity`: supervisors.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use trellis_app::teams::{self, SettingsChange, TeamView};
use trellis_core::{AgentState, Availability, BrandId, TeamId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(set_brands))
        .routes(routes!(update_settings))
        .routes(routes!(agents))
        .routes(routes!(own_availability))
        .routes(routes!(availability))
        .routes(routes!(capacity))
}

#[utoipa::path(
    get,
    path = "/teams",
    tag = "teams",
    summary = "Every team with its members and assignment settings",
    responses((status = 200, description = "the teams"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<AppJson<Vec<TeamView>>, AppError> {
    Ok(AppJson(teams::list(state.store.as_ref(), auth.principal()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTeam {
    name: String,
    /// The brands the team serves; absent or empty: every brand, those added later included.
    #[serde(default)]
    brands: Vec<i64>,
}

#[utoipa::path(
    post,
    path = "/teams",
    tag = "teams",
    summary = "Create a team serving the brands named (none: every brand)",
    request_body = NewTeam,
    responses(
        (status = 201, description = "the team"),
        (status = 409, description = "a team of that name exists"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn create(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<NewTeam>,
) -> Result<(StatusCode, AppJson<TeamView>), AppError> {
    let brands: Vec<BrandId> = body.brands.into_iter().map(BrandId).collect();
    let store = state.store.as_ref();
    let team = teams::create(store, auth.principal(), &body.name, &brands).await?;
    Ok((StatusCode::CREATED, AppJson(team)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Member {
    user_id: i64,
}

#[utoipa::path(
    post,
    path = "/teams/{id}/members",
    tag = "teams",
    summary = "Add a member to a team",
    params(("id" = i64, Path, description = "the team")),
    request_body = Member,
    responses(
        (status = 200, description = "the team"),
        (status = 404, description = "no such team or user"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn add_member(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<Member>,
) -> Result<AppJson<TeamView>, AppError> {
    let (id, user) = (TeamId(id), UserId(body.user_id));
    Ok(AppJson(teams::add_member(state.store.as_ref(), auth.principal(), id, user).await?))
}

#[utoipa::path(
    delete,
    path = "/teams/{id}/members/{user_id}",
    tag = "teams",
    summary = "Take a member out of a team",
    params(("id" = i64, Path, description = "the team"), ("user_id" = i64, Path, description = "the member")),
    responses(
        (status = 200, description = "the team"),
        (status = 404, description = "no such team, or not a member"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn remove_member(
    State(state): State<AppState>,
    auth: Auth,
    AppPath((id, user)): AppPath<(i64, i64)>,
) -> Result<AppJson<TeamView>, AppError> {
    let (id, user) = (TeamId(id), UserId(user));
    Ok(AppJson(teams::remove_member(state.store.as_ref(), auth.principal(), id, user).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Brands {
    /// Every brand the team serves from now on; empty: every brand.
    brands: Vec<i64>,
}

#[utoipa::path(
    put,
    path = "/teams/{id}/brands",
    tag = "teams",
    summary = "Set the brands a team serves: its agents work those brands' conversations",
    params(("id" = i64, Path, description = "the team")),
    request_body = Brands,
    responses(
        (status = 200, description = "the team"),
        (status = 404, description = "no such team"),
        (status = 422, description = "a brand does not exist"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn set_brands(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<Brands>,
) -> Result<AppJson<TeamView>, AppError> {
    let brands: Vec<BrandId> = body.brands.into_iter().map(BrandId).collect();
    let store = state.store.as_ref();
    Ok(AppJson(teams::set_brands(store, auth.principal(), TeamId(id), &brands).await?))
}

#[utoipa::path(
    patch,
    path = "/teams/{id}/settings",
    tag = "teams",
    summary = "Change how a team assigns: manual, round_robin or balanced; default capacity; when offline agents' conversations return to the queue",
    params(("id" = i64, Path, description = "the team")),
    request_body = serde_json::Value,
    responses(
        (status = 200, description = "the team"),
        (status = 422, description = "a setting is out of range"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn update_settings(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<SettingsChange>,
) -> Result<AppJson<TeamView>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(teams::update_settings(store, auth.principal(), TeamId(id), &change).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentsQuery {
    team: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/agents",
    tag = "teams",
    summary = "Agents with their availability, capacity and open conversations",
    params(("team" = Option<i64>, Query, description = "only this team's members")),
    responses((status = 200, description = "the agents"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn agents(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(query): AppQuery<AgentsQuery>,
) -> Result<AppJson<Vec<AgentState>>, AppError> {
    let team = query.team.map(TeamId);
    Ok(AppJson(teams::agents(state.store.as_ref(), auth.principal(), team).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AvailabilityChange {
    /// online, away or offline
    #[schema(value_type = String)]
    availability: Availability,
}

#[utoipa::path(
    put,
    path = "/me/availability",
    tag = "teams",
    summary = "Set one's own availability: online takes new conversations, away keeps one's own, offline",
    request_body = AvailabilityChange,
    responses((status = 200, description = "one's agent state"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn own_availability(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<AvailabilityChange>,
) -> Result<AppJson<AgentState>, AppError> {
    let me = auth.0.user.id;
    let store = state.store.as_ref();
    Ok(AppJson(teams::set_availability(store, auth.principal(), me, body.availability).await?))
}

#[utoipa::path(
    put,
    path = "/agents/{id}/availability",
    tag = "teams",
    summary = "Set an agent's availability",
    params(("id" = i64, Path, description = "the agent")),
    request_body = AvailabilityChange,
    responses(
        (status = 200, description = "the agent's state"),
        (status = 404, description = "no such user"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn availability(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<AvailabilityChange>,
) -> Result<AppJson<AgentState>, AppError> {
    let store = state.store.as_ref();
    let user = UserId(id);
    Ok(AppJson(teams::set_availability(store, auth.principal(), user, body.availability).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CapacityChange {
    /// Open conversations the agent may hold; null for the team's default.
    capacity: Option<u32>,
}

#[utoipa::path(
    put,
    path = "/agents/{id}/capacity",
    tag = "teams",
    summary = "Set how many open conversations an agent may hold",
    params(("id" = i64, Path, description = "the agent")),
    request_body = CapacityChange,
    responses(
        (status = 200, description = "the agent's state"),
        (status = 422, description = "out of range"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn capacity(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<CapacityChange>,
) -> Result<AppJson<AgentState>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(teams::set_capacity(store, auth.principal(), UserId(id), body.capacity).await?))
}
