//! The `Store` seam: the only source of truth. Implemented for SQLite and PostgreSQL in
//! `trellis-store`, both held to one conformance suite.

use crate::access::AccessStore;
use crate::change::Change;
use crate::connection::ConnectionStore;
use crate::conversation::InvalidCursor;
use crate::conversation::{Conversation, ConversationFilter, ConversationPage, ConversationPatch};
use crate::directory::{Account, Brand, NewAccount, NewUser, Person, Team, User};
use crate::enums::Channel;
use crate::ids::BrandId;
use crate::ids::{AccountId, ContactId, ConversationId, MessageId, PersonId, Seq, TeamId, UserId};
use crate::message::{Contact, IngestBatch, IngestOutcome, Message};
use crate::search::IndexDoc;
use crate::validated::TagName;
use crate::workflow::WorkflowStore;
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What went wrong in the store, in domain terms. Backend error codes are mapped here by the
/// store crate, never by its callers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// A uniqueness or state rule was broken (duplicate email, unknown team member, …).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The input breaks a rule the store enforces (e.g. an account of another brand).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database cannot be reached or refused the connection.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data that does not read back as the domain type (a bug or a hand-edited database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound { entity, id: id.to_string() }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The message store. Every write appends to the change feed in the same transaction.
///
/// Accounts at work (credentials, health, outbox) are in [`ConnectionStore`], triage's records
/// (rules, policies, SLA clocks, assignment, timelines) in [`WorkflowStore`], sign-in (passwords,
/// sessions, API tokens, the audit log, the sign-in throttle) in [`AccessStore`], and the reads
/// about contacts and tags the inbox looks up in [`ContactStore`]; bring those traits into scope
/// to call them on a `dyn Store`.
#[async_trait]
pub trait Store:
    ConnectionStore + WorkflowStore + AccessStore + ContactStore + Send + Sync + 'static
{
    fn backend(&self) -> Backend;

    /// Applies the pending migrations of this backend (`migrations/sqlite` or `migrations/postgres`).
    /// Idempotent; `trellis serve` runs it at start, `trellis migrate` on demand.
    async fn migrate(&self) -> StoreResult<()>;

    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> StoreResult<()>;

    // --- directory -------------------------------------------------------------------------

    async fn create_brand(&self, name: &str) -> StoreResult<Brand>;
    async fn list_brands(&self) -> StoreResult<Vec<Brand>>;
    async fn create_account(&self, account: NewAccount) -> StoreResult<Account>;
    async fn get_account(&self, id: AccountId) -> StoreResult<Account>;
    async fn list_accounts(&self) -> StoreResult<Vec<Account>>;
    /// Emails are unique, case-insensitively: a duplicate is [`StoreError::Conflict`].
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn get_user(&self, id: UserId) -> StoreResult<User>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn create_team(&self, name: &str) -> StoreResult<Team>;
    async fn list_teams(&self) -> StoreResult<Vec<Team>>;
    async fn add_team_member(&self, team: TeamId, user: UserId) -> StoreResult<()>;
    async fn team_members(&self, team: TeamId) -> StoreResult<Vec<UserId>>;
    /// The teams `user` is a member of, by id; an unknown user is [`StoreError::NotFound`].
    async fn user_teams(&self, user: UserId) -> StoreResult<Vec<TeamId>>;

    // --- ingest ----------------------------------------------------------------------------

    /// Upserts a normalized batch in one transaction: contacts on (channel, platform id), messages
    /// on (account, platform id), conversations on (account, [`crate::ConversationKey`]); saves the
    /// batch's cursors; appends the change feed. Identical re-deliveries change nothing and write no
    /// change; an edit updates the message. A new inbound message reopens a pending, snoozed or
    /// resolved conversation. All or nothing.
    async fn ingest(&self, batch: IngestBatch) -> StoreResult<IngestOutcome>;

    /// The cursor last saved for an account's stream.
    async fn cursor(&self, account: AccountId, stream: &str) -> StoreResult<Option<String>>;

    // --- reads -----------------------------------------------------------------------------

    async fn get_message(&self, id: MessageId) -> StoreResult<Message>;
    /// A conversation's messages, oldest first.
    async fn conversation_messages(&self, id: ConversationId) -> StoreResult<Vec<Message>>;
    async fn get_contact(&self, id: ContactId) -> StoreResult<Contact>;
    async fn get_conversation(&self, id: ConversationId) -> StoreResult<Conversation>;
    /// Keyset-paginated, ordered by `(updated_at desc, id desc)`. Never uses `OFFSET`.
    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> StoreResult<ConversationPage>;
    async fn message_count(&self) -> StoreResult<u64>;

    // --- commands --------------------------------------------------------------------------

    /// Applies a workflow change; bumps `updated_at` and writes a change only if something changed.
    async fn update_conversation(
        &self,
        id: ConversationId,
        patch: ConversationPatch,
    ) -> StoreResult<Conversation>;

    /// Links a contact to a person, creating the person when `person` is `None`. A contact belongs
    /// to at most one person; linking again moves it.
    async fn link_contact(
        &self,
        contact: ContactId,
        person: Option<PersonId>,
    ) -> StoreResult<Person>;
    /// Every contact of a person, across platforms.
    async fn person_contacts(&self, person: PersonId) -> StoreResult<Vec<Contact>>;

    // --- change feed -----------------------------------------------------------------------

    /// Changes with `seq > after`, ascending, at most `limit`. A change is visible here only once
    /// every change with a smaller sequence is too, so a follower that resumes from the last seq it
    /// saw never skips one.
    async fn changes_since(&self, after: Seq, limit: u32) -> StoreResult<Vec<Change>>;
    /// The highest sequence written, `Seq(0)` when the feed is empty.
    async fn latest_seq(&self) -> StoreResult<Seq>;

    // --- search projection -----------------------------------------------------------------

    /// Index documents for these messages (missing ids are skipped).
    async fn index_docs(&self, messages: &[MessageId]) -> StoreResult<Vec<IndexDoc>>;
    /// Index documents for every message of these conversations (their workflow fields changed).
    async fn conversation_index_docs(
        &self,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<IndexDoc>>;
    /// Every message's document in id order, a page at a time, for rebuilding the index.
    async fn scan_index_docs(&self, after: MessageId, limit: u32) -> StoreResult<Vec<IndexDoc>>;
}

/// The reads the inbox makes about the people writing in and about tags: a contact's person, the
/// contacts a handle or name begins, a contact's messages across channels, the tags in use.
/// Implemented beside [`Store`] by both backends.
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// A person; an unknown id is [`StoreError::NotFound`].
    async fn get_person(&self, id: PersonId) -> StoreResult<Person>;

    /// Contacts whose handle or display name starts with the search's prefix, ignoring case:
    /// handle matches first (by handle), then name matches (by name), at most `limit`. Both are
    /// index range reads: the cost follows the matches returned, not the contacts stored.
    async fn find_contacts(&self, search: &ContactSearch) -> StoreResult<Vec<Contact>>;

    /// Messages written by any of these contacts, newest first (`created_at desc, id desc`),
    /// keyset-paged, only in conversations of `brands` when it names any.
    async fn contact_messages(&self, filter: &ContactMessagesFilter) -> StoreResult<MessagePage>;

    /// Every tag on some conversation, by name, with how many conversations of `brands` (any
    /// brand when empty) carrying it are open.
    async fn tag_counts(&self, brands: &[BrandId]) -> StoreResult<Vec<TagCount>>;
}

