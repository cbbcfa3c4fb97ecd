//! The platform apps trellis is registered as (`[x]`, `[facebook]`, `[discourse]`) and the secret
//! key (`secret_key`): read from the config file and `TRELLIS_*` variables like every other
//! setting, resolved into [`PlatformApps`]. Secrets are [`Secret`]s, so `Debug` of the
//! configuration never shows them. Documented in docs/configuration.md.

use crate::config::{ConfigError, Origin};
use crate::secrets::{Secret, SecretKey};
use std::collections::{BTreeMap, HashMap};

/// Every setting here: its name in the file (`section.key`) and its environment variable.
const SETTINGS: &[(&str, &str)] = &[
    ("secret_key", "TRELLIS_SECRET_KEY"),
    ("x.client_id", "TRELLIS_X_CLIENT_ID"),
    ("x.client_secret", "TRELLIS_X_CLIENT_SECRET"),
    ("x.consumer_secret", "TRELLIS_X_CONSUMER_SECRET"),
    ("x.redirect_url", "TRELLIS_X_REDIRECT_URL"),
    ("x.base_url", "TRELLIS_X_BASE_URL"),
    ("x.authorize_url", "TRELLIS_X_AUTHORIZE_URL"),
    ("facebook.app_id", "TRELLIS_FACEBOOK_APP_ID"),
    ("facebook.app_secret", "TRELLIS_FACEBOOK_APP_SECRET"),
    ("facebook.verify_token", "TRELLIS_FACEBOOK_VERIFY_TOKEN"),
    ("facebook.redirect_url", "TRELLIS_FACEBOOK_REDIRECT_URL"),
    ("facebook.base_url", "TRELLIS_FACEBOOK_BASE_URL"),
    ("facebook.dialog_url", "TRELLIS_FACEBOOK_DIALOG_URL"),
    ("discourse.webhook_secret", "TRELLIS_DISCOURSE_WEBHOOK_SECRET"),
];

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

/// A platform section of the config file, as written: string values only.
pub type FileSection = Option<BTreeMap<String, String>>;

/// One source's values of these settings, by setting name, tagged with where they came from.
/// `Debug` names the settings set, never their values.
#[derive(Default)]
pub struct AppsLayer(BTreeMap<&'static str, (String, Origin)>);

impl std::fmt::Debug for AppsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl AppsLayer {
    /// The file's `secret_key` and its `[x]`, `[facebook]`, `[discourse]` sections. A key this
    /// module does not know is refused, so a typo never silently leaves a secret unset.
    pub fn from_file(
        secret_key: Option<String>,
        sections: [(&str, FileSection); 3],
        origin: &Origin,
    ) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        if let Some(value) = secret_key {
            values.insert("secret_key", (value, origin.clone()));
        }
        for (section, keys) in sections {
            for (key, value) in keys.unwrap_or_default() {
                let full = format!("{section}.{key}");
                let Some((name, _)) = SETTINGS.iter().find(|(name, _)| *name == full) else {
                    return Err(ConfigError::Invalid {
                        setting: "config file",
                        value: full,
                        origin: origin.clone(),
                        reason: format!("unknown key in [{section}]"),
                    });
                };
                values.insert(*name, (value, origin.clone()));
            }
        }
        Ok(Self(values))
    }

    /// `TRELLIS_SECRET_KEY`, `TRELLIS_X_CLIENT_ID`, …; an empty variable counts as unset.
    pub fn from_env(env: &HashMap<String, String>) -> Self {
        let values = SETTINGS
            .iter()
            .filter_map(|(name, var)| {
                let value = env.get(*var).filter(|value| !value.is_empty())?;
                Some((*name, (value.clone(), Origin::Env(var))))
            })
            .collect();
        Self(values)
    }

    /// `self` with every setting that `upper` sets replaced by upper's.
    pub fn overlay(mut self, upper: AppsLayer) -> Self {
        self.0.extend(upper.0);
        self
    }

    /// Checks every value and builds the settings. A secret's value never appears in an error.
    pub fn resolve(mut self) -> Result<PlatformApps, ConfigError> {
        let mut take = |name: &str| self.0.remove(name);
        let secret = |value: Option<(String, Origin)>| value.map(|(text, _)| Secret::new(text));
        let text = |value: Option<(String, Origin)>| value.map(|(text, _)| text);

        let secret_key = take("secret_key");
        if let Some((text, origin)) = &secret_key {
            if let Err(error) = SecretKey::parse(text, &origin.to_string()) {
                return Err(ConfigError::Invalid {
                    setting: "secret_key",
                    value: "<redacted>".to_owned(),
                    origin: origin.clone(),
                    reason: error.to_string(),
                });
            }
        }
        let x = XApp {
            client_id: text(take("x.client_id")),
            client_secret: secret(take("x.client_secret")),
            consumer_secret: secret(take("x.consumer_secret")),
            redirect_url: optional_url("x.redirect_url", take("x.redirect_url"))?,
            base_url: url_or("x.base_url", take("x.base_url"), X_BASE_URL)?,
            authorize_url: url_or("x.authorize_url", take("x.authorize_url"), X_AUTHORIZE_URL)?,
        };
        let facebook = FacebookApp {
            app_id: text(take("facebook.app_id")),
            app_secret: secret(take("facebook.app_secret")),
            verify_token: secret(take("facebook.verify_token")),
            redirect_url: optional_url("facebook.redirect_url", take("facebook.redirect_url"))?,
            base_url: url_or("facebook.base_url", take("facebook.base_url"), FACEBOOK_BASE_URL)?,
            dialog_url: url_or(
                "facebook.dialog_url",
                take("facebook.dialog_url"),
                FACEBOOK_DIALOG_URL,
            )?,
        };
        let discourse = DiscourseApp { webhook_secret: secret(take("discourse.webhook_secret")) };
        Ok(PlatformApps { secret_key: secret(secret_key), x, facebook, discourse })
    }
}

