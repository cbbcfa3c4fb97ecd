//! The pure part of ingest: deduplicating a batch and working out what each conversation becomes.
//! No IO here, so the rules are unit-tested in microseconds; the SQL around it lives in
//! `ops/ingest.rs`.

use crate::error::corrupt;
use crate::hash::{contact_hash, message_hash};
use std::collections::HashMap;
use trellis_core::{
    ConversationKey, ConversationStatus, CursorUpdate, Direction, IngestBatch, NewContact,
    NewMessage, StoreError,
};

/// A message of the batch, ready to bind.
pub(crate) struct PreparedMessage<'a> {
    pub message: &'a NewMessage,
    pub raw_json: String,
    pub content_hash: i64,
    pub key: ConversationKey,
}

/// A contact of the batch with the time its description was seen, so an older description never
/// overwrites a newer one.
pub(crate) struct PreparedContact<'a> {
    pub contact: &'a NewContact,
    pub described_at: i64,
    pub description_hash: i64,
}

pub(crate) struct Prepared<'a> {
    /// One per platform id, in first-seen order; a repeated id keeps its last content.
    pub messages: Vec<PreparedMessage<'a>>,
    /// One per author platform id, carrying the newest description.
    pub contacts: Vec<PreparedContact<'a>>,
    /// One per stream, the last value given.
    pub cursors: Vec<&'a CursorUpdate>,
    /// Repeats of a platform id within the batch whose content differs from the version they
    /// replace: an edit delivered in the same batch as its original counts as an update.
    pub edits_within_batch: u64,
}

/// PostgreSQL text cannot hold U+0000, and no platform means one in a message: rather than fail a
/// whole batch (and lose the messages beside it), NULs in free text become U+FFFD on both backends,
/// so both store the same content. Ids and handles are validated types that refuse control
/// characters already; the raw JSON is serialized with `\u0000` escapes and is unaffected.
pub(crate) fn replace_nul_characters(batch: &mut IngestBatch) {
    fn clean(text: &mut String) {
        if text.contains('\0') {
            *text = text.replace('\0', "\u{FFFD}");
        }
    }
    for message in &mut batch.messages {
        clean(&mut message.text);
        [&mut message.thread_title, &mut message.lang, &mut message.author.display_name]
            .into_iter()
            .flatten()
            .for_each(clean);
    }
}

pub(crate) fn prepare(batch: &IngestBatch) -> Result<Prepared<'_>, StoreError> {
    let mut messages: Vec<PreparedMessage<'_>> = Vec::with_capacity(batch.messages.len());
    let mut message_slot: HashMap<&str, usize> = HashMap::with_capacity(batch.messages.len());
    let mut contacts: Vec<PreparedContact<'_>> = Vec::new();
    let mut contact_slot: HashMap<&str, usize> = HashMap::new();
    let mut edits_within_batch = 0;
    for message in &batch.messages {
        let raw_json =
            serde_json::to_string(&message.raw).map_err(|err| corrupt("raw json", err))?;
        let prepared = PreparedMessage {
            content_hash: message_hash(message, &raw_json),
            key: ConversationKey::for_message(message),
            raw_json,
            message,
        };
        match message_slot.get(message.platform_id.as_str()) {
            Some(&slot) => {
                if messages[slot].content_hash != prepared.content_hash {
                    edits_within_batch += 1;
                }
                messages[slot] = prepared;
            }
            None => {
                message_slot.insert(message.platform_id.as_str(), messages.len());
                messages.push(prepared);
            }
        }

        let described_at = message.created_at.timestamp_micros();
        let contact = PreparedContact {
            contact: &message.author,
            described_at,
            description_hash: contact_hash(&message.author),
        };
        match contact_slot.get(message.author.platform_id.as_str()) {
            Some(&slot) if contacts[slot].described_at <= described_at => contacts[slot] = contact,
            Some(_) => {}
            None => {
                contact_slot.insert(message.author.platform_id.as_str(), contacts.len());
                contacts.push(contact);
            }
        }
    }
    let mut cursors: Vec<&CursorUpdate> = Vec::new();
    for cursor in &batch.cursors {
        match cursors.iter_mut().find(|c| c.stream == cursor.stream) {
            Some(slot) => *slot = cursor,
            None => cursors.push(cursor),
        }
    }
    Ok(Prepared { messages, contacts, cursors, edits_within_batch })
}

