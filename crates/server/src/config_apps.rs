//! Reading the platform apps (`[x]`, `[facebook]`, `[discourse]`) and the secret key
//! (`secret_key`) from the config file and `TRELLIS_*` variables like every other setting, resolved
//! into [`PlatformApps`]. Documented in docs/configuration.md.

use crate::config::{ConfigError, Origin};
use std::collections::{BTreeMap, HashMap};
use trellis_sync::apps::{
    DiscourseApp, FacebookApp, PlatformApps, XApp, FACEBOOK_BASE_URL, FACEBOOK_DIALOG_URL,
    X_AUTHORIZE_URL, X_BASE_URL,
};
use trellis_sync::secrets::{Secret, SecretKey};

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
