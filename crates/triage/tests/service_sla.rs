//! SLA clocks through the triage service: recomputed from each conversation's history as it
//! changes, stored with their states and due times. Real SQLite stores; one PostgreSQL variant.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod service_common;

use chrono::Duration;
use serde_json::json;
use service_common::*;
use trellis_core::{
    Actor, CalendarInput, ConversationId, ConversationPatch, ConversationStatus, Direction,
    NewTimelineEvent, Priority, RuleRecord, Store, StoreError,
};
use trellis_triage::rules::{Action, Condition, ConditionGroup, MatchMode, Rule, RuleId};
use trellis_triage::service::{RuleTarget, TriageService};
use trellis_triage::stored::rule_input;

async fn set_status(store: &dyn Store, id: ConversationId, status: ConversationStatus) {
    let patch = ConversationPatch { status: Some(status), ..Default::default() };
    store.patch_conversation(id, patch, Actor::System).await.unwrap();
}

/// Walks one conversation through its life under a one-hour first response, half-hour next
/// response and eight-hour resolution policy.
async fn lifecycle(store: std::sync::Arc<dyn Store>) {
    let s = store.as_ref();
    let account = account(s).await;
    policy(s, policy_input("Standard", true, 3600, 1800, 8 * 3600, 80, json!({}))).await;
    let service = TriageService::new(store.clone());

    let asked = ingest(s, &account, tweet("1", "1", Direction::Inbound, "hello?", ago(10))).await;
    let id = asked.conversation_id;
    service.catch_up().await.unwrap();
    let sla = s.conversation_sla(id).await.unwrap().unwrap();
    let first = &sla.clocks[0];
    assert_eq!((first.metric.as_str(), first.state.as_str()), ("first_response", "running"));
    assert_eq!(first.due_at, Some(asked.created_at + Duration::hours(1)));
    assert_eq!(sla.next_transition_at, first.warning_at);
    assert_eq!(first.warning_at, Some(asked.created_at + Duration::minutes(48)));

    ingest(s, &account, tweet("2", "1", Direction::Outbound, "hi, how can we help?", ago(5))).await;
    service.catch_up().await.unwrap();
    assert_eq!(clock_state(s, id, "first_response").await.as_deref(), Some("met"));
    assert_eq!(clock_state(s, id, "resolution").await.as_deref(), Some("running"));

    let follow_up =
        ingest(s, &account, tweet("3", "1", Direction::Inbound, "my order", ago(2))).await;
    service.catch_up().await.unwrap();
    let sla = s.conversation_sla(id).await.unwrap().unwrap();
    let next = sla.clocks.iter().find(|clock| clock.metric == "next_response").unwrap();
    assert_eq!(next.state, "running");
    assert_eq!(next.due_at, Some(follow_up.created_at + Duration::minutes(30)));

    set_status(s, id, ConversationStatus::Pending).await;
    service.catch_up().await.unwrap();
    assert_eq!(clock_state(s, id, "next_response").await.as_deref(), Some("paused"));
    assert_eq!(clock_state(s, id, "resolution").await.as_deref(), Some("paused"));
    assert_eq!(s.conversation_sla(id).await.unwrap().unwrap().next_transition_at, None);

    set_status(s, id, ConversationStatus::Open).await;
    service.catch_up().await.unwrap();
    let sla = s.conversation_sla(id).await.unwrap().unwrap();
    let next = sla.clocks.iter().find(|clock| clock.metric == "next_response").unwrap();
    assert_eq!(next.state, "running");
    // The pause moved the due time later by as long as it lasted.
    assert!(next.due_at.unwrap() > follow_up.created_at + Duration::minutes(30));

    set_status(s, id, ConversationStatus::Resolved).await;
    service.catch_up().await.unwrap();
    let sla = s.conversation_sla(id).await.unwrap().unwrap();
    assert!(sla.clocks.iter().all(|clock| clock.state == "met"), "{:?}", sla.clocks);
    assert_eq!(sla.next_transition_at, None);

    set_status(s, id, ConversationStatus::Open).await;
    service.catch_up().await.unwrap();
    let sla = s.conversation_sla(id).await.unwrap().unwrap();
    let resolutions: Vec<_> = sla.clocks.iter().filter(|c| c.metric == "resolution").collect();
    assert_eq!(resolutions.len(), 2, "reopening starts a fresh resolution clock");
    assert_eq!((resolutions[0].state.as_str(), resolutions[1].state.as_str()), ("met", "running"));
}

