//! What every handler can reach.

use crate::settings::{AuthSettings, HttpSettings};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use trellis_core::{SearchIndex, Store};

/// Shared by all handlers through `State`. Cheap to clone: everything is behind an `Arc`.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub index: Arc<dyn SearchIndex>,
    pub config: Arc<HttpSettings>,
    /// How people sign in (a copy of `config.auth`, at hand for the sign-in check).
    pub auth: Arc<AuthSettings>,
    /// Set while the index is being rebuilt from the store, so readiness can say so.
    pub rebuild: Arc<RebuildProgress>,
    /// The secret key, connectors and connect flows under way, for the account routes.
    pub accounts: Arc<trellis_sync::accounts::AccountServices>,
    /// The polling scheduler, for webhooks to ring (a no-op handle when this node does not sync).
    pub sync: trellis_sync::SyncHandle,
    /// Wakes the outbox worker when an action is queued (a no-op handle without a worker).
    pub outbox: trellis_sync::outbox::OutboxHandle,
    /// Live events: idle (streams answer 503) until the server starts it with
    /// [`crate::events::EventHub::start`].
    pub events: crate::events::EventHub,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        index: Arc<dyn SearchIndex>,
        config: Arc<HttpSettings>,
    ) -> Self {
        let accounts = trellis_sync::accounts::AccountServices::new(config.connection.clone());
        let auth = Arc::new(config.auth.clone());
        let events = crate::events::EventHub::new(store.clone(), Default::default());
        Self {
            store,
            index,
            config,
            auth,
            rebuild: Arc::default(),
            accounts: Arc::new(accounts),
            sync: Default::default(),
            outbox: Default::default(),
            events,
        }
    }
}

/// Progress of a background index rebuild, written by the indexer task and read by `/readyz`.
#[derive(Debug, Default)]
pub struct RebuildProgress {
    active: AtomicBool,
    done: AtomicU64,
    total: AtomicU64,
}

impl RebuildProgress {
    pub fn begin(&self) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(0, Ordering::Relaxed);
        self.active.store(true, Ordering::Release);
    }

    pub fn advance(&self, done: u64, total: u64) {
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    pub fn finish(&self) {
        self.active.store(false, Ordering::Release);
    }

    /// `(done, total)` while a rebuild runs, `None` otherwise.
    pub fn status(&self) -> Option<(u64, u64)> {
        self.active
            .load(Ordering::Acquire)
            .then(|| (self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed)))
    }
}
