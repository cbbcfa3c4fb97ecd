//! Configuration: a TOML file, overlaid by `TRELLIS_*` environment variables, overlaid by command-line
//! flags. Every setting is documented in docs/configuration.md.
//!
//! Loading takes the environment as a map so tests never touch the process environment.

use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
pub use trellis_sync::settings::SyncConfig;

/// The name of the config file looked up in the data dir when `--config` is not given.
pub const CONFIG_FILE_NAME: &str = "trellis.toml";

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line, for log shippers.
    Json,
}

/// The resolved configuration of one trellis process.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where the SQLite file (by default) and the search index live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The address `trellis serve` listens on.
    pub bind: SocketAddr,
    /// `public_url`: where people and platforms reach this server (`https://inbox.example.com`)
    /// when it is not `http://<bind>`, as behind a proxy. Browser changes must come from it, the
    /// session cookie is `Secure` when it is https, and the OAuth callbacks default to it.
    pub public_url: Option<String>,
    /// A tracing env-filter directive (`info`, `trellis=debug,tower_http=info`, …).
    pub log: String,
    pub log_format: LogFormat,
    /// `[sync]`: polling and outbound delivery on this node.
    pub sync: SyncConfig,
    /// `secret_key`: seals account credentials (trellis_sync::secrets); generated into the data dir when unset.
    pub secret_key: Option<trellis_sync::secrets::Secret>,
    /// `[x]`, `[facebook]`, `[discourse]`: the platform apps accounts connect through.
    pub x: trellis_sync::apps::XApp,
    pub facebook: trellis_sync::apps::FacebookApp,
    pub discourse: trellis_sync::apps::DiscourseApp,
}

impl Config {
    /// What the HTTP layer (`trellis-http`) needs of this configuration.
    pub fn http_settings(&self) -> trellis_http::HttpSettings {
        let mut settings = trellis_http::HttpSettings::new(self.bind, self.connection_settings());
        settings.public_url = self.public_url.clone();
        settings.auth.public_origin = self.public_url.clone();
        settings.auth.secure_cookies =
            self.public_url.as_deref().is_some_and(|url| url.starts_with("https://"));
        settings
    }

    /// What the connection runtime (`trellis-sync`) needs of this configuration.
    pub fn connection_settings(&self) -> trellis_sync::ConnectionSettings {
        trellis_sync::ConnectionSettings {
            data_dir: self.data_dir.clone(),
            secret_key: self.secret_key.clone(),
            sync: self.sync,
            x: self.x.clone(),
            facebook: self.facebook.clone(),
            discourse: self.discourse.clone(),
        }
    }

    /// The tantivy index directory, always inside the data dir: each node keeps its own index.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// The database URL with any password replaced, for logs and error messages.
    pub fn redacted_database_url(&self) -> String {
        redact_url(&self.database_url)
    }

    /// Resolves the configuration: defaults, then the TOML file, then `env`, then `flags`.
    ///
    /// The file is `flags.config` if given (it must exist), else `<data_dir>/trellis.toml` when that
    /// exists, where the data dir is taken from the flag or the environment (a data dir set inside
    /// the file cannot decide where the file is).
    pub fn load(env: &HashMap<String, String>, flags: &Overrides) -> Result<Self, ConfigError> {
        let env_layer = Layer::from_env(env);
        let flag_layer = Layer::from_flags(flags);

        let file_layer = match &flags.config {
            Some(path) => Layer::from_file(path)?,
            None => {
                let data_dir = flag_layer
                    .data_dir
                    .as_ref()
                    .or(env_layer.data_dir.as_ref())
                    .map_or_else(|| PathBuf::from(DEFAULT_DATA_DIR), |(dir, _)| PathBuf::from(dir));
                let candidate = data_dir.join(CONFIG_FILE_NAME);
                if candidate.is_file() {
                    Layer::from_file(&candidate)?
                } else {
                    Layer::default()
                }
            }
        };

        let merged = file_layer.overlay(env_layer).overlay(flag_layer);
        merged.resolve()
    }
}

const DEFAULT_DATA_DIR: &str = "./data";
const DEFAULT_BIND: &str = "127.0.0.1:8080";
const DEFAULT_LOG: &str = "info";

/// Settings given on the command line; `None` leaves the setting to the lower layers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub log: Option<String>,
    pub log_format: Option<String>,
}

/// Why the configuration could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid {setting} {value:?} (from {origin}): {reason}")]
    Invalid { setting: &'static str, value: String, origin: Origin, reason: String },
}

/// Where a setting's value came from, so an error can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(&'static str),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(path) => write!(f, "config file {}", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Flag(name) => write!(f, "flag {name}"),
        }
    }
}

/// The settings as written in the TOML file. Unknown keys are refused so a typo never silently
/// falls back to a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    bind: Option<String>,
    public_url: Option<String>,
    log: Option<String>,
    log_format: Option<String>,
    sync: Option<SyncFile>,
    secret_key: Option<String>,
    x: crate::config_apps::FileSection,
    facebook: crate::config_apps::FileSection,
    discourse: crate::config_apps::FileSection,
}

