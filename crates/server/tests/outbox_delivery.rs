//! The outbox over real HTTP against the simulators, on a real SQLite file: replies delivered per
//! platform and shown in their conversation with the platform's id, retries after a 5xx, a
//! Messenger refusal failed with the platform's reason and not retried, idempotent queuing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::sync_env::*;
use trellis_connector_discourse::simulator as discourse;
use trellis_connector_facebook::simulator as facebook;
use trellis_connector_x::simulator as x;
use trellis_core::{
    Account, Actor, Channel, ConversationFilter, ConversationId, Direction, OutboxItem, OutboxState,
};
use trellis_sync::outbox::deliver::deliver;
use trellis_sync::outbox::{queue_reply, OutboxHandle, OutboxSettings};
use trellis_sync::poll::{poll_account, PollScope};
use trellis_sync::SyncHandle;

fn local() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn settings() -> OutboxSettings {
    OutboxSettings { backoff: TEST_PACING.backoff, ..OutboxSettings::new("test-node".into()) }
}

async fn poll_all(env: &Env, account: &Account) {
    for _ in 0..50 {
        if !poll_account(&env.ctx, account, &PollScope::default()).await.unwrap().more() {
            return;
        }
    }
    panic!("still more waiting");
}

/// The first conversation holding an inbound message of `kind` (by the conversation key prefix).
async fn conversation_with(env: &Env, key_prefix: &str) -> ConversationId {
    let page = env
        .store
        .list_conversations(&ConversationFilter { limit: 200, ..Default::default() })
        .await
        .unwrap();
    page.items
        .iter()
        .find(|c| c.key.as_str().starts_with(key_prefix) && c.last_inbound_at.is_some())
        .unwrap_or_else(|| panic!("no {key_prefix} conversation"))
        .id
}

/// Claims what is due at `at` and delivers it, as the worker would.
/// A Discourse simulator holding `topics` topics with `posts` public posts in all, no private
/// messages and nothing deleted.
async fn discourse_forum(topics: usize, posts: usize) -> discourse::Simulator {
    let sim =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    sim.generate(&discourse::TrafficSpec {
        topics,
        posts,
        private_posts: 0,
        delete_rate: 0.0,
        ..Default::default()
    });
    sim
}

async fn deliver_due(env: &Env, at: chrono::DateTime<Utc>) -> Vec<OutboxItem> {
    let claimed =
        env.store.claim_outbound("test-node", at, Duration::minutes(2), 10).await.unwrap();
    let mut done = Vec::new();
    for item in claimed {
        done.push(deliver(&env.ctx, &item, &settings()).await.unwrap());
    }
    done
}

async fn assert_reply_lands_in_its_conversation(env: &Env, account: &Account, key_prefix: &str) {
    poll_all(env, account).await;
    let conversation = conversation_with(env, key_prefix).await;
    let queued =
        queue_reply(&env.store, conversation, "Thanks, we are on it!", Actor::System, None)
            .await
            .unwrap();
    assert_eq!(queued.state, OutboxState::Queued);

    let sent = deliver_due(env, Utc::now()).await;
    assert_eq!(sent.len(), 1);
    let sent = &sent[0];
    assert_eq!(sent.state, OutboxState::Sent, "{sent:?}");
    let platform_id = sent.platform_id.clone().unwrap();

    let messages = env.store.conversation_messages(conversation).await.unwrap();
    let reply = messages
        .iter()
        .find(|m| m.platform_id.as_str() == platform_id)
        .unwrap_or_else(|| panic!("the reply {platform_id} is not in its conversation"));
    assert_eq!(reply.direction, Direction::Outbound);
    assert_eq!(reply.text, "Thanks, we are on it!");

    // A later poll that reads the reply back does not add a copy.
    let before = env.message_count().await;
    poll_all(env, account).await;
    let after = env.store.conversation_messages(conversation).await.unwrap();
    assert_eq!(after.iter().filter(|m| m.platform_id.as_str() == platform_id).count(), 1);
    assert_eq!(env.message_count().await, before);
}

#[tokio::test]
async fn an_x_reply_is_sent_and_appears_in_its_thread_with_the_tweet_id() {
    let env = sqlite_env().await;
    let sim = x::Simulator::start(local(), x::SimulatorConfig::default()).await.unwrap();
    sim.generate(&x::TrafficSpec { mentions: 10, dms: 0, ..Default::default() });
    let account =
        env.connect(Channel::X, sim.account_id(), &sim.base_url(), "sim-access-token").await;
    assert_reply_lands_in_its_conversation(&env, &account, "thread:").await;
}

