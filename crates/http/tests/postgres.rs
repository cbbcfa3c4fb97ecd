//! Sign-in on PostgreSQL with two nodes on one database: a session opened on one node works on
//! the other, a token revoked on one stops on the other, the sign-in throttle counts failures from
//! both, and the audit log holds what either node changed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;
use trellis_app::identity::users::{self, NewUserInput};
use trellis_app::Principal;
use trellis_core::{Role, Store};
use trellis_http::{app, AppState, HttpSettings};

const PASSWORD: &str = "violet-harbour-quietly-87";

fn node(store: &Arc<dyn Store>, dir: &std::path::Path) -> axum::Router {
    let index = trellis_search::TantivyIndex::in_memory().unwrap();
    let connection = trellis_sync::ConnectionSettings::new(dir.to_owned(), Default::default());
    let settings = HttpSettings::new("127.0.0.1:8080".parse().unwrap(), connection);
    app(AppState::new(store.clone(), Arc::new(index), Arc::new(settings)))
}

async fn send(node: &axum::Router, request: Request<Body>) -> (StatusCode, Option<String>, Value) {
    let response = node.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("trellis_session="))
        .map(|value| value.split(';').next().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, cookie, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn request(method: &str, uri: &str, body: Option<Value>) -> axum::http::request::Builder {
    let builder = Request::builder().method(method).uri(uri).header(header::HOST, "127.0.0.1:8080");
    match body {
        Some(_) => builder.header(header::CONTENT_TYPE, "application/json"),
        None => builder,
    }
}

fn login(email: &str, password: &str) -> Request<Body> {
    let body = json!({"email": email, "password": password});
    request("POST", "/api/v1/auth/login", Some(body.clone()))
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn sessions_tokens_throttling_and_audit_hold_across_two_nodes_on_postgresql() {
    let Some(database) = trellis_store::testing::fresh_postgres_database().await.unwrap() else {
        eprintln!("SKIPPED: PostgreSQL is not reachable");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = trellis_store::connect(&database.url).await.unwrap();
    store.migrate().await.unwrap();
    let operator = Principal::operator();
    for (email, role) in [("admin@example.com", Role::Admin), ("agent@example.com", Role::Agent)] {
        let input = NewUserInput {
            email: email.into(),
            name: email.into(),
            role,
            password: Some(PASSWORD.into()),
        };
        users::create_user(store.as_ref(), &operator, input).await.unwrap();
    }
    let other_store = trellis_store::connect(&database.url).await.unwrap();
    let (a, b) = (node(&store, dir.path()), node(&other_store, dir.path()));

    // A session opened on node A is good on node B.
    let (status, cookie, me) = send(&a, login("agent@example.com", PASSWORD)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let cookie = cookie.unwrap();
    let on_b = request("GET", "/api/v1/auth/me", None)
        .header(header::COOKIE, format!("trellis_session={cookie}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&b, on_b).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], "agent@example.com");

    // A token made on A, revoked on B, stops on A.
    let (_, admin_cookie, admin) = send(&a, login("admin@example.com", PASSWORD)).await;
    let csrf = admin["csrf_token"].as_str().unwrap().to_owned();
    let create = json!({"name": "two nodes"});
    let made = request("POST", "/api/v1/tokens", Some(create.clone()))
        .header(header::COOKIE, format!("trellis_session={}", admin_cookie.unwrap()))
        .header("x-csrf-token", &csrf)
        .body(Body::from(create.to_string()))
        .unwrap();
    let (status, _, created) = send(&a, made).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["token"]["id"].as_i64().unwrap();
    let bearer = |method: &str, uri: &str| {
        request(method, uri, None)
            .header(header::AUTHORIZATION, format!("Bearer {secret}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&b, bearer("DELETE", &format!("/api/v1/tokens/{id}"))).await.0, StatusCode::OK);
    assert_eq!(send(&a, bearer("GET", "/api/v1/auth/me")).await.0, StatusCode::UNAUTHORIZED);

    // Failures on both nodes count together.
    for node in [&a, &b, &a] {
        let (status, _, _) = send(node, login("agent@example.com", "wrong-password-here")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, body) = send(&b, login("agent@example.com", PASSWORD)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");

    // The audit log, read on B, holds the token made and revoked through A and B.
    let admin_token = trellis_app::identity::tokens::create(
        store.as_ref(),
        &operator,
        store.find_user_by_email("admin@example.com").await.unwrap().unwrap().id,
        "audit reader",
        None,
    )
    .await
    .unwrap()
    .secret;
    let read = request("GET", "/api/v1/audit?entity=token", None)
        .header(header::AUTHORIZATION, format!("Bearer {admin_token}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, audit) = send(&b, read).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"token.created") && actions.contains(&"token.revoked"), "{audit}");
    database.cleanup().await.unwrap();
}
