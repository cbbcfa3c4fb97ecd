//! Personal API tokens:
//! - `GET /api/v1/tokens`: one's own; `?all=true` everyone's (admins).
//! - `POST /api/v1/tokens` `{name, expires_at?, user_id?}`: creates one (for another user: admins);
//!   the answer holds the secret, shown this once.
//! - `DELETE /api/v1/tokens/{id}`: revokes it.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use trellis_app::identity::tokens::{self, CreatedToken};
use trellis_core::{ApiToken, ApiTokenId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(revoke))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    all: bool,
}

#[utoipa::path(
    get,
    path = "/tokens",
    tag = "people",
    summary = "One's API tokens (all=true: everyone's, admins only)",
    params(("all" = Option<bool>, Query, description = "everyone's tokens")),
    responses((status = 200, description = "the tokens, never their secrets"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(query): AppQuery<ListQuery>,
) -> Result<AppJson<Vec<ApiToken>>, AppError> {
    let owner = (!query.all).then_some(auth.0.user.id);
    Ok(AppJson(tokens::list(state.store.as_ref(), auth.principal(), owner).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    expires_at: Option<DateTime<Utc>>,
    user_id: Option<i64>,
}

#[utoipa::path(
    post,
    path = "/tokens",
    tag = "people",
    summary = "Create an API token; its secret is in this answer only",
    request_body = NewToken,
    responses((status = 201, description = "the token and its secret"), (status = 422, description = "a field is wrong"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn create(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<NewToken>,
) -> Result<(StatusCode, AppJson<CreatedToken>), AppError> {
    let owner = body.user_id.map_or(auth.0.user.id, UserId);
    let created =
        tokens::create(state.store.as_ref(), auth.principal(), owner, &body.name, body.expires_at)
            .await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    tag = "people",
    summary = "Revoke a token (one's own; admins any)",
    params(("id" = i64, Path, description = "the token")),
    responses((status = 200, description = "the token, revoked"), (status = 404, description = "no such token of yours"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<ApiToken>, AppError> {
    Ok(AppJson(tokens::revoke(state.store.as_ref(), auth.principal(), ApiTokenId(id)).await?))
}
