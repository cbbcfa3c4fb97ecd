//! Discourse webhooks: verifying a delivery's signature and turning it into messages.
//!
//! Discourse signs the raw body: `X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256(secret,
//! body)>`, and names the event in `X-Discourse-Event` (`post_created`, `post_edited`,
//! `post_destroyed`, `post_recovered`, …). A post event's body is `{"post":{…}}`; a ping's is
//! `{"ping":"OK"}`. An edit carries the same post id, so the store's upsert updates the message.
//! The HTTP endpoint that receives deliveries lives in the server; this is the pure part.

use crate::mapping::{post_message, read_post, TopicContext};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use trellis_core::{MessageKind, NewMessage};

pub const SIGNATURE_HEADER: &str = "X-Discourse-Event-Signature";
pub const EVENT_HEADER: &str = "X-Discourse-Event";
pub const EVENT_TYPE_HEADER: &str = "X-Discourse-Event-Type";
pub const EVENT_ID_HEADER: &str = "X-Discourse-Event-Id";
pub const INSTANCE_HEADER: &str = "X-Discourse-Instance";

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("missing signature header")]
    MissingSignature,
    #[error("signature is not sha256=<hex>")]
    MalformedSignature,
    #[error("signature does not match the body")]
    BadSignature,
    #[error("unreadable delivery: {0}")]
    Unreadable(String),
}

/// What a verified delivery holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// The ping Discourse sends when a webhook is saved or tested.
    Ping,
    /// Messages to upsert: a created, edited, deleted or recovered post. Empty for post types
    /// trellis skips (moderator and small actions, whispers).
    Messages(Vec<NewMessage>),
    /// An event this connector does not turn into messages (topics, users, likes…).
    Ignored { event: String },
}

/// Checks `signature` (the header's value) against `raw_body` in constant time.
pub fn verify_signature(
    secret: &[u8],
    signature: Option<&str>,
    raw_body: &[u8],
) -> Result<(), WebhookError> {
    let signature = signature.ok_or(WebhookError::MissingSignature)?;
    let hex_digest =
        signature.trim().strip_prefix("sha256=").ok_or(WebhookError::MalformedSignature)?;
    let expected = hex::decode(hex_digest).map_err(|_| WebhookError::MalformedSignature)?;
    let mut mac = mac(secret);
    mac.update(raw_body);
    // `verify_slice` compares in constant time, so timing reveals nothing of the right digest.
    mac.verify_slice(&expected).map_err(|_| WebhookError::BadSignature)
}

/// The `sha256=<hex>` signature Discourse would send for `raw_body`.
pub fn sign(secret: &[u8], raw_body: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(raw_body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; `new_from_slice` only fails for fixed-size MACs.
    <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("hmac accepts keys of any length"))
}

/// Parses a verified delivery. `event` is the `X-Discourse-Event` header; `account_username` tells
/// the account's own posts (outbound) from others'.
pub fn parse_delivery(
    event: &str,
    raw_body: &[u8],
    account_username: &str,
) -> Result<Delivery, WebhookError> {
    let body: serde_json::Value = serde_json::from_slice(raw_body)
        .map_err(|error| WebhookError::Unreadable(error.to_string()))?;
    if body.get("ping").is_some() || event == "ping" {
        return Ok(Delivery::Ping);
    }
    let Some(raw) = body.get("post").cloned() else {
        return Ok(Delivery::Ignored { event: event.to_owned() });
    };
    let Some(post) =
        read_post(&raw).map_err(|error| WebhookError::Unreadable(error.to_string()))?
    else {
        return Ok(Delivery::Messages(Vec::new()));
    };
    let kind = if post.topic_archetype.as_deref() == Some("private_message") {
        MessageKind::DirectMessage
    } else {
        MessageKind::ForumPost
    };
    let mut message = post_message(&post, raw, kind, account_username, &TopicContext::default())
        .map_err(|error| WebhookError::Unreadable(error.to_string()))?;
    // Discourse sends the post as it was just before destruction, often without `deleted_at`.
    if event == "post_destroyed" && message.deleted_at.is_none() {
        message.deleted_at = Some(post.updated_at.unwrap_or_else(Utc::now));
    }
    if event == "post_recovered" {
        message.deleted_at = None;
    }
    Ok(Delivery::Messages(vec![message]))
}

