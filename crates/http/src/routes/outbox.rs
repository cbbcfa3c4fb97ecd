//! Replies and moderation through the outbox: queue them on a conversation, list them with their
//! state (queued, sending, sent with the platform's id, failed with the platform's reason).
//!
//! Queuing answers 202: the action is durable in the outbox and delivered by the worker. Each is
//! attributed to the user who asked. A reply sent with `loaded_at` answers 409 `reply_collision`
//! (with the other answer) when someone answered since, unless it says `confirm: true`. Text the
//! platform would refuse (over X's 280 characters, under Discourse's 20) is 422 at once.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use trellis_app::access::BrandScope;
use trellis_app::conversations::{self, ReplyError, ReplyOptions};
use trellis_app::outbox::OutboxView;
use trellis_app::Permission;
use trellis_core::{AccountId, ConversationId, MessageId, OutboxFilter, OutboxState};
use trellis_sync::outbox::{queue_moderation, Moderation, QueueError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The header a client may send to make a retried request queue once.
const IDEMPOTENCY_HEADER: &str = "idempotency-key";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(reply)).routes(routes!(moderate)).routes(routes!(list))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReplyRequest {
    text: String,
    /// When the sender loaded the conversation: a reply by someone else since then answers 409.
    #[serde(default)]
    loaded_at: Option<DateTime<Utc>>,
    /// Send even though someone answered since `loaded_at`.
    #[serde(default)]
    confirm: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ModerationRequest {
    /// hide, unhide, delete or flag
    #[schema(value_type = String)]
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

impl From<QueueError> for AppError {
    fn from(error: QueueError) -> Self {
        match error {
            QueueError::Invalid(message) => AppError::Invalid(message),
            QueueError::InvalidText(message) => AppError::InvalidField { field: "text", message },
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

#[utoipa::path(
    post,
    path = "/conversations/{id}/replies",
    tag = "conversations",
    summary = "Queue a reply (or a DM, for a private conversation) through the outbox",
    params(("id" = i64, Path, description = "the conversation"), ("idempotency-key" = Option<String>, Header, description = "a retried request with the same key queues once")),
    request_body = ReplyRequest,
    responses((status = 202, description = "queued: the outbox entry"), (status = 409, description = "reply_collision: someone answered since loaded_at (the answer is in error.reply)"), (status = 422, description = "the text does not fit the platform (invalid_field text)"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn reply(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    headers: HeaderMap,
    AppJson(request): AppJson<ReplyRequest>,
) -> Result<(StatusCode, AppJson<OutboxView>), AppError> {
    let options = ReplyOptions {
        loaded_at: request.loaded_at,
        confirm: request.confirm,
        idempotency_key: idempotency_key(&headers)?,
    };
    let item = conversations::reply(
        &state.store,
        auth.principal(),
        ConversationId(id),
        &request.text,
        options,
    )
    .await
    .map_err(|error| match error {
        ReplyError::Collision(other) => AppError::ReplyCollision {
            message: ReplyError::Collision(other.clone()).to_string(),
            reply: other,
        },
        ReplyError::Service(error) => error.into(),
    })?;
    state.outbox.wake();
    Ok((StatusCode::ACCEPTED, AppJson(item.into())))
}

#[utoipa::path(
    post,
    path = "/conversations/{id}/moderation",
    tag = "conversations",
    summary = "Queue a moderation action on one message",
    params(("id" = i64, Path, description = "the conversation")),
    request_body = ModerationRequest,
    responses((status = 202, description = "queued: the outbox entry"), (status = 422, description = "the platform has no such action, or the message is not in the conversation"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn moderate(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    headers: HeaderMap,
    AppJson(request): AppJson<ModerationRequest>,
) -> Result<(StatusCode, AppJson<OutboxView>), AppError> {
    let principal = auth.require(Permission::WorkConversations)?;
    let actor = principal.actor();
    let key = idempotency_key(&headers)?;
    conversations::visible(state.store.as_ref(), principal, ConversationId(id)).await?;
    let item = queue_moderation(
        &state.store,
        ConversationId(id),
        request.action,
        MessageId(request.message_id),
        actor,
        key,
    )
    .await?;
    state.outbox.wake();
    Ok((StatusCode::ACCEPTED, AppJson(item.into())))
}

#[utoipa::path(
    get,
    path = "/outbox",
    tag = "conversations",
    summary = "Outbound actions with their delivery state, newest first",
    params(("conversation" = Option<i64>, Query, description = "only this conversation"), ("account" = Option<i64>, Query, description = "only this account"), ("state" = Option<String>, Query, description = "queued, sending, sent or failed"), ("limit" = Option<u32>, Query, description = "1 to 500 (default 50)")),
    responses((status = 200, description = "the entries"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(query): AppQuery<ListQuery>,
) -> Result<AppJson<Vec<OutboxView>>, AppError> {
    let principal = auth.require(Permission::ReadInbox)?;
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
    let mut items = state.store.list_outbound(&filter).await?;
    // An agent sees the entries of their brands' accounts only (a page may come out short).
    if principal.brands != BrandScope::Every {
        let accounts = state.store.list_accounts().await?;
        let serves = |account: AccountId| {
            accounts.iter().any(|known| known.id == account && principal.serves(known.brand_id))
        };
        items.retain(|item| serves(item.account_id));
    }
    Ok(AppJson(items.into_iter().map(OutboxView::from).collect()))
}
