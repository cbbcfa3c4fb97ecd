#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Ten thousand mentions and DMs polled through a simulator that faults more than one request in
//! five: every message must arrive exactly as generated, once caught up, with correct cursors.

mod common;

use chrono::Utc;
use common::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use trellis_connector_x::simulator::{
    FaultConfig, FaultKind, Simulator, SimulatorConfig, TrafficSpec,
};
use trellis_connector_x::{OAuthClient, XConfig, XConnector, DM_EVENTS, MENTIONS};
use trellis_core::{Backoff, Connector, ConnectorError, NewMessage, PollRequest};

/// Stands in for the store: upsert by platform id, cursors saved with their batch.
#[derive(Default)]
struct FakeStore {
    messages: HashMap<String, NewMessage>,
    cursors: HashMap<String, String>,
    deliveries: u64,
}

/// How long a stream waits after an error, as the scheduler would decide; a dead token is
/// refreshed on the spot and the stream retried at once.
async fn recover(
    error: &ConnectorError,
    x: &XConnector,
    sim: &Simulator,
    token: &mut String,
    refresh: &mut String,
    attempt: u32,
) -> Duration {
    match error {
        ConnectorError::RateLimited { retry_at } => {
            let wait = (*retry_at - Utc::now()).to_std().unwrap_or_default();
            assert!(
                wait <= Duration::from_secs(2),
                "an injected limit resets within a second or two"
            );
            wait
        }
        ConnectorError::Transient { .. } => {
            let backoff = Backoff {
                base: chrono::Duration::milliseconds(5),
                cap: chrono::Duration::milliseconds(80),
            };
            backoff.delay(attempt).to_std().unwrap()
        }
        ConnectorError::Unauthorized { .. } => {
            let client = OAuthClient {
                client_id: "trellis-sim-client".into(),
                client_secret: Some("trellis-sim-secret".into()),
                redirect_uri: "http://localhost/cb".into(),
            };
            // The token endpoint is never faulted (only reads are), so one refresh suffices.
            let tokens = x.refresh_token(&sim.base_url(), &client, refresh).await.unwrap();
            *token = tokens.access_token;
            *refresh = tokens.refresh_token.unwrap();
            Duration::ZERO
        }
        other => panic!("a fault the scheduler cannot recover from: {other:?}"),
    }
}

/// Polls each stream on its own schedule, as the scheduler does (one stream waiting out a rate
/// limit does not hold back the other), until both have had a fault-free poll that read nothing.
/// A replayed empty page looks quiet too, so only a poll the simulator left alone counts.
async fn catch_up(
    x: &XConnector,
    sim: &Simulator,
    store: &mut FakeStore,
    token: &mut String,
    refresh: &mut String,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let streams = [MENTIONS, DM_EVENTS];
    let mut due = [tokio::time::Instant::now(); 2];
    let mut attempts = [0_u32; 2];
    let mut quiet = [false; 2];
    while !quiet.iter().all(|quiet| *quiet) {
        assert!(Instant::now() < deadline, "did not catch up in time");
        let next = if quiet[0] || (!quiet[1] && due[1] < due[0]) { 1 } else { 0 };
        tokio::time::sleep_until(due[next]).await;
        let faults_before = sim.fault_stats().total_injected();
        let mut request = request(sim, &store.cursors);
        request.access.credentials.access_token = token.clone();
        let error = match x.poll_stream(&PollRequest { ..request }, streams[next]).await {
            Ok(poll) => {
                quiet[next] = poll.messages.is_empty() && !poll.more && poll.interrupted.is_none();
                store.deliveries += poll.messages.len() as u64;
                for message in &poll.messages {
                    store.messages.insert(message.platform_id.as_str().to_owned(), message.clone());
                }
                commit(&mut store.cursors, &poll);
                poll.interrupted
            }
            Err(error) => Some(error),
        };
        quiet[next] &= sim.fault_stats().total_injected() == faults_before;
        let wait = match error {
            Some(error) => {
                attempts[next] += 1;
                recover(&error, x, sim, token, refresh, attempts[next]).await
            }
            None => {
                attempts[next] = 0;
                Duration::ZERO
            }
        };
        due[next] = tokio::time::Instant::now() + wait;
    }
}

