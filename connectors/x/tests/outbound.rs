#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Outbound actions against the simulator, asserted by the exact request sent.

mod common;

use common::*;
use serde_json::json;
use trellis_connector_x::simulator::{SimulatorConfig, TrafficSpec};
use trellis_core::{
    Channel, Connector, ConnectorError, DmTarget, FlagReason, OutboundAction, PlatformId,
};

fn id(value: &str) -> PlatformId {
    PlatformId::parse(value).unwrap()
}

/// A fresh mention (not itself a reply) to answer.
fn a_mention(sim: &trellis_connector_x::simulator::Simulator) -> String {
    sim.generate(&TrafficSpec { mentions: 1, dms: 0, reply_share: 0.0, ..TrafficSpec::default() })
        .mentions[0]
        .clone()
}

#[tokio::test]
async fn a_reply_posts_the_text_under_the_tweet_and_appears_in_its_thread() {
    let sim = simulator(SimulatorConfig::default()).await;
    let mention = a_mention(&sim);
    sim.clear_requests();

    let delivered = connector()
        .deliver(
            &access(&sim, "sim-access-token"),
            &OutboundAction::Reply {
                in_reply_to: id(&mention),
                text: "Sorry about that! Check your DMs 💬".into(),
            },
        )
        .await
        .unwrap();

    let sent = sim.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].method.as_str(), sent[0].path.as_str()), ("POST", "/2/tweets"));
    assert_eq!(sent[0].header("authorization"), Some("Bearer sim-access-token"));
    assert_eq!(sent[0].header("content-type"), Some("application/json"));
    assert_eq!(
        sent[0].json(),
        json!({"text": "Sorry about that! Check your DMs 💬", "reply": {"in_reply_to_tweet_id": mention}})
    );
    let reply = sim.tweet(delivered.platform_id.as_str()).unwrap();
    assert_eq!(reply["author_id"], sim.account_id());
    assert_eq!(reply["conversation_id"], mention.as_str());
    assert_eq!(reply["referenced_tweets"][0], json!({"type": "replied_to", "id": mention}));
}

