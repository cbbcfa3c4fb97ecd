//! Fixtures shared by the triage service tests: a real store per test, an account to ingest
//! into, messages, policies and rules, and a bounded wait for something the service writes.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::future::Future;
use std::sync::Arc;
use trellis_core::{
    Account, Channel, ConversationId, Direction, IngestBatch, Message, MessageKind, NewAccount,
    NewContact, NewMessage, NewUser, PlatformId, Role, RuleInput, RuleRecord, SlaPolicyInput,
    SlaPolicyRecord, Store, TimelineEvent, User,
};
use trellis_store::testing::{fresh_postgres_database, temp_sqlite_url, TestDatabase};

/// A migrated store on a temp SQLite file (or a fresh PostgreSQL database); dropping it removes
/// the database.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    _database: Option<TestDatabase>,
}

pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let store = trellis_store::connect(&temp_sqlite_url(dir.path())).await.unwrap();
    store.migrate().await.unwrap();
    TestStore { store, _dir: Some(dir), _database: None }
}

/// `None` (with a note) when no PostgreSQL is reachable outside CI.
pub async fn postgres(test: &str) -> Option<TestStore> {
    let Some(database) = fresh_postgres_database().await.unwrap() else {
        eprintln!(
            "\n!!! SKIPPED {test} on postgresql: unreachable (set CI=true to make this fail)\n"
        );
        return None;
    };
    let store = trellis_store::connect(&database.url).await.unwrap();
    store.migrate().await.unwrap();
    Some(TestStore { store, _dir: None, _database: Some(database) })
}

pub async fn account(store: &dyn Store) -> Account {
    let brand = store.create_brand("Acme").await.unwrap();
    store
        .create_account(NewAccount {
            brand_id: brand.id,
            channel: Channel::X,
            platform_account_id: "acme".to_owned(),
            display_name: "@acme".to_owned(),
            base_url: "http://127.0.0.1:1".to_owned(),
        })
        .await
        .unwrap()
}

pub async fn user(store: &dyn Store, name: &str, role: Role) -> User {
    store
        .create_user(NewUser { email: format!("{name}@acme.test"), name: name.to_owned(), role })
        .await
        .unwrap()
}

/// A message in the X thread `thread` (its own id when it starts it), by `author`.
pub fn tweet(
    id: &str,
    thread: &str,
    direction: Direction,
    text: &str,
    created_at: DateTime<Utc>,
) -> NewMessage {
    let author = match direction {
        Direction::Inbound => "customer-1",
        Direction::Outbound => "acme",
    };
    NewMessage {
        platform_id: PlatformId::parse(id).unwrap(),
        kind: if id == thread { MessageKind::Mention } else { MessageKind::Reply },
        direction,
        author: NewContact {
            platform_id: PlatformId::parse(author).unwrap(),
            handle: Some(format!("{author}_handle").parse().unwrap()),
            display_name: None,
            follower_count: Some(50),
            verified: false,
        },
        parent_platform_id: None,
        thread_platform_id: Some(PlatformId::parse(thread).unwrap()),
        thread_title: None,
        text: text.to_owned(),
        lang: Some("en".to_owned()),
        raw: Value::Null,
        created_at,
        deleted_at: None,
    }
}

/// Ingests one message and returns it as stored.
pub async fn ingest(store: &dyn Store, account: &Account, message: NewMessage) -> Message {
    let platform_id = message.platform_id.clone();
    let outcome = store
        .ingest(IngestBatch { account_id: account.id, messages: vec![message], cursors: vec![] })
        .await
        .unwrap();
    let conversation = outcome.conversations[0];
    store
        .conversation_messages(conversation)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.platform_id == platform_id)
        .unwrap()
}

pub fn ago(minutes: i64) -> DateTime<Utc> {
    Utc::now() - Duration::minutes(minutes)
}

/// A round-the-clock policy with the same targets (in seconds) at every priority.
pub fn policy_input(
    name: &str,
    is_default: bool,
    first_response_seconds: i64,
    next_response_seconds: i64,
    resolution_seconds: i64,
    warning_percent: u8,
    escalation: Value,
) -> SlaPolicyInput {
    let targets = json!({
        "first_response_seconds": first_response_seconds,
        "next_response_seconds": next_response_seconds,
        "resolution_seconds": resolution_seconds,
    });
    SlaPolicyInput {
        name: name.to_owned(),
        calendar_id: None,
        is_default,
        definition: json!({
            "targets": { "low": targets, "normal": targets, "high": targets, "urgent": targets },
            "warning_percent": warning_percent,
            "escalation": escalation,
        }),
    }
}

pub async fn policy(store: &dyn Store, input: SlaPolicyInput) -> SlaPolicyRecord {
    store.create_sla_policy(input).await.unwrap()
}

pub async fn rule(store: &dyn Store, name: &str, definition: Value) -> RuleRecord {
    store.create_rule(RuleInput { name: name.to_owned(), enabled: true, definition }).await.unwrap()
}

pub async fn timeline_kinds(
    store: &dyn Store,
    id: ConversationId,
    kind: &str,
) -> Vec<TimelineEvent> {
    store
        .conversation_timeline(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.event.kind == kind)
        .collect()
}

/// The stored state of a conversation's latest clock of `metric`.
pub async fn clock_state(store: &dyn Store, id: ConversationId, metric: &str) -> Option<String> {
    let sla = store.conversation_sla(id).await.unwrap()?;
    sla.clocks.iter().rev().find(|clock| clock.metric == metric).map(|clock| clock.state.clone())
}

/// Waits until `probe` yields something, looking every 20 ms, failing after `timeout`. This is
/// how a test awaits what a background task writes to the store (the change feed, a timeline).
pub async fn eventually<T, F, Fut>(timeout: std::time::Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
