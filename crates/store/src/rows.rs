//! Rows as the database returns them and their conversion to domain types. Both backends decode
//! into these (`FromRow` is derived generically), so the conversion lives once.

use crate::error::corrupt;
use crate::time::{from_micros, opt_from_micros};
use std::collections::HashMap;
use std::str::FromStr;
use trellis_core::{
    Account, Brand, Change, Contact, Conversation, ConversationKey, IndexDoc, Message, Person,
    PlatformId, StoreError, TagName, Team, User,
};

pub(crate) fn parse<T>(what: &str, value: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|err| corrupt(what, err))
}

fn platform_id(value: String) -> Result<PlatformId, StoreError> {
    PlatformId::parse(&value).map_err(|err| corrupt("platform id", err))
}

fn opt_platform_id(value: Option<String>) -> Result<Option<PlatformId>, StoreError> {
    value.map(platform_id).transpose()
}

/// Tags per owner id, read in one query for a whole page of owners.
pub(crate) type TagMap = HashMap<i64, Vec<TagName>>;

#[derive(sqlx::FromRow)]
pub(crate) struct TagRow {
    pub owner_id: i64,
    pub tag: String,
}

pub(crate) fn tag_map(rows: Vec<TagRow>) -> Result<TagMap, StoreError> {
    let mut map = TagMap::new();
    for row in rows {
        let tag = TagName::parse(&row.tag).map_err(|err| corrupt("tag", err))?;
        map.entry(row.owner_id).or_default().push(tag);
    }
    for tags in map.values_mut() {
        tags.sort();
    }
    Ok(map)
}

#[derive(sqlx::FromRow)]
pub(crate) struct BrandRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
}

impl BrandRow {
    pub fn into_domain(self) -> Result<Brand, StoreError> {
        Ok(Brand { id: self.id.into(), name: self.name, created_at: from_micros(self.created_at)? })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub id: i64,
    pub brand_id: i64,
    pub channel: String,
    pub platform_account_id: String,
    pub display_name: String,
    pub base_url: String,
    pub created_at: i64,
}

impl AccountRow {
    pub fn into_domain(self) -> Result<Account, StoreError> {
        Ok(Account {
            id: self.id.into(),
            brand_id: self.brand_id.into(),
            channel: parse("channel", &self.channel)?,
            platform_account_id: self.platform_account_id,
            display_name: self.display_name,
            base_url: self.base_url,
            created_at: from_micros(self.created_at)?,
        })
    }
}

/// The columns a [`UserRow`] reads, from `users`.
pub(crate) const USER_COLUMNS: &str = "id, email, name, role, created_at, deactivated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub created_at: i64,
    pub deactivated_at: Option<i64>,
}

