//! Teams and agents over HTTP: supervisors manage them (audited), everyone reads them, every
//! agent sets their own availability.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env};
use serde_json::json;

#[tokio::test]
async fn a_supervisor_builds_a_team_and_the_audit_log_says_so() {
    let env = env().await;
    let supervisor = env.token(&env.supervisor).await;
    let made = call(Method::POST, "/api/v1/teams")
        .bearer(&supervisor)
        .json(&json!({"name": "Billing"}))
        .send(&env.app)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let again = call(Method::POST, "/api/v1/teams")
        .bearer(&supervisor)
        .json(&json!({"name": "billing"}))
        .send(&env.app)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let member = json!({"user_id": env.agent.id.0});
    let added = call(Method::POST, &format!("/api/v1/teams/{id}/members"))
        .bearer(&supervisor)
        .json(&member)
        .send(&env.app)
        .await;
    assert_eq!(added.body["members"], json!([env.agent.id.0]), "{}", added.body);
    let settings =
        json!({"assignment": "balanced", "default_capacity": 7, "return_after_offline_secs": null});
    let changed = call(Method::PATCH, &format!("/api/v1/teams/{id}/settings"))
        .bearer(&supervisor)
        .json(&settings)
        .send(&env.app)
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["settings"]["assignment"], "balanced");
    assert_eq!(changed.body["settings"]["default_capacity"], 7);
    let out = call(Method::DELETE, &format!("/api/v1/teams/{id}/members/{}", env.agent.id.0))
        .bearer(&supervisor)
        .send(&env.app)
        .await;
    assert_eq!(out.body["members"], json!([]));
    let missing = call(Method::DELETE, &format!("/api/v1/teams/{id}/members/{}", env.agent.id.0))
        .bearer(&supervisor)
        .send(&env.app)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let actions = env.audit_actions("team").await;
    // Newest first; the test env's own "Support" team comes after.
    assert_eq!(
        actions[..4],
        ["team.member_removed", "team.settings_changed", "team.member_added", "team.created"]
    );
}

#[tokio::test]
async fn agents_set_their_own_availability_and_only_supervisors_set_others() {
    let env = env().await;
    let agent = env.token(&env.agent).await;
    let away = json!({"availability": "away"});
    let mine = call(Method::PUT, "/api/v1/me/availability")
        .bearer(&agent)
        .json(&away)
        .send(&env.app)
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert_eq!(mine.body["availability"], "away");
    let other = format!("/api/v1/agents/{}/availability", env.supervisor.id.0);
    let refused = call(Method::PUT, &other).bearer(&agent).json(&away).send(&env.app).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let supervisor = env.token(&env.supervisor).await;
    let capacity = format!("/api/v1/agents/{}/capacity", env.agent.id.0);
    let set = call(Method::PUT, &capacity)
        .bearer(&supervisor)
        .json(&json!({"capacity": 3}))
        .send(&env.app)
        .await;
    assert_eq!(set.body["capacity"], 3, "{}", set.body);
    let listed = call(Method::GET, "/api/v1/agents").bearer(&agent).send(&env.app).await;
    let me = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user_id"] == env.agent.id.0)
        .cloned()
        .unwrap();
    assert_eq!((me["availability"].as_str(), me["capacity"].as_i64()), (Some("away"), Some(3)));
}
