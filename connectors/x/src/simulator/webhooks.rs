//! Account Activity webhooks as X runs them: a subscription is accepted only after the receiver
//! answers a CRC challenge, then new mentions and DMs are delivered as signed v1.1-shaped events.

use super::traffic::GeneratedTraffic;
use super::world::World;
use crate::webhook::{crc_response, sign, SIGNATURE_HEADER};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

/// Where deliveries go.
pub(crate) type Deliveries = mpsc::UnboundedSender<Vec<u8>>;

/// Sends a CRC challenge to `url` and checks the answer, as X does when a webhook is registered
/// (and again every 24 hours).
pub(crate) async fn crc_check(
    client: &reqwest::Client,
    url: &str,
    consumer_secret: &str,
    crc_token: &str,
) -> Result<(), String> {
    let answer = client
        .get(url)
        .query(&[("crc_token", crc_token)])
        .send()
        .await
        .map_err(|error| format!("crc request failed: {error}"))?;
    if !answer.status().is_success() {
        return Err(format!("crc answered {}", answer.status()));
    }
    let body: Value =
        answer.json().await.map_err(|error| format!("crc answer is not json: {error}"))?;
    if body["response_token"] != crc_response(consumer_secret, crc_token)["response_token"] {
        return Err("crc response_token does not match".to_owned());
    }
    Ok(())
}

/// Delivers each queued body, signed, until the simulator stops. Like X, it does not retry a
/// delivery the receiver refused; connectors catch up by polling anyway.
pub(crate) fn spawn_deliveries(
    client: reqwest::Client,
    url: String,
    consumer_secret: String,
    mut queue: mpsc::UnboundedReceiver<Vec<u8>>,
    mut stopped: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let body = tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => break,
                body = queue.recv() => match body { Some(body) => body, None => break },
            };
            let signature = sign(&consumer_secret, &body);
            let sent = client
                .post(&url)
                .header(SIGNATURE_HEADER, signature)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status().is_success() => {}
                Ok(answer) => tracing::warn!(status = %answer.status(), "webhook delivery refused"),
                Err(error) => tracing::warn!(%error, "webhook delivery failed"),
            }
        }
    })
}

/// The v1.1 time format Account Activity uses: `Wed Oct 10 20:19:24 +0000 2018`.
fn v1_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a %b %d %H:%M:%S +0000 %Y").to_string()
}

fn v1_user(world: &World, id: &str) -> Value {
    match world.users.get(id) {
        Some(user) => json!({
            "id_str": user.id, "screen_name": user.username, "name": user.name,
            "verified": user.verified.unwrap_or(false),
            "followers_count": user.public_metrics.map(|m| m.followers_count).unwrap_or(0),
        }),
        None => json!({"id_str": id}),
    }
}

/// The activity announcing `traffic` to the brand account, or `None` when there is nothing to say.
pub(crate) fn activity(world: &World, traffic: &GeneratedTraffic) -> Option<Vec<u8>> {
    let tweets: Vec<Value> = traffic
        .mentions
        .iter()
        .filter_map(|id| world.tweets.get(&id.parse().ok()?))
        .map(|tweet| {
            let author = tweet.tweet.author_id.as_deref().unwrap_or_default();
            let replied_to =
                tweet.tweet.referenced_tweets.iter().flatten().find(|r| r.kind == "replied_to");
            json!({
                "id_str": tweet.tweet.id, "text": tweet.tweet.text, "created_at": v1_time(tweet.at),
                "user": v1_user(world, author), "lang": tweet.tweet.lang,
                "in_reply_to_status_id_str": replied_to.map(|r| r.id.clone()),
                "in_reply_to_user_id_str": tweet.tweet.in_reply_to_user_id,
            })
        })
        .collect();
    let dms: Vec<Value> = traffic
        .dms
        .iter()
        .filter_map(|id| world.dm_events.get(&id.parse().ok()?))
        .map(|dm| {
            let sender = dm.event.sender_id.clone().unwrap_or_default();
            let recipient =
                dm.event.participant_ids.iter().flatten().find(|p| **p != sender).cloned();
            json!({
                "type": "message_create", "id": dm.event.id,
                "created_timestamp": dm.at.timestamp_millis().to_string(),
                "message_create": {"target": {"recipient_id": recipient}, "sender_id": sender,
                    "message_data": {"text": dm.event.text}},
            })
        })
        .collect();
    if tweets.is_empty() && dms.is_empty() {
        return None;
    }
    let mut body = json!({"for_user_id": world.brand_id});
    if !tweets.is_empty() {
        body["tweet_create_events"] = Value::Array(tweets);
    }
    if !dms.is_empty() {
        body["direct_message_events"] = Value::Array(dms);
    }
    Some(body.to_string().into_bytes())
}
