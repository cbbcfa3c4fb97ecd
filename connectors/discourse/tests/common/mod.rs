//! Shared set-up: a simulator on a free port and a connector pointed at it.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;
use trellis_connector_discourse::simulator::{Simulator, SimulatorConfig};
use trellis_connector_discourse::{DiscourseConfig, DiscourseConnector};
use trellis_connector_kit::testing;
pub use trellis_connector_kit::testing::commit;
use trellis_core::{AccountAccess, PollRequest, StreamPoll};

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
    testing::access(simulator.base_url(), simulator.username(), key)
}

pub fn request(simulator: &Simulator, cursors: &HashMap<String, String>) -> PollRequest {
    PollRequest {
        access: access(simulator, &SimulatorConfig::default().api_key),
        cursors: cursors.clone(),
    }
}

pub fn ids(poll: &StreamPoll) -> Vec<u64> {
    poll.messages.iter().map(|m| m.platform_id.as_str().parse().unwrap()).collect()
}
