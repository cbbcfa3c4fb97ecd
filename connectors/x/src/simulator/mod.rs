//! A simulator of the X API v2: the same paths, bearer auth, paging, rate-limit headers, problem
//! bodies and OAuth token endpoint, over in-memory state, with a traffic generator and a fault
//! mode. Tests and `trellis demo` talk to it over real HTTP; nothing ever calls the real X.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use trellis_connector_x::simulator::{Simulator, SimulatorConfig, TrafficSpec};
//! let simulator = Simulator::start("127.0.0.1:0".parse().unwrap(), SimulatorConfig::default()).await?;
//! simulator.generate(&TrafficSpec { mentions: 500, dms: 100, ..TrafficSpec::default() });
//! println!("x api at {}", simulator.base_url());
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
pub use oauth::OAUTH_SCOPES;
pub use routes::Limits;
pub use traffic::{GeneratedTraffic, TrafficSpec};
pub use trellis_connector_kit::record::RecordedRequest;

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
