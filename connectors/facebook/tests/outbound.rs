#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Outbound actions against the simulator: the exact calls made and what the platform did.

mod common;

use chrono::{Duration, Utc};
use common::*;
use trellis_connector_facebook::simulator::SimulatorConfig;
use trellis_core::{
    Channel, Connector, ConnectorError, DmTarget, FlagReason, OutboundAction, PlatformId,
};

fn id(value: &str) -> PlatformId {
    PlatformId::parse(value).unwrap()
}

#[tokio::test]
async fn a_reply_to_a_post_or_a_comment_posts_a_comment_with_the_message() {
    let sim = simulator(SimulatorConfig::default()).await;
    let ana = sim.add_person("Ana Souza");
    let post = sim.post_as(&ana, "order #123?", Utc::now()).unwrap();
    let comment = sim.comment_as(&ana, &post, None, "still waiting", Utc::now()).unwrap();
    let fb = connector();
    let access = access(&sim, TOKEN);

    let text = "Sorry! Sending you a DM 🙏";
    let on_post = OutboundAction::Reply { in_reply_to: id(&post), text: text.into() };
    let delivered = fb.deliver(&access, &on_post).await.unwrap();
    let created = sim.comment(delivered.platform_id.as_str()).unwrap();
    assert_eq!(created["message"], text);
    assert_eq!(created["from"]["id"], sim.page_id());
    assert_eq!(delivered.thread_platform_id.unwrap().as_str(), post);

    let on_comment = OutboundAction::Reply { in_reply_to: id(&comment), text: "On it!".into() };
    let delivered = fb.deliver(&access, &on_comment).await.unwrap();
    assert_eq!(sim.comment(delivered.platform_id.as_str()).unwrap()["parent"]["id"], comment);
    assert_eq!(delivered.thread_platform_id.unwrap().as_str(), post, "a comment id names its post");

    let sent = sim.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.clone()),
        ("POST", format!("/v19.0/{post}/comments"))
    );
    assert_eq!(sent[0].form()["message"], text);
    assert_eq!(sent[0].param("access_token"), Some(TOKEN));
    assert_eq!(sent[1].path, format!("/v19.0/{comment}/comments"));
}

#[tokio::test]
async fn a_messenger_send_inside_the_window_goes_out_as_a_response() {
    let sim = simulator(SimulatorConfig::default()).await;
    let person = sim.add_person("Yuki Tanaka");
    sim.message_from(&person, "is the store open?", Utc::now() - Duration::hours(2)).unwrap();
    let conversation = sim.conversation_with(&person).unwrap();
    let fb = connector();
    let access = access(&sim, TOKEN);

    let action = OutboundAction::DirectMessage {
        to: DmTarget::Participant(id(&person)),
        text: "Yes, until 8 pm ☕".into(),
    };
    let delivered = fb.deliver(&access, &action).await.unwrap();
    let message = sim.message(delivered.platform_id.as_str()).unwrap();
    assert_eq!(message["message"], "Yes, until 8 pm ☕");
    assert_eq!(message["conversation_id"], conversation);
    let sent = sim.requests();
    assert_eq!(sent[0].path, format!("/v19.0/{}/messages", sim.page_id()));
    assert_eq!(
        sent[0].json(),
        serde_json::json!({"recipient": {"id": person}, "messaging_type": "RESPONSE", "message": {"text": "Yes, until 8 pm ☕"}})
    );

    sim.clear_requests();
    let to_thread = OutboundAction::DirectMessage {
        to: DmTarget::Conversation(id(&conversation)),
        text: "Anything else?".into(),
    };
    let delivered = fb.deliver(&access, &to_thread).await.unwrap();
    assert_eq!(delivered.thread_platform_id.unwrap().as_str(), conversation);
    let sent = sim.requests();
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.clone()),
        ("GET", format!("/v19.0/{conversation}"))
    );
    assert_eq!(sent[0].param("fields"), Some("participants"));
    assert_eq!(sent[1].json()["recipient"]["id"], person.as_str());
}

