//! Starting and stopping the background sync tasks of a node: the polling scheduler and the
//! outbox worker, side by side.

use crate::outbox::{self, OutboxHandle, OutboxSettings};
use crate::scheduler::{self, SchedulerSettings, SyncHandle};
use crate::SyncContext;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The running sync tasks of this node and the handles the HTTP layer uses to reach them.
pub struct SyncRuntime {
    pub sync: SyncHandle,
    pub outbox: OutboxHandle,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl SyncRuntime {
    /// Starts the scheduler and the outbox worker under `node_id`; both stop on `shutdown`.
    pub fn start(ctx: SyncContext, node_id: String, shutdown: &CancellationToken) -> Self {
        let (sync, scheduler_task) = scheduler::spawn(
            ctx.clone(),
            SchedulerSettings::new(node_id.clone()),
            shutdown.child_token(),
        );
        let (outbox, outbox_task) =
            outbox::spawn(ctx, OutboxSettings::new(node_id), shutdown.child_token());
        Self {
            sync,
            outbox,
            tasks: vec![("sync-scheduler", scheduler_task), ("outbox-worker", outbox_task)],
        }
    }

    /// Waits for every task to end (after `shutdown` was cancelled), logging any that failed.
    pub async fn stopped(self) {
        for (task, handle) in self.tasks {
            match handle.await {
                Ok(()) => tracing::info!(task, "stopped"),
                Err(error) => tracing::error!(task, error = %error, "task failed"),
            }
        }
    }
}

/// This node's name in leases and outbox claims: the host name and the process id, so two
/// processes on one host never share leases.
pub fn node_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "node".to_owned());
    format!("{host}-{}", std::process::id())
}
