//! The outbox as people read it: each reply or moderation action with its delivery state
//! (queued, sending, sent with the platform's id, failed with the platform's reason).

use chrono::{DateTime, Utc};
use serde::Serialize;
use trellis_core::{AccountId, Actor, ConversationId, OutboundAction, OutboxItem};

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
