//! How the `[sync]` configuration (crate::config::SyncConfig) paces polls.

use super::plan::Pacing;
use crate::config::SyncConfig;

/// The pacing polls follow under `config`.
pub fn pacing(config: &SyncConfig) -> Pacing {
    Pacing { min_interval: config.min_interval, ..Pacing::DEFAULT }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
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
        assert_eq!(super::pacing(&sync).min_interval, chrono::Duration::seconds(60));
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
}
