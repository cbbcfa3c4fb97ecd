//! Canned replies: `GET /api/v1/canned-replies` (everyone), `POST`, `PATCH /{id}` and
//! `DELETE /{id}` (supervisors, audited).

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use trellis_app::canned::{self, CannedChange};
use trellis_core::{CannedReply, CannedReplyId, CannedReplyInput};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(update, delete))
}

#[utoipa::path(
    get,
    path = "/canned-replies",
    tag = "canned replies",
    summary = "Every canned reply, by shortcut",
    responses((status = 200, description = "the canned replies"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<AppJson<Vec<CannedReply>>, AppError> {
    Ok(AppJson(canned::list(state.store.as_ref(), auth.principal()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewCanned {
    /// What an agent types to insert it: one word starting with `/`
    shortcut: String,
    title: String,
    body: String,
}

#[utoipa::path(
    post,
    path = "/canned-replies",
    tag = "canned replies",
    summary = "Create a canned reply",
    request_body = NewCanned,
    responses(
        (status = 201, description = "the canned reply"),
        (status = 409, description = "the shortcut is taken"),
        (status = 422, description = "a field is wrong (invalid_field names it)"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn create(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<NewCanned>,
) -> Result<(StatusCode, AppJson<CannedReply>), AppError> {
    let input = CannedReplyInput { shortcut: body.shortcut, title: body.title, body: body.body };
    let reply = canned::create(state.store.as_ref(), auth.principal(), input).await?;
    Ok((StatusCode::CREATED, AppJson(reply)))
}

#[utoipa::path(
    patch,
    path = "/canned-replies/{id}",
    tag = "canned replies",
    summary = "Change a canned reply's shortcut, title or body",
    params(("id" = i64, Path, description = "the canned reply")),
    request_body = serde_json::Value,
    responses(
        (status = 200, description = "the canned reply"),
        (status = 404, description = "no such canned reply"),
        (status = 409, description = "the shortcut is taken"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn update(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<CannedChange>,
) -> Result<AppJson<CannedReply>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(canned::update(store, auth.principal(), CannedReplyId(id), change).await?))
}

#[utoipa::path(
    delete,
    path = "/canned-replies/{id}",
    tag = "canned replies",
    summary = "Delete a canned reply",
    params(("id" = i64, Path, description = "the canned reply")),
    responses(
        (status = 200, description = "the deleted canned reply"),
        (status = 404, description = "no such canned reply"),
        (status = 403, description = "the role does not allow it")
    ),
    security(("token" = ["supervisor"]), ("session" = ["supervisor"]))
)]
async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<CannedReply>, AppError> {
    Ok(AppJson(canned::delete(state.store.as_ref(), auth.principal(), CannedReplyId(id)).await?))
}
