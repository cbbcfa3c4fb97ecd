//! The polling scheduler: one named background task per node that leases accounts, keeps each
//! leased account's streams on their own next-poll times, and polls due accounts with bounded
//! concurrency until shutdown.
//!
//! - **Leases.** Every directory refresh takes or renews the lease of each active account
//!   (`acquire_lease` with this node's id); an account another node holds is left to it, so each
//!   account is polled by exactly one node. Leases are released at shutdown so another node can
//!   take over at once; a crashed node's leases simply expire.
//! - **Pacing.** A stream's next poll comes from its last answer (rate-limit budget, `more`,
//!   backoff on failures; see [`crate::plan`]) with ±10 % jitter; an account first taken up starts
//!   at a random offset inside the minimum interval, so accounts do not poll in lockstep.
//! - **New and changed accounts** are picked up by the periodic refresh; paused and
//!   needs-reauth accounts are dropped (and their leases released) at the next refresh or at once
//!   when a poll finds them so.
//! - **Pokes.** [`SyncHandle::poke`] makes streams due now (webhook doorbells).

use crate::plan::initial_offset;
use crate::poll::{poll_account, AccountPoll, PollScope};
use crate::SyncContext;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration as StdDuration;
use tokio::sync::{broadcast, mpsc};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use trellis_core::{Account, AccountId, AccountStatus, StoreResult};

/// How the scheduler runs; the pacing itself is in [`SyncContext::pacing`].
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// This node's name in leases (`<host>-<pid>` by default).
    pub node_id: String,
    /// Accounts polled at the same time at most.
    pub concurrency: usize,
    /// How often the directory is re-read and leases renewed.
    pub refresh_every: StdDuration,
    /// How long a lease holds without renewal; comfortably more than `refresh_every`.
    pub lease_ttl: chrono::Duration,
    /// Accounts taken up without a stored next poll start at a random instant within this.
    pub initial_spread: chrono::Duration,
    /// How long in-flight polls may finish at shutdown before they are cut off (a cut poll loses
    /// nothing: its transaction did not commit).
    pub shutdown_grace: StdDuration,
}

impl SchedulerSettings {
    pub fn new(node_id: String) -> Self {
        Self {
            node_id,
            concurrency: 4,
            refresh_every: StdDuration::from_secs(15),
            lease_ttl: chrono::Duration::seconds(60),
            initial_spread: chrono::Duration::seconds(60),
            shutdown_grace: StdDuration::from_secs(10),
        }
    }
}

/// What the scheduler did, for tests and diagnostics to await instead of sleeping.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    Polled { account_id: AccountId, node_id: String, outcome: AccountPoll },
    Released { account_id: AccountId, node_id: String },
}

/// A request to poll streams of an account now (empty: every stream).
#[derive(Debug, Clone)]
struct Poke {
    account_id: AccountId,
    streams: Vec<String>,
}

/// A cheap handle to a running scheduler; the default one belongs to no scheduler and drops
/// pokes (a node started with `[sync] enabled = false`).
#[derive(Debug, Clone, Default)]
pub struct SyncHandle {
    pokes: Option<mpsc::UnboundedSender<Poke>>,
    events: Option<broadcast::Sender<SyncEvent>>,
}

impl SyncHandle {
    /// Makes `streams` (empty: all) of an account due now. `false` when no scheduler runs here.
    pub fn poke(&self, account_id: AccountId, streams: Vec<String>) -> bool {
        self.pokes.as_ref().is_some_and(|pokes| pokes.send(Poke { account_id, streams }).is_ok())
    }

    /// Every poll and lease release from now on.
    pub fn subscribe(&self) -> Option<broadcast::Receiver<SyncEvent>> {
        self.events.as_ref().map(broadcast::Sender::subscribe)
    }
}

/// A leased account and its streams' next poll times.
struct Slot {
    account: Account,
    due: BTreeMap<String, DateTime<Utc>>,
    in_flight: bool,
    /// Streams poked while a poll was in flight, made due when it ends.
    poked_in_flight: HashSet<String>,
}

/// Starts the scheduler task. It runs until `shutdown` is cancelled, then lets in-flight polls
/// finish (within the grace period) and releases its leases.
pub fn spawn(
    ctx: SyncContext,
    settings: SchedulerSettings,
    shutdown: CancellationToken,
) -> (SyncHandle, JoinHandle<()>) {
    let (pokes, poke_rx) = mpsc::unbounded_channel();
    let (events, _) = broadcast::channel(1024);
    let handle = SyncHandle { pokes: Some(pokes), events: Some(events.clone()) };
    let span = tracing::info_span!("task", task = "sync-scheduler", node_id = %settings.node_id);
    let scheduler = Scheduler { ctx, settings, slots: HashMap::new(), events };
    let task = tokio::spawn(scheduler.run(poke_rx, shutdown).instrument(span));
    (handle, task)
}

