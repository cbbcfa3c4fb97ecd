//! Webhooks: the subscription handshake, `X-Hub-Signature-256` verification, and deliveries
//! (Messenger `messaging[]`, Page feed `changes[]`) turned into normalized messages. The HTTP
//! endpoint that receives them lives in the server; everything here is pure.
//!
//! Feed change field names are unconfirmed by PLATFORMS.md, so both plausible spellings are read:
//! `comment_id` or `id`, `created_time` as Unix seconds or a Graph time, `from` or `sender_id`.

use crate::mapping::{contact, direction, platform_id};
use crate::wire::{parse_time, Actor};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use serde_json::Value;
use sha2::Sha256;
use trellis_core::{MessageKind, NewMessage};

/// The header a delivery's signature travels in.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Why a webhook request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook verification refused: {0}")]
    Verification(&'static str),
    #[error("missing or malformed signature header")]
    MissingSignature,
    #[error("signature does not match the body")]
    BadSignature,
    #[error("unreadable delivery: {0}")]
    Malformed(String),
}

/// The subscription handshake: `hub.mode=subscribe`, the configured verify token, and the
/// challenge to echo back. Anything else is refused (answer 403).
pub fn verify_challenge<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    verify_token: &str,
) -> Result<String, WebhookError> {
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (name, value) in params {
        match name {
            "hub.mode" => mode = Some(value),
            "hub.verify_token" => token = Some(value),
            "hub.challenge" => challenge = Some(value),
            _ => {}
        }
    }
    if mode != Some("subscribe") {
        return Err(WebhookError::Verification("hub.mode is not subscribe"));
    }
    if !token.is_some_and(|token| constant_time_eq(token.as_bytes(), verify_token.as_bytes())) {
        return Err(WebhookError::Verification("verify token does not match"));
    }
    challenge.map(str::to_owned).ok_or(WebhookError::Verification("no hub.challenge"))
}

