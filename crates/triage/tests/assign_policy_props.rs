//! Properties of the assignment policy over generated teams: whatever the states, modes, pointer
//! and queue, a plan never breaks capacity, membership or availability, leaves nothing waiting
//! while a member has room, and picks in the order its mode promises.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::DateTime;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use trellis_core::{
    AgentState, AssignmentMode, Availability, ConversationId, TeamId, TeamSettings, UserId,
};
use trellis_triage::assign::Roster;

#[derive(Debug, Clone)]
struct Case {
    settings: TeamSettings,
    members: Vec<UserId>,
    states: Vec<AgentState>,
    queue: Vec<ConversationId>,
}

fn availability() -> impl Strategy<Value = Availability> {
    prop_oneof![
        3 => Just(Availability::Online),
        1 => Just(Availability::Away),
        1 => Just(Availability::Offline),
    ]
}

fn state() -> impl Strategy<Value = AgentState> {
    (1..=12i64, availability(), 0..20u32, proptest::option::of(0..15u32)).prop_map(
        |(id, availability, open, capacity)| AgentState {
            user_id: UserId(id),
            availability,
            availability_since: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            capacity,
            open_conversations: open,
        },
    )
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(AssignmentMode::RoundRobin), Just(AssignmentMode::Balanced)],
        1..10u32,
        proptest::option::of(1..=12i64),
        proptest::collection::btree_set(1..=12i64, 0..10),
        proptest::collection::vec(state(), 0..14),
        0..80i64,
    )
        .prop_map(|(mode, default_capacity, last, members, mut states, queue_len)| {
            // One state per agent, as the store answers.
            let mut seen = BTreeSet::new();
            states.retain(|state| seen.insert(state.user_id));
            Case {
                settings: TeamSettings {
                    team_id: TeamId(1),
                    assignment: mode,
                    default_capacity,
                    return_after_offline_secs: None,
                    round_robin_last: last.map(UserId),
                },
                members: members.into_iter().map(UserId).collect(),
                states,
                queue: (1..=queue_len).map(ConversationId).collect(),
            }
        })
}

/// The reference model: each eligible member's (open, capacity), written independently of the
/// policy's own bookkeeping.
fn eligible_model(case: &Case) -> BTreeMap<UserId, (u32, u32)> {
    case.states
        .iter()
        .filter(|state| {
            case.members.contains(&state.user_id) && state.availability == Availability::Online
        })
        .map(|state| {
            let capacity = state.capacity.unwrap_or(case.settings.default_capacity);
            (state.user_id, (state.open_conversations, capacity))
        })
        .collect()
}

fn with_room(model: &BTreeMap<UserId, (u32, u32)>) -> Vec<UserId> {
    model.iter().filter(|(_, (open, cap))| open < cap).map(|(user, _)| *user).collect()
}

/// Members with room in rotation order: after `last` first, then from the lowest id.
fn rotation(candidates: &[UserId], last: Option<UserId>) -> Vec<UserId> {
    let (before, after): (Vec<UserId>, Vec<UserId>) =
        candidates.iter().partition(|user| last.is_some_and(|last| **user <= last));
    after.into_iter().chain(before).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_plan_only_gives_online_members_conversations_they_have_room_for(case in case()) {
        let plan = Roster::new(&case.settings, &case.members, &case.states).plan(&case.queue);
        let mut model = eligible_model(&case);
        for (_, user) in &plan {
            let (open, capacity) = model.get_mut(user).expect("an online member");
            prop_assert!(*open < *capacity, "{user} was full");
            *open += 1;
        }
    }

    #[test]
    fn a_plan_takes_the_queue_in_order_and_stops_only_when_nobody_has_room(case in case()) {
        let plan = Roster::new(&case.settings, &case.members, &case.states).plan(&case.queue);
        let planned: Vec<ConversationId> = plan.iter().map(|(id, _)| *id).collect();
        prop_assert_eq!(&planned[..], &case.queue[..plan.len()]);
        let mut model = eligible_model(&case);
        for (_, user) in &plan {
            model.get_mut(user).expect("an online member").0 += 1;
        }
        if plan.len() < case.queue.len() {
            prop_assert!(with_room(&model).is_empty(), "left waiting while someone had room");
        }
    }

    #[test]
    fn each_pick_follows_the_modes_order(case in case()) {
        let plan = Roster::new(&case.settings, &case.members, &case.states).plan(&case.queue);
        let mut model = eligible_model(&case);
        let mut last = case.settings.round_robin_last;
        for (_, user) in &plan {
            let order = rotation(&with_room(&model), last);
            let expected = match case.settings.assignment {
                AssignmentMode::RoundRobin => order[0],
                // The fewest open; among equals, the first in rotation order.
                _ => *order.iter().min_by_key(|candidate| model[candidate].0).unwrap(),
            };
            prop_assert_eq!(*user, expected);
            model.get_mut(user).unwrap().0 += 1;
            last = Some(*user);
        }
    }

    #[test]
    fn a_balanced_receiver_never_holds_more_than_one_above_a_teammate_with_room(case in case()) {
        let mut settings = case.settings.clone();
        settings.assignment = AssignmentMode::Balanced;
        let plan = Roster::new(&settings, &case.members, &case.states).plan(&case.queue);
        let mut model = eligible_model(&case);
        for (_, user) in &plan {
            model.get_mut(user).unwrap().0 += 1;
        }
        let receivers: BTreeSet<UserId> = plan.iter().map(|(_, user)| *user).collect();
        for receiver in receivers {
            for other in with_room(&model) {
                prop_assert!(model[&receiver].0 <= model[&other].0 + 1, "{receiver} vs {other}");
            }
        }
    }
}
