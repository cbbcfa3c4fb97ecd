//! Where the server connects and redirects is never the request's to choose: a forum address an
//! admin gives is refused when it points into a private network (unless configured otherwise),
//! and the X and Facebook start routes send the admin only to the configured pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{header, Method, StatusCode};
use common::{call, env_with, Answer, Env};
use serde_json::json;
use trellis_http::HttpSettings;
use trellis_sync::secrets::Secret;

const X_AUTHORIZE: &str = "https://authorize.x.example";
const FACEBOOK_DIALOG: &str = "https://dialog.facebook.example/v19.0";

/// The apps configured with the given private-address setting.
fn configured(allow_private_addresses: bool) -> impl FnOnce(&mut HttpSettings) {
    move |settings| {
        let connection = &mut settings.connection;
        connection.sync.allow_private_addresses = allow_private_addresses;
        connection.x.client_id = Some("x-client".into());
        connection.x.redirect_url = Some("https://inbox.example/api/v1/connect/x/callback".into());
        connection.x.authorize_url = X_AUTHORIZE.into();
        connection.facebook.app_id = Some("fb-app".into());
        connection.facebook.app_secret = Some(Secret::new("fb-secret"));
        connection.facebook.redirect_url =
            Some("https://inbox.example/api/v1/connect/facebook/callback".into());
        connection.facebook.dialog_url = FACEBOOK_DIALOG.into();
    }
}

async fn admin_call(
    env: &Env,
    method: Method,
    uri: &str,
    body: Option<serde_json::Value>,
) -> Answer {
    let token = env.token(&env.admin).await;
    let request = call(method, uri).bearer(&token);
    match body {
        Some(body) => request.json(&body).send(&env.app).await,
        None => request.send(&env.app).await,
    }
}

async fn connect_forum(env: &Env, base_url: &str) -> Answer {
    let brand = env.store.create_brand(&format!("Brand for {base_url}")).await.unwrap();
    let body = json!({
        "brand_id": brand.id.0,
        "base_url": base_url,
        "username": "acme_support",
        "api_key": "a-key",
    });
    admin_call(env, Method::POST, "/api/v1/connect/discourse", Some(body)).await
}

#[tokio::test]
async fn a_forum_on_a_loopback_address_is_refused_naming_base_url_and_the_setting() {
    let env = env_with(configured(false)).await;

    let refused = connect_forum(&env, "http://127.0.0.1:9/").await;

    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(refused.code(), "invalid_field");
    assert_eq!(refused.body["error"]["field"], "base_url");
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("base_url resolves to a loopback address (127.0.0.1)"),
        "{message}"
    );
    assert!(message.contains("sync.allow_private_addresses"), "{message}");
    assert!(env.store.list_accounts().await.unwrap().is_empty());
}

#[tokio::test]
async fn metadata_private_and_mapped_addresses_and_other_schemes_are_refused_never_with_a_500() {
    let env = env_with(configured(false)).await;
    let cases = [
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://[::ffff:192.168.0.1]/", "private"),
        ("http://[fd00::1]:3000/", "private"),
        ("http://100.64.0.7/", "carrier-grade NAT"),
        ("http://localhost:9/", "loopback"),
        ("file:///etc/passwd", "http:// or https://"),
        ("https://admin:secret@forum.example/", "user name or password"),
        ("not a url", "is not a URL"),
    ];
    for (base_url, why) in cases {
        let refused = connect_forum(&env, base_url).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{base_url}: {}",
            refused.body
        );
        assert_eq!(refused.body["error"]["field"], "base_url", "{base_url}");
        let message = refused.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{base_url}: {message}");
        assert!(!message.contains("secret"), "{message}");
    }
}

#[tokio::test]
async fn allowing_private_addresses_lets_the_forum_address_through_to_the_connector() {
    let env = env_with(configured(true)).await;

    // Nothing listens on the discard port: the address passed, the forum is not there.
    let answer = connect_forum(&env, "http://127.0.0.1:9/").await;

    assert_ne!(answer.code(), "invalid_field", "{}", answer.body);
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{}", answer.body);
}

#[tokio::test]
async fn a_start_route_refuses_a_base_url_and_never_redirects_there() {
    let env = env_with(configured(false)).await;
    let brand = env.store.create_brand("Acme").await.unwrap();
    for platform in ["x", "facebook"] {
        let uri = format!(
            "/api/v1/connect/{platform}/start?brand_id={}&base_url=https%3A%2F%2Fevil.example",
            brand.id.0
        );

        let refused = admin_call(&env, Method::GET, &uri, None).await;

        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{platform}: {}", refused.body);
        assert_eq!(refused.code(), "invalid_parameter");
        assert!(refused.headers.get(header::LOCATION).is_none(), "{platform}");
        let message = refused.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("base_url"), "{message}");
        assert!(!refused.body.to_string().contains("evil.example/"), "{}", refused.body);
    }
}

#[tokio::test]
async fn a_start_route_redirects_to_the_configured_page_only() {
    let env = env_with(configured(false)).await;
    let brand = env.store.create_brand("Acme").await.unwrap();
    let cases = [
        ("x", format!("{X_AUTHORIZE}/i/oauth2/authorize?")),
        ("facebook", format!("{FACEBOOK_DIALOG}/dialog/oauth?")),
    ];
    for (platform, expected) in cases {
        let uri = format!("/api/v1/connect/{platform}/start?brand_id={}", brand.id.0);

        let started = admin_call(&env, Method::GET, &uri, None).await;

        assert_eq!(started.status, StatusCode::FOUND, "{platform}: {}", started.body);
        let location = started.headers[header::LOCATION].to_str().unwrap();
        assert!(location.starts_with(&expected), "{platform}: {location}");
    }
}