#[tokio::test]
async fn a_facebook_comment_reply_is_sent_and_appears_under_its_post() {
    let env = sqlite_env().await;
    let sim =
        facebook::Simulator::start(local(), facebook::SimulatorConfig::default()).await.unwrap();
    let ana = sim.add_person("Ana");
    let post = sim.post_as(&ana, "Open on Sunday?", Utc::now() - Duration::hours(3)).unwrap();
    sim.comment_as(&ana, &post, None, "asking again", Utc::now() - Duration::hours(2)).unwrap();
    let account =
        env.connect(Channel::Facebook, sim.page_id(), &sim.base_url(), "sim-page-token").await;
    assert_reply_lands_in_its_conversation(&env, &account, "post:").await;
}

#[tokio::test]
async fn a_discourse_reply_is_sent_and_appears_in_its_topic() {
    let env = sqlite_env().await;
    let sim = discourse_forum(2, 8).await;
    let account =
        env.connect(Channel::Discourse, sim.username(), &sim.base_url(), "sim-api-key").await;
    assert_reply_lands_in_its_conversation(&env, &account, "topic:").await;
}

#[tokio::test]
async fn a_messenger_reply_outside_the_24_hour_window_fails_with_the_platforms_reason() {
    let env = sqlite_env().await;
    let sim =
        facebook::Simulator::start(local(), facebook::SimulatorConfig::default()).await.unwrap();
    let bo = sim.add_person("Bo");
    sim.message_from(&bo, "hello? anyone?", Utc::now() - Duration::days(2)).unwrap();
    let account =
        env.connect(Channel::Facebook, sim.page_id(), &sim.base_url(), "sim-page-token").await;
    poll_all(&env, &account).await;
    let conversation = conversation_with(&env, "dm:").await;
    queue_reply(&env.store, conversation, "Sorry for the wait!", Actor::System, None)
        .await
        .unwrap();

    let done = deliver_due(&env, Utc::now()).await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].state, OutboxState::Failed, "{:?}", done[0]);
    assert!(
        done[0].error.as_deref().unwrap().contains("outside of allowed window"),
        "{:?}",
        done[0]
    );
    assert_eq!(done[0].attempts, 1);
    // Failed for good: nothing is due, even much later.
    assert!(deliver_due(&env, Utc::now() + Duration::days(1)).await.is_empty());
}

/// A front for a simulator that answers 502 to the first `failures` POSTs and forwards the rest.
async fn flaky_front(upstream: String, failures: usize) -> (String, Arc<AtomicUsize>) {
    let posts = Arc::new(AtomicUsize::new(0));
    let seen = posts.clone();
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (client, upstream, seen) = (client.clone(), upstream.clone(), seen.clone());
        async move {
            let (parts, body) = request.into_parts();
            if parts.method == axum::http::Method::POST
                && seen.fetch_add(1, Ordering::SeqCst) < failures
            {
                return (StatusCode::BAD_GATEWAY, "<html>502 Bad Gateway</html>").into_response();
            }
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let mut forward = client.request(parts.method.clone(), format!("{upstream}{path}"));
            for (name, value) in &parts.headers {
                if name != "host" {
                    forward = forward.header(name, value);
                }
            }
            let answer = forward.body(body).send().await.unwrap();
            let status = answer.status();
            let content_type = answer.headers().get("content-type").cloned();
            let bytes = answer.bytes().await.unwrap();
            let mut response = (status, bytes).into_response();
            if let Some(content_type) = content_type {
                response.headers_mut().insert("content-type", content_type);
            }
            response
        }
    });
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind(local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), posts)
}