/// The columns of a conversation that ingest maintains.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ConversationState {
    pub id: i64,
    pub key: String,
    pub subject: Option<String>,
    pub contact_id: Option<i64>,
    pub status: String,
    pub snoozed_until: Option<i64>,
    pub message_count: i64,
    pub last_message_at: i64,
    pub last_inbound_at: Option<i64>,
}

impl ConversationState {
    /// Whether the conversation's own fields differ, as opposed to the counters and times that
    /// every new message moves. Only such a difference is a `conversation_updated` change: a new
    /// message is already announced by its `message_created` change, and followers that project
    /// conversation fields into every message (the search index) must not rewrite a whole thread
    /// for each reply.
    pub fn differs_beyond_counters(&self, other: &ConversationState) -> bool {
        self.status != other.status
            || self.snoozed_until != other.snoozed_until
            || self.subject != other.subject
            || self.contact_id != other.contact_id
    }
}

/// What a batch adds to one conversation.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Delta {
    pub added: i64,
    pub last_message_at: Option<i64>,
    pub last_inbound_at: Option<i64>,
    /// `(created_at, contact id)` of the earliest new inbound message.
    pub first_inbound: Option<(i64, i64)>,
    /// `(created_at, title)` of the newest message carrying a thread title.
    pub subject: Option<(i64, String)>,
}

impl Delta {
    /// Counts a message stored for the first time.
    pub fn add_new(&mut self, created_at: i64, direction: Direction, contact_id: i64) {
        self.added += 1;
        self.last_message_at = Some(self.last_message_at.map_or(created_at, |t| t.max(created_at)));
        if direction == Direction::Inbound {
            self.last_inbound_at =
                Some(self.last_inbound_at.map_or(created_at, |t| t.max(created_at)));
            if self.first_inbound.is_none_or(|(at, _)| created_at < at) {
                self.first_inbound = Some((created_at, contact_id));
            }
        }
    }

