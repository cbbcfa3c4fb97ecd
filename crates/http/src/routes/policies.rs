//! SLA policies: `GET /api/v1/sla-policies` and `GET /api/v1/sla-policies/{id}` (everyone);
//! `POST /api/v1/sla-policies`, `PATCH /api/v1/sla-policies/{id}`,
//! `POST /api/v1/sla-policies/{id}/default` and `DELETE /api/v1/sla-policies/{id}` (supervisors,
//! audited). A definition is the JSON of docs/examples/policy.json (targets per priority, warning
//! percent, escalation), checked as triage reads it; a refusal is 422 naming
//! `definition.targets`, `definition.warning_percent`, `definition.escalation`, `definition` or
//! `calendar_id`.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use trellis_app::policies::{self, PolicyChange};
use trellis_core::{CalendarId, SlaPolicyId, SlaPolicyInput, SlaPolicyRecord};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
        .routes(routes!(make_default))
}

#[utoipa::path(
    get,
    path = "/sla-policies",
    tag = "sla policies",
    summary = "Every SLA policy",
    responses((status = 200, description = "the policies"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<AppJson<Vec<SlaPolicyRecord>>, AppError> {
    Ok(AppJson(policies::list(state.store.as_ref(), auth.principal()).await?))
}

#[utoipa::path(
    get,
    path = "/sla-policies/{id}",
    tag = "sla policies",
    summary = "One SLA policy",
    params(("id" = i64, Path, description = "the policy")),
    responses((status = 200, description = "the policy"), (status = 404, description = "no such policy")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<SlaPolicyRecord>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(policies::get(store, auth.principal(), SlaPolicyId(id)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewPolicy {
    name: String,
    /// The business-hours calendar its targets count in; absent or null: round the clock in UTC
    calendar_id: Option<i64>,
    /// Apply it to new conversations no rule gave a policy, taking over from the current default
    #[serde(default)]
    is_default: bool,
    /// targets per priority (`{"urgent": {"first_response_minutes": 30, "next_response_minutes":
    /// 30, "resolution_minutes": 480}}`), warning_percent, escalation: docs/examples/policy.json
    definition: Value,
}

#[utoipa::path(
    post,
    path = "/sla-policies",
    tag = "sla policies",
    summary = "Add an SLA policy",
    request_body = NewPolicy,
    responses(
        (status = 201, description = "the policy, its definition in normal form"),
        (status = 409, description = "a policy of that name exists"),
        (status = 422, description = "a field is wrong (invalid_field names it, e.g. definition.targets or calendar_id)"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn create(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<NewPolicy>,
) -> Result<(StatusCode, AppJson<SlaPolicyRecord>), AppError> {
    let input = SlaPolicyInput {
        name: body.name,
        calendar_id: body.calendar_id.map(CalendarId),
        is_default: body.is_default,
        definition: body.definition,
    };
    let policy = policies::create(state.store.as_ref(), auth.principal(), input).await?;
    Ok((StatusCode::CREATED, AppJson(policy)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PolicyPatch {
    name: Option<String>,
    /// Another calendar; null: round the clock in UTC
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    calendar_id: Option<Option<i64>>,
    /// Replaces the definition whole
    definition: Option<Value>,
}

/// A field given as `null` is `Some(None)`, told apart from an absent one.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

#[utoipa::path(
    patch,
    path = "/sla-policies/{id}",
    tag = "sla policies",
    summary = "Rename a policy, change its calendar or replace its definition",
    params(("id" = i64, Path, description = "the policy")),
    request_body = PolicyPatch,
    responses(
        (status = 200, description = "the policy"),
        (status = 404, description = "no such policy"),
        (status = 409, description = "the name is taken"),
        (status = 422, description = "a field is wrong (invalid_field names it)"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn update(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<PolicyPatch>,
) -> Result<AppJson<SlaPolicyRecord>, AppError> {
    let change = PolicyChange {
        name: body.name,
        calendar_id: body.calendar_id.map(|calendar| calendar.map(CalendarId)),
        definition: body.definition,
    };
    let store = state.store.as_ref();
    Ok(AppJson(policies::update(store, auth.principal(), SlaPolicyId(id), change).await?))
}

#[utoipa::path(
    post,
    path = "/sla-policies/{id}/default",
    tag = "sla policies",
    summary = "Make a policy the default, taking over from the current default",
    params(("id" = i64, Path, description = "the policy")),
    responses(
        (status = 200, description = "the policy, now the default"),
        (status = 404, description = "no such policy"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn make_default(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<SlaPolicyRecord>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(policies::make_default(store, auth.principal(), SlaPolicyId(id)).await?))
}

#[utoipa::path(
    delete,
    path = "/sla-policies/{id}",
    tag = "sla policies",
    summary = "Delete a policy; the conversations it times move to the default",
    params(("id" = i64, Path, description = "the policy")),
    responses(
        (status = 200, description = "the deleted policy"),
        (status = 404, description = "no such policy"),
        (status = 409, description = "it is the default, a rule applies it, or it times conversations and no default exists (the message says which)"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<SlaPolicyRecord>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(policies::delete(store, auth.principal(), SlaPolicyId(id)).await?))
}
