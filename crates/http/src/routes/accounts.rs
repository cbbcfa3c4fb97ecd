//! `GET /api/v1/accounts`: every connected account with its health (status and reason, last
//! successful poll, last error, rate-limit headroom, ingest errors), never a token.
//! `POST /api/v1/accounts/{id}/pause` and `/resume`: stop and restart polling an account, audited
//! ([`trellis_app::accounts`], which the CLI calls too).

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;
use axum::extract::State;
use trellis_app::{accounts, Permission};
use trellis_core::AccountId;
use trellis_sync::accounts::listing::{list_accounts, AccountSummary};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(pause)).routes(routes!(resume))
}

#[utoipa::path(
    get,
    path = "/accounts",
    tag = "accounts",
    summary = "Connected accounts with their health, never a token",
    responses((status = 200, description = "the accounts"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<AppJson<Vec<AccountSummary>>, AppError> {
    auth.require(Permission::ReadInbox)?;
    Ok(AppJson(list_accounts(&state.store).await?))
}

#[utoipa::path(
    post,
    path = "/accounts/{id}/pause",
    tag = "accounts",
    summary = "Stop polling an account",
    params(("id" = i64, Path, description = "the account")),
    responses((status = 200, description = "the account, paused"), (status = 404, description = "no such account"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["admin"]), ("session" = ["admin"]))
)]
async fn pause(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<AccountSummary>, AppError> {
    let principal = auth.require(Permission::ManageAccounts)?;
    Ok(AppJson(accounts::pause(state.store.as_ref(), principal, AccountId(id)).await?))
}

/// Resumes a paused account. One that needs re-authorization must be connected again instead:
/// resuming would only have the platform refuse its token once more.
#[utoipa::path(
    post,
    path = "/accounts/{id}/resume",
    tag = "accounts",
    summary = "Poll an account again",
    params(("id" = i64, Path, description = "the account")),
    responses((status = 200, description = "the account, active"), (status = 404, description = "no such account"), (status = 409, description = "it needs re-authorization: connect it again"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["admin"]), ("session" = ["admin"]))
)]
async fn resume(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<AccountSummary>, AppError> {
    let principal = auth.require(Permission::ManageAccounts)?;
    Ok(AppJson(accounts::resume(state.store.as_ref(), principal, AccountId(id)).await?))
}
