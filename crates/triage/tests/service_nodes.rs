//! Several nodes on one PostgreSQL database: only the node holding the `triage` lease runs the
//! follower, the timer and the jobs, so each rule action, breach and notification is recorded
//! once; when the leader stops or dies, a standby takes over and later breaches still fire.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod service_common;

use chrono::Utc;
use serde_json::json;
use service_common::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use trellis_core::{Account, ConversationId, Direction, Role, Store};
use trellis_triage::service::{leader::LEASE_NAME, Leadership, TriageService};

/// A short lease, so takeovers happen within a test's patience.
const TTL: Duration = Duration::from_secs(2);

struct Node {
    cancel: CancellationToken,
    handle: JoinHandle<()>,
}

fn start(store: &Arc<dyn Store>, name: &str) -> Node {
    let leadership = Leadership { node_id: name.to_owned(), ttl: TTL };
    let cancel = CancellationToken::new();
    let handle = TriageService::with_leadership(store.clone(), leadership).start(cancel.clone());
    Node { cancel, handle }
}

async fn stop(node: Node) {
    node.cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), node.handle).await.unwrap().unwrap();
}

/// Sets up a two-second first response (supervisors notified on a breach) and a rule raising
/// the priority and flagging every message; returns the account and the supervisor.
async fn setup(store: &dyn Store) -> (Account, trellis_core::UserId) {
    let account = account(store).await;
    let supervisor = user(store, "sam", Role::Supervisor).await.id;
    let escalation = json!({ "on_breach": ["notify_supervisors"] });
    policy(store, policy_input("Tight", true, 2, 3600, 86_400, 50, escalation)).await;
    let actions = json!({ "actions": [
        { "type": "set_priority", "priority": "high" },
        { "type": "flag_for_moderation", "reason": "check tone" }
    ] });
    rule(store, "Everything", actions).await;
    (account, supervisor)
}

async fn ask(store: &dyn Store, account: &Account, thread: &str) -> ConversationId {
    let message = tweet(thread, thread, Direction::Inbound, "hello?", Utc::now());
    ingest(store, account, message).await.conversation_id
}

async fn breached(store: &dyn Store, id: ConversationId) -> trellis_core::TimelineEvent {
    eventually(Duration::from_secs(20), "the sla_breached event", || async {
        timeline_kinds(store, id, "sla_breached").await.into_iter().next()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_act_once_and_the_standby_takes_over_when_the_leader_stops() {
    let Some(db) = postgres("two_nodes_act_once").await else { return };
    let store = db.store.as_ref();
    let leader = start(&db.store, "node-a");
    // node-a leads once it has created the first-run defaults, which only a leader does.
    eventually(Duration::from_secs(10), "node-a leading", || async {
        let policies = store.list_sla_policies().await.unwrap();
        policies.iter().any(|policy| policy.name == "Default").then_some(())
    })
    .await;
    let (account, supervisor) = setup(store).await;
    let standby = start(&db.store, "node-b");

    let first = ask(store, &account, "1").await;
    breached(store, first).await;
    eventually(Duration::from_secs(10), "the breach notification", || async {
        let notes = store.notifications(supervisor, false, 10).await.unwrap();
        (!notes.is_empty()).then_some(())
    })
    .await;

    stop(leader).await;
    let second = ask(store, &account, "2").await;
    let breach = breached(store, second).await;
    assert_eq!(breach.event.detail["metric"], "first_response");
    eventually(Duration::from_secs(10), "the second breach notification", || async {
        let notes = store.notifications(supervisor, false, 10).await.unwrap();
        (notes.len() >= 2).then_some(())
    })
    .await;
    stop(standby).await;

    for id in [first, second] {
        for kind in ["priority_changed", "flagged_for_moderation", "sla_breached", "escalated"] {
            let events = timeline_kinds(store, id, kind).await;
            assert_eq!(events.len(), 1, "{kind} on {id}: {events:?}");
        }
    }
    assert_eq!(store.notifications(supervisor, false, 10).await.unwrap().len(), 2);
    assert_eq!(store.list_sla_policies().await.unwrap().len(), 2, "Tight and Default, once each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_once_a_dead_leaders_lease_expires() {
    let Some(db) = postgres("a_standby_takes_over").await else { return };
    let store = db.store.as_ref();
    let (account, _) = setup(store).await;
    // A leader that took the lease and died: it never renews nor releases.
    let died_at = Utc::now();
    let ttl = chrono::Duration::from_std(TTL).unwrap();
    assert!(store.acquire_named_lease(LEASE_NAME, "dead-node", died_at, ttl).await.unwrap());

    let standby = start(&db.store, "node-b");
    let id = ask(store, &account, "1").await;
    let breach = breached(store, id).await;
    stop(standby).await;

    assert!(
        breach.event.at >= died_at + ttl,
        "acted at {} while the dead node's lease ran until {}",
        breach.event.at,
        died_at + ttl
    );
    assert_eq!(timeline_kinds(store, id, "sla_breached").await.len(), 1);
    // The standby released the lease at shutdown: anyone may take it now.
    assert!(store.acquire_named_lease(LEASE_NAME, "node-c", Utc::now(), ttl).await.unwrap());
}
