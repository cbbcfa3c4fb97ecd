//! Taking conversations back: from agents offline too long (to the queue) and from an agent an
//! SLA escalation passes over (to someone else in the team).

use super::assigner::{Assigner, Assignments};
use super::AssignError;
use chrono::{DateTime, Utc};
use serde_json::json;
use tracing::{debug, info};
use trellis_core::{
    Actor, Availability, ConversationId, ConversationStatus, NewTimelineEvent, TeamId, UserId,
};

/// The timeline event written when a conversation goes back to its team's queue.
pub const RETURNED_TO_QUEUE: &str = "returned_to_queue";

impl Assigner {
    /// For each team with `return_after_offline_secs`, returns to the queue the conversations
    /// of that team held by members offline at least that long (`offline` only: `away` keeps
    /// them), each with a `returned_to_queue` timeline event, then drains the team so online
    /// members pick them up at once. Unresolved conversations of every status go back; pending
    /// and snoozed ones join the queue when they open again.
    pub async fn return_offline(&self, now: DateTime<Utc>) -> Result<Assignments, AssignError> {
        let _drain = self.lock.lock().await;
        let mut made = Vec::new();
        for team in self.store.list_teams().await? {
            let returned = self.return_offline_of(team.id, now).await?;
            if returned > 0 {
                info!(team = %team.id, returned, "returned conversations of offline agents to the queue");
                made.extend(self.drain_locked(team.id, None, now).await?);
            }
        }
        Ok(made)
    }

    /// Gives the team's conversations of long-offline members back; how many went back.
    async fn return_offline_of(
        &self,
        team: TeamId,
        now: DateTime<Utc>,
    ) -> Result<u32, AssignError> {
        let settings = self.store.team_settings(team).await?;
        let Some(after_secs) = settings.return_after_offline_secs else {
            return Ok(0);
        };
        let members = self.store.team_members(team).await?;
        let mut returned = 0;
        for agent in self.store.agent_states(Some(team)).await? {
            let offline_for = (now - agent.availability_since).num_seconds();
            if !members.contains(&agent.user_id)
                || agent.availability != Availability::Offline
                || offline_for < after_secs
            {
                continue;
            }
            for held in self.store.open_assigned(agent.user_id).await? {
                if held.team_id != Some(team) {
                    continue;
                }
                let reason = json!({
                    "from": agent.user_id,
                    "reason": "agent_offline",
                    "offline_since": agent.availability_since,
                    "return_after_offline_secs": after_secs,
                });
                if self.give_back(held.id, agent.user_id, Actor::System, reason, now).await? {
                    returned += 1;
                }
            }
        }
        Ok(returned)
    }

    /// An SLA escalation: takes the conversation from its assignee and gives it to someone else
    /// in its team with room, chosen by the team's mode (by balance when the team assigns
    /// manually). When nobody else has room it stays with an assignee who is online, and goes
    /// back to the front of the queue otherwise. An unassigned conversation is simply assigned.
    /// Returns the new assignment, if one was made.
    pub async fn reassign(
        &self,
        conversation: ConversationId,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<Assignments, AssignError> {
        let _drain = self.lock.lock().await;
        let current = self.store.get_conversation(conversation).await?;
        if current.status == ConversationStatus::Resolved {
            return Ok(Vec::new());
        }
        let Some(team) = current.team_id else {
            debug!(%conversation, "no team to reassign within");
            return Ok(Vec::new());
        };
        let roster = self.roster(team).await?;
        let previous = current.assignee_id;
        let next = roster.choose_escalated(previous);
        let made = match (previous, next) {
            (None, None) => Vec::new(),
            (None, Some(next)) => self
                .store
                .assign_within_capacity(
                    conversation,
                    next,
                    roster.capacity_of(next).unwrap_or_default(),
                    actor,
                )
                .await?
                .map(|_| vec![(conversation, next)])
                .unwrap_or_default(),
            (Some(previous), Some(next)) => {
                // Two conditional writes: released only if `previous` still holds it, given only
                // while `next` still has a seat. Between them it waits in the queue like any other.
                if self
                    .store
                    .unassign_if_held(conversation, previous, actor.clone())
                    .await?
                    .is_none()
                {
                    debug!(%conversation, "moved elsewhere meanwhile, nothing to reassign");
                    return Ok(Vec::new());
                }
                let capacity = roster.capacity_of(next).unwrap_or_default();
                match self.store.assign_within_capacity(conversation, next, capacity, actor).await?
                {
                    Some(_) => vec![(conversation, next)],
                    None => self.drain_locked(team, None, now).await?,
                }
            }
            (Some(previous), None) if roster.is_online(previous) => Vec::new(),
            (Some(previous), None) => {
                let reason = json!({ "from": previous, "reason": "escalation_no_agent_with_room" });
                self.give_back(conversation, previous, actor, reason, now).await?;
                Vec::new()
            }
        };
        if let Some(&(_, next)) = made.first() {
            self.save_pointer(team, next).await?;
            info!(%conversation, %team, from = ?previous, to = %next, "reassigned on escalation");
        }
        Ok(made)
    }

    /// Unassigns `conversation` if `from` still holds it, recording why; whether it did.
    pub(super) async fn give_back(
        &self,
        conversation: ConversationId,
        from: UserId,
        actor: Actor,
        detail: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<bool, AssignError> {
        // Another node may have moved it since it was listed: only take it from `from`.
        if self.store.unassign_if_held(conversation, from, actor.clone()).await?.is_none() {
            return Ok(false);
        }
        let event = NewTimelineEvent {
            conversation_id: conversation,
            at: now,
            actor,
            kind: RETURNED_TO_QUEUE.to_owned(),
            detail,
        };
        self.store.record_timeline(vec![event]).await?;
        Ok(true)
    }
}
