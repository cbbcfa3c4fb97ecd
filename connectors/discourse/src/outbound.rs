//! Outbound actions as Discourse calls. Bodies are sent as JSON.
//!
//! - reply: `GET /posts/{id}.json` for the answered post's topic and number, then `POST /posts.json`
//!   `{"topic_id","raw","reply_to_post_number"}`;
//! - direct message into an existing private-message topic: `POST /posts.json` `{"topic_id","raw"}`;
//!   to a person: a new private message `{"title","raw","archetype":"private_message",
//!   "target_recipients"}`, titled by the message's first line;
//! - delete: `DELETE /posts/{id}.json`; unhide: `PUT /posts/{id}/unhide`;
//! - flag: `POST /post_actions.json` `{"id","post_action_type_id"}` (8 spam, 4 inappropriate,
//!   7 notify moderators, which needs a message);
//! - hide: Discourse has no call that hides a post without flagging it. A staff flag would hide it,
//!   but it also notifies the author and counts against them, which an agent choosing "hide" did not
//!   ask for; so hide is `Unsupported` and the agent flags explicitly.

use crate::connector::DiscourseConnector;
use crate::http::{decode, endpoint, send, Purpose};
use crate::wire::Post;
use serde_json::{json, Value};
use trellis_core::{
    AccountAccess, Channel, ConnectorError, Delivered, DmTarget, FlagReason, OutboundAction,
    PlatformId,
};

/// Discourse's `post_action_type_id`s for flags.
fn flag_type(reason: FlagReason) -> u8 {
    match reason {
        FlagReason::Inappropriate => 4,
        FlagReason::NotifyModerators => 7,
        FlagReason::Spam => 8,
    }
}

/// A private message's title: the text's first line, cut at 80 characters on a word boundary.
/// Discourse refuses titles shorter than its minimum, so a too-short line gets a neutral title.
pub fn message_title(text: &str) -> String {
    let first = text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or_default();
    let mut title = String::new();
    for word in first.split_whitespace() {
        if title.chars().count() + word.chars().count() + 1 > 80 {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.chars().count() < 4 {
        return "A message from our team".to_owned();
    }
    title
}

fn post_id(id: &PlatformId) -> Result<u64, ConnectorError> {
    id.as_str().parse().map_err(|_| ConnectorError::Refused {
        status: 400,
        platform_reason: format!("{id} is not a discourse post id"),
    })
}

fn delivered(post: &Post) -> Result<Delivered, ConnectorError> {
    let id = |value: u64| {
        PlatformId::parse(&value.to_string())
            .map_err(|error| ConnectorError::Malformed { reason: error.to_string() })
    };
    Ok(Delivered { platform_id: id(post.id)?, thread_platform_id: Some(id(post.topic_id)?) })
}

impl DiscourseConnector {
    pub(crate) async fn deliver_action(
        &self,
        access: &AccountAccess,
        action: &OutboundAction,
    ) -> Result<Delivered, ConnectorError> {
        match action {
            OutboundAction::Reply { in_reply_to, text } => {
                let parent = self.get_post(access, post_id(in_reply_to)?).await?;
                let body = json!({
                    "topic_id": parent.topic_id,
                    "raw": text,
                    "reply_to_post_number": parent.post_number,
                });
                self.create_post(access, body).await
            }
            OutboundAction::DirectMessage { to: DmTarget::Conversation(topic), text } => {
                let body = json!({"topic_id": post_id(topic)?, "raw": text});
                self.create_post(access, body).await
            }
            OutboundAction::DirectMessage { to: DmTarget::Participant(username), text } => {
                let body = json!({
                    "title": message_title(text),
                    "raw": text,
                    "archetype": "private_message",
                    "target_recipients": username.as_str(),
                });
                self.create_post(access, body).await
            }
            OutboundAction::Delete { id } => {
                let url =
                    endpoint(&access.base_url, &["posts", &format!("{}.json", post_id(id)?)])?;
                send(self.client.delete(url), access, Purpose::Act).await?;
                Ok(Delivered { platform_id: id.clone(), thread_platform_id: None })
            }
            OutboundAction::Unhide { id } => {
                let url =
                    endpoint(&access.base_url, &["posts", &post_id(id)?.to_string(), "unhide"])?;
                send(self.client.put(url).json(&json!({})), access, Purpose::Act).await?;
                Ok(Delivered { platform_id: id.clone(), thread_platform_id: None })
            }
            OutboundAction::Flag { id, reason } => {
                let mut body =
                    json!({"id": post_id(id)?, "post_action_type_id": flag_type(*reason)});
                if *reason == FlagReason::NotifyModerators {
                    body["message"] = "Flagged for moderator attention from trellis".into();
                }
                let url = endpoint(&access.base_url, &["post_actions.json"])?;
                send(self.client.post(url).json(&body), access, Purpose::Act).await?;
                Ok(Delivered { platform_id: id.clone(), thread_platform_id: None })
            }
            OutboundAction::Hide { .. } => Err(ConnectorError::Unsupported {
                channel: Channel::Discourse,
                action: action.name(),
            }),
        }
    }

    async fn get_post(&self, access: &AccountAccess, id: u64) -> Result<Post, ConnectorError> {
        let url = endpoint(&access.base_url, &["posts", &format!("{id}.json")])?;
        let answer = send(self.client.get(url), access, Purpose::Act).await?;
        decode(&answer)
    }

    async fn create_post(
        &self,
        access: &AccountAccess,
        body: Value,
    ) -> Result<Delivered, ConnectorError> {
        let url = endpoint(&access.base_url, &["posts.json"])?;
        let answer = send(self.client.post(url).json(&body), access, Purpose::Act).await?;
        delivered(&decode::<Post>(&answer)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_the_first_line_cut_on_a_word() {
        assert_eq!(message_title("\n  Your order #123\nmore text"), "Your order #123");
        let long = "word ".repeat(40);
        let title = message_title(&long);
        assert!(title.chars().count() <= 80 && title.ends_with("word"), "{title}");
        assert_eq!(message_title("hi"), "A message from our team");
    }
}
