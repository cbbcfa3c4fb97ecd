#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join(CONFIG_FILE_NAME);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn nothing_set_gives_the_documented_defaults() {
    let dir = tempfile::tempdir().unwrap();
    // Point the data dir at an empty temp dir so a stray ./data/trellis.toml cannot interfere.
    let flags = Overrides { data_dir: Some(dir.path().to_owned()), ..Default::default() };
    let config = Config::load(&env(&[]), &flags).unwrap();
    assert_eq!(config.bind, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(config.log, "info");
    assert_eq!(config.log_format, LogFormat::Text);
    assert_eq!(
        config.database_url,
        format!("sqlite://{}", dir.path().join("trellis.sqlite").display())
    );
    assert_eq!(config.index_dir(), dir.path().join("index"));
}

#[test]
fn the_environment_overrides_the_file_and_flags_override_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        "bind = \"0.0.0.0:9000\"\nlog = \"debug\"\nlog_format = \"json\"\ndatabase_url = \"sqlite://file.db\"\n",
    );
    let env = env(&[("TRELLIS_BIND", "127.0.0.1:9100"), ("TRELLIS_LOG", "warn")]);
    let flags =
        Overrides { config: Some(path), log: Some("error".to_owned()), ..Default::default() };
    let config = Config::load(&env, &flags).unwrap();
    assert_eq!(config.bind, "127.0.0.1:9100".parse().unwrap(), "env beats file");
    assert_eq!(config.log, "error", "flag beats env");
    assert_eq!(config.log_format, LogFormat::Json, "file beats default");
    assert_eq!(config.database_url, "sqlite://file.db");
}

#[test]
fn the_config_file_is_found_in_the_data_dir_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "bind = \"127.0.0.1:7000\"\n");
    let env = env(&[("TRELLIS_DATA_DIR", dir.path().to_str().unwrap())]);
    let config = Config::load(&env, &Overrides::default()).unwrap();
    assert_eq!(config.bind, "127.0.0.1:7000".parse().unwrap());
    assert_eq!(config.data_dir, dir.path());
}

#[test]
fn the_default_database_follows_the_data_dir_set_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), "data_dir = \"/srv/trellis\"\n");
    let flags = Overrides { config: Some(path), ..Default::default() };
    let config = Config::load(&env(&[]), &flags).unwrap();
    assert_eq!(config.database_url, "sqlite:///srv/trellis/trellis.sqlite");
    assert_eq!(config.index_dir(), PathBuf::from("/srv/trellis/index"));
}

#[test]
fn an_unknown_key_in_the_file_is_an_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), "bind = \"127.0.0.1:1\"\ndatabse_url = \"x\"\n");
    let flags = Overrides { config: Some(path), ..Default::default() };
    let err = Config::load(&env(&[]), &flags).unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }), "{err:?}");
    assert!(err.to_string().contains("databse_url"), "{err}");
}

#[test]
fn an_explicit_config_file_that_is_missing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let flags = Overrides { config: Some(dir.path().join("nope.toml")), ..Default::default() };
    let err = Config::load(&env(&[]), &flags).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.toml"), "{err}");
}

#[test]
fn a_bad_value_names_the_setting_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let flags = Overrides { data_dir: Some(dir.path().to_owned()), ..Default::default() };
    let err = Config::load(&env(&[("TRELLIS_BIND", "localhost")]), &flags).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("bind") && text.contains("TRELLIS_BIND"), "{text}");

    let err = Config::load(&env(&[("TRELLIS_LOG_FORMAT", "xml")]), &flags).unwrap_err();
    assert!(err.to_string().contains("log_format"), "{err}");

    let err = Config::load(&env(&[("TRELLIS_LOG", "trellis=loud")]), &flags).unwrap_err();
    assert!(err.to_string().contains("TRELLIS_LOG"), "{err}");

    let bad_url = Overrides { database_url: Some("mysql://u:pw@db/x".to_owned()), ..flags };
    let err = Config::load(&env(&[]), &bad_url).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("--database-url") && !text.contains("pw@"), "{text}");
}

#[test]
fn an_empty_environment_variable_counts_as_unset() {
    let dir = tempfile::tempdir().unwrap();
    let flags = Overrides { data_dir: Some(dir.path().to_owned()), ..Default::default() };
    let config = Config::load(&env(&[("TRELLIS_BIND", "")]), &flags).unwrap();
    assert_eq!(config.bind, "127.0.0.1:8080".parse().unwrap());
}