type Sourced = Option<(String, Origin)>;

/// One source's settings, as raw strings tagged with where they came from.
#[derive(Debug, Default)]
struct Layer {
    data_dir: Sourced,
    database_url: Sourced,
    bind: Sourced,
    public_url: Sourced,
    log: Sourced,
    log_format: Sourced,
    sync_enabled: Sourced,
    sync_min_interval_secs: Sourced,
    sync_backfill_days: Sourced,
    sync_allow_private_addresses: Sourced,
    apps: crate::config_apps::AppsLayer,
}

impl Layer {
    fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let settings: FileSettings = toml::from_str(&text).map_err(|err| ConfigError::Parse {
            path: path.to_owned(),
            message: err.to_string().trim_end().to_owned(),
        })?;
        let origin = || Origin::File(path.to_owned());
        let tag = |value: Option<String>| value.map(|v| (v, origin()));
        let sync = settings.sync.unwrap_or_default();
        let sections =
            [("x", settings.x), ("facebook", settings.facebook), ("discourse", settings.discourse)];
        let apps =
            crate::config_apps::AppsLayer::from_file(settings.secret_key, sections, &origin())?;
        Ok(Self {
            apps,
            sync_enabled: tag(sync.enabled.map(|v| v.to_string())),
            sync_min_interval_secs: tag(sync.min_interval_secs.map(|v| v.to_string())),
            sync_backfill_days: tag(sync.backfill_days.map(|v| v.to_string())),
            sync_allow_private_addresses: tag(sync.allow_private_addresses.map(|v| v.to_string())),
            data_dir: tag(settings.data_dir.map(|dir| dir.to_string_lossy().into_owned())),
            database_url: tag(settings.database_url),
            bind: tag(settings.bind),
            public_url: tag(settings.public_url),
            log: tag(settings.log),
            log_format: tag(settings.log_format),
        })
    }

    fn from_env(env: &HashMap<String, String>) -> Self {
        // An empty variable counts as unset, as `FOO= trellis serve` usually means "no value".
        let var = |name: &'static str| {
            env.get(name).filter(|value| !value.is_empty()).map(|v| (v.clone(), Origin::Env(name)))
        };
        Self {
            data_dir: var("TRELLIS_DATA_DIR"),
            database_url: var("TRELLIS_DATABASE_URL"),
            bind: var("TRELLIS_BIND"),
            public_url: var("TRELLIS_PUBLIC_URL"),
            log: var("TRELLIS_LOG"),
            log_format: var("TRELLIS_LOG_FORMAT"),
            sync_enabled: var("TRELLIS_SYNC_ENABLED"),
            sync_min_interval_secs: var("TRELLIS_SYNC_MIN_INTERVAL_SECS"),
            sync_backfill_days: var("TRELLIS_SYNC_BACKFILL_DAYS"),
            sync_allow_private_addresses: var("TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES"),
            apps: crate::config_apps::AppsLayer::from_env(env),
        }
    }

    fn from_flags(flags: &Overrides) -> Self {
        let flag = |value: &Option<String>, name: &'static str| {
            value.clone().map(|v| (v, Origin::Flag(name)))
        };
        Self {
            data_dir: flags
                .data_dir
                .as_ref()
                .map(|dir| (dir.to_string_lossy().into_owned(), Origin::Flag("--data-dir"))),
            database_url: flag(&flags.database_url, "--database-url"),
            bind: flag(&flags.bind, "--bind"),
            log: flag(&flags.log, "--log"),
            log_format: flag(&flags.log_format, "--log-format"),
            ..Self::default()
        }
    }

    /// `self` with every setting that `upper` sets replaced by upper's.
    fn overlay(self, upper: Layer) -> Self {
        Self {
            data_dir: upper.data_dir.or(self.data_dir),
            database_url: upper.database_url.or(self.database_url),
            bind: upper.bind.or(self.bind),
            public_url: upper.public_url.or(self.public_url),
            log: upper.log.or(self.log),
            log_format: upper.log_format.or(self.log_format),
            sync_enabled: upper.sync_enabled.or(self.sync_enabled),
            sync_min_interval_secs: upper.sync_min_interval_secs.or(self.sync_min_interval_secs),
            sync_backfill_days: upper.sync_backfill_days.or(self.sync_backfill_days),
            sync_allow_private_addresses: upper
                .sync_allow_private_addresses
                .or(self.sync_allow_private_addresses),
            apps: self.apps.overlay(upper.apps),
        }
    }

    fn resolve(self) -> Result<Config, ConfigError> {
        let or_default = |value: Sourced, default: &str| {
            value.unwrap_or_else(|| (default.to_owned(), Origin::Default))
        };

        let (data_dir, _) = or_default(self.data_dir, DEFAULT_DATA_DIR);
        let data_dir = PathBuf::from(data_dir);

        let database_url = match self.database_url {
            Some((url, origin)) => {
                check_database_url(&url, &origin)?;
                url
            }
            None => format!("sqlite://{}", data_dir.join("trellis.sqlite").display()),
        };

        let (bind, origin) = or_default(self.bind, DEFAULT_BIND);
        let bind = bind.parse::<SocketAddr>().map_err(|err| ConfigError::Invalid {
            setting: "bind",
            value: bind.clone(),
            origin,
            reason: format!("{err}, expected an address like 127.0.0.1:8080"),
        })?;

        let public_url = self.public_url.map(check_public_url).transpose()?;

        let (log, origin) = or_default(self.log, DEFAULT_LOG);
        if let Err(err) = tracing_subscriber::EnvFilter::try_new(&log) {
            return Err(ConfigError::Invalid {
                setting: "log",
                value: log,
                origin,
                reason: err.to_string(),
            });
        }

        let (format, origin) = or_default(self.log_format, "text");
        let log_format = match format.trim().to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => {
                return Err(ConfigError::Invalid {
                    setting: "log_format",
                    value: format,
                    origin,
                    reason: "expected text or json".to_owned(),
                })
            }
        };

        let sync = resolve_sync(SyncLayer {
            enabled: self.sync_enabled,
            min_interval_secs: self.sync_min_interval_secs,
            backfill_days: self.sync_backfill_days,
            allow_private_addresses: self.sync_allow_private_addresses,
        })?;

        let apps = self.apps.resolve()?;

        Ok(Config {
            data_dir,
            database_url,
            bind,
            public_url,
            log,
            log_format,
            sync,
            secret_key: apps.secret_key,
            x: apps.x,
            facebook: apps.facebook,
            discourse: apps.discourse,
        })
    }
}

