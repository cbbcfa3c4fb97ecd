//! Shared set-up: a simulator on a free port and a connector pointed at it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;
use trellis_connector_discourse::simulator::{Simulator, SimulatorConfig};
use trellis_connector_discourse::{DiscourseConfig, DiscourseConnector};
use trellis_core::{AccountAccess, AccountId, Credentials, PollRequest, StreamPoll};

pub async fn simulator(config: SimulatorConfig) -> Simulator {
    Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.unwrap()
}

pub fn connector() -> DiscourseConnector {
    connector_with(DiscourseConfig {
        timeout: Duration::from_secs(5),
        ..DiscourseConfig::default()
    })
}

pub fn connector_with(config: DiscourseConfig) -> DiscourseConnector {
    DiscourseConnector::new(config).unwrap()
}

pub fn access(simulator: &Simulator, key: &str) -> AccountAccess {
    AccountAccess {
        account_id: AccountId(1),
        platform_account_id: simulator.username().to_owned(),
        base_url: simulator.base_url(),
        credentials: Credentials { access_token: key.to_owned() },
    }
}

pub fn request(simulator: &Simulator, cursors: &HashMap<String, String>) -> PollRequest {
    PollRequest {
        access: access(simulator, &SimulatorConfig::default().api_key),
        cursors: cursors.clone(),
    }
}

/// Saves a poll's cursors as the store would, beside its messages.
pub fn commit(cursors: &mut HashMap<String, String>, poll: &StreamPoll) {
    for cursor in &poll.cursors {
        cursors.insert(cursor.stream.clone(), cursor.value.clone());
    }
}

pub fn ids(poll: &StreamPoll) -> Vec<u64> {
    poll.messages.iter().map(|m| m.platform_id.as_str().parse().unwrap()).collect()
}
