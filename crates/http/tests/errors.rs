//! One error body everywhere: unknown routes, bad path parameters, oversized and malformed bodies,
//! and hostile text stored verbatim and returned JSON-escaped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env};
use serde_json::json;

#[tokio::test]
async fn an_unknown_route_answers_the_error_body() {
    let env = env().await;
    let answer = call(Method::GET, "/api/v1/nothing-here").send(&env.app).await;
    assert_eq!((answer.status, answer.code()), (StatusCode::NOT_FOUND, "not_found"));
    let answer = call(Method::GET, "/no/such/page").send(&env.app).await;
    assert_eq!(answer.code(), "not_found");
}

#[tokio::test]
async fn an_unparseable_path_parameter_is_a_400_with_the_error_body() {
    let env = env().await;
    let token = env.token(&env.agent).await;
    let answer = call(Method::GET, "/api/v1/conversations/abc").bearer(&token).send(&env.app).await;
    assert_eq!((answer.status, answer.code()), (StatusCode::BAD_REQUEST, "invalid_parameter"));
}

#[tokio::test]
async fn an_oversized_body_is_413_and_malformed_json_400() {
    let env = env().await;
    let token = env.token(&env.admin).await;
    let huge = format!("{{\"name\":\"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let answer = call(Method::POST, "/api/v1/tokens")
        .bearer(&token)
        .raw("application/json", huge)
        .send(&env.app)
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let answer = call(Method::POST, "/api/v1/tokens")
        .bearer(&token)
        .raw("application/json", "{nope")
        .send(&env.app)
        .await;
    assert_eq!((answer.status, answer.code()), (StatusCode::BAD_REQUEST, "malformed_json"));
    let answer = call(Method::POST, "/api/v1/tokens")
        .bearer(&token)
        .raw("text/plain", "{}")
        .send(&env.app)
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn html_in_a_name_is_stored_verbatim_and_returned_escaped_as_json() {
    let env = env().await;
    let token = env.token(&env.admin).await;
    let hostile = "<script>alert('x')</script> & \"quotes\"";
    let answer = call(Method::POST, "/api/v1/tokens")
        .bearer(&token)
        .json(&json!({"name": hostile}))
        .send(&env.app)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["token"]["name"], hostile);
    let stored = env.store.api_tokens(Some(env.admin.id)).await.unwrap();
    assert!(stored.iter().any(|token| token.name == hostile));
}
