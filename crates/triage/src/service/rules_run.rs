//! Running the rules on one inbound message and applying what they decide, rule by rule, each
//! write attributed to the rule that made it.
//!
//! Replaying a message (after a crash before the feed position was saved) changes nothing twice:
//! field changes that are already in place write nothing, a canned reply is queued under the
//! idempotency key `rule:{rule_id}:message:{message_id}`, and the timeline gets a moderation flag
//! or a policy change only when it does not already show it.

use super::facts::{message_facts, reply_action};
use super::{TriageError, TriageService};
use crate::rules::{Action, AppliedAction, EvalContext, Evaluation, RuleId};
use crate::stored::{applied_policy, SLA_POLICY_APPLIED};
use chrono::{DateTime, Utc};
use serde_json::json;
use trellis_core::{
    Actor, Contact, Conversation, ConversationId, Direction, Message, MessageId, NewOutboxItem,
    NewTimelineEvent, RuleRecordId, SlaPolicyId, StoreError, TimelineEvent,
};

/// Timeline kind of a rule's moderation flag.
pub const FLAGGED_FOR_MODERATION: &str = "flagged_for_moderation";

/// What to run the rules on, on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleTarget {
    Message(MessageId),
    /// The conversation's latest inbound message.
    Conversation(ConversationId),
}

impl TriageService {
    /// Runs the current rules on a message (or a conversation's latest inbound message) now and
    /// applies them, then recomputes the conversation's SLA. Outbound messages trigger nothing.
    pub async fn run_rules_on(&self, target: RuleTarget) -> Result<Evaluation, TriageError> {
        let store = self.store();
        let message = match target {
            RuleTarget::Message(id) => store.get_message(id).await?,
            RuleTarget::Conversation(id) => store
                .conversation_messages(id)
                .await?
                .into_iter()
                .rev()
                .find(|message| message.direction == Direction::Inbound)
                .ok_or_else(|| StoreError::not_found("inbound message of conversation", id))?,
        };
        let now = Utc::now();
        let evaluation = self.apply_rules(&message, now).await?;
        self.refresh_sla(message.conversation_id, now).await?;
        Ok(evaluation)
    }

    /// Evaluates the rules on one message and applies the result.
    pub(crate) async fn apply_rules(
        &self,
        message: &Message,
        now: DateTime<Utc>,
    ) -> Result<Evaluation, TriageError> {
        if message.direction != Direction::Inbound {
            return Ok(Evaluation::default());
        }
        self.ensure_loaded().await?;
        let catalog = self.catalog();
        let Some(rules) = catalog.rules.as_ref() else { return Ok(Evaluation::default()) };
        let store = self.store();
        let conversation = store.get_conversation(message.conversation_id).await?;
        let contact = match store.get_contact(message.contact_id).await {
            Ok(contact) => Some(contact),
            Err(StoreError::NotFound { .. }) => None,
            Err(error) => return Err(error.into()),
        };
        let facts = message_facts(message, contact.as_ref(), &conversation);
        let context = EvalContext { calendars: &catalog.calendars, now };
        let evaluation = rules.evaluate(&facts, &context);
        if evaluation.actions.is_empty() {
            return Ok(evaluation);
        }
        let mut run = Run { service: self, message, contact, timeline: None, now };
        for applied in by_rule(&evaluation.actions) {
            run.apply(&conversation, applied).await?;
        }
        tracing::debug!(
            message_id = %message.id,
            conversation_id = %message.conversation_id,
            matched = evaluation.matched.len(),
            "rules applied"
        );
        Ok(evaluation)
    }
}

/// Splits the actions into runs of one rule each, in order.
fn by_rule(actions: &[AppliedAction]) -> Vec<&[AppliedAction]> {
    actions.chunk_by(|a, b| a.rule_id == b.rule_id).collect()
}

struct Run<'a> {
    service: &'a TriageService,
    message: &'a Message,
    contact: Option<Contact>,
    /// The conversation's timeline, read once if an action needs it.
    timeline: Option<Vec<TimelineEvent>>,
    now: DateTime<Utc>,
}

