//! The periodic jobs, on tokio-cron-scheduler (UTC schedules, seconds first), each logged with
//! its outcome:
//!
//! | job | schedule | does |
//! |---|---|---|
//! | `availability-timeouts` | every minute, at :00 | returns the open conversations of agents offline longer than their team allows to the queue |
//! | `sla-sweep` | every minute, at :30 | handles any SLA transition left due (a lost wake-up, a record written by another node) |
//! | `daily-summary` | 00:00 UTC | per team: open conversations, clocks met and breached in the last day; logged and sent to supervisors |

use super::{TriageError, TriageService};
use chrono::Utc;
use std::future::Future;
use std::time::Instant;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};
use tokio_util::sync::CancellationToken;

pub const AVAILABILITY_TIMEOUTS: &str = "0 * * * * *";
pub const SLA_SWEEP: &str = "30 * * * * *";
pub const DAILY_SUMMARY: &str = "0 0 0 * * *";

/// Runs the scheduler until `cancel`, then shuts it down; a job still running is stopped too
/// (each one is safe to interrupt: the next run, on this node or another, does what is left).
pub async fn run(service: TriageService, cancel: CancellationToken) {
    let mut scheduler = match schedule(&service, &cancel).await {
        Ok(scheduler) => scheduler,
        Err(error) => {
            tracing::error!(%error, "cannot start the triage scheduler; periodic jobs will not run");
            return;
        }
    };
    tracing::info!("triage jobs started");
    cancel.cancelled().await;
    if let Err(error) = scheduler.shutdown().await {
        tracing::warn!(%error, "triage scheduler did not shut down cleanly");
    }
}

async fn schedule(
    service: &TriageService,
    cancel: &CancellationToken,
) -> Result<JobScheduler, JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    scheduler
        .add(job(
            "availability-timeouts",
            AVAILABILITY_TIMEOUTS,
            service,
            cancel,
            |service| async move {
                let returned = service.assigner().return_offline(Utc::now()).await?;
                Ok(format!("{} conversations returned or reassigned", returned.len()))
            },
        )?)
        .await?;
    scheduler
        .add(job("sla-sweep", SLA_SWEEP, service, cancel, |service| async move {
            let handled = service.handle_due_sla(Utc::now()).await?;
            Ok(format!("{handled} conversations handled"))
        })?)
        .await?;
    scheduler
        .add(job("daily-summary", DAILY_SUMMARY, service, cancel, |service| async move {
            let summary = service.daily_summary(Utc::now()).await?;
            Ok(format!("{} teams summarized", summary.teams.len()))
        })?)
        .await?;
    scheduler.start().await?;
    Ok(scheduler)
}

/// A cron job running `work` with a clone of the service, logging its outcome and duration.
fn job<F, Fut>(
    name: &'static str,
    schedule: &str,
    service: &TriageService,
    cancel: &CancellationToken,
    work: F,
) -> Result<Job, JobSchedulerError>
where
    F: Fn(TriageService) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = Result<String, TriageError>> + Send + 'static,
{
    let (service, cancel) = (service.clone(), cancel.clone());
    Job::new_async(schedule, move |_id, _scheduler| {
        let (service, work, cancel) = (service.clone(), work.clone(), cancel.clone());
        Box::pin(async move {
            let started = Instant::now();
            let outcome = tokio::select! {
                () = cancel.cancelled() => {
                    tracing::info!(job = name, "job stopped: triage is stopping on this node");
                    return;
                }
                outcome = work(service) => outcome,
            };
            match outcome {
                Ok(outcome) => tracing::info!(
                    job = name,
                    duration_ms = started.elapsed().as_millis() as u64,
                    outcome,
                    "job finished"
                ),
                Err(error) => tracing::error!(
                    job = name,
                    duration_ms = started.elapsed().as_millis() as u64,
                    %error,
                    "job failed"
                ),
            }
        })
    })
}
