//! Queuing outbound actions for a conversation: the right platform action for its kind, an
//! idempotency key, and a timeline entry. For the API and for triage rules.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use trellis_core::outbound::{check_reply_text, reply_action};
use trellis_core::{
    Actor, ConversationId, Direction, FlagReason, Message, MessageId, MessageKind, NewOutboxItem,
    NewTimelineEvent, OutboundAction, OutboxItem, Store, StoreError,
};

/// Why an action could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The request cannot make sense for this conversation (empty text, nothing to answer).
    #[error("{0}")]
    Invalid(String),
    /// The text does not fit what the platform accepts (too long, too short).
    #[error("{0}")]
    InvalidText(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A moderation action an agent can take on one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    Hide,
    Unhide,
    Delete,
    Flag,
}

/// Queues a reply to a conversation: a DM into its thread for private conversations, otherwise a
/// public reply under its last inbound message (`trellis_core::outbound::reply_action`). Text the
/// platform would refuse (too long for X, too short for Discourse) is refused here. With no `idempotency_key`, one is derived from
/// the conversation, the target, the text and the actor, so a double submit queues once.
pub async fn queue_reply(
    store: &Arc<dyn Store>,
    conversation_id: ConversationId,
    text: &str,
    actor: Actor,
    idempotency_key: Option<String>,
) -> Result<OutboxItem, QueueError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(QueueError::Invalid("a reply needs some text".into()));
    }
    let conversation = store.get_conversation(conversation_id).await?;
    let messages = store.conversation_messages(conversation_id).await?;
    let target = last_inbound(&messages).ok_or_else(|| {
        QueueError::Invalid(format!("conversation {conversation_id} has no message to reply to"))
    })?;
    let private = target.kind == MessageKind::DirectMessage;
    let channel = store.get_account(conversation.account_id).await?.channel;
    check_reply_text(channel, private, text).map_err(QueueError::InvalidText)?;
    let author = store.get_contact(target.contact_id).await?;
    let action = reply_action(target, &author.platform_id, text.to_owned());
    let key = idempotency_key.unwrap_or_else(|| derived_key(conversation_id, &action, &actor));
    let item = store
        .enqueue_outbound(NewOutboxItem {
            account_id: conversation.account_id,
            conversation_id: Some(conversation_id),
            action,
            idempotency_key: key,
            requested_by: actor.clone(),
        })
        .await?;
    note_on_timeline(store, conversation_id, actor, "reply_queued", &item).await;
    Ok(item)
}

/// Queues a moderation action on one message of a conversation; a flag asks the platform's
/// moderators for attention.
pub async fn queue_moderation(
    store: &Arc<dyn Store>,
    conversation_id: ConversationId,
    moderation: Moderation,
    message_id: MessageId,
    actor: Actor,
    idempotency_key: Option<String>,
) -> Result<OutboxItem, QueueError> {
    let reason = FlagReason::NotifyModerators;
    queue_moderation_for(
        store,
        conversation_id,
        moderation,
        reason,
        message_id,
        actor,
        idempotency_key,
    )
    .await
}

/// Queues a moderation action on one message of a conversation, a flag with `reason`. An action
/// the conversation's platform has no call for (flagging a tweet) is refused here, before
/// anything is queued.
pub async fn queue_moderation_for(
    store: &Arc<dyn Store>,
    conversation_id: ConversationId,
    moderation: Moderation,
    reason: FlagReason,
    message_id: MessageId,
    actor: Actor,
    idempotency_key: Option<String>,
) -> Result<OutboxItem, QueueError> {
    let conversation = store.get_conversation(conversation_id).await?;
    let message = store.get_message(message_id).await?;
    if message.conversation_id != conversation_id {
        return Err(QueueError::Invalid(format!(
            "message {message_id} is not part of conversation {conversation_id}"
        )));
    }
    let id = message.platform_id.clone();
    let action = match moderation {
        Moderation::Hide => OutboundAction::Hide { id },
        Moderation::Unhide => OutboundAction::Unhide { id },
        Moderation::Delete => OutboundAction::Delete { id },
        Moderation::Flag => OutboundAction::Flag { id, reason },
    };
    if let Some(refusal) = super::capabilities::unsupported(conversation.channel, &action) {
        return Err(QueueError::Invalid(refusal.to_string()));
    }
    let key = idempotency_key.unwrap_or_else(|| derived_key(conversation_id, &action, &actor));
    let item = store
        .enqueue_outbound(NewOutboxItem {
            account_id: conversation.account_id,
            conversation_id: Some(conversation_id),
            action,
            idempotency_key: key,
            requested_by: actor.clone(),
        })
        .await?;
    note_on_timeline(store, conversation_id, actor, "moderation_queued", &item).await;
    Ok(item)
}

/// The newest inbound message still on the platform.
fn last_inbound(messages: &[Message]) -> Option<&Message> {
    messages
        .iter()
        .filter(|m| m.direction == Direction::Inbound && m.deleted_at.is_none())
        .max_by_key(|m| (m.created_at, m.id))
}

/// `<action>:<conversation>:<sha256 of the action and actor>`: the same request by the same actor
/// maps to the same key.
fn derived_key(conversation_id: ConversationId, action: &OutboundAction, actor: &Actor) -> String {
    let mut hash = Sha256::new();
    hash.update(serde_json::to_vec(action).unwrap_or_default());
    hash.update(serde_json::to_vec(actor).unwrap_or_default());
    format!("{}:{conversation_id}:{}", action.name(), hex::encode(hash.finalize()))
}

/// The timeline is a convenience for agents; a failure to write it must not undo the queued
/// action, so it is logged only.
async fn note_on_timeline(
    store: &Arc<dyn Store>,
    conversation_id: ConversationId,
    actor: Actor,
    kind: &str,
    item: &OutboxItem,
) {
    let event = NewTimelineEvent {
        conversation_id,
        at: item.created_at,
        actor,
        kind: kind.to_owned(),
        detail: serde_json::json!({"outbox_id": item.id, "action": item.action.name()}),
    };
    if let Err(error) = store.record_timeline(vec![event]).await {
        tracing::warn!(conversation_id = %conversation_id, outbox_id = %item.id, error = %error, "cannot note the queued action on the timeline");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use trellis_core::{PlatformId, UserId};

    #[test]
    fn the_same_request_by_the_same_actor_derives_the_same_key() {
        let action = OutboundAction::Reply {
            in_reply_to: PlatformId::parse("9").unwrap(),
            text: "on it".into(),
        };
        let agent = Actor::User { id: UserId(1) };
        let key = derived_key(ConversationId(5), &action, &agent);
        assert_eq!(key, derived_key(ConversationId(5), &action, &agent));
        assert!(key.starts_with("reply:5:"), "{key}");
        assert_ne!(key, derived_key(ConversationId(5), &action, &Actor::System));
        let other = OutboundAction::Reply {
            in_reply_to: PlatformId::parse("9").unwrap(),
            text: "on it!".into(),
        };
        assert_ne!(key, derived_key(ConversationId(5), &other, &agent));
    }
}
