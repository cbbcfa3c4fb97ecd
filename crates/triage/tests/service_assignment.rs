//! Assignment driven by the change feed, through the triage service on SQLite: waiting
//! conversations go to an agent the moment they have room — after a resolution, on coming online,
//! when their capacity is raised, when a team turns auto-assignment on — most urgent first, then
//! the longest waiting. Each step applies the feed with `catch_up`, as the follower does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod service_common;

use service_common::*;
use std::sync::Arc;
use trellis_core::{
    Account, Actor, AssignmentMode, Availability, ConversationId, ConversationPatch,
    ConversationStatus, Direction, Priority, Role, Store, TeamId, TeamSettings, UserId,
};
use trellis_triage::service::TriageService;

/// A team in `mode` with these members.
async fn team(store: &dyn Store, name: &str, mode: AssignmentMode, members: &[UserId]) -> TeamId {
    let team = store.create_team(name).await.unwrap().id;
    for member in members {
        store.add_team_member(team, *member).await.unwrap();
    }
    let settings = TeamSettings {
        team_id: team,
        assignment: mode,
        default_capacity: 10,
        return_after_offline_secs: None,
        round_robin_last: None,
    };
    store.update_team_settings(settings).await.unwrap();
    team
}

/// An agent with this capacity and availability.
async fn agent(store: &dyn Store, name: &str, capacity: u32, availability: Availability) -> UserId {
    let id = user(store, name, Role::Agent).await.id;
    store.set_capacity(id, Some(capacity)).await.unwrap();
    store.set_availability(id, availability, ago(60)).await.unwrap();
    id
}

/// A conversation routed to `team`, its customer waiting since `minutes_ago`.
async fn waiting(
    store: &dyn Store,
    account: &Account,
    team: TeamId,
    thread: &str,
    minutes_ago: i64,
    priority: Priority,
) -> ConversationId {
    let message = tweet(thread, thread, Direction::Inbound, "help", ago(minutes_ago));
    let id = ingest(store, account, message).await.conversation_id;
    let patch = ConversationPatch {
        team_id: Some(Some(team)),
        priority: Some(priority),
        ..Default::default()
    };
    store.patch_conversation(id, patch, Actor::System).await.unwrap();
    id
}

async fn assignee(store: &dyn Store, id: ConversationId) -> Option<UserId> {
    store.get_conversation(id).await.unwrap().assignee_id
}

async fn resolve(store: &dyn Store, id: ConversationId, by: UserId) {
    let patch =
        ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.patch_conversation(id, patch, Actor::User { id: by }).await.unwrap();
}

fn service(store: &Arc<dyn Store>) -> TriageService {
    TriageService::new(store.clone())
}

#[tokio::test]
async fn a_resolution_gives_the_agent_the_most_urgent_then_the_longest_waiting_conversation() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    let ana = agent(store, "ana", 2, Availability::Online).await;
    let support = team(store, "Support", AssignmentMode::Balanced, &[ana]).await;
    let oldest = waiting(store, &account, support, "1", 50, Priority::Normal).await;
    let older = waiting(store, &account, support, "2", 40, Priority::Normal).await;
    let newer = waiting(store, &account, support, "3", 30, Priority::Normal).await;
    let newest = waiting(store, &account, support, "4", 20, Priority::Normal).await;
    let triage = service(&db.store);
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, oldest).await, Some(ana));
    assert_eq!(assignee(store, older).await, Some(ana));
    assert_eq!((assignee(store, newer).await, assignee(store, newest).await), (None, None));

    // Full: raising the newest's priority while she is busy assigns nothing.
    let urgent = ConversationPatch { priority: Some(Priority::High), ..Default::default() };
    store.patch_conversation(newest, urgent, Actor::System).await.unwrap();
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, newest).await, None, "ana is at capacity");

    resolve(store, oldest, ana).await;
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, newest).await, Some(ana), "the most urgent goes first");
    assert_eq!(assignee(store, newer).await, None);

    resolve(store, older, ana).await;
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, newer).await, Some(ana), "then the longest waiting");
}

