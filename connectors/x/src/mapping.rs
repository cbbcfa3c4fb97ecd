//! X items to normalized messages: tweets from the mentions timeline, DM events from `dm_events`.

use crate::wire::{DmEvent, Tweet, User};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;
use trellis_core::{Direction, Handle, MessageKind, NewContact, NewMessage, PlatformId};

/// The authors a page expanded (`includes.users`), by id.
pub(crate) fn users_by_id(users: &[User]) -> HashMap<&str, &User> {
    users.iter().map(|user| (user.id.as_str(), user)).collect()
}

/// A tweet from the mentions timeline. A tweet replying to another is a `reply`, the rest are
/// `mention`s; both group by `conversation_id`, the root of the reply chain.
pub(crate) fn tweet_message(
    raw: Value,
    users: &HashMap<&str, &User>,
    account_user_id: &str,
) -> Result<NewMessage, String> {
    let tweet: Tweet = serde_json::from_value(raw.clone()).map_err(|error| error.to_string())?;
    let author_id = tweet.author_id.as_deref().ok_or("tweet without author_id")?;
    let parent = tweet
        .referenced_tweets
        .iter()
        .flatten()
        .find(|reference| reference.kind == "replied_to")
        .map(|reference| platform_id(&reference.id))
        .transpose()?;
    Ok(NewMessage {
        platform_id: platform_id(&tweet.id)?,
        kind: if parent.is_some() { MessageKind::Reply } else { MessageKind::Mention },
        direction: direction(author_id, account_user_id),
        author: contact(author_id, users)?,
        parent_platform_id: parent,
        thread_platform_id: tweet.conversation_id.as_deref().map(platform_id).transpose()?,
        thread_title: None,
        text: tweet.text,
        lang: tweet.lang.filter(|lang| !lang.is_empty() && lang != "und"),
        raw,
        created_at: time(tweet.created_at.as_deref())?,
        deleted_at: None,
    })
}

/// A `MessageCreate` DM event; other event types (participants joining or leaving) are no messages
/// and come back as `Ok(None)`.
pub(crate) fn dm_message(
    raw: Value,
    users: &HashMap<&str, &User>,
    account_user_id: &str,
) -> Result<Option<NewMessage>, String> {
    let event: DmEvent = serde_json::from_value(raw.clone()).map_err(|error| error.to_string())?;
    if event.event_type != "MessageCreate" {
        return Ok(None);
    }
    let sender_id = event.sender_id.as_deref().ok_or("dm event without sender_id")?;
    Ok(Some(NewMessage {
        platform_id: platform_id(&event.id)?,
        kind: MessageKind::DirectMessage,
        direction: direction(sender_id, account_user_id),
        author: contact(sender_id, users)?,
        parent_platform_id: None,
        thread_platform_id: event.dm_conversation_id.as_deref().map(platform_id).transpose()?,
        thread_title: None,
        text: event.text.unwrap_or_default(),
        lang: None,
        raw,
        created_at: time(event.created_at.as_deref())?,
        deleted_at: None,
    }))
}

fn direction(author_id: &str, account_user_id: &str) -> Direction {
    if author_id == account_user_id {
        Direction::Outbound
    } else {
        Direction::Inbound
    }
}

/// The author as the page's expansion describes them; an author missing from `includes` (suspended,
/// or the expansion failed partially) is still a contact, known by id only.
fn contact(author_id: &str, users: &HashMap<&str, &User>) -> Result<NewContact, String> {
    let user = users.get(author_id);
    Ok(NewContact {
        platform_id: platform_id(author_id)?,
        handle: user.and_then(|user| Handle::parse(&user.username).ok()),
        display_name: user.map(|user| user.name.clone()).filter(|name| !name.is_empty()),
        follower_count: user.and_then(|user| user.public_metrics).map(|m| m.followers_count),
        verified: user.and_then(|user| user.verified).unwrap_or(false),
    })
}

fn platform_id(value: &str) -> Result<PlatformId, String> {
    PlatformId::parse(value).map_err(|error| error.to_string())
}

fn time(value: Option<&str>) -> Result<DateTime<Utc>, String> {
    let value = value.ok_or("item without created_at")?;
    DateTime::parse_from_rfc3339(value)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| format!("created_at {value:?}: {error}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::wire::UserMetrics;
    use serde_json::json;

    fn author() -> User {
        User {
            id: "7".into(),
            name: "Ana Souza".into(),
            username: "ana_s".into(),
            verified: Some(true),
            public_metrics: Some(UserMetrics {
                followers_count: 1234,
                following_count: 1,
                tweet_count: 2,
                listed_count: 0,
            }),
            profile_image_url: None,
        }
    }

    #[test]
    fn a_reply_in_a_thread_keeps_its_parent_root_and_author() {
        let user = author();
        let users = users_by_id(std::slice::from_ref(&user));
        let raw = json!({
            "id": "300", "text": "@acme still broken 😤", "author_id": "7",
            "created_at": "2024-05-01T12:00:00.000Z", "conversation_id": "100",
            "referenced_tweets": [{"type": "quoted", "id": "5"}, {"type": "replied_to", "id": "200"}],
            "lang": "en", "edit_history_tweet_ids": ["300"]
        });
        let message = tweet_message(raw.clone(), &users, "1").unwrap();
        assert_eq!(message.kind, MessageKind::Reply);
        assert_eq!(message.parent_platform_id.unwrap().as_str(), "200");
        assert_eq!(message.thread_platform_id.unwrap().as_str(), "100");
        assert_eq!(message.author.handle.unwrap().as_str(), "ana_s");
        assert_eq!(message.author.follower_count, Some(1234));
        assert!(message.author.verified);
        assert_eq!(message.direction, Direction::Inbound);
        assert_eq!(message.raw, raw, "the platform's json is kept verbatim");
    }

    #[test]
    fn a_tweet_without_reference_is_a_mention_and_undetermined_language_is_dropped() {
        let raw = json!({"id": "9", "text": "hi @acme", "author_id": "8",
            "created_at": "2024-05-01T12:00:00.000Z", "conversation_id": "9", "lang": "und"});
        let message = tweet_message(raw, &HashMap::new(), "1").unwrap();
        assert_eq!(message.kind, MessageKind::Mention);
        assert_eq!(message.lang, None);
        assert_eq!(message.author.handle, None, "an author missing from includes is known by id");
    }

    #[test]
    fn a_dm_sent_by_the_account_is_outbound_and_other_events_are_skipped() {
        let raw = json!({"id": "50", "event_type": "MessageCreate", "text": "hello", "sender_id": "1",
            "dm_conversation_id": "1-7", "created_at": "2024-05-01T12:00:00.000Z"});
        let message = dm_message(raw, &HashMap::new(), "1").unwrap().unwrap();
        assert_eq!(message.direction, Direction::Outbound);
        assert_eq!(message.kind, MessageKind::DirectMessage);
        assert_eq!(message.thread_platform_id.unwrap().as_str(), "1-7");
        let join = json!({"id": "51", "event_type": "ParticipantsJoin", "sender_id": "7"});
        assert_eq!(dm_message(join, &HashMap::new(), "1").unwrap(), None);
    }
}
