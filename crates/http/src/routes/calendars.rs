//! Business-hours calendars: `GET /api/v1/calendars` and `GET /api/v1/calendars/{id}` (everyone);
//! `POST /api/v1/calendars`, `PATCH /api/v1/calendars/{id}` and `DELETE /api/v1/calendars/{id}`
//! (supervisors, audited). A definition is the JSON of docs/examples/calendar.json (time_zone,
//! hours, holidays), checked as triage reads it; a refusal is 422 naming `definition.time_zone`,
//! `definition.hours`, `definition.holidays` or `definition`.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use trellis_app::calendars;
use trellis_core::{CalendarId, CalendarRecord};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show, update, delete))
}

#[utoipa::path(
    get,
    path = "/calendars",
    tag = "calendars",
    summary = "Every business-hours calendar",
    responses((status = 200, description = "the calendars"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<AppJson<Vec<CalendarRecord>>, AppError> {
    Ok(AppJson(calendars::list(state.store.as_ref(), auth.principal()).await?))
}

#[utoipa::path(
    get,
    path = "/calendars/{id}",
    tag = "calendars",
    summary = "One calendar",
    params(("id" = i64, Path, description = "the calendar")),
    responses((status = 200, description = "the calendar"), (status = 404, description = "no such calendar")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<CalendarRecord>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(calendars::get(store, auth.principal(), CalendarId(id)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewCalendar {
    /// What rules' business-hours conditions name it by; unique
    name: String,
    /// time_zone (IANA), hours (`"always_open"` or `{"weekly": {"mon": ["09:00-17:00"], …}}`)
    /// and holidays (`["2025-12-25"]`): docs/examples/calendar.json
    definition: Value,
}

#[utoipa::path(
    post,
    path = "/calendars",
    tag = "calendars",
    summary = "Add a business-hours calendar",
    request_body = NewCalendar,
    responses(
        (status = 201, description = "the calendar, its definition in normal form"),
        (status = 409, description = "a calendar of that name exists"),
        (status = 422, description = "a field is wrong (invalid_field names it, e.g. definition.time_zone)"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn create(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<NewCalendar>,
) -> Result<(StatusCode, AppJson<CalendarRecord>), AppError> {
    let store = state.store.as_ref();
    let calendar = calendars::create(store, auth.principal(), &body.name, &body.definition).await?;
    Ok((StatusCode::CREATED, AppJson(calendar)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CalendarChange {
    name: Option<String>,
    /// Replaces the definition whole
    definition: Option<Value>,
}

#[utoipa::path(
    patch,
    path = "/calendars/{id}",
    tag = "calendars",
    summary = "Rename a calendar or replace its definition",
    params(("id" = i64, Path, description = "the calendar")),
    request_body = CalendarChange,
    responses(
        (status = 200, description = "the calendar"),
        (status = 404, description = "no such calendar"),
        (status = 409, description = "the name is taken, or a rule names the calendar by its old name"),
        (status = 422, description = "a field is wrong (invalid_field names it)"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn update(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<CalendarChange>,
) -> Result<AppJson<CalendarRecord>, AppError> {
    let store = state.store.as_ref();
    let (name, definition) = (body.name.as_deref(), body.definition.as_ref());
    let id = CalendarId(id);
    Ok(AppJson(calendars::update(store, auth.principal(), id, name, definition).await?))
}

#[utoipa::path(
    delete,
    path = "/calendars/{id}",
    tag = "calendars",
    summary = "Delete a calendar no SLA policy counts in and no rule names",
    params(("id" = i64, Path, description = "the calendar")),
    responses(
        (status = 200, description = "the deleted calendar"),
        (status = 404, description = "no such calendar"),
        (status = 409, description = "a policy counts in it or a rule names it (the message says which)"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<CalendarRecord>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(calendars::delete(store, auth.principal(), CalendarId(id)).await?))
}
