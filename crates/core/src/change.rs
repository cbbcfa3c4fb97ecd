//! The change feed: an append-only log written in the same transaction as the change it describes.
//! The search index, triage and live events each follow it from their last acknowledged sequence.

use crate::ids::{ConversationId, Seq};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::enums::string_enum_pub!(
    /// What changed.
    ChangeKind, "change kind" {
        MessageCreated = "message_created",
        MessageUpdated = "message_updated",
        ConversationCreated = "conversation_created",
        /// The conversation's own fields changed: status, priority, assignee, team, tags, subject,
        /// snooze or contact. A new message in it is a `message_created` change carrying its
        /// conversation id, not a `conversation_updated` one.
        ConversationUpdated = "conversation_updated",
        ContactUpdated = "contact_updated",
        AccountUpdated = "account_updated",
        BrandUpdated = "brand_updated",
        UserUpdated = "user_updated",
        /// A team, its membership or its assignment settings changed (entity: the team).
        TeamUpdated = "team_updated",
        /// An outbox entry was queued or changed state.
        OutboxUpdated = "outbox_updated",
        /// A rule was created, changed, deleted or moved.
        RuleUpdated = "rule_updated",
        /// A business-hours calendar or an SLA policy changed.
        PolicyUpdated = "policy_updated",
        /// A conversation's SLA clocks were recomputed (entity and conversation: the conversation).
        SlaUpdated = "sla_updated",
        /// A user's availability or capacity as an agent changed (entity: the user). A team's
        /// assignment settings are a `team_updated` change.
        AgentUpdated = "agent_updated",
        /// A notification was created for a user.
        NotificationCreated = "notification_created",
        /// Someone started or stopped viewing a conversation or typing a reply in it (entity: the
        /// user; conversation: the conversation). Renewals that change nothing are not recorded.
        PresenceUpdated = "presence_updated",
    }
);

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub seq: Seq,
    pub kind: ChangeKind,
    /// The id of the changed row; its table follows from `kind`.
    pub entity_id: i64,
    /// The conversation concerned, for message and conversation changes.
    pub conversation_id: Option<ConversationId>,
    pub at: DateTime<Utc>,
}
