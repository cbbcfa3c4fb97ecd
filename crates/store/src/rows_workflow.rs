//! Triage's rows as the database returns them (migration 0003) and their conversion to the
//! domain types of `trellis_core::workflow`. JSON documents are stored as text on both backends.

use crate::error::corrupt;
use crate::rows::parse;
use crate::time::{from_micros, opt_from_micros};
use serde::de::DeserializeOwned;
use serde_json::Value;
use trellis_core::{
    Actor, AgentState, CalendarId, CalendarRecord, CannedReply, ConversationSla, NewNotification,
    NewTimelineEvent, Notification, RuleRecord, RuleRecordId, SlaClockRecord, SlaPolicyId,
    SlaPolicyRecord, StoreError, TeamSettings, TimelineEvent, UserId,
};

/// A JSON document as stored text.
pub(crate) fn to_json<T>(what: &str, value: &T) -> Result<String, StoreError>
where
    T: serde::Serialize + ?Sized,
{
    serde_json::to_string(value).map_err(|err| StoreError::Invalid(format!("{what}: {err}")))
}

fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|err| corrupt(what, err))
}

/// A stored count or capacity as the `u32` the domain uses.
fn to_u32(what: &str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|err| corrupt(what, err))
}

/// An [`Actor`] spread over the `actor_type`, `actor_id` and `actor_name` columns.
pub(crate) struct ActorColumns<'a> {
    pub actor_type: &'static str,
    pub actor_id: Option<i64>,
    pub actor_name: Option<&'a str>,
}

pub(crate) fn actor_columns(actor: &Actor) -> ActorColumns<'_> {
    match actor {
        Actor::System => ActorColumns { actor_type: "system", actor_id: None, actor_name: None },
        Actor::User { id } => {
            ActorColumns { actor_type: "user", actor_id: Some(id.0), actor_name: None }
        }
        Actor::Rule { id, name } => ActorColumns {
            actor_type: "rule",
            actor_id: Some(id.0),
            actor_name: Some(name.as_str()),
        },
    }
}

