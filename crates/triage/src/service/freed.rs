//! What a conversation change freed, read from its timeline: the agents whose load went down and
//! the teams a conversation left. The follower hands them to the assigner, so waiting
//! conversations are assigned the moment someone has room.
//!
//! | timeline event (since the change) | freed |
//! |---|---|
//! | `status_changed` to `resolved` | the assignee: one open conversation fewer, in every team |
//! | `assigned` from an agent (unassigned, or moved to someone else) | that agent |
//! | `routed` from a team | that team's queue is drained (the conversation left it) |
//!
//! Drains are idempotent (they assign only while someone has room), so an event seen twice, or
//! an event of an earlier change read again, only costs a read.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeSet;
use trellis_core::{ConversationStatus, TeamId, TimelineEvent, UserId};

/// Timeline events this much older than the change are still read as its own: the store stamps
/// an event and its change from one clock reading, but nothing is lost by looking a bit further.
const SLACK: chrono::Duration = chrono::Duration::seconds(1);

/// The agents and teams with room to fill after changes to conversations.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Freed {
    pub agents: BTreeSet<UserId>,
    pub teams: BTreeSet<TeamId>,
}

impl Freed {
    /// Adds what a conversation's timeline events at or after `since` freed; `assignee` is
    /// who holds it now (a resolved conversation keeps its assignee).
    pub fn read(
        &mut self,
        assignee: Option<UserId>,
        timeline: &[TimelineEvent],
        since: DateTime<Utc>,
    ) {
        for entry in timeline.iter().filter(|entry| entry.event.at >= since - SLACK) {
            let detail = &entry.event.detail;
            match entry.event.kind.as_str() {
                "status_changed" if detail["to"] == ConversationStatus::Resolved.as_str() => {
                    self.agents.extend(assignee);
                }
                "assigned" => self.agents.extend(id(&detail["from"]).map(UserId)),
                "routed" => self.teams.extend(id(&detail["from"]).map(TeamId)),
                _ => {}
            }
        }
    }
}

fn id(value: &Value) -> Option<i64> {
    value.as_i64()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;
    use trellis_core::{Actor, ConversationId, NewTimelineEvent};

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn event(seconds: i64, kind: &str, detail: Value) -> TimelineEvent {
        TimelineEvent {
            id: seconds,
            event: NewTimelineEvent {
                conversation_id: ConversationId(1),
                at: at(seconds),
                actor: Actor::System,
                kind: kind.to_owned(),
                detail,
            },
        }
    }

    #[test]
    fn a_resolution_frees_its_assignee_and_an_unassignment_its_previous_holder() {
        let timeline = [
            event(100, "status_changed", json!({ "from": "open", "to": "resolved" })),
            event(100, "assigned", json!({ "from": 8, "to": 9 })),
            event(100, "assigned", json!({ "from": null, "to": 9 })),
            event(100, "routed", json!({ "from": 4, "to": 3 })),
            event(100, "status_changed", json!({ "from": "open", "to": "pending" })),
        ];
        let mut freed = Freed::default();
        freed.read(Some(UserId(9)), &timeline, at(100));
        assert_eq!(freed.agents, BTreeSet::from([UserId(8), UserId(9)]));
        assert_eq!(freed.teams, BTreeSet::from([TeamId(4)]));
    }

    #[test]
    fn events_from_before_the_change_free_nothing_again() {
        let timeline = [
            event(10, "status_changed", json!({ "from": "open", "to": "resolved" })),
            event(10, "assigned", json!({ "from": 8, "to": null })),
            event(100, "priority_changed", json!({ "from": "normal", "to": "high" })),
        ];
        let mut freed = Freed::default();
        freed.read(Some(UserId(9)), &timeline, at(100));
        assert_eq!(freed, Freed::default());
    }
}
