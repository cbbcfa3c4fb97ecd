//! Teams' assignment settings and agents' availability, capacity and load.

use crate::harness::{at, Harness};
use crate::workflow_fixtures::{agent, changes_after, conversations, kinds, team};
use trellis_core::{
    Actor, AgentState, AssignmentMode, Availability, ChangeKind, ConversationPatch,
    ConversationStatus, StoreError, TeamId, TeamSettings, UserId,
};

crate::conformance!(
    a_team_without_settings_assigns_manually_with_capacity_ten,
    team_settings_are_replaced_and_announced,
    availability_keeps_its_since_until_it_changes,
    capacity_and_open_conversations_show_in_agent_states,
);

async fn a_team_without_settings_assigns_manually_with_capacity_ten(h: &Harness) {
    let store = &*h.store;
    let support = team(store, "support", &[]).await;
    let settings = store.team_settings(support).await.unwrap();
    assert_eq!(
        settings,
        TeamSettings {
            team_id: support,
            assignment: AssignmentMode::Manual,
            default_capacity: 10,
            return_after_offline_secs: None,
            round_robin_last: None,
        }
    );
    let missing = store.team_settings(TeamId(999)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "team", .. })));
}

async fn team_settings_are_replaced_and_announced(h: &Harness) {
    let store = &*h.store;
    let ana = agent(store, "ana").await;
    let support = team(store, "support", &[ana]).await;
    let seq = store.latest_seq().await.unwrap();
    let settings = TeamSettings {
        team_id: support,
        assignment: AssignmentMode::RoundRobin,
        default_capacity: 5,
        return_after_offline_secs: Some(900),
        round_robin_last: Some(ana),
    };
    store.update_team_settings(settings.clone()).await.unwrap();
    assert_eq!(store.team_settings(support).await.unwrap(), settings);
    let balanced = TeamSettings {
        assignment: AssignmentMode::Balanced,
        return_after_offline_secs: None,
        round_robin_last: None,
        ..settings.clone()
    };
    store.update_team_settings(balanced.clone()).await.unwrap();
    assert_eq!(store.team_settings(support).await.unwrap(), balanced);
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::TeamUpdated; 2]);
    assert!(changes.iter().all(|c| c.entity_id == support.0));

    let negative = TeamSettings { return_after_offline_secs: Some(-1), ..settings.clone() };
    let result = store.update_team_settings(negative).await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    let missing_team = TeamSettings { team_id: TeamId(999), ..settings.clone() };
    let result = store.update_team_settings(missing_team).await;
    assert!(matches!(result, Err(StoreError::NotFound { entity: "team", .. })));
    let missing_user = TeamSettings { round_robin_last: Some(UserId(999)), ..settings };
    let result = store.update_team_settings(missing_user).await;
    assert!(matches!(result, Err(StoreError::NotFound { entity: "user", .. })));
    assert_eq!(store.team_settings(support).await.unwrap(), balanced);
}

async fn state(h: &Harness, user: UserId) -> AgentState {
    let states = h.store.agent_states(None).await.unwrap();
    states.into_iter().find(|s| s.user_id == user).unwrap()
}

async fn availability_keeps_its_since_until_it_changes(h: &Harness) {
    let store = &*h.store;
    let ana = agent(store, "ana").await;
    let created = store.get_user(ana).await.unwrap().created_at;
    let initial = state(h, ana).await;
    assert_eq!(
        (initial.availability, initial.availability_since),
        (Availability::Offline, created)
    );

    // Already offline: nothing to record.
    let seq = store.latest_seq().await.unwrap();
    store.set_availability(ana, Availability::Offline, at(50)).await.unwrap();
    assert_eq!(state(h, ana).await.availability_since, created);
    assert!(changes_after(store, seq).await.is_empty());

    store.set_availability(ana, Availability::Online, at(100)).await.unwrap();
    store.set_availability(ana, Availability::Online, at(200)).await.unwrap();
    let online = state(h, ana).await;
    assert_eq!((online.availability, online.availability_since), (Availability::Online, at(100)));
    store.set_availability(ana, Availability::Away, at(300)).await.unwrap();
    assert_eq!(state(h, ana).await.availability, Availability::Away);
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::AgentUpdated; 2]);
    assert!(changes.iter().all(|c| c.entity_id == ana.0));

    let missing = store.set_availability(UserId(999), Availability::Online, at(1)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "user", .. })));
}

async fn capacity_and_open_conversations_show_in_agent_states(h: &Harness) {
    let store = &*h.store;
    let (ana, ben, cy) =
        (agent(store, "ana").await, agent(store, "ben").await, agent(store, "cy").await);
    let support = team(store, "support", &[ana, ben]).await;
    let ids = conversations(h, "acme", 4).await;
    for (id, user) in ids.iter().zip([ana, ana, ana, cy]) {
        store.assign_if_unassigned(*id, user, Actor::System).await.unwrap().unwrap();
    }
    let resolve =
        ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.update_conversation(ids[0], resolve).await.unwrap();
    let pending =
        ConversationPatch { status: Some(ConversationStatus::Pending), ..Default::default() };
    store.update_conversation(ids[1], pending).await.unwrap();

    let seq = store.latest_seq().await.unwrap();
    store.set_capacity(ben, Some(3)).await.unwrap();
    store.set_availability(ana, Availability::Online, at(10)).await.unwrap();
    store.set_capacity(ana, Some(4)).await.unwrap();
    store.set_capacity(ana, None).await.unwrap();
    assert_eq!(kinds(&changes_after(store, seq).await), [ChangeKind::AgentUpdated; 4]);

    let states = store.agent_states(Some(support)).await.unwrap();
    let summary: Vec<(UserId, Availability, Option<u32>, u32)> = states
        .iter()
        .map(|s| (s.user_id, s.availability, s.capacity, s.open_conversations))
        .collect();
    assert_eq!(
        summary,
        [(ana, Availability::Online, None, 2), (ben, Availability::Offline, Some(3), 0)]
    );
    // Setting a capacity keeps the availability and its since.
    assert_eq!(states[0].availability_since, at(10));
    assert_eq!(store.agent_states(None).await.unwrap().len(), 3);
    assert_eq!(state(h, cy).await.open_conversations, 1);

    let missing = store.agent_states(Some(TeamId(999))).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "team", .. })));
    let missing = store.set_capacity(UserId(999), Some(1)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "user", .. })));
}