/// The setting's name as written in [`SETTINGS`], for errors that need a `'static` one.
fn static_name(name: &str) -> &'static str {
    SETTINGS.iter().find(|(known, _)| *known == name).map_or("url", |(known, _)| known)
}

fn optional_url(
    name: &str,
    value: Option<(String, Origin)>,
) -> Result<Option<String>, ConfigError> {
    value.map(|value| checked_url(name, value)).transpose()
}

fn url_or(
    name: &str,
    value: Option<(String, Origin)>,
    default: &str,
) -> Result<String, ConfigError> {
    Ok(optional_url(name, value)?.unwrap_or_else(|| default.to_owned()))
}

/// An `http(s)` URL, trailing slash removed so paths join predictably.
fn checked_url(name: &str, (value, origin): (String, Origin)) -> Result<String, ConfigError> {
    match url::Url::parse(value.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            Ok(value.trim().trim_end_matches('/').to_owned())
        }
        _ => Err(ConfigError::Invalid {
            setting: static_name(name),
            value,
            origin,
            reason: "expected an http:// or https:// URL".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn section(pairs: &[(&str, &str)]) -> FileSection {
        Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn the_environment_overrides_the_file_and_defaults_fill_the_rest() {
        let origin = Origin::File("trellis.toml".into());
        let file = AppsLayer::from_file(
            None,
            [
                ("x", section(&[("client_id", "from-file"), ("consumer_secret", "c0ns")])),
                ("facebook", section(&[("app_id", "123")])),
                ("discourse", None),
            ],
            &origin,
        )
        .unwrap();
        let env = AppsLayer::from_env(&env(&[
            ("TRELLIS_X_CLIENT_ID", "from-env"),
            ("TRELLIS_DISCOURSE_WEBHOOK_SECRET", "hook"),
        ]));
        let apps = file.overlay(env).resolve().unwrap();
        assert_eq!(apps.x.client_id.as_deref(), Some("from-env"));
        assert_eq!(apps.x.consumer_secret.as_deref(), Some("c0ns"));
        assert_eq!(apps.x.base_url, X_BASE_URL);
        assert_eq!(apps.facebook.app_id.as_deref(), Some("123"));
        assert_eq!(apps.facebook.dialog_url, FACEBOOK_DIALOG_URL);
        assert_eq!(apps.discourse.webhook_secret.as_deref(), Some("hook"));
        assert!(apps.secret_key.is_none());
    }

    #[test]
    fn an_unknown_key_in_a_platform_section_is_refused() {
        let origin = Origin::File("trellis.toml".into());
        let err = AppsLayer::from_file(
            None,
            [("x", section(&[("client_secert", "s")])), ("facebook", None), ("discourse", None)],
            &origin,
        )
        .unwrap_err();
        assert!(err.to_string().contains("x.client_secert"), "{err}");
    }

    #[test]
    fn a_bad_secret_key_is_refused_without_echoing_it() {
        let layer = AppsLayer::from_env(&env(&[("TRELLIS_SECRET_KEY", "hunter2-hunter2")]));
        let err = layer.resolve().unwrap_err().to_string();
        assert!(err.contains("TRELLIS_SECRET_KEY") && err.contains("secret_key"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn a_base_url_must_be_http_and_loses_its_trailing_slash() {
        let bad = AppsLayer::from_env(&env(&[("TRELLIS_X_BASE_URL", "api.x.com")]));
        assert!(bad.resolve().unwrap_err().to_string().contains("x.base_url"));
        let good = AppsLayer::from_env(&env(&[("TRELLIS_X_BASE_URL", "http://127.0.0.1:9/")]));
        assert_eq!(good.resolve().unwrap().x.base_url, "http://127.0.0.1:9");
    }

    #[test]
    fn debug_of_the_settings_shows_no_secret() {
        let layer = AppsLayer::from_env(&env(&[
            ("TRELLIS_X_CLIENT_SECRET", "xs3cret"),
            ("TRELLIS_FACEBOOK_APP_SECRET", "fbs3cret"),
            ("TRELLIS_FACEBOOK_VERIFY_TOKEN", "v3rify"),
        ]));
        let shown = format!("{:?}", layer.resolve().unwrap());
        assert!(!shown.contains("s3cret") && !shown.contains("v3rify"), "{shown}");
    }
}