/// A signed delivery as Discourse would POST it: the headers and the body. For tests and the
/// simulator.
pub fn signed_delivery(
    secret: &[u8],
    instance: &str,
    event_id: u64,
    event: &str,
    payload: &serde_json::Value,
) -> (Vec<(&'static str, String)>, Vec<u8>) {
    let body = payload.to_string().into_bytes();
    let event_type =
        if event == "ping" { "ping" } else { event.split('_').next().unwrap_or(event) };
    let headers = vec![
        (INSTANCE_HEADER, instance.to_owned()),
        (EVENT_ID_HEADER, event_id.to_string()),
        (EVENT_TYPE_HEADER, event_type.to_owned()),
        (EVENT_HEADER, event.to_owned()),
        (SIGNATURE_HEADER, sign(secret, &body)),
        ("Content-Type", "application/json".to_owned()),
    ];
    (headers, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn post(raw: &str) -> serde_json::Value {
        json!({"post": {
            "id": 501, "topic_id": 90, "post_number": 2, "username": "kenji", "name": "Kenji",
            "raw": raw, "cooked": "<p>x</p>", "created_at": "2024-05-24T21:16:02.287Z",
            "updated_at": "2024-05-24T22:00:00.000Z", "post_type": 1, "trust_level": 1,
            "topic_title": "Shipping to Japan", "topic_archetype": "regular", "category_id": 4
        }})
    }

    fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_signed_delivery_verifies_and_a_tampered_one_does_not() {
        let (headers, body) =
            signed_delivery(b"s3cret", "https://forum.example", 7, "post_created", &post("hello"));
        let signature = header(&headers, SIGNATURE_HEADER);
        assert_eq!(verify_signature(b"s3cret", signature, &body), Ok(()));
        assert_eq!(verify_signature(b"other", signature, &body), Err(WebhookError::BadSignature));
        let mut tampered = body.clone();
        tampered[10] ^= 1;
        assert_eq!(
            verify_signature(b"s3cret", signature, &tampered),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(verify_signature(b"s3cret", None, &body), Err(WebhookError::MissingSignature));
        assert_eq!(
            verify_signature(b"s3cret", Some("sha1=abc"), &body),
            Err(WebhookError::MalformedSignature)
        );
        assert_eq!(header(&headers, EVENT_TYPE_HEADER), Some("post"));
    }

    #[test]
    fn the_signature_is_lowercase_hex_of_the_hmac() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), a published vector.
        let signature = sign(b"key", b"The quick brown fox jumps over the lazy dog");
        assert_eq!(
            signature,
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn an_edit_keeps_the_post_id_with_the_new_text() {
        let created =
            parse_delivery("post_created", post("first").to_string().as_bytes(), "acme").unwrap();
        let edited =
            parse_delivery("post_edited", post("second").to_string().as_bytes(), "acme").unwrap();
        let (Delivery::Messages(created), Delivery::Messages(edited)) = (created, edited) else {
            panic!("post events carry messages");
        };
        assert_eq!(created[0].platform_id, edited[0].platform_id);
        assert_eq!(edited[0].text, "second");
        assert_eq!(edited[0].thread_title.as_deref(), Some("Shipping to Japan"));
        assert_eq!(edited[0].kind, MessageKind::ForumPost);
    }

    #[test]
    fn pings_private_messages_and_destroyed_posts_are_told_apart() {
        assert_eq!(parse_delivery("ping", br#"{"ping":"OK"}"#, "acme"), Ok(Delivery::Ping));
        let mut private = post("psst");
        private["post"]["topic_archetype"] = "private_message".into();
        let Ok(Delivery::Messages(messages)) =
            parse_delivery("post_created", private.to_string().as_bytes(), "acme")
        else {
            panic!("a private post is a message");
        };
        assert_eq!(messages[0].kind, MessageKind::DirectMessage);
        let Ok(Delivery::Messages(messages)) =
            parse_delivery("post_destroyed", post("gone").to_string().as_bytes(), "acme")
        else {
            panic!("a destroyed post is a message");
        };
        assert!(messages[0].deleted_at.is_some());
        let topic = json!({"topic": {"id": 1}});
        assert_eq!(
            parse_delivery("topic_created", topic.to_string().as_bytes(), "acme"),
            Ok(Delivery::Ignored { event: "topic_created".into() })
        );
    }
}
