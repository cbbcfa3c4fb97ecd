//! The conversation timeline: every workflow change, whatever made it, is recorded with who did
//! it, in the same transaction as the change.

use crate::harness::{account, at, batch, mention, message, Harness};
use crate::workflow_fixtures::{agent, changes_after, conversations, kinds, team};
use serde_json::json;
use trellis_core::{
    Actor, ChangeKind, Channel, ConversationId, ConversationPatch, ConversationStatus, MessageKind,
    NewTimelineEvent, Priority, RuleRecordId, StoreError, TagName, UserId,
};

crate::conformance!(
    a_patch_records_one_event_per_changed_field_by_its_actor,
    a_plain_update_records_its_events_as_the_system,
    a_new_message_reopening_a_conversation_records_it_on_the_timeline,
    recorded_events_read_back_oldest_first_without_a_change,
    a_missing_conversation_or_assignee_is_not_found_and_records_nothing,
);

fn tag(name: &str) -> TagName {
    TagName::parse(name).unwrap()
}

async fn a_patch_records_one_event_per_changed_field_by_its_actor(h: &Harness) {
    let store = &*h.store;
    let ana = agent(store, "ana").await;
    let billing = team(store, "billing", &[ana]).await;
    let id = conversations(h, "acme", 1).await[0];
    let seq = store.latest_seq().await.unwrap();
    let until = at(3_600);
    let patch = ConversationPatch {
        status: Some(ConversationStatus::Snoozed),
        priority: Some(Priority::High),
        assignee_id: Some(Some(ana)),
        team_id: Some(Some(billing)),
        snoozed_until: Some(Some(until)),
        add_tags: vec![tag("refund")],
        remove_tags: vec![tag("never-set")],
    };
    let actor = Actor::User { id: ana };
    let patched = store.patch_conversation(id, patch.clone(), actor.clone()).await.unwrap();
    assert_eq!(patched.assignee_id, Some(ana));

    let timeline = store.conversation_timeline(id).await.unwrap();
    let events: Vec<(&str, &serde_json::Value)> =
        timeline.iter().map(|e| (e.event.kind.as_str(), &e.event.detail)).collect();
    assert_eq!(
        events,
        [
            ("status_changed", &json!({ "from": "open", "to": "snoozed" })),
            ("priority_changed", &json!({ "from": "normal", "to": "high" })),
            ("assigned", &json!({ "from": null, "to": ana.0 })),
            ("routed", &json!({ "from": null, "to": billing.0 })),
            ("snoozed", &json!({ "until": until })),
            ("tagged", &json!({ "tag": "refund" })),
        ]
    );
    assert!(timeline.iter().all(|e| e.event.actor == actor && e.event.conversation_id == id));
    assert_eq!(kinds(&changes_after(store, seq).await), [ChangeKind::ConversationUpdated]);

    // The same patch again changes nothing, so it records nothing and announces nothing.
    let seq = store.latest_seq().await.unwrap();
    store.patch_conversation(id, patch, actor).await.unwrap();
    assert_eq!(store.conversation_timeline(id).await.unwrap().len(), timeline.len());
    assert!(changes_after(store, seq).await.is_empty());
}

async fn a_plain_update_records_its_events_as_the_system(h: &Harness) {
    let store = &*h.store;
    let id = conversations(h, "acme", 1).await[0];
    let patch = ConversationPatch {
        status: Some(ConversationStatus::Resolved),
        remove_tags: vec![],
        add_tags: vec![tag("spam")],
        ..Default::default()
    };
    store.update_conversation(id, patch).await.unwrap();
    store
        .update_conversation(
            id,
            ConversationPatch { remove_tags: vec![tag("spam")], ..Default::default() },
        )
        .await
        .unwrap();
    let timeline = store.conversation_timeline(id).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.event.kind.as_str()).collect();
    assert_eq!(kinds, ["status_changed", "tagged", "untagged"]);
    assert!(timeline.iter().all(|e| e.event.actor == Actor::System));
    assert_eq!(timeline[0].event.detail, json!({ "from": "open", "to": "resolved" }));
}