impl Run<'_> {
    /// Applies one rule's actions as that rule.
    async fn apply(
        &mut self,
        conversation: &Conversation,
        actions: &[AppliedAction],
    ) -> Result<(), TriageError> {
        let Some(first) = actions.first() else { return Ok(()) };
        let rule_id = first.rule_id;
        let actor = Actor::Rule { id: RuleRecordId(rule_id.0), name: first.rule_name.to_string() };
        let store = self.service.store().clone();
        let patch = Evaluation { actions: actions.to_vec(), ..Evaluation::default() }.patch();
        if !patch.is_empty() {
            let routed = patch.team_id.flatten().is_some();
            let after = store.patch_conversation(conversation.id, patch, actor.clone()).await?;
            if routed && after.assignee_id.is_none() {
                self.service.assigner().on_routed_as(after.id, actor.clone(), self.now).await?;
            }
        }
        for applied in actions {
            match &applied.action {
                Action::ApplySlaPolicy { policy_id } => {
                    self.apply_policy(conversation.id, SlaPolicyId(*policy_id), &actor).await?
                }
                Action::FlagForModeration { reason } => {
                    self.flag(conversation.id, reason, &actor).await?
                }
                Action::SendCannedReply { canned_reply_id } => {
                    self.send_canned(conversation.id, rule_id, *canned_reply_id, actor.clone())
                        .await?
                }
                _ => {}
            }
        }
        Ok(())
    }

    async fn timeline(&mut self, id: ConversationId) -> Result<&[TimelineEvent], StoreError> {
        if self.timeline.is_none() {
            self.timeline = Some(self.service.store().conversation_timeline(id).await?);
        }
        Ok(self.timeline.as_deref().unwrap_or_default())
    }

    async fn record(&mut self, event: NewTimelineEvent) -> Result<(), StoreError> {
        self.service.store().record_timeline(vec![event.clone()]).await?;
        if let Some(timeline) = self.timeline.as_mut() {
            timeline.push(TimelineEvent { id: 0, event });
        }
        Ok(())
    }

    async fn apply_policy(
        &mut self,
        conversation: ConversationId,
        policy_id: SlaPolicyId,
        actor: &Actor,
    ) -> Result<(), TriageError> {
        let catalog = self.service.catalog();
        let Some(policy) = catalog.policies.get(&policy_id) else {
            tracing::warn!(%policy_id, conversation_id = %conversation, "rule names an unknown sla policy");
            return Ok(());
        };
        let current = self.timeline(conversation).await?.iter().rev().find_map(applied_policy);
        let in_force = current.or_else(|| catalog.default_policy().map(|p| p.id));
        if in_force == Some(policy_id) {
            return Ok(());
        }
        self.record(NewTimelineEvent {
            conversation_id: conversation,
            at: self.now,
            actor: actor.clone(),
            kind: SLA_POLICY_APPLIED.to_owned(),
            detail: json!({ "policy_id": policy_id, "name": policy.name }),
        })
        .await?;
        Ok(())
    }

    async fn flag(
        &mut self,
        conversation: ConversationId,
        reason: &str,
        actor: &Actor,
    ) -> Result<(), TriageError> {
        let message_id = self.message.id;
        let already = self.timeline(conversation).await?.iter().any(|entry| {
            entry.event.kind == FLAGGED_FOR_MODERATION
                && entry.event.detail["message_id"] == json!(message_id)
                && entry.event.detail["reason"] == json!(reason)
        });
        if already {
            return Ok(());
        }
        self.record(NewTimelineEvent {
            conversation_id: conversation,
            at: self.now,
            actor: actor.clone(),
            kind: FLAGGED_FOR_MODERATION.to_owned(),
            detail: json!({ "message_id": message_id, "reason": reason }),
        })
        .await?;
        Ok(())
    }

    async fn send_canned(
        &mut self,
        conversation: ConversationId,
        rule_id: RuleId,
        canned_reply_id: i64,
        actor: Actor,
    ) -> Result<(), TriageError> {
        let store = self.service.store();
        let replies = store.list_canned_replies().await?;
        let Some(reply) = replies.iter().find(|reply| reply.id.0 == canned_reply_id) else {
            tracing::warn!(%rule_id, canned_reply_id, "rule names an unknown canned reply");
            return Ok(());
        };
        let Some(author) = self.contact.as_ref() else {
            tracing::warn!(%rule_id, message_id = %self.message.id, "no author to reply to");
            return Ok(());
        };
        let item = NewOutboxItem {
            account_id: self.message.account_id,
            conversation_id: Some(conversation),
            action: reply_action(self.message, author, reply.body.clone()),
            idempotency_key: format!("rule:{rule_id}:message:{}", self.message.id),
            requested_by: actor,
        };
        match store.enqueue_outbound(item).await {
            Ok(_) => Ok(()),
            // The account may be gone or refuse the action: the rest of the run still applies.
            Err(error @ (StoreError::NotFound { .. } | StoreError::Invalid(_))) => {
                tracing::warn!(%rule_id, message_id = %self.message.id, %error, "canned reply not queued");
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }
}