#[tokio::test]
async fn an_agent_coming_online_takes_the_waiting_conversations() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    let ben = agent(store, "ben", 5, Availability::Offline).await;
    let support = team(store, "Support", AssignmentMode::RoundRobin, &[ben]).await;
    let ids = [
        waiting(store, &account, support, "1", 30, Priority::Normal).await,
        waiting(store, &account, support, "2", 20, Priority::Low).await,
    ];
    let triage = service(&db.store);
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, ids[0]).await, None, "nobody online");

    store.set_availability(ben, Availability::Away, ago(0)).await.unwrap();
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, ids[0]).await, None, "away takes nothing");

    store.set_availability(ben, Availability::Online, ago(0)).await.unwrap();
    triage.catch_up().await.unwrap();
    for id in ids {
        assert_eq!(assignee(store, id).await, Some(ben), "{id}");
    }
}

#[tokio::test]
async fn raising_an_agents_capacity_assigns_as_many_more_as_it_allows() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    let cy = agent(store, "cy", 1, Availability::Online).await;
    let support = team(store, "Support", AssignmentMode::Balanced, &[cy]).await;
    let mut ids = Vec::new();
    for (n, minutes_ago) in [40, 30, 20, 10].into_iter().enumerate() {
        let thread = (n + 1).to_string();
        ids.push(waiting(store, &account, support, &thread, minutes_ago, Priority::Normal).await);
    }
    let triage = service(&db.store);
    triage.catch_up().await.unwrap();
    let held = |expected: usize| async move {
        let held = store.open_assigned(cy).await.unwrap();
        assert_eq!(held.len(), expected, "{held:?}");
        held.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(held(1).await, ids[..1]);

    store.set_capacity(cy, Some(3)).await.unwrap();
    triage.catch_up().await.unwrap();
    assert_eq!(held(3).await, ids[..3], "two more, the longest waiting");
}

#[tokio::test]
async fn turning_auto_assignment_on_drains_the_teams_queue() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    let ana = agent(store, "ana", 5, Availability::Online).await;
    let support = team(store, "Support", AssignmentMode::Manual, &[ana]).await;
    let id = waiting(store, &account, support, "1", 10, Priority::Normal).await;
    let triage = service(&db.store);
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, id).await, None, "manual: agents take conversations themselves");

    let mut settings = store.team_settings(support).await.unwrap();
    settings.assignment = AssignmentMode::RoundRobin;
    store.update_team_settings(settings).await.unwrap();
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, id).await, Some(ana));
}

#[tokio::test]
async fn an_agent_in_two_teams_frees_room_in_the_other_team_too() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    let ana = agent(store, "ana", 1, Availability::Online).await;
    let support = team(store, "Support", AssignmentMode::Balanced, &[ana]).await;
    let billing = team(store, "Billing", AssignmentMode::Balanced, &[ana]).await;
    let held = waiting(store, &account, support, "1", 30, Priority::Normal).await;
    let triage = service(&db.store);
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, held).await, Some(ana));
    let billing_waits = waiting(store, &account, billing, "2", 20, Priority::Normal).await;
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, billing_waits).await, None, "ana is full");

    resolve(store, held, ana).await;
    triage.catch_up().await.unwrap();
    assert_eq!(
        assignee(store, billing_waits).await,
        Some(ana),
        "freed in Support, used in Billing"
    );
}

#[tokio::test]
async fn a_conversation_taken_from_an_agent_gives_their_seat_to_the_next_in_line() {
    let db = sqlite().await;
    let store = db.store.as_ref();
    let account = account(store).await;
    let ana = agent(store, "ana", 1, Availability::Online).await;
    let support = team(store, "Support", AssignmentMode::Balanced, &[ana]).await;
    let sales = team(store, "Sales", AssignmentMode::Manual, &[]).await;
    let first = waiting(store, &account, support, "1", 30, Priority::Normal).await;
    let second = waiting(store, &account, support, "2", 20, Priority::Normal).await;
    let triage = service(&db.store);
    triage.catch_up().await.unwrap();
    assert_eq!((assignee(store, first).await, assignee(store, second).await), (Some(ana), None));

    // A supervisor moves ana's conversation to another team and takes it from her.
    let supervisor = user(store, "sam", Role::Supervisor).await.id;
    let moved = ConversationPatch {
        team_id: Some(Some(sales)),
        assignee_id: Some(None),
        ..Default::default()
    };
    store.patch_conversation(first, moved, Actor::User { id: supervisor }).await.unwrap();
    triage.catch_up().await.unwrap();
    assert_eq!(assignee(store, second).await, Some(ana));
    assert_eq!(assignee(store, first).await, None, "Sales assigns manually");
}
