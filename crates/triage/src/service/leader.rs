//! Leadership across nodes: the follower, the SLA timer and the jobs act on shared data, so with
//! several `trellis serve` nodes on one PostgreSQL database exactly one node runs them — the one
//! holding the store's named lease `triage` (`WorkflowStore::acquire_named_lease`). The others
//! stand by and ask again every renewal interval; when the leader stops renewing (it died), the
//! lease expires and a standby takes over within the ttl. A node that releases the lease at
//! shutdown hands over at once.
//!
//! The leader renews at a third of the ttl. When a renewal says another node holds the lease,
//! or renewals keep failing until the lease may have run out, it stops its tasks at once: acting
//! without the lease is what would duplicate timeline entries, escalations and notifications.

use super::TriageService;
use chrono::Utc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The lease the triage tasks run under.
pub const LEASE_NAME: &str = "triage";

/// How long a taken lease lasts without renewal: the longest a standby waits after its leader died.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(15);

/// Who this node is in the lease and how long its lease lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leadership {
    /// This node's name in the lease; unique per running service.
    pub node_id: String,
    pub ttl: Duration,
}

impl Leadership {
    /// The host name, the process id and a per-process counter (two services in one process,
    /// as in tests, are two nodes), with the default ttl.
    pub fn for_this_node() -> Self {
        static INSTANCE: AtomicU64 = AtomicU64::new(0);
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "node".to_owned());
        let instance = INSTANCE.fetch_add(1, Ordering::Relaxed);
        Self {
            node_id: format!("{host}-{}-triage{instance}", std::process::id()),
            ttl: DEFAULT_LEASE_TTL,
        }
    }

    /// How often the holder renews (and a standby asks): a third of the ttl, so one lost
    /// renewal never lets the lease lapse.
    pub fn renew_every(&self) -> Duration {
        self.ttl / 3
    }
}

/// What one attempt to take or keep the lease found.
enum Lease {
    Held,
    HeldElsewhere,
    Unknown,
}

async fn try_lease(service: &TriageService, leadership: &Leadership) -> Lease {
    let ttl = chrono::Duration::from_std(leadership.ttl).unwrap_or(chrono::Duration::MAX);
    let store = service.store();
    match store.acquire_named_lease(LEASE_NAME, &leadership.node_id, Utc::now(), ttl).await {
        Ok(true) => Lease::Held,
        Ok(false) => Lease::HeldElsewhere,
        Err(error) => {
            tracing::warn!(%error, node = leadership.node_id, "cannot reach the triage lease");
            Lease::Unknown
        }
    }
}

/// Stands by until this node holds the lease, runs the triage tasks while it keeps it, and
/// stands by again when it loses it; until `cancel`, when it stops the tasks and releases the
/// lease.
pub(super) async fn run(service: TriageService, leadership: Leadership, cancel: CancellationToken) {
    let every = leadership.renew_every();
    let node = leadership.node_id.as_str();
    tracing::info!(
        node,
        ttl_ms = leadership.ttl.as_millis() as u64,
        "triage standing by for the lease"
    );
    loop {
        if let Lease::Held = try_lease(&service, &leadership).await {
            tracing::info!(node, "triage lease taken, this node runs triage");
            lead(&service, &leadership, &cancel).await;
            if cancel.is_cancelled() {
                break;
            }
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(every) => {}
        }
    }
    if let Err(error) = service.store().release_named_lease(LEASE_NAME, node).await {
        tracing::warn!(%error, node, "cannot release the triage lease; it expires by itself");
    }
}

/// Runs the tasks under a child token while renewals succeed; returns once they have stopped.
async fn lead(service: &TriageService, leadership: &Leadership, cancel: &CancellationToken) {
    let node = leadership.node_id.as_str();
    let every = leadership.renew_every();
    let term = cancel.child_token();
    let tasks = service.start_tasks(term.clone());
    // The lease surely holds until this instant; past it, another node may have taken it.
    let mut held_until = Instant::now() + leadership.ttl;
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(every) => {}
        }
        let asked_at = Instant::now();
        match try_lease(service, leadership).await {
            Lease::Held => held_until = asked_at + leadership.ttl,
            Lease::HeldElsewhere => {
                tracing::warn!(node, "triage lease taken by another node, stopping triage here");
                break;
            }
            // Keep acting only while a renewal could still come before the lease runs out.
            Lease::Unknown if Instant::now() + every >= held_until => {
                tracing::warn!(node, "triage lease may have expired, stopping triage here");
                break;
            }
            Lease::Unknown => {}
        }
    }
    term.cancel();
    if let Err(error) = tasks.await {
        tracing::error!(%error, node, "triage tasks failed");
    }
}
