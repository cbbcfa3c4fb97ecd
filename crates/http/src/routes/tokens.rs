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
use axum::routing::{delete, get};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use trellis_app::identity::tokens::{self, CreatedToken};
use trellis_core::{ApiToken, ApiTokenId, UserId};

pub fn router() -> Router<AppState> {
    Router::new().route("/tokens", get(list).post(create)).route("/tokens/{id}", delete(revoke))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    all: bool,
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(query): AppQuery<ListQuery>,
) -> Result<AppJson<Vec<ApiToken>>, AppError> {
    let owner = (!query.all).then_some(auth.0.user.id);
    Ok(AppJson(tokens::list(state.store.as_ref(), auth.principal(), owner).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    expires_at: Option<DateTime<Utc>>,
    user_id: Option<i64>,
}

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

async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<ApiToken>, AppError> {
    Ok(AppJson(tokens::revoke(state.store.as_ref(), auth.principal(), ApiTokenId(id)).await?))
}
