//! Who gets the next conversation: pure, no IO.
//!
//! A [`Roster`] is a team as the policy sees it at one moment: its mode, its round-robin pointer
//! and, for each member, availability, open conversations and capacity. It answers "who takes the
//! next one?" and, through [`Roster::plan`], fills a queue in order while updating counts, so the
//! same code serves one routed conversation, a whole drain and the simulations that check it.
//!
//! The guarantees, each tested here and by proptest:
//! - only members of the team are ever chosen, whatever states the caller passes in;
//! - only agents who are `online` are chosen: `away` keeps their conversations, `offline` too;
//! - nobody is chosen at or above capacity (their own, else the team's default);
//! - round robin takes the next eligible member after the last one assigned, in user-id order,
//!   wrapping around;
//! - balanced takes the eligible member with the fewest open conversations; ties go to whoever
//!   comes first after the last one assigned (the same pointer), so equals take turns.

use std::collections::BTreeSet;
use trellis_core::{
    AgentState, AssignmentMode, Availability, ConversationId, TeamSettings, UserId,
};

/// One member's seat: what the policy needs to know about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub user_id: UserId,
    pub availability: Availability,
    /// Conversations assigned to them that are not resolved, across all their teams.
    pub open: u32,
    /// Their own capacity, else the team's default.
    pub capacity: u32,
}

impl Seat {
    /// Online and below capacity.
    pub fn has_room(&self) -> bool {
        self.availability == Availability::Online && self.open < self.capacity
    }

    fn room(&self) -> u32 {
        if self.availability == Availability::Online {
            self.capacity.saturating_sub(self.open)
        } else {
            0
        }
    }
}

/// A team at one moment, as the assignment policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    mode: AssignmentMode,
    /// Members only, ordered by user id: the stable order round robin walks.
    seats: Vec<Seat>,
    last: Option<UserId>,
}

impl Roster {
    /// The roster of a team: `states` may hold anyone (all agents, a stale read); only those in
    /// `members` get a seat. A member without a state holds no seat (they were never online).
    pub fn new(settings: &TeamSettings, members: &[UserId], states: &[AgentState]) -> Self {
        let members: BTreeSet<UserId> = members.iter().copied().collect();
        let mut seats: Vec<Seat> = states
            .iter()
            .filter(|state| members.contains(&state.user_id))
            .map(|state| Seat {
                user_id: state.user_id,
                availability: state.availability,
                open: state.open_conversations,
                capacity: state.capacity.unwrap_or(settings.default_capacity),
            })
            .collect();
        seats.sort_by_key(|seat| seat.user_id);
        seats.dedup_by_key(|seat| seat.user_id);
        Self { mode: settings.assignment, seats, last: settings.round_robin_last }
    }

    pub fn mode(&self) -> AssignmentMode {
        self.mode
    }

    /// The members' seats, by user id.
    pub fn seats(&self) -> &[Seat] {
        &self.seats
    }

    /// The agent who got the last assignment: the round-robin pointer to persist.
    pub fn last_assigned(&self) -> Option<UserId> {
        self.last
    }

    /// How many more conversations the online members can take between them.
    pub fn free_seats(&self) -> u32 {
        self.seats.iter().map(Seat::room).sum()
    }

    /// Who takes the next conversation under the team's mode; `None` in manual mode or when
    /// no online member has room.
    pub fn choose(&self) -> Option<UserId> {
        self.pick(self.mode, None)
    }

    /// Who takes a conversation an escalation takes away from `previous`: anyone else with
    /// room, chosen by the team's mode, or by balance when the team assigns manually (the
    /// escalation asked for a new owner explicitly).
    pub fn choose_escalated(&self, previous: Option<UserId>) -> Option<UserId> {
        let mode = match self.mode {
            AssignmentMode::Manual => AssignmentMode::Balanced,
            mode => mode,
        };
        self.pick(mode, previous)
    }

    /// The capacity of `user`'s seat (their own, else the team's default); `None` for a
    /// non-member.
    pub fn capacity_of(&self, user: UserId) -> Option<u32> {
        self.seats.iter().find(|seat| seat.user_id == user).map(|seat| seat.capacity)
    }

