//! Deleting business-hours calendars and SLA policies: refused while a policy, a rule or the
//! default flag still depends on them; a deleted policy's conversations move to the default with a
//! timeline event, and every deletion is announced.

use crate::harness::{at, Harness};
use crate::workflow_fixtures::{changes_after, conversations, kinds};
use serde_json::{json, Value};
use trellis_core::{
    Actor, CalendarId, CalendarInput, ChangeKind, ConversationId, ConversationSla, RuleInput,
    SlaClockRecord, SlaPolicyId, SlaPolicyInput, Store, StoreError,
};

crate::conformance!(
    unknown_calendars_and_policies_are_not_found,
    a_calendar_a_policy_counts_in_is_kept_until_the_policy_leaves_it,
    a_calendar_a_rule_names_is_kept_unless_a_namesake_remains,
    the_default_policy_is_kept,
    a_policy_a_rule_applies_is_kept_and_the_refusal_names_the_rule,
    a_deleted_policy_hands_its_conversations_to_the_default,
    a_policy_timing_conversations_is_kept_while_no_default_can_take_them,
);

fn calendar(name: &str) -> CalendarInput {
    CalendarInput {
        name: name.to_owned(),
        definition: json!({ "time_zone": "Europe/Paris", "hours": { "mon": [["09:00", "17:00"]] } }),
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

fn rule(name: &str, definition: Value) -> RuleInput {
    RuleInput { name: name.to_owned(), enabled: true, definition }
}

fn applying(policy: SlaPolicyId) -> Value {
    json!({ "actions": [
        { "type": "add_tag", "tag": "vip" },
        { "type": "apply_sla_policy", "policy_id": policy.0 }
    ] })
}

fn on_policy(conversation_id: ConversationId, policy: SlaPolicyId) -> ConversationSla {
    ConversationSla {
        conversation_id,
        policy_id: Some(policy),
        clocks: vec![SlaClockRecord {
            metric: "first_response".into(),
            state: "running".into(),
            due_at: Some(at(900)),
            warning_at: Some(at(720)),
            settled_at: None,
        }],
        next_transition_at: Some(at(720)),
        computed_at: at(0),
    }
}

fn conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Conflict(reason)) => reason,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn policy_ids(store: &dyn Store) -> Vec<SlaPolicyId> {
    store.list_sla_policies().await.unwrap().into_iter().map(|p| p.id).collect()
}

async fn unknown_calendars_and_policies_are_not_found(h: &Harness) {
    let store = &*h.store;
    let seq = store.latest_seq().await.unwrap();
    let calendar = store.delete_calendar(CalendarId(999)).await;
    assert!(
        matches!(calendar, Err(StoreError::NotFound { entity: "calendar", .. })),
        "{calendar:?}"
    );
    let policy = store.delete_sla_policy(SlaPolicyId(999)).await;
    assert!(matches!(policy, Err(StoreError::NotFound { entity: "sla policy", .. })), "{policy:?}");
    assert!(changes_after(store, seq).await.is_empty(), "a refused deletion announces nothing");
}

async fn a_calendar_a_policy_counts_in_is_kept_until_the_policy_leaves_it(h: &Harness) {
    let store = &*h.store;
    let office = store.create_calendar(calendar("office")).await.unwrap();
    let spare = store.create_calendar(calendar("spare")).await.unwrap();
    let standard =
        store.create_sla_policy(policy("standard", Some(office.id), true)).await.unwrap();
    let vip = store.create_sla_policy(policy("vip", Some(office.id), false)).await.unwrap();

    let seq = store.latest_seq().await.unwrap();
    let reason = conflict(store.delete_calendar(office.id).await);
    let expected = format!(
        "calendar {} \"office\" is used by sla policies {} \"standard\", {} \"vip\"",
        office.id, standard.id, vip.id
    );
    assert!(reason.starts_with(&expected), "{reason}");
    assert_eq!(store.list_calendars().await.unwrap().len(), 2);
    assert!(changes_after(store, seq).await.is_empty());

    store.update_sla_policy(standard.id, policy("standard", None, true)).await.unwrap();
    let reason = conflict(store.delete_calendar(office.id).await);
    assert!(reason.contains(&format!("sla policy {} \"vip\":", vip.id)), "{reason}");

    store.update_sla_policy(vip.id, policy("vip", Some(spare.id), false)).await.unwrap();
    let seq = store.latest_seq().await.unwrap();
    store.delete_calendar(office.id).await.unwrap();
    assert_eq!(store.list_calendars().await.unwrap(), [spare]);
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::PolicyUpdated]);
    assert_eq!(changes[0].entity_id, office.id.0);
    let again = store.delete_calendar(office.id).await;
    assert!(matches!(again, Err(StoreError::NotFound { .. })), "{again:?}");
}

