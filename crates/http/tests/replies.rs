//! Replies over HTTP: the platform's limits checked when queued, and the collision answer when
//! someone else answered since the sender opened the conversation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use common::{call, env, mention};
use serde_json::json;

#[tokio::test]
async fn a_reply_too_long_for_x_is_refused_when_queued_naming_the_field() {
    let env = env().await;
    let conversation = mention(&env).await;
    let token = env.token(&env.agent).await;
    let uri = format!("/api/v1/conversations/{conversation}/replies");
    let long = json!({"text": "a".repeat(281)});
    let answer = call(Method::POST, &uri).bearer(&token).json(&long).send(&env.app).await;
    assert_eq!((answer.status, answer.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    assert_eq!(answer.body["error"]["field"], "text");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("280"));
    let queued = env.store.list_outbound(&Default::default()).await.unwrap();
    assert!(queued.is_empty(), "nothing is queued: {queued:?}");
}

#[tokio::test]
async fn a_reply_after_someone_elses_answers_409_with_it_unless_confirmed() {
    let env = env().await;
    let conversation = mention(&env).await;
    let uri = format!("/api/v1/conversations/{conversation}/replies");
    let opened_at = Utc::now() - Duration::seconds(1);

    // The supervisor answers first.
    let supervisor = env.token(&env.supervisor).await;
    let first = json!({"text": "Sorry Dana, looking into it now", "loaded_at": opened_at});
    let answer = call(Method::POST, &uri).bearer(&supervisor).json(&first).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);

    // The agent, who opened the conversation before that, is told.
    let agent = env.token(&env.agent).await;
    let second = json!({"text": "Hi Dana, we are on it", "loaded_at": opened_at});
    let answer = call(Method::POST, &uri).bearer(&agent).json(&second).send(&env.app).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::CONFLICT, "reply_collision"),
        "{}",
        answer.body
    );
    let other = &answer.body["error"]["reply"];
    assert_eq!(other["text"], "Sorry Dana, looking into it now");
    assert_eq!(other["by"]["id"], env.supervisor.id.0);
    assert_eq!(env.store.list_outbound(&Default::default()).await.unwrap().len(), 1);

    // Opened after the other answer: no collision. Confirmed: sent anyway.
    let fresh = json!({"text": "Hi Dana, a follow-up", "loaded_at": Utc::now()});
    let answer = call(Method::POST, &uri).bearer(&agent).json(&fresh).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    let confirmed =
        json!({"text": "Hi Dana, we are on it", "loaded_at": opened_at, "confirm": true});
    let answer = call(Method::POST, &uri).bearer(&agent).json(&confirmed).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    assert_eq!(env.store.list_outbound(&Default::default()).await.unwrap().len(), 3);
}

#[tokio::test]
async fn ones_own_earlier_reply_is_no_collision() {
    let env = env().await;
    let conversation = mention(&env).await;
    let uri = format!("/api/v1/conversations/{conversation}/replies");
    let opened_at = Utc::now() - Duration::seconds(1);
    let agent = env.token(&env.agent).await;
    let first = json!({"text": "Hi Dana, on it", "loaded_at": opened_at});
    assert_eq!(
        call(Method::POST, &uri).bearer(&agent).json(&first).send(&env.app).await.status,
        StatusCode::ACCEPTED
    );
    let second = json!({"text": "Hi Dana, found it: shipped today", "loaded_at": opened_at});
    let answer = call(Method::POST, &uri).bearer(&agent).json(&second).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
}
