//! What triage works with, as stored: rules, business-hours calendars, SLA policies and each
//! conversation's SLA clocks, team assignment settings, agent availability and capacity, canned
//! replies, the conversation timeline (who did what, and which rule), supervisor notifications and
//! the positions of change-feed followers.
//!
//! Definitions the triage crate interprets (rule conditions and actions, calendar hours, policy
//! targets) are stored as JSON documents: the store keeps and orders them, `trellis-triage` parses
//! and validates them. That keeps `core` free of the rules vocabulary while every record still
//! lives in the one database.

use crate::conversation::{Conversation, ConversationPatch};
use crate::enums::string_enum_pub;
use crate::ids::{ConversationId, Seq, TeamId, UserId};
use crate::store::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

record_id!(
    /// A stored triage rule.
    RuleRecordId
);
record_id!(
    /// A stored business-hours calendar.
    CalendarId
);
record_id!(
    /// A stored SLA policy.
    SlaPolicyId
);
record_id!(
    /// A canned reply.
    CannedReplyId
);
record_id!(
    /// A notification to a user.
    NotificationId
);

/// Who did something: shown on the conversation timeline and the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// trellis itself (a new message reopening a conversation, an SLA timer, the scheduler).
    System,
    User {
        id: UserId,
    },
    /// A triage rule; the name is kept as it was when the rule acted.
    Rule {
        id: RuleRecordId,
        name: String,
    },
}

/// One entry of a conversation's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTimelineEvent {
    pub conversation_id: ConversationId,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// What happened, a stable snake_case word: `status_changed`, `priority_changed`, `assigned`,
    /// `routed`, `tagged`, `untagged`, `sla_policy_applied`, `sla_warning`, `sla_breached`,
    /// `escalated`, `flagged_for_moderation`, `reply_queued`, …
    pub kind: String,
    /// The particulars, e.g. `{"from":"open","to":"resolved"}`.
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub id: i64,
    #[serde(flatten)]
    pub event: NewTimelineEvent,
}

/// A rule as stored. `definition` is the triage crate's JSON for conditions, actions and
/// `stop_processing`; rules run in `position` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRecord {
    pub id: RuleRecordId,
    pub name: String,
    pub enabled: bool,
    pub position: i64,
    pub definition: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A rule to create (appended after the last one) or the new contents of one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleInput {
    pub name: String,
    pub enabled: bool,
    pub definition: Value,
}

/// A business-hours calendar; `definition` is the triage crate's `CalendarSpec` JSON (IANA time
/// zone, periods per weekday, holidays).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarRecord {
    pub id: CalendarId,
    pub name: String,
    pub definition: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarInput {
    pub name: String,
    pub definition: Value,
}

/// An SLA policy; `definition` is the triage crate's JSON (targets per priority and metric,
/// warning percent, escalation actions). Exactly one policy may be the default, applied to new
/// conversations no rule gave a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaPolicyRecord {
    pub id: SlaPolicyId,
    pub name: String,
    pub calendar_id: Option<CalendarId>,
    pub is_default: bool,
    pub definition: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaPolicyInput {
    pub name: String,
    pub calendar_id: Option<CalendarId>,
    pub is_default: bool,
    pub definition: Value,
}

/// One SLA metric's clock on a conversation, as last computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClockRecord {
    /// `first_response`, `next_response` or `resolution`.
    pub metric: String,
    /// `running`, `paused`, `warning`, `breached` or `met`.
    pub state: String,
    pub due_at: Option<DateTime<Utc>>,
    pub warning_at: Option<DateTime<Utc>>,
    /// When the clock was met or breached, if it was.
    pub settled_at: Option<DateTime<Utc>>,
}

/// A conversation's SLA: its policy and clocks. `next_transition_at` is indexed: the SLA timer asks
/// for the conversations whose next warning or breach is due instead of scanning open ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSla {
    pub conversation_id: ConversationId,
    pub policy_id: Option<SlaPolicyId>,
    pub clocks: Vec<SlaClockRecord>,
    pub next_transition_at: Option<DateTime<Utc>>,
    pub computed_at: DateTime<Utc>,
}

