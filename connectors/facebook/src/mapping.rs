//! Graph items to normalized messages: feed posts, comments and Messenger messages.

use crate::wire::{parse_time, Actor, Comment, MessengerMessage, Post};
use chrono::{DateTime, Utc};
use serde_json::Value;
use trellis_core::{Direction, MessageKind, NewContact, NewMessage, PlatformId};

/// A feed post. A visitor's post is inbound; the Page's own post is outbound (its comments are
/// still inbound). A post is its own thread.
pub(crate) fn post_message(raw: Value, page_id: &str) -> Result<NewMessage, String> {
    let post: Post = serde_json::from_value(raw.clone()).map_err(|error| error.to_string())?;
    let id = platform_id(&post.id)?;
    // Without a Page token `from` is withheld; the post is then attributed to the Page it is on.
    let from =
        post.from.unwrap_or_else(|| Actor { id: page_id.to_owned(), name: None, email: None });
    Ok(NewMessage {
        platform_id: id.clone(),
        kind: MessageKind::Post,
        direction: direction(&from.id, page_id),
        author: contact(&from)?,
        parent_platform_id: None,
        thread_platform_id: Some(id),
        thread_title: None,
        text: post.message.unwrap_or_default(),
        lang: None,
        raw,
        created_at: time(&post.created_time)?,
        deleted_at: None,
    })
}

/// A comment under `post_id`; a reply to a comment names that comment as its parent, a top-level
/// comment the post. The Page's own comments are outbound.
pub(crate) fn comment_message(
    raw: Value,
    post_id: &str,
    page_id: &str,
) -> Result<NewMessage, String> {
    let comment: Comment =
        serde_json::from_value(raw.clone()).map_err(|error| error.to_string())?;
    let from = comment.from.ok_or("comment without from (not a page token?)")?;
    let parent = comment.parent.map_or_else(|| post_id.to_owned(), |parent| parent.id);
    Ok(NewMessage {
        platform_id: platform_id(&comment.id)?,
        kind: MessageKind::Comment,
        direction: direction(&from.id, page_id),
        author: contact(&from)?,
        parent_platform_id: Some(platform_id(&parent)?),
        thread_platform_id: Some(platform_id(post_id)?),
        thread_title: None,
        text: comment.message,
        lang: None,
        raw,
        created_at: time(&comment.created_time)?,
        deleted_at: None,
    })
}

/// A Messenger message in `conversation_id`; outbound when the Page sent it.
pub(crate) fn dm_message(
    raw: Value,
    conversation_id: &str,
    page_id: &str,
) -> Result<NewMessage, String> {
    let message: MessengerMessage =
        serde_json::from_value(raw.clone()).map_err(|error| error.to_string())?;
    Ok(NewMessage {
        platform_id: platform_id(&message.id)?,
        kind: MessageKind::DirectMessage,
        direction: direction(&message.from.id, page_id),
        author: contact(&message.from)?,
        parent_platform_id: None,
        thread_platform_id: Some(platform_id(conversation_id)?),
        thread_title: None,
        text: message.message,
        lang: None,
        raw,
        created_at: time(&message.created_time)?,
        deleted_at: None,
    })
}

/// A person or Page. Facebook has no public handles and states no follower counts for people.
pub(crate) fn contact(actor: &Actor) -> Result<NewContact, String> {
    Ok(NewContact {
        platform_id: platform_id(&actor.id)?,
        handle: None,
        display_name: actor.name.clone().filter(|name| !name.is_empty()),
        follower_count: None,
        verified: false,
    })
}

pub(crate) fn direction(author_id: &str, page_id: &str) -> Direction {
    if author_id == page_id {
        Direction::Outbound
    } else {
        Direction::Inbound
    }
}

pub(crate) fn platform_id(id: &str) -> Result<PlatformId, String> {
    PlatformId::parse(id).map_err(|error| format!("{error}: {id:?}"))
}

pub(crate) fn time(value: &str) -> Result<DateTime<Utc>, String> {
    parse_time(value).ok_or_else(|| format!("unreadable time {value:?}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;
    use trellis_core::ConversationKey;

    const PAGE: &str = "104";

    #[test]
    fn a_visitor_post_is_inbound_and_the_pages_own_post_outbound() {
        let visitor = json!({"id":"104_1","message":"hi","created_time":"2021-07-23T09:50:48+0000","from":{"id":"9","name":"Ana"}});
        let message = post_message(visitor, PAGE).unwrap();
        assert_eq!((message.kind, message.direction), (MessageKind::Post, Direction::Inbound));
        assert_eq!(ConversationKey::for_message(&message).as_str(), "post:104_1");
        let own = json!({"id":"104_2","message":"news","created_time":"2021-07-23T09:50:48+0000","from":{"id":"104","name":"Acme"}});
        assert_eq!(post_message(own, PAGE).unwrap().direction, Direction::Outbound);
    }

    #[test]
    fn comments_join_their_post_and_replies_name_their_parent_comment() {
        let top = json!({"id":"1_50","message":"ok","created_time":"2021-07-23T09:50:48+0000","from":{"id":"9","name":"Ana"}});
        let message = comment_message(top, "104_1", PAGE).unwrap();
        assert_eq!(message.parent_platform_id.unwrap().as_str(), "104_1");
        assert_eq!(message.direction, Direction::Inbound);
        let reply = json!({"id":"1_51","message":"thanks","created_time":"2021-07-23T09:51:00+0000","from":{"id":"104","name":"Acme"},"parent":{"id":"1_50"}});
        let message = comment_message(reply, "104_1", PAGE).unwrap();
        assert_eq!(message.parent_platform_id.as_ref().unwrap().as_str(), "1_50");
        assert_eq!(message.direction, Direction::Outbound);
        assert_eq!(ConversationKey::for_message(&message).as_str(), "post:104_1");
    }

    #[test]
    fn messenger_messages_group_by_conversation_and_the_page_sends_outbound() {
        let raw = json!({"id":"m_1","created_time":"2021-07-23T09:50:48+0000","message":"hola 👋",
            "from":{"id":"104","name":"Acme","email":"104@facebook.com"},
            "to":{"data":[{"id":"77","name":"Ana","email":"77@facebook.com"}]}});
        let message = dm_message(raw, "t_9", PAGE).unwrap();
        assert_eq!(message.direction, Direction::Outbound);
        assert_eq!(ConversationKey::for_message(&message).as_str(), "dm:t_9");
        assert_eq!(message.text, "hola 👋");
    }

    #[test]
    fn an_item_without_a_readable_time_is_refused() {
        let raw = json!({"id":"1_50","message":"ok","created_time":"soon","from":{"id":"9"}});
        assert!(comment_message(raw, "104_1", PAGE).is_err());
    }
}
