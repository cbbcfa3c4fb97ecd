//! The embedded backend: one SQLite file in WAL mode.
//!
//! Writes go through a pool of exactly one connection and start with `begin immediate`: SQLite
//! allows one writer at a time anyway, and queueing writers in-process (instead of letting them
//! collide on the file lock) avoids `SQLITE_BUSY` when a deferred transaction that read first tries
//! to upgrade to a write. Reads use a separate pool and never wait for writes (WAL).

use crate::error::ResultExt;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
// Every domain type, so each `ops/` file can name what it needs without editing this list.
#[allow(clippy::wildcard_imports)]
use trellis_core::*;

/// How long a statement waits for another process holding the write lock (e.g. `trellis import`
/// running beside `trellis serve`) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const READ_CONNECTIONS: u32 = 4;

/// The message store on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    reader: SqlitePool,
    writer: SqlitePool,
}

type This = SqliteStore;
type Db = sqlx::Sqlite;

impl crate::dialect::Dialect for SqliteStore {
    const BACKEND: Backend = Backend::Sqlite;
    const LOCK_CHANGE_FEED: Option<&'static str> = None;
    const FOR_UPDATE: &'static str = "";
    const EXPLAIN: &'static str = "explain query plan ";
    const EXPLAIN_SETUP: &'static [&'static str] = &[];

    fn numbered(sql: String) -> String {
        crate::sql::question_marks(&sql)
    }
}

/// The writer's page cache, in SQLite's negative-KiB notation: 64 MiB.
const WRITER_CACHE_KIB: &str = "-65536";

/// Rows the connection thread may queue before the reader takes them (sqlx's default is 50).
const ROW_CHANNEL_SIZE: usize = 2_048;

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite://<path>` URL. Does not migrate.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|err| StoreError::Invalid(format!("bad sqlite url: {err}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // sqlx runs each SQLite connection on its own thread and hands rows over a bounded
            // channel (50 by default): a batch statement returning a thousand rows then costs a
            // thread hand-off every few rows. A deeper channel lets the worker run ahead.
            .row_buffer_size(ROW_CHANNEL_SIZE);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // The one writer walks every index of every batch: with SQLite's default 2 MiB page
            // cache it rereads index pages from the OS on each batch once the store outgrows it.
            .connect_with(options.clone().pragma("cache_size", WRITER_CACHE_KIB))
            .await
            .map_err(|err| StoreError::Unavailable(format!("cannot open {url}: {err}")))?;
        // An in-memory database exists per connection, so it cannot have a separate read pool.
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READ_CONNECTIONS)
                .connect_with(options)
                .await
                .map_err(|err| StoreError::Unavailable(format!("cannot open {url}: {err}")))?
        };
        Ok(Self { reader, writer })
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, Db>> {
        self.writer.begin_with("begin immediate").await.db()
    }

    async fn migrate_impl(&self) -> StoreResult<()> {
        sqlx::migrate!("../../migrations/sqlite")
            .run(&self.writer)
            .await
            .map_err(crate::error::migrate)
    }

    fn plan_line(row: &sqlx::sqlite::SqliteRow) -> StoreResult<String> {
        row.try_get::<String, _>("detail").db()
    }
}

crate::ops::backend_ops!();
