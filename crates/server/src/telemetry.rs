//! Log setup: tracing to stderr, filtered by the `log` setting, as text or JSON lines.

use crate::config::{Config, LogFormat};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Installs the global tracing subscriber. Call once, before any work.
pub fn init(config: &Config) -> anyhow::Result<()> {
    // The filter was validated when the config was loaded; this cannot fail on a valid config.
    let filter = EnvFilter::try_new(effective_filter(&config.log))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let installed = match config.log_format {
        LogFormat::Json => {
            // The span list already ends with the current span; listing it twice is noise.
            builder
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(true)
                .try_init()
        }
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
    };
    installed.map_err(|err| anyhow::anyhow!("cannot install the log subscriber: {err}"))
}

/// tantivy logs every commit and merge at `info`, which drowns trellis's own lines; it is held at
/// `warn` unless the filter says something about tantivy itself.
fn effective_filter(filter: &str) -> String {
    if filter.contains("tantivy") {
        filter.to_owned()
    } else {
        format!("{filter},tantivy=warn")
    }
}

#[cfg(test)]
mod tests {
    use super::effective_filter;

    #[test]
    fn tantivy_is_quiet_unless_the_filter_names_it() {
        assert_eq!(effective_filter("info"), "info,tantivy=warn");
        assert_eq!(effective_filter("debug,tantivy=info"), "debug,tantivy=info");
    }
}
