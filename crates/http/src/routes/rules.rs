//! Triage rules in evaluation order: `GET /api/v1/rules` and `GET /api/v1/rules/{id}` (everyone);
//! `POST /api/v1/rules`, `PATCH /api/v1/rules/{id}`, `DELETE /api/v1/rules/{id}`,
//! `POST /api/v1/rules/{id}/enable|disable|move` and `POST /api/v1/rules/preview` (supervisors).
//! A definition is the JSON of docs/examples/rule.json (conditions, actions, stop_processing),
//! validated as the triage service compiles it; a refusal is 422 naming `definition`.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use trellis_app::rules;
use trellis_core::{RuleRecord, RuleRecordId};
use trellis_triage::rules::PreviewReport;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
        .routes(routes!(enable))
        .routes(routes!(disable))
        .routes(routes!(move_rule))
        .routes(routes!(preview))
}

#[utoipa::path(
    get,
    path = "/rules",
    tag = "rules",
    summary = "Every rule, in evaluation order",
    responses((status = 200, description = "the rules"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<AppJson<Vec<RuleRecord>>, AppError> {
    Ok(AppJson(rules::list(state.store.as_ref(), auth.principal()).await?))
}

#[utoipa::path(
    get,
    path = "/rules/{id}",
    tag = "rules",
    summary = "One rule",
    params(("id" = i64, Path, description = "the rule")),
    responses((status = 200, description = "the rule"), (status = 404, description = "no such rule")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<RuleRecord>, AppError> {
    Ok(AppJson(rules::get(state.store.as_ref(), auth.principal(), RuleRecordId(id)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewRule {
    name: String,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    /// conditions, actions and stop_processing (docs/examples/rule.json)
    definition: Value,
}

fn enabled_by_default() -> bool {
    true
}

#[utoipa::path(
    post,
    path = "/rules",
    tag = "rules",
    summary = "Add a rule after the last one",
    request_body = NewRule,
    responses(
        (status = 201, description = "the rule"),
        (status = 422, description = "the definition does not compile (invalid_field definition)"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn create(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<NewRule>,
) -> Result<(StatusCode, AppJson<RuleRecord>), AppError> {
    let store = state.store.as_ref();
    let rule = rules::create(
        store,
        auth.principal(),
        &body.name,
        body.enabled,
        &body.definition.to_string(),
    )
    .await?;
    Ok((StatusCode::CREATED, AppJson(rule)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RuleChange {
    name: Option<String>,
    definition: Option<Value>,
}

#[utoipa::path(
    patch,
    path = "/rules/{id}",
    tag = "rules",
    summary = "Rename a rule or replace its definition",
    params(("id" = i64, Path, description = "the rule")),
    request_body = RuleChange,
    responses(
        (status = 200, description = "the rule"),
        (status = 404, description = "no such rule"),
        (status = 422, description = "the definition does not compile"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn update(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<RuleChange>,
) -> Result<AppJson<RuleRecord>, AppError> {
    let store = state.store.as_ref();
    let id = RuleRecordId(id);
    let definition = body.definition.as_ref().map(Value::to_string);
    let name = body.name.as_deref();
    let rule = rules::update(store, auth.principal(), id, name, definition.as_deref()).await?;
    Ok(AppJson(rule))
}

#[utoipa::path(
    delete,
    path = "/rules/{id}",
    tag = "rules",
    summary = "Delete a rule",
    params(("id" = i64, Path, description = "the rule")),
    responses(
        (status = 200, description = "the deleted rule"),
        (status = 404, description = "no such rule"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<RuleRecord>, AppError> {
    Ok(AppJson(rules::delete(state.store.as_ref(), auth.principal(), RuleRecordId(id)).await?))
}

#[utoipa::path(
    post,
    path = "/rules/{id}/enable",
    tag = "rules",
    summary = "Turn a rule on",
    params(("id" = i64, Path, description = "the rule")),
    responses((status = 200, description = "the rule"), (status = 404, description = "no such rule"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn enable(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<RuleRecord>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(rules::set_enabled(store, auth.principal(), RuleRecordId(id), true).await?))
}

#[utoipa::path(
    post,
    path = "/rules/{id}/disable",
    tag = "rules",
    summary = "Turn a rule off",
    params(("id" = i64, Path, description = "the rule")),
    responses((status = 200, description = "the rule"), (status = 404, description = "no such rule"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn disable(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<RuleRecord>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(rules::set_enabled(store, auth.principal(), RuleRecordId(id), false).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MoveTo {
    /// 1-based; past the end means last
    position: u32,
}

#[utoipa::path(
    post,
    path = "/rules/{id}/move",
    tag = "rules",
    summary = "Move a rule to another place in the evaluation order",
    params(("id" = i64, Path, description = "the rule")),
    request_body = MoveTo,
    responses((status = 200, description = "every rule in the new order"), (status = 404, description = "no such rule"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn move_rule(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<MoveTo>,
) -> Result<AppJson<Vec<RuleRecord>>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(rules::move_to(store, auth.principal(), RuleRecordId(id), body.position).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PreviewRequest {
    definition: Value,
    /// how far back to look, 1 to 365 days (default 30)
    days: Option<u32>,
    /// how many example matches to return (default 20, at most 100)
    samples: Option<usize>,
}

#[utoipa::path(
    post,
    path = "/rules/preview",
    tag = "rules",
    summary = "What a draft rule would have matched and done in history; nothing is changed",
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "scanned, matched and sample matches with their actions"),
        (status = 422, description = "the definition does not compile, or days is out of range"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn preview(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<PreviewRequest>,
) -> Result<AppJson<PreviewReport>, AppError> {
    let (days, samples) = (body.days.unwrap_or(30), body.samples.unwrap_or(20));
    let index = state.index.clone();
    let report = rules::preview(
        &state.store,
        auth.principal(),
        index,
        &body.definition.to_string(),
        days,
        samples,
    )
    .await?;
    Ok(AppJson(report))
}
