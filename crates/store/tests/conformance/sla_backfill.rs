//! Migration 0008 computes the SLA summary of the records written before it in SQL; the store
//! computes it in Rust ([`SlaSummary::of`]) from then on. Both must agree: records are written into
//! a database migrated up to 0007, the rest of the migrations run, and every summary is compared.

use crate::harness::{account, at, batch, mention};
use crate::listing_sla::clock;
use chrono::Duration;
use std::borrow::Cow;
use std::sync::Arc;
use trellis_core::{
    Channel, ConversationFilter, ConversationId, SlaClockRecord, SlaSummary, Store,
};
use trellis_store::testing::{fresh_postgres_database, temp_sqlite_url};
use trellis_store::{PgStore, SqliteStore};

/// The last migration before the summary columns.
const BEFORE: i64 = 7;

enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Pool {
    async fn migrate_to_0007(&self) {
        let only_before = |mut migrator: sqlx::migrate::Migrator| {
            let kept = migrator.migrations.iter().filter(|m| m.version <= BEFORE).cloned();
            migrator.migrations = Cow::Owned(kept.collect());
            migrator
        };
        match self {
            Pool::Sqlite(pool) => {
                let migrator = only_before(sqlx::migrate!("../../migrations/sqlite"));
                migrator.run(pool).await.unwrap();
            }
            Pool::Postgres(pool) => {
                let migrator = only_before(sqlx::migrate!("../../migrations/postgres"));
                migrator.run(pool).await.unwrap();
            }
        }
    }

    /// Writes a record as the store did before migration 0008: no summary columns.
    async fn insert_old_record(&self, id: ConversationId, clocks: &[SlaClockRecord]) {
        let sql = "insert into conversation_sla (conversation_id, policy_id, clocks, \
                   next_transition_at, computed_at) values ($1, null, $2, null, 0)";
        let clocks = serde_json::to_string(clocks).unwrap();
        match self {
            Pool::Sqlite(pool) => {
                sqlx::query(sql).bind(id.0).bind(clocks).execute(pool).await.unwrap();
            }
            Pool::Postgres(pool) => {
                sqlx::query(sql).bind(id.0).bind(clocks).execute(pool).await.unwrap();
            }
        };
    }
}

/// Clock sets covering each level, each way a time is written (whole seconds, milli-, micro- and
/// nanoseconds), clocks without a due time and records without clocks.
fn clock_sets() -> Vec<Vec<SlaClockRecord>> {
    let precise = |state: &str, extra: Duration| SlaClockRecord {
        due_at: Some(at(500) + extra),
        ..clock("next_response", state, None)
    };
    vec![
        Vec::new(),
        vec![clock("first_response", "running", Some(100))],
        vec![clock("first_response", "paused", Some(50)), clock("resolution", "running", None)],
        vec![clock("first_response", "warning", Some(300)), precise("running", Duration::zero())],
        vec![precise("warning", Duration::milliseconds(250)), clock("resolution", "met", Some(1))],
        vec![precise("running", Duration::microseconds(123_456))],
        vec![precise("running", Duration::nanoseconds(987_654_321))],
        vec![precise("running", Duration::microseconds(5)), precise("running", Duration::zero())],
        vec![
            clock("first_response", "breached", Some(10)),
            clock("resolution", "running", Some(900)),
        ],
        vec![clock("first_response", "met", Some(10)), clock("next_response", "met", Some(20))],
        vec![
            clock("first_response", "breached", Some(10)),
            clock("resolution", "warning", Some(9)),
        ],
    ]
}

async fn backfill_agrees_with_the_store(store: Arc<dyn Store>, pool: Pool) {
    pool.migrate_to_0007().await;
    let acct = account(&*store, Channel::X, "acme").await;
    let sets = clock_sets();
    let messages = (0..sets.len()).map(|i| mention(&format!("m{i}"), "u", i as i64)).collect();
    let ids = store.ingest(batch(&acct, messages)).await.unwrap().conversations;
    for (id, clocks) in ids.iter().zip(&sets) {
        pool.insert_old_record(*id, clocks).await;
    }

    store.migrate().await.unwrap();
    let page = store.list_conversations(&ConversationFilter::default()).await.unwrap();
    assert_eq!(page.items.len(), sets.len());
    for (id, clocks) in ids.iter().zip(&sets) {
        // The store keeps microseconds, truncating.
        let expected = SlaSummary::of(clocks).map(|summary| SlaSummary {
            due_at: summary
                .due_at
                .and_then(|due| chrono::DateTime::from_timestamp_micros(due.timestamp_micros())),
            ..summary
        });
        assert_eq!(page.sla.get(id).copied(), expected, "{id}: {clocks:?}");
        // Written again through the store, the summary is the same.
        let record = store.conversation_sla(*id).await.unwrap().unwrap();
        store.put_conversation_sla(record).await.unwrap();
    }
    let again = store.list_conversations(&ConversationFilter::default()).await.unwrap();
    assert_eq!(again.sla, page.sla);
}

#[tokio::test]
async fn the_sqlite_backfill_agrees_with_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = temp_sqlite_url(dir.path());
    let store = SqliteStore::connect(&url).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    backfill_agrees_with_the_store(Arc::new(store), Pool::Sqlite(pool)).await;
}

#[tokio::test]
async fn the_postgres_backfill_agrees_with_the_store() {
    let Some(database) = fresh_postgres_database().await.unwrap() else {
        eprintln!("\n!!! SKIPPED the postgres sla backfill test: postgresql is unreachable\n");
        return;
    };
    let store = PgStore::connect(&database.url).await.unwrap();
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    backfill_agrees_with_the_store(Arc::new(store), Pool::Postgres(pool.clone())).await;
    pool.close().await;
}