    /// Notes a platform title (a Discourse topic title) given by a new or edited message.
    pub fn add_title(&mut self, created_at: i64, title: Option<&str>) {
        if let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) {
            if self.subject.as_ref().is_none_or(|(at, _)| created_at >= *at) {
                self.subject = Some((created_at, title.to_owned()));
            }
        }
    }

    /// The conversation after this delta. A new inbound message reopens a pending, snoozed or
    /// resolved conversation, because the customer is waiting on the team again (pending means
    /// "waiting on the customer", and the customer just answered).
    pub fn apply(&self, before: &ConversationState) -> ConversationState {
        let mut after = before.clone();
        after.message_count += self.added;
        if let Some(at) = self.last_message_at {
            after.last_message_at = after.last_message_at.max(at);
        }
        if let Some(at) = self.last_inbound_at {
            after.last_inbound_at = Some(after.last_inbound_at.map_or(at, |t| t.max(at)));
            let status: Option<ConversationStatus> = before.status.parse().ok();
            if status != Some(ConversationStatus::Open) {
                after.status = ConversationStatus::Open.as_str().to_owned();
                after.snoozed_until = None;
            }
        }
        if after.contact_id.is_none() {
            after.contact_id = self.first_inbound.map(|(_, contact)| contact);
        }
        if let Some((_, subject)) = &self.subject {
            after.subject = Some(subject.clone());
        }
        after
    }

    /// A conversation created by this delta (its first messages).
    pub fn initial(&self, key: &str) -> ConversationState {
        let empty = ConversationState {
            id: 0,
            key: key.to_owned(),
            subject: None,
            contact_id: None,
            status: ConversationStatus::Open.as_str().to_owned(),
            snoozed_until: None,
            message_count: 0,
            last_message_at: self.last_message_at.unwrap_or_default(),
            last_inbound_at: None,
        };
        self.apply(&empty)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use trellis_core::{AccountId, MessageKind, PlatformId};

    fn message(id: &str, author: &str, name: &str, at: i64) -> NewMessage {
        NewMessage {
            platform_id: PlatformId::parse(id).unwrap(),
            kind: MessageKind::Mention,
            direction: Direction::Inbound,
            author: NewContact {
                platform_id: PlatformId::parse(author).unwrap(),
                handle: None,
                display_name: Some(name.into()),
                follower_count: None,
                verified: false,
            },
            parent_platform_id: None,
            thread_platform_id: Some(PlatformId::parse("root").unwrap()),
            thread_title: None,
            text: format!("text of {id}"),
            lang: None,
            raw: serde_json::Value::Null,
            created_at: DateTime::from_timestamp(at, 0).unwrap(),
            deleted_at: None,
        }
    }

    fn state(status: ConversationStatus) -> ConversationState {
        ConversationState {
            id: 7,
            key: "thread:root".into(),
            subject: None,
            contact_id: None,
            status: status.as_str().into(),
            snoozed_until: Some(99),
            message_count: 3,
            last_message_at: 100,
            last_inbound_at: Some(100),
        }
    }

    #[test]
    fn a_repeated_message_keeps_its_last_content_and_first_position() {
        let mut edited = message("m1", "a", "A", 10);
        edited.text = "edited".into();
        let batch = IngestBatch {
            account_id: AccountId(1),
            messages: vec![message("m1", "a", "A", 10), message("m2", "a", "A", 11), edited],
            cursors: vec![],
        };
        let prepared = prepare(&batch).unwrap();
        let ids: Vec<_> =
            prepared.messages.iter().map(|m| m.message.platform_id.as_str()).collect();
        assert_eq!(ids, ["m1", "m2"]);
        assert_eq!(prepared.messages[0].message.text, "edited");
    }

    #[test]
    fn the_newest_description_of_an_author_wins_regardless_of_batch_order() {
        let batch = IngestBatch {
            account_id: AccountId(1),
            messages: vec![message("m2", "a", "New", 20), message("m1", "a", "Old", 10)],
            cursors: vec![],
        };
        let prepared = prepare(&batch).unwrap();
        assert_eq!(prepared.contacts.len(), 1);
        assert_eq!(prepared.contacts[0].contact.display_name.as_deref(), Some("New"));
    }

    #[test]
    fn the_last_value_of_a_stream_cursor_is_kept() {
        let cursor = |value: &str| CursorUpdate { stream: "mentions".into(), value: value.into() };
        let batch = IngestBatch {
            account_id: AccountId(1),
            messages: vec![],
            cursors: vec![cursor("1"), cursor("2")],
        };
        let prepared = prepare(&batch).unwrap();
        assert_eq!(prepared.cursors.len(), 1);
        assert_eq!(prepared.cursors[0].value, "2");
    }

    #[test]
    fn a_new_inbound_message_reopens_a_resolved_conversation() {
        let mut delta = Delta::default();
        delta.add_new(200, Direction::Inbound, 5);
        let after = delta.apply(&state(ConversationStatus::Resolved));
        assert_eq!(after.status, "open");
        assert_eq!(after.snoozed_until, None);
        assert_eq!(after.message_count, 4);
        assert_eq!(after.last_inbound_at, Some(200));
        assert_eq!(after.contact_id, Some(5));
    }

    #[test]
    fn an_outbound_message_leaves_a_resolved_conversation_resolved() {
        let mut delta = Delta::default();
        delta.add_new(200, Direction::Outbound, 5);
        let after = delta.apply(&state(ConversationStatus::Resolved));
        assert_eq!(after.status, "resolved");
        assert_eq!(after.last_message_at, 200);
        assert_eq!(after.last_inbound_at, Some(100));
        assert_eq!(after.contact_id, None);
    }

    #[test]
    fn a_customer_answer_reopens_a_pending_conversation() {
        let mut delta = Delta::default();
        delta.add_new(200, Direction::Inbound, 5);
        assert_eq!(delta.apply(&state(ConversationStatus::Pending)).status, "open");
    }

    #[test]
    fn the_earliest_inbound_author_becomes_the_contact() {
        let mut delta = Delta::default();
        delta.add_new(300, Direction::Inbound, 8);
        delta.add_new(100, Direction::Inbound, 9);
        delta.add_new(50, Direction::Outbound, 1);
        let created = delta.initial("thread:x");
        assert_eq!(created.contact_id, Some(9));
        assert_eq!(created.last_message_at, 300);
        assert_eq!(created.message_count, 3);
    }

    #[test]
    fn a_late_old_message_does_not_move_last_message_at_back() {
        let mut delta = Delta::default();
        delta.add_new(50, Direction::Outbound, 1);
        assert_eq!(delta.apply(&state(ConversationStatus::Open)).last_message_at, 100);
    }

    #[test]
    fn the_newest_title_becomes_the_subject_and_blank_titles_are_ignored() {
        let mut delta = Delta::default();
        delta.add_title(10, Some("Old title"));
        delta.add_title(20, Some("New title"));
        delta.add_title(30, Some("  "));
        assert_eq!(
            delta.apply(&state(ConversationStatus::Open)).subject.as_deref(),
            Some("New title")
        );
    }
}
