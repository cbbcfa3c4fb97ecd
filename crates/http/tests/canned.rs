//! Canned replies over HTTP: everyone reads them, supervisors write them, audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env};
use serde_json::json;

#[tokio::test]
async fn supervisors_write_canned_replies_agents_read_them_and_the_audit_log_keeps_them() {
    let env = env().await;
    let (agent, supervisor) = (env.token(&env.agent).await, env.token(&env.supervisor).await);
    let reply =
        json!({"shortcut": "/refund", "title": "Refund", "body": "We have refunded {{order}}."});
    let refused = call(Method::POST, "/api/v1/canned-replies")
        .bearer(&agent)
        .json(&reply)
        .send(&env.app)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let made = call(Method::POST, "/api/v1/canned-replies")
        .bearer(&supervisor)
        .json(&reply)
        .send(&env.app)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let taken = call(Method::POST, "/api/v1/canned-replies")
        .bearer(&supervisor)
        .json(&reply)
        .send(&env.app)
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let bad = json!({"shortcut": "refund", "title": "R", "body": "B"});
    let bad = call(Method::POST, "/api/v1/canned-replies")
        .bearer(&supervisor)
        .json(&bad)
        .send(&env.app)
        .await;
    assert_eq!(
        (bad.status, bad.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("shortcut"))
    );

    let uri = format!("/api/v1/canned-replies/{id}");
    let changed = call(Method::PATCH, &uri)
        .bearer(&supervisor)
        .json(&json!({"title": "Refund done"}))
        .send(&env.app)
        .await;
    assert_eq!(
        (changed.body["title"].as_str(), changed.body["shortcut"].as_str()),
        (Some("Refund done"), Some("/refund"))
    );
    let listed = call(Method::GET, "/api/v1/canned-replies").bearer(&agent).send(&env.app).await;
    assert_eq!(listed.body[0]["title"], "Refund done");
    let gone = call(Method::DELETE, &uri).bearer(&supervisor).send(&env.app).await;
    assert_eq!(gone.status, StatusCode::OK);
    assert_eq!(
        call(Method::DELETE, &uri).bearer(&supervisor).send(&env.app).await.status,
        StatusCode::NOT_FOUND
    );

    let actions = env.audit_actions("canned_reply").await;
    assert_eq!(actions, ["canned.deleted", "canned.updated", "canned.created"]);
}
