//! Signing in, sessions, CSRF, API tokens, throttling and the same answer for every refused
//! sign-in, through the HTTP app.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env, env_with, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn the_api_needs_a_session_or_a_token_but_health_stays_open() {
    let env = env().await;
    let answer = call(Method::GET, "/api/v1/conversations").send(&env.app).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "unauthenticated");
    assert!(answer.headers.contains_key("www-authenticate"));
    let answer = call(Method::GET, "/healthz").send(&env.app).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = call(Method::GET, "/api/v1/conversations")
        .bearer("trellis_pat_made_up")
        .send(&env.app)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = call(Method::GET, "/api/v1/conversations")
        .header("authorization", "Basic YTpi")
        .send(&env.app)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("Bearer"));
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_get_the_same_answer() {
    let env = env().await;
    let wrong = json!({"email": "agent@example.com", "password": "not-the-password-at-all"});
    let unknown = json!({"email": "nobody@example.com", "password": PASSWORD});
    let wrong = call(Method::POST, "/api/v1/auth/login").json(&wrong).send(&env.app).await;
    let unknown = call(Method::POST, "/api/v1/auth/login").json(&unknown).send(&env.app).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!(wrong.code(), "invalid_credentials");
    assert!(wrong.session_cookie().is_none());
}

#[tokio::test]
async fn a_session_cookie_reads_and_changes_only_with_its_csrf_token_from_this_origin() {
    let env = env().await;
    let (session, csrf) = env.sign_in(&env.agent).await;
    let me = call(Method::GET, "/api/v1/auth/me").cookie(&session).send(&env.app).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["email"], "agent@example.com");
    assert_eq!(me.body["csrf_token"], csrf.as_str());

    let token = json!({"name": "laptop"});
    let bare =
        call(Method::POST, "/api/v1/tokens").cookie(&session).json(&token).send(&env.app).await;
    assert_eq!((bare.status, bare.code()), (StatusCode::FORBIDDEN, "forbidden"));
    assert!(bare.body["error"]["message"].as_str().unwrap().contains("csrf"));
    let forged = call(Method::POST, "/api/v1/tokens")
        .cookie(&session)
        .header("x-csrf-token", &csrf)
        .header("origin", "https://evil.example")
        .json(&token)
        .send(&env.app)
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong = call(Method::POST, "/api/v1/tokens")
        .cookie(&session)
        .header("x-csrf-token", "guessed")
        .json(&token)
        .send(&env.app)
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let good = call(Method::POST, "/api/v1/tokens")
        .cookie(&session)
        .header("x-csrf-token", &csrf)
        .header("origin", "http://127.0.0.1:8080")
        .json(&token)
        .send(&env.app)
        .await;
    assert_eq!(good.status, StatusCode::CREATED, "{}", good.body);
}

