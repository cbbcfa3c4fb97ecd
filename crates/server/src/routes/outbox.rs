//! Replies and moderation through the outbox: queue them on a conversation, list them with their
//! state (queued, sending, sent with the platform's id, failed with the platform's reason).
//!
//! Queuing answers 202: the action is durable in the outbox and delivered by the worker. Until
//! the API has authentication, actions are attributed to the system actor.

use crate::error::AppError;
use crate::extract::{AppJson, AppQuery};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use trellis_core::{
    AccountId, Actor, ConversationId, MessageId, OutboundAction, OutboxFilter, OutboxItem,
    OutboxState,
};
use trellis_sync::outbox::{queue_moderation, queue_reply, Moderation, QueueError};

/// The header a client may send to make a retried request queue once.
const IDEMPOTENCY_HEADER: &str = "idempotency-key";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations/{id}/replies", post(reply))
        .route("/conversations/{id}/moderation", post(moderate))
        .route("/outbox", get(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyRequest {
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModerationRequest {
    action: Moderation,
    message_id: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    conversation: Option<i64>,
    account: Option<i64>,
    state: Option<String>,
    limit: Option<u32>,
}

/// An outbox entry as the API shows it.
#[derive(Serialize)]
pub struct OutboxView {
    pub id: i64,
    pub account_id: AccountId,
    pub conversation_id: Option<ConversationId>,
    pub action: OutboundAction,
    pub requested_by: Actor,
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub platform_id: Option<String>,
    pub thread_platform_id: Option<String>,
    /// The last error, in the platform's words.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxItem> for OutboxView {
    fn from(item: OutboxItem) -> Self {
        Self {
            id: item.id.0,
            account_id: item.account_id,
            conversation_id: item.conversation_id,
            action: item.action,
            requested_by: item.requested_by,
            state: item.state.as_str().to_owned(),
            attempts: item.attempts,
            next_attempt_at: item.next_attempt_at,
            platform_id: item.platform_id,
            thread_platform_id: item.thread_platform_id,
            error: item.error,
            created_at: item.created_at,
            updated_at: item.updated_at,
            sent_at: item.sent_at,
        }
    }
}

impl From<QueueError> for AppError {
    fn from(error: QueueError) -> Self {
        match error {
            QueueError::Invalid(message) => AppError::Invalid(message),
            QueueError::Store(error) => error.into(),
        }
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|key| !key.is_empty() && key.len() <= 200)
        .ok_or_else(|| {
            AppError::InvalidParameter("idempotency-key must be 1 to 200 visible characters".into())
        })?;
    Ok(Some(key.to_owned()))
}

async fn reply(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    AppJson(request): AppJson<ReplyRequest>,
) -> Result<(StatusCode, AppJson<OutboxView>), AppError> {
    let key = idempotency_key(&headers)?;
    let item =
        queue_reply(&state.store, ConversationId(id), &request.text, Actor::System, key).await?;
    state.outbox.wake();
    Ok((StatusCode::ACCEPTED, AppJson(item.into())))
}

async fn moderate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    AppJson(request): AppJson<ModerationRequest>,
) -> Result<(StatusCode, AppJson<OutboxView>), AppError> {
    let key = idempotency_key(&headers)?;
    let item = queue_moderation(
        &state.store,
        ConversationId(id),
        request.action,
        MessageId(request.message_id),
        Actor::System,
        key,
    )
    .await?;
    state.outbox.wake();
    Ok((StatusCode::ACCEPTED, AppJson(item.into())))
}

async fn list(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<ListQuery>,
) -> Result<AppJson<Vec<OutboxView>>, AppError> {
    let state_filter = query
        .state
        .as_deref()
        .map(str::parse::<OutboxState>)
        .transpose()
        .map_err(|error| AppError::InvalidParameter(error.to_string()))?;
    let filter = OutboxFilter {
        account: query.account.map(AccountId),
        conversation: query.conversation.map(ConversationId),
        state: state_filter,
        limit: query.limit.unwrap_or(50).clamp(1, 500),
    };
    let items = state.store.list_outbound(&filter).await?;
    Ok(AppJson(items.into_iter().map(OutboxView::from).collect()))
}