/// The header value a delivery of `raw_body` carries: `sha256=<hex HMAC-SHA256(app_secret, body)>`.
pub fn sign(app_secret: &str, raw_body: &[u8]) -> String {
    let mut mac = hmac(app_secret);
    mac.update(raw_body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks `X-Hub-Signature-256` against the raw body, in constant time.
pub fn verify_signature(
    app_secret: &str,
    headers: &HeaderMap,
    raw_body: &[u8],
) -> Result<(), WebhookError> {
    let header = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().strip_prefix("sha256="))
        .ok_or(WebhookError::MissingSignature)?;
    let expected = hex::decode(header).map_err(|_| WebhookError::MissingSignature)?;
    let mut mac = hmac(app_secret);
    mac.update(raw_body);
    mac.verify_slice(&expected).map_err(|_| WebhookError::BadSignature)
}

fn hmac(secret: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so the fallback (an all-zero key) is never taken; it only
    // spares a panic path.
    <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The messages a delivery carries for the Page `page_id`. Messenger messages come without a
/// thread id (a delivery names people, not conversations): resolve it with
/// [`crate::FacebookConnector::conversation_with`] before ingesting, so they join the polled
/// conversation. A removed comment or post comes back with `deleted_at` set.
pub fn parse_delivery(page_id: &str, raw_body: &[u8]) -> Result<Vec<NewMessage>, WebhookError> {
    let body: Value = serde_json::from_slice(raw_body)
        .map_err(|error| WebhookError::Malformed(error.to_string()))?;
    if body.get("object").and_then(Value::as_str) != Some("page") {
        return Err(WebhookError::Malformed("object is not page".into()));
    }
    let mut messages = Vec::new();
    for entry in body.get("entry").and_then(Value::as_array).into_iter().flatten() {
        let entry_time = entry.get("time").and_then(Value::as_i64).and_then(millis_or_seconds);
        for event in entry.get("messaging").and_then(Value::as_array).into_iter().flatten() {
            if let Some(message) = messaging(event, page_id)? {
                messages.push(message);
            }
        }
        for change in entry.get("changes").and_then(Value::as_array).into_iter().flatten() {
            if let Some(message) = feed_change(change, page_id, entry_time)? {
                messages.push(message);
            }
        }
    }
    Ok(messages)
}

fn messaging(event: &Value, page_id: &str) -> Result<Option<NewMessage>, WebhookError> {
    let Some(message) = event.get("message") else {
        return Ok(None); // deliveries, reads, postbacks: no message
    };
    let text = |key: &str| event.pointer(key).and_then(Value::as_str);
    let (Some(mid), Some(sender)) = (text("/message/mid"), text("/sender/id")) else {
        return Err(WebhookError::Malformed("messaging event without mid or sender".into()));
    };
    let created = event.get("timestamp").and_then(Value::as_i64).and_then(millis_or_seconds);
    let author = Actor { id: sender.to_owned(), name: None, email: None };
    Ok(Some(NewMessage {
        platform_id: platform_id(mid).map_err(WebhookError::Malformed)?,
        kind: MessageKind::DirectMessage,
        direction: direction(sender, page_id),
        author: contact(&author).map_err(WebhookError::Malformed)?,
        parent_platform_id: None,
        thread_platform_id: None,
        thread_title: None,
        text: message.get("text").and_then(Value::as_str).unwrap_or_default().to_owned(),
        lang: None,
        raw: event.clone(),
        created_at: created.unwrap_or_else(Utc::now),
        deleted_at: None,
    }))
}

fn feed_change(
    change: &Value,
    page_id: &str,
    entry_time: Option<DateTime<Utc>>,
) -> Result<Option<NewMessage>, WebhookError> {
    if change.get("field").and_then(Value::as_str) != Some("feed") {
        return Ok(None);
    }
    let value = change.get("value").cloned().unwrap_or_default();
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    let item = text("item").unwrap_or_default();
    let Some(post_id) = text("post_id") else {
        return Ok(None);
    };
    let (kind, id) = match item {
        "comment" | "reply" => {
            let id = text("comment_id").or_else(|| text("id"));
            (
                MessageKind::Comment,
                id.ok_or_else(|| {
                    WebhookError::Malformed("comment change without comment_id".into())
                })?,
            )
        }
        "status" | "post" | "photo" | "video" | "share" => (MessageKind::Post, post_id),
        _ => return Ok(None), // reactions, likes: no message
    };
    let author = match value.get("from") {
        Some(from) => serde_json::from_value::<Actor>(from.clone())
            .map_err(|error| WebhookError::Malformed(format!("from: {error}")))?,
        None => Actor {
            id: text("sender_id").unwrap_or(page_id).to_owned(),
            name: text("sender_name").map(str::to_owned),
            email: None,
        },
    };
    let created = match value.get("created_time") {
        Some(Value::Number(number)) => number.as_i64().and_then(millis_or_seconds),
        Some(Value::String(time)) => parse_time(time),
        _ => None,
    };
    let removed = text("verb") == Some("remove");
    let now = entry_time.unwrap_or_else(Utc::now);
    let parent = match kind {
        MessageKind::Comment => Some(text("parent_id").unwrap_or(post_id)),
        _ => None,
    };
    Ok(Some(NewMessage {
        platform_id: platform_id(id).map_err(WebhookError::Malformed)?,
        kind,
        direction: direction(&author.id, page_id),
        author: contact(&author).map_err(WebhookError::Malformed)?,
        parent_platform_id: parent.map(platform_id).transpose().map_err(WebhookError::Malformed)?,
        thread_platform_id: Some(platform_id(post_id).map_err(WebhookError::Malformed)?),
        thread_title: None,
        text: text("message").unwrap_or_default().to_owned(),
        lang: None,
        raw: value.clone(),
        created_at: created.unwrap_or(now),
        deleted_at: removed.then_some(now),
    }))
}

/// Messenger stamps milliseconds, feed changes seconds; anything past the year 2300 in seconds is
/// taken as milliseconds.
fn millis_or_seconds(value: i64) -> Option<DateTime<Utc>> {
    if value > 10_000_000_000 {
        DateTime::from_timestamp_millis(value)
    } else {
        DateTime::from_timestamp(value, 0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use trellis_core::Direction;

    #[test]
    fn the_handshake_echoes_the_challenge_only_for_the_right_token() {
        let params = [
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "tok"),
            ("hub.challenge", "1158201444"),
        ];
        assert_eq!(verify_challenge(params, "tok").unwrap(), "1158201444");
        assert!(verify_challenge(params, "other").is_err());
        let unsubscribe =
            [("hub.mode", "unsubscribe"), ("hub.verify_token", "tok"), ("hub.challenge", "1")];
        assert!(verify_challenge(unsubscribe, "tok").is_err());
    }

    #[test]
    fn a_signed_body_verifies_and_any_change_breaks_it() {
        let body = br#"{"object":"page","entry":[]}"#;
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(&sign("secret", body)).unwrap());
        assert_eq!(verify_signature("secret", &headers, body), Ok(()));
        assert_eq!(verify_signature("other", &headers, body), Err(WebhookError::BadSignature));
        assert_eq!(verify_signature("secret", &headers, b"{}"), Err(WebhookError::BadSignature));
        assert_eq!(
            verify_signature("secret", &HeaderMap::new(), body),
            Err(WebhookError::MissingSignature)
        );
        // A known vector: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        assert_eq!(
            sign("key", b"The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn messenger_events_and_feed_changes_become_messages() {
        let body = br#"{"object":"page","entry":[{"id":"104","time":1700000000000,
          "messaging":[{"sender":{"id":"77"},"recipient":{"id":"104"},"timestamp":1700000000123,"message":{"mid":"m_1","text":"hi \u00e9"}},
                       {"sender":{"id":"77"},"recipient":{"id":"104"},"timestamp":1700000000200,"read":{"watermark":1}}],
          "changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"5_9","post_id":"104_5","parent_id":"104_5","from":{"id":"88","name":"Ana"},"message":"nice","created_time":1700000000}},
                     {"field":"feed","value":{"item":"comment","verb":"remove","id":"5_8","post_id":"104_5","parent_id":"5_7","sender_id":"89","created_time":"2023-11-14T22:13:20+0000"}},
                     {"field":"feed","value":{"item":"reaction","verb":"add","post_id":"104_5"}}]}]}"#;
        let messages = parse_delivery("104", body).unwrap();
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[0].kind, MessageKind::DirectMessage);
        assert_eq!(messages[0].created_at.timestamp_millis(), 1_700_000_000_123);
        assert_eq!(messages[0].direction, Direction::Inbound);
        assert_eq!(messages[1].thread_platform_id.as_ref().unwrap().as_str(), "104_5");
        assert_eq!(messages[1].author.display_name.as_deref(), Some("Ana"));
        assert_eq!(messages[2].platform_id.as_str(), "5_8");
        assert_eq!(messages[2].parent_platform_id.as_ref().unwrap().as_str(), "5_7");
        assert!(messages[2].deleted_at.is_some());
        assert!(parse_delivery("104", b"{\"object\":\"user\"}").is_err());
    }
}
