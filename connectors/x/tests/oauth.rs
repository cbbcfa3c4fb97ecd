#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Connecting and keeping an account connected: the PKCE code flow and the refresh grant against
//! the simulator, asserting the requests sent, and what each kind of token endpoint failure means.

mod common;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use common::*;
use std::collections::HashMap;
use trellis_connector_kit::record::RecordedRequest;
use trellis_connector_kit::serve::Served;
use trellis_connector_x::simulator::{SimulatorConfig, OAUTH_SCOPES};
use trellis_connector_x::{authorize_url, OAuthClient, Pkce};
use trellis_core::{Connector, ConnectorError};

fn client(secret: bool) -> OAuthClient {
    OAuthClient {
        client_id: "trellis-sim-client".into(),
        client_secret: secret.then(|| "trellis-sim-secret".into()),
        redirect_uri: "http://localhost:8080/oauth/x/callback".into(),
    }
}

fn token_requests(sent: Vec<RecordedRequest>) -> Vec<RecordedRequest> {
    sent.into_iter().filter(|r| r.path == "/2/oauth2/token").collect()
}

#[test]
fn the_authorize_url_asks_for_a_code_with_an_s256_challenge_and_every_scope() {
    let pkce = Pkce::new_random();
    assert_ne!(pkce.challenge, Pkce::new_random().challenge, "each attempt gets its own pair");
    assert!(!format!("{pkce:?}").contains(&pkce.verifier));
    let url = authorize_url("https://x.com", &client(true), OAUTH_SCOPES, "st-1", &pkce.challenge)
        .unwrap();
    assert_eq!(url.path(), "/i/oauth2/authorize");
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], "trellis-sim-client");
    assert_eq!(query["redirect_uri"], "http://localhost:8080/oauth/x/callback");
    assert_eq!(query["scope"], OAUTH_SCOPES);
    assert_eq!(query["state"], "st-1");
    assert_eq!(query["code_challenge"], pkce.challenge);
    assert_eq!(query["code_challenge_method"], "S256");
    assert!(!url.as_str().contains("trellis-sim-secret"));
}

#[tokio::test]
async fn the_pkce_code_flow_grants_a_working_token() {
    let sim = simulator(SimulatorConfig::default()).await;
    let pkce = Pkce::new_random();
    let browser =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let consent = |state: &str| {
        let url =
            authorize_url(&sim.base_url(), &client(false), OAUTH_SCOPES, state, &pkce.challenge)
                .unwrap();
        let browser = browser.clone();
        async move {
            let answer = browser.get(url).send().await.unwrap();
            assert!(answer.status().is_redirection());
            let callback = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
            assert!(callback.as_str().starts_with("http://localhost:8080/oauth/x/callback"));
            callback.query_pairs().into_owned().collect::<HashMap<String, String>>()
        }
    };
    let params = consent("state-123").await;
    assert_eq!(params["state"], "state-123");

    let x = connector();
    let wrong =
        x.exchange_code(&sim.base_url(), &client(false), &params["code"], "not-the-verifier").await;
    match wrong {
        Err(ConnectorError::Unauthorized { platform_reason }) => {
            assert!(platform_reason.starts_with("invalid_request: "), "{platform_reason}");
        }
        other => panic!("a wrong verifier needs a new authorization: {other:?}"),
    }
    let code = consent("s").await["code"].clone();
    sim.clear_requests();
    let tokens =
        x.exchange_code(&sim.base_url(), &client(false), &code, &pkce.verifier).await.unwrap();
    let identity = x.verify(&access(&sim, &tokens.access_token)).await.unwrap();
    assert_eq!(identity.platform_account_id, sim.account_id());

    let sent = token_requests(sim.requests());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].header("authorization"), None, "a public client sends no secret");
    let form = sent[0].form();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], code);
    assert_eq!(form["code_verifier"], pkce.verifier);
    assert_eq!(form["client_id"], "trellis-sim-client");
    assert_eq!(form["redirect_uri"], "http://localhost:8080/oauth/x/callback");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_refresh_token_rotates() {
    let sim = simulator(SimulatorConfig::default()).await;
    let x = connector();
    sim.expire_token("sim-access-token");
    let error = x.verify(&access(&sim, "sim-access-token")).await.unwrap_err();
    assert!(matches!(error, ConnectorError::Unauthorized { .. }));

    let tokens =
        x.refresh_token(&sim.base_url(), &client(true), "sim-refresh-token").await.unwrap();
    assert!(tokens.expires_at > Utc::now() + chrono::Duration::minutes(119));
    assert_eq!(tokens.scope, OAUTH_SCOPES);
    x.verify(&access(&sim, &tokens.access_token)).await.unwrap();
    let sent = token_requests(sim.requests()).remove(0);
    let basic = sent.header("authorization").unwrap().strip_prefix("Basic ").unwrap();
    use base64::Engine;
    let pair = base64::engine::general_purpose::STANDARD.decode(basic).unwrap();
    assert_eq!(pair, b"trellis-sim-client:trellis-sim-secret");
    assert_eq!(sent.header("content-type"), Some("application/x-www-form-urlencoded"));
    let form = sent.form();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "sim-refresh-token");
    assert!(!form.contains_key("client_secret"), "the secret travels only in the header");

    let spent =
        x.refresh_token(&sim.base_url(), &client(true), "sim-refresh-token").await.unwrap_err();
    assert!(
        matches!(spent, ConnectorError::Unauthorized { .. }),
        "a refresh token works once: {spent:?}"
    );
    let rotated = tokens.refresh_token.unwrap();
    assert_ne!(rotated, "sim-refresh-token");
    x.refresh_token(&sim.base_url(), &client(false), &rotated).await.unwrap();
}

