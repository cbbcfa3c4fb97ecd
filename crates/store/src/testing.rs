//! Helpers for tests of this crate and of the crates above it: a throw-away SQLite file URL and a
//! fresh PostgreSQL database per test.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use trellis_core::{StoreError, StoreResult};

/// Where the PostgreSQL used by tests lives: `TRELLIS_TEST_POSTGRES_URL`, else the local default.
pub fn postgres_test_url() -> String {
    std::env::var("TRELLIS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A `sqlite://` URL for a new database file inside `dir`.
pub fn temp_sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("trellis.db").display())
}

/// Whether tests run in CI, where a missing PostgreSQL is a failure rather than a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value.eq_ignore_ascii_case("true") || value == "1")
}

/// A database created for one test. Dropped (connections terminated) when this value is dropped,
/// or explicitly with [`TestDatabase::cleanup`].
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL of the new, empty database.
    pub url: String,
    admin_url: String,
    name: String,
    dropped: bool,
}

impl TestDatabase {
    /// Drops the database now, reporting failure.
    pub async fn cleanup(mut self) -> StoreResult<()> {
        self.dropped = true;
        drop_database(&self.admin_url, &self.name).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Drop cannot await; a short-lived thread with its own runtime does the cleanup so it
        // also happens when a test panics. Best effort: a leftover database is only clutter.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(runtime) = runtime {
                if let Err(err) = runtime.block_on(drop_database(&admin_url, &name)) {
                    tracing::warn!(database = %name, error = %err, "could not drop test database");
                }
            }
        });
        let _ = cleanup.join();
    }
}

async fn drop_database(admin_url: &str, name: &str) -> StoreResult<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .map_err(|err| StoreError::Unavailable(err.to_string()))?;
    sqlx::query(&format!("drop database if exists \"{name}\" with (force)"))
        .execute(&mut conn)
        .await
        .map_err(|err| StoreError::Backend(Box::new(err)))?;
    Ok(())
}

/// Creates a uniquely named, empty database on the test PostgreSQL. `Ok(None)` when PostgreSQL
/// cannot be reached, unless `CI=true`, where that is an error.
pub async fn fresh_postgres_database() -> StoreResult<Option<TestDatabase>> {
    use sqlx::Connection;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let admin_url = postgres_test_url();
    let connect = sqlx::PgConnection::connect(&admin_url);
    let mut conn = match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(err)) if !in_ci() => {
            tracing::warn!(error = %err, "postgresql unreachable");
            return Ok(None);
        }
        Err(_) if !in_ci() => return Ok(None),
        Ok(Err(err)) => {
            return Err(StoreError::Unavailable(format!(
                "postgresql at {admin_url} is required when CI=true: {err}"
            )))
        }
        Err(_) => {
            return Err(StoreError::Unavailable(format!(
                "postgresql at {admin_url} is required when CI=true: connect timed out"
            )))
        }
    };
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let name = format!(
        "trellis_test_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::query(&format!("create database \"{name}\""))
        .execute(&mut conn)
        .await
        .map_err(|err| StoreError::Backend(Box::new(err)))?;
    let mut url = url::Url::parse(&admin_url)
        .map_err(|err| StoreError::Invalid(format!("bad test postgres url: {err}")))?;
    url.set_path(&format!("/{name}"));
    Ok(Some(TestDatabase { url: url.to_string(), admin_url, name, dropped: false }))
}
