//! One connector per channel, and the X app they refresh tokens with.

use crate::apps::{FacebookApp, XApp};
use crate::settings::ConnectionSettings;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use trellis_connector_discourse::{DiscourseConfig, DiscourseConnector};
use trellis_connector_facebook::{FacebookConfig, FacebookConnector, OAuthApp};
use trellis_connector_x::{OAuthClient, XConfig, XConnector};
use trellis_core::{AccountId, Channel, Connector, ConnectorError};

/// The connectors of this process. Cheap to share behind an `Arc`; each connector keeps its own
/// HTTP connection pool.
pub struct Connectors {
    x: Arc<XConnector>,
    facebook: Arc<FacebookConnector>,
    discourse: Arc<DiscourseConnector>,
    x_app: XApp,
    facebook_app: FacebookApp,
    /// One lock per account whose token is being refreshed: X refresh tokens are single-use, so
    /// a poll and a delivery refreshing at once would spend the same token twice and the second
    /// would see the account as revoked.
    refreshing: Mutex<HashMap<AccountId, Arc<tokio::sync::Mutex<()>>>>,
}

impl Connectors {
    /// The connectors `trellis serve`, `trellis sync` and `trellis account` run with: the
    /// configured `[sync] backfill_days` and platform apps.
    pub fn from_settings(config: &ConnectionSettings) -> Result<Self, ConnectorError> {
        let backfill_window = config.sync.backfill;
        let connectors = Self::with(
            XConfig { backfill_window, ..XConfig::default() },
            FacebookConfig { backfill_window, ..FacebookConfig::default() },
            DiscourseConfig { backfill_window, ..DiscourseConfig::default() },
        )?;
        Ok(connectors.with_apps(config.x.clone(), config.facebook.clone()))
    }

    /// Connectors with these settings and no platform app configured (tokens are then never
    /// refreshed, and OAuth flows refuse to start).
    pub fn with(
        x: XConfig,
        facebook: FacebookConfig,
        discourse: DiscourseConfig,
    ) -> Result<Self, ConnectorError> {
        Ok(Self {
            x: Arc::new(XConnector::new(x)?),
            facebook: Arc::new(FacebookConnector::new(facebook)?),
            discourse: Arc::new(DiscourseConnector::new(discourse)?),
            x_app: XApp::default(),
            facebook_app: FacebookApp::default(),
            refreshing: Mutex::default(),
        })
    }

    /// These connectors refreshing and connecting through the given apps.
    pub fn with_apps(mut self, x: XApp, facebook: FacebookApp) -> Self {
        self.x_app = x;
        self.facebook_app = facebook;
        self
    }

    /// The connector of `channel`.
    pub fn get(&self, channel: Channel) -> Arc<dyn Connector> {
        match channel {
            Channel::X => self.x.clone(),
            Channel::Facebook => self.facebook.clone(),
            Channel::Discourse => self.discourse.clone(),
        }
    }

    pub fn x(&self) -> &Arc<XConnector> {
        &self.x
    }

    pub fn facebook(&self) -> &Arc<FacebookConnector> {
        &self.facebook
    }

    pub fn x_app(&self) -> &XApp {
        &self.x_app
    }

    pub fn facebook_app(&self) -> &FacebookApp {
        &self.facebook_app
    }

    /// The X OAuth client, redirecting to `redirect_uri`; `None` without `x.client_id`.
    pub fn x_oauth_client(&self, redirect_uri: &str) -> Option<OAuthClient> {
        Some(OAuthClient {
            client_id: self.x_app.client_id.clone()?,
            client_secret: self.x_app.client_secret.as_deref().map(str::to_owned),
            redirect_uri: redirect_uri.to_owned(),
        })
    }

    /// The Meta app, redirecting to `redirect_uri`; `None` without `facebook.app_id` and
    /// `facebook.app_secret`.
    pub fn facebook_oauth_app(&self, redirect_uri: &str) -> Option<OAuthApp> {
        Some(OAuthApp {
            client_id: self.facebook_app.app_id.clone()?,
            client_secret: self.facebook_app.app_secret.as_deref()?.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
        })
    }

    /// The lock to hold while refreshing `account`'s token.
    pub(super) fn refresh_lock(&self, account: AccountId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.refreshing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        locks.entry(account).or_default().clone()
    }
}