    /// Whether `user` is a member who is online.
    pub fn is_online(&self, user: UserId) -> bool {
        self.seats
            .iter()
            .any(|seat| seat.user_id == user && seat.availability == Availability::Online)
    }

    /// Records that `user` took a conversation: one more open, and the pointer moves to them.
    pub fn take(&mut self, user: UserId) {
        if let Some(seat) = self.seat_mut(user) {
            seat.open = seat.open.saturating_add(1);
        }
        self.last = Some(user);
    }

    /// Records that `user` gave a conversation up (it was resolved or taken away).
    pub fn release(&mut self, user: UserId) {
        if let Some(seat) = self.seat_mut(user) {
            seat.open = seat.open.saturating_sub(1);
        }
    }

    /// Assigns as many of `queue` as there is room for, in queue order, updating counts and the
    /// pointer as it goes. Stops at the first conversation nobody can take: later ones could
    /// not be taken either, and the queue order (most urgent, then longest waiting) is kept.
    pub fn plan(&mut self, queue: &[ConversationId]) -> Vec<(ConversationId, UserId)> {
        let mut assignments = Vec::new();
        for &conversation in queue {
            let Some(user) = self.choose() else { break };
            self.take(user);
            assignments.push((conversation, user));
        }
        assignments
    }

    fn pick(&self, mode: AssignmentMode, excluded: Option<UserId>) -> Option<UserId> {
        let eligible =
            self.seats.iter().filter(|seat| seat.has_room() && Some(seat.user_id) != excluded);
        // Rotation order: members after the pointer first, then from the start again.
        let turn = |seat: &Seat| (self.last.is_some_and(|last| seat.user_id <= last), seat.user_id);
        let chosen = match mode {
            AssignmentMode::Manual => None,
            AssignmentMode::RoundRobin => eligible.min_by_key(|seat| turn(seat)),
            AssignmentMode::Balanced => eligible.min_by_key(|seat| (seat.open, turn(seat))),
        };
        chosen.map(|seat| seat.user_id)
    }

    fn seat_mut(&mut self, user: UserId) -> Option<&mut Seat> {
        self.seats.iter_mut().find(|seat| seat.user_id == user)
    }
}

