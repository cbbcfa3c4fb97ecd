//! Auto-assignment per team: round robin or balanced, within each agent's availability and
//! capacity, filling the queue the moment anyone has room.
//!
//! [`policy`] decides who takes what (pure, no IO); [`Assigner`] reads the team from the store,
//! asks the policy and writes the assignments with `assign_within_capacity`, so two nodes racing
//! never assign one conversation twice nor fill an agent past capacity. docs/triage.md ("Assignment") has the rules and an
//! example.

mod assigner;
pub mod policy;
mod takeback;

pub use assigner::Assigner;
pub use policy::{plan, Roster, Seat};

use trellis_core::StoreError;

/// What can go wrong while assigning: only the store can fail; the policy has no failure mode.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("assignment store call failed: {0}")]
    Store(#[from] StoreError),
}
