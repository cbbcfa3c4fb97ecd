//! Assignment within an agent's capacity and the conditional unassign: racing writers never put
//! an agent over capacity, and only the holder's conversation is released.

use crate::harness::Harness;
use crate::workflow_fixtures::{agent, changes_after, conversations, kinds};
use std::sync::Arc;
use tokio::sync::Barrier;
use trellis_core::{
    Actor, ChangeKind, ConversationId, ConversationPatch, ConversationStatus, StoreError, UserId,
};

crate::conformance!(
    an_agent_at_capacity_is_not_given_another_conversation,
    concurrent_assignments_never_put_an_agent_over_capacity,
    only_the_agent_holding_a_conversation_releases_it,
);

async fn an_agent_at_capacity_is_not_given_another_conversation(h: &Harness) {
    let store = &*h.store;
    let ana = agent(store, "ana").await;
    let ids = conversations(h, "acme", 4).await;
    for id in &ids[..2] {
        store.assign_within_capacity(*id, ana, 2, Actor::System).await.unwrap().unwrap();
    }
    let pending =
        ConversationPatch { status: Some(ConversationStatus::Pending), ..Default::default() };
    store.update_conversation(ids[1], pending).await.unwrap();

    // Pending still counts: two open against a capacity of two.
    let seq = store.latest_seq().await.unwrap();
    assert_eq!(store.assign_within_capacity(ids[2], ana, 2, Actor::System).await.unwrap(), None);
    assert_eq!(store.get_conversation(ids[2]).await.unwrap().assignee_id, None);
    assert!(changes_after(store, seq).await.is_empty(), "a refused assignment announces nothing");
    assert!(store.conversation_timeline(ids[2]).await.unwrap().is_empty());

    // A resolution frees the seat.
    let resolve =
        ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.update_conversation(ids[0], resolve).await.unwrap();
    let seq = store.latest_seq().await.unwrap();
    let assigned = store.assign_within_capacity(ids[2], ana, 2, Actor::System).await.unwrap();
    assert_eq!(assigned.unwrap().assignee_id, Some(ana));
    assert_eq!(kinds(&changes_after(store, seq).await), [ChangeKind::ConversationUpdated]);
    let timeline = store.conversation_timeline(ids[2]).await.unwrap();
    assert_eq!(timeline[0].event.detail, serde_json::json!({ "from": null, "to": ana.0 }));

    // Resolved or already assigned conversations are not taken, whatever the room.
    assert_eq!(store.assign_within_capacity(ids[0], ana, 9, Actor::System).await.unwrap(), None);
    let ben = agent(store, "ben").await;
    assert_eq!(store.assign_within_capacity(ids[2], ben, 9, Actor::System).await.unwrap(), None);
    let missing = store.assign_within_capacity(ConversationId(9_999), ben, 9, Actor::System).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "conversation", .. })));
    let nobody = store.assign_within_capacity(ids[3], UserId(9_999), 9, Actor::System).await;
    assert!(matches!(nobody, Err(StoreError::NotFound { entity: "user", .. })));
}

async fn concurrent_assignments_never_put_an_agent_over_capacity(h: &Harness) {
    let store = Arc::clone(&h.store);
    let writers = 8;
    let capacity = 3;
    for round in 0..4 {
        let user = agent(&*store, &format!("agent{round}")).await;
        let ids = conversations(h, &format!("round{round}"), writers).await;
        let barrier = Arc::new(Barrier::new(writers));
        let tasks: Vec<_> = ids
            .iter()
            .map(|id| {
                let (store, barrier, id) = (Arc::clone(&store), Arc::clone(&barrier), *id);
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.assign_within_capacity(id, user, capacity, Actor::System).await.unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            won += u32::from(task.await.unwrap().is_some());
        }
        assert_eq!(won, capacity, "round {round}");
        let held = store.open_assigned(user).await.unwrap();
        assert_eq!(held.len() as u32, capacity, "round {round}");
    }
}

async fn only_the_agent_holding_a_conversation_releases_it(h: &Harness) {
    let store = &*h.store;
    let (ana, ben) = (agent(store, "ana").await, agent(store, "ben").await);
    let ids = conversations(h, "acme", 2).await;
    store.assign_if_unassigned(ids[0], ana, Actor::System).await.unwrap().unwrap();

    let seq = store.latest_seq().await.unwrap();
    assert_eq!(store.unassign_if_held(ids[0], ben, Actor::System).await.unwrap(), None);
    assert_eq!(store.unassign_if_held(ids[1], ana, Actor::System).await.unwrap(), None);
    assert!(changes_after(store, seq).await.is_empty(), "nothing released, nothing announced");
    assert_eq!(store.get_conversation(ids[0]).await.unwrap().assignee_id, Some(ana));

    let supervisor = Actor::User { id: ben };
    let released = store.unassign_if_held(ids[0], ana, supervisor.clone()).await.unwrap();
    assert_eq!(released.unwrap().assignee_id, None);
    let timeline = store.conversation_timeline(ids[0]).await.unwrap();
    let last = &timeline.last().unwrap().event;
    assert_eq!((last.kind.as_str(), &last.actor), ("assigned", &supervisor));
    assert_eq!(last.detail, serde_json::json!({ "from": ana.0, "to": null }));
    assert_eq!(kinds(&changes_after(store, seq).await), [ChangeKind::ConversationUpdated]);
    // Released once: a second release (another node, late) finds nothing to do.
    assert_eq!(store.unassign_if_held(ids[0], ana, Actor::System).await.unwrap(), None);

    let missing = store.unassign_if_held(ConversationId(9_999), ana, Actor::System).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "conversation", .. })));
}
