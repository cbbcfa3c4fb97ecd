//! The SLA timer: sleeps until the earliest stored `next_transition_at` (an indexed read, never a
//! scan of open conversations), handles what is due, and goes back to sleep. A record written
//! by this process wakes it at once, in case it comes due before the planned wake-up. All state
//! is in the store, so a restarted timer finds what came due while nothing ran and handles it on
//! its first pass.

use super::TriageService;
use chrono::Utc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The longest the timer sleeps without looking: records written by other nodes do not wake it.
const MAX_SLEEP: Duration = Duration::from_secs(30);
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(1);
const STILL_DUE_PAUSE: Duration = Duration::from_millis(200);

/// Runs until `cancel`, which also stops a pass under way: a conversation it had begun is
/// finished on its own task (`refresh_sla`), and what it had not begun is still due, so the next
/// timer to run handles it.
pub async fn run(service: TriageService, cancel: CancellationToken) {
    tracing::info!("sla timer started");
    loop {
        let passed = tokio::select! {
            () = cancel.cancelled() => break,
            passed = pass(&service) => passed,
        };
        let deadline = match passed {
            Ok(deadline) => deadline,
            Err(error) => {
                tracing::warn!(%error, retry_in_ms = RETRY_AFTER_ERROR.as_millis() as u64, "sla timer failed, retrying");
                Instant::now() + RETRY_AFTER_ERROR
            }
        };
        tokio::select! {
            () = cancel.cancelled() => break,
            () = service.inner.timer_wake.notified() => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

/// Handles what is due now and returns when to look again.
async fn pass(service: &TriageService) -> Result<Instant, super::TriageError> {
    let now = Utc::now();
    let handled = service.handle_due_sla(now).await?;
    if handled > 0 {
        tracing::debug!(handled, "sla transitions handled");
    }
    let next = service.store().next_sla_transition().await?;
    let wait = match next.map(|at| (at - Utc::now()).to_std()) {
        Some(Ok(until_due)) => until_due.min(MAX_SLEEP),
        // Due already: written meanwhile (look again at once), or just handled and still due
        // because its recomputation failed (do not spin on it).
        Some(Err(_)) if handled > 0 => STILL_DUE_PAUSE,
        Some(Err(_)) => Duration::ZERO,
        None => MAX_SLEEP,
    };
    Ok(Instant::now() + wait)
}
