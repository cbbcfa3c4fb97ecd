//! X Account Activity webhooks: answering the CRC challenge, checking delivery signatures, and
//! reading what a delivery announces.
//!
//! Deliveries carry API v1.1 objects, which lack `conversation_id` and DM conversation ids, so
//! trellis does not ingest them directly: a delivery is a doorbell that makes the scheduler poll
//! the announced streams now. Messages then come one way only, through the cursors, grouped the
//! same as ever, and a lost or forged delivery can at worst cause one extra poll.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;
use trellis_core::ConnectorError;

use crate::connector::{DM_EVENTS, MENTIONS};

/// The header X signs deliveries in.
pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

/// HMAC-SHA256 of `body`. HMAC takes keys of any length, so this is never `None` in practice.
fn mac(consumer_secret: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(consumer_secret.as_bytes()).ok()?;
    mac.update(body);
    Some(mac)
}

/// The answer to `GET <webhook>?crc_token=…`: `{"response_token":"sha256=<base64 hmac>"}`.
pub fn crc_response(consumer_secret: &str, crc_token: &str) -> Value {
    json!({"response_token": sign(consumer_secret, crc_token.as_bytes())})
}

/// `sha256=<base64 HMAC-SHA256(consumer_secret, body)>`, as X signs deliveries.
pub fn sign(consumer_secret: &str, body: &[u8]) -> String {
    mac(consumer_secret, body)
        .map(|mac| format!("sha256={}", STANDARD.encode(mac.finalize().into_bytes())))
        .unwrap_or_default()
}

/// Whether `header` is X's signature of exactly `body`; compared in constant time.
pub fn verify_signature(consumer_secret: &str, body: &[u8], header: &str) -> bool {
    let Some(encoded) = header.trim().strip_prefix("sha256=") else { return false };
    let Ok(expected) = STANDARD.decode(encoded) else { return false };
    mac(consumer_secret, body).is_some_and(|mac| mac.verify_slice(&expected).is_ok())
}

#[derive(Deserialize)]
struct Activity {
    for_user_id: Option<String>,
    #[serde(default)]
    tweet_create_events: Vec<Value>,
    #[serde(default)]
    direct_message_events: Vec<Value>,
}

/// The streams of `account_user_id` a (verified) delivery says have news, to poll now.
pub fn streams_with_news(
    body: &[u8],
    account_user_id: &str,
) -> Result<Vec<&'static str>, ConnectorError> {
    let activity: Activity = serde_json::from_slice(body).map_err(|error| {
        ConnectorError::Malformed { reason: format!("webhook delivery: {error}") }
    })?;
    if activity.for_user_id.as_deref() != Some(account_user_id) {
        return Ok(Vec::new());
    }
    let mut streams = Vec::new();
    if !activity.tweet_create_events.is_empty() {
        streams.push(MENTIONS);
    }
    if !activity.direct_message_events.is_empty() {
        streams.push(DM_EVENTS);
    }
    Ok(streams)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_crc_answer_is_the_base64_hmac_of_the_token() {
        // Computed independently: printf 'challenge' | openssl dgst -sha256 -hmac 'secret' -binary | base64
        let answer = crc_response("secret", "challenge");
        assert_eq!(answer["response_token"], "sha256=oeUF6Wxqoezggrue+wbIDxKRPSF6esKwizR2MHh9HaA=");
    }

    #[test]
    fn a_signature_matches_only_its_own_body_and_secret() {
        let body = br#"{"for_user_id":"1","tweet_create_events":[{}]}"#;
        let header = sign("secret", body);
        assert!(verify_signature("secret", body, &header));
        assert!(!verify_signature("other", body, &header));
        assert!(!verify_signature("secret", b"{}", &header));
        assert!(!verify_signature("secret", body, "sha256=not base64"));
        assert!(!verify_signature("secret", body, "md5=abc"));
    }

    #[test]
    fn a_delivery_rings_only_for_its_own_account_and_streams() {
        let body = br#"{"for_user_id":"1","direct_message_events":[{"type":"message_create"}]}"#;
        assert_eq!(streams_with_news(body, "1").unwrap(), vec![DM_EVENTS]);
        assert!(streams_with_news(body, "2").unwrap().is_empty());
        let both =
            br#"{"for_user_id":"1","tweet_create_events":[{}],"direct_message_events":[{}]}"#;
        assert_eq!(streams_with_news(both, "1").unwrap(), vec![MENTIONS, DM_EVENTS]);
        assert!(streams_with_news(b"<html>", "1").is_err());
    }
}