async fn a_calendar_a_rule_names_is_kept_unless_a_namesake_remains(h: &Harness) {
    let store = &*h.store;
    let support = store.create_calendar(calendar("support-eu")).await.unwrap();
    let unused = store.create_calendar(calendar("night")).await.unwrap();
    let after_hours = rule(
        "After hours",
        json!({
            "conditions": { "conditions": [ { "type": "not", "condition":
                { "type": "within_business_hours", "calendar": "support-eu" } } ] },
            "actions": [ { "type": "add_tag", "tag": "after-hours" } ]
        }),
    );
    let after_hours = store.create_rule(after_hours).await.unwrap();

    let reason = conflict(store.delete_calendar(support.id).await);
    let expected = format!(
        "calendar {} \"support-eu\" is named by the business-hours conditions of rule {} \
         \"After hours\"",
        support.id, after_hours.id
    );
    assert!(reason.starts_with(&expected), "{reason}");
    store.delete_calendar(unused.id).await.unwrap();

    // A second calendar of that name answers the rule's condition once the first is gone.
    let namesake = store.create_calendar(calendar("support-eu")).await.unwrap();
    store.delete_calendar(support.id).await.unwrap();
    assert_eq!(store.list_calendars().await.unwrap(), std::slice::from_ref(&namesake));
    conflict(store.delete_calendar(namesake.id).await);
    store.delete_rule(after_hours.id).await.unwrap();
    store.delete_calendar(namesake.id).await.unwrap();
    assert!(store.list_calendars().await.unwrap().is_empty());
}

async fn the_default_policy_is_kept(h: &Harness) {
    let store = &*h.store;
    let standard = store.create_sla_policy(policy("standard", None, true)).await.unwrap();
    let seq = store.latest_seq().await.unwrap();
    let reason = conflict(store.delete_sla_policy(standard.id).await);
    assert_eq!(
        reason,
        format!(
            "sla policy {} \"standard\" is the default: make another policy the default first",
            standard.id
        )
    );
    assert!(changes_after(store, seq).await.is_empty());

    let vip = store.create_sla_policy(policy("vip", None, true)).await.unwrap();
    store.delete_sla_policy(standard.id).await.unwrap();
    assert_eq!(policy_ids(store).await, [vip.id]);
}

