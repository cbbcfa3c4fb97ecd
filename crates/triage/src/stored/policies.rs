//! Stored SLA policies ⇄ [`SlaPolicy`] plus what to do when a clock warns or breaches.
//!
//! A policy record holds its calendar as a reference (`calendar_id`, none meaning round the clock
//! in UTC) and the rest as JSON:
//!
//! ```json
//! { "targets": {
//!     "urgent": { "first_response_minutes": 60, "next_response_minutes": 60, "resolution_minutes": 1440 },
//!     "normal": { "first_response_minutes": 240, "resolution_minutes": 4320 } },
//!   "warning_percent": 80,
//!   "escalation": { "on_warning": ["raise_priority"], "on_breach": ["notify_supervisors", "reassign"] } }
//! ```
//!
//! A target is given in `*_minutes` (how SLAs are written) or, for short ones, `*_seconds`.

use crate::calendar::BusinessCalendar;
use crate::sla::{SlaPolicy, SlaTargets};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use trellis_core::{CalendarId, Priority, SlaPolicyId, SlaPolicyInput, SlaPolicyRecord};

/// What happens when a clock crosses its warning threshold or its due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationAction {
    /// A notification to every supervisor.
    NotifySupervisors,
    /// The conversation's priority goes up one step (`urgent` stays).
    RaisePriority,
    /// The assignee loses the conversation; the team's assignment hands it to someone else.
    Reassign,
}

/// The escalation actions of a policy, per transition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    #[serde(default)]
    pub on_warning: Vec<EscalationAction>,
    #[serde(default)]
    pub on_breach: Vec<EscalationAction>,
}

/// A policy's `definition` column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDefinition {
    #[serde(default)]
    pub targets: BTreeMap<Priority, TargetSpec>,
    #[serde(default = "default_warning_percent")]
    pub warning_percent: u8,
    #[serde(default)]
    pub escalation: Escalation,
}

fn default_warning_percent() -> u8 {
    SlaPolicy::DEFAULT_WARNING_PERCENT
}

/// One priority's targets, each in minutes or seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawTargets", into = "RawTargets")]
pub struct TargetSpec(pub SlaTargets);

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_response_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_response_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_response_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_response_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resolution_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resolution_seconds: Option<i64>,
}

fn target(
    name: &str,
    minutes: Option<i64>,
    seconds: Option<i64>,
) -> Result<Option<Duration>, String> {
    match (minutes, seconds) {
        (Some(_), Some(_)) => Err(format!("{name} is given in both minutes and seconds")),
        (Some(m), None) => {
            Duration::try_minutes(m).map(Some).ok_or_else(|| format!("{name} is too long"))
        }
        (None, Some(s)) => {
            Duration::try_seconds(s).map(Some).ok_or_else(|| format!("{name} is too long"))
        }
        (None, None) => Ok(None),
    }
}

impl TryFrom<RawTargets> for TargetSpec {
    type Error = String;

    fn try_from(raw: RawTargets) -> Result<Self, Self::Error> {
        Ok(Self(SlaTargets {
            first_response: target(
                "first_response",
                raw.first_response_minutes,
                raw.first_response_seconds,
            )?,
            next_response: target(
                "next_response",
                raw.next_response_minutes,
                raw.next_response_seconds,
            )?,
            resolution: target("resolution", raw.resolution_minutes, raw.resolution_seconds)?,
        }))
    }
}

/// Whole minutes are written as minutes, anything finer as seconds.
fn split(duration: Option<Duration>) -> (Option<i64>, Option<i64>) {
    match duration {
        Some(d) if d.num_seconds() % 60 == 0 => (Some(d.num_minutes()), None),
        Some(d) => (None, Some(d.num_seconds())),
        None => (None, None),
    }
}

impl From<TargetSpec> for RawTargets {
    fn from(spec: TargetSpec) -> Self {
        let (first_response_minutes, first_response_seconds) = split(spec.0.first_response);
        let (next_response_minutes, next_response_seconds) = split(spec.0.next_response);
        let (resolution_minutes, resolution_seconds) = split(spec.0.resolution);
        Self {
            first_response_minutes,
            first_response_seconds,
            next_response_minutes,
            next_response_seconds,
            resolution_minutes,
            resolution_seconds,
        }
    }
}

/// A policy ready to time conversations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    pub id: SlaPolicyId,
    pub name: String,
    pub is_default: bool,
    pub policy: SlaPolicy,
    pub escalation: Escalation,
}

/// A stored policy that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sla policy {policy_id} \"{name}\" is invalid: {reason}")]
pub struct StoredPolicyError {
    pub policy_id: SlaPolicyId,
    pub name: String,
    pub reason: String,
}

