//! What an administrator writes: rules, their conditions and their actions, in the JSON form they
//! are stored and edited in (docs/triage.md, "Rules").

use serde::{Deserialize, Serialize};
use std::fmt;
use trellis_core::{
    AccountId, Channel, ConversationStatus, Handle, MessageKind, Priority, TagName, TeamId, UserId,
};

/// A rule's database identity. Distinct from its position: the order of a rule set is the order of
/// its list, so reordering never renumbers rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(pub i64);

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One rule: when its conditions hold for an inbound message, its actions apply, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: RuleId,
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    pub conditions: ConditionGroup,
    pub actions: Vec<Action>,
    /// When the rule matches, no later rule is evaluated for this message.
    #[serde(default)]
    pub stop_processing: bool,
}

fn enabled() -> bool {
    true
}

/// How a group combines its conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// Every condition must hold.
    #[default]
    All,
    /// At least one condition must hold.
    Any,
}

/// Conditions combined by `match_mode`. A group without conditions matches every message, in
/// either mode: a rule without conditions applies to every inbound message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConditionGroup {
    #[serde(default)]
    pub match_mode: MatchMode,
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// One test on an inbound message, its author or its conversation. Sets (`any_of`) hold when the
/// fact is one of the listed values, and must not be empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    Channel {
        any_of: Vec<Channel>,
    },
    Account {
        any_of: Vec<AccountId>,
    },
    Kind {
        any_of: Vec<MessageKind>,
    },
    /// The text contains one of these strings, ignoring case and accents (`cafe` finds `CAFÉ`).
    /// A plain substring test: `refund` also finds `refunded`.
    TextContains {
        any_of: Vec<String>,
    },
    /// The message matches a query in the trellis query language (docs/query-language.md),
    /// evaluated against this one message.
    TextMatchesQuery {
        query: String,
    },
    /// The text, as written, matches a regular expression (`regex` crate syntax). Case-insensitive
    /// unless `case_sensitive` is set.
    TextMatchesRegex {
        pattern: String,
        #[serde(default)]
        case_sensitive: bool,
    },
    /// The message's language is one of these (BCP 47). `en` also accepts `en-GB`; a message
    /// without a language matches none.
    Language {
        any_of: Vec<String>,
    },
    /// The author's handle is one of these, case-insensitively.
    AuthorHandle {
        any_of: Vec<Handle>,
    },
    /// The author has at least this many followers (Discourse: trust level). Unknown counts fail.
    AuthorFollowersAtLeast {
        count: i64,
    },
    /// The author's account is verified on its platform.
    AuthorVerified,
    /// The author's contact carries one of these tags.
    ContactHasTag {
        any_of: Vec<TagName>,
    },
    /// The conversation carries one of these tags (including tags added by earlier rules).
    ConversationHasTag {
        any_of: Vec<TagName>,
    },
    ConversationStatus {
        any_of: Vec<ConversationStatus>,
    },
    Priority {
        any_of: Vec<Priority>,
    },
    /// The message was written while the named calendar was open.
    WithinBusinessHours {
        calendar: String,
    },
    /// The message was written while the named calendar was closed.
    OutsideBusinessHours {
        calendar: String,
    },
    /// A nested group, to mix all and any (`vip AND (refund OR chargeback)`).
    Group(ConditionGroup),
    /// Holds when the inner condition does not.
    Not {
        condition: Box<Condition>,
    },
}

/// What a matching rule does. Actions on conversation fields (tags, priority, team, assignee,
/// status) are visible to later rules of the same run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    AddTag {
        tag: TagName,
    },
    RemoveTag {
        tag: TagName,
    },
    SetPriority {
        priority: Priority,
    },
    RouteToTeam {
        team_id: TeamId,
    },
    AssignToUser {
        user_id: UserId,
    },
    /// Times the conversation under this SLA policy (by its stored id).
    ApplySlaPolicy {
        policy_id: i64,
    },
    /// `resolved` closes spam without an agent ever seeing it in the open queue.
    SetStatus {
        status: ConversationStatus,
    },
    /// Puts the message in the moderators' queue with a reason they will read.
    FlagForModeration {
        reason: String,
    },
    /// Sends a stored canned reply through the outbox.
    SendCannedReply {
        canned_reply_id: i64,
    },
}