#[tokio::test]
async fn a_reply_refused_with_a_5xx_is_retried_after_a_backoff_and_then_sent() {
    let env = sqlite_env().await;
    let sim = discourse_forum(1, 4).await;
    let (front, posts) = flaky_front(sim.base_url(), 1).await;
    let account = env.connect(Channel::Discourse, sim.username(), &front, "sim-api-key").await;
    poll_all(&env, &account).await;
    let conversation = conversation_with(&env, "topic:").await;
    queue_reply(
        &env.store,
        conversation,
        "Looking into it right now, sorry for the trouble",
        Actor::System,
        None,
    )
    .await
    .unwrap();

    let started = Utc::now();
    let first = deliver_due(&env, started).await;
    assert_eq!(first[0].state, OutboxState::Queued, "{:?}", first[0]);
    assert!(first[0].error.as_deref().unwrap().contains("transient"), "{:?}", first[0]);
    let retry_at = first[0].next_attempt_at.unwrap();
    let waited = (retry_at - started).num_milliseconds();
    assert!((2_000..4_000).contains(&waited), "first retry after {waited} ms");
    assert!(deliver_due(&env, started).await.is_empty(), "retried before its time");

    let second = deliver_due(&env, retry_at).await;
    assert_eq!(second[0].state, OutboxState::Sent, "{:?}", second[0]);
    assert_eq!(second[0].attempts, 2);
    assert_eq!(posts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn queuing_the_same_reply_twice_queues_it_once_through_the_api_too() {
    let env = sqlite_env().await;
    let sim = discourse_forum(1, 3).await;
    let account =
        env.connect(Channel::Discourse, sim.username(), &sim.base_url(), "sim-api-key").await;
    poll_all(&env, &account).await;
    let conversation = conversation_with(&env, "topic:").await;

    let first =
        queue_reply(&env.store, conversation, "Hi! Thanks for writing to us.", Actor::System, None)
            .await
            .unwrap();
    let again =
        queue_reply(&env.store, conversation, "Hi! Thanks for writing to us.", Actor::System, None)
            .await
            .unwrap();
    assert_eq!(first.id, again.id);

    let app = env.app(SyncHandle::default(), OutboxHandle::default()).await;
    let uri = format!("/api/v1/conversations/{conversation}/replies");
    let body = || json!({"text": "Second answer, with more detail"}).to_string().into_bytes();
    let (status, one) = send(&app, post_bytes(&uri, &[("idempotency-key", "k-1")], body())).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{one}");
    assert_eq!(one["state"], "queued");
    let (_, two) = send(&app, post_bytes(&uri, &[("idempotency-key", "k-1")], body())).await;
    assert_eq!(one["id"], two["id"]);

    let list_uri = format!("/api/v1/outbox?conversation={conversation}");
    let request = axum::http::Request::get(list_uri).body(axum::body::Body::empty()).unwrap();
    let (status, listed) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");

    // A forum post under Discourse's 20 characters is refused when queued, naming the field.
    let (status, short) =
        send(&app, post_bytes(&uri, &[], json!({"text": "Too short"}).to_string().into_bytes()))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{short}");
    assert_eq!(short["error"]["field"], "text", "{short}");

    let (status, refused) =
        send(&app, post_bytes(&uri, &[], json!({"text": "  "}).to_string().into_bytes())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
}

#[tokio::test]
async fn an_entry_whose_claim_ran_out_before_its_turn_is_not_delivered_until_claimed_again() {
    let env = sqlite_env().await;
    let sim = discourse_forum(1, 3).await;
    let (front, posts) = flaky_front(sim.base_url(), 0).await;
    let account = env.connect(Channel::Discourse, sim.username(), &front, "sim-api-key").await;
    poll_all(&env, &account).await;
    let conversation = conversation_with(&env, "topic:").await;
    let queued = queue_reply(
        &env.store,
        conversation,
        "We are looking into it right now",
        Actor::System,
        None,
    )
    .await
    .unwrap();

    // A claim too short to outlast the batch: another node may take the entry over any moment.
    let hurried = OutboxSettings { claim_for: Duration::microseconds(1), ..settings() };
    let never = tokio_util::sync::CancellationToken::new();
    let mut handled = Vec::new();
    trellis_sync::outbox::deliver_due(&env.ctx, &hurried, Utc::now(), &never, |item| {
        handled.push(item.clone())
    })
    .await
    .unwrap();
    assert!(handled.is_empty(), "{handled:?}");
    assert_eq!(posts.load(Ordering::SeqCst), 0, "delivered on a claim that had run out");
    let left = env.store.get_outbound(queued.id).await.unwrap();
    assert_eq!(left.state, OutboxState::Sending);

    // Claimed again once the claim is over, it is delivered exactly once.
    let later = Utc::now() + Duration::seconds(1);
    trellis_sync::outbox::deliver_due(&env.ctx, &settings(), later, &never, |item| {
        handled.push(item.clone())
    })
    .await
    .unwrap();
    assert_eq!(handled.len(), 1);
    assert_eq!(handled[0].state, OutboxState::Sent, "{:?}", handled[0]);
    assert_eq!(posts.load(Ordering::SeqCst), 1);
}
