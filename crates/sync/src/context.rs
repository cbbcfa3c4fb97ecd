//! [`SyncContext`]: what polling and delivering share.

use crate::accounts::{AccessError, Connectors};
use crate::plan::{NextPoll, Pacing};
use crate::secrets::SecretKey;
use crate::settings::{self, ConnectionSettings};
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use trellis_core::{Account, AccountAccess, Store};

/// What polling and delivering need: the store, the key that opens credentials, a connector per
/// channel, and the pacing. Cheap to clone.
#[derive(Clone)]
pub struct SyncContext {
    pub store: Arc<dyn Store>,
    pub key: Arc<SecretKey>,
    pub connectors: Arc<Connectors>,
    pub pacing: Pacing,
}

impl SyncContext {
    /// The context `trellis serve` and `trellis sync` run with: the configured (or generated)
    /// secret key, a connector per channel from the settings, and the `[sync]` pacing.
    pub fn from_settings(
        config: &ConnectionSettings,
        store: Arc<dyn Store>,
    ) -> anyhow::Result<Self> {
        let key = SecretKey::load_or_generate(config.secret_key.as_deref(), &config.data_dir)
            .context("cannot load the secret key that opens account credentials")?;
        let connectors =
            Connectors::from_settings(config).context("cannot set up the platform connectors")?;
        Ok(Self {
            store,
            key: Arc::new(key),
            connectors: Arc::new(connectors),
            pacing: settings::pacing(&config.sync),
        })
    }

    /// The account's access, its token refreshed first when it is about to expire. A refused
    /// refresh marks the account needs-reauth (in `accounts::access`).
    pub async fn access(&self, account: &Account) -> Result<AccountAccess, AccessError> {
        crate::accounts::access(&self.store, &self.key, &self.connectors, account).await
    }

    /// Marks the account as needing re-authorization with the platform's reason; a failure to
    /// record it is logged, and the next poll will find the token refused again.
    pub async fn mark_needs_reauth(&self, account: &Account, reason: &str) {
        if let Err(error) = crate::accounts::mark_needs_reauth(&self.store, account, reason).await {
            tracing::error!(account_id = %account.id, error = %error, "cannot mark the account as needing re-authorization");
        }
    }

    /// `next` with this context's jitter.
    pub fn jittered(&self, now: DateTime<Utc>, next: NextPoll) -> DateTime<Utc> {
        next.jittered(now, self.pacing.jitter, &mut rand::thread_rng())
    }
}
