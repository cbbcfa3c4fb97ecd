//! How trellis answers a message, written once for the outbox and for triage's canned replies:
//! which platform action answers it, and what the platform will accept as text, so a reply that
//! would be refused is refused when it is queued, with the reason, not minutes later by the
//! platform.

use crate::connector::{DmTarget, OutboundAction};
use crate::enums::{Channel, MessageKind};
use crate::message::Message;
use crate::validated::PlatformId;

/// The outbound action that answers `message` with `text`: a private message stays private (in
/// its thread when the platform gave one, else to its author, `author_platform_id`), anything
/// public gets a public reply under it.
pub fn reply_action(
    message: &Message,
    author_platform_id: &PlatformId,
    text: String,
) -> OutboundAction {
    match message.kind {
        MessageKind::DirectMessage => {
            let to = match &message.thread_platform_id {
                Some(thread) => DmTarget::Conversation(thread.clone()),
                None => DmTarget::Participant(author_platform_id.clone()),
            };
            OutboundAction::DirectMessage { to, text }
        }
        MessageKind::Mention
        | MessageKind::Reply
        | MessageKind::Comment
        | MessageKind::Post
        | MessageKind::ForumPost => {
            OutboundAction::Reply { in_reply_to: message.platform_id.clone(), text }
        }
    }
}

/// What a platform accepts as the text of one reply, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimits {
    pub min: usize,
    pub max: usize,
}

/// The limits of a reply (`private`: a direct or private message) on `channel`:
/// - X: 280 characters for a post, 10,000 for a DM;
/// - Facebook: 8,000 for a comment, 2,000 for a Messenger message;
/// - Discourse: at least 20 characters for a post and 10 for a private message (the defaults of
///   `min_post_length` and `min_personal_message_post_length`), at most 32,000.
///
/// Characters are Unicode scalar values. X weighs some characters double and every URL as 23, so
/// a post near 280 characters may still be refused there; the count here never refuses what X
/// would accept.
pub fn reply_limits(channel: Channel, private: bool) -> TextLimits {
    match (channel, private) {
        (Channel::X, false) => TextLimits { min: 1, max: 280 },
        (Channel::X, true) => TextLimits { min: 1, max: 10_000 },
        (Channel::Facebook, false) => TextLimits { min: 1, max: 8_000 },
        (Channel::Facebook, true) => TextLimits { min: 1, max: 2_000 },
        (Channel::Discourse, false) => TextLimits { min: 20, max: 32_000 },
        (Channel::Discourse, true) => TextLimits { min: 10, max: 32_000 },
    }
}

/// `Err` with a sentence for the agent when `text` does not fit `channel`'s limits.
pub fn check_reply_text(channel: Channel, private: bool, text: &str) -> Result<(), String> {
    let limits = reply_limits(channel, private);
    let length = text.trim().chars().count();
    let what = match (channel, private) {
        (Channel::X, false) => "an X post",
        (Channel::X, true) => "an X direct message",
        (Channel::Facebook, false) => "a Facebook comment",
        (Channel::Facebook, true) => "a Messenger message",
        (Channel::Discourse, false) => "a Discourse post",
        (Channel::Discourse, true) => "a Discourse private message",
    };
    if length < limits.min {
        return Err(format!(
            "{what} needs at least {} characters; this one has {length}",
            limits.min
        ));
    }
    if length > limits.max {
        return Err(format!(
            "{what} takes at most {} characters; this one has {length}",
            limits.max
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_x_post_over_280_characters_is_refused_naming_the_limit() {
        assert!(check_reply_text(Channel::X, false, &"é".repeat(280)).is_ok());
        let error = check_reply_text(Channel::X, false, &"é".repeat(281)).unwrap_err();
        assert!(error.contains("280") && error.contains("281"), "{error}");
        assert!(check_reply_text(Channel::X, true, &"a".repeat(281)).is_ok());
    }

    #[test]
    fn a_discourse_post_needs_twenty_characters_and_a_private_message_ten() {
        assert!(check_reply_text(Channel::Discourse, false, "too short").is_err());
        assert!(check_reply_text(Channel::Discourse, true, "ten chars!").is_ok());
        assert!(check_reply_text(Channel::Discourse, false, "twenty characters ok").is_ok());
    }

    #[test]
    fn messenger_takes_two_thousand_characters() {
        assert!(check_reply_text(Channel::Facebook, true, &"a".repeat(2_000)).is_ok());
        assert!(check_reply_text(Channel::Facebook, true, &"a".repeat(2_001)).is_err());
    }
}
