#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Account Activity webhooks end to end: the simulator's CRC challenge against a receiver built on
//! the connector's helpers, signed deliveries ringing the doorbell, and a poll fetching the news.

mod common;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use common::*;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use trellis_connector_x::simulator::{SimulatorConfig, TrafficSpec};
use trellis_connector_x::webhook::{
    crc_response, streams_with_news, verify_signature, SIGNATURE_HEADER,
};
use trellis_connector_x::{DM_EVENTS, MENTIONS};
use trellis_core::Connector;

#[derive(Clone)]
struct Receiver {
    secret: String,
    account: String,
    rings: mpsc::UnboundedSender<Vec<&'static str>>,
}

async fn crc(
    State(receiver): State<Receiver>,
    Query(params): Query<HashMap<String, String>>,
) -> Json<serde_json::Value> {
    Json(crc_response(
        &receiver.secret,
        params.get("crc_token").map(String::as_str).unwrap_or_default(),
    ))
}

async fn delivery(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !verify_signature(&receiver.secret, &body, signature) {
        return StatusCode::FORBIDDEN;
    }
    let streams = streams_with_news(&body, &receiver.account).unwrap();
    receiver.rings.send(streams).unwrap();
    StatusCode::OK
}

/// A trellis-like webhook endpoint on a free port; returns its URL and the doorbell.
async fn receiver(
    secret: &str,
    account: &str,
) -> (String, mpsc::UnboundedReceiver<Vec<&'static str>>) {
    let (rings, rung) = mpsc::unbounded_channel();
    let state = Receiver { secret: secret.to_owned(), account: account.to_owned(), rings };
    let app = Router::new().route("/webhooks/x", get(crc).post(delivery)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/x", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rung)
}

#[tokio::test]
async fn a_signed_delivery_rings_for_new_mentions_and_dms_which_a_poll_then_fetches() {
    let mut sim = simulator(SimulatorConfig::default()).await;
    let (url, mut rung) = receiver("consumer-secret", sim.account_id()).await;
    sim.subscribe_webhook(&url, "consumer-secret").await.unwrap();

    let generated = sim.generate(&TrafficSpec { mentions: 5, dms: 2, ..TrafficSpec::default() });
    let streams = tokio::time::timeout(Duration::from_secs(5), rung.recv()).await.unwrap().unwrap();
    assert_eq!(streams, vec![MENTIONS, DM_EVENTS]);

    let x = connector();
    let mut fetched = Vec::new();
    for stream in streams {
        fetched.extend(ids(&x.poll_stream(&request(&sim, &HashMap::new()), stream).await.unwrap()));
    }
    let expected: Vec<String> = generated.mentions.iter().chain(&generated.dms).cloned().collect();
    assert_eq!(sorted(fetched), sorted(expected));
}

#[tokio::test]
async fn a_receiver_with_the_wrong_secret_fails_the_crc_check() {
    let mut sim = simulator(SimulatorConfig::default()).await;
    let (url, _rung) = receiver("not-the-secret", sim.account_id()).await;
    let error = sim.subscribe_webhook(&url, "consumer-secret").await.unwrap_err();
    assert!(error.contains("does not match"), "{error}");
}

#[tokio::test]
async fn a_forged_delivery_is_refused_by_the_receiver() {
    let (url, mut rung) = receiver("consumer-secret", "1").await;
    let forged = reqwest::Client::new()
        .post(&url)
        .header(SIGNATURE_HEADER, "sha256=AAAA")
        .body(r#"{"for_user_id":"1","tweet_create_events":[{}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(rung.try_recv().is_err());
}
