//! Shared set-up for the X connector tests: a simulator on a free port and a connector pointed at it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;
use trellis_connector_x::simulator::{Simulator, SimulatorConfig};
use trellis_connector_x::{XConfig, XConnector};
use trellis_core::{AccountAccess, AccountId, Credentials, PollRequest, StreamPoll};

pub async fn simulator(config: SimulatorConfig) -> Simulator {
    Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.unwrap()
}

pub fn connector() -> XConnector {
    connector_with(XConfig { timeout: Duration::from_secs(5), ..XConfig::default() })
}

pub fn connector_with(config: XConfig) -> XConnector {
    XConnector::new(config).unwrap()
}

pub fn access(simulator: &Simulator, token: &str) -> AccountAccess {
    AccountAccess {
        account_id: AccountId(1),
        platform_account_id: simulator.account_id().to_owned(),
        base_url: simulator.base_url(),
        credentials: Credentials { access_token: token.to_owned() },
    }
}

pub fn request(simulator: &Simulator, cursors: &HashMap<String, String>) -> PollRequest {
    PollRequest {
        access: access(simulator, &SimulatorConfig::default().access_token),
        cursors: cursors.clone(),
    }
}

/// Saves a poll's cursors as the store would, beside its messages.
pub fn commit(cursors: &mut HashMap<String, String>, poll: &StreamPoll) {
    for cursor in &poll.cursors {
        cursors.insert(cursor.stream.clone(), cursor.value.clone());
    }
}

pub fn ids(poll: &StreamPoll) -> Vec<String> {
    poll.messages.iter().map(|m| m.platform_id.as_str().to_owned()).collect()
}

pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
    ids
}
