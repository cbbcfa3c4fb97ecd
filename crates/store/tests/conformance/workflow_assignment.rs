//! Assignment: only one of two racing assigners wins, a team's queue comes most urgent first and
//! then longest waiting, read from an index.

use crate::harness::{account, batch, mention, message, Concrete, Harness};
use crate::workflow_fixtures::{agent, changes_after, conversations, kinds, team};
use std::sync::Arc;
use tokio::sync::Barrier;
use trellis_core::{
    Actor, ChangeKind, Channel, ConversationId, ConversationPatch, ConversationStatus, MessageKind,
    Priority, StoreError, TeamId, UserId,
};

crate::conformance!(
    assigning_an_unassigned_conversation_records_who_and_announces_it,
    an_assigned_or_resolved_conversation_is_not_taken_over,
    of_two_concurrent_assigners_exactly_one_wins,
    the_queue_is_most_urgent_first_then_longest_waiting,
    open_assigned_lists_an_agents_unresolved_conversations,
    the_assignment_queue_reads_an_index_in_order,
);

async fn assigning_an_unassigned_conversation_records_who_and_announces_it(h: &Harness) {
    let store = &*h.store;
    let ana = agent(store, "ana").await;
    let id = conversations(h, "acme", 1).await[0];
    let seq = store.latest_seq().await.unwrap();
    let rule = Actor::Rule { id: trellis_core::RuleRecordId(3), name: "round robin".into() };
    let assigned = store.assign_if_unassigned(id, ana, rule.clone()).await.unwrap().unwrap();
    assert_eq!(assigned.assignee_id, Some(ana));

    let timeline = store.conversation_timeline(id).await.unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].event.kind, "assigned");
    assert_eq!(timeline[0].event.actor, rule);
    assert_eq!(timeline[0].event.detail, serde_json::json!({ "from": null, "to": ana.0 }));
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::ConversationUpdated]);
    assert_eq!(changes[0].conversation_id, Some(id));
}

async fn an_assigned_or_resolved_conversation_is_not_taken_over(h: &Harness) {
    let store = &*h.store;
    let (ana, ben) = (agent(store, "ana").await, agent(store, "ben").await);
    let ids = conversations(h, "acme", 2).await;
    store.assign_if_unassigned(ids[0], ana, Actor::System).await.unwrap().unwrap();
    let resolve =
        ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.update_conversation(ids[1], resolve).await.unwrap();
    let seq = store.latest_seq().await.unwrap();

    assert_eq!(store.assign_if_unassigned(ids[0], ben, Actor::System).await.unwrap(), None);
    assert_eq!(store.assign_if_unassigned(ids[1], ben, Actor::System).await.unwrap(), None);
    assert_eq!(store.get_conversation(ids[0]).await.unwrap().assignee_id, Some(ana));
    assert_eq!(store.get_conversation(ids[1]).await.unwrap().assignee_id, None);
    assert!(changes_after(store, seq).await.is_empty(), "a lost race announces nothing");
    assert_eq!(store.conversation_timeline(ids[0]).await.unwrap().len(), 1);

    let missing = ConversationId(ids[1].0 + 1_000);
    let result = store.assign_if_unassigned(missing, ben, Actor::System).await;
    assert!(matches!(result, Err(StoreError::NotFound { entity: "conversation", .. })));
    let result = store.assign_if_unassigned(ids[1], UserId(999), Actor::System).await;
    assert!(matches!(result, Err(StoreError::NotFound { entity: "user", .. })));
}

async fn of_two_concurrent_assigners_exactly_one_wins(h: &Harness) {
    let store = Arc::clone(&h.store);
    let (ana, ben) = (agent(&*store, "ana").await, agent(&*store, "ben").await);
    let ids = conversations(h, "acme", 8).await;
    let seq = store.latest_seq().await.unwrap();
    for id in &ids {
        let barrier = Arc::new(Barrier::new(2));
        let tasks = [ana, ben].map(|user| {
            let (store, barrier, id) = (Arc::clone(&store), Arc::clone(&barrier), *id);
            tokio::spawn(async move {
                barrier.wait().await;
                store.assign_if_unassigned(id, user, Actor::User { id: user }).await.unwrap()
            })
        });
        let mut winners = Vec::new();
        for task in tasks {
            if let Some(conversation) = task.await.unwrap() {
                winners.push(conversation.assignee_id.unwrap());
            }
        }
        assert_eq!(winners.len(), 1, "{id}: winners {winners:?}");
        let stored = store.get_conversation(*id).await.unwrap();
        assert_eq!(stored.assignee_id, Some(winners[0]));
        let timeline = store.conversation_timeline(*id).await.unwrap();
        assert_eq!(timeline.len(), 1, "{id}: {timeline:?}");
        assert_eq!(timeline[0].event.actor, Actor::User { id: winners[0] });
    }
    let changes = changes_after(&*store, seq).await;
    assert_eq!(changes.len(), ids.len());
    assert!(changes.iter().all(|c| c.kind == ChangeKind::ConversationUpdated));
}

