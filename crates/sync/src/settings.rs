//! The connection runtime's settings: the `[sync]` section, the secret key and the platform apps,
//! resolved by the server's configuration and handed over whole.

use crate::apps::{DiscourseApp, FacebookApp, PlatformApps, XApp};
use crate::plan::Pacing;
use crate::secrets::Secret;
use std::path::PathBuf;

/// The resolved `[sync]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncConfig {
    /// Whether `trellis serve` runs the polling scheduler and the outbox worker; `false` makes a
    /// node that only serves the API (another node syncs).
    pub enabled: bool,
    /// The shortest time between two polls of one stream, however generous the rate limit.
    pub min_interval: chrono::Duration,
    /// How far back the first poll of a newly connected account reads.
    pub backfill: chrono::Duration,
    /// Whether a platform address an admin gives (a Discourse forum's `base_url`) may be loopback,
    /// private or link-local ([`crate::addresses`]); `false` keeps admins from making the server
    /// reach into its own network. The demo allows it: its simulators run on 127.0.0.1.
    pub allow_private_addresses: bool,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_interval: chrono::Duration::seconds(60),
            backfill: chrono::Duration::days(7),
            allow_private_addresses: false,
        }
    }
}

/// What the connection runtime needs from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// Where the generated secret key is kept when `secret_key` is unset.
    pub data_dir: PathBuf,
    /// `secret_key`: seals account credentials; generated into the data dir when unset.
    pub secret_key: Option<Secret>,
    pub sync: SyncConfig,
    pub x: XApp,
    pub facebook: FacebookApp,
    pub discourse: DiscourseApp,
}

impl ConnectionSettings {
    /// Settings with the given apps and `[sync]` defaults, keeping the key in `data_dir`.
    pub fn new(data_dir: PathBuf, apps: PlatformApps) -> Self {
        Self {
            data_dir,
            secret_key: apps.secret_key,
            sync: SyncConfig::default(),
            x: apps.x,
            facebook: apps.facebook,
            discourse: apps.discourse,
        }
    }
}

/// The pacing polls follow under `config`.
pub fn pacing(config: &SyncConfig) -> Pacing {
    Pacing { min_interval: config.min_interval, ..Pacing::DEFAULT }
}
