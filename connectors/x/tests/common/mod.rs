//! Shared set-up for the X connector tests: a simulator on a free port and a connector pointed at it.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;
use trellis_connector_kit::testing;
pub use trellis_connector_kit::testing::{commit, ids};
use trellis_connector_x::simulator::{Simulator, SimulatorConfig};
use trellis_connector_x::{XConfig, XConnector};
use trellis_core::{AccountAccess, PollRequest};

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
    testing::access(simulator.base_url(), simulator.account_id(), token)
}

pub fn request(simulator: &Simulator, cursors: &HashMap<String, String>) -> PollRequest {
    PollRequest {
        access: access(simulator, &SimulatorConfig::default().access_token),
        cursors: cursors.clone(),
    }
}

pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
    ids
}