async fn a_new_message_reopening_a_conversation_records_it_on_the_timeline(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let first = vec![mention("a", "u1", 0), mention("b", "u2", 1), mention("c", "u3", 2)];
    let ids = store.ingest(batch(&acct, first)).await.unwrap().conversations;
    let resolve =
        ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    let snooze = ConversationPatch {
        status: Some(ConversationStatus::Snoozed),
        snoozed_until: Some(Some(at(9_000))),
        ..Default::default()
    };
    store.update_conversation(ids[0], resolve).await.unwrap();
    store.update_conversation(ids[1], snooze).await.unwrap();
    let before: Vec<usize> = {
        let mut lengths = Vec::new();
        for id in &ids {
            lengths.push(store.conversation_timeline(*id).await.unwrap().len());
        }
        lengths
    };

    // Customers answer in all three threads; the third was open all along.
    let answers = vec![
        message("a2", MessageKind::Reply, Some("a"), "u1", 10),
        message("b2", MessageKind::Reply, Some("b"), "u2", 11),
        message("c2", MessageKind::Reply, Some("c"), "u3", 12),
    ];
    store.ingest(batch(&acct, answers)).await.unwrap();

    for (id, from) in [(ids[0], Some("resolved")), (ids[1], Some("snoozed")), (ids[2], None)] {
        let timeline = store.conversation_timeline(id).await.unwrap();
        let new = &timeline[before[ids.iter().position(|i| *i == id).unwrap()]..];
        match from {
            Some(from) => {
                assert_eq!(new.len(), 1, "{id}: {new:?}");
                assert_eq!(new[0].event.kind, "status_changed");
                assert_eq!(new[0].event.actor, Actor::System);
                assert_eq!(new[0].event.detail, json!({ "from": from, "to": "open" }));
            }
            None => assert!(new.is_empty(), "{id}: {new:?}"),
        }
        assert_eq!(store.get_conversation(id).await.unwrap().status, ConversationStatus::Open);
    }
}

async fn recorded_events_read_back_oldest_first_without_a_change(h: &Harness) {
    let store = &*h.store;
    let id = conversations(h, "acme", 1).await[0];
    let seq = store.latest_seq().await.unwrap();
    let rule = Actor::Rule { id: RuleRecordId(7), name: "vip first".into() };
    let event = |seconds: i64, actor: Actor, kind: &str| NewTimelineEvent {
        conversation_id: id,
        at: at(seconds),
        actor,
        kind: kind.to_owned(),
        detail: json!({ "percent": 80 }),
    };
    store
        .record_timeline(vec![
            event(20, Actor::System, "sla_breached"),
            event(10, rule.clone(), "sla_warning"),
            event(30, Actor::User { id: UserId(1) }, "reply_queued"),
        ])
        .await
        .unwrap();
    store.record_timeline(Vec::new()).await.unwrap();
    let timeline = store.conversation_timeline(id).await.unwrap();
    let read: Vec<(&str, &Actor)> =
        timeline.iter().map(|e| (e.event.kind.as_str(), &e.event.actor)).collect();
    assert_eq!(
        read,
        [
            ("sla_warning", &rule),
            ("sla_breached", &Actor::System),
            ("reply_queued", &Actor::User { id: UserId(1) }),
        ]
    );
    assert_eq!(timeline[0].event, event(10, rule, "sla_warning"));
    assert!(changes_after(store, seq).await.is_empty(), "timeline-only writes announce nothing");
}

async fn a_missing_conversation_or_assignee_is_not_found_and_records_nothing(h: &Harness) {
    let store = &*h.store;
    let id = conversations(h, "acme", 1).await[0];
    let missing = ConversationId(id.0 + 1_000);
    let not_found =
        |result: Result<_, StoreError>| matches!(result, Err(StoreError::NotFound { .. }));

    assert!(not_found(store.conversation_timeline(missing).await.map(|_| ())));
    let events = [id, missing].map(|conversation_id| NewTimelineEvent {
        conversation_id,
        at: at(1),
        actor: Actor::System,
        kind: "escalated".into(),
        detail: json!({}),
    });
    assert!(not_found(store.record_timeline(events.to_vec()).await));
    let patch = ConversationPatch { assignee_id: Some(Some(UserId(999))), ..Default::default() };
    assert!(not_found(store.patch_conversation(id, patch, Actor::System).await.map(|_| ())));
    let patch = ConversationPatch { priority: Some(Priority::Low), ..Default::default() };
    assert!(not_found(store.patch_conversation(missing, patch, Actor::System).await.map(|_| ())));

    assert!(store.conversation_timeline(id).await.unwrap().is_empty());
    assert_eq!(store.get_conversation(id).await.unwrap().assignee_id, None);
}
