//! The in-memory world the pure policy runs in: conversations, agents and round-robin pointers,
//! driven the way the triage service drives the `Assigner` (a routed conversation drains its
//! team; an agent's change drains each of their teams, lowest first).

use super::{AgentView, Event, Observed, Scenario, Step};
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use trellis_core::{
    AgentState, Availability, ConversationId, Priority, TeamId, TeamSettings, UserId,
};
use trellis_triage::assign::Roster;

struct Conversation {
    team: usize,
    priority: Priority,
    arrived_at: DateTime<Utc>,
    assignee: Option<usize>,
    resolved: bool,
}

struct Agent {
    availability: Availability,
    since: DateTime<Utc>,
    capacity: u32,
}

pub struct Model<'a> {
    scenario: &'a Scenario,
    conversations: Vec<Conversation>,
    agents: Vec<Agent>,
    pointers: Vec<Option<usize>>,
    /// Conversations taken back from agents offline too long, over the whole run.
    pub returned: usize,
}

/// The ids the policy sees: agent `i` is user `i + 1`, conversation `i` is id `i + 1`.
fn user(agent: usize) -> UserId {
    UserId(agent as i64 + 1)
}

impl<'a> Model<'a> {
    pub fn new(scenario: &'a Scenario) -> Self {
        let agents = scenario
            .agents
            .iter()
            .map(|spec| Agent {
                availability: spec.initial,
                since: scenario.start,
                capacity: spec.capacity,
            })
            .collect();
        Self {
            scenario,
            conversations: Vec::new(),
            agents,
            pointers: vec![None; scenario.teams.len()],
            returned: 0,
        }
    }

    /// Applies one step; the assignments it led to as `(conversation, agent)`, in order.
    pub fn apply(&mut self, step: &Step) -> Vec<(usize, usize)> {
        match step.event {
            Event::Arrive { team, priority } => {
                self.conversations.push(Conversation {
                    team,
                    priority,
                    arrived_at: step.at,
                    assignee: None,
                    resolved: false,
                });
                self.drain(team)
            }
            Event::Resolve { pick } => {
                let held = self.open_assigned();
                if held.is_empty() {
                    return Vec::new();
                }
                let conversation = held[(pick % held.len() as u64) as usize];
                self.conversations[conversation].resolved = true;
                let agent = self.conversations[conversation].assignee.unwrap();
                self.agent_changed(agent)
            }
            Event::Availability { agent, availability } => {
                if self.agents[agent].availability != availability {
                    self.agents[agent].availability = availability;
                    self.agents[agent].since = step.at;
                }
                self.agent_changed(agent)
            }
            Event::ReturnOffline => self.return_offline(step.at),
        }
    }

    pub fn observe(&self) -> Observed {
        let agents = (0..self.agents.len())
            .map(|agent| AgentView {
                availability: self.agents[agent].availability,
                capacity: self.agents[agent].capacity,
                open: self.open_of(agent),
            })
            .collect();
        let waiting =
            (0..self.scenario.teams.len()).map(|team| !self.queue(team).is_empty()).collect();
        Observed { agents, waiting }
    }

    /// The team of conversation `index`.
    pub fn team_of(&self, conversation: usize) -> usize {
        self.conversations[conversation].team
    }

    /// Open assigned conversations in arrival order.
    fn open_assigned(&self) -> Vec<usize> {
        (0..self.conversations.len())
            .filter(|&i| {
                !self.conversations[i].resolved && self.conversations[i].assignee.is_some()
            })
            .collect()
    }

    fn open_of(&self, agent: usize) -> u32 {
        self.conversations.iter().filter(|c| !c.resolved && c.assignee == Some(agent)).count()
            as u32
    }

    /// Waiting conversations of a team: most urgent first, then the longest waiting.
    fn queue(&self, team: usize) -> Vec<usize> {
        let mut queue: Vec<usize> = (0..self.conversations.len())
            .filter(|&i| {
                let c = &self.conversations[i];
                c.team == team && !c.resolved && c.assignee.is_none()
            })
            .collect();
        queue.sort_by_key(|&i| {
            let c = &self.conversations[i];
            (Reverse(c.priority), c.arrived_at, i)
        });
        queue
    }

    fn agent_changed(&mut self, agent: usize) -> Vec<(usize, usize)> {
        let teams: Vec<usize> = (0..self.scenario.teams.len())
            .filter(|&team| self.scenario.teams[team].members.contains(&agent))
            .collect();
        teams.into_iter().flat_map(|team| self.drain(team)).collect()
    }

    /// Plans the whole queue with the pure policy and applies the plan. States of every agent
    /// go in, members or not: the roster must keep to the team by itself.
    fn drain(&mut self, team: usize) -> Vec<(usize, usize)> {
        let spec = &self.scenario.teams[team];
        let settings = TeamSettings {
            team_id: TeamId(team as i64 + 1),
            assignment: spec.mode,
            default_capacity: 10,
            return_after_offline_secs: spec.return_after_offline_secs,
            round_robin_last: self.pointers[team].map(user),
        };
        let members: Vec<UserId> = spec.members.iter().copied().map(user).collect();
        let states: Vec<AgentState> = (0..self.agents.len())
            .map(|agent| AgentState {
                user_id: user(agent),
                availability: self.agents[agent].availability,
                availability_since: self.agents[agent].since,
                capacity: Some(self.agents[agent].capacity),
                open_conversations: self.open_of(agent),
            })
            .collect();
        let queue: Vec<ConversationId> =
            self.queue(team).into_iter().map(|i| ConversationId(i as i64 + 1)).collect();
        let plan = Roster::new(&settings, &members, &states).plan(&queue);
        let made: Vec<(usize, usize)> = plan
            .iter()
            .map(|(conversation, user)| (conversation.0 as usize - 1, user.0 as usize - 1))
            .collect();
        for &(conversation, agent) in &made {
            self.conversations[conversation].assignee = Some(agent);
            self.pointers[team] = Some(agent);
        }
        made
    }

    fn return_offline(&mut self, now: DateTime<Utc>) -> Vec<(usize, usize)> {
        let mut made = Vec::new();
        for team in 0..self.scenario.teams.len() {
            let Some(after) = self.scenario.teams[team].return_after_offline_secs else { continue };
            let mut returned = 0;
            for &agent in &self.scenario.teams[team].members {
                let state = &self.agents[agent];
                if state.availability != Availability::Offline
                    || (now - state.since).num_seconds() < after
                {
                    continue;
                }
                for c in self.conversations.iter_mut() {
                    if c.team == team && !c.resolved && c.assignee == Some(agent) {
                        c.assignee = None;
                        returned += 1;
                    }
                }
            }
            self.returned += returned;
            if returned > 0 {
                made.extend(self.drain(team));
            }
        }
        made
    }
}