/// A token endpoint that answers by the refresh token it is sent: each one a way to fail.
async fn failing_token_endpoint(reset_at: i64) -> Served {
    let answer = move |body: String| async move {
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        let json = |status, body: &'static str| -> Response {
            let mut response = (status, body).into_response();
            let kind = HeaderValue::from_static("application/json");
            response.headers_mut().insert(header::CONTENT_TYPE, kind);
            response
        };
        match form["refresh_token"].as_str() {
            "revoked" => json(
                StatusCode::BAD_REQUEST,
                r#"{"error":"invalid_grant","error_description":"Refresh token revoked"}"#,
            ),
            "throttled" => {
                let mut response =
                    json(StatusCode::TOO_MANY_REQUESTS, r#"{"title":"Too Many Requests"}"#);
                let reset = HeaderValue::from(reset_at);
                response.headers_mut().insert("x-rate-limit-reset", reset);
                response
            }
            "cut-short" => json(StatusCode::OK, r#"{"token_type":"bearer","access_tok"#),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "<html>Service Unavailable</html>")
                .into_response(),
        }
    };
    let app = axum::Router::new().route("/2/oauth2/token", post(answer));
    Served::bind("127.0.0.1:0".parse().unwrap(), app, "token-endpoint").await.unwrap()
}

#[tokio::test]
async fn each_token_endpoint_failure_means_what_the_scheduler_must_do() {
    let reset_at = Utc::now().timestamp() + 90;
    let endpoint = failing_token_endpoint(reset_at).await;
    let x = connector();
    let (base_url, client) = (endpoint.base_url(), client(true));
    let refresh = |token: &'static str| x.refresh_token(&base_url, &client, token);

    match refresh("revoked").await {
        Err(ConnectorError::Unauthorized { platform_reason }) => {
            assert_eq!(platform_reason, "invalid_grant: Refresh token revoked");
        }
        other => panic!("a revoked grant needs re-authorization: {other:?}"),
    }
    match refresh("throttled").await {
        Err(ConnectorError::RateLimited { retry_at }) => assert_eq!(retry_at.timestamp(), reset_at),
        other => panic!("a throttle waits for its reset: {other:?}"),
    }
    assert!(matches!(refresh("server-down").await, Err(ConnectorError::Transient { .. })));
    assert!(matches!(refresh("cut-short").await, Err(ConnectorError::Transient { .. })));
    endpoint.shutdown().await;
}