/// Conversations of `team` with these priorities, created one second apart.
async fn queue_fixture(h: &Harness, team: TeamId, priorities: &[Priority]) -> Vec<ConversationId> {
    let ids = conversations(h, "queue", priorities.len()).await;
    for (id, priority) in ids.iter().zip(priorities) {
        let patch = ConversationPatch {
            priority: Some(*priority),
            team_id: Some(Some(team)),
            ..Default::default()
        };
        h.store.update_conversation(*id, patch).await.unwrap();
    }
    ids
}

async fn the_queue_is_most_urgent_first_then_longest_waiting(h: &Harness) {
    use Priority::{High, Low, Normal, Urgent};
    let store = &*h.store;
    let ana = agent(store, "ana").await;
    let support = team(store, "support", &[ana]).await;
    let other = team(store, "other", &[]).await;
    let c = queue_fixture(h, support, &[Low, Urgent, Normal, Urgent, High, Normal, Urgent]).await;
    // Not in the queue: assigned, pending, another team's.
    store.assign_if_unassigned(c[5], ana, Actor::System).await.unwrap().unwrap();
    let pending =
        ConversationPatch { status: Some(ConversationStatus::Pending), ..Default::default() };
    store.update_conversation(c[6], pending).await.unwrap();
    let elsewhere = conversations(h, "elsewhere", 1).await[0];
    let route = ConversationPatch { team_id: Some(Some(other)), ..Default::default() };
    store.update_conversation(elsewhere, route).await.unwrap();

    let queue = |limit| async move {
        let items = store.assignment_queue(support, limit).await.unwrap();
        items.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(queue(50).await, [c[1], c[3], c[4], c[2], c[0]]);
    assert_eq!(queue(2).await, [c[1], c[3]]);

    // The customer of c1 writes again: c3 has now waited longer.
    let acct = store.get_conversation(c[1]).await.unwrap().account_id;
    let acct = store.get_account(acct).await.unwrap();
    store
        .ingest(batch(
            &acct,
            vec![message("queue-again", MessageKind::Reply, Some("queue-m1"), "x", 100)],
        ))
        .await
        .unwrap();
    assert_eq!(queue(2).await, [c[3], c[1]]);

    let result = store.assignment_queue(TeamId(999), 10).await;
    assert!(matches!(result, Err(StoreError::NotFound { entity: "team", .. })));
}

async fn open_assigned_lists_an_agents_unresolved_conversations(h: &Harness) {
    let store = &*h.store;
    let (ana, ben) = (agent(store, "ana").await, agent(store, "ben").await);
    let ids = conversations(h, "acme", 4).await;
    for id in &ids[..3] {
        store.assign_if_unassigned(*id, ana, Actor::System).await.unwrap().unwrap();
    }
    store.assign_if_unassigned(ids[3], ben, Actor::System).await.unwrap().unwrap();
    let resolve =
        ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.update_conversation(ids[1], resolve).await.unwrap();

    let open: Vec<ConversationId> =
        store.open_assigned(ana).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(open, [ids[0], ids[2]]);
    let result = store.open_assigned(UserId(999)).await;
    assert!(matches!(result, Err(StoreError::NotFound { entity: "user", .. })));
}

async fn the_assignment_queue_reads_an_index_in_order(h: &Harness) {
    let store = &*h.store;
    let support = team(store, "support", &[]).await;
    let acct = account(store, Channel::X, "acme").await;
    let messages = (0..50).map(|i| mention(&format!("m{i}"), &format!("u{i}"), i)).collect();
    store.ingest(batch(&acct, messages)).await.unwrap();
    let plan = match &h.concrete {
        Concrete::Sqlite(store) => store.explain_assignment_queue(support).await,
        Concrete::Postgres(store) => store.explain_assignment_queue(support).await,
    };
    let plan = plan.unwrap().join("\n").to_lowercase();
    assert!(plan.contains("conversations_queue"), "queue index not used:\n{plan}");
    if h.is_sqlite() {
        assert!(!plan.contains("temp b-tree"), "sorts the queue:\n{plan}");
    } else {
        assert!(plan.contains("index scan"), "no index scan:\n{plan}");
        assert!(!plan.contains("sort"), "sorts the queue:\n{plan}");
    }
}
