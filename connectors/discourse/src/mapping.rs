//! Discourse posts into trellis messages and contacts.
//!
//! Decisions, also in docs/connectors-discourse.md:
//! - moderator actions (`post_type` 2) and small actions (3) are forum bookkeeping, not
//!   conversation, and are skipped;
//! - whispers (4) are staff-only notes that the community never sees; trellis has its own internal
//!   notes, so they are skipped too rather than shown as if they were part of the public thread;
//! - the author's trust level (0–4) goes in `follower_count`, as core documents;
//! - a contact's platform id is the username: it is what Discourse addresses people by
//!   (`target_recipients`, mentions), so a direct message can be sent to a contact as stored.

use crate::html;
use crate::wire::{Post, POST_TYPE_REGULAR};
use trellis_core::{Direction, Handle, MessageKind, NewContact, NewMessage, PlatformId};

/// Why a post did not become a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("unreadable post: {0}")]
    Unreadable(String),
    #[error("post {id} has an invalid {what}: {reason}")]
    Invalid { id: u64, what: &'static str, reason: String },
}

/// What the topic of a post says, when the post does not carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicContext {
    pub title: Option<String>,
    pub category_id: Option<u64>,
}

/// Parses a post's JSON; `Ok(None)` for post types that are not conversation.
pub fn read_post(raw: &serde_json::Value) -> Result<Option<Post>, MappingError> {
    let post = Post::deserialize_value(raw)?;
    Ok((post.post_type == POST_TYPE_REGULAR).then_some(post))
}

impl Post {
    fn deserialize_value(raw: &serde_json::Value) -> Result<Self, MappingError> {
        serde::Deserialize::deserialize(raw)
            .map_err(|error: serde_json::Error| MappingError::Unreadable(error.to_string()))
    }

    /// The post's text: the markdown source when given, else the rendered HTML as plain text.
    pub fn text(&self) -> String {
        match (&self.raw, &self.cooked) {
            (Some(raw), _) => raw.clone(),
            (None, Some(cooked)) => html::to_text(cooked),
            (None, None) => String::new(),
        }
    }
}

/// The author of a post as a contact.
pub fn author(post: &Post) -> Result<NewContact, MappingError> {
    let invalid = |what, reason: String| MappingError::Invalid { id: post.id, what, reason };
    Ok(NewContact {
        platform_id: PlatformId::parse(&post.username)
            .map_err(|error| invalid("username", error.to_string()))?,
        handle: Handle::parse(&post.username).ok(),
        display_name: post.name.clone().filter(|name| !name.trim().is_empty()),
        follower_count: post.trust_level,
        verified: false,
    })
}