impl UserRow {
    pub fn into_domain(self) -> Result<User, StoreError> {
        Ok(User {
            id: self.id.into(),
            email: self.email,
            name: self.name,
            role: parse("role", &self.role)?,
            created_at: from_micros(self.created_at)?,
            deactivated_at: opt_from_micros(self.deactivated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TeamRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
}

impl TeamRow {
    pub fn into_domain(self) -> Result<Team, StoreError> {
        Ok(Team { id: self.id.into(), name: self.name, created_at: from_micros(self.created_at)? })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PersonRow {
    pub id: i64,
    pub display_name: Option<String>,
    pub created_at: i64,
}

impl PersonRow {
    pub fn into_domain(self) -> Result<Person, StoreError> {
        Ok(Person {
            id: self.id.into(),
            display_name: self.display_name,
            created_at: from_micros(self.created_at)?,
        })
    }
}

pub(crate) const CONTACT_COLUMNS: &str = "id, channel, platform_id, handle, display_name, \
     follower_count, verified, person_id, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ContactRow {
    pub id: i64,
    pub channel: String,
    pub platform_id: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub follower_count: Option<i64>,
    pub verified: bool,
    pub person_id: Option<i64>,
    pub updated_at: i64,
}

impl ContactRow {
    pub fn into_domain(self, tags: &mut TagMap) -> Result<Contact, StoreError> {
        Ok(Contact {
            id: self.id.into(),
            channel: parse("channel", &self.channel)?,
            platform_id: platform_id(self.platform_id)?,
            handle: self.handle.map(|h| parse("handle", &h)).transpose()?,
            display_name: self.display_name,
            follower_count: self.follower_count,
            verified: self.verified,
            person_id: self.person_id.map(Into::into),
            tags: tags.remove(&self.id).unwrap_or_default(),
            updated_at: from_micros(self.updated_at)?,
        })
    }
}

pub(crate) const MESSAGE_COLUMNS: &str = "id, account_id, conversation_id, contact_id, channel, \
     platform_id, kind, direction, parent_platform_id, thread_platform_id, text, lang, raw, \
     created_at, received_at, updated_at, deleted_at";

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub id: i64,
    pub account_id: i64,
    pub conversation_id: i64,
    pub contact_id: i64,
    pub channel: String,
    pub platform_id: String,
    pub kind: String,
    pub direction: String,
    pub parent_platform_id: Option<String>,
    pub thread_platform_id: Option<String>,
    pub text: String,
    pub lang: Option<String>,
    pub raw: String,
    pub created_at: i64,
    pub received_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

impl MessageRow {
    pub fn into_domain(self) -> Result<Message, StoreError> {
        Ok(Message {
            id: self.id.into(),
            account_id: self.account_id.into(),
            conversation_id: self.conversation_id.into(),
            contact_id: self.contact_id.into(),
            channel: parse("channel", &self.channel)?,
            platform_id: platform_id(self.platform_id)?,
            kind: parse("message kind", &self.kind)?,
            direction: parse("direction", &self.direction)?,
            parent_platform_id: opt_platform_id(self.parent_platform_id)?,
            thread_platform_id: opt_platform_id(self.thread_platform_id)?,
            text: self.text,
            lang: self.lang,
            raw: serde_json::from_str(&self.raw).map_err(|err| corrupt("raw json", err))?,
            created_at: from_micros(self.created_at)?,
            received_at: from_micros(self.received_at)?,
            updated_at: from_micros(self.updated_at)?,
            deleted_at: opt_from_micros(self.deleted_at)?,
        })
    }
}

pub(crate) const CONVERSATION_COLUMNS: &str = "id, account_id, brand_id, channel, key, subject, \
     contact_id, status, priority, assignee_id, team_id, snoozed_until, message_count, \
     last_message_at, last_inbound_at, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ConversationRow {
    pub id: i64,
    pub account_id: i64,
    pub brand_id: i64,
    pub channel: String,
    pub key: String,
    pub subject: Option<String>,
    pub contact_id: Option<i64>,
    pub status: String,
    pub priority: String,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub snoozed_until: Option<i64>,
    pub message_count: i64,
    pub last_message_at: i64,
    pub last_inbound_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ConversationRow {
    pub fn into_domain(self, tags: &mut TagMap) -> Result<Conversation, StoreError> {
        Ok(Conversation {
            id: self.id.into(),
            account_id: self.account_id.into(),
            brand_id: self.brand_id.into(),
            channel: parse("channel", &self.channel)?,
            key: ConversationKey::from_stored(self.key),
            subject: self.subject,
            contact_id: self.contact_id.map(Into::into),
            status: parse("status", &self.status)?,
            priority: parse("priority", &self.priority)?,
            assignee_id: self.assignee_id.map(Into::into),
            team_id: self.team_id.map(Into::into),
            tags: tags.remove(&self.id).unwrap_or_default(),
            snoozed_until: opt_from_micros(self.snoozed_until)?,
            message_count: self.message_count,
            last_message_at: from_micros(self.last_message_at)?,
            last_inbound_at: opt_from_micros(self.last_inbound_at)?,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChangeRow {
    pub seq: i64,
    pub kind: String,
    pub entity_id: i64,
    pub conversation_id: Option<i64>,
    pub at: i64,
}

impl ChangeRow {
    pub fn into_domain(self) -> Result<Change, StoreError> {
        Ok(Change {
            seq: self.seq.into(),
            kind: parse("change kind", &self.kind)?,
            entity_id: self.entity_id,
            conversation_id: self.conversation_id.map(Into::into),
            at: from_micros(self.at)?,
        })
    }
}

/// One message joined with its conversation and author (see `sql/index_docs.sql`).
#[derive(sqlx::FromRow)]
pub(crate) struct IndexDocRow {
    pub message_id: i64,
    pub conversation_id: i64,
    pub account_id: i64,
    pub brand_id: i64,
    pub channel: String,
    pub kind: String,
    pub direction: String,
    pub text: String,
    pub lang: Option<String>,
    pub author_handle: Option<String>,
    pub author_name: Option<String>,
    pub subject: Option<String>,
    pub status: String,
    pub priority: String,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
}

impl IndexDocRow {
    /// `tags` holds the tags of every conversation of the page; they are cloned, not taken,
    /// because several messages share a conversation.
    pub fn into_domain(self, tags: &TagMap) -> Result<IndexDoc, StoreError> {
        Ok(IndexDoc {
            message_id: self.message_id.into(),
            conversation_id: self.conversation_id.into(),
            account_id: self.account_id.into(),
            brand_id: self.brand_id.into(),
            channel: parse("channel", &self.channel)?,
            kind: parse("message kind", &self.kind)?,
            direction: parse("direction", &self.direction)?,
            text: self.text,
            lang: self.lang,
            author_handle: self.author_handle,
            author_name: self.author_name,
            subject: self.subject,
            status: parse("status", &self.status)?,
            priority: parse("priority", &self.priority)?,
            assignee_id: self.assignee_id.map(Into::into),
            team_id: self.team_id.map(Into::into),
            tags: tags.get(&self.conversation_id).cloned().unwrap_or_default(),
            created_at: from_micros(self.created_at)?,
            deleted: self.deleted_at.is_some(),
        })
    }
}
