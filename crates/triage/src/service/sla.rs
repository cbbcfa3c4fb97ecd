//! Recomputing one conversation's SLA from its history and storing it, recording each new warning
//! or breach on the timeline once and escalating it.
//!
//! Order of writes: the new clocks are stored first, then the timeline and escalation follow. A
//! crash between the two loses that one escalation rather than repeating it (a priority raised
//! twice, supervisors notified twice). A stop is not a crash: once begun, a recomputation runs
//! to its end on its own task even when the task that asked for it is stopped (a leader stepping
//! down, a shutdown), so a breach is never recorded without its escalation.

use super::{TriageError, TriageService};
use crate::sla::{evaluate, ClockState};
use crate::stored::{conversation_sla, metric_name, sla_history, transitions, ClockTransition};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashSet;
use trellis_core::{Actor, ConversationId, ConversationSla, NewTimelineEvent, StoreError};

/// Timeline kinds of clock transitions.
pub const SLA_WARNING: &str = "sla_warning";
pub const SLA_BREACHED: &str = "sla_breached";

/// Conversations read per `due_sla` page.
const DUE_PAGE: u32 = 100;

/// What a recomputation found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaRefresh {
    /// The record as stored after the recomputation; `None` when no policy times the
    /// conversation.
    pub sla: Option<ConversationSla>,
    /// Warnings and breaches new since the previous record.
    pub transitions: Vec<ClockTransition>,
}

impl TriageService {
    /// Recomputes a conversation's clocks at `now` under its policy (the one last applied, else the
    /// default), stores them if they changed, and records and escalates new warnings and breaches.
    /// Runs to its end even if the caller is dropped half-way.
    pub async fn refresh_sla(
        &self,
        id: ConversationId,
        now: DateTime<Utc>,
    ) -> Result<SlaRefresh, TriageError> {
        let service = self.clone();
        let refresh = tokio::spawn(async move { service.refresh_sla_to_the_end(id, now).await });
        match refresh.await {
            Ok(refreshed) => refreshed,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => Err(TriageError::Task(error.to_string())),
        }
    }

    async fn refresh_sla_to_the_end(
        &self,
        id: ConversationId,
        now: DateTime<Utc>,
    ) -> Result<SlaRefresh, TriageError> {
        // A timer that starts before the follower must not judge clocks with no policy loaded.
        self.ensure_loaded().await?;
        let store = self.store();
        let catalog = self.catalog();
        let guard = self.inner.sla_lock.lock().await;
        let conversation = match store.get_conversation(id).await {
            Ok(conversation) => conversation,
            Err(StoreError::NotFound { .. }) => return Ok(SlaRefresh::default()),
            Err(error) => return Err(error.into()),
        };
        let messages = store.conversation_messages(id).await?;
        let timeline = store.conversation_timeline(id).await?;
        let previous = store.conversation_sla(id).await?;
        let Some(history) =
            sla_history(&conversation, &messages, &timeline, &catalog.policies, now)
        else {
            // No policy at all: whatever was stored no longer holds, and nothing comes due.
            if let Some(previous) = previous.filter(|p| p.next_transition_at.is_some()) {
                let cleared =
                    ConversationSla { next_transition_at: None, computed_at: now, ..previous };
                store.put_conversation_sla(cleared).await?;
            }
            return Ok(SlaRefresh::default());
        };
        let report =
            evaluate(&history.initial_policy, history.initial_priority, &history.events, now);
        let record = conversation_sla(id, Some(history.policy_id), &report, history.wake_at, now);
        let found = transitions(previous.as_ref(), &report);
        if previous.as_ref().is_none_or(|previous| !same_clocks(previous, &record)) {
            store.put_conversation_sla(record.clone()).await?;
            self.wake_timer(&record, now);
        }
        if !found.is_empty() {
            let events = found
                .iter()
                .map(|transition| NewTimelineEvent {
                    conversation_id: id,
                    at: now,
                    actor: Actor::System,
                    kind: transition_kind(transition).to_owned(),
                    detail: json!({
                        "metric": metric_name(transition.metric),
                        "due_at": transition.due_at,
                        "policy_id": history.policy_id,
                    }),
                })
                .collect();
            store.record_timeline(events).await?;
        }
        drop(guard);
        if let Some(policy) = catalog.policies.get(&history.policy_id) {
            for transition in &found {
                self.escalate(&conversation, policy, transition, now).await;
            }
        }
        Ok(SlaRefresh { sla: Some(record), transitions: found })
    }

    /// Handles every conversation whose next SLA transition is due at `now`; returns how many.
    pub async fn handle_due_sla(&self, now: DateTime<Utc>) -> Result<usize, TriageError> {
        let mut handled: HashSet<ConversationId> = HashSet::new();
        loop {
            let due = self.store().due_sla(now, DUE_PAGE).await?;
            let fresh: Vec<_> =
                due.iter().map(|(id, _)| *id).filter(|id| !handled.contains(id)).collect();
            // A record that stays due after its recomputation (a conversation gone from under
            // it) is not retried in this pass: the next wake-up or sweep gets it.
            if fresh.is_empty() {
                return Ok(handled.len());
            }
            for id in fresh {
                if let Err(error) = self.refresh_sla(id, now).await {
                    tracing::error!(conversation_id = %id, %error, "sla recomputation failed");
                }
                handled.insert(id);
            }
            if due.len() < DUE_PAGE as usize {
                return Ok(handled.len());
            }
        }
    }

    /// Wakes the timer when this record comes due before anything it may be sleeping towards.
    fn wake_timer(&self, record: &ConversationSla, now: DateTime<Utc>) {
        if record.next_transition_at.is_some_and(|at| at >= now) {
            self.inner.timer_wake.notify_one();
        }
    }
}

fn transition_kind(transition: &ClockTransition) -> &'static str {
    match transition.to {
        ClockState::Breached => SLA_BREACHED,
        _ => SLA_WARNING,
    }
}

/// Whether two records say the same, ignoring when they were computed.
fn same_clocks(a: &ConversationSla, b: &ConversationSla) -> bool {
    a.policy_id == b.policy_id
        && a.clocks == b.clocks
        && a.next_transition_at == b.next_transition_at
}
