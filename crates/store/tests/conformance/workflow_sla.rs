//! Business-hours calendars, SLA policies and each conversation's clocks; the SLA timer's due
//! query reads an index, so it never scans open conversations.

use crate::harness::{at, Concrete, Harness};
use crate::workflow_fixtures::{changes_after, conversations, kinds};
use serde_json::json;
use trellis_core::{
    CalendarId, CalendarInput, ChangeKind, ConversationId, ConversationSla, SlaClockRecord,
    SlaPolicyId, SlaPolicyInput, StoreError,
};

crate::conformance!(
    calendars_and_policies_round_trip_and_are_announced,
    making_a_policy_the_default_takes_the_flag_from_the_previous_one,
    a_conversation_sla_is_replaced_and_announced,
    due_transitions_come_earliest_first_up_to_the_bound,
    the_sla_timer_reads_an_index_in_order,
);

fn calendar(name: &str) -> CalendarInput {
    CalendarInput {
        name: name.to_owned(),
        definition: json!({
            "time_zone": "Europe/Paris",
            "hours": { "mon": [["09:00", "17:00"]] },
        }),
    }
}

fn policy(name: &str, calendar_id: Option<CalendarId>, is_default: bool) -> SlaPolicyInput {
    SlaPolicyInput {
        name: name.to_owned(),
        calendar_id,
        is_default,
        definition: json!({ "targets": { "urgent": { "first_response": "15m" } } }),
    }
}

fn sla(conversation_id: ConversationId, next: Option<i64>) -> ConversationSla {
    ConversationSla {
        conversation_id,
        policy_id: None,
        clocks: vec![SlaClockRecord {
            metric: "first_response".into(),
            state: "running".into(),
            due_at: next.map(at),
            warning_at: None,
            settled_at: None,
        }],
        next_transition_at: next.map(at),
        computed_at: at(0),
    }
}

async fn calendars_and_policies_round_trip_and_are_announced(h: &Harness) {
    let store = &*h.store;
    let seq = store.latest_seq().await.unwrap();
    let office = store.create_calendar(calendar("office")).await.unwrap();
    let renamed = store.update_calendar(office.id, calendar("office hours")).await.unwrap();
    assert_eq!(renamed.name, "office hours");
    assert_eq!(renamed.definition, calendar("x").definition);
    assert_eq!(store.list_calendars().await.unwrap(), [renamed]);
    let created =
        store.create_sla_policy(policy("standard", Some(office.id), false)).await.unwrap();
    assert_eq!(created.calendar_id, Some(office.id));
    assert_eq!(store.list_sla_policies().await.unwrap(), std::slice::from_ref(&created));
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::PolicyUpdated; 3]);
    assert_eq!(changes[2].entity_id, created.id.0);

    let missing = store.update_calendar(CalendarId(999), calendar("x")).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "calendar", .. })));
    let dangling = store.create_sla_policy(policy("p", Some(CalendarId(999)), false)).await;
    assert!(matches!(dangling, Err(StoreError::NotFound { entity: "calendar", .. })));
    let blank = store.create_calendar(calendar(" ")).await;
    assert!(matches!(blank, Err(StoreError::Invalid(_))));
    assert_eq!(store.list_sla_policies().await.unwrap().len(), 1);
}

async fn making_a_policy_the_default_takes_the_flag_from_the_previous_one(h: &Harness) {
    let store = &*h.store;
    let defaults = || async {
        let policies = store.list_sla_policies().await.unwrap();
        policies.into_iter().filter(|p| p.is_default).map(|p| p.id).collect::<Vec<_>>()
    };
    let a = store.create_sla_policy(policy("a", None, true)).await.unwrap().id;
    let b = store.create_sla_policy(policy("b", None, true)).await.unwrap().id;
    assert_eq!(defaults().await, [b]);

    let seq = store.latest_seq().await.unwrap();
    store.update_sla_policy(a, policy("a", None, true)).await.unwrap();
    assert_eq!(defaults().await, [a]);
    let mut announced: Vec<i64> =
        changes_after(store, seq).await.iter().map(|c| c.entity_id).collect();
    announced.sort_unstable();
    assert_eq!(announced, [a.0, b.0]);

    // Staying the default takes nothing from anyone; a failed update leaves the flag alone.
    store.update_sla_policy(a, policy("a2", None, true)).await.unwrap();
    let missing = store.update_sla_policy(SlaPolicyId(999), policy("x", None, true)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "sla policy", .. })));
    assert_eq!(defaults().await, [a]);
    store.update_sla_policy(a, policy("a3", None, false)).await.unwrap();
    assert!(defaults().await.is_empty());
}