/// One post as a message of `kind` (`forum_post` or `direct_message`), threaded by its topic.
/// `raw` is the platform's JSON, kept verbatim with the topic's title and category added when the
/// post did not carry them. The parent is left for [`link_parents`], which sees the whole poll.
pub fn post_message(
    post: &Post,
    raw: serde_json::Value,
    kind: MessageKind,
    account_username: &str,
    topic: &TopicContext,
) -> Result<NewMessage, MappingError> {
    let invalid = |what, reason: String| MappingError::Invalid { id: post.id, what, reason };
    let platform_id = PlatformId::parse(&post.id.to_string())
        .map_err(|error| invalid("id", error.to_string()))?;
    let thread = PlatformId::parse(&post.topic_id.to_string())
        .map_err(|error| invalid("topic id", error.to_string()))?;
    let direction = if post.username.eq_ignore_ascii_case(account_username) {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    let mut raw = raw;
    if let Some(object) = raw.as_object_mut() {
        if post.topic_title.is_none() {
            if let Some(title) = &topic.title {
                object.insert("topic_title".into(), title.clone().into());
            }
        }
        if post.category_id.is_none() {
            if let Some(category) = topic.category_id {
                object.insert("category_id".into(), category.into());
            }
        }
    }
    Ok(NewMessage {
        platform_id,
        kind,
        direction,
        author: author(post)?,
        parent_platform_id: None,
        thread_platform_id: Some(thread),
        thread_title: post.topic_title.clone().or_else(|| topic.title.clone()),
        text: post.text(),
        lang: None,
        raw,
        created_at: post.created_at,
        deleted_at: post.deleted_at,
    })
}

/// Sets each message's parent from its `reply_to_post_number`, when the answered post's id is
/// known (`known` maps `(topic id, post number)` to a post id). An unknown parent stays `None`; the
/// number itself is still in `raw`.
pub fn link_parents(
    messages: &mut [NewMessage],
    known: &std::collections::HashMap<(u64, u32), u64>,
) {
    for message in messages {
        let number = message.raw.get("reply_to_post_number").and_then(serde_json::Value::as_u64);
        let topic = message.raw.get("topic_id").and_then(serde_json::Value::as_u64);
        let (Some(number), Some(topic)) = (number, topic) else { continue };
        let parent = u32::try_from(number).ok().and_then(|number| known.get(&(topic, number)));
        message.parent_platform_id = parent.and_then(|id| PlatformId::parse(&id.to_string()).ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn sample() -> serde_json::Value {
        json!({
            "id": 1042, "topic_id": 77, "post_number": 3, "username": "marie_c", "name": "Marie Curie",
            "cooked": "<p>Le <strong>radium</strong> brille &amp; chauffe</p>",
            "created_at": "2018-05-24T21:16:02.287Z", "updated_at": "2018-05-24T21:16:02.287Z",
            "reply_to_post_number": 1, "post_type": 1, "user_id": 19, "hidden": true,
            "deleted_at": null, "topic_slug": "radium", "trust_level": 2,
            "avatar_template": "/user_avatar/forum/marie_c/{size}/3_2.png"
        })
    }

    #[test]
    fn a_post_without_raw_gets_its_cooked_html_as_text_and_the_topic_title() {
        let raw = sample();
        let post = read_post(&raw).unwrap().unwrap();
        let topic = TopicContext { title: Some("Radium questions".into()), category_id: Some(5) };
        let message = post_message(&post, raw, MessageKind::ForumPost, "acme", &topic).unwrap();
        assert_eq!(message.text, "Le radium brille & chauffe");
        assert_eq!(message.thread_platform_id.unwrap().as_str(), "77");
        assert_eq!(message.thread_title.as_deref(), Some("Radium questions"));
        assert_eq!(message.raw["category_id"], 5);
        assert_eq!(message.raw["hidden"], true);
        assert_eq!(message.author.follower_count, Some(2));
        assert_eq!(message.author.display_name.as_deref(), Some("Marie Curie"));
        assert_eq!(message.direction, Direction::Inbound);
        assert_eq!(message.created_at.timestamp_millis(), 1_527_196_562_287);
    }

    #[test]
    fn the_accounts_own_posts_are_outbound_whatever_the_case() {
        let mut raw = sample();
        raw["username"] = "Acme".into();
        raw["raw"] = "**markdown** wins".into();
        let post = read_post(&raw).unwrap().unwrap();
        let message =
            post_message(&post, raw, MessageKind::DirectMessage, "acme", &TopicContext::default())
                .unwrap();
        assert_eq!(message.direction, Direction::Outbound);
        assert_eq!(message.text, "**markdown** wins");
    }

    #[test]
    fn actions_and_whispers_are_skipped() {
        for post_type in [2, 3, 4] {
            let mut raw = sample();
            raw["post_type"] = post_type.into();
            assert_eq!(read_post(&raw).unwrap(), None, "post_type {post_type}");
        }
    }

    #[test]
    fn a_known_parent_is_linked_and_an_unknown_one_stays_in_raw() {
        let raw = sample();
        let post = read_post(&raw).unwrap().unwrap();
        let message =
            post_message(&post, raw, MessageKind::ForumPost, "acme", &TopicContext::default())
                .unwrap();
        let mut messages = vec![message.clone()];
        link_parents(&mut messages, &HashMap::from([((77, 1), 1000)]));
        assert_eq!(messages[0].parent_platform_id.as_ref().unwrap().as_str(), "1000");
        let mut messages = vec![message];
        link_parents(&mut messages, &HashMap::new());
        assert_eq!(messages[0].parent_platform_id, None);
        assert_eq!(messages[0].raw["reply_to_post_number"], 1);
    }
}
