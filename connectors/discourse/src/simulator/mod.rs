//! A simulator of the Discourse API: the same paths, key auth (admin and user API keys), `before`
//! paging, the API-key rate limiter with `Retry-After`, Discourse's error bodies, and writes
//! accepting JSON, form-encoded and multipart bodies, over in-memory state, with a traffic
//! generator and a fault mode. Tests and `trellis demo` talk to it over real HTTP.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use trellis_connector_discourse::simulator::{Simulator, SimulatorConfig, TrafficSpec};
//! let simulator = Simulator::start("127.0.0.1:0".parse().unwrap(), SimulatorConfig::default()).await?;
//! simulator.generate(&TrafficSpec::default());
//! println!("discourse at {}", simulator.base_url());
//! # Ok(()) }
//! ```

mod body;
mod faults;
mod handle;
mod reads;
mod routes;
mod traffic;
mod world;
mod writes;

pub use faults::{FaultConfig, FaultKind, FaultStats};
pub use handle::{Simulator, SimulatorConfig};
pub use routes::Limits;
pub use traffic::{GeneratedTraffic, TrafficSpec};
pub use trellis_connector_kit::record::RecordedRequest;

use std::sync::{Arc, Mutex, MutexGuard};

/// The simulator's whole mutable state behind one lock, held for microseconds, never across an
/// await.
#[derive(Clone)]
pub(crate) struct Shared(Arc<Mutex<handle::Inner>>);

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, handle::Inner> {
        // A handler that panicked mid-update leaves state a test should still be able to inspect.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
