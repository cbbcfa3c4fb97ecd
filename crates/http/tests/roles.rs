//! Who may do what over HTTP, and the audit log of what admins changed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env};
use serde_json::json;

#[tokio::test]
async fn only_admins_create_users_change_roles_and_read_the_audit_log() {
    let env = env().await;
    let new_user = json!({"email": "new@example.com", "name": "New", "role": "agent", "password": "copper-meadow-gently-19"});
    for (user, allowed) in [(&env.agent, false), (&env.supervisor, false), (&env.admin, true)] {
        let token = env.token(user).await;
        let create =
            call(Method::POST, "/api/v1/users").bearer(&token).json(&new_user).send(&env.app).await;
        let audit = call(Method::GET, "/api/v1/audit").bearer(&token).send(&env.app).await;
        if allowed {
            assert_eq!(create.status, StatusCode::CREATED, "{}", create.body);
            assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
        } else {
            assert_eq!(
                (create.status, create.code()),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{}",
                user.email
            );
            assert!(create.body["error"]["message"].as_str().unwrap().contains("admin"));
            assert_eq!(audit.status, StatusCode::FORBIDDEN);
        }
    }
}

#[tokio::test]
async fn the_audit_log_says_who_changed_a_role_with_before_and_after() {
    let env = env().await;
    let token = env.token(&env.admin).await;
    let answer = call(Method::PATCH, &format!("/api/v1/users/{}", env.agent.id))
        .bearer(&token)
        .json(&json!({"role": "supervisor"}))
        .send(&env.app)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["role"], "supervisor");
    let audit =
        call(Method::GET, "/api/v1/audit?entity=user&limit=10").bearer(&token).send(&env.app).await;
    let entry = &audit.body["items"][0];
    assert_eq!(entry["action"], "user.role_changed", "{}", audit.body);
    assert_eq!(entry["before"]["role"], "agent");
    assert_eq!(entry["after"]["role"], "supervisor");
    assert_eq!(entry["actor_user_id"], env.admin.id.0);
    assert!(entry["actor_label"].as_str().unwrap().contains("token:"), "{entry}");
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted() {
    let env = env().await;
    let token = env.token(&env.admin).await;
    let answer = call(Method::PATCH, &format!("/api/v1/users/{}", env.admin.id))
        .bearer(&token)
        .json(&json!({"role": "agent"}))
        .send(&env.app)
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
}

#[tokio::test]
async fn agents_work_conversations_but_do_not_manage_accounts() {
    let env = env().await;
    let token = env.token(&env.agent).await;
    let list =
        call(Method::GET, "/api/v1/conversations?view=mine").bearer(&token).send(&env.app).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["items"], json!([]));
    let pause = call(Method::POST, "/api/v1/accounts/1/pause").bearer(&token).send(&env.app).await;
    assert_eq!(pause.status, StatusCode::FORBIDDEN);
    let start =
        call(Method::GET, "/api/v1/connect/x/start?brand_id=1").bearer(&token).send(&env.app).await;
    assert_eq!(start.status, StatusCode::FORBIDDEN);
    let accounts = call(Method::GET, "/api/v1/accounts").bearer(&token).send(&env.app).await;
    assert_eq!(accounts.status, StatusCode::OK);
}
