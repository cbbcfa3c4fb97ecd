//! Outbound through the `trellis` binary against in-process simulators, on a temp SQLite data dir:
//! per platform, `account add` → `sync --once` → `conversations` → `reply` → `outbox` (queued) →
//! `sync --once` (delivered) → `outbox` (sent, with the platform's id) → `conversation` (the
//! outbound message), and the simulator received exactly that request. Also moderation (hide a
//! Facebook comment, delete a Discourse post, flag on X refused before queuing) and a Messenger
//! reply outside the 24-hour window failed with the platform's reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use serde_json::Value;
use std::path::Path;
use support::{run, trellis, Ran};
use trellis_connector_discourse::simulator as discourse;
use trellis_connector_facebook::simulator as facebook;
use trellis_connector_x::simulator as x;
use x::RecordedRequest;

fn local() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Runs `trellis ARGS` off the runtime, so the in-process simulators keep serving meanwhile.
async fn cli(dir: &Path, args: &[&str]) -> Ran {
    let mut command = trellis(dir);
    command.args(args);
    tokio::task::spawn_blocking(move || run(&mut command)).await.unwrap()
}

/// `cli` that must succeed.
async fn ok(dir: &Path, args: &[&str]) -> Ran {
    let ran = cli(dir, args).await;
    ran.assert_success();
    ran
}

/// The id of the newest listed conversation whose key starts with `prefix` and that has an
/// inbound message, found through `trellis conversations --json`.
async fn conversation_with(dir: &Path, channel: &str, prefix: &str) -> i64 {
    let listed =
        ok(dir, &["conversations", "--channel", channel, "--limit", "200", "--json"]).await;
    let conversations = listed.json();
    let found = conversations.as_array().unwrap().iter().find(|c| {
        c["key"].as_str().unwrap().starts_with(prefix) && !c["last_inbound_at"].is_null()
    });
    found.unwrap_or_else(|| panic!("no {prefix} conversation in {}", listed.stdout))["id"]
        .as_i64()
        .unwrap()
}

/// `trellis conversation ID --json`'s messages.
async fn messages(dir: &Path, conversation: i64) -> Vec<Value> {
    let shown = ok(dir, &["conversation", &conversation.to_string(), "--json"]).await;
    shown.json()["messages"].as_array().unwrap().clone()
}

/// `trellis outbox --json` for one conversation.
async fn outbox(dir: &Path, conversation: i64) -> Vec<Value> {
    let listed = ok(dir, &["outbox", "--conversation", &conversation.to_string(), "--json"]).await;
    listed.json().as_array().unwrap().clone()
}

/// Queues `text` as a reply through the CLI (a public reply, or a DM in a private conversation);
/// returns the outbox entry's id.
async fn reply(dir: &Path, conversation: i64, text: &str) -> i64 {
    let queued = ok(dir, &["reply", &conversation.to_string(), text]).await;
    let line = queued.stdout.trim();
    assert!(line.ends_with(&format!(" on conversation {conversation} (queued)")), "{line}");
    let id = line.strip_prefix("queued outbox ").and_then(|rest| rest.split(':').next());
    id.and_then(|id| id.parse().ok()).unwrap_or_else(|| panic!("no outbox id in {line:?}"))
}

/// Runs `sync --once` and returns its line for outbox entry `id`.
async fn deliver(dir: &Path, id: i64) -> (Ran, String) {
    let synced = cli(dir, &["sync", "--once"]).await;
    let prefix = format!("outbox {id} ");
    let line = synced.stdout.lines().find(|l| l.starts_with(&prefix)).map(str::to_owned);
    let line = line.unwrap_or_else(|| panic!("no line for outbox {id}:\n{}", synced.stdout));
    (synced, line)
}

/// The one request of `method` whose path is `path`, among what the simulator received.
/// A forum with `topics` topics and `posts` public posts (none deleted), connected with
/// `trellis account add` and polled once with `trellis sync --once`.
async fn synced_forum(dir: &Path, topics: usize, posts: usize) -> discourse::Simulator {
    let sim =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    sim.generate(&discourse::TrafficSpec {
        topics,
        posts,
        private_posts: 0,
        delete_rate: 0.0,
        ..Default::default()
    });
    let (base, user) = (sim.base_url(), sim.username().to_owned());
    let add =
        ["account", "add", "--provider", "discourse", "--base-url", &base, "--username", &user];
    let mut command = trellis(dir);
    command.args([&add[..], &["--api-key", "sim-api-key"]].concat());
    // The simulator listens on 127.0.0.1, a forum address allowed only when configured so.
    command.env("TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES", "true");
    tokio::task::spawn_blocking(move || run(&mut command)).await.unwrap().assert_success();
    ok(dir, &["sync", "--once"]).await;
    sim
}

fn only_request(requests: &[RecordedRequest], method: &str, path: &str) -> RecordedRequest {
    let matching: Vec<&RecordedRequest> =
        requests.iter().filter(|r| r.method == method && r.path == path).collect();
    assert_eq!(matching.len(), 1, "{method} {path} in {requests:#?}");
    matching[0].clone()
}

