#![allow(clippy::unwrap_used, clippy::expect_used)]
//! How platform failures surface: rate limits, expired tokens, problem bodies and transient
//! faults. Recovering from an expired token is in `oauth.rs`.

mod common;

use chrono::Utc;
use common::*;
use std::collections::HashMap;
use std::time::Duration;
use trellis_connector_x::simulator::{FaultConfig, FaultKind, SimulatorConfig, TrafficSpec};
use trellis_connector_x::{XConfig, DM_EVENTS, MENTIONS};
use trellis_core::{Connector, ConnectorError};

fn limited(mentions: u32) -> SimulatorConfig {
    let mut config = SimulatorConfig::default();
    config.limits.mentions = mentions;
    config
}

fn only(kind: FaultKind) -> FaultConfig {
    FaultConfig { probability: 1.0, kinds: vec![kind], slow_delay: Duration::from_millis(800) }
}

#[tokio::test]
async fn an_exhausted_window_is_rate_limited_until_the_stated_reset() {
    let sim = simulator(limited(2)).await;
    sim.generate(&TrafficSpec { mentions: 10, dms: 0, ..TrafficSpec::default() });
    let x = connector();
    let cursors = HashMap::new();
    let first = x.poll_stream(&request(&sim, &cursors), MENTIONS).await.unwrap();
    let budget = first.rate_limit.unwrap();
    assert_eq!((budget.limit, budget.remaining), (Some(2), Some(1)));
    let reset = budget.reset_at.unwrap();
    assert!(
        reset > Utc::now() + chrono::Duration::minutes(14),
        "a 15-minute window, reset {reset}"
    );
    x.poll_stream(&request(&sim, &cursors), MENTIONS).await.unwrap();

    let error = x.poll_stream(&request(&sim, &cursors), MENTIONS).await.unwrap_err();
    assert_eq!(error, ConnectorError::RateLimited { retry_at: reset });
    let answered = sim.requests().len();
    assert_eq!(answered, 3);
}

#[tokio::test]
async fn a_bad_token_needs_reauthorization_and_stops_the_other_streams() {
    let sim = simulator(SimulatorConfig::default()).await;
    let x = connector();
    let mut request = request(&sim, &HashMap::new());
    request.access.credentials.access_token = "revoked".into();

    let outcome = x.poll(&request).await;

    assert_eq!(outcome.streams.len(), 1, "no point asking for DMs with a dead token");
    assert!(
        matches!(outcome.first_error(), Some(ConnectorError::Unauthorized { platform_reason }) if platform_reason == "Unauthorized")
    );
    assert!(x.verify(&request.access).await.is_err());
}

#[tokio::test]
async fn out_of_range_parameters_answer_a_problem_object() {
    let sim = simulator(SimulatorConfig::default()).await;
    let response = reqwest::Client::new()
        .get(format!("{}/2/users/{}/mentions?max_results=1000", sim.base_url(), sim.account_id()))
        .bearer_auth("sim-access-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    assert!(
        response.headers().contains_key("x-rate-limit-remaining"),
        "a refused request still spends the budget"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["type"], "https://api.twitter.com/2/problems/invalid-request");
    assert!(problem["detail"].as_str().unwrap().contains("between 5 and 100"));
}

#[tokio::test]
async fn server_errors_slow_answers_and_cut_bodies_are_transient() {
    let sim = simulator(SimulatorConfig::default()).await;
    sim.generate(&TrafficSpec { mentions: 10, dms: 10, ..TrafficSpec::default() });
    let x = connector_with(XConfig { timeout: Duration::from_millis(200), ..XConfig::default() });
    for kind in [FaultKind::ServerError, FaultKind::Slow, FaultKind::TruncatedJson] {
        sim.set_faults(only(kind));
        for stream in [MENTIONS, DM_EVENTS] {
            let error = x.poll_stream(&request(&sim, &HashMap::new()), stream).await.unwrap_err();
            assert!(
                matches!(error, ConnectorError::Transient { .. }),
                "{kind:?} on {stream}: {error:?}"
            );
        }
    }
    assert_eq!(sim.fault_stats().total_injected(), 6);
}

#[tokio::test]
async fn an_injected_rate_limit_retries_after_its_one_second_reset() {
    let sim = simulator(SimulatorConfig::default()).await;
    sim.set_faults(only(FaultKind::RateLimited));
    let before = Utc::now();
    let error =
        connector().poll_stream(&request(&sim, &HashMap::new()), MENTIONS).await.unwrap_err();
    let ConnectorError::RateLimited { retry_at } = error else { panic!("{error:?}") };
    assert!(retry_at > before && retry_at <= before + chrono::Duration::seconds(2), "{retry_at}");
}
