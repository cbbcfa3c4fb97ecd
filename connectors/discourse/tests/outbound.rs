#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Outbound actions over HTTP, asserting the calls made and what the forum did.

mod common;

use chrono::Utc;
use common::*;
use trellis_connector_discourse::simulator::SimulatorConfig;
use trellis_core::{Connector, ConnectorError, DmTarget, FlagReason, OutboundAction, PlatformId};

fn id(value: u64) -> PlatformId {
    PlatformId::parse(&value.to_string()).unwrap()
}

#[tokio::test]
async fn a_reply_answers_the_post_by_its_number_in_its_topic() {
    let sim = simulator(SimulatorConfig::default()).await;
    let (topic, opener) = sim
        .create_topic("marie_c", "Refund", "I would like a refund for order 42.", Utc::now())
        .unwrap();
    let access = access(&sim, "sim-api-key");
    let action = OutboundAction::Reply {
        in_reply_to: id(opener),
        text: "We have refunded order 42, sorry!".into(),
    };
    let delivered = connector().deliver(&access, &action).await.unwrap();
    assert_eq!(delivered.thread_platform_id, Some(id(topic)));
    let created = sim.post(delivered.platform_id.as_str().parse().unwrap()).unwrap();
    assert_eq!(created["username"], "acme_support");
    assert_eq!(created["reply_to_post_number"], 1);
    let post = sim.requests().into_iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(post.path, "/posts.json");
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(
        post.json(),
        serde_json::json!({"topic_id": topic, "raw": "We have refunded order 42, sorry!", "reply_to_post_number": 1})
    );
}

#[tokio::test]
async fn a_direct_message_to_a_person_opens_a_private_message_and_a_short_body_is_refused() {
    let sim = simulator(SimulatorConfig::default()).await;
    sim.add_user("kenji", "Kenji", 1);
    let access = access(&sim, "sim-api-key");
    let to = DmTarget::Participant(PlatformId::parse("kenji").unwrap());
    let action = OutboundAction::DirectMessage {
        to: to.clone(),
        text: "About your ticket\nWe found the cause.".into(),
    };
    let delivered = connector().deliver(&access, &action).await.unwrap();
    let body = sim.requests().last().unwrap().json();
    assert_eq!(body["archetype"], "private_message");
    assert_eq!(body["target_recipients"], "kenji");
    assert_eq!(body["title"], "About your ticket");
    let topic = delivered.thread_platform_id.unwrap();

    let follow_up = OutboundAction::DirectMessage {
        to: DmTarget::Conversation(topic.clone()),
        text: "Fixed now, thanks for waiting.".into(),
    };
    let again = connector().deliver(&access, &follow_up).await.unwrap();
    assert_eq!(again.thread_platform_id, Some(topic));

    let short = OutboundAction::DirectMessage { to, text: "ok".into() };
    let error = connector().deliver(&access, &short).await.unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Refused { status: 422, platform_reason } if platform_reason.contains("Body is too short")),
        "{error:?}"
    );
}

#[tokio::test]
async fn delete_flag_and_unhide_make_their_calls_and_hide_is_unsupported() {
    let sim = simulator(SimulatorConfig::default()).await;
    let (_, post) = sim
        .create_topic("oleg", "Spam", "Cheap watches at a totally real website.", Utc::now())
        .unwrap();
    let access = access(&sim, "sim-api-key");
    let discourse = connector();
    discourse
        .deliver(&access, &OutboundAction::Flag { id: id(post), reason: FlagReason::Spam })
        .await
        .unwrap();
    let flag = sim.requests().last().unwrap().clone();
    assert_eq!((flag.method.as_str(), flag.path.as_str()), ("POST", "/post_actions.json"));
    assert_eq!(flag.json(), serde_json::json!({"id": post, "post_action_type_id": 8}));
    assert_eq!(sim.post(post).unwrap()["hidden"], true);

    discourse.deliver(&access, &OutboundAction::Unhide { id: id(post) }).await.unwrap();
    let unhide = sim.requests().last().unwrap().clone();
    assert_eq!(
        (unhide.method.as_str(), unhide.path.as_str()),
        ("PUT", format!("/posts/{post}/unhide").as_str())
    );
    assert_eq!(sim.post(post).unwrap()["hidden"], false);

    discourse.deliver(&access, &OutboundAction::Delete { id: id(post) }).await.unwrap();
    let delete = sim.requests().last().unwrap().clone();
    assert_eq!(
        (delete.method.as_str(), delete.path.as_str()),
        ("DELETE", format!("/posts/{post}.json").as_str())
    );
    assert!(!sim.post(post).unwrap()["deleted_at"].is_null());

    let hide =
        discourse.deliver(&access, &OutboundAction::Hide { id: id(post) }).await.unwrap_err();
    assert!(matches!(hide, ConnectorError::Unsupported { action: "hide", .. }));
    let missing =
        discourse.deliver(&access, &OutboundAction::Delete { id: id(999_999) }).await.unwrap_err();
    assert!(matches!(missing, ConnectorError::Refused { status: 404, .. }), "{missing:?}");
}
