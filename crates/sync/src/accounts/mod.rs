//! Connected accounts: the connectors that speak for them, their sealed credentials kept fresh,
//! and the flows that connect them.
//!
//! - [`Connectors`]: one connector per channel, built from the configuration.
//! - [`access`]: the credentials a poll or a delivery needs, refreshed before they expire; a
//!   refused token puts the account in **needs re-authorization** ([`mark_needs_reauth`]).
//! - [`connect`]: X (OAuth 2.0 with PKCE), Facebook (login, long-lived token, Page pick) and
//!   Discourse (API key); the HTTP routes and `trellis account add` both drive them.
//! - [`listing`]: accounts with their health, never a token, for the API and `trellis account list`.

mod access;
pub mod connect;
mod connectors;
pub mod listing;
mod pending;

pub use access::{access, mark_needs_reauth, AccessError, REFRESH_AHEAD};
pub use connectors::Connectors;
pub use pending::{PendingConnects, PENDING_TTL};

use crate::secrets::{SecretError, SecretKey};
use crate::settings::ConnectionSettings;
use std::sync::{Arc, OnceLock};
use trellis_core::ConnectorError;

/// What the account routes need beyond the store: the secret key and the connectors, each made
/// from the settings on first use (so a server that never connects an account never generates a
/// key).
pub struct AccountServices {
    settings: ConnectionSettings,
    key: OnceLock<Arc<SecretKey>>,
    connectors: OnceLock<Arc<Connectors>>,
}

impl AccountServices {
    /// Services that make their key and connectors from `settings` when first asked.
    pub fn new(settings: ConnectionSettings) -> Self {
        Self { settings, key: OnceLock::new(), connectors: OnceLock::new() }
    }

    /// Services with a key and connectors already made, for tests and embedders.
    pub fn with(
        settings: ConnectionSettings,
        key: Arc<SecretKey>,
        connectors: Arc<Connectors>,
    ) -> Self {
        let services = Self::new(settings);
        let _ = services.key.set(key);
        let _ = services.connectors.set(connectors);
        services
    }

    /// The settings these services were made from.
    pub fn settings(&self) -> &ConnectionSettings {
        &self.settings
    }

    /// The configured key, or the one kept in the data dir (generated there the first time).
    pub fn key(&self) -> Result<Arc<SecretKey>, SecretError> {
        if let Some(key) = self.key.get() {
            return Ok(key.clone());
        }
        let settings = &self.settings;
        let key = Arc::new(SecretKey::load_or_generate(
            settings.secret_key.as_deref(),
            &settings.data_dir,
        )?);
        // Two first requests may race here; both loaded the same key file, so either wins.
        Ok(self.key.get_or_init(|| key).clone())
    }

    pub fn connectors(&self) -> Result<Arc<Connectors>, ConnectorError> {
        if let Some(connectors) = self.connectors.get() {
            return Ok(connectors.clone());
        }
        let connectors = Arc::new(Connectors::from_settings(&self.settings)?);
        Ok(self.connectors.get_or_init(|| connectors).clone())
    }
}