async fn a_policy_a_rule_applies_is_kept_and_the_refusal_names_the_rule(h: &Harness) {
    let store = &*h.store;
    store.create_sla_policy(policy("standard", None, true)).await.unwrap();
    let vip = store.create_sla_policy(policy("vip", None, false)).await.unwrap();
    let other = store.create_sla_policy(policy("other", None, false)).await.unwrap();
    let by_vip = store.create_rule(rule("VIP customers", applying(vip.id))).await.unwrap();
    let mut disabled = rule("Old VIP", applying(vip.id));
    disabled.enabled = false;
    let disabled = store.create_rule(disabled).await.unwrap();
    store.create_rule(rule("Other", applying(other.id))).await.unwrap();

    // A disabled rule still counts: enabling it again would apply a policy that is gone.
    let reason = conflict(store.delete_sla_policy(vip.id).await);
    let expected = format!(
        "sla policy {} \"vip\" is applied by rules {} \"VIP customers\", {} \"Old VIP\": change \
         or delete them first",
        vip.id, by_vip.id, disabled.id
    );
    assert_eq!(reason, expected);
    assert_eq!(policy_ids(store).await.len(), 3);

    store.delete_rule(disabled.id).await.unwrap();
    store.update_rule(by_vip.id, rule("VIP customers", json!({ "actions": [] }))).await.unwrap();
    store.delete_sla_policy(vip.id).await.unwrap();
    assert!(!policy_ids(store).await.contains(&vip.id));
}

async fn a_deleted_policy_hands_its_conversations_to_the_default(h: &Harness) {
    let store = &*h.store;
    let c = conversations(h, "acme", 3).await;
    let standard = store.create_sla_policy(policy("standard", None, true)).await.unwrap();
    let vip = store.create_sla_policy(policy("vip", None, false)).await.unwrap();
    store.put_conversation_sla(on_policy(c[0], vip.id)).await.unwrap();
    store.put_conversation_sla(on_policy(c[1], vip.id)).await.unwrap();
    store.put_conversation_sla(on_policy(c[2], standard.id)).await.unwrap();

    let seq = store.latest_seq().await.unwrap();
    store.delete_sla_policy(vip.id).await.unwrap();
    assert_eq!(policy_ids(store).await, [standard.id]);
    for id in [c[0], c[1]] {
        let sla = store.conversation_sla(id).await.unwrap().unwrap();
        // Moved as they were: the triage service recomputes the clocks under the default.
        assert_eq!(sla, ConversationSla { policy_id: Some(standard.id), ..on_policy(id, vip.id) });
        let timeline = store.conversation_timeline(id).await.unwrap();
        let [event] = timeline.as_slice() else { panic!("one event expected: {timeline:?}") };
        assert_eq!(event.event.kind, "sla_policy_applied");
        assert_eq!(event.event.actor, Actor::System);
        assert_eq!(
            event.event.detail,
            json!({ "policy_id": standard.id, "name": "standard", "replaced_policy_id": vip.id })
        );
    }
    let untouched = store.conversation_sla(c[2]).await.unwrap().unwrap();
    assert_eq!(untouched, on_policy(c[2], standard.id));
    assert!(store.conversation_timeline(c[2]).await.unwrap().is_empty());

    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::PolicyUpdated]);
    assert_eq!(changes[0].entity_id, vip.id.0);
}

async fn a_policy_timing_conversations_is_kept_while_no_default_can_take_them(h: &Harness) {
    let store = &*h.store;
    let c = conversations(h, "acme", 1).await;
    let vip = store.create_sla_policy(policy("vip", None, false)).await.unwrap();
    let idle = store.create_sla_policy(policy("idle", None, false)).await.unwrap();
    store.put_conversation_sla(on_policy(c[0], vip.id)).await.unwrap();

    let reason = conflict(store.delete_sla_policy(vip.id).await);
    assert_eq!(
        reason,
        format!(
            "sla policy {} \"vip\" times 1 conversation and no default policy exists to take \
             them over: make a policy the default first",
            vip.id
        )
    );
    assert_eq!(store.conversation_sla(c[0]).await.unwrap().unwrap().policy_id, Some(vip.id));
    // Without conversations there is nothing to hand over.
    store.delete_sla_policy(idle.id).await.unwrap();

    let standard = store.create_sla_policy(policy("standard", None, true)).await.unwrap();
    store.delete_sla_policy(vip.id).await.unwrap();
    let sla = store.conversation_sla(c[0]).await.unwrap().unwrap();
    assert_eq!(sla.policy_id, Some(standard.id));
}
