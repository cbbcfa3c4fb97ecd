//! A conversation's SLA history from what the store keeps: its messages (customer messages and
//! the brand's replies, at the time the platform says they were written) and its timeline (status,
//! priority and policy changes, at the time trellis made them).
//!
//! A snooze ends by itself: a `snoozed` event with an `until` is followed by a return to open at
//! that instant unless another status change came first, so the clocks resume when the
//! conversation comes back to the inbox. [`SlaHistory::wake_at`] says when that is still to come.

use super::policies::StoredPolicy;
use crate::sla::{SlaEvent, SlaPolicy};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use trellis_core::{
    Conversation, ConversationStatus, Direction, Message, Priority, SlaPolicyId, TimelineEvent,
};

/// Timeline kinds the history reads.
pub const STATUS_CHANGED: &str = "status_changed";
pub const PRIORITY_CHANGED: &str = "priority_changed";
pub const SNOOZED: &str = "snoozed";
pub const SLA_POLICY_APPLIED: &str = "sla_policy_applied";

/// What [`crate::sla::evaluate`] needs for one conversation.
#[derive(Debug, Clone)]
pub struct SlaHistory {
    /// The policy timing the conversation now.
    pub policy_id: SlaPolicyId,
    /// The policy and priority in force before the first event.
    pub initial_policy: SlaPolicy,
    pub initial_priority: Priority,
    /// Every event, in time order.
    pub events: Vec<SlaEvent>,
    /// The end of a snooze still to come after `now`: the clocks change then without any event
    /// the store would announce, so the timer must look again.
    pub wake_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Change<T> {
    #[serde(default)]
    from: Option<T>,
    to: T,
}

#[derive(Deserialize)]
struct Snooze {
    #[serde(default)]
    until: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct PolicyApplied {
    policy_id: SlaPolicyId,
}

/// The policy id a `sla_policy_applied` timeline event names, if it reads.
pub fn applied_policy(event: &TimelineEvent) -> Option<SlaPolicyId> {
    (event.event.kind == SLA_POLICY_APPLIED)
        .then(|| serde_json::from_value::<PolicyApplied>(event.event.detail.clone()).ok())
        .flatten()
        .map(|applied| applied.policy_id)
}

/// The history of `conversation`, timed by the policy last applied to it, else by the default
/// policy; `None` when neither exists. Timeline events that do not read (or name a policy that is
/// gone) are passed over.
pub fn sla_history(
    conversation: &Conversation,
    messages: &[Message],
    timeline: &[TimelineEvent],
    policies: &HashMap<SlaPolicyId, StoredPolicy>,
    now: DateTime<Utc>,
) -> Option<SlaHistory> {
    let default = policies.values().filter(|p| p.is_default).min_by_key(|p| p.id);
    let applied: Vec<(DateTime<Utc>, &StoredPolicy)> = timeline
        .iter()
        .filter_map(|event| Some((event.event.at, policies.get(&applied_policy(event)?)?)))
        .collect();
    let initial = default.or_else(|| applied.first().map(|(_, policy)| *policy))?;
    let current = applied.last().map_or(initial, |(_, policy)| *policy);

    let mut events: Vec<SlaEvent> = messages
        .iter()
        .map(|message| match message.direction {
            Direction::Inbound => SlaEvent::CustomerMessage { at: message.created_at },
            Direction::Outbound => SlaEvent::AgentReply { at: message.created_at },
        })
        .collect();
    events.extend(applied.iter().map(|(at, stored)| SlaEvent::PolicyChanged {
        at: *at,
        policy: Box::new(stored.policy.clone()),
    }));

    let mut initial_priority = None;
    let mut snoozes = Vec::new();
    let mut status_changes = Vec::new();
    for entry in timeline {
        let (at, detail) = (entry.event.at, entry.event.detail.clone());
        match entry.event.kind.as_str() {
            STATUS_CHANGED => {
                if let Ok(change) = serde_json::from_value::<Change<ConversationStatus>>(detail) {
                    status_changes.push(at);
                    events.push(SlaEvent::StatusChanged { at, to: change.to });
                }
            }
            PRIORITY_CHANGED => {
                if let Ok(change) = serde_json::from_value::<Change<Priority>>(detail) {
                    initial_priority = initial_priority.or(Some(change.from));
                    events.push(SlaEvent::PriorityChanged { at, to: change.to });
                }
            }
            SNOOZED => {
                if let Ok(Snooze { until: Some(until) }) = serde_json::from_value(detail) {
                    snoozes.push((at, until));
                }
            }
            _ => {}
        }
    }

    let mut wake_at = None;
    for (at, until) in snoozes {
        let interrupted = status_changes.iter().any(|&change| change > at && change <= until);
        if interrupted {
            continue;
        }
        events.push(SlaEvent::StatusChanged { at: until, to: ConversationStatus::Open });
        if until > now {
            wake_at = Some(wake_at.map_or(until, |earlier: DateTime<Utc>| earlier.min(until)));
        }
    }
    // Stable: messages before timeline entries of the same instant, as built.
    events.sort_by_key(SlaEvent::at);

    Some(SlaHistory {
        policy_id: current.id,
        initial_policy: initial.policy.clone(),
        initial_priority: initial_priority.flatten().unwrap_or(conversation.priority),
        events,
        wake_at,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::calendar::BusinessCalendar;
    use crate::sla::{evaluate, ClockState, Metric, SlaTargets};
    use chrono::Duration;
    use serde_json::{json, Value};
    use trellis_core::{
        AccountId, Actor, BrandId, Channel, ContactId, ConversationId, ConversationKey, MessageId,
        MessageKind, NewTimelineEvent, PlatformId,
    };

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn conversation(priority: Priority) -> Conversation {
        Conversation {
            id: ConversationId(1),
            account_id: AccountId(1),
            brand_id: BrandId(1),
            channel: Channel::X,
            key: ConversationKey::from_stored("thread:1".into()),
            subject: None,
            contact_id: None,
            status: ConversationStatus::Open,
            priority,
            assignee_id: None,
            team_id: None,
            tags: vec![],
            snoozed_until: None,
            message_count: 1,
            last_message_at: at(0),
            last_inbound_at: Some(at(0)),
            created_at: at(0),
            updated_at: at(0),
        }
    }

    fn message(id: i64, direction: Direction, minutes: i64) -> Message {
        Message {
            id: MessageId(id),
            account_id: AccountId(1),
            conversation_id: ConversationId(1),
            contact_id: ContactId(1),
            channel: Channel::X,
            platform_id: PlatformId::parse(&id.to_string()).unwrap(),
            kind: MessageKind::Mention,
            direction,
            parent_platform_id: None,
            thread_platform_id: None,
            text: String::new(),
            lang: None,
            raw: Value::Null,
            created_at: at(minutes),
            received_at: at(minutes),
            updated_at: at(minutes),
            deleted_at: None,
        }
    }

    fn event(kind: &str, minutes: i64, detail: Value) -> TimelineEvent {
        TimelineEvent {
            id: minutes,
            event: NewTimelineEvent {
                conversation_id: ConversationId(1),
                at: at(minutes),
                actor: Actor::System,
                kind: kind.to_owned(),
                detail,
            },
        }
    }

    /// Round the clock; first response `minutes` at every priority.
    fn stored(id: i64, is_default: bool, minutes: i64) -> (SlaPolicyId, StoredPolicy) {
        let mut policy = SlaPolicy::new(BusinessCalendar::always_open("UTC").unwrap());
        for priority in [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent] {
            let targets = SlaTargets {
                first_response: Some(Duration::minutes(minutes)),
                ..Default::default()
            };
            policy = policy.with_targets(priority, targets).unwrap();
        }
        let stored = StoredPolicy {
            id: SlaPolicyId(id),
            name: format!("policy {id}"),
            is_default,
            policy,
            escalation: Default::default(),
        };
        (SlaPolicyId(id), stored)
    }

    fn first_response(history: &SlaHistory, now: i64) -> (ClockState, Option<DateTime<Utc>>) {
        let report =
            evaluate(&history.initial_policy, history.initial_priority, &history.events, at(now));
        let clock = report.latest(Metric::FirstResponse).unwrap();
        (clock.state, clock.due_at)
    }

    #[test]
    fn without_an_applied_policy_the_default_times_the_conversation() {
        let policies = HashMap::from([stored(1, false, 5), stored(2, true, 60)]);
        let messages = [message(1, Direction::Inbound, 0)];
        let history =
            sla_history(&conversation(Priority::Normal), &messages, &[], &policies, at(1)).unwrap();
        assert_eq!(history.policy_id, SlaPolicyId(2));
        assert_eq!(first_response(&history, 1), (ClockState::Running, Some(at(60))));
    }

    #[test]
    fn an_applied_policy_rereads_the_open_clock_from_its_start() {
        let policies = HashMap::from([stored(1, false, 5), stored(2, true, 60)]);
        let messages = [message(1, Direction::Inbound, 0)];
        let timeline = [event(SLA_POLICY_APPLIED, 2, json!({ "policy_id": 1 }))];
        let history =
            sla_history(&conversation(Priority::Normal), &messages, &timeline, &policies, at(3))
                .unwrap();
        assert_eq!(history.policy_id, SlaPolicyId(1));
        assert_eq!(first_response(&history, 3), (ClockState::Running, Some(at(5))));
        assert_eq!(first_response(&history, 6), (ClockState::Breached, Some(at(5))));
    }

    #[test]
    fn no_policy_at_all_means_no_history() {
        let messages = [message(1, Direction::Inbound, 0)];
        assert!(sla_history(
            &conversation(Priority::Normal),
            &messages,
            &[],
            &HashMap::new(),
            at(1)
        )
        .is_none());
    }

    #[test]
    fn the_priority_before_the_first_change_is_the_initial_one() {
        let policies = HashMap::from([stored(1, true, 60)]);
        let timeline = [event(PRIORITY_CHANGED, 5, json!({ "from": "low", "to": "urgent" }))];
        let history =
            sla_history(&conversation(Priority::Urgent), &[], &timeline, &policies, at(6)).unwrap();
        assert_eq!(history.initial_priority, Priority::Low);
        assert_eq!(history.events, [SlaEvent::PriorityChanged { at: at(5), to: Priority::Urgent }]);
    }

    #[test]
    fn a_snooze_ends_by_itself_unless_the_status_changed_first() {
        let policies = HashMap::from([stored(1, true, 60)]);
        let messages = [message(1, Direction::Inbound, 0)];
        let snoozed = [
            event(STATUS_CHANGED, 10, json!({ "from": "open", "to": "snoozed" })),
            event(SNOOZED, 10, json!({ "until": at(40) })),
        ];
        let conversation = conversation(Priority::Normal);
        let history = sla_history(&conversation, &messages, &snoozed, &policies, at(20)).unwrap();
        assert_eq!(history.wake_at, Some(at(40)));
        assert_eq!(first_response(&history, 20), (ClockState::Paused, None));
        // Paused from 10 to 40: due 30 minutes later than 60.
        assert_eq!(first_response(&history, 45), (ClockState::Running, Some(at(90))));

        let mut woken_early = snoozed.to_vec();
        woken_early.push(event(STATUS_CHANGED, 20, json!({ "from": "snoozed", "to": "open" })));
        let history =
            sla_history(&conversation, &messages, &woken_early, &policies, at(30)).unwrap();
        assert_eq!(history.wake_at, None);
        assert_eq!(first_response(&history, 30), (ClockState::Running, Some(at(70))));
    }
}
