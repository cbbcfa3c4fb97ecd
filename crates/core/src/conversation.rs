//! Conversations: the unit agents work, how messages group into them, and how they are listed.

use crate::enums::{Channel, ConversationStatus, MessageKind, Priority};
use crate::ids::{AccountId, BrandId, ContactId, ConversationId, TeamId, UserId};
use crate::message::NewMessage;
use crate::sla::{SlaLevel, SlaSummary};
use crate::validated::TagName;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which conversation of an account a message belongs to. Unique per account.
///
/// The grouping rule, per message kind:
///
/// | kind | key | what it groups |
/// |---|---|---|
/// | `direct_message` | `dm:<thread>` | one private thread (X `dm_conversation_id`, a Messenger conversation, a Discourse private-message topic); without a thread id, `dm:with:<author id>` |
/// | `mention`, `reply` | `thread:<thread>` | an X reply chain, keyed by its root (`conversation_id`); a mention with no thread id starts its own |
/// | `comment`, `post` | `post:<thread>` | a Page post and every comment and reply to a comment under it; a post is its own thread |
/// | `forum_post` | `topic:<thread>` | a Discourse topic |
///
/// The prefix keeps kinds that share an id space on one platform (a Discourse topic and a
/// private-message topic, an X tweet and a DM) from ever colliding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationKey(String);

impl ConversationKey {
    /// The conversation a message belongs to, by the rule above.
    pub fn for_message(message: &NewMessage) -> Self {
        let thread = message.thread_platform_id.as_ref().map(|id| id.as_str().to_owned());
        let own = message.platform_id.as_str();
        let key = match message.kind {
            MessageKind::DirectMessage => match thread {
                Some(thread) => format!("dm:{thread}"),
                None => format!("dm:with:{}", message.author.platform_id),
            },
            MessageKind::Mention | MessageKind::Reply => {
                format!("thread:{}", thread.as_deref().unwrap_or(own))
            }
            MessageKind::Comment | MessageKind::Post => {
                format!("post:{}", thread.as_deref().unwrap_or(own))
            }
            MessageKind::ForumPost => format!("topic:{}", thread.as_deref().unwrap_or(own)),
        };
        Self(key)
    }

    /// A key read back from storage.
    pub fn from_stored(key: String) -> Self {
        Self(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A conversation as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub account_id: AccountId,
    pub brand_id: BrandId,
    pub channel: Channel,
    pub key: ConversationKey,
    /// The platform's title when it has one (topic title), else `None`.
    pub subject: Option<String>,
    /// The author of the first inbound message.
    pub contact_id: Option<ContactId>,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub tags: Vec<TagName>,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub message_count: i64,
    pub last_message_at: DateTime<Utc>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Last time anything about the conversation changed; lists sort on it, newest first.
    pub updated_at: DateTime<Utc>,
}

/// Who a conversation list should show as assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssigneeFilter {
    Unassigned,
    User(UserId),
}

/// A position in a conversation list: the last row of the previous page. Lists are ordered by
/// `(updated_at desc, id desc)`, so the next page is everything strictly after this pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    pub updated_at: DateTime<Utc>,
    pub id: ConversationId,
}

/// A page cursor that could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid page cursor")]
pub struct InvalidCursor;

impl PageCursor {
    /// An opaque, URL-safe token for the API.
    pub fn encode(&self) -> String {
        let plain = format!("{}:{}", self.updated_at.timestamp_micros(), self.id.0);
        URL_SAFE_NO_PAD.encode(plain)
    }

    pub fn decode(token: &str) -> Result<Self, InvalidCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| InvalidCursor)?;
        let plain = String::from_utf8(bytes).map_err(|_| InvalidCursor)?;
        let (micros, id) = plain.split_once(':').ok_or(InvalidCursor)?;
        let micros: i64 = micros.parse().map_err(|_| InvalidCursor)?;
        let id: i64 = id.parse().map_err(|_| InvalidCursor)?;
        let updated_at = DateTime::from_timestamp_micros(micros).ok_or(InvalidCursor)?;
        Ok(Self { updated_at, id: ConversationId(id) })
    }

    /// The cursor pointing just after `conversation`.
    pub fn after(conversation: &Conversation) -> Self {
        Self { updated_at: conversation.updated_at, id: conversation.id }
    }
}

/// Which conversations to list. Empty vectors and `None` mean "any".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationFilter {
    #[serde(default)]
    pub statuses: Vec<ConversationStatus>,
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Conversations of any of these brands.
    #[serde(default)]
    pub brands: Vec<BrandId>,
    #[serde(default)]
    pub account: Option<AccountId>,
    #[serde(default)]
    pub assignee: Option<AssigneeFilter>,
    /// Conversations routed to any of these teams.
    #[serde(default)]
    pub teams: Vec<TeamId>,
    /// Conversations started by any of these contacts (`Conversation::contact_id`).
    #[serde(default)]
    pub contacts: Vec<ContactId>,
    /// Conversations whose SLA level ([`SlaSummary::level`]) is any of these; a conversation
    /// without SLA clocks has no level and matches none.
    #[serde(default)]
    pub sla: Vec<SlaLevel>,
    #[serde(default)]
    pub tag: Option<TagName>,
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Inclusive lower bound on `updated_at`.
    #[serde(default)]
    pub updated_after: Option<DateTime<Utc>>,
    /// Exclusive upper bound on `updated_at`.
    #[serde(default)]
    pub updated_before: Option<DateTime<Utc>>,
    /// Page size, clamped by the store to 1..=[`ConversationFilter::MAX_LIMIT`].
    pub limit: u32,
    #[serde(default)]
    pub after: Option<PageCursor>,
}

