//! The platform apps trellis is registered as (`[x]`, `[facebook]`, `[discourse]`) and the secret
//! key, resolved. Reading them from the config file and `TRELLIS_*` variables is the server's
//! (`trellis_server::config`); secrets are [`Secret`]s, so `Debug` never shows them.

use crate::secrets::Secret;

/// The X API and where admins authorize; a proxy or the simulator replaces them.
pub const X_BASE_URL: &str = "https://api.x.com";
pub const X_AUTHORIZE_URL: &str = "https://x.com";
/// The Graph API version trellis speaks, and the login dialog of the same version.
pub const FACEBOOK_BASE_URL: &str = "https://graph.facebook.com/v19.0";
pub const FACEBOOK_DIALOG_URL: &str = "https://www.facebook.com/v19.0";

/// The registered X app (developer.x.com → Projects & Apps → the app's "Keys and tokens").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XApp {
    /// The OAuth 2.0 client id; connecting through OAuth needs it.
    pub client_id: Option<String>,
    /// Set for a confidential client (sent as HTTP Basic); a public client has none.
    pub client_secret: Option<Secret>,
    /// The API key secret that signs Account Activity webhooks (CRC and deliveries).
    pub consumer_secret: Option<Secret>,
    /// The callback registered with the app: `https://<trellis>/api/v1/connect/x/callback`.
    pub redirect_url: Option<String>,
    pub base_url: String,
    pub authorize_url: String,
}

/// The registered Meta app (developers.facebook.com → the app → Settings → Basic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacebookApp {
    pub app_id: Option<String>,
    /// Exchanges codes for tokens and signs webhook deliveries (`X-Hub-Signature-256`).
    pub app_secret: Option<Secret>,
    /// What the webhook subscription handshake must echo.
    pub verify_token: Option<Secret>,
    /// The Valid OAuth Redirect URI: `https://<trellis>/api/v1/connect/facebook/callback`.
    pub redirect_url: Option<String>,
    pub base_url: String,
    pub dialog_url: String,
}

/// Discourse needs no app: accounts connect with an API key. Only webhooks share a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscourseApp {
    /// The secret set on the forum's webhook (Admin → API → Webhooks).
    pub webhook_secret: Option<Secret>,
}

impl Default for XApp {
    fn default() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            consumer_secret: None,
            redirect_url: None,
            base_url: X_BASE_URL.to_owned(),
            authorize_url: X_AUTHORIZE_URL.to_owned(),
        }
    }
}

impl Default for FacebookApp {
    fn default() -> Self {
        Self {
            app_id: None,
            app_secret: None,
            verify_token: None,
            redirect_url: None,
            base_url: FACEBOOK_BASE_URL.to_owned(),
            dialog_url: FACEBOOK_DIALOG_URL.to_owned(),
        }
    }
}

/// The resolved settings of this module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformApps {
    pub secret_key: Option<Secret>,
    pub x: XApp,
    pub facebook: FacebookApp,
    pub discourse: DiscourseApp,
}
