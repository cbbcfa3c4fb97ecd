//! The assigner: reads a team from the store, asks the [`Roster`] who takes what, and writes the
//! assignments.
//!
//! Every assignment goes through `assign_within_capacity`, which only succeeds while the
//! conversation is still unassigned and not resolved and the agent still has a free seat, checked
//! atomically in the store: a node that loses a race to another node (for the conversation or
//! for the seat) reads the team again and plans anew, and no agent is ever over capacity. On one
//! node, drains run one at a time, so they do not keep losing races to each other.

use super::policy::Roster;
use super::AssignError;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::Mutex;
use tracing::{debug, warn};
use trellis_core::{
    Actor, AssignmentMode, ConversationId, ConversationStatus, Store, TeamId, UserId,
};

/// Assignments made by one call: which conversation went to whom, in the order they were made.
pub type Assignments = Vec<(ConversationId, UserId)>;

/// How many conversations one queue read asks for at most.
const QUEUE_PAGE: u32 = 500;
/// How many times a drain reads the team again after losing a race before it leaves the rest
/// to the node that keeps winning.
const RACE_REPLANS: u32 = 5;

/// Auto-assignment over a store. Cheap to share: hold it in an `Arc`.
pub struct Assigner {
    pub(super) store: Arc<dyn Store>,
    /// Serializes drains, returns and reassignments on this node.
    pub(super) lock: Mutex<()>,
}

impl Assigner {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, lock: Mutex::new(()) }
    }

    /// A conversation got a team: assigns it now if someone has room. Older or more urgent
    /// conversations waiting in the same team go first, so this may assign others too (or only
    /// others); all are returned.
    pub async fn on_routed(
        &self,
        conversation: ConversationId,
        now: DateTime<Utc>,
    ) -> Result<Assignments, AssignError> {
        self.on_routed_as(conversation, Actor::System, now).await
    }

    /// [`Assigner::on_routed`] on behalf of `actor` (the rule that asked for auto-assignment):
    /// the routed conversation's assignment is attributed to it, the others to the system.
    pub async fn on_routed_as(
        &self,
        conversation: ConversationId,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<Assignments, AssignError> {
        let routed = self.store.get_conversation(conversation).await?;
        let Some(team) = routed.team_id else {
            return Ok(Vec::new());
        };
        if routed.assignee_id.is_some() || routed.status == ConversationStatus::Resolved {
            return Ok(Vec::new());
        }
        let _drain = self.lock.lock().await;
        self.drain_locked(team, Some((conversation, actor)), now).await
    }

    /// Assigns the team's waiting conversations, in queue order, while any online member has
    /// room. Call it when an agent of the team comes online or gets more capacity, or when a
    /// conversation of the team is resolved or unassigned.
    pub async fn drain_team(
        &self,
        team: TeamId,
        now: DateTime<Utc>,
    ) -> Result<Assignments, AssignError> {
        let _drain = self.lock.lock().await;
        self.drain_locked(team, None, now).await
    }

    /// An agent's availability, capacity or load changed (they came online, got capacity,
    /// resolved or gave up a conversation): drains every team they belong to, lowest team id
    /// first.
    pub async fn on_agent_changed(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Assignments, AssignError> {
        let teams = self.teams_of(user).await?;
        let _drain = self.lock.lock().await;
        let mut made = Vec::new();
        for team in teams {
            made.extend(self.drain_locked(team, None, now).await?);
        }
        Ok(made)
    }

    /// The teams `user` is a member of, by id.
    pub(super) async fn teams_of(&self, user: UserId) -> Result<Vec<TeamId>, AssignError> {
        let mut teams = Vec::new();
        for team in self.store.list_teams().await? {
            if self.store.team_members(team.id).await?.contains(&user) {
                teams.push(team.id);
            }
        }
        teams.sort();
        Ok(teams)
    }

    /// The team as the policy sees it, read fresh from the store.
    pub(super) async fn roster(&self, team: TeamId) -> Result<Roster, AssignError> {
        let settings = self.store.team_settings(team).await?;
        let members = self.store.team_members(team).await?;
        let states = self.store.agent_states(Some(team)).await?;
        Ok(Roster::new(&settings, &members, &states))
    }

    /// Moves the team's round-robin pointer to `user`. The settings are read again just before
    /// the write so an administrator's change made during the drain is kept.
    pub(super) async fn save_pointer(&self, team: TeamId, user: UserId) -> Result<(), AssignError> {
        let mut settings = self.store.team_settings(team).await?;
        if settings.round_robin_last != Some(user) {
            settings.round_robin_last = Some(user);
            self.store.update_team_settings(settings).await?;
        }
        Ok(())
    }

    /// The drain itself; the caller holds `self.lock`. `attributed` names a conversation whose
    /// assignment is credited to someone other than the system.
    pub(super) async fn drain_locked(
        &self,
        team: TeamId,
        attributed: Option<(ConversationId, Actor)>,
        now: DateTime<Utc>,
    ) -> Result<Assignments, AssignError> {
        let mut made = Vec::new();
        let mut replans = 0;
        loop {
            let mut roster = self.roster(team).await?;
            if roster.mode() == AssignmentMode::Manual {
                break;
            }
            let limit = roster.free_seats().min(QUEUE_PAGE);
            if limit == 0 {
                break;
            }
            let queue = self.store.assignment_queue(team, limit).await?;
            let ids: Vec<ConversationId> = queue.iter().map(|waiting| waiting.id).collect();
            let planned = roster.plan(&ids);
            let mut lost = 0;
            let mut won = Vec::new();
            for &(conversation, user) in &planned {
                let actor = match &attributed {
                    Some((id, actor)) if *id == conversation => actor.clone(),
                    _ => Actor::System,
                };
                let Some(capacity) = roster.capacity_of(user) else { continue };
                let assigned =
                    self.store.assign_within_capacity(conversation, user, capacity, actor).await?;
                match assigned {
                    Some(_) => won.push((conversation, user)),
                    None => {
                        debug!(%team, %conversation, %user, "conversation or seat taken elsewhere, planning again");
                        lost += 1;
                    }
                }
            }
            if let Some(&(_, user)) = won.last() {
                self.save_pointer(team, user).await?;
            }
            made.extend(won);
            if lost > 0 {
                replans += 1;
                if replans > RACE_REPLANS {
                    warn!(%team, replans, "drain kept losing races, leaving the rest to other nodes");
                    break;
                }
                continue;
            }
            let queue_exhausted = (ids.len() as u32) < limit;
            let room_used_up = planned.len() < ids.len();
            if queue_exhausted || room_used_up {
                break;
            }
        }
        if !made.is_empty() {
            debug!(%team, assigned = made.len(), at = %now, "assigned waiting conversations");
        }
        Ok(made)
    }
}
