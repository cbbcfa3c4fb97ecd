//! The triage service: rules applied to every new inbound message from the change feed, SLA
//! clocks recomputed from each conversation's history and stored with their next transition, a
//! timer that wakes exactly at the earliest one, escalation, and the periodic jobs.
//!
//! All state lives in the store: the feed position (`follower_position("triage")`), the clocks
//! and their `next_transition_at`. A restarted service resumes where the last one stopped.
//!
//! With several nodes on one database only the node holding the store's `triage` lease runs the
//! tasks ([`leader`]); the others stand by and take over within the lease's ttl.
//!
//! Tasks, each named in logs and stopped by the cancellation token:
//! - `triage-leader` ([`leader`]): takes and renews the lease, starts and stops the others;
//! - `triage-follower` ([`follower`]): follows the change feed;
//! - `triage-sla-timer` ([`sla_timer`]): sleeps until the next SLA transition;
//! - `triage-jobs` ([`jobs`]): availability timeouts, the SLA safety sweep, the daily summary.

mod catalog;
pub mod defaults;
mod escalation;
mod facts;
pub mod follower;
mod freed;
pub mod jobs;
pub mod leader;
mod preview;
mod rules_run;
mod sla;
pub mod sla_timer;
mod summary;

pub use defaults::ensure_defaults;
pub use facts::reply_action;
pub use leader::Leadership;
pub use rules_run::RuleTarget;
pub use sla::SlaRefresh;
pub use summary::{DailySummary, TeamSummary};

use crate::assign::{AssignError, Assigner};
use catalog::Catalog;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use trellis_core::{Store, StoreError};

/// The follower's name in `follower_positions`.
pub const FOLLOWER_NAME: &str = "triage";

/// What stopped a triage step. Background tasks log it and retry; on-demand calls return it.
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    #[error("triage store call failed: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Assign(#[from] AssignError),
    #[error("invalid rule: {0}")]
    Rule(#[from] crate::rules::RuleError),
    #[error("search failed: {0}")]
    Search(#[from] trellis_core::SearchError),
    #[error("triage task failed: {0}")]
    Task(String),
}

/// The triage service. Cheap to clone: clones share one state, so the on-demand calls of the API
/// and the background tasks see the same rules and serialize SLA updates.
#[derive(Clone)]
pub struct TriageService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    assigner: Assigner,
    catalog: RwLock<Arc<Catalog>>,
    /// Whether the catalog was loaded from the store at least once.
    loaded: AtomicBool,
    /// Held while a conversation's SLA is recomputed, so the follower and the timer never record
    /// one warning or breach twice.
    sla_lock: Mutex<()>,
    /// Wakes the timer when a record comes due earlier than it planned to sleep.
    timer_wake: Notify,
    /// This node's name in the `triage` lease and the lease's ttl.
    leadership: Leadership,
}

impl TriageService {
    /// A service over `store`. Rules and policies are loaded by the first catch-up (or
    /// [`TriageService::reload`]).
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_leadership(store, Leadership::for_this_node())
    }

    /// A service that runs its tasks under `leadership` (its node id and lease ttl).
    pub fn with_leadership(store: Arc<dyn Store>, leadership: Leadership) -> Self {
        let assigner = Assigner::new(store.clone());
        Self {
            inner: Arc::new(Inner {
                store,
                assigner,
                catalog: RwLock::new(Arc::new(Catalog::empty())),
                loaded: AtomicBool::new(false),
                sla_lock: Mutex::new(()),
                timer_wake: Notify::new(),
                leadership,
            }),
        }
    }

    /// Runs the service until `cancel`: while this node holds the `triage` lease, creates the
    /// first-run defaults and runs the follower, the SLA timer and the jobs. The handle ends when
    /// all have stopped and the lease is released.
    pub fn spawn(store: Arc<dyn Store>, cancel: CancellationToken) -> JoinHandle<()> {
        Self::new(store).start(cancel)
    }

    /// Starts this service under its lease (see [`TriageService::spawn`]).
    pub fn start(&self, cancel: CancellationToken) -> JoinHandle<()> {
        let leadership = self.inner.leadership.clone();
        tokio::spawn(
            leader::run(self.clone(), leadership, cancel)
                .instrument(tracing::info_span!("task", task = "triage-leader")),
        )
    }

    /// Creates the first-run defaults, then runs the follower, the SLA timer and the jobs until
    /// `cancel`; the caller holds the lease.
    fn start_tasks(&self, cancel: CancellationToken) -> JoinHandle<()> {
        let service = self.clone();
        let task = async move {
            if let Err(error) = ensure_defaults(&service.inner.store).await {
                tracing::error!(%error, "cannot create triage defaults; continuing without them");
            }
            let follower = tokio::spawn(
                follower::run(service.clone(), cancel.clone())
                    .instrument(tracing::info_span!("task", task = "triage-follower")),
            );
            let timer = tokio::spawn(
                sla_timer::run(service.clone(), cancel.clone())
                    .instrument(tracing::info_span!("task", task = "triage-sla-timer")),
            );
            let jobs = tokio::spawn(
                jobs::run(service.clone(), cancel.clone())
                    .instrument(tracing::info_span!("task", task = "triage-jobs")),
            );
            for (name, handle) in
                [("triage-follower", follower), ("triage-sla-timer", timer), ("triage-jobs", jobs)]
            {
                match handle.await {
                    Ok(()) => tracing::info!(task = name, "stopped"),
                    Err(error) => tracing::error!(task = name, %error, "task failed"),
                }
            }
        };
        tokio::spawn(task)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn assigner(&self) -> &Assigner {
        &self.inner.assigner
    }

    /// Reloads rules, calendars and policies from the store.
    pub async fn reload(&self) -> Result<(), TriageError> {
        let catalog = Catalog::load(&self.inner.store).await?;
        let rules = catalog.rules.as_ref().map_or(0, |set| set.len());
        tracing::debug!(rules, policies = catalog.policies.len(), "triage configuration loaded");
        *self.inner.catalog.write().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Arc::new(catalog);
        self.inner.loaded.store(true, Ordering::Release);
        Ok(())
    }

    /// Loads the configuration if it never was.
    pub(crate) async fn ensure_loaded(&self) -> Result<(), TriageError> {
        if self.inner.loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        self.reload().await
    }

    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        self.inner.catalog.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}
