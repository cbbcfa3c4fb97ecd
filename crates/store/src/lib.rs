//! The trellis message store: the only source of truth, on SQLite (embedded default) or PostgreSQL
//! (shared, several nodes), behind one [`trellis_core::Store`].
//!
//! Both backends run the same SQL text (see `ops/`); times are stored as microseconds since the
//! epoch; every write appends to the change feed in its own transaction. docs/store.md has the
//! schema and the guarantees.

mod dialect;
mod error;
mod hash;
mod ops;
mod plan;
mod postgres;
mod rows;
mod rows_access;
mod rows_connection;
mod rows_workflow;
mod sql;
mod sqlite;
pub mod testing;
mod time;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use std::sync::Arc;
use trellis_core::{Store, StoreError, StoreResult};

/// Opens the store a URL names: `sqlite://<path>` (the file is created if missing) or
/// `postgres://…` / `postgresql://…`. Does not migrate: call [`Store::migrate`].
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("sqlite") => Ok(Arc::new(SqliteStore::connect(url).await?)),
        Some("postgres" | "postgresql") => Ok(Arc::new(PgStore::connect(url).await?)),
        _ => Err(StoreError::Invalid(format!(
            "unsupported store url {:?}: expected sqlite://<path>, postgres://… or postgresql://…",
            redact(url)
        ))),
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unknown_scheme_names_the_accepted_ones() {
        let Err(err) = connect("mysql://localhost/trellis").await else { panic!("connected") };
        let message = err.to_string();
        assert!(matches!(err, StoreError::Invalid(_)), "{message}");
        assert!(message.contains("sqlite://") && message.contains("postgres://"), "{message}");
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://data.db"), "sqlite://data.db");
    }
}