impl ConversationFilter {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;

    /// The page size the store should use.
    pub fn clamped_limit(&self) -> u32 {
        self.limit.clamp(1, Self::MAX_LIMIT)
    }
}

impl Default for ConversationFilter {
    fn default() -> Self {
        Self {
            statuses: Vec::new(),
            channels: Vec::new(),
            brands: Vec::new(),
            account: None,
            assignee: None,
            teams: Vec::new(),
            contacts: Vec::new(),
            sla: Vec::new(),
            tag: None,
            priority: None,
            updated_after: None,
            updated_before: None,
            limit: Self::DEFAULT_LIMIT,
            after: None,
        }
    }
}

/// One page of a conversation list; `next` is `None` on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationPage {
    pub items: Vec<Conversation>,
    /// The SLA summary of each listed conversation that has one, read with the page (the store
    /// keeps it beside the clocks, so listing it costs no computation).
    #[serde(default)]
    pub sla: BTreeMap<ConversationId, SlaSummary>,
    pub next: Option<PageCursor>,
}

/// A change to a conversation's workflow fields. `None` leaves a field alone; `Some(None)` clears an
/// optional one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationPatch {
    #[serde(default)]
    pub status: Option<ConversationStatus>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub assignee_id: Option<Option<UserId>>,
    #[serde(default)]
    pub team_id: Option<Option<TeamId>>,
    #[serde(default)]
    pub snoozed_until: Option<Option<DateTime<Utc>>>,
    #[serde(default)]
    pub add_tags: Vec<TagName>,
    #[serde(default)]
    pub remove_tags: Vec<TagName>,
}

impl ConversationPatch {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::Direction;
    use crate::message::NewContact;
    use crate::validated::PlatformId;

    fn message(kind: MessageKind, id: &str, thread: Option<&str>) -> NewMessage {
        NewMessage {
            platform_id: PlatformId::parse(id).unwrap(),
            kind,
            direction: Direction::Inbound,
            author: NewContact {
                platform_id: PlatformId::parse("author-1").unwrap(),
                handle: None,
                display_name: None,
                follower_count: None,
                verified: false,
            },
            parent_platform_id: None,
            thread_platform_id: thread.map(|t| PlatformId::parse(t).unwrap()),
            thread_title: None,
            text: "hello".into(),
            lang: None,
            raw: serde_json::Value::Null,
            created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            deleted_at: None,
        }
    }

    fn key(kind: MessageKind, id: &str, thread: Option<&str>) -> String {
        ConversationKey::for_message(&message(kind, id, thread)).as_str().to_owned()
    }

    #[test]
    fn direct_messages_group_by_their_platform_thread() {
        assert_eq!(key(MessageKind::DirectMessage, "e1", Some("1-2")), "dm:1-2");
        assert_eq!(key(MessageKind::DirectMessage, "e2", Some("1-2")), "dm:1-2");
    }

    #[test]
    fn a_direct_message_without_thread_groups_by_its_author() {
        assert_eq!(key(MessageKind::DirectMessage, "e1", None), "dm:with:author-1");
    }

    #[test]
    fn an_x_reply_chain_is_one_conversation_keyed_by_its_root() {
        assert_eq!(key(MessageKind::Mention, "200", Some("100")), "thread:100");
        assert_eq!(key(MessageKind::Reply, "300", Some("100")), "thread:100");
        assert_eq!(key(MessageKind::Mention, "400", None), "thread:400");
    }

    #[test]
    fn comments_join_their_post_and_a_post_starts_its_own_thread() {
        assert_eq!(key(MessageKind::Post, "1_2", None), "post:1_2");
        assert_eq!(key(MessageKind::Comment, "2_9", Some("1_2")), "post:1_2");
    }

    #[test]
    fn forum_posts_group_by_topic() {
        assert_eq!(key(MessageKind::ForumPost, "881", Some("77")), "topic:77");
    }

    #[test]
    fn a_dm_and_a_tweet_with_the_same_id_never_share_a_conversation() {
        assert_ne!(
            key(MessageKind::DirectMessage, "5", Some("5")),
            key(MessageKind::Mention, "5", Some("5"))
        );
    }

    #[test]
    fn page_cursors_round_trip_and_reject_garbage() {
        let cursor = PageCursor {
            updated_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: ConversationId(42),
        };
        assert_eq!(PageCursor::decode(&cursor.encode()), Ok(cursor));
        assert_eq!(PageCursor::decode("not-a-cursor"), Err(InvalidCursor));
        assert_eq!(PageCursor::decode(""), Err(InvalidCursor));
    }

    #[test]
    fn limits_are_clamped() {
        let filter = ConversationFilter { limit: 0, ..Default::default() };
        assert_eq!(filter.clamped_limit(), 1);
        let filter = ConversationFilter { limit: 10_000, ..Default::default() };
        assert_eq!(filter.clamped_limit(), ConversationFilter::MAX_LIMIT);
    }
}
