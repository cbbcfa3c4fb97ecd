//! Per-test databases and the fixtures tests build on.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use trellis_core::{
    Account, Channel, ConversationFilter, CursorUpdate, Direction, IngestBatch, MessageKind,
    NewAccount, NewContact, NewMessage, PlatformId, Store,
};
use trellis_store::testing::{fresh_postgres_database, temp_sqlite_url, TestDatabase};
use trellis_store::{PgStore, SqliteStore};

pub enum Concrete {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

pub struct Harness {
    pub store: Arc<dyn Store>,
    pub concrete: Concrete,
    _dir: Option<tempfile::TempDir>,
    _database: Option<TestDatabase>,
}

impl Harness {
    /// The plan of the list query for `filter`, lowercased.
    pub async fn explain(&self, filter: &ConversationFilter) -> String {
        let lines = match &self.concrete {
            Concrete::Sqlite(store) => store.explain_conversation_list(filter).await,
            Concrete::Postgres(store) => store.explain_conversation_list(filter).await,
        };
        lines.unwrap().join("\n").to_lowercase()
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self.concrete, Concrete::Sqlite(_))
    }
}

pub async fn sqlite() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::connect(&temp_sqlite_url(dir.path())).await.unwrap();
    store.migrate_for_tests().await;
    Harness {
        store: Arc::new(store.clone()),
        concrete: Concrete::Sqlite(store),
        _dir: Some(dir),
        _database: None,
    }
}

pub async fn postgres(test: &str) -> Option<Harness> {
    let Some(database) = fresh_postgres_database().await.unwrap() else {
        eprintln!(
            "\n!!! SKIPPED {test} on postgresql: {} is unreachable (set CI=true to make this fail)\n",
            trellis_store::testing::postgres_test_url()
        );
        return None;
    };
    let store = PgStore::connect(&database.url).await.unwrap();
    store.migrate_for_tests().await;
    Some(Harness {
        store: Arc::new(store.clone()),
        concrete: Concrete::Postgres(store),
        _dir: None,
        _database: Some(database),
    })
}

trait MigrateForTests {
    async fn migrate_for_tests(&self);
}

impl<S: Store> MigrateForTests for S {
    async fn migrate_for_tests(&self) {
        self.migrate().await.unwrap();
        // Migrating twice must be harmless: `trellis serve` migrates at every start.
        self.migrate().await.unwrap();
    }
}

pub async fn account(store: &dyn Store, channel: Channel, name: &str) -> Account {
    let brand = store.create_brand(&format!("{name} brand")).await.unwrap();
    store
        .create_account(NewAccount {
            brand_id: brand.id,
            channel,
            platform_account_id: name.to_owned(),
            display_name: format!("@{name}"),
            base_url: "http://127.0.0.1:1".to_owned(),
        })
        .await
        .unwrap()
}

pub fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
}

pub fn author(id: &str) -> NewContact {
    NewContact {
        platform_id: PlatformId::parse(id).unwrap(),
        handle: Some(format!("{id}_handle").parse().unwrap()),
        display_name: Some(format!("Name of {id}")),
        follower_count: Some(10),
        verified: false,
    }
}

/// An inbound message of `kind` by `author_id`, written `seconds` after the epoch of the tests.
pub fn message(
    id: &str,
    kind: MessageKind,
    thread: Option<&str>,
    author_id: &str,
    seconds: i64,
) -> NewMessage {
    NewMessage {
        platform_id: PlatformId::parse(id).unwrap(),
        kind,
        direction: Direction::Inbound,
        author: author(author_id),
        parent_platform_id: None,
        thread_platform_id: thread.map(|t| PlatformId::parse(t).unwrap()),
        thread_title: None,
        text: format!("text of {id}"),
        lang: Some("en".into()),
        raw: serde_json::json!({ "id": id, "nested": { "b": 1, "a": [1, 2] } }),
        created_at: at(seconds),
        deleted_at: None,
    }
}

/// A mention starting its own conversation.
pub fn mention(id: &str, author_id: &str, seconds: i64) -> NewMessage {
    message(id, MessageKind::Mention, None, author_id, seconds)
}

pub fn batch(account: &Account, messages: Vec<NewMessage>) -> IngestBatch {
    IngestBatch { account_id: account.id, messages, cursors: Vec::new() }
}

pub fn cursor(stream: &str, value: &str) -> CursorUpdate {
    CursorUpdate { stream: stream.to_owned(), value: value.to_owned() }
}
