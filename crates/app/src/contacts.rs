//! Contacts as agents look them up: one contact with its person and the person's other contacts,
//! their cross-channel history (conversations and messages of every contact of the person), and
//! contacts found by the beginning of a handle or name. Everyone reads them.
//!
//! The history's conversations go through the conversation list ([`list_conversations`]), so
//! they are filtered, scoped to the caller's brands and paged exactly as the inbox's list is.
//! Messages are read with the caller's brands too.

use crate::access::{Permission, Principal};
use crate::conversations::{list_conversations, ConversationList, ConversationQuery};
use crate::error::{ServiceError, ServiceResult};
use serde::{Deserialize, Serialize};
use trellis_core::store::{ContactMessagesFilter, ContactSearch, MessageCursor};
use trellis_core::{Channel, Contact, ContactId, Message, Person, Store};

/// The longest prefix a contact search takes: a handle has at most 100 characters.
const MAX_PREFIX_CHARS: usize = 100;

/// One contact as its profile shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactProfile {
    #[serde(flatten)]
    pub contact: Contact,
    /// The person this contact is linked to, if any.
    pub person: Option<Person>,
    /// The person's other contacts, on every channel; empty when not linked.
    pub other_contacts: Vec<Contact>,
}

/// A page of a contact's history, as the query string says it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HistoryQuery {
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// One page of messages, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct MessageList {
    pub items: Vec<Message>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next: Option<String>,
}

/// A contact search, as the query string says it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactQuery {
    /// The beginning of a handle (an `@` in front is ignored) or of a display name, any case.
    pub q: Option<String>,
    pub channel: Option<Channel>,
    pub limit: Option<u32>,
}

impl ContactQuery {
    /// The store search this query means.
    pub fn to_search(&self) -> ServiceResult<ContactSearch> {
        let text = self.q.as_deref().unwrap_or_default().trim();
        let prefix = text.strip_prefix('@').unwrap_or(text);
        if prefix.is_empty() || prefix.chars().count() > MAX_PREFIX_CHARS {
            return Err(ServiceError::invalid_parameter(
                "q",
                format!(
                    "q must be the beginning of a handle or name, 1 to {MAX_PREFIX_CHARS} characters"
                ),
            ));
        }
        let limit = self.limit.unwrap_or(ContactSearch::DEFAULT_LIMIT);
        if limit == 0 || limit > ContactSearch::MAX_LIMIT {
            return Err(ServiceError::invalid_parameter(
                "limit",
                format!("limit must be between 1 and {}", ContactSearch::MAX_LIMIT),
            ));
        }
        Ok(ContactSearch { prefix: prefix.to_owned(), channel: self.channel, limit })
    }
}

/// Contacts whose handle or name begins with `query.q`: handle matches first.
pub async fn find(
    store: &dyn Store,
    principal: &Principal,
    query: &ContactQuery,
) -> ServiceResult<Vec<Contact>> {
    principal.require(Permission::ReadInbox)?;
    Ok(store.find_contacts(&query.to_search()?).await?)
}

/// Contact `id` with its person and the person's other contacts.
pub async fn profile(
    store: &dyn Store,
    principal: &Principal,
    id: ContactId,
) -> ServiceResult<ContactProfile> {
    principal.require(Permission::ReadInbox)?;
    let contact = store.get_contact(id).await?;
    let (person, other_contacts) = match contact.person_id {
        None => (None, Vec::new()),
        Some(person) => {
            let others = store.person_contacts(person).await?;
            let others = others.into_iter().filter(|other| other.id != id).collect();
            (Some(store.get_person(person).await?), others)
        }
    };
    Ok(ContactProfile { contact, person, other_contacts })
}

/// The conversations started by contact `id` or by any contact of its person, newest activity
/// first, through the conversation list.
pub async fn conversations(
    store: &dyn Store,
    principal: &Principal,
    id: ContactId,
    query: &HistoryQuery,
) -> ServiceResult<ConversationList> {
    principal.require(Permission::ReadInbox)?;
    let contacts = history_contacts(store, id).await?;
    let list = ConversationQuery {
        contacts,
        limit: query.limit,
        after: query.after.clone(),
        ..ConversationQuery::default()
    };
    list_conversations(store, principal, &list).await
}

/// The messages written by contact `id` or by any contact of its person, newest first, in the
/// caller's brands.
pub async fn messages(
    store: &dyn Store,
    principal: &Principal,
    id: ContactId,
    query: &HistoryQuery,
) -> ServiceResult<MessageList> {
    principal.require(Permission::ReadInbox)?;
    let limit = query.limit.unwrap_or(ContactMessagesFilter::DEFAULT_LIMIT);
    if limit == 0 || limit > ContactMessagesFilter::MAX_LIMIT {
        return Err(ServiceError::invalid_parameter(
            "limit",
            format!("limit must be between 1 and {}", ContactMessagesFilter::MAX_LIMIT),
        ));
    }
    let after = query.after.as_deref().map(MessageCursor::decode).transpose().map_err(|_| {
        ServiceError::invalid_parameter("after", "after is not a cursor this API returned")
    })?;
    let contacts = history_contacts(store, id).await?;
    let Some(brands) = principal.brands.narrow(&[]) else {
        return Ok(MessageList { items: Vec::new(), next: None });
    };
    let filter = ContactMessagesFilter { contacts, brands, limit, after };
    let page = store.contact_messages(&filter).await?;
    Ok(MessageList { items: page.items, next: page.next.map(|cursor| cursor.encode()) })
}

/// Contact `id` and every other contact of its person: whose history it is. An unknown contact
/// is not found.
async fn history_contacts(store: &dyn Store, id: ContactId) -> ServiceResult<Vec<ContactId>> {
    let contact = store.get_contact(id).await?;
    let Some(person) = contact.person_id else {
        return Ok(vec![id]);
    };
    let mut contacts: Vec<ContactId> =
        store.person_contacts(person).await?.into_iter().map(|other| other.id).collect();
    // Linked concurrently elsewhere: the contact asked for is in its history whatever happened.
    if !contacts.contains(&id) {
        contacts.push(id);
    }
    Ok(contacts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: Option<&str>, limit: Option<u32>) -> ContactQuery {
        ContactQuery { q: q.map(str::to_owned), channel: None, limit }
    }

    #[test]
    fn a_search_drops_the_at_sign_and_keeps_the_case_for_the_store_to_fold() {
        let search = query(Some(" @DanaW "), None).to_search().unwrap();
        assert_eq!(search.prefix, "DanaW");
        assert_eq!(search.limit, ContactSearch::DEFAULT_LIMIT);
    }

    #[test]
    fn a_missing_blank_or_overlong_q_and_a_bad_limit_are_refused_by_name() {
        let field = |query: ContactQuery| match query.to_search().unwrap_err() {
            ServiceError::InvalidParameter { field, .. } => field,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        assert_eq!(field(query(None, None)), "q");
        assert_eq!(field(query(Some(" @ "), None)), "q");
        assert_eq!(field(query(Some(&"a".repeat(101)), None)), "q");
        assert_eq!(field(query(Some("dana"), Some(0))), "limit");
        assert_eq!(field(query(Some("dana"), Some(ContactSearch::MAX_LIMIT + 1))), "limit");
    }
}