#[tokio::test]
async fn bearer_requests_need_no_csrf_token() {
    let env = env().await;
    let token = env.token(&env.agent).await;
    let answer = call(Method::POST, "/api/v1/tokens")
        .bearer(&token)
        .json(&json!({"name": "ci"}))
        .send(&env.app)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert!(answer.body["secret"].as_str().unwrap().starts_with("trellis_pat_"));
    assert!(answer.body["token"].get("token_hash").is_none());
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let env = env().await;
    let (session, csrf) = env.sign_in(&env.agent).await;
    let out = call(Method::POST, "/api/v1/auth/logout")
        .cookie(&session)
        .header("x-csrf-token", &csrf)
        .send(&env.app)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let after = call(Method::GET, "/api/v1/auth/me").cookie(&session).send(&env.app).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let env = env_with(|settings| {
        settings.auth.sessions.idle = chrono::Duration::milliseconds(1);
    })
    .await;
    let (session, _) = env.sign_in(&env.agent).await;
    // The session's idle time (1 ms) is over by the time the next request is read.
    let after = call(Method::GET, "/api/v1/auth/me").cookie(&session).send(&env.app).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert!(after.body["error"]["message"].as_str().unwrap().contains("sign in again"));
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_but_keeps_this_one() {
    let env = env().await;
    let (elsewhere, _) = env.sign_in(&env.agent).await;
    let (here, csrf) = env.sign_in(&env.agent).await;
    let change = json!({"current_password": PASSWORD, "new_password": "amber-lantern-softly-42"});
    let answer = call(Method::POST, "/api/v1/auth/password")
        .cookie(&here)
        .header("x-csrf-token", &csrf)
        .json(&change)
        .send(&env.app)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    let here = call(Method::GET, "/api/v1/auth/me").cookie(&here).send(&env.app).await;
    assert_eq!(here.status, StatusCode::OK);
    let elsewhere = call(Method::GET, "/api/v1/auth/me").cookie(&elsewhere).send(&env.app).await;
    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
    let old = json!({"email": "agent@example.com", "password": PASSWORD});
    let old = call(Method::POST, "/api/v1/auth/login").json(&old).send(&env.app).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_weak_new_password_is_refused_naming_the_field() {
    let env = env().await;
    let token = env.token(&env.agent).await;
    let change = json!({"current_password": PASSWORD, "new_password": "password123"});
    let answer = call(Method::POST, "/api/v1/auth/password")
        .bearer(&token)
        .json(&change)
        .send(&env.app)
        .await;
    assert_eq!((answer.status, answer.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    assert_eq!(answer.body["error"]["field"], "password");
}

#[tokio::test]
async fn repeated_failures_are_slowed_down_even_for_the_right_password() {
    let env = env().await;
    let wrong = json!({"email": "agent@example.com", "password": "not-the-password-at-all"});
    for _ in 0..3 {
        let answer = call(Method::POST, "/api/v1/auth/login").json(&wrong).send(&env.app).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let right = json!({"email": "agent@example.com", "password": PASSWORD});
    let answer = call(Method::POST, "/api/v1/auth/login").json(&right).send(&env.app).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
    );
    let retry_after: u64 = answer.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // Another account is not slowed down by this one's failures.
    let other = json!({"email": "supervisor@example.com", "password": PASSWORD});
    let answer = call(Method::POST, "/api/v1/auth/login").json(&other).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    let env = env().await;
    let token = env.token(&env.agent).await;
    let mine = call(Method::GET, "/api/v1/tokens").bearer(&token).send(&env.app).await;
    assert_eq!(mine.status, StatusCode::OK);
    let id = mine.body[0]["id"].as_i64().unwrap();
    let revoke =
        call(Method::DELETE, &format!("/api/v1/tokens/{id}")).bearer(&token).send(&env.app).await;
    assert_eq!(revoke.status, StatusCode::OK, "{}", revoke.body);
    assert!(revoke.body["revoked_at"].is_string());
    let after = call(Method::GET, "/api/v1/tokens").bearer(&token).send(&env.app).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn someone_elses_token_is_not_found_to_an_agent_but_revocable_by_an_admin() {
    let env = env().await;
    let agent = env.token(&env.agent).await;
    let supervisor = env.token(&env.supervisor).await;
    let theirs = call(Method::GET, "/api/v1/tokens").bearer(&supervisor).send(&env.app).await;
    let id = theirs.body[0]["id"].as_i64().unwrap();
    let answer =
        call(Method::DELETE, &format!("/api/v1/tokens/{id}")).bearer(&agent).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let all = call(Method::GET, "/api/v1/tokens?all=true").bearer(&agent).send(&env.app).await;
    assert_eq!(all.status, StatusCode::FORBIDDEN);
    let admin = env.token(&env.admin).await;
    let answer =
        call(Method::DELETE, &format!("/api/v1/tokens/{id}")).bearer(&admin).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_deactivated_users_sessions_and_tokens_stop_working() {
    let env = env().await;
    let (session, _) = env.sign_in(&env.agent).await;
    let token = env.token(&env.agent).await;
    let admin = env.token(&env.admin).await;
    let answer = call(Method::PATCH, &format!("/api/v1/users/{}", env.agent.id))
        .bearer(&admin)
        .json(&json!({"active": false}))
        .send(&env.app)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.body["deactivated_at"].is_string());
    assert_eq!(
        call(Method::GET, "/api/v1/auth/me").cookie(&session).send(&env.app).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(Method::GET, "/api/v1/auth/me").bearer(&token).send(&env.app).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = json!({"email": "agent@example.com", "password": PASSWORD});
    let login = call(Method::POST, "/api/v1/auth/login").json(&login).send(&env.app).await;
    assert_eq!(login.code(), "invalid_credentials");
}
