//! People and roles:
//! - `GET /api/v1/users`: everyone (agents assign to each other).
//! - `POST /api/v1/users` `{email, name, role, password?}`: admins create users.
//! - `PATCH /api/v1/users/{id}` `{name?, role?, active?}`: admins change roles and (de)activate;
//!   everyone renames themselves.
//! - `PUT /api/v1/users/{id}/password` `{password}`: admins set a password; every session of that
//!   user ends.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, put};
use axum::Router;
use serde::Deserialize;
use trellis_app::identity::users::{self, NewUserInput};
use trellis_core::{Role, User, UserId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}", patch(update))
        .route("/users/{id}/password", put(set_password))
}

async fn list(State(state): State<AppState>, auth: Auth) -> Result<AppJson<Vec<User>>, AppError> {
    Ok(AppJson(users::list(state.store.as_ref(), auth.principal()).await?))
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(input): AppJson<NewUserInput>,
) -> Result<(StatusCode, AppJson<User>), AppError> {
    let user = users::create_user(state.store.as_ref(), auth.principal(), input).await?;
    Ok((StatusCode::CREATED, AppJson(user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserChange {
    name: Option<String>,
    role: Option<Role>,
    /// `false` deactivates (sessions end, tokens are revoked), `true` reactivates.
    active: Option<bool>,
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<UserChange>,
) -> Result<AppJson<User>, AppError> {
    let (store, principal, id) = (state.store.as_ref(), auth.principal(), UserId(id));
    if change.name.is_none() && change.role.is_none() && change.active.is_none() {
        return Err(AppError::Invalid("the change changes nothing".into()));
    }
    let mut user = store.get_user(id).await?;
    if let Some(name) = &change.name {
        user = users::set_name(store, principal, id, name).await?;
    }
    if let Some(role) = change.role {
        user = users::set_role(store, principal, id, role).await?;
    }
    match change.active {
        Some(false) => user = users::deactivate(store, principal, id).await?,
        Some(true) => user = users::reactivate(store, principal, id).await?,
        None => {}
    }
    Ok(AppJson(user))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    password: String,
}

async fn set_password(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<NewPassword>,
) -> Result<StatusCode, AppError> {
    users::set_password(state.store.as_ref(), auth.principal(), UserId(id), &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
