//! Webhook deliveries through the HTTP routes on a real SQLite file: signatures checked over the
//! raw body, good deliveries ingested through the same idempotent path as polling, unreadable
//! items kept as ingest errors while the rest is stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use serde_json::json;
use support::sync_env::*;
use trellis_connector_discourse::simulator as discourse;
use trellis_connector_discourse::webhook as discourse_webhook;
use trellis_connector_facebook::simulator as facebook;
use trellis_core::Channel;
use trellis_sync::outbox::OutboxHandle;
use trellis_sync::poll::{poll_account, PollScope};
use trellis_sync::SyncHandle;

fn local() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[tokio::test]
async fn deliveries_without_a_valid_signature_are_refused_with_401_and_store_nothing() {
    let env = sqlite_env().await;
    let account = env.connect(Channel::Discourse, "acme_support", "http://127.0.0.1:9", "k").await;
    let app = env.app(SyncHandle::default(), OutboxHandle::default()).await;
    let body =
        json!({"post": {"id": 1, "topic_id": 1, "post_number": 1, "username": "x", "raw": "hi",
        "created_at": "2024-05-01T00:00:00Z", "post_type": 1}})
        .to_string()
        .into_bytes();
    let discourse_uri = format!("/webhooks/discourse/{}", account.id);
    let wrong = discourse_webhook::sign(b"another secret", &body);
    let cases = [
        post_bytes("/webhooks/facebook", &[], body.clone()),
        post_bytes("/webhooks/facebook", &[("x-hub-signature-256", "sha256=00ff")], body.clone()),
        post_bytes(&discourse_uri, &[("x-discourse-event", "post_created")], body.clone()),
        post_bytes(&discourse_uri, &[("x-discourse-event-signature", &wrong)], body.clone()),
        post_bytes("/webhooks/x", &[], body.clone()),
        post_bytes("/webhooks/x", &[("x-twitter-webhooks-signature", "sha256=AAAA")], body.clone()),
    ];
    for request in cases {
        let uri = request.uri().to_string();
        let (status, answer) = send(&app, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}: {answer}");
        assert_eq!(answer["error"]["code"], "unauthorized", "{uri}: {answer}");
    }
    assert_eq!(env.message_count().await, 0);
    assert_eq!(env.store.account_health(account.id).await.unwrap().ingest_error_count, 0);
}

#[tokio::test]
async fn a_facebook_comment_arriving_by_webhook_and_by_poll_is_stored_once() {
    let env = sqlite_env().await;
    let sim =
        facebook::Simulator::start(local(), facebook::SimulatorConfig::default()).await.unwrap();
    let ana = sim.add_person("Ana");
    let post =
        sim.post_as(&ana, "Is the shop open on Sunday?", Utc::now() - Duration::hours(2)).unwrap();
    let comment = sim
        .comment_as(&ana, &post, None, "and the café?", Utc::now() - Duration::hours(1))
        .unwrap();
    let account =
        env.connect(Channel::Facebook, sim.page_id(), &sim.base_url(), "sim-page-token").await;
    let app = env.app(SyncHandle::default(), OutboxHandle::default()).await;

    let delivery = sim.webhook_delivery(&[&comment], &[]);
    let request = post_bytes(
        "/webhooks/facebook",
        &[("x-hub-signature-256", &delivery.signature)],
        delivery.body,
    );
    let (status, answer) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["inserted"], 1, "{answer}");
    assert_eq!(env.message_count().await, 1);

    let polled = poll_account(&env.ctx, &account, &PollScope::default()).await.unwrap();
    assert_eq!(polled.ingested().inserted, 1, "only the post is new: {polled:?}");
    assert_eq!(env.message_count().await, 2, "post and comment, each once");
}

#[tokio::test]
async fn a_discourse_post_arriving_by_webhook_and_by_poll_is_stored_once() {
    let env = sqlite_env().await;
    let sim =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    let generated = sim.generate(&discourse::TrafficSpec {
        topics: 2,
        posts: 10,
        private_posts: 0,
        edit_rate: 0.0,
        delete_rate: 0.0,
        bookkeeping_rate: 0.0,
        ..Default::default()
    });
    let account =
        env.connect(Channel::Discourse, sim.username(), &sim.base_url(), "sim-api-key").await;
    let app = env.app(SyncHandle::default(), OutboxHandle::default()).await;

    let post_id = *generated.posts.last().unwrap();
    let payload = json!({"post": sim.post(post_id).unwrap()});
    let (headers, body) = discourse_webhook::signed_delivery(
        DISCOURSE_WEBHOOK_SECRET.as_bytes(),
        &sim.base_url(),
        1,
        "post_created",
        &payload,
    );
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let uri = format!("/webhooks/discourse/{}", account.id);
    let (status, answer) = send(&app, post_bytes(&uri, &headers, body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["inserted"], 1, "{answer}");

    let mut inserted = 0;
    loop {
        let polled = poll_account(&env.ctx, &account, &PollScope::default()).await.unwrap();
        inserted += polled.ingested().inserted;
        if !polled.more() {
            break;
        }
    }
    assert_eq!(env.message_count().await, inserted + 1, "the webhook's post was not stored twice");
}

#[tokio::test]
async fn an_unreadable_item_becomes_an_ingest_error_and_the_rest_of_the_delivery_is_kept() {
    let env = sqlite_env().await;
    let page = "104000000000001";
    let account = env.connect(Channel::Facebook, page, "http://127.0.0.1:9/v19.0", "t").await;
    let app = env.app(SyncHandle::default(), OutboxHandle::default()).await;
    let body = json!({"object": "page", "entry": [{"id": page, "time": 1_700_000_000_000_i64, "changes": [
        {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "5_9", "post_id": "104_5",
            "from": {"id": "88", "name": "Ana"}, "message": "nice", "created_time": 1_700_000_000}},
        {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": "104_5", "message": "no id"}},
    ]}]})
    .to_string()
    .into_bytes();
    let signature = trellis_connector_facebook::webhook::sign(FACEBOOK_APP_SECRET, &body);
    let request = post_bytes("/webhooks/facebook", &[("x-hub-signature-256", &signature)], body);
    let (status, answer) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!((answer["inserted"].as_u64(), answer["refused"].as_u64()), (Some(1), Some(1)));
    assert_eq!(env.message_count().await, 1);
    let health = env.store.account_health(account.id).await.unwrap();
    assert_eq!(health.ingest_error_count, 1);
    let errors = env.store.ingest_errors(account.id, 10).await.unwrap();
    assert!(errors[0].error.reason.contains("comment_id"), "{errors:?}");
    assert!(errors[0].error.payload_excerpt.contains("no id"), "{errors:?}");
}

#[tokio::test]
async fn the_handshakes_answer_only_with_the_configured_secrets() {
    let env = sqlite_env().await;
    let app = env.app(SyncHandle::default(), OutboxHandle::default()).await;
    let get = |uri: String| Request::get(uri).body(Body::empty()).unwrap();

    let (status, answer) = send(&app, get("/webhooks/x?crc_token=challenge".into())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, trellis_connector_x::webhook::crc_response(X_CONSUMER_SECRET, "challenge"));

    let handshake = |token: &str| {
        format!("/webhooks/facebook?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444")
    };
    let (status, answer) = send(&app, get(handshake(FACEBOOK_VERIFY_TOKEN))).await;
    assert_eq!((status, answer), (StatusCode::OK, json!(1158201444)));
    let (status, answer) = send(&app, get(handshake("guess"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
}
