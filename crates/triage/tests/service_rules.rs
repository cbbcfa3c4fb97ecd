//! The rules, run by the triage service from the change feed on a real SQLite store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod service_common;

use serde_json::json;
use service_common::*;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use trellis_core::{
    Actor, CannedReplyInput, Direction, OutboundAction, OutboxFilter, RuleRecordId, Seq, TagName,
};
use trellis_triage::service::{RuleTarget, TriageService, FOLLOWER_NAME};

fn tag(name: &str) -> TagName {
    TagName::parse(name).unwrap()
}

#[tokio::test]
async fn rules_run_on_inbound_messages_and_their_timeline_names_the_rule() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    let refunds = rule(
        store,
        "Refunds to billing",
        json!({
            "conditions": { "conditions": [ { "type": "text_contains", "any_of": ["refund"] } ] },
            "actions": [ { "type": "add_tag", "tag": "billing" }, { "type": "set_priority", "priority": "high" } ]
        }),
    )
    .await;
    let inbound =
        ingest(store, &account, tweet("100", "100", Direction::Inbound, "I want a refund", ago(1)))
            .await;
    let outbound = ingest(
        store,
        &account,
        tweet("200", "200", Direction::Outbound, "Your refund is on its way", ago(1)),
    )
    .await;

    let service = TriageService::new(db.store.clone());
    service.catch_up().await.unwrap();

    let conversation = store.get_conversation(inbound.conversation_id).await.unwrap();
    assert_eq!(conversation.tags, [tag("billing")]);
    assert_eq!(conversation.priority, trellis_core::Priority::High);
    let by_rule = Actor::Rule { id: refunds.id, name: "Refunds to billing".to_owned() };
    for kind in ["tagged", "priority_changed"] {
        let events = timeline_kinds(store, conversation.id, kind).await;
        assert_eq!(events.len(), 1, "{kind}");
        assert_eq!(events[0].event.actor, by_rule, "{kind}");
    }
    let untouched = store.get_conversation(outbound.conversation_id).await.unwrap();
    assert!(untouched.tags.is_empty(), "an outbound message triggered a rule");
    assert_eq!(
        store.follower_position(FOLLOWER_NAME).await.unwrap(),
        store.latest_seq().await.unwrap()
    );
}

#[tokio::test]
async fn a_matching_rule_with_stop_processing_ends_the_run() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    rule(
        store,
        "Spam",
        json!({
            "conditions": { "conditions": [ { "type": "text_contains", "any_of": ["crypto"] } ] },
            "actions": [ { "type": "add_tag", "tag": "spam" } ],
            "stop_processing": true
        }),
    )
    .await;
    rule(store, "Everything", json!({ "actions": [ { "type": "add_tag", "tag": "seen" } ] })).await;
    let spam =
        ingest(store, &account, tweet("1", "1", Direction::Inbound, "free crypto", ago(1))).await;
    let normal =
        ingest(store, &account, tweet("2", "2", Direction::Inbound, "hello", ago(1))).await;

    TriageService::new(db.store.clone()).catch_up().await.unwrap();

    assert_eq!(store.get_conversation(spam.conversation_id).await.unwrap().tags, [tag("spam")]);
    assert_eq!(store.get_conversation(normal.conversation_id).await.unwrap().tags, [tag("seen")]);
}

#[tokio::test]
async fn a_bad_rule_is_skipped_and_the_others_still_run() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    rule(
        store,
        "Broken regex",
        json!({
            "conditions": { "conditions": [ { "type": "text_matches_regex", "pattern": "(" } ] },
            "actions": [ { "type": "add_tag", "tag": "broken" } ]
        }),
    )
    .await;
    rule(store, "Unknown action", json!({ "actions": [ { "type": "launch_rockets" } ] })).await;
    rule(store, "Everything", json!({ "actions": [ { "type": "add_tag", "tag": "seen" } ] })).await;
    let message =
        ingest(store, &account, tweet("1", "1", Direction::Inbound, "(hello", ago(1))).await;

    TriageService::new(db.store.clone()).catch_up().await.unwrap();

    assert_eq!(store.get_conversation(message.conversation_id).await.unwrap().tags, [tag("seen")]);
}

