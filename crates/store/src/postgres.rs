//! The shared backend: PostgreSQL, for several `trellis serve` nodes over one database.

use crate::error::ResultExt;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool, Row};
use std::str::FromStr;
use std::time::Duration;
// Every domain type, so each `ops/` file can name what it needs without editing this list.
#[allow(clippy::wildcard_imports)]
use trellis_core::*;

const MAX_CONNECTIONS: u32 = 10;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The advisory-lock key that orders change-feed writes ("trellis" in ASCII). See
/// [`crate::dialect::Dialect::LOCK_CHANGE_FEED`].
const CHANGE_FEED_LOCK: &str = "select pg_advisory_xact_lock(32776877234743667)";

/// The message store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

type This = PgStore;
type Db = sqlx::Postgres;

impl crate::dialect::Dialect for PgStore {
    const BACKEND: Backend = Backend::Postgres;
    const LOCK_CHANGE_FEED: Option<&'static str> = Some(CHANGE_FEED_LOCK);
    const FOR_UPDATE: &'static str = " for update";
    const EXPLAIN: &'static str = "explain ";
    // On a tiny table a sequential or bitmap scan plus a sort is cheapest; at scale the limit makes
    // the ordered index scan win. Turning both off shows the plan production gets.
    const EXPLAIN_SETUP: &'static [&'static str] =
        &["set local enable_seqscan = off", "set local enable_bitmapscan = off"];
}

impl PgStore {
    /// Connects to a `postgres://` URL. Does not migrate. An unreachable server is
    /// [`StoreError::Unavailable`].
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|err| StoreError::Invalid(format!("bad postgres url: {err}")))?;
        let target = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("postgres")
        );
        // One connection outside the pool first: its error says why (refused, authentication,
        // unknown database) and comes at once, where a pool only reports that it timed out.
        let unreachable = |err: sqlx::Error| match crate::error::map(err) {
            StoreError::Backend(err) => {
                StoreError::Unavailable(format!("cannot connect to postgresql at {target}: {err}"))
            }
            StoreError::Unavailable(err) => {
                StoreError::Unavailable(format!("cannot reach postgresql at {target}: {err}"))
            }
            other => other,
        };
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, options.connect())
            .await
            .map_err(|_| {
                StoreError::Unavailable(format!(
                    "cannot reach postgresql at {target}: no answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                ))
            })?
            .map_err(unreachable)?;
        // A failed goodbye on a connection we are done with changes nothing.
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(unreachable)?;
        Ok(Self { pool })
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, Db>> {
        self.pool.begin().await.db()
    }

    async fn migrate_impl(&self) -> StoreResult<()> {
        sqlx::migrate!("../../migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(crate::error::migrate)
    }

    fn plan_line(row: &sqlx::postgres::PgRow) -> StoreResult<String> {
        row.try_get::<String, _>(0).db()
    }
}

crate::ops::backend_ops!();