#[tokio::test]
async fn a_messenger_send_outside_the_24_hour_window_is_refused_with_the_platforms_reason() {
    let sim = simulator(SimulatorConfig::default()).await;
    let person = sim.add_person("Kwame Mensah");
    sim.message_from(&person, "hello?", Utc::now() - Duration::hours(25)).unwrap();
    let fb = connector();
    let action = OutboundAction::DirectMessage {
        to: DmTarget::Participant(id(&person)),
        text: "Sorry for the wait".into(),
    };
    let error = fb.deliver(&access(&sim, TOKEN), &action).await.unwrap_err();
    assert!(!error.is_retryable(), "retrying cannot reopen the window");
    match error {
        ConnectorError::Refused { status, platform_reason } => {
            assert_eq!(status, 400);
            assert!(platform_reason.contains("outside of allowed window"), "{platform_reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn hide_unhide_and_delete_act_on_the_comment_and_flag_is_unsupported() {
    let sim = simulator(SimulatorConfig::default()).await;
    let ana = sim.add_person("Ana Souza");
    let post = sim.post_as(&ana, "hello", Utc::now()).unwrap();
    let comment = sim.comment_as(&ana, &post, None, "spam spam 🥫", Utc::now()).unwrap();
    let fb = connector();
    let access = access(&sim, TOKEN);

    fb.deliver(&access, &OutboundAction::Hide { id: id(&comment) }).await.unwrap();
    assert_eq!(sim.comment(&comment).unwrap()["is_hidden"], true);
    fb.deliver(&access, &OutboundAction::Unhide { id: id(&comment) }).await.unwrap();
    assert_eq!(sim.comment(&comment).unwrap()["is_hidden"], false);
    let delivered =
        fb.deliver(&access, &OutboundAction::Delete { id: id(&comment) }).await.unwrap();
    assert_eq!(delivered.platform_id.as_str(), comment);
    assert_eq!(sim.comment(&comment).unwrap()["deleted"], true);

    let sent = sim.requests();
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.clone()),
        ("POST", format!("/v19.0/{comment}"))
    );
    assert_eq!(sent[0].form()["is_hidden"], "true");
    assert_eq!(sent[1].form()["is_hidden"], "false");
    assert_eq!(
        (sent[2].method.as_str(), sent[2].path.clone()),
        ("DELETE", format!("/v19.0/{comment}"))
    );

    let again =
        fb.deliver(&access, &OutboundAction::Delete { id: id(&comment) }).await.unwrap_err();
    assert!(matches!(again, ConnectorError::Refused { status: 400, .. }), "{again:?}");

    sim.clear_requests();
    let flag = OutboundAction::Flag { id: id(&post), reason: FlagReason::Spam };
    let error = fb.deliver(&access, &flag).await.unwrap_err();
    assert_eq!(error, ConnectorError::Unsupported { channel: Channel::Facebook, action: "flag" });
    assert!(sim.requests().is_empty(), "nothing is sent for an unsupported action");
}

#[tokio::test]
async fn verify_names_the_page_the_token_belongs_to() {
    let sim = simulator(SimulatorConfig::default()).await;
    let identity = connector().verify(&access(&sim, TOKEN)).await.unwrap();
    assert_eq!(identity.platform_account_id, sim.page_id());
    assert_eq!(identity.display_name.as_deref(), Some("Acme Coffee"));
    let sent = sim.requests();
    assert_eq!(sent[0].path, "/v19.0/me");
    assert_eq!(sent[0].param("fields"), Some("id,name"));

    // Any API version is served, and a bearer header works as well as the query parameter.
    let mut newer = access(&sim, TOKEN);
    newer.base_url = sim.base_url().replace("v19.0", "v21.0");
    assert_eq!(connector().verify(&newer).await.unwrap().platform_account_id, sim.page_id());
    assert_eq!(sim.requests()[1].path, "/v21.0/me");
    let bearer = reqwest::Client::new()
        .get(format!("{}/me", sim.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200);
    assert_eq!(bearer.json::<serde_json::Value>().await.unwrap()["id"], sim.page_id());
}