#[tokio::test]
async fn a_reply_to_a_deleted_tweet_is_refused_for_good() {
    let sim = simulator(SimulatorConfig::default()).await;
    let error = connector()
        .deliver(
            &access(&sim, "sim-access-token"),
            &OutboundAction::Reply { in_reply_to: id("42"), text: "hello".into() },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Refused { status: 403, platform_reason } if platform_reason.contains("deleted")),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn direct_messages_go_to_a_participant_or_into_a_conversation() {
    let sim = simulator(SimulatorConfig::default()).await;
    let dm = sim
        .generate(&TrafficSpec {
            mentions: 0,
            dms: 1,
            outbound_dm_share: 0.0,
            ..TrafficSpec::default()
        })
        .dms[0]
        .clone();
    let customer = sim.dm_event(&dm).unwrap()["sender_id"].as_str().unwrap().to_owned();
    let x = connector();
    let access = access(&sim, "sim-access-token");
    sim.clear_requests();

    let first = x
        .deliver(
            &access,
            &OutboundAction::DirectMessage {
                to: DmTarget::Participant(id(&customer)),
                text: "Hi! Could you share your order number?".into(),
            },
        )
        .await
        .unwrap();
    let conversation = first.thread_platform_id.clone().unwrap();
    let second = x
        .deliver(
            &access,
            &OutboundAction::DirectMessage {
                to: DmTarget::Conversation(conversation.clone()),
                text: "Refund sent ✅".into(),
            },
        )
        .await
        .unwrap();

    let sent = sim.requests();
    assert_eq!(sent[0].path, format!("/2/dm_conversations/with/{customer}/messages"));
    assert_eq!(sent[0].json(), json!({"text": "Hi! Could you share your order number?"}));
    assert_eq!(sent[1].path, format!("/2/dm_conversations/{conversation}/messages"));
    assert_eq!(sent[1].json(), json!({"text": "Refund sent ✅"}));
    assert!(sent.iter().all(
        |r| r.method == "POST" && r.header("authorization") == Some("Bearer sim-access-token")
    ));
    let mut participants = [sim.account_id().to_owned(), customer.clone()];
    participants.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
    assert_eq!(conversation.as_str(), participants.join("-"));
    for delivered in [first, second] {
        let event = sim.dm_event(delivered.platform_id.as_str()).unwrap();
        assert_eq!(event["sender_id"], sim.account_id());
        assert_eq!(event["dm_conversation_id"], conversation.as_str());
    }
}

#[tokio::test]
async fn hiding_and_unhiding_a_reply_puts_the_hidden_flag() {
    let sim = simulator(SimulatorConfig::default()).await;
    let mention = a_mention(&sim);
    let x = connector();
    let access = access(&sim, "sim-access-token");
    let post = x
        .deliver(
            &access,
            &OutboundAction::Reply { in_reply_to: id(&mention), text: "Fixed now!".into() },
        )
        .await
        .unwrap();
    let customer = sim.tweet(&mention).unwrap()["author_id"].as_str().unwrap().to_owned();
    let rude = sim
        .post_as(&customer, "@acme you are the worst 🤬", Some(post.platform_id.as_str()))
        .unwrap();
    // The brand's reply is in a conversation rooted at the customer's tweet: only replies in the
    // brand's own conversations can be hidden, so start one.
    let own_post = sim.post_as(sim.account_id(), "Tell us about your weekend ☀️", None).unwrap();
    let under_own = sim.post_as(&customer, "@acme spam spam spam", Some(&own_post)).unwrap();
    sim.clear_requests();

    x.deliver(&access, &OutboundAction::Hide { id: id(&under_own) }).await.unwrap();
    assert_eq!(sim.tweet(&under_own).unwrap()["hidden"], true);
    x.deliver(&access, &OutboundAction::Unhide { id: id(&under_own) }).await.unwrap();
    assert_eq!(sim.tweet(&under_own).unwrap()["hidden"], false);
    let refused = x.deliver(&access, &OutboundAction::Hide { id: id(&rude) }).await.unwrap_err();
    assert!(matches!(refused, ConnectorError::Refused { status: 403, .. }), "{refused:?}");

    let sent = sim.requests();
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.clone()),
        ("PUT", format!("/2/tweets/{under_own}/hidden"))
    );
    assert_eq!(sent[0].json(), json!({"hidden": true}));
    assert_eq!(sent[1].json(), json!({"hidden": false}));
}

#[tokio::test]
async fn deleting_works_on_own_tweets_only() {
    let sim = simulator(SimulatorConfig::default()).await;
    let mention = a_mention(&sim);
    let x = connector();
    let access = access(&sim, "sim-access-token");
    let own = x
        .deliver(
            &access,
            &OutboundAction::Reply { in_reply_to: id(&mention), text: "oops, typo".into() },
        )
        .await
        .unwrap();
    sim.clear_requests();

    let deleted =
        x.deliver(&access, &OutboundAction::Delete { id: own.platform_id.clone() }).await.unwrap();
    assert_eq!(deleted.platform_id, own.platform_id);
    assert_eq!(sim.tweet(own.platform_id.as_str()).unwrap()["deleted"], true);
    let sent = &sim.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.clone()),
        ("DELETE", format!("/2/tweets/{}", own.platform_id))
    );
    assert!(sent.body.is_empty());

    let theirs =
        x.deliver(&access, &OutboundAction::Delete { id: id(&mention) }).await.unwrap_err();
    assert!(matches!(theirs, ConnectorError::Refused { status: 403, .. }), "{theirs:?}");
}

#[tokio::test]
async fn flagging_is_unsupported_on_x_and_calls_nothing() {
    let sim = simulator(SimulatorConfig::default()).await;
    let error = connector()
        .deliver(
            &access(&sim, "sim-access-token"),
            &OutboundAction::Flag { id: id("1"), reason: FlagReason::Spam },
        )
        .await
        .unwrap_err();
    assert_eq!(error, ConnectorError::Unsupported { channel: Channel::X, action: "flag" });
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn verify_names_the_account_behind_the_token() {
    let sim = simulator(SimulatorConfig::default()).await;
    let identity = connector().verify(&access(&sim, "sim-access-token")).await.unwrap();
    assert_eq!(identity.platform_account_id, sim.account_id());
    assert_eq!(identity.handle.as_deref(), Some("acme"));
    assert_eq!(sim.requests()[0].path, "/2/users/me");
}