#[tokio::test]
async fn a_restarted_service_resumes_from_its_position_without_reapplying_or_missing() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    rule(store, "Everything", json!({ "actions": [ { "type": "add_tag", "tag": "seen" } ] })).await;
    let first = ingest(store, &account, tweet("1", "1", Direction::Inbound, "one", ago(2))).await;
    let service = TriageService::new(db.store.clone());
    service.catch_up().await.unwrap();
    drop(service);

    // Ingested while no service runs.
    let second = ingest(store, &account, tweet("2", "2", Direction::Inbound, "two", ago(1))).await;
    let restarted = TriageService::new(db.store.clone());
    let position = restarted.catch_up().await.unwrap();

    assert_eq!(position, store.latest_seq().await.unwrap());
    assert_eq!(store.get_conversation(second.conversation_id).await.unwrap().tags, [tag("seen")]);
    assert_eq!(timeline_kinds(store, first.conversation_id, "tagged").await.len(), 1);
    assert_eq!(timeline_kinds(store, second.conversation_id, "tagged").await.len(), 1);
}

#[tokio::test]
async fn a_canned_reply_and_a_moderation_flag_happen_once_even_when_the_feed_is_replayed() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    let reply = store
        .create_canned_reply(CannedReplyInput {
            shortcut: "/thanks".into(),
            title: "Thanks".into(),
            body: "Thanks, we are on it".into(),
        })
        .await
        .unwrap();
    let responder = rule(
        store,
        "Acknowledge",
        json!({ "actions": [
            { "type": "send_canned_reply", "canned_reply_id": reply.id },
            { "type": "flag_for_moderation", "reason": "check tone" }
        ] }),
    )
    .await;
    let message =
        ingest(store, &account, tweet("1", "1", Direction::Inbound, "hello?", ago(1))).await;
    let service = TriageService::new(db.store.clone());
    service.catch_up().await.unwrap();
    // As if the service had crashed before saving its position: everything is replayed.
    store.save_follower_position(FOLLOWER_NAME, Seq(0)).await.unwrap();
    service.catch_up().await.unwrap();
    service.run_rules_on(RuleTarget::Conversation(message.conversation_id)).await.unwrap();

    let filter = OutboxFilter {
        account: None,
        conversation: Some(message.conversation_id),
        state: None,
        limit: 10,
    };
    let queued = store.list_outbound(&filter).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].idempotency_key, format!("rule:{}:message:{}", responder.id, message.id));
    assert_eq!(
        queued[0].action,
        OutboundAction::Reply {
            in_reply_to: message.platform_id.clone(),
            text: reply.body.clone()
        }
    );
    assert_eq!(
        queued[0].requested_by,
        Actor::Rule { id: RuleRecordId(responder.id.0), name: "Acknowledge".into() }
    );
    let flags = timeline_kinds(store, message.conversation_id, "flagged_for_moderation").await;
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].event.detail["reason"], "check tone");
}

#[tokio::test]
async fn the_spawned_service_follows_the_feed_and_reloads_edited_rules() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    let cancel = CancellationToken::new();
    let handle = TriageService::spawn(db.store.clone(), cancel.clone());

    let first = ingest(store, &account, tweet("1", "1", Direction::Inbound, "hello", ago(1))).await;
    // The first run created the defaults; the Spam rule is disabled, so nothing is tagged yet.
    eventually(Duration::from_secs(10), "the first message's SLA", || async {
        store.conversation_sla(first.conversation_id).await.unwrap()
    })
    .await;
    assert!(store.get_conversation(first.conversation_id).await.unwrap().tags.is_empty());

    rule(store, "Everything", json!({ "actions": [ { "type": "add_tag", "tag": "seen" } ] })).await;
    let second =
        ingest(store, &account, tweet("2", "2", Direction::Inbound, "hello again", ago(1))).await;
    eventually(Duration::from_secs(10), "the new rule to tag the second message", || async {
        let tags = store.get_conversation(second.conversation_id).await.unwrap().tags;
        (tags == [tag("seen")]).then_some(())
    })
    .await;

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), handle).await.unwrap().unwrap();
}