/// `[sync]` as written in the config file; each key also has a `TRELLIS_SYNC_*` variable.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncFile {
    enabled: Option<bool>,
    min_interval_secs: Option<u64>,
    backfill_days: Option<u32>,
    allow_private_addresses: Option<bool>,
}

/// `[sync]` from the merged layers, before checking.
struct SyncLayer {
    enabled: Sourced,
    min_interval_secs: Sourced,
    backfill_days: Sourced,
    allow_private_addresses: Sourced,
}

/// `[sync]`: each setting checked and pointed at by its origin when it is wrong.
fn resolve_sync(layer: SyncLayer) -> Result<SyncConfig, ConfigError> {
    let SyncLayer { enabled, min_interval_secs, backfill_days, allow_private_addresses } = layer;
    let mut sync = SyncConfig::default();
    if let Some(value) = enabled {
        sync.enabled = boolean("sync.enabled", value)?;
    }
    if let Some(value) = allow_private_addresses {
        sync.allow_private_addresses = boolean("sync.allow_private_addresses", value)?;
    }
    let number = |setting: &'static str,
                  (value, origin): (String, Origin),
                  range: std::ops::RangeInclusive<i64>| {
        match value.trim().parse::<i64>() {
            Ok(number) if range.contains(&number) => Ok(number),
            _ => Err(ConfigError::Invalid {
                setting,
                value,
                origin,
                reason: format!(
                    "expected a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            }),
        }
    };
    if let Some(value) = min_interval_secs {
        let seconds = number("sync.min_interval_secs", value, 1..=86_400)?;
        sync.min_interval = chrono::Duration::seconds(seconds);
    }
    if let Some(value) = backfill_days {
        sync.backfill = chrono::Duration::days(number("sync.backfill_days", value, 0..=365)?);
    }
    Ok(sync)
}

/// `true`/`false`, `1`/`0` or `yes`/`no`, in any case.
fn boolean(setting: &'static str, (value, origin): (String, Origin)) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => {
            let reason = "expected true or false".to_owned();
            Err(ConfigError::Invalid { setting, value, origin, reason })
        }
    }
}

/// An http(s) origin: scheme, host and optional port, no path, query or user info. Returned
/// without a trailing slash.
fn check_public_url((value, origin): (String, Origin)) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        setting: "public_url",
        value: value.clone(),
        origin: origin.clone(),
        reason: reason.to_owned(),
    };
    let url = url::Url::parse(value.trim())
        .map_err(|_| invalid("expected a URL like https://inbox.example.com"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("expected an http:// or https:// URL"));
    }
    if url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(invalid(
            "expected only a scheme, a host and a port: trellis is served at the root",
        ));
    }
    Ok(url.origin().ascii_serialization())
}

fn check_database_url(url: &str, origin: &Origin) -> Result<(), ConfigError> {
    let supported = ["sqlite:", "postgres://", "postgresql://"];
    if supported.iter().any(|prefix| url.starts_with(prefix)) {
        return Ok(());
    }
    Err(ConfigError::Invalid {
        setting: "database_url",
        value: redact_url(url),
        origin: origin.clone(),
        reason: "expected a sqlite:// or postgres:// URL".to_owned(),
    })
}

/// `url` with the password of its user-info part replaced by `***`; unchanged when it has none.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // The user info ends at the last `@` of the authority: a password may itself contain `@`.
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let (user_info, host) = authority.split_at(at);
    match user_info.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{host}{tail}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
