//! Answering a conversation, with collision detection: an agent who loaded a conversation and
//! writes an answer is told, before it goes out, when someone else has answered it since — a reply
//! queued by another agent or a rule, or one sent on the platform itself — and sends only when
//! they confirm.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use trellis_core::{
    Actor, ConversationId, Direction, OutboundAction, OutboxFilter, OutboxItem, OutboxState, Store,
};
use trellis_sync::outbox::{queue_reply, QueueError};

/// What a reply asks for beyond its text.
#[derive(Debug, Clone, Default)]
pub struct ReplyOptions {
    /// When the sender loaded the conversation: answers since then are a collision.
    pub loaded_at: Option<DateTime<Utc>>,
    /// Send even though someone answered since.
    pub confirm: bool,
    pub idempotency_key: Option<String>,
}

/// An answer that went out (or is on its way) since the sender loaded the conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtherReply {
    pub text: String,
    /// Who: a user, a rule, or `system` for an answer sent on the platform itself.
    pub by: Actor,
    pub at: DateTime<Utc>,
    /// The outbox entry, when it went through trellis.
    pub outbox_id: Option<i64>,
}

/// Why a reply was not queued.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("someone answered this conversation after you opened it; send again with confirm to send yours too")]
    Collision(OtherReply),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<QueueError> for ReplyError {
    fn from(error: QueueError) -> Self {
        ReplyError::Service(match error {
            QueueError::Invalid(message) => ServiceError::Invalid(message),
            QueueError::InvalidText(message) => ServiceError::invalid_parameter("text", message),
            QueueError::Store(error) => error.into(),
        })
    }
}

/// Queues `principal`'s reply to a conversation, unless someone answered it after
/// `options.loaded_at` and the sender has not confirmed.
pub async fn reply(
    store: &Arc<dyn Store>,
    principal: &Principal,
    id: ConversationId,
    text: &str,
    options: ReplyOptions,
) -> Result<OutboxItem, ReplyError> {
    principal.require(Permission::WorkConversations)?;
    super::visible(store.as_ref(), principal, id).await?;
    if let (Some(loaded_at), false) = (options.loaded_at, options.confirm) {
        if let Some(other) = answered_since(store.as_ref(), principal, id, loaded_at).await? {
            return Err(ReplyError::Collision(other));
        }
    }
    Ok(queue_reply(store, id, text, principal.actor(), options.idempotency_key).await?)
}

/// The latest answer to conversation `id` after `since` that is not `principal`'s own.
pub async fn answered_since(
    store: &dyn Store,
    principal: &Principal,
    id: ConversationId,
    since: DateTime<Utc>,
) -> ServiceResult<Option<OtherReply>> {
    let me = principal.actor();
    let filter = OutboxFilter { conversation: Some(id), limit: 50, ..OutboxFilter::default() };
    let queued = store.list_outbound(&filter).await?;
    let through_trellis = queued
        .iter()
        .filter(|item| item.created_at > since && item.requested_by != me)
        .filter(|item| item.state != OutboxState::Failed)
        .filter_map(|item| {
            let text = match &item.action {
                OutboundAction::Reply { text, .. } | OutboundAction::DirectMessage { text, .. } => {
                    text.clone()
                }
                _ => return None,
            };
            Some(OtherReply {
                text,
                by: item.requested_by.clone(),
                at: item.created_at,
                outbox_id: Some(item.id.0),
            })
        })
        .max_by_key(|reply| reply.at);
    if through_trellis.is_some() {
        return Ok(through_trellis);
    }
    // An answer posted on the platform itself (or by trellis, then read back) is an outbound
    // message; one that trellis sent for this principal has its outbox entry, so it is skipped.
    let mine: Vec<String> = queued
        .iter()
        .filter(|item| item.requested_by == me)
        .filter_map(|item| item.platform_id.clone())
        .collect();
    let messages = store.conversation_messages(id).await?;
    Ok(messages
        .into_iter()
        .filter(|message| message.direction == Direction::Outbound && message.created_at > since)
        .filter(|message| {
            !mine.iter().any(|platform_id| platform_id == message.platform_id.as_str())
        })
        .max_by_key(|message| message.created_at)
        .map(|message| OtherReply {
            text: message.text,
            by: Actor::System,
            at: message.created_at,
            outbox_id: None,
        }))
}
