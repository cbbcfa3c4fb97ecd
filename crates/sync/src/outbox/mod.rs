//! The outbox: replies and moderation actions delivered to platforms durably.
//!
//! An action is a row first ([`queue`]: `queue_reply`, `queue_moderation`), so it survives a
//! restart; the [`worker`] claims due rows, delivers each through the account's connector and
//! records the outcome: sent with the platform's id, queued again for a retry (rate limits and
//! transient failures, with backoff, up to `max_attempts`), or failed with the platform's reason.
//! A sent reply also enters its conversation as an outbound message ([`deliver`]).

pub mod capabilities;
pub mod deliver;
pub mod queue;
pub mod worker;

use chrono::Duration;
use trellis_core::Backoff;

pub use queue::{queue_moderation, queue_moderation_for, queue_reply, Moderation, QueueError};
pub use worker::{deliver_due, spawn, OutboxHandle};

/// How the outbox worker runs.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// This node's name on claims.
    pub node_id: String,
    /// How long a claim holds before another worker may take the entry over (a crashed worker).
    pub claim_for: Duration,
    /// Entries claimed at once.
    pub batch: u32,
    /// Attempts after which a retryable failure becomes a failure for good.
    pub max_attempts: u32,
    /// Waits between retries, by attempt.
    pub backoff: Backoff,
    /// How long the worker sleeps at most with nothing due, to see entries queued by other nodes.
    pub idle_check: std::time::Duration,
}

impl OutboxSettings {
    pub fn new(node_id: String) -> Self {
        Self {
            node_id,
            claim_for: Duration::minutes(2),
            batch: 16,
            max_attempts: 8,
            backoff: Backoff::DEFAULT,
            idle_check: std::time::Duration::from_secs(5),
        }
    }
}
