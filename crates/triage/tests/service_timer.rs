//! The SLA timer: a breach is handled within a second of its due time, by the running service or
//! by one started after a restart. Targets of two seconds on a round-the-clock calendar; the test
//! awaits the `sla_breached` timeline event the timer writes, with a timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod service_common;

use chrono::{DateTime, Utc};
use serde_json::json;
use service_common::*;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use trellis_core::{ConversationId, Direction, Store, TimelineEvent};
use trellis_triage::service::TriageService;

/// How late a breach may be handled.
const PRECISION: chrono::Duration = chrono::Duration::seconds(1);

async fn breach(store: &dyn Store, id: ConversationId) -> TimelineEvent {
    eventually(Duration::from_secs(15), "the sla_breached event", || async {
        timeline_kinds(store, id, "sla_breached").await.into_iter().next()
    })
    .await
}

fn due_at(event: &TimelineEvent) -> DateTime<Utc> {
    serde_json::from_value(event.event.detail["due_at"].clone()).unwrap()
}

/// Starts a service, ingests a customer message under a two-second first-response target and
/// waits until the service has stored its clocks.
async fn timed_conversation(store: &std::sync::Arc<dyn Store>) -> (ConversationId, DateTime<Utc>) {
    let s = store.as_ref();
    let account = account(s).await;
    policy(s, policy_input("Tight", true, 2, 3600, 86_400, 50, json!({}))).await;
    let asked =
        ingest(s, &account, tweet("1", "1", Direction::Inbound, "hello?", Utc::now())).await;
    (asked.conversation_id, asked.created_at + chrono::Duration::seconds(2))
}

async fn stored_clocks(store: &dyn Store, id: ConversationId) {
    eventually(Duration::from_secs(10), "the conversation's clocks", || async {
        store.conversation_sla(id).await.unwrap()
    })
    .await;
}

async fn stop(cancel: CancellationToken, handle: tokio::task::JoinHandle<()>) {
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), handle).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_breach_is_recorded_within_a_second_of_its_due_time() {
    let db = sqlite().await;
    let (id, due) = timed_conversation(&db.store).await;
    let cancel = CancellationToken::new();
    let handle = TriageService::spawn(db.store.clone(), cancel.clone());

    let event = breach(db.store.as_ref(), id).await;
    assert_eq!(due_at(&event), due);
    assert!(event.event.at >= due, "handled before it was due: {} < {due}", event.event.at);
    assert!(event.event.at - due < PRECISION, "handled {} after due", event.event.at - due);
    // The warning (at 50 %) came first, once.
    let warnings = timeline_kinds(db.store.as_ref(), id, "sla_warning").await;
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].id < event.id);
    stop(cancel, handle).await;
    assert_eq!(
        clock_state(db.store.as_ref(), id, "first_response").await.as_deref(),
        Some("breached")
    );
    assert_eq!(timeline_kinds(db.store.as_ref(), id, "sla_breached").await.len(), 1);
}

#[tokio::test]
async fn a_service_restarted_before_the_due_time_still_fires_within_a_second() {
    let db = sqlite().await;
    let (id, due) = timed_conversation(&db.store).await;
    let cancel = CancellationToken::new();
    let first = TriageService::spawn(db.store.clone(), cancel.clone());
    stored_clocks(db.store.as_ref(), id).await;
    stop(cancel, first).await;
    assert!(Utc::now() < due, "the first service ran past the due time; the test proves nothing");

    let cancel = CancellationToken::new();
    let second = TriageService::spawn(db.store.clone(), cancel.clone());
    let event = breach(db.store.as_ref(), id).await;
    assert!(
        event.event.at >= due && event.event.at - due < PRECISION,
        "handled at {} for {due}",
        event.event.at
    );
    stop(cancel, second).await;
}

#[tokio::test]
async fn a_breach_that_came_due_while_nothing_ran_is_handled_at_once_on_start() {
    let db = sqlite().await;
    let (id, due) = timed_conversation(&db.store).await;
    let cancel = CancellationToken::new();
    let first = TriageService::spawn(db.store.clone(), cancel.clone());
    stored_clocks(db.store.as_ref(), id).await;
    stop(cancel, first).await;
    assert!(timeline_kinds(db.store.as_ref(), id, "sla_breached").await.is_empty());

    // Down over the due time: this sleep is the outage being simulated, not a synchronization.
    let outage = (due - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(300);
    tokio::time::sleep(outage).await;
    let started = Utc::now();
    let cancel = CancellationToken::new();
    let second = TriageService::spawn(db.store.clone(), cancel.clone());
    let event = breach(db.store.as_ref(), id).await;
    assert_eq!(due_at(&event), due);
    assert!(
        event.event.at - started < PRECISION,
        "handled {} after start",
        event.event.at - started
    );
    stop(cancel, second).await;
}
