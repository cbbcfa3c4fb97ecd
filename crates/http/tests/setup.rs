//! The first admin through the one-time setup link.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;
use trellis_app::identity::setup;
use trellis_http::{app, AppState, HttpSettings};

async fn send(app: &axum::Router, request: Request<Body>) -> (StatusCode, Option<String>, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let cookie = response.headers().get(header::SET_COOKIE).map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, cookie, String::from_utf8_lossy(&bytes).into_owned())
}

fn post_json(uri: &str, body: &Value) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        trellis_store::connect(&trellis_store::testing::temp_sqlite_url(dir.path())).await.unwrap();
    store.migrate().await.unwrap();
    let index = trellis_search::TantivyIndex::in_memory().unwrap();
    let connection =
        trellis_sync::ConnectionSettings::new(dir.path().to_owned(), Default::default());
    let settings = HttpSettings::new("127.0.0.1:8080".parse().unwrap(), connection);
    let app = app(AppState::new(store.clone(), Arc::new(index), Arc::new(settings)));

    let secret = setup::issue(store.as_ref()).await.unwrap().expect("no admin yet: a link");
    let (status, _, page) =
        send(&app, Request::get(format!("/setup?token={secret}")).body(Body::empty()).unwrap())
            .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Create the first admin") && page.contains(&secret), "{page}");

    let weak = json!({"token": secret, "email": "root@example.com", "name": "Root", "password": "password1"});
    let (status, _, body) = send(&app, post_json("/api/v1/setup", &weak)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let forged = json!({"token": "guessed", "email": "root@example.com", "name": "Root", "password": "copper-meadow-gently-19"});
    let (status, _, _) = send(&app, post_json("/api/v1/setup", &forged)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A weak password did not spend the link.
    let good = json!({"token": secret, "email": "root@example.com", "name": "Root", "password": "copper-meadow-gently-19"});
    let (status, cookie, body) = send(&app, post_json("/api/v1/setup", &good)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(cookie.unwrap().starts_with("trellis_session="));
    let admin: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(admin["role"], "admin");

    let (status, _, _) = send(&app, post_json("/api/v1/setup", &good)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        setup::issue(store.as_ref()).await.unwrap().is_none(),
        "an admin exists: no more links"
    );
}