struct Scheduler {
    ctx: SyncContext,
    settings: SchedulerSettings,
    slots: HashMap<AccountId, Slot>,
    events: broadcast::Sender<SyncEvent>,
}

type Finished = (AccountId, Vec<String>, StoreResult<AccountPoll>);

impl Scheduler {
    async fn run(mut self, mut pokes: mpsc::UnboundedReceiver<Poke>, shutdown: CancellationToken) {
        tracing::info!(concurrency = self.settings.concurrency, "sync scheduler started");
        let mut polls: JoinSet<Finished> = JoinSet::new();
        let mut refresh = tokio::time::interval(self.settings.refresh_every);
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.launch_due(&mut polls);
            let wait = self.until_next_due();
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = refresh.tick() => self.refresh().await,
                Some(poke) = pokes.recv() => self.apply_poke(poke),
                Some(joined) = polls.join_next(), if !polls.is_empty() => match joined {
                    Ok(finished) => self.finish(finished).await,
                    Err(error) => tracing::error!(error = %error, "poll task failed"),
                },
                () = tokio::time::sleep(wait) => {}
            }
        }
        self.stop(polls).await;
    }

    /// Re-reads the directory and account health, takes or renews leases, drops what is no
    /// longer ours or no longer active.
    async fn refresh(&mut self) {
        let store = self.ctx.store.clone();
        let (accounts, health) =
            match (store.list_accounts().await, store.list_account_health().await) {
                (Ok(accounts), Ok(health)) => (accounts, health),
                (Err(error), _) | (_, Err(error)) => {
                    tracing::error!(error = %error, "cannot read the accounts to poll");
                    return;
                }
            };
        let health: HashMap<_, _> = health.into_iter().map(|h| (h.account_id, h)).collect();
        let now = Utc::now();
        let listed: HashSet<AccountId> = accounts.iter().map(|account| account.id).collect();
        let gone: Vec<AccountId> =
            self.slots.keys().filter(|id| !listed.contains(id)).copied().collect();
        for id in gone {
            self.drop_slot(id).await;
        }
        for account in accounts {
            let status = health.get(&account.id).map_or(AccountStatus::Active, |h| h.status);
            if status != AccountStatus::Active {
                if self.slots.contains_key(&account.id) {
                    tracing::info!(account_id = %account.id, status = %status, "account no longer polled");
                    self.drop_slot(account.id).await;
                }
                continue;
            }
            let leased = store
                .acquire_lease(account.id, &self.settings.node_id, now, self.settings.lease_ttl)
                .await;
            match leased {
                Ok(true) if !self.slots.contains_key(&account.id) => {
                    let stored = health.get(&account.id).and_then(|h| h.next_poll_at);
                    let start = match stored {
                        Some(at) if at > now => at,
                        _ => initial_offset(
                            now,
                            self.settings.initial_spread,
                            &mut rand::thread_rng(),
                        ),
                    };
                    let streams = self.ctx.connectors.get(account.channel).streams();
                    let due = streams.iter().map(|s| ((*s).to_owned(), start)).collect();
                    tracing::info!(account_id = %account.id, channel = %account.channel, first_poll_at = %start, "account leased");
                    self.slots.insert(
                        account.id,
                        Slot { account, due, in_flight: false, poked_in_flight: HashSet::new() },
                    );
                }
                Ok(true) => {
                    if let Some(slot) = self.slots.get_mut(&account.id) {
                        slot.account = account;
                    }
                }
                Ok(false) => {
                    if self.slots.remove(&account.id).is_some() {
                        tracing::warn!(account_id = %account.id, "lease lost to another node");
                    }
                }
                Err(error) => {
                    tracing::error!(account_id = %account.id, error = %error, "cannot take the polling lease");
                }
            }
        }
    }

    fn apply_poke(&mut self, poke: Poke) {
        let Some(slot) = self.slots.get_mut(&poke.account_id) else {
            tracing::debug!(account_id = %poke.account_id, "poke for an account this node does not poll");
            return;
        };
        let streams: Vec<String> = if poke.streams.is_empty() {
            slot.due.keys().cloned().collect()
        } else {
            poke.streams.into_iter().filter(|s| slot.due.contains_key(s)).collect()
        };
        let now = Utc::now();
        for stream in streams {
            if slot.in_flight {
                slot.poked_in_flight.insert(stream);
            } else if let Some(due) = slot.due.get_mut(&stream) {
                *due = now;
            }
        }
    }

    /// Starts polls for due accounts while below the concurrency bound, earliest first.
    fn launch_due(&mut self, polls: &mut JoinSet<Finished>) {
        let now = Utc::now();
        let mut due: Vec<(DateTime<Utc>, AccountId)> = self
            .slots
            .iter()
            .filter(|(_, slot)| !slot.in_flight)
            .filter_map(|(id, slot)| {
                slot.due.values().min().filter(|at| **at <= now).map(|at| (*at, *id))
            })
            .collect();
        due.sort();
        for (_, id) in due {
            if polls.len() >= self.settings.concurrency.max(1) {
                break;
            }
            let Some(slot) = self.slots.get_mut(&id) else { continue };
            let streams: Vec<String> =
                slot.due.iter().filter(|(_, at)| **at <= now).map(|(s, _)| s.clone()).collect();
            let others_due = slot.due.iter().filter(|(_, at)| **at > now).map(|(_, at)| *at).min();
            let scope = PollScope {
                streams: (streams.len() < slot.due.len()).then(|| streams.clone()),
                others_due,
            };
            slot.in_flight = true;
            let ctx = self.ctx.clone();
            let account = slot.account.clone();
            let span = tracing::info_span!("poll", account_id = %id);
            polls.spawn(
                async move {
                    let outcome = poll_account(&ctx, &account, &scope).await;
                    (account.id, streams, outcome)
                }
                .instrument(span),
            );
        }
    }

    async fn finish(&mut self, (account_id, streams, outcome): Finished) {
        let now = Utc::now();
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::error!(account_id = %account_id, error = %error, "poll could not be recorded");
                let retry = now + self.ctx.pacing.min_interval;
                if let Some(slot) = self.slots.get_mut(&account_id) {
                    slot.in_flight = false;
                    for stream in &streams {
                        slot.due.insert(stream.clone(), retry);
                    }
                }
                return;
            }
        };
        let _ = self.events.send(SyncEvent::Polled {
            account_id,
            node_id: self.settings.node_id.clone(),
            outcome: outcome.clone(),
        });
        let Some(slot) = self.slots.get_mut(&account_id) else { return };
        slot.in_flight = false;
        match outcome {
            AccountPoll::Polled { streams: reports, .. } => {
                for report in reports {
                    slot.due.insert(report.stream, report.next_poll_at);
                }
            }
            AccountPoll::NoAccess { next_poll_at, .. } => {
                for stream in &streams {
                    slot.due.insert(stream.clone(), next_poll_at);
                }
            }
            AccountPoll::Inactive { .. } | AccountPoll::NeedsReauth { .. } => {
                self.drop_slot(account_id).await;
                return;
            }
        }
        for stream in std::mem::take(&mut slot.poked_in_flight) {
            slot.due.insert(stream, now);
        }
    }

    fn until_next_due(&self) -> StdDuration {
        let now = Utc::now();
        self.slots
            .values()
            .filter(|slot| !slot.in_flight)
            .filter_map(|slot| slot.due.values().min())
            .min()
            .map_or(self.settings.refresh_every, |at| (*at - now).to_std().unwrap_or_default())
    }

    /// Forgets an account and gives its lease back.
    async fn drop_slot(&mut self, account_id: AccountId) {
        self.slots.remove(&account_id);
        self.release(account_id).await;
    }

    async fn release(&self, account_id: AccountId) {
        match self.ctx.store.release_lease(account_id, &self.settings.node_id).await {
            Ok(()) => {
                let _ = self.events.send(SyncEvent::Released {
                    account_id,
                    node_id: self.settings.node_id.clone(),
                });
            }
            Err(error) => {
                tracing::warn!(account_id = %account_id, error = %error, "cannot release the polling lease")
            }
        }
    }

    async fn stop(mut self, mut polls: JoinSet<Finished>) {
        let grace = tokio::time::sleep(self.settings.shutdown_grace);
        tokio::pin!(grace);
        while !polls.is_empty() {
            tokio::select! {
                () = &mut grace => {
                    tracing::warn!(in_flight = polls.len(), "cutting off polls still running at shutdown");
                    polls.abort_all();
                    while polls.join_next().await.is_some() {}
                    break;
                }
                Some(joined) = polls.join_next() => {
                    if let Ok(finished) = joined {
                        self.finish(finished).await;
                    }
                }
            }
        }
        let held: Vec<AccountId> = self.slots.keys().copied().collect();
        for account_id in held {
            self.release(account_id).await;
        }
        tracing::info!("sync scheduler stopped");
    }
}
