//! Private notes with @mentions, and the notifications they make.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env, mention};
use serde_json::json;

#[tokio::test]
async fn a_note_mentioning_someone_is_on_the_timeline_and_notifies_them_only() {
    let env = env().await;
    let conversation = mention(&env).await;
    let agent = env.token(&env.agent).await;
    let note = json!({"text": "@supervisor can we refund this one? <b>urgent</b>"});
    let uri = format!("/api/v1/conversations/{conversation}/notes");
    let answer = call(Method::POST, &uri).bearer(&agent).json(&note).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["mentions"], json!([env.supervisor.id.0]));

    let detail = call(Method::GET, &format!("/api/v1/conversations/{conversation}"))
        .bearer(&agent)
        .send(&env.app)
        .await;
    let noted = detail.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "note")
        .cloned()
        .unwrap();
    assert_eq!(noted["detail"]["text"], "@supervisor can we refund this one? <b>urgent</b>");
    assert_eq!(noted["actor"]["id"], env.agent.id.0);
    let outbox = env.store.list_outbound(&Default::default()).await.unwrap();
    assert!(outbox.is_empty(), "a note never goes to the platform");

    let supervisor = env.token(&env.supervisor).await;
    let theirs = call(Method::GET, "/api/v1/notifications?unread=true")
        .bearer(&supervisor)
        .send(&env.app)
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    let items = theirs.body.as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", theirs.body);
    assert_eq!(items[0]["kind"], "mention");
    let id = items[0]["id"].as_i64().unwrap();
    let mine = call(Method::GET, "/api/v1/notifications").bearer(&agent).send(&env.app).await;
    assert_eq!(mine.body, json!([]));

    // Only the recipient can mark it read.
    let other = call(Method::POST, &format!("/api/v1/notifications/{id}/read"))
        .bearer(&agent)
        .send(&env.app)
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let read = call(Method::POST, &format!("/api/v1/notifications/{id}/read"))
        .bearer(&supervisor)
        .send(&env.app)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(read.body["read_at"].is_string());
    let unread = call(Method::GET, "/api/v1/notifications?unread=true")
        .bearer(&supervisor)
        .send(&env.app)
        .await;
    assert_eq!(unread.body, json!([]));
}

#[tokio::test]
async fn an_empty_note_is_refused_naming_the_field() {
    let env = env().await;
    let conversation = mention(&env).await;
    let agent = env.token(&env.agent).await;
    let uri = format!("/api/v1/conversations/{conversation}/notes");
    let answer =
        call(Method::POST, &uri).bearer(&agent).json(&json!({"text": "  "})).send(&env.app).await;
    assert_eq!((answer.status, answer.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    assert_eq!(answer.body["error"]["field"], "text");
}