/// The policy a record describes, with its calendar looked up in `calendars`.
pub fn policy_from_record(
    record: &SlaPolicyRecord,
    calendars: &HashMap<CalendarId, BusinessCalendar>,
) -> Result<StoredPolicy, StoredPolicyError> {
    let error = |reason: String| StoredPolicyError {
        policy_id: record.id,
        name: record.name.clone(),
        reason,
    };
    let definition: PolicyDefinition =
        serde_json::from_value(record.definition.clone()).map_err(|e| error(e.to_string()))?;
    let calendar = match record.calendar_id {
        Some(id) => calendars
            .get(&id)
            .cloned()
            .ok_or_else(|| error(format!("its calendar {id} is missing or invalid")))?,
        None => BusinessCalendar::always_open("UTC").map_err(|e| error(e.to_string()))?,
    };
    let mut policy = SlaPolicy::new(calendar)
        .with_warning_percent(definition.warning_percent)
        .map_err(|e| error(e.to_string()))?;
    for (priority, targets) in definition.targets {
        policy = policy.with_targets(priority, targets.0).map_err(|e| error(e.to_string()))?;
    }
    Ok(StoredPolicy {
        id: record.id,
        name: record.name.clone(),
        is_default: record.is_default,
        policy,
        escalation: definition.escalation,
    })
}

/// The store's input for a policy.
pub fn policy_input(
    name: &str,
    calendar_id: Option<CalendarId>,
    is_default: bool,
    definition: &PolicyDefinition,
) -> SlaPolicyInput {
    SlaPolicyInput {
        name: name.to_owned(),
        calendar_id,
        is_default,
        // Plain data always serializes.
        definition: serde_json::to_value(definition).unwrap_or_default(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::sla::Metric;
    use chrono::{DateTime, Utc, Weekday};
    use serde_json::json;

    fn record(calendar_id: Option<CalendarId>, definition: serde_json::Value) -> SlaPolicyRecord {
        let at: DateTime<Utc> = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        SlaPolicyRecord {
            id: SlaPolicyId(4),
            name: "Default".into(),
            calendar_id,
            is_default: true,
            definition,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_policy_reads_targets_warning_escalation_and_its_calendar() {
        let weekdays =
            BusinessCalendar::weekly("Europe/Berlin", &[(Weekday::Mon, "09:00-17:00")]).unwrap();
        let calendars = HashMap::from([(CalendarId(1), weekdays.clone())]);
        let stored = policy_from_record(
            &record(
                Some(CalendarId(1)),
                json!({
                    "targets": { "urgent": { "first_response_minutes": 15, "resolution_seconds": 90 } },
                    "warning_percent": 75,
                    "escalation": { "on_warning": ["raise_priority"], "on_breach": ["notify_supervisors", "reassign"] }
                }),
            ),
            &calendars,
        )
        .unwrap();
        let policy = &stored.policy;
        assert_eq!(policy.calendar(), &weekdays);
        assert_eq!(policy.warning_percent(), 75);
        assert_eq!(
            policy.target(Priority::Urgent, Metric::FirstResponse),
            Some(Duration::minutes(15))
        );
        assert_eq!(
            policy.target(Priority::Urgent, Metric::Resolution),
            Some(Duration::seconds(90))
        );
        assert_eq!(policy.target(Priority::Normal, Metric::FirstResponse), None);
        assert_eq!(stored.escalation.on_warning, [EscalationAction::RaisePriority]);
        assert_eq!(
            stored.escalation.on_breach,
            [EscalationAction::NotifySupervisors, EscalationAction::Reassign]
        );
    }

    #[test]
    fn a_policy_without_calendar_counts_round_the_clock() {
        let stored = policy_from_record(&record(None, json!({})), &HashMap::new()).unwrap();
        assert!(stored.policy.calendar().is_always_open());
        assert_eq!(stored.policy.warning_percent(), 80);
        assert_eq!(stored.escalation, Escalation::default());
    }

    #[test]
    fn targets_round_trip_in_minutes_or_seconds() {
        let definition: PolicyDefinition = serde_json::from_value(json!({
            "targets": { "low": { "first_response_minutes": 480, "next_response_seconds": 2 } }
        }))
        .unwrap();
        let input = policy_input("Default", None, true, &definition);
        assert_eq!(
            input.definition["targets"]["low"],
            json!({ "first_response_minutes": 480, "next_response_seconds": 2 })
        );
        let back: PolicyDefinition = serde_json::from_value(input.definition).unwrap();
        assert_eq!(back, definition);
    }

    #[test]
    fn invalid_policies_name_the_policy_and_the_problem() {
        let both = json!({ "targets": { "low": { "first_response_minutes": 1, "first_response_seconds": 60 } } });
        let err = policy_from_record(&record(None, both), &HashMap::new()).unwrap_err();
        assert!(err.to_string().contains("both minutes and seconds"), "{err}");
        assert!(err.to_string().starts_with("sla policy 4 \"Default\""), "{err}");

        let zero = json!({ "targets": { "low": { "first_response_minutes": 0 } } });
        let err = policy_from_record(&record(None, zero), &HashMap::new()).unwrap_err();
        assert!(err.to_string().contains("must be positive"), "{err}");

        let missing = policy_from_record(&record(Some(CalendarId(9)), json!({})), &HashMap::new())
            .unwrap_err();
        assert!(missing.to_string().contains("calendar 9 is missing"), "{missing}");
    }
}
