//! From stored records to what rules test, and from a message to the reply that answers it.

use crate::rules::MessageFacts;
use trellis_core::{Contact, Conversation, Message, OutboundAction};

/// What rules may test about `message`, with its author and its conversation as they stand.
pub(crate) fn message_facts(
    message: &Message,
    contact: Option<&Contact>,
    conversation: &Conversation,
) -> MessageFacts {
    MessageFacts {
        message_id: message.id,
        channel: message.channel,
        account_id: message.account_id,
        kind: message.kind,
        direction: message.direction,
        text: message.text.clone(),
        lang: message.lang.clone(),
        author_handle: contact.and_then(|c| c.handle.clone()),
        author_follower_count: contact.and_then(|c| c.follower_count),
        author_verified: contact.is_some_and(|c| c.verified),
        contact_tags: contact.map(|c| c.tags.clone()).unwrap_or_default(),
        conversation_id: conversation.id,
        status: conversation.status,
        priority: conversation.priority,
        assignee_id: conversation.assignee_id,
        team_id: conversation.team_id,
        conversation_tags: conversation.tags.clone(),
        created_at: message.created_at,
    }
}

/// The outbound action that answers `message` with `text` (the one rule, in core).
pub fn reply_action(message: &Message, author: &Contact, text: String) -> OutboundAction {
    trellis_core::outbound::reply_action(message, &author.platform_id, text)
}
