//! Private notes: words between agents on a conversation, never sent to the platform. A note is a
//! timeline entry under its author; `@name` mentions notify the people named.
//!
//! A mention names a user by the part of their email before the `@` (`@ava` for
//! ava@acme.example) or by their first name when exactly one active user has it; anything else
//! after an `@` is left as text.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use trellis_core::{ConversationId, NewNotification, NewTimelineEvent, Store, User, UserId};

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// A note as it was added.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub conversation_id: ConversationId,
    pub text: String,
    /// Who was mentioned (and notified).
    pub mentions: Vec<UserId>,
    pub by: Option<UserId>,
    pub at: DateTime<Utc>,
}

pub async fn add_note(
    store: &dyn Store,
    principal: &Principal,
    id: ConversationId,
    text: &str,
) -> ServiceResult<Note> {
    principal.require(Permission::WorkConversations)?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Err(ServiceError::invalid_parameter(
            "text",
            format!("a note has 1 to {MAX_NOTE_CHARS} characters"),
        ));
    }
    super::visible(store, principal, id).await?;
    let users = store.list_users().await?;
    let mentions = mentioned(text, &users);
    let at = Utc::now();
    store
        .record_timeline(vec![NewTimelineEvent {
            conversation_id: id,
            at,
            actor: principal.actor(),
            kind: "note".to_owned(),
            detail: json!({ "text": text, "mentions": mentions }),
        }])
        .await?;
    let author = users.iter().find(|user| principal.is(user.id)).map_or("someone", |u| &u.name);
    let excerpt: String = text.chars().take(140).collect();
    for user in mentions.iter().filter(|user| !principal.is(**user)) {
        store
            .notify(NewNotification {
                user_id: *user,
                conversation_id: Some(id),
                kind: "mention".to_owned(),
                text: format!("{author} mentioned you on conversation {id}: {excerpt}"),
                at,
            })
            .await?;
    }
    Ok(Note { conversation_id: id, text: text.to_owned(), mentions, by: principal.user_id, at })
}

/// The active users `text` mentions, each once, in order of first mention.
pub fn mentioned(text: &str, users: &[User]) -> Vec<UserId> {
    let active: Vec<&User> = users.iter().filter(|user| user.deactivated_at.is_none()).collect();
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        // An `@` inside a word (an email address) is no mention.
        if text[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric()) {
            continue;
        }
        let word: String = text[at + 1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        let word = word.trim_end_matches(['.', '-', '_']).to_lowercase();
        if word.is_empty() {
            continue;
        }
        let by_email = active.iter().find(|user| {
            user.email.split('@').next().is_some_and(|local| local.eq_ignore_ascii_case(&word))
        });
        let by_first_name = || {
            let mut named = active.iter().filter(|user| {
                user.name
                    .split_whitespace()
                    .next()
                    .is_some_and(|first| first.to_lowercase() == word)
            });
            match (named.next(), named.next()) {
                (Some(user), None) => Some(*user),
                _ => None,
            }
        };
        if let Some(user) = by_email.copied().or_else(by_first_name) {
            if !found.contains(&user.id) {
                found.push(user.id);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_core::Role;

    fn user(id: i64, email: &str, name: &str) -> User {
        User {
            id: UserId(id),
            email: email.into(),
            name: name.into(),
            role: Role::Agent,
            created_at: Utc::now(),
            deactivated_at: None,
        }
    }

    #[test]
    fn mentions_name_users_by_email_or_a_unique_first_name() {
        let users = [
            user(1, "ava@acme.example", "Ava Chen"),
            user(2, "ben.o@acme.example", "Ben Okafor"),
            user(3, "ben.k@acme.example", "Ben Kim"),
            user(4, "cleo@acme.example", "Cleo Martin"),
        ];
        assert_eq!(
            mentioned("@ava can you look? cc @Ben.O, @cleo.", &users),
            [UserId(1), UserId(2), UserId(4)]
        );
        assert_eq!(mentioned("@ben is ambiguous, @nobody is nobody", &users), []);
        assert_eq!(mentioned("write to ava@acme.example", &users), []);
        assert_eq!(mentioned("@ava @ava", &users), [UserId(1)]);
    }

    #[test]
    fn a_deactivated_user_is_not_mentioned() {
        let mut gone = user(1, "ava@acme.example", "Ava Chen");
        gone.deactivated_at = Some(Utc::now());
        assert_eq!(mentioned("@ava", &[gone]), []);
    }
}