async fn a_conversation_sla_is_replaced_and_announced(h: &Harness) {
    let store = &*h.store;
    let id = conversations(h, "acme", 1).await[0];
    assert_eq!(store.conversation_sla(id).await.unwrap(), None);
    let standard = store.create_sla_policy(policy("standard", None, true)).await.unwrap().id;

    let seq = store.latest_seq().await.unwrap();
    let first = ConversationSla { policy_id: Some(standard), ..sla(id, Some(60)) };
    store.put_conversation_sla(first.clone()).await.unwrap();
    assert_eq!(store.conversation_sla(id).await.unwrap(), Some(first));
    let settled =
        ConversationSla { next_transition_at: None, computed_at: at(70), ..sla(id, None) };
    store.put_conversation_sla(settled.clone()).await.unwrap();
    assert_eq!(store.conversation_sla(id).await.unwrap(), Some(settled));
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::SlaUpdated; 2]);
    assert!(changes.iter().all(|c| c.entity_id == id.0 && c.conversation_id == Some(id)));

    let missing = ConversationId(id.0 + 1_000);
    let result = store.put_conversation_sla(sla(missing, Some(1))).await;
    assert!(matches!(result, Err(StoreError::NotFound { entity: "conversation", .. })));
    let result = store.conversation_sla(missing).await;
    assert!(matches!(result, Err(StoreError::NotFound { entity: "conversation", .. })));
    let dangling = ConversationSla { policy_id: Some(SlaPolicyId(999)), ..sla(id, Some(1)) };
    let result = store.put_conversation_sla(dangling).await;
    assert!(matches!(result, Err(StoreError::NotFound { entity: "sla policy", .. })));
    assert_eq!(store.conversation_sla(id).await.unwrap().unwrap().next_transition_at, None);
}

async fn due_transitions_come_earliest_first_up_to_the_bound(h: &Harness) {
    let store = &*h.store;
    assert_eq!(store.next_sla_transition().await.unwrap(), None);
    let c = conversations(h, "acme", 5).await;
    for (id, next) in c.iter().zip([Some(50), Some(10), Some(30), None, Some(20)]) {
        store.put_conversation_sla(sla(*id, next)).await.unwrap();
    }
    let due = store.due_sla(at(30), 10).await.unwrap();
    assert_eq!(due, [(c[1], at(10)), (c[4], at(20)), (c[2], at(30))]);
    assert_eq!(store.due_sla(at(30), 2).await.unwrap(), [(c[1], at(10)), (c[4], at(20))]);
    assert!(store.due_sla(at(9), 10).await.unwrap().is_empty());
    assert_eq!(store.next_sla_transition().await.unwrap(), Some(at(10)));

    // Once handled, the earliest is rescheduled past the others: the timer moves on.
    store.put_conversation_sla(sla(c[1], Some(40))).await.unwrap();
    assert_eq!(store.next_sla_transition().await.unwrap(), Some(at(20)));
    let due = store.due_sla(at(100), 10).await.unwrap();
    let order: Vec<ConversationId> = due.into_iter().map(|(id, _)| id).collect();
    assert_eq!(order, [c[4], c[2], c[1], c[0]]);
}

async fn the_sla_timer_reads_an_index_in_order(h: &Harness) {
    let store = &*h.store;
    for (i, id) in conversations(h, "acme", 50).await.into_iter().enumerate() {
        store.put_conversation_sla(sla(id, (i % 3 > 0).then_some(i as i64))).await.unwrap();
    }
    let plan = match &h.concrete {
        Concrete::Sqlite(store) => store.explain_due_sla().await,
        Concrete::Postgres(store) => store.explain_due_sla().await,
    };
    let plan = plan.unwrap().join("\n").to_lowercase();
    assert!(plan.contains("conversation_sla_due"), "due index not used:\n{plan}");
    if h.is_sqlite() {
        assert!(!plan.contains("temp b-tree"), "sorts the due list:\n{plan}");
    } else {
        assert!(plan.contains("index scan") || plan.contains("index only scan"), "{plan}");
        assert!(!plan.contains("sort"), "sorts the due list:\n{plan}");
    }
}