#[tokio::test]
async fn replies_pauses_resolution_and_reopening_move_the_clocks_on_sqlite() {
    let db = sqlite().await;
    lifecycle(db.store.clone()).await;
}

#[tokio::test]
async fn replies_pauses_resolution_and_reopening_move_the_clocks_on_postgres() {
    let Some(db) = postgres("sla lifecycle").await else { return };
    lifecycle(db.store.clone()).await;
}

#[tokio::test]
async fn a_policy_applied_by_a_rule_recomputes_the_clocks_from_the_history() {
    let db = sqlite().await;
    let s = db.store.as_ref();
    let account = account(s).await;
    policy(s, policy_input("Relaxed", true, 3600, 3600, 86_400, 80, json!({}))).await;
    let strict = policy(s, policy_input("Strict", false, 300, 300, 3600, 80, json!({}))).await;
    let service = TriageService::new(db.store.clone());
    let asked = ingest(s, &account, tweet("1", "1", Direction::Inbound, "urgent!!", ago(10))).await;
    service.catch_up().await.unwrap();
    assert_eq!(
        clock_state(s, asked.conversation_id, "first_response").await.as_deref(),
        Some("running")
    );

    let strict_rule = rule(
        s,
        "Urgent is strict",
        json!({
            "conditions": { "conditions": [ { "type": "text_contains", "any_of": ["urgent"] } ] },
            "actions": [ { "type": "apply_sla_policy", "policy_id": strict.id } ]
        }),
    )
    .await;
    service.catch_up().await.unwrap();
    service.run_rules_on(RuleTarget::Message(asked.id)).await.unwrap();

    let sla = s.conversation_sla(asked.conversation_id).await.unwrap().unwrap();
    assert_eq!(sla.policy_id, Some(strict.id));
    let first = &sla.clocks[0];
    assert_eq!(first.state, "breached", "ten minutes against a five-minute target");
    assert_eq!(first.due_at, Some(asked.created_at + Duration::minutes(5)));
    let applied = timeline_kinds(s, asked.conversation_id, "sla_policy_applied").await;
    assert_eq!(applied.len(), 1);
    assert_eq!(
        applied[0].event.actor,
        Actor::Rule { id: strict_rule.id, name: "Urgent is strict".into() }
    );
    assert_eq!(timeline_kinds(s, asked.conversation_id, "sla_breached").await.len(), 1);

    // Running the rules again changes nothing: the policy is already in force.
    service.run_rules_on(RuleTarget::Conversation(asked.conversation_id)).await.unwrap();
    assert_eq!(timeline_kinds(s, asked.conversation_id, "sla_policy_applied").await.len(), 1);
    assert_eq!(timeline_kinds(s, asked.conversation_id, "sla_breached").await.len(), 1);
}

#[tokio::test]
async fn a_conversation_without_any_policy_is_not_timed() {
    let db = sqlite().await;
    let s = db.store.as_ref();
    let account = account(s).await;
    let asked = ingest(s, &account, tweet("1", "1", Direction::Inbound, "hello", ago(1))).await;
    TriageService::new(db.store.clone()).catch_up().await.unwrap();
    assert_eq!(s.conversation_sla(asked.conversation_id).await.unwrap(), None);
    assert_eq!(s.next_sla_transition().await.unwrap(), None);
}

/// A rule stored exactly as the triage crate writes one: the store must recognize the references
/// in it that refuse a deletion.
async fn stored_rule(store: &dyn Store, conditions: Vec<Condition>, action: Action) -> RuleRecord {
    let rule = Rule {
        id: RuleId(0),
        name: "Pinned".into(),
        enabled: true,
        conditions: ConditionGroup { match_mode: MatchMode::All, conditions },
        actions: vec![action],
        stop_processing: false,
    };
    store.create_rule(rule_input(&rule)).await.unwrap()
}

