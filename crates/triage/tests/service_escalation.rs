//! Escalation when a clock the customer waits on warns or breaches, and the first-run defaults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod service_common;

use serde_json::json;
use service_common::*;
use trellis_core::{Direction, Priority, Role};
use trellis_triage::service::{defaults::CreatedDefaults, ensure_defaults, TriageService};

#[tokio::test]
async fn a_breach_notifies_every_supervisor_and_a_warning_raises_priority() {
    let db = sqlite().await;
    let s = db.store.as_ref();
    let account = account(s).await;
    let supervisors =
        [user(s, "sam", Role::Supervisor).await, user(s, "sue", Role::Supervisor).await];
    let agent = user(s, "alex", Role::Agent).await;
    let escalation =
        json!({ "on_warning": ["raise_priority"], "on_breach": ["notify_supervisors"] });
    // First response 15 min (warning at 50 %: 7.5 min), resolution 5 min.
    policy(s, policy_input("Escalating", true, 900, 900, 300, 50, escalation)).await;
    let asked = ingest(s, &account, tweet("1", "1", Direction::Inbound, "hello?", ago(10))).await;

    let service = TriageService::new(db.store.clone());
    service.catch_up().await.unwrap();

    let conversation = s.get_conversation(asked.conversation_id).await.unwrap();
    assert_eq!(conversation.priority, Priority::High, "one step up from normal, once");
    for supervisor in &supervisors {
        let notes = s.notifications(supervisor.id, false, 10).await.unwrap();
        assert_eq!(notes.len(), 1, "{}", supervisor.name);
        assert_eq!(notes[0].notification.kind, "sla_breached");
        assert_eq!(notes[0].notification.conversation_id, Some(asked.conversation_id));
        assert!(
            notes[0].notification.text.contains("resolution"),
            "{}",
            notes[0].notification.text
        );
    }
    assert!(s.notifications(agent.id, false, 10).await.unwrap().is_empty());
    let escalated = timeline_kinds(s, asked.conversation_id, "escalated").await;
    let actions: Vec<_> = escalated.iter().map(|e| e.event.detail["action"].clone()).collect();
    assert_eq!(actions, [json!("raise_priority"), json!("notify_supervisors")]);

    // The priority change comes back through the feed: nothing escalates twice.
    service.catch_up().await.unwrap();
    assert_eq!(s.get_conversation(asked.conversation_id).await.unwrap().priority, Priority::High);
    assert_eq!(s.notifications(supervisors[0].id, false, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_clock_breached_by_a_late_reply_is_recorded_but_not_escalated() {
    let db = sqlite().await;
    let s = db.store.as_ref();
    let account = account(s).await;
    let supervisor = user(s, "sam", Role::Supervisor).await;
    let escalation = json!({ "on_breach": ["notify_supervisors"] });
    policy(s, policy_input("Five minutes", true, 300, 300, 86_400, 80, escalation)).await;
    let asked = ingest(s, &account, tweet("1", "1", Direction::Inbound, "hello?", ago(20))).await;
    ingest(s, &account, tweet("2", "1", Direction::Outbound, "sorry for the wait", ago(5))).await;

    TriageService::new(db.store.clone()).catch_up().await.unwrap();

    assert_eq!(
        clock_state(s, asked.conversation_id, "first_response").await.as_deref(),
        Some("breached")
    );
    assert_eq!(timeline_kinds(s, asked.conversation_id, "sla_breached").await.len(), 1);
    assert!(s.notifications(supervisor.id, false, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn first_run_defaults_are_created_once() {
    let db = sqlite().await;
    let s = db.store.as_ref();

    let created = ensure_defaults(&db.store).await.unwrap();
    assert_eq!(
        created,
        CreatedDefaults { calendar: true, policy: true, rules: 1, canned_replies: 2 }
    );
    assert_eq!(ensure_defaults(&db.store).await.unwrap(), CreatedDefaults::default());

    let calendars = s.list_calendars().await.unwrap();
    assert_eq!(calendars.len(), 1);
    assert_eq!(calendars[0].name, "Business hours");
    assert_eq!(calendars[0].definition["hours"]["weekly"]["mon"], json!(["09:00-17:00"]));
    assert_eq!(calendars[0].definition["hours"]["weekly"].get("sat"), None);
    let policies = s.list_sla_policies().await.unwrap();
    assert_eq!(policies.len(), 1);
    assert!(policies[0].is_default);
    assert_eq!(policies[0].calendar_id, Some(calendars[0].id));
    assert_eq!(policies[0].definition["targets"]["urgent"]["first_response_minutes"], 60);
    assert_eq!(policies[0].definition["targets"]["low"]["resolution_minutes"], 5 * 24 * 60);
    assert_eq!(policies[0].definition["escalation"]["on_breach"], json!(["notify_supervisors"]));
    let rules = s.list_rules().await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!((rules[0].name.as_str(), rules[0].enabled), ("Spam", false));
    assert_eq!(s.list_canned_replies().await.unwrap().len(), 2);

    // The stored defaults read back as a working configuration.
    let service = TriageService::new(db.store.clone());
    service.reload().await.unwrap();
}