fn actor(actor_type: &str, id: Option<i64>, name: Option<String>) -> Result<Actor, StoreError> {
    match (actor_type, id) {
        ("system", _) => Ok(Actor::System),
        ("user", Some(id)) => Ok(Actor::User { id: UserId(id) }),
        ("rule", Some(id)) => {
            Ok(Actor::Rule { id: RuleRecordId(id), name: name.unwrap_or_default() })
        }
        (other, id) => Err(StoreError::Corrupt(format!("actor {other:?} with id {id:?}"))),
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TimelineRow {
    pub id: i64,
    pub conversation_id: i64,
    pub at: i64,
    pub actor_type: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub kind: String,
    pub detail: String,
}

impl TimelineRow {
    pub fn into_domain(self) -> Result<TimelineEvent, StoreError> {
        Ok(TimelineEvent {
            id: self.id,
            event: NewTimelineEvent {
                conversation_id: self.conversation_id.into(),
                at: from_micros(self.at)?,
                actor: actor(&self.actor_type, self.actor_id, self.actor_name)?,
                kind: self.kind,
                detail: from_json::<Value>("timeline detail", &self.detail)?,
            },
        })
    }
}

pub(crate) const RULE_COLUMNS: &str =
    "id, name, enabled, position, definition, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct RuleRow {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub position: i64,
    pub definition: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl RuleRow {
    pub fn into_domain(self) -> Result<RuleRecord, StoreError> {
        Ok(RuleRecord {
            id: RuleRecordId(self.id),
            name: self.name,
            enabled: self.enabled,
            position: self.position,
            definition: from_json("rule definition", &self.definition)?,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
        })
    }
}

pub(crate) const CALENDAR_COLUMNS: &str = "id, name, definition, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct CalendarRow {
    pub id: i64,
    pub name: String,
    pub definition: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl CalendarRow {
    pub fn into_domain(self) -> Result<CalendarRecord, StoreError> {
        Ok(CalendarRecord {
            id: CalendarId(self.id),
            name: self.name,
            definition: from_json("calendar definition", &self.definition)?,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
        })
    }
}

pub(crate) const POLICY_COLUMNS: &str =
    "id, name, calendar_id, is_default, definition, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct PolicyRow {
    pub id: i64,
    pub name: String,
    pub calendar_id: Option<i64>,
    pub is_default: bool,
    pub definition: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PolicyRow {
    pub fn into_domain(self) -> Result<SlaPolicyRecord, StoreError> {
        Ok(SlaPolicyRecord {
            id: SlaPolicyId(self.id),
            name: self.name,
            calendar_id: self.calendar_id.map(CalendarId),
            is_default: self.is_default,
            definition: from_json("sla policy definition", &self.definition)?,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConversationSlaRow {
    pub conversation_id: i64,
    pub policy_id: Option<i64>,
    pub clocks: String,
    pub next_transition_at: Option<i64>,
    pub computed_at: i64,
}

impl ConversationSlaRow {
    pub fn into_domain(self) -> Result<ConversationSla, StoreError> {
        Ok(ConversationSla {
            conversation_id: self.conversation_id.into(),
            policy_id: self.policy_id.map(SlaPolicyId),
            clocks: from_json::<Vec<SlaClockRecord>>("sla clocks", &self.clocks)?,
            next_transition_at: opt_from_micros(self.next_transition_at)?,
            computed_at: from_micros(self.computed_at)?,
        })
    }
}

/// A team joined with its settings row, which may be missing (then the defaults apply).
#[derive(sqlx::FromRow)]
pub(crate) struct TeamSettingsRow {
    pub team_id: i64,
    pub assignment: Option<String>,
    pub default_capacity: Option<i64>,
    pub return_after_offline_secs: Option<i64>,
    pub round_robin_last: Option<i64>,
}

/// Open conversations an agent may hold when neither they nor their team say otherwise.
pub(crate) const DEFAULT_CAPACITY: u32 = 10;

impl TeamSettingsRow {
    pub fn into_domain(self) -> Result<TeamSettings, StoreError> {
        Ok(TeamSettings {
            team_id: self.team_id.into(),
            assignment: match self.assignment {
                Some(mode) => parse("assignment mode", &mode)?,
                None => trellis_core::AssignmentMode::default(),
            },
            default_capacity: match self.default_capacity {
                Some(capacity) => to_u32("default capacity", capacity)?,
                None => DEFAULT_CAPACITY,
            },
            return_after_offline_secs: self.return_after_offline_secs,
            round_robin_last: self.round_robin_last.map(UserId),
        })
    }
}

/// A user joined with their agent state row, which may be missing (offline since creation).
#[derive(sqlx::FromRow)]
pub(crate) struct AgentStateRow {
    pub user_id: i64,
    pub availability: Option<String>,
    pub availability_since: i64,
    pub capacity: Option<i64>,
    pub open_conversations: i64,
}

impl AgentStateRow {
    pub fn into_domain(self) -> Result<AgentState, StoreError> {
        Ok(AgentState {
            user_id: UserId(self.user_id),
            availability: match self.availability {
                Some(availability) => parse("availability", &availability)?,
                None => trellis_core::Availability::default(),
            },
            availability_since: from_micros(self.availability_since)?,
            capacity: self.capacity.map(|c| to_u32("capacity", c)).transpose()?,
            open_conversations: to_u32("open conversations", self.open_conversations)?,
        })
    }
}

pub(crate) const CANNED_REPLY_COLUMNS: &str = "id, shortcut, title, body, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct CannedReplyRow {
    pub id: i64,
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl CannedReplyRow {
    pub fn into_domain(self) -> Result<CannedReply, StoreError> {
        Ok(CannedReply {
            id: trellis_core::CannedReplyId(self.id),
            shortcut: self.shortcut,
            title: self.title,
            body: self.body,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
        })
    }
}

pub(crate) const NOTIFICATION_COLUMNS: &str =
    "id, user_id, conversation_id, kind, text, created_at, read_at";

#[derive(sqlx::FromRow)]
pub(crate) struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub conversation_id: Option<i64>,
    pub kind: String,
    pub text: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

impl NotificationRow {
    pub fn into_domain(self) -> Result<Notification, StoreError> {
        Ok(Notification {
            id: trellis_core::NotificationId(self.id),
            notification: NewNotification {
                user_id: UserId(self.user_id),
                conversation_id: self.conversation_id.map(Into::into),
                kind: self.kind,
                text: self.text,
                at: from_micros(self.created_at)?,
            },
            read_at: opt_from_micros(self.read_at)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_actor_round_trips_through_its_columns() {
        let actors = [
            Actor::System,
            Actor::User { id: UserId(3) },
            Actor::Rule { id: RuleRecordId(9), name: "vip first".into() },
        ];
        for original in actors {
            let columns = actor_columns(&original);
            let back =
                actor(columns.actor_type, columns.actor_id, columns.actor_name.map(str::to_owned))
                    .unwrap();
            assert_eq!(back, original);
        }
    }

    #[test]
    fn an_unknown_actor_type_is_reported_as_corrupt() {
        assert!(matches!(actor("robot", Some(1), None), Err(StoreError::Corrupt(_))));
        assert!(matches!(actor("user", None, None), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn a_team_without_settings_assigns_manually_with_the_default_capacity() {
        let row = TeamSettingsRow {
            team_id: 4,
            assignment: None,
            default_capacity: None,
            return_after_offline_secs: None,
            round_robin_last: None,
        };
        let settings = row.into_domain().unwrap();
        assert_eq!(settings.assignment, trellis_core::AssignmentMode::Manual);
        assert_eq!(settings.default_capacity, DEFAULT_CAPACITY);
        assert_eq!(settings.return_after_offline_secs, None);
    }
}