/// The path of `rest` under a base URL that may carry a version (`http://host/v19.0`).
fn under(base: &str, rest: &str) -> String {
    let version = url::Url::parse(base).unwrap().path().trim_end_matches('/').to_owned();
    format!("{version}{rest}")
}

/// The part every platform shares: reply through the CLI, see it queued, deliver it with
/// `sync --once`, see it sent and in its conversation. Returns the platform id it was sent as.
async fn reply_end_to_end(dir: &Path, conversation: i64, text: &str) -> String {
    let id = reply(dir, conversation, text).await;
    let queued = outbox(dir, conversation).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!((queued[0]["id"].as_i64(), queued[0]["state"].as_str()), (Some(id), Some("queued")));
    let table = ok(dir, &["outbox", "--state", "queued"]).await;
    assert!(table.stdout.lines().nth(1).unwrap().contains("reply"), "{}", table.stdout);

    let (synced, line) = deliver(dir, id).await;
    synced.assert_success();
    let sent = &outbox(dir, conversation).await[0];
    assert_eq!(sent["state"], "sent", "{sent}");
    let platform_id = sent["platform_id"].as_str().unwrap().to_owned();
    assert_eq!(
        line,
        format!("outbox {id} reply on conversation {conversation}: sent as {platform_id}")
    );

    let messages = messages(dir, conversation).await;
    let outbound = messages.iter().find(|m| m["platform_id"] == platform_id.as_str());
    let outbound = outbound.unwrap_or_else(|| panic!("{platform_id} not in {messages:#?}"));
    assert_eq!(
        (outbound["direction"].as_str(), outbound["text"].as_str()),
        (Some("outbound"), Some(text))
    );
    let shown = ok(dir, &["conversation", &conversation.to_string()]).await;
    let out_line = shown.stdout.lines().find(|l| l.contains(&format!("  {platform_id}  ")));
    let out_line = out_line.unwrap_or_else(|| panic!("{platform_id} not shown: {}", shown.stdout));
    assert!(out_line.contains(" out ") && out_line.ends_with(text), "{out_line}");
    assert!(
        shown.stdout.contains("reply_queued"),
        "the timeline notes the reply: {}",
        shown.stdout
    );
    platform_id
}

#[tokio::test]
async fn an_x_reply_goes_out_through_the_cli_and_a_flag_is_refused_before_queuing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let sim = x::Simulator::start(local(), x::SimulatorConfig::default()).await.unwrap();
    sim.generate(&x::TrafficSpec { mentions: 10, dms: 0, ..Default::default() });
    let base = sim.base_url();
    ok(
        dir,
        &[
            "account",
            "add",
            "--provider",
            "x",
            "--base-url",
            &base,
            "--access-token",
            "sim-access-token",
        ],
    )
    .await;
    ok(dir, &["sync", "--once"]).await;
    let conversation = conversation_with(dir, "x", "thread:").await;
    let target = messages(dir, conversation).await;
    let target = target.iter().rev().find(|m| m["direction"] == "inbound").unwrap().clone();

    sim.clear_requests();
    let text = "Thanks for flagging, we are on it!";
    let tweet = reply_end_to_end(dir, conversation, text).await;
    let sent = only_request(&sim.requests(), "POST", "/2/tweets");
    assert_eq!(
        sent.json(),
        serde_json::json!({"text": text, "reply": {"in_reply_to_tweet_id": target["platform_id"]}})
    );
    assert_eq!(sim.tweet(&tweet).unwrap()["text"], text);

    let refused =
        cli(dir, &["moderate", &target["id"].to_string(), "flag", "--reason", "spam"]).await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(refused.stderr.contains("flag is not supported on x"), "{}", refused.stderr);
    assert_eq!(outbox(dir, conversation).await.len(), 1, "nothing more was queued");
}

