//! What the HTTP layer needs of the configuration, resolved by the server.

use std::net::SocketAddr;
use trellis_app::identity::sessions::{SessionPolicy, Throttle};
use trellis_sync::ConnectionSettings;

/// The HTTP layer's settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Where this node listens; the OAuth callbacks default to it when no public URL is set.
    pub bind: SocketAddr,
    /// Where people and platforms reach this server when not at `http://<bind>` (a proxy).
    pub public_url: Option<String>,
    /// The platform apps and where connectors reach them.
    pub connection: ConnectionSettings,
    pub auth: AuthSettings,
}

/// How people sign in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthSettings {
    pub sessions: SessionPolicy,
    pub throttle: Throttle,
    /// Mark the session cookie `Secure` (the server is reached over https).
    pub secure_cookies: bool,
    /// The origin browsers reach trellis at (`https://inbox.example.com`), when a proxy stands
    /// in front: cookie-authenticated changes must come from it. Without it, the request's own
    /// `Host` is the origin.
    pub public_origin: Option<String>,
}

impl HttpSettings {
    /// The base URL of this server as people and platforms reach it.
    pub fn base_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind))
    }

    /// Settings for a node listening on `bind` with default sign-in rules.
    pub fn new(bind: SocketAddr, connection: ConnectionSettings) -> Self {
        Self { bind, public_url: None, connection, auth: AuthSettings::default() }
    }
}
