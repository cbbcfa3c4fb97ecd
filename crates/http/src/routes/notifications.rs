//! The caller's notifications (mentions, SLA warnings and breaches, escalations):
//! - `GET /api/v1/notifications?unread=true&limit=`: newest first;
//! - `POST /api/v1/notifications/{id}/read`: marks one read;
//! - `POST /api/v1/notifications/read`: marks all read.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use trellis_app::notifications;
use trellis_core::{Notification, NotificationId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    unread: bool,
    limit: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/notifications",
    tag = "people",
    summary = "The caller's notifications, newest first",
    params(
        ("unread" = Option<bool>, Query, description = "only unread ones"),
        ("limit" = Option<u32>, Query, description = "1 to 500 (default 50)")
    ),
    responses(
        (status = 200, description = "the notifications"),
        (status = 401, description = "not signed in")
    ),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(query): AppQuery<ListQuery>,
) -> Result<AppJson<Vec<Notification>>, AppError> {
    let limit = query.limit.unwrap_or(50);
    let items =
        notifications::list(state.store.as_ref(), auth.principal(), query.unread, limit).await?;
    Ok(AppJson(items))
}

#[utoipa::path(
    post,
    path = "/notifications/{id}/read",
    tag = "people",
    summary = "Mark one of the caller's notifications read",
    params(("id" = i64, Path, description = "the notification")),
    responses(
        (status = 200, description = "the notification, read"),
        (status = 404, description = "no such notification of yours"),
        (status = 401, description = "not signed in")
    ),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn mark_read(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Notification>, AppError> {
    let id = NotificationId(id);
    Ok(AppJson(notifications::mark_read(state.store.as_ref(), auth.principal(), id).await?))
}

#[derive(Serialize)]
struct Marked {
    marked: usize,
}

#[utoipa::path(
    post,
    path = "/notifications/read",
    tag = "people",
    summary = "Mark all the caller's notifications read",
    responses(
        (status = 200, description = "how many were marked"),
        (status = 401, description = "not signed in")
    ),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn mark_all_read(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<AppJson<Marked>, AppError> {
    let marked = notifications::mark_all_read(state.store.as_ref(), auth.principal()).await?;
    Ok(AppJson(Marked { marked }))
}