fn assert_arrived_as_generated(
    sim: &Simulator,
    store: &FakeStore,
    mentions: &[String],
    dms: &[String],
) {
    assert_eq!(store.messages.len(), mentions.len() + dms.len(), "nothing missing, nothing extra");
    for id in mentions {
        let message =
            store.messages.get(id).unwrap_or_else(|| panic!("mention {id} never arrived"));
        let tweet = sim.tweet(id).unwrap();
        assert_eq!(message.text, tweet["text"]);
        assert_eq!(message.author.platform_id.as_str(), tweet["author_id"]);
        assert_eq!(message.thread_platform_id.as_ref().unwrap().as_str(), tweet["conversation_id"]);
        assert_eq!(
            message.parent_platform_id.as_ref().map(|p| p.as_str().to_owned()),
            tweet["referenced_tweets"][0]["id"].as_str().map(str::to_owned)
        );
        assert_eq!(message.raw["created_at"], tweet["created_at"]);
        assert!(message.author.handle.is_some(), "authors come with their handle");
    }
    for id in dms {
        let message = store.messages.get(id).unwrap_or_else(|| panic!("dm {id} never arrived"));
        let event = sim.dm_event(id).unwrap();
        assert_eq!(message.text, event["text"]);
        assert_eq!(message.author.platform_id.as_str(), event["sender_id"]);
        assert_eq!(
            message.thread_platform_id.as_ref().unwrap().as_str(),
            event["dm_conversation_id"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_arrive_exactly_once_through_a_fault_storm() {
    let started = Instant::now();
    let faults = FaultConfig {
        probability: 0.35,
        kinds: FaultKind::ALL.to_vec(),
        slow_delay: Duration::from_millis(400),
    };
    // Another seed replays a different storm: X_FAULT_SEED=7 cargo test -p trellis-connector-x --test faults
    let seed =
        std::env::var("X_FAULT_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or(2024);
    let mut config = SimulatorConfig { faults, seed, ..SimulatorConfig::default() };
    config.limits.mentions = 100_000;
    config.limits.dm_events = 100_000;
    let sim = simulator(config).await;
    let x = connector_with(XConfig {
        timeout: Duration::from_millis(150),
        max_pages_per_poll: 20,
        ..XConfig::default()
    });
    let mut store = FakeStore::default();
    let (mut token, mut refresh) = ("sim-access-token".to_owned(), "sim-refresh-token".to_owned());

    let now = Utc::now();
    let first = sim.generate(&TrafficSpec {
        mentions: 6_000,
        dms: 2_000,
        start: Some(now - chrono::Duration::days(2)),
        end: Some(now),
        ..TrafficSpec::default()
    });
    catch_up(&x, &sim, &mut store, &mut token, &mut refresh).await;
    assert_arrived_as_generated(&sim, &store, &first.mentions, &first.dms);

    let second = sim.generate(&TrafficSpec {
        mentions: 1_500,
        dms: 500,
        start: Some(Utc::now()),
        ..TrafficSpec::default()
    });
    catch_up(&x, &sim, &mut store, &mut token, &mut refresh).await;
    let mentions: Vec<String> = first.mentions.iter().chain(&second.mentions).cloned().collect();
    let dms: Vec<String> = first.dms.iter().chain(&second.dms).cloned().collect();
    assert_eq!(mentions.len() + dms.len(), 10_000);
    assert_arrived_as_generated(&sim, &store, &mentions, &dms);

    assert_eq!(
        &store.cursors[MENTIONS],
        second.mentions.last().unwrap(),
        "caught up on the newest mention"
    );
    assert_eq!(&store.cursors[DM_EVENTS], second.dms.last().unwrap(), "caught up on the newest dm");
    let stats = sim.fault_stats();
    let share = stats.total_injected() as f64 / stats.requests as f64;
    assert!(share >= 0.2, "faults injected in {share:.2} of requests: {stats:?}");
    for kind in FaultKind::ALL {
        assert!(
            stats.injected.get(&kind).copied().unwrap_or(0) > 0,
            "{kind:?} never injected: {stats:?}"
        );
    }
    eprintln!(
        "seed {seed}: {} requests, {} faults, {} deliveries for 10000 messages, {:?}",
        stats.requests,
        stats.total_injected(),
        store.deliveries,
        started.elapsed()
    );
}