string_enum_pub!(
    /// How a team's new conversations find an agent.
    #[derive(Default)]
    AssignmentMode, "assignment mode" {
        /// Nobody is assigned automatically.
        #[default]
        Manual = "manual",
        /// In turn, skipping agents who are away, offline or full.
        RoundRobin = "round_robin",
        /// To the available agent with the fewest open conversations.
        Balanced = "balanced",
    }
);

/// How a team assigns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSettings {
    pub team_id: TeamId,
    pub assignment: AssignmentMode,
    /// Open conversations an agent may hold unless their own capacity says otherwise.
    pub default_capacity: u32,
    /// Agents offline longer than this have their open conversations returned to the queue;
    /// `None` never does.
    pub return_after_offline_secs: Option<i64>,
    /// The agent who got the last round-robin assignment.
    pub round_robin_last: Option<UserId>,
}

string_enum_pub!(
    /// Whether an agent takes new conversations.
    #[derive(Default)]
    Availability, "availability" {
        Online = "online",
        /// Keeps their conversations but gets no new ones.
        Away = "away",
        #[default]
        Offline = "offline",
    }
);

string_enum_pub!(
    /// What someone is doing on a conversation, for the others working it.
    PresenceState, "presence state" {
        Viewing = "viewing",
        /// Writing a reply or a note.
        Typing = "typing",
    }
);

/// Someone on a conversation until `expires_at`, unless they renew it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceEntry {
    pub conversation_id: ConversationId,
    pub user_id: UserId,
    pub state: PresenceState,
    pub expires_at: DateTime<Utc>,
}

/// An agent's availability and capacity, with their open conversation count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentState {
    pub user_id: UserId,
    pub availability: Availability,
    pub availability_since: DateTime<Utc>,
    /// Overrides the team's default capacity.
    pub capacity: Option<u32>,
    /// Conversations assigned to them that are not resolved.
    pub open_conversations: u32,
}

/// A canned reply agents (and rules) send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedReply {
    pub id: CannedReplyId,
    /// What an agent types to insert it, e.g. `/refund`; unique.
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedReplyInput {
    pub shortcut: String,
    pub title: String,
    pub body: String,
}

/// Something a user should see (an SLA warning or breach escalated to supervisors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNotification {
    pub user_id: UserId,
    pub conversation_id: Option<ConversationId>,
    /// `sla_warning`, `sla_breached`, `escalation`, …
    pub kind: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    #[serde(flatten)]
    pub notification: NewNotification,
    pub read_at: Option<DateTime<Utc>>,
}

/// Rules, policies, teams' assignment, agents, canned replies, timelines and follower positions.
/// Part of [`crate::Store`].
#[async_trait]
pub trait WorkflowStore: Send + Sync {
    // --- conversation workflow with provenance -------------------------------------------

    /// Applies a patch like [`crate::Store::update_conversation`] and, in the same transaction,
    /// records a timeline event for each field that changed, attributed to `actor`.
    async fn patch_conversation(
        &self,
        id: ConversationId,
        patch: ConversationPatch,
        actor: Actor,
    ) -> StoreResult<Conversation>;
    /// Assigns `user` only if the conversation is still unassigned and not resolved, recording
    /// the event; `None` when someone else got there first. Safe with several nodes.
    async fn assign_if_unassigned(
        &self,
        id: ConversationId,
        user: UserId,
        actor: Actor,
    ) -> StoreResult<Option<Conversation>>;
    /// [`WorkflowStore::assign_if_unassigned`] that also refuses (`None`) while `user` holds
    /// `capacity` or more unresolved conversations, checked and written atomically: two nodes
    /// can never fill one agent's last seat twice.
    async fn assign_within_capacity(
        &self,
        id: ConversationId,
        user: UserId,
        capacity: u32,
        actor: Actor,
    ) -> StoreResult<Option<Conversation>>;
    /// Unassigns the conversation only while `user` still holds it, recording the event; `None`
    /// when someone else holds it now (or nobody does). Safe with several nodes.
    async fn unassign_if_held(
        &self,
        id: ConversationId,
        user: UserId,
        actor: Actor,
    ) -> StoreResult<Option<Conversation>>;
    async fn record_timeline(&self, events: Vec<NewTimelineEvent>) -> StoreResult<()>;
    /// A conversation's timeline, oldest first.
    async fn conversation_timeline(&self, id: ConversationId) -> StoreResult<Vec<TimelineEvent>>;