#[tokio::test]
async fn a_deleted_policy_hands_its_running_clocks_to_the_default() {
    let db = sqlite().await;
    let s = db.store.as_ref();
    let account = account(s).await;
    let relaxed = policy(s, policy_input("Relaxed", true, 3600, 3600, 86_400, 80, json!({}))).await;
    let strict = policy(s, policy_input("Strict", false, 600, 600, 3600, 80, json!({}))).await;
    let medium = policy(s, policy_input("Medium", false, 1800, 1800, 7200, 80, json!({}))).await;
    let applies_strict =
        stored_rule(s, Vec::new(), Action::ApplySlaPolicy { policy_id: strict.id.0 }).await;
    let service = TriageService::new(db.store.clone());
    let asked = ingest(s, &account, tweet("1", "1", Direction::Inbound, "hello?", ago(2))).await;
    let id = asked.conversation_id;
    // Medium came first: once Strict is gone, the default takes over, not the policy before it.
    let medium_applied = NewTimelineEvent {
        conversation_id: id,
        at: ago(1),
        actor: Actor::System,
        kind: "sla_policy_applied".into(),
        detail: json!({ "policy_id": medium.id, "name": "Medium" }),
    };
    s.record_timeline(vec![medium_applied]).await.unwrap();
    service.catch_up().await.unwrap();
    let sla = s.conversation_sla(id).await.unwrap().unwrap();
    assert_eq!(sla.policy_id, Some(strict.id));
    assert_eq!(sla.clocks[0].due_at, Some(asked.created_at + Duration::minutes(10)));

    let refused = s.delete_sla_policy(strict.id).await;
    assert!(matches!(refused, Err(StoreError::Conflict(_))), "the rule applies it: {refused:?}");
    s.delete_rule(applies_strict.id).await.unwrap();
    s.delete_sla_policy(strict.id).await.unwrap();
    service.catch_up().await.unwrap();

    let sla = s.conversation_sla(id).await.unwrap().unwrap();
    assert_eq!(sla.policy_id, Some(relaxed.id));
    let first = &sla.clocks[0];
    assert_eq!((first.metric.as_str(), first.state.as_str()), ("first_response", "running"));
    assert_eq!(first.due_at, Some(asked.created_at + Duration::hours(1)), "timed by the default");
    assert_eq!(sla.next_transition_at, first.warning_at);
    let applied = timeline_kinds(s, id, "sla_policy_applied").await;
    assert_eq!(applied.len(), 3, "medium, the rule's, then the hand-over: {applied:?}");
    assert_eq!(applied[2].event.actor, Actor::System);
    assert_eq!(applied[2].event.detail["policy_id"], json!(relaxed.id));
    assert!(timeline_kinds(s, id, "sla_breached").await.is_empty());
}

#[tokio::test]
async fn a_calendar_named_by_a_business_hours_condition_is_kept() {
    let db = sqlite().await;
    let s = db.store.as_ref();
    let hours = json!({ "time_zone": "Europe/Paris", "hours": { "mon": [["09:00", "17:00"]] } });
    let input = CalendarInput { name: "support-eu".into(), definition: hours };
    let calendar = s.create_calendar(input).await.unwrap();
    let outside = Condition::Not {
        condition: Box::new(Condition::WithinBusinessHours { calendar: "support-eu".into() }),
    };
    let rule =
        stored_rule(s, vec![outside], Action::SetPriority { priority: Priority::High }).await;
    let refused = s.delete_calendar(calendar.id).await;
    let Err(StoreError::Conflict(reason)) = refused else {
        panic!("expected a conflict: {refused:?}")
    };
    assert!(reason.contains(&format!("rule {} \"Pinned\"", rule.id)), "{reason}");
    s.delete_rule(rule.id).await.unwrap();
    s.delete_calendar(calendar.id).await.unwrap();
}
