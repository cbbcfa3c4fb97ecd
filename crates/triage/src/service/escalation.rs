//! Escalation: what a policy does when a clock the customer is still waiting on turns to warning
//! or breaches. Each action is attempted on its own and recorded on the timeline as `escalated`;
//! a failing one is logged and does not stop the others.

use super::{TriageError, TriageService};
use crate::sla::ClockState;
use crate::stored::{metric_name, ClockTransition, EscalationAction, StoredPolicy};
use chrono::{DateTime, Utc};
use serde_json::json;
use trellis_core::{
    Actor, Conversation, ConversationPatch, NewNotification, NewTimelineEvent, Priority, Role,
};

/// Timeline kind of an escalation action taken.
pub const ESCALATED: &str = "escalated";

impl TriageService {
    /// Runs the policy's escalation for one transition. Clocks already stopped (answered or
    /// resolved late) are recorded as breached but not escalated: nobody is waiting any more.
    pub(crate) async fn escalate(
        &self,
        conversation: &Conversation,
        policy: &StoredPolicy,
        transition: &ClockTransition,
        now: DateTime<Utc>,
    ) {
        if !transition.waiting {
            return;
        }
        let (actions, on) = match transition.to {
            ClockState::Breached => (&policy.escalation.on_breach, "breach"),
            _ => (&policy.escalation.on_warning, "warning"),
        };
        for action in actions {
            let outcome = self.escalation_action(conversation, *action, transition, now).await;
            let action_name = action_name(*action);
            match outcome {
                Ok(detail) => {
                    let event = NewTimelineEvent {
                        conversation_id: conversation.id,
                        at: now,
                        actor: Actor::System,
                        kind: ESCALATED.to_owned(),
                        detail: json!({
                            "action": action_name,
                            "on": on,
                            "metric": metric_name(transition.metric),
                            "result": detail,
                        }),
                    };
                    if let Err(error) = self.store().record_timeline(vec![event]).await {
                        tracing::error!(conversation_id = %conversation.id, %error, "cannot record escalation");
                    }
                }
                Err(error) => tracing::error!(
                    conversation_id = %conversation.id,
                    action = action_name,
                    on,
                    %error,
                    "escalation failed"
                ),
            }
        }
    }

    async fn escalation_action(
        &self,
        conversation: &Conversation,
        action: EscalationAction,
        transition: &ClockTransition,
        now: DateTime<Utc>,
    ) -> Result<serde_json::Value, TriageError> {
        let store = self.store();
        match action {
            EscalationAction::NotifySupervisors => {
                let (kind, verb) = match transition.to {
                    ClockState::Breached => ("sla_breached", "breached"),
                    _ => ("sla_warning", "is close to its target"),
                };
                let text = format!(
                    "the {} target of conversation {} {verb} (due {})",
                    metric_name(transition.metric).replace('_', " "),
                    conversation.id,
                    transition.due_at.map_or_else(|| "now".to_owned(), |due| due.to_rfc3339()),
                );
                let mut notified = Vec::new();
                for user in store.list_users().await? {
                    if user.role != Role::Supervisor {
                        continue;
                    }
                    store
                        .notify(NewNotification {
                            user_id: user.id,
                            conversation_id: Some(conversation.id),
                            kind: kind.to_owned(),
                            text: text.clone(),
                            at: now,
                        })
                        .await?;
                    notified.push(user.id);
                }
                Ok(json!({ "notified": notified }))
            }
            EscalationAction::RaisePriority => {
                // Read again: an earlier action of this escalation may have changed it.
                let current = store.get_conversation(conversation.id).await?.priority;
                let raised = raise(current);
                if raised != current {
                    let patch = ConversationPatch { priority: Some(raised), ..Default::default() };
                    store.patch_conversation(conversation.id, patch, Actor::System).await?;
                }
                Ok(json!({ "from": current, "to": raised }))
            }
            EscalationAction::Reassign => {
                let made = self.assigner().reassign(conversation.id, Actor::System, now).await?;
                let to: Vec<_> = made.iter().map(|(_, user)| *user).collect();
                Ok(json!({ "from": conversation.assignee_id, "to": to }))
            }
        }
    }
}

/// One step more urgent; `urgent` stays.
pub(crate) fn raise(priority: Priority) -> Priority {
    match priority {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

fn action_name(action: EscalationAction) -> &'static str {
    match action {
        EscalationAction::NotifySupervisors => "notify_supervisors",
        EscalationAction::RaisePriority => "raise_priority",
        EscalationAction::Reassign => "reassign",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_priority_goes_one_step_and_stops_at_urgent() {
        assert_eq!(raise(Priority::Low), Priority::Normal);
        assert_eq!(raise(Priority::Normal), Priority::High);
        assert_eq!(raise(Priority::High), Priority::Urgent);
        assert_eq!(raise(Priority::Urgent), Priority::Urgent);
    }
}