    // --- rules ---------------------------------------------------------------------------

    async fn create_rule(&self, rule: RuleInput) -> StoreResult<RuleRecord>;
    async fn update_rule(&self, id: RuleRecordId, rule: RuleInput) -> StoreResult<RuleRecord>;
    async fn delete_rule(&self, id: RuleRecordId) -> StoreResult<()>;
    /// Every rule, in evaluation order.
    async fn list_rules(&self) -> StoreResult<Vec<RuleRecord>>;
    /// Puts rules in this order; `ids` must name every rule exactly once.
    async fn reorder_rules(&self, ids: &[RuleRecordId]) -> StoreResult<()>;

    // --- business hours and SLA policies -------------------------------------------------

    async fn create_calendar(&self, calendar: CalendarInput) -> StoreResult<CalendarRecord>;
    async fn update_calendar(
        &self,
        id: CalendarId,
        calendar: CalendarInput,
    ) -> StoreResult<CalendarRecord>;
    async fn list_calendars(&self) -> StoreResult<Vec<CalendarRecord>>;
    /// Deletes a calendar nothing counts in any more, appending `policy_updated` (entity: the
    /// calendar). Refused with [`crate::StoreError::Conflict`], naming what uses it, while an SLA
    /// policy counts in it or a rule's business-hours condition names it and no other calendar
    /// has that name (the rule would stop compiling). An unknown id is
    /// [`crate::StoreError::NotFound`].
    async fn delete_calendar(&self, id: CalendarId) -> StoreResult<()>;
    async fn create_sla_policy(&self, policy: SlaPolicyInput) -> StoreResult<SlaPolicyRecord>;
    /// Making a policy the default takes the flag from the previous default.
    async fn update_sla_policy(
        &self,
        id: SlaPolicyId,
        policy: SlaPolicyInput,
    ) -> StoreResult<SlaPolicyRecord>;
    async fn list_sla_policies(&self) -> StoreResult<Vec<SlaPolicyRecord>>;
    /// Deletes an SLA policy, appending `policy_updated` (entity: the deleted policy) so triage
    /// reloads its policies and recomputes the clocks still counting.
    ///
    /// Refused with [`crate::StoreError::Conflict`] for the default policy (make another policy
    /// the default first), while a rule's `apply_sla_policy` action names it (the message names
    /// the rules), and while conversations are timed by it but no default policy exists to take
    /// them over. An unknown id is [`crate::StoreError::NotFound`].
    ///
    /// Conversations whose SLA record is on it move to the default policy in the same
    /// transaction, each with an `sla_policy_applied` timeline event naming the default (actor:
    /// system, detail `{"policy_id", "name", "replaced_policy_id"}`): their history, re-read, is
    /// timed by the default from then on, so no record or recomputation points at the deleted
    /// policy. Paused and settled clocks keep their last computation until the conversation
    /// next changes, as after any policy edit.
    async fn delete_sla_policy(&self, id: SlaPolicyId) -> StoreResult<()>;

