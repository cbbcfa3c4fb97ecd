//! Messages and contacts as connectors hand them over (normalized) and as the store keeps them.

use crate::enums::{Channel, Direction, MessageKind};
use crate::ids::{AccountId, ContactId, ConversationId, MessageId, PersonId, Seq};
use crate::validated::{Handle, PlatformId, TagName};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A person's identity on one platform as a connector saw it. Upserted on (channel, platform id):
/// the newest description wins, so a changed display name or follower count is picked up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewContact {
    pub platform_id: PlatformId,
    #[serde(default)]
    pub handle: Option<Handle>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Followers on X and Facebook; for Discourse the trust level is kept here (0–4).
    #[serde(default)]
    pub follower_count: Option<i64>,
    #[serde(default)]
    pub verified: bool,
}

/// A person's identity on one platform as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub channel: Channel,
    pub platform_id: PlatformId,
    pub handle: Option<Handle>,
    pub display_name: Option<String>,
    pub follower_count: Option<i64>,
    pub verified: bool,
    /// The person this identity was linked to, by an agent or a rule.
    pub person_id: Option<PersonId>,
    pub tags: Vec<TagName>,
    pub updated_at: DateTime<Utc>,
}

/// One message as a connector (or `trellis import`) hands it over. Upserted on
/// (account, platform id): a re-delivery with identical content changes nothing, an edit updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMessage {
    pub platform_id: PlatformId,
    pub kind: MessageKind,
    #[serde(default = "inbound")]
    pub direction: Direction,
    pub author: NewContact,
    /// The message this one answers, when the platform says so.
    #[serde(default)]
    pub parent_platform_id: Option<PlatformId>,
    /// The root of the thread on the platform: X `conversation_id`, the Facebook post id of a
    /// comment, a DM conversation id, a Discourse topic id. Decides the conversation
    /// (see [`crate::ConversationKey::for_message`]).
    #[serde(default)]
    pub thread_platform_id: Option<PlatformId>,
    /// A subject for the conversation when the platform has one (Discourse topic title).
    #[serde(default)]
    pub thread_title: Option<String>,
    pub text: String,
    /// BCP 47 language tag when the platform gives one.
    #[serde(default)]
    pub lang: Option<String>,
    /// The platform's own JSON for this message, kept verbatim.
    #[serde(default)]
    pub raw: serde_json::Value,
    /// When the platform says the message was written (UTC).
    pub created_at: DateTime<Utc>,
    /// Set when the platform reports the message deleted; the message stays stored.
    #[serde(default)]
    pub deleted_at: Option<DateTime<Utc>>,
}

fn inbound() -> Direction {
    Direction::Inbound
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub contact_id: ContactId,
    pub channel: Channel,
    pub platform_id: PlatformId,
    pub kind: MessageKind,
    pub direction: Direction,
    pub parent_platform_id: Option<PlatformId>,
    pub thread_platform_id: Option<PlatformId>,
    pub text: String,
    pub lang: Option<String>,
    pub raw: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// When trellis first stored it.
    pub received_at: DateTime<Utc>,
    /// When trellis last changed it (an edit or a deletion on the platform).
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Where a connector stands in one of an account's streams (`mentions`, `dm_events`, `feed`, …).
/// Saved in the same transaction as the messages it covers, so a crash never skips or repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorUpdate {
    pub stream: String,
    pub value: String,
}

/// What one poll (or one webhook delivery, or one import chunk) produced for one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestBatch {
    pub account_id: AccountId,
    pub messages: Vec<NewMessage>,
    #[serde(default)]
    pub cursors: Vec<CursorUpdate>,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestOutcome {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Conversations that got a new or changed message, in first-touched order, without repeats.
    pub conversations: Vec<ConversationId>,
    /// The last change-feed sequence this ingest wrote, if it wrote any.
    pub last_seq: Option<Seq>,
}
