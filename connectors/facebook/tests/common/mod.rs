//! Shared set-up for the Facebook connector tests: a simulator on a free port and a connector
//! pointed at it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;
use trellis_connector_facebook::simulator::{Simulator, SimulatorConfig, TrafficSpec};
use trellis_connector_facebook::{FacebookConfig, FacebookConnector};
use trellis_core::{AccountAccess, AccountId, Credentials, PollRequest, StreamPoll};

pub const TOKEN: &str = "sim-page-token";

pub async fn simulator(config: SimulatorConfig) -> Simulator {
    Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.unwrap()
}

pub fn config() -> FacebookConfig {
    FacebookConfig { timeout: Duration::from_secs(5), ..FacebookConfig::default() }
}

pub fn connector() -> FacebookConnector {
    FacebookConnector::new(config()).unwrap()
}

pub fn connector_with(config: FacebookConfig) -> FacebookConnector {
    FacebookConnector::new(config).unwrap()
}

pub fn access(simulator: &Simulator, token: &str) -> AccountAccess {
    AccountAccess {
        account_id: AccountId(1),
        platform_account_id: simulator.page_id().to_owned(),
        base_url: simulator.base_url(),
        credentials: Credentials { access_token: token.to_owned() },
    }
}

pub fn request(simulator: &Simulator, cursors: &HashMap<String, String>) -> PollRequest {
    PollRequest { access: access(simulator, TOKEN), cursors: cursors.clone() }
}

/// Saves a poll's cursors as the store would, beside its messages.
pub fn commit(cursors: &mut HashMap<String, String>, poll: &StreamPoll) {
    for cursor in &poll.cursors {
        cursors.insert(cursor.stream.clone(), cursor.value.clone());
    }
}

pub fn ids(poll: &StreamPoll) -> Vec<String> {
    let mut ids: Vec<String> =
        poll.messages.iter().map(|m| m.platform_id.as_str().to_owned()).collect();
    ids.sort();
    ids
}

pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// Traffic of one kind only, spread over the hour before a minute ago.
pub fn only(posts: usize, comments: usize, messages: usize) -> TrafficSpec {
    let now = chrono::Utc::now();
    TrafficSpec {
        posts,
        comments,
        messages,
        start: Some(now - chrono::Duration::hours(1)),
        end: Some(now - chrono::Duration::minutes(1)),
        edit_share: 0.0,
        hide_share: 0.0,
        delete_share: 0.0,
        ..TrafficSpec::default()
    }
}

/// The stored cursor of a stream as JSON.
pub fn cursor_json(cursors: &HashMap<String, String>, stream: &str) -> serde_json::Value {
    serde_json::from_str(&cursors[stream]).unwrap()
}