    /// A conversation's SLA record, `None` before one was computed.
    async fn conversation_sla(&self, id: ConversationId) -> StoreResult<Option<ConversationSla>>;
    /// Replaces a conversation's SLA record (policy, clocks, next transition).
    async fn put_conversation_sla(&self, sla: ConversationSla) -> StoreResult<()>;
    /// Conversations whose next SLA transition is at or before `until`, earliest first.
    async fn due_sla(
        &self,
        until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<(ConversationId, DateTime<Utc>)>>;
    /// The earliest pending SLA transition, so the timer sleeps exactly until it.
    async fn next_sla_transition(&self) -> StoreResult<Option<DateTime<Utc>>>;

    // --- teams and agents ----------------------------------------------------------------

    /// A team's assignment settings (manual, capacity 10, never returning, before any change).
    async fn team_settings(&self, team: TeamId) -> StoreResult<TeamSettings>;
    async fn update_team_settings(&self, settings: TeamSettings) -> StoreResult<()>;
    async fn set_availability(
        &self,
        user: UserId,
        availability: Availability,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn set_capacity(&self, user: UserId, capacity: Option<u32>) -> StoreResult<()>;
    /// The state of every member of a team (all users when `team` is `None`).
    async fn agent_states(&self, team: Option<TeamId>) -> StoreResult<Vec<AgentState>>;
    /// A team's open, unassigned conversations in the order they should be assigned: most
    /// urgent first, then the longest waiting.
    async fn assignment_queue(&self, team: TeamId, limit: u32) -> StoreResult<Vec<Conversation>>;
    /// Conversations assigned to `user` that are not resolved.
    async fn open_assigned(&self, user: UserId) -> StoreResult<Vec<Conversation>>;

    // --- canned replies ------------------------------------------------------------------

    async fn create_canned_reply(&self, reply: CannedReplyInput) -> StoreResult<CannedReply>;
    async fn update_canned_reply(
        &self,
        id: CannedReplyId,
        reply: CannedReplyInput,
    ) -> StoreResult<CannedReply>;
    async fn delete_canned_reply(&self, id: CannedReplyId) -> StoreResult<()>;
    async fn list_canned_replies(&self) -> StoreResult<Vec<CannedReply>>;

    // --- notifications -------------------------------------------------------------------

    async fn notify(&self, notification: NewNotification) -> StoreResult<Notification>;
    /// A user's notifications, newest first.
    async fn notifications(
        &self,
        user: UserId,
        unread_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<Notification>>;
    async fn mark_notification_read(&self, id: NotificationId) -> StoreResult<()>;
    /// One notification, whoever it is for.
    async fn get_notification(&self, id: NotificationId) -> StoreResult<Notification>;

    // --- presence on conversations ---------------------------------------------------------

    /// Records that `user` is on `conversation` in `state` until `expires_at`. A new presence or
    /// a new state appends `presence_updated` and answers `true`; a renewal of the same state
    /// only moves the expiry and answers `false`.
    async fn set_presence(&self, entry: PresenceEntry) -> StoreResult<bool>;
    /// Ends `user`'s presence on `conversation`, appending `presence_updated` when there was one.
    async fn clear_presence(&self, conversation: ConversationId, user: UserId)
        -> StoreResult<bool>;
    /// Ends every presence expired at `now`, each with its `presence_updated`, in one
    /// transaction: of several nodes sweeping at once, each presence ends once. How many.
    async fn expire_presence(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Who is on `conversation` at `now`.
    async fn presence(
        &self,
        conversation: ConversationId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<PresenceEntry>>;
    /// `user`'s presence on `conversation`, if it holds at `now`.
    async fn presence_of(
        &self,
        conversation: ConversationId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<PresenceEntry>>;

    // --- change-feed followers -----------------------------------------------------------

    /// The last seq a named follower (`triage`, …) finished, `Seq(0)` before its first run.
    async fn follower_position(&self, name: &str) -> StoreResult<Seq>;
    async fn save_follower_position(&self, name: &str, seq: Seq) -> StoreResult<()>;

    // --- named leases --------------------------------------------------------------------

    /// Takes or renews the lease `name` (a job that must run on one node at a time, such as
    /// `triage`) for `owner` (a node id) until `now + ttl`: `true` when `owner` holds it now,
    /// `false` while another owner holds an unexpired lease. Renewing keeps it; letting it
    /// expire hands it to the next node that asks.
    async fn acquire_named_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> StoreResult<bool>;
    /// Gives up the lease `name` if `owner` holds it (at shutdown), so a standby takes over at
    /// once instead of waiting for the expiry.
    async fn release_named_lease(&self, name: &str, owner: &str) -> StoreResult<()>;
}
