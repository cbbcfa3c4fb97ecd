//! A simulator of the Graph API for a Page: the same paths under any `/v{N}.{M}` prefix, token
//! checks (`access_token` parameter or `Authorization: Bearer`), time- and cursor-based paging,
//! usage headers, error envelopes, Facebook Login endpoints and signed webhook deliveries, over
//! in-memory state, with a traffic generator and a fault mode. Tests and `trellis demo` talk to
//! it over real HTTP; nothing ever calls the real Facebook.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use trellis_connector_facebook::simulator::{Simulator, SimulatorConfig, TrafficSpec};
//! let simulator = Simulator::start("127.0.0.1:0".parse().unwrap(), SimulatorConfig::default()).await?;
//! simulator.generate(&TrafficSpec { posts: 50, comments: 500, messages: 200, ..TrafficSpec::default() });
//! println!("graph api at {}", simulator.base_url());
//! # Ok(()) }
//! ```

mod faults;
mod handle;
mod oauth;
mod reads;
mod routes;
mod traffic;
mod webhooks;
mod world;
mod writes;

pub use faults::{FaultConfig, FaultKind, FaultStats};
pub use handle::{Simulator, SimulatorConfig};
pub use routes::Limits;
pub use traffic::{GeneratedTraffic, TrafficSpec};
pub use trellis_connector_kit::record::RecordedRequest;
pub use webhooks::SignedDelivery;

use std::sync::{Arc, Mutex, MutexGuard};

/// The simulator's whole mutable state behind one lock. Handlers hold it for microseconds and
/// never across an await.
#[derive(Clone)]
pub(crate) struct Shared(Arc<Mutex<handle::Inner>>);

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, handle::Inner> {
        // A handler that panicked mid-update leaves state a test should still be able to inspect.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
