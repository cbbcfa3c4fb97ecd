#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulator as `trellis demo` uses it: live traffic and a clean stop.

mod common;

use common::*;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use trellis_connector_x::simulator::{SimulatorConfig, TrafficSpec};
use trellis_connector_x::MENTIONS;
use trellis_core::{Connector, ConnectorError};

#[tokio::test]
async fn a_trickle_keeps_new_mentions_coming_until_shutdown() {
    let mut sim = simulator(SimulatorConfig::default()).await;
    sim.start_trickle(
        Duration::from_millis(40),
        TrafficSpec { mentions: 3, dms: 1, ..TrafficSpec::default() },
    );
    let x = connector();
    let mut cursors = HashMap::new();
    let mut seen = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.len() < 9 {
        assert!(Instant::now() < deadline, "the trickle produced only {} mentions", seen.len());
        let poll = x.poll_stream(&request(&sim, &cursors), MENTIONS).await.unwrap();
        for id in ids(&poll) {
            assert!(seen.insert(id), "an incremental poll never repeats a mention");
        }
        commit(&mut cursors, &poll);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let access = access(&sim, "sim-access-token");
    let base_url = sim.base_url();
    sim.shutdown().await;
    let gone = x.verify(&trellis_core::AccountAccess { base_url, ..access }).await.unwrap_err();
    assert!(matches!(gone, ConnectorError::Transient { .. }), "{gone:?}");
}
