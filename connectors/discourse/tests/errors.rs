#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Auth, rate limits and secrets over HTTP.

mod common;

use chrono::Utc;
use common::*;
use std::collections::HashMap;
use std::time::Duration;
use trellis_connector_discourse::simulator::{Limits, SimulatorConfig};
use trellis_connector_discourse::{ApiAuth, POSTS};
use trellis_core::{Connector, ConnectorError};

#[tokio::test]
async fn a_bad_key_is_unauthorized_and_never_shows_in_errors_or_debug() {
    let sim = simulator(SimulatorConfig::default()).await;
    let access = access(&sim, "wrong-s3cret-key");
    let mut request = request(&sim, &HashMap::new());
    request.access = access.clone();
    let error = connector().poll_stream(&request, POSTS).await.unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Unauthorized { platform_reason } if platform_reason == "The API username or key is invalid."),
        "{error:?}"
    );
    for printed in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{access:?}"),
        format!("{request:?}"),
        format!("{:?}", connector()),
    ] {
        assert!(!printed.contains("s3cret"), "{printed}");
    }
}

#[tokio::test]
async fn verify_names_the_keys_user_and_user_api_keys_use_their_headers() {
    let sim = simulator(SimulatorConfig::default()).await;
    let identity = connector().verify(&access(&sim, "sim-api-key")).await.unwrap();
    assert_eq!(identity.platform_account_id, "acme_support");
    assert_eq!(identity.display_name.as_deref(), Some("Acme Support"));

    let key = sim.grant_user_api_key("trellis-client", "acme_support");
    let credentials =
        ApiAuth::UserKey { client_id: "trellis-client".into(), key: key.clone() }.to_credentials();
    let mut access = access(&sim, "");
    access.credentials = credentials;
    sim.clear_requests();
    connector().verify(&access).await.unwrap();
    let sent = &sim.requests()[0];
    assert_eq!(sent.path, "/session/current.json");
    assert_eq!(sent.header("user-api-key"), Some(key.as_str()));
    assert_eq!(sent.header("user-api-client-id"), Some("trellis-client"));
    assert_eq!(sent.header("api-key"), None);
}

#[tokio::test]
async fn the_key_limiter_answers_429_with_retry_after_and_the_poll_says_when_to_return() {
    let config = SimulatorConfig {
        limits: Limits { window: Duration::from_secs(60), requests_per_window: 3 },
        ..SimulatorConfig::default()
    };
    let sim = simulator(config).await;
    sim.create_topic("marie_c", "Hello", "A first post to read in the forum.", Utc::now()).unwrap();
    let discourse = connector();
    let request = request(&sim, &HashMap::new());
    // A first poll reads the one page and the empty page below it: two requests.
    discourse.poll_stream(&request, POSTS).await.unwrap();
    discourse.verify(&request.access).await.unwrap();
    let before = Utc::now();
    let error = discourse.poll_stream(&request, POSTS).await.unwrap_err();
    let ConnectorError::RateLimited { retry_at } = error else { panic!("{error:?}") };
    let wait = (retry_at - before).num_seconds();
    assert!((50..=61).contains(&wait), "waits for the window: {wait}s");
    let refused = sim.requests().last().unwrap().clone();
    assert_eq!(refused.path, "/posts.json");
}