/// Fills `queue` in order for a team: the assignments to make, at most one per conversation.
/// The last assignee is the new round-robin pointer.
pub fn plan(
    queue: &[ConversationId],
    settings: &TeamSettings,
    members: &[UserId],
    states: &[AgentState],
) -> Vec<(ConversationId, UserId)> {
    Roster::new(settings, members, states).plan(queue)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn settings(mode: AssignmentMode, last: Option<i64>) -> TeamSettings {
        TeamSettings {
            team_id: trellis_core::TeamId(1),
            assignment: mode,
            default_capacity: 3,
            return_after_offline_secs: None,
            round_robin_last: last.map(UserId),
        }
    }

    fn agent(id: i64, availability: Availability, open: u32, capacity: Option<u32>) -> AgentState {
        AgentState {
            user_id: UserId(id),
            availability,
            availability_since: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            capacity,
            open_conversations: open,
        }
    }

    fn online(id: i64, open: u32) -> AgentState {
        agent(id, Availability::Online, open, Some(10))
    }

    fn ids(users: &[i64]) -> Vec<UserId> {
        users.iter().copied().map(UserId).collect()
    }

    fn queue(n: i64) -> Vec<ConversationId> {
        (1..=n).map(ConversationId).collect()
    }

    fn assignees(plan: &[(ConversationId, UserId)]) -> Vec<i64> {
        plan.iter().map(|(_, user)| user.0).collect()
    }

    #[test]
    fn round_robin_starts_after_the_last_agent_and_wraps_around() {
        let agents = [online(1, 0), online(2, 0), online(3, 0)];
        let plan = plan(
            &queue(5),
            &settings(AssignmentMode::RoundRobin, Some(2)),
            &ids(&[1, 2, 3]),
            &agents,
        );
        assert_eq!(assignees(&plan), [3, 1, 2, 3, 1]);
    }

    #[test]
    fn round_robin_skips_agents_who_are_away_offline_or_full() {
        let agents = [
            online(1, 0),
            agent(2, Availability::Away, 0, None),
            agent(3, Availability::Offline, 0, None),
            agent(4, Availability::Online, 3, None),
            online(5, 0),
        ];
        let plan = plan(
            &queue(4),
            &settings(AssignmentMode::RoundRobin, None),
            &ids(&[1, 2, 3, 4, 5]),
            &agents,
        );
        assert_eq!(assignees(&plan), [1, 5, 1, 5]);
    }

    #[test]
    fn balanced_gives_the_next_conversation_to_the_agent_with_the_fewest_open() {
        let agents = [online(1, 4), online(2, 1), online(3, 2)];
        let plan =
            plan(&queue(4), &settings(AssignmentMode::Balanced, None), &ids(&[1, 2, 3]), &agents);
        // 2 has 1 → 2; then 2 and 3 tie at 2: 3 comes first after the last assignee (2).
        assert_eq!(assignees(&plan), [2, 3, 2, 3]);
    }

    #[test]
    fn balanced_ties_take_turns_after_the_round_robin_pointer() {
        let agents = [online(1, 0), online(2, 0), online(3, 0)];
        let roster =
            Roster::new(&settings(AssignmentMode::Balanced, Some(1)), &ids(&[1, 2, 3]), &agents);
        assert_eq!(roster.choose(), Some(UserId(2)));
        let roster =
            Roster::new(&settings(AssignmentMode::Balanced, Some(3)), &ids(&[1, 2, 3]), &agents);
        assert_eq!(roster.choose(), Some(UserId(1)));
    }

    #[test]
    fn balanced_filling_from_empty_stays_within_one_of_even() {
        let members: Vec<i64> = (1..=10).collect();
        let agents: Vec<AgentState> = members.iter().map(|&id| online(id, 0)).collect();
        let mut roster =
            Roster::new(&settings(AssignmentMode::Balanced, None), &ids(&members), &agents);
        roster.plan(&queue(37));
        let loads: Vec<u32> = roster.seats().iter().map(|seat| seat.open).collect();
        assert_eq!(loads, [4, 4, 4, 4, 4, 4, 4, 3, 3, 3]);
    }

    #[test]
    fn the_teams_default_capacity_applies_to_agents_without_their_own() {
        let agents =
            [agent(1, Availability::Online, 0, None), agent(2, Availability::Online, 0, Some(5))];
        let mut roster =
            Roster::new(&settings(AssignmentMode::Balanced, None), &ids(&[1, 2]), &agents);
        let plan = roster.plan(&queue(20));
        assert_eq!(plan.len(), 8, "3 by the team default and 5 of the agent's own");
        assert_eq!(roster.free_seats(), 0);
    }

    #[test]
    fn an_agent_outside_the_team_is_never_chosen() {
        let agents = [online(1, 9), online(7, 0)];
        let plan = plan(&queue(3), &settings(AssignmentMode::Balanced, None), &ids(&[1]), &agents);
        assert_eq!(assignees(&plan), [1]);
    }

    #[test]
    fn manual_mode_assigns_nobody() {
        let agents = [online(1, 0)];
        let plan = plan(&queue(3), &settings(AssignmentMode::Manual, None), &ids(&[1]), &agents);
        assert!(plan.is_empty());
    }

    #[test]
    fn planning_stops_at_the_first_conversation_nobody_can_take() {
        let agents = [agent(1, Availability::Online, 1, Some(2))];
        let plan =
            plan(&queue(3), &settings(AssignmentMode::RoundRobin, None), &ids(&[1]), &agents);
        assert_eq!(plan, [(ConversationId(1), UserId(1))]);
    }

    #[test]
    fn an_escalation_passes_over_the_previous_agent_unless_nobody_else_has_room() {
        let agents = [online(1, 0), online(2, 5), agent(3, Availability::Online, 3, None)];
        let roster =
            Roster::new(&settings(AssignmentMode::Manual, None), &ids(&[1, 2, 3]), &agents);
        assert_eq!(roster.choose_escalated(Some(UserId(1))), Some(UserId(2)));
        let full = [online(1, 0), agent(2, Availability::Away, 0, None)];
        let roster = Roster::new(&settings(AssignmentMode::Balanced, None), &ids(&[1, 2]), &full);
        assert_eq!(roster.choose_escalated(Some(UserId(1))), None);
        assert!(roster.is_online(UserId(1)));
    }
}
