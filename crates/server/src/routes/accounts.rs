//! `GET /api/v1/accounts`: every connected account with its health (status and reason, last
//! successful poll, last error, rate-limit headroom, ingest errors), never a token.
//! `POST /api/v1/accounts/{id}/pause` and `/resume`: stop and restart polling an account.

use crate::error::AppError;
use crate::extract::AppJson;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use trellis_core::{AccountId, AccountStatus};
use trellis_sync::accounts::listing::{list_accounts, AccountSummary};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list))
        .route("/accounts/{id}/pause", post(pause))
        .route("/accounts/{id}/resume", post(resume))
}

async fn list(State(state): State<AppState>) -> Result<AppJson<Vec<AccountSummary>>, AppError> {
    Ok(AppJson(list_accounts(&state.store).await?))
}

async fn pause(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<AppJson<AccountSummary>, AppError> {
    set_status(&state, AccountId(id), AccountStatus::Paused).await
}

/// Resumes a paused account. One that needs re-authorization must be connected again instead:
/// resuming would only have the platform refuse its token once more.
async fn resume(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<AppJson<AccountSummary>, AppError> {
    let health = state.store.account_health(AccountId(id)).await?;
    if health.status == AccountStatus::NeedsReauth {
        return Err(AppError::Conflict(format!(
            "account {id} needs re-authorization ({}): connect it again",
            health.status_reason.as_deref().unwrap_or("the platform refused its token")
        )));
    }
    set_status(&state, AccountId(id), AccountStatus::Active).await
}

async fn set_status(
    state: &AppState,
    id: AccountId,
    status: AccountStatus,
) -> Result<AppJson<AccountSummary>, AppError> {
    let account = state.store.get_account(id).await?;
    state.store.set_account_status(id, status, None).await?;
    let health = state.store.account_health(id).await?;
    tracing::info!(account_id = %id, status = %status, "account status set");
    Ok(AppJson(AccountSummary { account, health }))
}