#[tokio::test]
async fn a_facebook_comment_is_answered_and_hidden_and_a_late_messenger_reply_fails_with_the_platforms_reason(
) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let sim =
        facebook::Simulator::start(local(), facebook::SimulatorConfig::default()).await.unwrap();
    // The simulator's clock only moves forward: the oldest event first.
    let bo = sim.add_person("Bo");
    sim.message_from(&bo, "hello? anyone?", Utc::now() - Duration::days(2)).unwrap();
    let ana = sim.add_person("Ana");
    let post = sim.post_as(&ana, "Open on Sunday?", Utc::now() - Duration::hours(3)).unwrap();
    let comment =
        sim.comment_as(&ana, &post, None, "asking again", Utc::now() - Duration::hours(2)).unwrap();
    let (base, page) = (sim.base_url(), sim.page_id().to_owned());
    let add = ["account", "add", "--provider", "facebook", "--base-url", &base, "--page-id", &page];
    ok(dir, &[&add[..], &["--access-token", "sim-page-token"]].concat()).await;
    ok(dir, &["sync", "--once"]).await;
    let conversation = conversation_with(dir, "facebook", "post:").await;

    sim.clear_requests();
    let text = "Yes, from 9 to 5!";
    let answer = reply_end_to_end(dir, conversation, text).await;
    let sent =
        only_request(&sim.requests(), "POST", &under(&base, &format!("/{comment}/comments")));
    assert_eq!(sent.form().get("message").map(String::as_str), Some(text));
    assert_eq!(sim.comment(&answer).unwrap()["message"], text);

    let comment_id = messages(dir, conversation).await;
    let comment_id =
        comment_id.iter().find(|m| m["platform_id"] == comment.as_str()).unwrap()["id"].to_string();
    sim.clear_requests();
    let queued = ok(dir, &["moderate", &comment_id, "hide"]).await;
    assert!(queued.stdout.contains(": hide on conversation"), "{}", queued.stdout);
    let hide_id = outbox(dir, conversation).await[0]["id"].as_i64().unwrap();
    let (_, line) = deliver(dir, hide_id).await;
    assert!(line.ends_with(&format!(": sent as {comment}")), "{line}");
    let hidden = only_request(&sim.requests(), "POST", &under(&base, &format!("/{comment}")));
    assert_eq!(hidden.form().get("is_hidden").map(String::as_str), Some("true"));
    assert_eq!(sim.comment(&comment).unwrap()["is_hidden"], true);

    let late = conversation_with(dir, "facebook", "dm:").await;
    let id = reply(dir, late, "Sorry for the wait!").await;
    let (synced, line) = deliver(dir, id).await;
    assert_eq!(synced.code, Some(1), "a failed delivery fails the run: {synced:?}");
    assert!(line.contains(": failed: ") && line.contains("outside of allowed window"), "{line}");
    let failed = &outbox(dir, late).await[0];
    assert_eq!(failed["state"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("outside of allowed window"), "{failed}");
    let table = ok(dir, &["outbox", "--state", "failed"]).await;
    assert!(
        table.stdout.contains("error: ") && table.stdout.contains("outside of allowed window"),
        "{}",
        table.stdout
    );
}

#[tokio::test]
async fn a_discourse_reply_and_a_post_deletion_go_out_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let sim = synced_forum(dir, 2, 8).await;
    let listed = ok(dir, &["conversations", "--status", "open"]).await;
    assert!(listed.stdout.starts_with("   ID  CHANNEL"), "{}", listed.stdout);
    assert!(listed.stdout.lines().skip(1).all(|l| l.contains("discourse")), "{}", listed.stdout);
    let conversation = conversation_with(dir, "discourse", "topic:").await;
    let target = messages(dir, conversation).await;
    let target = target.iter().rev().find(|m| m["direction"] == "inbound").unwrap().clone();

    sim.clear_requests();
    let text = "Looking into it right now, sorry for the trouble";
    let post = reply_end_to_end(dir, conversation, text).await;
    let sent = only_request(&sim.requests(), "POST", "/posts.json").json();
    let parent = sim.post(target["platform_id"].as_str().unwrap().parse().unwrap()).unwrap();
    assert_eq!(sent["raw"], text);
    assert_eq!(sent["topic_id"], parent["topic_id"]);
    assert_eq!(sent["reply_to_post_number"], parent["post_number"]);
    assert_eq!(sim.post(post.parse().unwrap()).unwrap()["raw"], text);

    sim.clear_requests();
    let queued = ok(dir, &["moderate", &target["id"].to_string(), "delete"]).await;
    assert!(queued.stdout.contains(": delete on conversation"), "{}", queued.stdout);
    let delete_id = outbox(dir, conversation).await[0]["id"].as_i64().unwrap();
    let (synced, line) = deliver(dir, delete_id).await;
    synced.assert_success();
    let deleted = target["platform_id"].as_str().unwrap();
    assert!(line.ends_with(&format!(": sent as {deleted}")), "{line}");
    only_request(&sim.requests(), "DELETE", &format!("/posts/{deleted}.json"));
    let hide = cli(dir, &["moderate", &target["id"].to_string(), "hide"]).await;
    assert!(hide.stderr.contains("hide is not supported on discourse"), "{}", hide.stderr);

    let again = ok(dir, &["sync", "--once"]).await;
    assert!(!again.stdout.contains("outbox "), "nothing is left to deliver: {}", again.stdout);
}

#[tokio::test]
async fn sync_once_with_no_deliver_leaves_a_queued_reply_queued() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let sim = synced_forum(dir, 1, 3).await;
    let conversation = conversation_with(dir, "discourse", "topic:").await;
    reply(dir, conversation, "We will get back to you").await;

    sim.clear_requests();
    let polled = ok(dir, &["sync", "--once", "--no-deliver"]).await;
    assert!(!polled.stdout.contains("outbox "), "{}", polled.stdout);
    assert!(sim.requests().iter().all(|r| r.method == "GET"), "only reads: {:#?}", sim.requests());
    assert_eq!(outbox(dir, conversation).await[0]["state"], "queued");
}