/// What [`ContactStore::find_contacts`] looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSearch {
    /// The beginning of a handle (without `@`) or of a display name, in any case. Not empty.
    pub prefix: String,
    /// Only contacts of this channel.
    pub channel: Option<Channel>,
    pub limit: u32,
}

impl ContactSearch {
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 100;
}

/// Which messages [`ContactStore::contact_messages`] reads. Empty `contacts` reads none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMessagesFilter {
    pub contacts: Vec<ContactId>,
    /// Only messages of conversations of these brands; empty means any.
    pub brands: Vec<BrandId>,
    pub limit: u32,
    pub after: Option<MessageCursor>,
}

impl ContactMessagesFilter {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;
}

/// One page of messages, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct MessagePage {
    pub items: Vec<Message>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<MessageCursor>,
}

/// A position in a newest-first list of messages: just after this message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageCursor {
    pub created_at: DateTime<Utc>,
    pub id: MessageId,
}

impl MessageCursor {
    /// An opaque, URL-safe token for the API. Marked as a message cursor, so a conversation
    /// list's cursor passed here (or this one there) is refused rather than misread.
    pub fn encode(&self) -> String {
        let plain = format!("m:{}:{}", self.created_at.timestamp_micros(), self.id.0);
        URL_SAFE_NO_PAD.encode(plain)
    }

    pub fn decode(token: &str) -> Result<Self, InvalidCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| InvalidCursor)?;
        let plain = String::from_utf8(bytes).map_err(|_| InvalidCursor)?;
        let rest = plain.strip_prefix("m:").ok_or(InvalidCursor)?;
        let (micros, id) = rest.split_once(':').ok_or(InvalidCursor)?;
        let micros: i64 = micros.parse().map_err(|_| InvalidCursor)?;
        let id: i64 = id.parse().map_err(|_| InvalidCursor)?;
        let created_at = DateTime::from_timestamp_micros(micros).ok_or(InvalidCursor)?;
        Ok(Self { created_at, id: MessageId(id) })
    }

    /// The cursor pointing just after `message`.
    pub fn after(message: &Message) -> Self {
        Self { created_at: message.created_at, id: message.id }
    }
}

/// A tag in use and how many open conversations carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagCount {
    pub tag: TagName,
    pub open: u64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::conversation::PageCursor;
    use crate::ids::ConversationId;

    #[test]
    fn a_message_cursor_reads_back_and_refuses_a_conversation_cursor() {
        let created_at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let cursor = MessageCursor { created_at, id: MessageId(42) };
        assert_eq!(MessageCursor::decode(&cursor.encode()), Ok(cursor));
        let conversation = PageCursor { updated_at: created_at, id: ConversationId(42) };
        assert_eq!(MessageCursor::decode(&conversation.encode()), Err(InvalidCursor));
        assert_eq!(MessageCursor::decode("not a cursor"), Err(InvalidCursor));
    }
}
