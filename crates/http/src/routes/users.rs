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
use serde::Deserialize;
use trellis_app::identity::users::{self, NewUserInput};
use trellis_core::{Role, User, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update))
        .routes(routes!(set_password))
}

#[utoipa::path(
    get,
    path = "/users",
    tag = "people",
    summary = "Every user with their role",
    responses((status = 200, description = "the users"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(State(state): State<AppState>, auth: Auth) -> Result<AppJson<Vec<User>>, AppError> {
    Ok(AppJson(users::list(state.store.as_ref(), auth.principal()).await?))
}

#[utoipa::path(
    post,
    path = "/users",
    tag = "people",
    summary = "Create a user",
    request_body = serde_json::Value,
    responses((status = 201, description = "the user"), (status = 409, description = "the email is taken"), (status = 422, description = "a field is wrong (invalid_field names it)"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["admin"]), ("session" = ["admin"]))
)]
async fn create(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(input): AppJson<NewUserInput>,
) -> Result<(StatusCode, AppJson<User>), AppError> {
    let user = users::create_user(state.store.as_ref(), auth.principal(), input).await?;
    Ok((StatusCode::CREATED, AppJson(user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UserChange {
    name: Option<String>,
    #[schema(value_type = Option<String>)]
    role: Option<Role>,
    /// `false` deactivates (sessions end, tokens are revoked), `true` reactivates.
    active: Option<bool>,
}

#[utoipa::path(
    patch,
    path = "/users/{id}",
    tag = "people",
    summary = "Rename, change the role, deactivate or reactivate a user (admins; anyone renames themselves)",
    params(("id" = i64, Path, description = "the user")),
    request_body = UserChange,
    responses((status = 200, description = "the user"), (status = 404, description = "no such user"), (status = 409, description = "the last admin cannot be demoted or deactivated"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    password: String,
}

#[utoipa::path(
    put,
    path = "/users/{id}/password",
    tag = "people",
    summary = "Set a user's password; their sessions end",
    params(("id" = i64, Path, description = "the user")),
    request_body = NewPassword,
    responses((status = 204, description = "set"), (status = 422, description = "too short or too easy to guess"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["admin"]), ("session" = ["admin"]))
)]
async fn set_password(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<NewPassword>,
) -> Result<StatusCode, AppError> {
    users::set_password(state.store.as_ref(), auth.principal(), UserId(id), &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
