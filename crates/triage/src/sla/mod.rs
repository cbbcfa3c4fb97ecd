//! SLA policies and clocks, computed from a conversation's history so they can be recomputed at
//! any time (after a policy edit, a restart, a late event). See [`history`] for the rules.

mod clock;
mod durations;
pub mod history;
mod policy;

pub use clock::{ClockState, ClockStatus};
pub use history::{evaluate, SlaEvent, SlaReport};
pub use policy::{Metric, PolicyError, SlaPolicy, SlaTargets};
