//! What rules look at: one message with its author and conversation, and the context of a run.

use crate::calendar::BusinessCalendar;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use trellis_core::{
    AccountId, Channel, ConversationId, ConversationStatus, Direction, Handle, MessageId,
    MessageKind, Priority, TagName, TeamId, UserId,
};

/// Business calendars by the name rules refer to them with (`"support-eu"`).
pub type Calendars = HashMap<String, BusinessCalendar>;

/// Everything a condition may test about one message, gathered by the caller from the store (or
/// from an index document for a preview). The conversation fields are its state *before* the
/// rules run.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageFacts {
    pub message_id: MessageId,
    pub channel: Channel,
    pub account_id: AccountId,
    pub kind: MessageKind,
    /// Only inbound messages trigger rules.
    pub direction: Direction,
    pub text: String,
    /// BCP 47 language tag, when the platform gave one.
    pub lang: Option<String>,
    pub author_handle: Option<Handle>,
    pub author_follower_count: Option<i64>,
    pub author_verified: bool,
    pub contact_tags: Vec<TagName>,
    pub conversation_id: ConversationId,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub conversation_tags: Vec<TagName>,
    /// When the platform says the message was written; business-hours conditions test this
    /// instant, so re-running rules later or previewing old messages gives the same answer.
    pub created_at: DateTime<Utc>,
}

/// The surroundings of one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct EvalContext<'a> {
    /// Calendars that business-hours conditions name.
    pub calendars: &'a Calendars,
    /// When the run happens; stamped on the evaluation for the timeline.
    pub now: DateTime<Utc>,
}
