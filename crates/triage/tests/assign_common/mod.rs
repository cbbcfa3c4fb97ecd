//! The assignment simulation's scenario and invariants, shared by the run on the pure policy and
//! the run through the real `Assigner` on a store.
//!
//! A scenario is a seeded script of steps in simulated time: conversations arriving in a team,
//! agents resolving one of their conversations, agents changing availability, and the periodic
//! return of conversations held by agents offline too long. Steps that pick "one of the assigned
//! conversations" pick by position among the open assigned ones in arrival order, so both runs
//! can follow one script against their own state.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod model;
pub mod stored;

use chrono::{DateTime, Duration, Utc};
use trellis_core::{AssignmentMode, Availability, Priority};

/// SplitMix64: small, seeded, and the same on every platform and crate version.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn percent(&mut self, chance: u64) -> bool {
        self.below(100) < chance
    }
}

pub struct TeamSpec {
    pub mode: AssignmentMode,
    pub return_after_offline_secs: Option<i64>,
    /// Agent indexes, ascending.
    pub members: Vec<usize>,
}

pub struct AgentSpec {
    pub capacity: u32,
    pub initial: Availability,
}

#[derive(Debug, Clone, Copy)]
pub enum Event {
    Arrive {
        team: usize,
        priority: Priority,
    },
    /// The agent holding the `pick % n`-th open assigned conversation (arrival order) resolves it.
    Resolve {
        pick: u64,
    },
    Availability {
        agent: usize,
        availability: Availability,
    },
    /// The scheduler's periodic return of conversations held by agents offline too long.
    ReturnOffline,
}

pub struct Step {
    pub at: DateTime<Utc>,
    pub event: Event,
}

pub struct Scenario {
    pub start: DateTime<Utc>,
    pub teams: Vec<TeamSpec>,
    pub agents: Vec<AgentSpec>,
    pub steps: Vec<Step>,
}

/// Agents in the simulation; capacities are drawn from 3..=15.
pub const AGENTS: usize = 10;
/// How long team 0 lets an agent stay offline before their conversations go back to its queue.
pub const RETURN_AFTER_OFFLINE_SECS: i64 = 1_800;

/// Modes by team index: balanced, round robin, balanced.
fn mode_of(team: usize) -> AssignmentMode {
    if team % 2 == 0 {
        AssignmentMode::Balanced
    } else {
        AssignmentMode::RoundRobin
    }
}

/// A seeded scenario with `team_count` teams (1..=3) and `arrivals` conversations.
pub fn scenario(seed: u64, team_count: usize, arrivals: usize) -> Scenario {
    let mut rng = Rng::new(seed);
    let agents: Vec<AgentSpec> = (0..AGENTS)
        .map(|_| AgentSpec {
            capacity: 3 + rng.below(13) as u32,
            initial: if rng.percent(70) { Availability::Online } else { Availability::Offline },
        })
        .collect();
    // Everyone is in one team by index; some are in a second one too.
    let mut teams: Vec<TeamSpec> = (0..team_count)
        .map(|team| TeamSpec {
            mode: mode_of(team),
            return_after_offline_secs: (team == 0).then_some(RETURN_AFTER_OFFLINE_SECS),
            members: Vec::new(),
        })
        .collect();
    for agent in 0..AGENTS {
        teams[agent % team_count].members.push(agent);
        let other = rng.below(team_count as u64) as usize;
        if team_count > 1 && rng.percent(30) && !teams[other].members.contains(&agent) {
            teams[other].members.push(agent);
        }
    }
    for team in &mut teams {
        team.members.sort_unstable();
    }

    let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let mut at = start;
    let mut steps = Vec::new();
    let mut arrived = 0;
    while arrived < arrivals {
        at += Duration::seconds(1 + rng.below(90) as i64);
        let roll = rng.below(100);
        let event = if roll < 45 {
            arrived += 1;
            let team = rng.below(team_count as u64) as usize;
            let priority = Priority::ALL[rng.below(Priority::ALL.len() as u64) as usize];
            Event::Arrive { team, priority }
        } else if roll < 82 {
            Event::Resolve { pick: rng.next() }
        } else if roll < 97 {
            let agent = rng.below(AGENTS as u64) as usize;
            let availability = match rng.below(10) {
                0..=4 => Availability::Online,
                5..=6 => Availability::Away,
                _ => Availability::Offline,
            };
            Event::Availability { agent, availability }
        } else {
            Event::ReturnOffline
        };
        steps.push(Step { at, event });
    }
    Scenario { start, teams, agents, steps }
}

/// An agent as a run observes them after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView {
    pub availability: Availability,
    pub capacity: u32,
    pub open: u32,
}

/// What a run observes after a step: every agent, and whether each team has anyone waiting.
pub struct Observed {
    pub agents: Vec<AgentView>,
    pub waiting: Vec<bool>,
}

/// The invariants, checked after every step. `receivers` are the step's assignments as
/// `(team, agent)`.
///
/// "Even" for balanced teams: an agent who received a conversation in this step holds at most one
/// more open conversation than any online member of that team who still has room. (Loads can
/// drift apart as agents resolve at different speeds or come back from offline; balanced mode
/// never takes conversations away, so what it promises is that each assignment goes to a least
/// loaded member, which this checks after the fact.)
pub fn check(scenario: &Scenario, step: usize, seen: &Observed, receivers: &[(usize, usize)]) {
    for (agent, view) in seen.agents.iter().enumerate() {
        assert!(view.open <= view.capacity, "step {step}: agent {agent} above capacity: {view:?}");
    }
    for (team, spec) in scenario.teams.iter().enumerate() {
        let with_room: Vec<usize> =
            spec.members.iter().copied().filter(|&agent| has_room(&seen.agents[agent])).collect();
        assert!(
            !seen.waiting[team] || with_room.is_empty(),
            "step {step}: team {team} has conversations waiting while {with_room:?} have room"
        );
    }
    for &(team, agent) in receivers {
        let spec = &scenario.teams[team];
        assert!(spec.members.contains(&agent), "step {step}: agent {agent} is not in team {team}");
        let view = &seen.agents[agent];
        assert_eq!(view.availability, Availability::Online, "step {step}: agent {agent}");
        if spec.mode != AssignmentMode::Balanced {
            continue;
        }
        for &other in &spec.members {
            let other_view = &seen.agents[other];
            assert!(
                !has_room(other_view) || view.open <= other_view.open + 1,
                "step {step}: team {team} gave agent {agent} ({} open) a conversation while \
                 agent {other} had {} and room",
                view.open,
                other_view.open
            );
        }
    }
}

fn has_room(view: &AgentView) -> bool {
    view.availability == Availability::Online && view.open < view.capacity
}
