//! Conversations as agents work them, through `trellis_app::conversations`:
//! - `GET /api/v1/conversations`: newest activity first; `view` (`mine`, `unassigned`, `all`),
//!   `status`, `channel`, `account`, `tag`, `team`, `assignee` (a user id, `me` or `unassigned`)
//!   and `priority`, paged with `limit` and the opaque `after` cursor the previous page returned
//!   as `next`.
//! - `GET /api/v1/conversations/{id}`: one conversation with its messages (oldest first), its
//!   timeline (who did what, and which rule) and its SLA clocks.
//! - `PATCH /api/v1/conversations/{id}`: status, priority, assignee, team, snooze and tags; `null`
//!   clears the assignee, the team or the snooze.
//! - `POST /api/v1/conversations/{id}/take`: the caller takes an unassigned conversation (409
//!   when someone holds it).
//! - `POST /api/v1/conversations/bulk` `{ids, change}`: one change to many; each says how it went.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use trellis_app::conversations::{
    self, BulkOutcome, ConversationChange, ConversationDetail, ConversationList, ConversationQuery,
};
use trellis_core::{Conversation, ConversationId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(list))
        .route("/conversations/bulk", post(bulk))
        .route("/conversations/{id}", get(show).patch(update))
        .route("/conversations/{id}/take", post(take))
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(query): AppQuery<ConversationQuery>,
) -> Result<AppJson<ConversationList>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(conversations::list_conversations(store, auth.principal(), &query).await?))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<ConversationDetail>, AppError> {
    let store = state.store.as_ref();
    let id = ConversationId(id);
    Ok(AppJson(conversations::conversation_detail(store, auth.principal(), id).await?))
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<ConversationChange>,
) -> Result<AppJson<Conversation>, AppError> {
    let store = state.store.as_ref();
    let id = ConversationId(id);
    Ok(AppJson(conversations::patch(store, auth.principal(), id, &change).await?))
}

async fn take(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Conversation>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(conversations::take(store, auth.principal(), ConversationId(id)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkRequest {
    ids: Vec<i64>,
    change: ConversationChange,
}

#[derive(Serialize)]
struct BulkAnswer {
    results: Vec<BulkOutcome>,
}

async fn bulk(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(request): AppJson<BulkRequest>,
) -> Result<AppJson<BulkAnswer>, AppError> {
    let ids: Vec<ConversationId> = request.ids.into_iter().map(ConversationId).collect();
    let store = state.store.as_ref();
    let results =
        conversations::bulk_update(store, auth.principal(), &ids, &request.change).await?;
    Ok(AppJson(BulkAnswer { results }))
}
