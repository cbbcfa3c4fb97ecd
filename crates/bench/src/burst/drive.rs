//! The timed part of a burst: the polling scheduler `trellis serve` runs, with the search indexer
//! following the change feed, from the scheduler's start until the index has committed the
//! sequence of the last message stored.
//!
//! The scheduler runs with its `trellis serve` settings except that accounts start at once rather
//! than at a random offset within the first minute (that spread only exists so that a restarted
//! node does not hit every platform in the same second; it would time dice, not trellis). The
//! indexer is woken after every poll that stored something, as the server's is by its notifier,
//! instead of finding the changes at its next 100 ms look.

use super::trellis::Trellis;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use trellis_core::{AccountId, Seq};
use trellis_sync::poll::AccountPoll;
use trellis_sync::scheduler::{self, SchedulerSettings, SyncEvent};

/// What the timed part measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    /// From the scheduler's start until every stream of every account said nothing more waits.
    pub stored: Duration,
    /// From the scheduler's start until the index committed everything stored.
    pub searchable: Duration,
    /// Account polls the scheduler made.
    pub polls: u64,
    /// Messages the polls inserted.
    pub inserted: u64,
    /// The sequence the index committed last.
    pub through: Seq,
}

/// Runs the scheduler until every stream is drained and the index has caught up with it.
pub async fn sync_and_index(trellis: &Trellis) -> anyhow::Result<Timings> {
    let shutdown = CancellationToken::new();
    let mut settings = SchedulerSettings::new(format!("burst-{}", std::process::id()));
    settings.initial_spread = chrono::Duration::zero();

    // The latest stored sequence, published after every poll that stored; `None` once drained.
    let (stored_tx, mut stored_rx) = watch::channel(Some(Seq(0)));
    let indexer = &trellis.search.indexer;
    let follower = async {
        loop {
            indexer.catch_up().await?;
            if stored_rx.changed().await.is_err() || stored_rx.borrow().is_none() {
                return anyhow::Ok(());
            }
        }
    };

    let started = Instant::now();
    let (handle, task) = scheduler::spawn(trellis.ctx.clone(), settings, shutdown.child_token());
    // Subscribed before this task yields: the scheduler's first poll needs the store and a
    // platform round trip first. A poll missed all the same is repeated at the minimum interval.
    let events =
        handle.subscribe().ok_or_else(|| anyhow::anyhow!("the scheduler has no events"))?;
    let streams: HashMap<AccountId, usize> = trellis
        .accounts
        .iter()
        .map(|account| (account.id, trellis.ctx.connectors.get(account.channel).streams().len()))
        .collect();
    let drained = async {
        let drained = until_drained(events, &streams, &stored_tx).await;
        let stored = started.elapsed();
        let _ = stored_tx.send(None);
        (drained, stored)
    };
    let ((drained, stored), followed) = tokio::join!(drained, follower);
    shutdown.cancel();
    let _ = task.await;
    let (polls, inserted) = drained?;
    followed?;
    // The follower may have stopped part-way through the last changes: one final pass.
    let through = indexer.catch_up().await?;
    let searchable = started.elapsed();
    let latest = trellis.store.latest_seq().await?;
    anyhow::ensure!(through >= latest, "the index stopped at {through}, the store is at {latest}");
    Ok(Timings { stored, searchable, polls, inserted, through })
}

/// Follows the scheduler's polls until every stream of every account said nothing more waits;
/// returns (polls, messages inserted). A stream that failed is reported as an error.
async fn until_drained(
    mut events: broadcast::Receiver<SyncEvent>,
    streams: &HashMap<AccountId, usize>,
    stored: &watch::Sender<Option<Seq>>,
) -> anyhow::Result<(u64, u64)> {
    // Per account, each stream's last word on whether more is waiting.
    let mut waiting: HashMap<AccountId, HashMap<String, bool>> = HashMap::new();
    let (mut polls, mut inserted) = (0u64, 0u64);
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                anyhow::bail!("missed {missed} scheduler events; cannot tell when the burst ends")
            }
            Err(broadcast::error::RecvError::Closed) => {
                anyhow::bail!("the scheduler stopped before the burst was drained")
            }
        };
        let SyncEvent::Polled { account_id, outcome, .. } = event else { continue };
        polls += 1;
        let AccountPoll::Polled { streams: reports, .. } = &outcome else {
            anyhow::bail!("account {account_id} was not polled: {outcome:?}");
        };
        let ingested = outcome.ingested();
        inserted += ingested.inserted;
        if let Some(seq) = ingested.last_seq {
            let _ = stored.send(Some(seq));
        }
        let account = waiting.entry(account_id).or_default();
        for report in reports {
            if let Some(error) = &report.error {
                anyhow::bail!("account {account_id} stream {} failed: {error}", report.stream);
            }
            account.insert(report.stream.clone(), report.more);
        }
        let done = streams.iter().all(|(id, count)| {
            waiting
                .get(id)
                .is_some_and(|seen| seen.len() == *count && seen.values().all(|more| !*more))
        });
        if done {
            return Ok((polls, inserted));
        }
    }
}
