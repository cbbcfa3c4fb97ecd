//! Following the change feed from `follower_position("triage")`.
//!
//! Per batch, in feed order: a new inbound message runs the rules (reloaded first when a
//! `rule_updated` or `policy_updated` change came before it); new messages, conversation changes
//! and policy edits mark conversations whose SLA is recomputed once at the end of the batch; a
//! conversation left open and unassigned in a team goes to the assigner, a resolved one frees its
//! agent's room. The position is saved only after the whole batch is applied.

use super::freed::Freed;
use super::{TriageError, TriageService, FOLLOWER_NAME};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use trellis_core::{
    Change, ChangeKind, ConversationId, ConversationStatus, MessageId, Seq, StoreError, TeamId,
    UserId,
};

/// Changes read per batch.
const BATCH: u32 = 500;
/// How often the follower looks at the feed: other nodes and processes write to it too.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Open-clock conversations recomputed after a policy edit.
const POLICY_EDIT_RECOMPUTE_LIMIT: u32 = 10_000;

impl TriageService {
    /// Applies every change after the saved position, a batch at a time; returns the new position.
    pub async fn catch_up(&self) -> Result<Seq, TriageError> {
        let store = self.store().clone();
        let mut position = store.follower_position(FOLLOWER_NAME).await?;
        self.ensure_loaded().await?;
        loop {
            let changes = store.changes_since(position, BATCH).await?;
            let Some(last) = changes.last().map(|change| change.seq) else { return Ok(position) };
            self.apply_batch(&changes, Utc::now()).await?;
            store.save_follower_position(FOLLOWER_NAME, last).await?;
            tracing::debug!(through = last.0, changes = changes.len(), "triage applied changes");
            position = last;
        }
    }

    async fn apply_batch(&self, changes: &[Change], now: DateTime<Utc>) -> Result<(), TriageError> {
        let store = self.store().clone();
        let mut stale = false;
        let mut sla: BTreeSet<ConversationId> = BTreeSet::new();
        // Each changed conversation with the time of its first change in the batch.
        let mut updated: BTreeMap<ConversationId, DateTime<Utc>> = BTreeMap::new();
        let mut freed = Freed::default();
        for change in changes {
            match change.kind {
                ChangeKind::MessageCreated => {
                    if stale {
                        self.reload().await?;
                        stale = false;
                    }
                    let message = match store.get_message(MessageId(change.entity_id)).await {
                        Ok(message) => message,
                        Err(StoreError::NotFound { .. }) => continue,
                        Err(error) => return Err(error.into()),
                    };
                    self.apply_rules(&message, now).await?;
                    sla.insert(message.conversation_id);
                }
                ChangeKind::ConversationUpdated => {
                    let id = change.conversation_id.unwrap_or(ConversationId(change.entity_id));
                    sla.insert(id);
                    updated.entry(id).or_insert(change.at);
                }
                ChangeKind::AgentUpdated => {
                    freed.agents.insert(UserId(change.entity_id));
                }
                ChangeKind::TeamUpdated => {
                    freed.teams.insert(TeamId(change.entity_id));
                }
                ChangeKind::RuleUpdated => stale = true,
                ChangeKind::PolicyUpdated => {
                    stale = true;
                    // Conversations with clocks still counting are re-read under the edit;
                    // paused ones are when they resume.
                    let counting =
                        store.due_sla(DateTime::<Utc>::MAX_UTC, POLICY_EDIT_RECOMPUTE_LIMIT);
                    sla.extend(counting.await?.into_iter().map(|(id, _)| id));
                }
                ChangeKind::MessageUpdated
                | ChangeKind::ConversationCreated
                | ChangeKind::ContactUpdated
                | ChangeKind::PresenceUpdated
                | ChangeKind::AccountUpdated
                | ChangeKind::BrandUpdated
                | ChangeKind::UserUpdated
                | ChangeKind::OutboxUpdated
                | ChangeKind::SlaUpdated
                | ChangeKind::NotificationCreated => {}
            }
        }
        if stale {
            self.reload().await?;
        }
        for id in sla {
            self.refresh_sla(id, now).await?;
        }
        for (id, since) in updated {
            self.hand_to_assigner(id, since, &mut freed, now).await?;
        }
        for user in &freed.agents {
            self.assigner().on_agent_changed(*user, now).await?;
        }
        for team in &freed.teams {
            self.assigner().drain_team(*team, now).await?;
        }
        Ok(())
    }

    /// An open, unassigned conversation of a team is offered to the team; what its changes
    /// since `since` freed (an agent's seat, a team it left) is added to `freed`.
    async fn hand_to_assigner(
        &self,
        id: ConversationId,
        since: DateTime<Utc>,
        freed: &mut Freed,
        now: DateTime<Utc>,
    ) -> Result<(), TriageError> {
        let conversation = match self.store().get_conversation(id).await {
            Ok(conversation) => conversation,
            Err(StoreError::NotFound { .. }) => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        let open = conversation.status == ConversationStatus::Open;
        if open && conversation.assignee_id.is_none() && conversation.team_id.is_some() {
            self.assigner().on_routed(id, now).await?;
        }
        let timeline = self.store().conversation_timeline(id).await?;
        freed.read(conversation.assignee_id, &timeline, since);
        Ok(())
    }
}

/// The follower task: catches up, then waits for the poll interval, until `cancel`. Failures are
/// logged and retried with exponential backoff; the task ends only on cancellation.
pub async fn run(service: TriageService, cancel: CancellationToken) {
    tracing::info!("triage follower started");
    let mut backoff = Duration::from_millis(250);
    loop {
        // Dropping a half-applied batch is safe: its position is not saved, so it is replayed.
        let caught_up = tokio::select! {
            () = cancel.cancelled() => break,
            caught_up = service.catch_up() => caught_up,
        };
        let wait = match caught_up {
            Ok(_) => {
                backoff = Duration::from_millis(250);
                POLL_INTERVAL
            }
            Err(error) => {
                let retry_in = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                tracing::warn!(%error, retry_in_ms = retry_in.as_millis() as u64, "triage follower failed, retrying");
                retry_in
            }
        };
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
    }
}