#[test]
fn passwords_are_redacted_from_database_urls() {
    assert_eq!(
        redact_url("postgres://trellis:s3cr@t@db.internal:5432/trellis?sslmode=require"),
        "postgres://trellis:***@db.internal:5432/trellis?sslmode=require"
    );
    assert_eq!(redact_url("postgres://trellis@db/trellis"), "postgres://trellis@db/trellis");
    assert_eq!(redact_url("sqlite://./data/trellis.sqlite"), "sqlite://./data/trellis.sqlite");
    assert_eq!(redact_url("not a url"), "not a url");
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod sync_section {
    use crate::config::{Config, ConfigError, Overrides};
    use std::collections::HashMap;

    fn load(file: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trellis.toml");
        std::fs::write(&path, file).unwrap();
        let env: HashMap<String, String> =
            env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::load(&env, &Overrides { config: Some(path), ..Default::default() })
    }

    #[test]
    fn sync_settings_default_to_polling_every_minute_with_a_week_of_backfill() {
        let sync = load("", &[]).unwrap().sync;
        assert!(sync.enabled);
        assert_eq!(sync.min_interval, chrono::Duration::seconds(60));
        assert_eq!(sync.backfill, chrono::Duration::days(7));
        assert_eq!(
            trellis_sync::settings::pacing(&sync).min_interval,
            chrono::Duration::seconds(60)
        );
    }

    #[test]
    fn the_sync_section_is_read_and_the_environment_overrides_it() {
        let file = "[sync]\nenabled = false\nmin_interval_secs = 15\nbackfill_days = 2\n";
        let sync = load(file, &[]).unwrap().sync;
        assert!(!sync.enabled);
        assert_eq!(sync.min_interval, chrono::Duration::seconds(15));
        assert_eq!(sync.backfill, chrono::Duration::days(2));
        let sync = load(file, &[("TRELLIS_SYNC_ENABLED", "true")]).unwrap().sync;
        assert!(sync.enabled);
    }

    #[test]
    fn bad_sync_values_are_refused_naming_the_setting_and_its_origin() {
        let error = load("[sync]\nmin_interval_secs = 0\n", &[]).unwrap_err().to_string();
        assert!(
            error.contains("sync.min_interval_secs") && error.contains("config file"),
            "{error}"
        );
        let error = load("", &[("TRELLIS_SYNC_ENABLED", "maybe")]).unwrap_err().to_string();
        assert!(error.contains("TRELLIS_SYNC_ENABLED"), "{error}");
        assert!(load("[sync]\nintervall = 3\n", &[]).is_err(), "a typo must not pass silently");
    }

    #[test]
    fn private_addresses_are_refused_unless_the_file_or_the_environment_allows_them() {
        assert!(!load("", &[]).unwrap().sync.allow_private_addresses);
        let file = "[sync]\nallow_private_addresses = true\n";
        let config = load(file, &[]).unwrap();
        assert!(config.sync.allow_private_addresses);
        assert!(config.connection_settings().sync.allow_private_addresses, "handed to the runtime");
        let env = [("TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES", "false")];
        assert!(!load(file, &env).unwrap().sync.allow_private_addresses, "env beats file");
        let env = [("TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES", "yes")];
        assert!(load("", &env).unwrap().sync.allow_private_addresses);

        let error = load("", &[("TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES", "sometimes")])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("sync.allow_private_addresses")
                && error.contains("TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES"),
            "{error}"
        );
        assert!(load("[sync]\nallow_private_addresses = \"yes\"\n", &[]).is_err(), "a bool");
    }
}

#[cfg(test)]
mod public_url {
    use crate::config::{Config, Overrides};
    use std::collections::HashMap;

    fn load(value: &str) -> Result<Config, crate::config::ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let env: HashMap<String, String> =
            [("TRELLIS_PUBLIC_URL".to_owned(), value.to_owned())].into_iter().collect();
        let overrides = Overrides { data_dir: Some(dir.path().to_owned()), ..Default::default() };
        Config::load(&env, &overrides)
    }

    #[test]
    fn an_https_public_url_makes_cookies_secure_and_names_the_origin() {
        let config = load("https://inbox.example.com/").unwrap();
        assert_eq!(config.public_url.as_deref(), Some("https://inbox.example.com"));
        let http = config.http_settings();
        assert!(http.auth.secure_cookies);
        assert_eq!(http.auth.public_origin.as_deref(), Some("https://inbox.example.com"));
        assert_eq!(http.base_url(), "https://inbox.example.com");
        let plain = load("http://10.0.0.5:8080").unwrap().http_settings();
        assert!(!plain.auth.secure_cookies);
    }

    #[test]
    fn a_public_url_with_a_path_or_another_scheme_is_refused_by_name() {
        for bad in ["https://inbox.example.com/trellis", "ftp://inbox.example.com", "inbox"] {
            let error = load(bad).unwrap_err().to_string();
            assert!(
                error.contains("public_url") && error.contains("TRELLIS_PUBLIC_URL"),
                "{error}"
            );
        }
    }
}
