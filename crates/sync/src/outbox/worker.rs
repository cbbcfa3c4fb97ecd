//! The outbox worker: a named task that sleeps until the next entry is due (or until woken by a
//! new entry), claims due entries and delivers them.

use super::deliver::deliver;
use super::OutboxSettings;
use crate::SyncContext;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::time::Duration as StdDuration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use trellis_core::{OutboxItem, StoreError, StoreResult};

/// Wakes the worker when something was queued on this node. The default handle wakes nothing
/// (no worker runs here); the entry is then delivered by whichever node's worker sees it due.
#[derive(Debug, Clone, Default)]
pub struct OutboxHandle {
    wake: Option<Arc<Notify>>,
}

impl OutboxHandle {
    pub fn wake(&self) {
        if let Some(wake) = &self.wake {
            // A permit is kept when the worker is busy, so a wake during a delivery is not lost.
            wake.notify_one();
        }
    }
}

/// Starts the worker. It runs until `shutdown`, finishing the delivery in hand first.
pub fn spawn(
    ctx: SyncContext,
    settings: OutboxSettings,
    shutdown: CancellationToken,
) -> (OutboxHandle, JoinHandle<()>) {
    let wake = Arc::new(Notify::new());
    let handle = OutboxHandle { wake: Some(wake.clone()) };
    let span = tracing::info_span!("task", task = "outbox-worker", node_id = %settings.node_id);
    let task = tokio::spawn(run(ctx, settings, wake, shutdown).instrument(span));
    (handle, task)
}

async fn run(
    ctx: SyncContext,
    settings: OutboxSettings,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    tracing::info!("outbox worker started");
    let mut failures: u32 = 0;
    loop {
        let pause = match drain(&ctx, &settings, &shutdown).await {
            Ok(()) => {
                failures = 0;
                until_next_due(&ctx, &settings).await
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let retry_in =
                    settings.backoff.delay(failures).to_std().unwrap_or(settings.idle_check);
                tracing::error!(error = %error, retry_in_s = retry_in.as_secs(), "outbox worker cannot reach the store");
                retry_in
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!("outbox worker stopped");
}

/// Claims and delivers until nothing is due (or shutdown is asked).
async fn drain(
    ctx: &SyncContext,
    settings: &OutboxSettings,
    shutdown: &CancellationToken,
) -> StoreResult<()> {
    deliver_due(ctx, settings, Utc::now(), shutdown, |_| {}).await
}

/// Delivers every entry due at `as_of`, batch by batch, handing each to `each` as its delivery
/// left it (sent, queued again with a retry time, failed). One pass: an entry queued again for a
/// retry is due after `as_of`, so it waits for the next pass instead of being tried twice in one.
/// Each claim holds for `claim_for` from the moment it is taken, however long the pass has run.
/// The worker's loop and `trellis sync --once` both deliver through this.
pub async fn deliver_due(
    ctx: &SyncContext,
    settings: &OutboxSettings,
    as_of: DateTime<Utc>,
    shutdown: &CancellationToken,
    mut each: impl FnMut(&OutboxItem),
) -> StoreResult<()> {
    while !shutdown.is_cancelled() {
        let claim_for = settings.claim_for + (Utc::now() - as_of).max(Duration::zero());
        let claimed =
            ctx.store.claim_outbound(&settings.node_id, as_of, claim_for, settings.batch).await?;
        if claimed.is_empty() {
            return Ok(());
        }
        for item in claimed {
            if !time_left_to_deliver(&item, settings, Utc::now()) {
                // Another worker may claim it once the claim ends: starting now could deliver it
                // twice. Left claimed, it is due again (to anyone) at the claim's end.
                tracing::warn!(outbox_id = %item.id, claim_ends_at = ?item.next_attempt_at, "claim too near its end to start a delivery, left for the next claim");
                continue;
            }
            let span =
                tracing::info_span!("deliver", outbox_id = %item.id, account_id = %item.account_id);
            match deliver(ctx, &item, settings).instrument(span).await {
                Ok(done) => each(&done),
                // The claim ran out during the delivery and another worker took the entry over:
                // its attempt stands; go on with the rest of this pass.
                Err(StoreError::Conflict(reason)) => {
                    tracing::warn!(outbox_id = %item.id, reason = %reason, "outbox entry taken over by another worker");
                }
                Err(other) => return Err(other),
            }
        }
    }
    Ok(())
}

/// Whether at least half of `item`'s claim is left at `now`. A batch is delivered one entry after
/// another, so the last entries of a slow batch may come up when their claim has (nearly) run out
/// and another node may already have taken them over. `claim_for` is meant to be at least twice
/// the longest delivery (credentials refreshed, then the platform's call).
fn time_left_to_deliver(item: &OutboxItem, settings: &OutboxSettings, now: DateTime<Utc>) -> bool {
    item.next_attempt_at.is_some_and(|claim_ends| claim_ends - now >= settings.claim_for / 2)
}

/// How long to sleep: until the next entry is due, at most `idle_check`.
async fn until_next_due(ctx: &SyncContext, settings: &OutboxSettings) -> StdDuration {
    match ctx.store.next_outbound_due().await {
        Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or_default().min(settings.idle_check),
        Ok(None) => settings.idle_check,
        Err(error) => {
            tracing::warn!(error = %error, "cannot read when the next outbound action is due");
            settings.idle_check
        }
    }
}
