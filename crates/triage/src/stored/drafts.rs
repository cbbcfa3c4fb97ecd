//! Definitions an administrator wrote (a rule, a calendar, an SLA policy as JSON text), validated
//! exactly as the service will read them once stored, so a bad one is refused before it is written.
//!
//! Parsing the text itself (not a `Value`) keeps serde's line and column in the error, next to the
//! field it names: `unknown field `colour` … at line 4 column 12`.

use super::policies::{policy_from_record, PolicyDefinition, StoredPolicy};
use super::rules::RuleDefinition;
use crate::calendar::BusinessCalendar;
use crate::rules::{Calendars, Rule, RuleError, RuleId, RuleSet};
use chrono::Utc;
use serde_json::Value;
use std::collections::HashMap;
use trellis_core::{CalendarId, SlaPolicyId, SlaPolicyRecord};

/// Why a draft definition was refused; the message names the field or condition at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {reason}")]
pub struct DraftError {
    /// `rule`, `calendar` or `sla policy`.
    pub what: &'static str,
    pub reason: String,
}

/// A validated draft: what the engine will run, and the JSON to store as the `definition`.
#[derive(Debug, Clone)]
pub struct Draft<T> {
    pub parsed: T,
    pub definition: Value,
}

fn json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: &str,
) -> Result<Draft<T>, DraftError> {
    let error = |e: serde_json::Error| DraftError { what, reason: e.to_string() };
    let parsed = serde_json::from_str(text).map_err(error)?;
    let definition = serde_json::from_str(text).map_err(error)?;
    Ok(Draft { parsed, definition })
}

/// A rule definition (conditions, actions, `stop_processing`) checked like the service compiles
/// it: regexes, queries and the calendars named by business-hours conditions (from `calendars`).
/// The rule carries `id` (0 for one not stored yet) and `name`.
pub fn rule_draft(
    id: RuleId,
    name: &str,
    enabled: bool,
    text: &str,
    calendars: &Calendars,
) -> Result<Draft<Rule>, DraftError> {
    let draft: Draft<RuleDefinition> = json("rule", text)?;
    let definition = draft.parsed;
    let rule = Rule {
        id,
        name: name.to_owned(),
        enabled,
        conditions: definition.conditions,
        actions: definition.actions,
        stop_processing: definition.stop_processing,
    };
    RuleSet::compile(vec![rule.clone()], calendars)
        .map_err(|error| DraftError { what: "rule", reason: without_rule_prefix(&error) })?;
    Ok(Draft { parsed: rule, definition: draft.definition })
}

/// A compile error said without the "rule N \"name\":" prefix, which names a rule the
/// administrator is holding in their hand.
fn without_rule_prefix(error: &RuleError) -> String {
    match error {
        RuleError::EmptyName { .. } => "the name is empty".to_owned(),
        RuleError::BadRegex { path, message, .. } => {
            format!("{path} has an invalid regex: {message}")
        }
        RuleError::BadQuery { path, source, .. } => {
            format!("{path} has an invalid query: {source}")
        }
        RuleError::UnknownCalendar { path, calendar, .. } => {
            format!("{path} names unknown calendar \"{calendar}\"")
        }
        RuleError::BadCondition { path, problem, .. } => format!("{path} {problem}"),
        RuleError::DuplicateId { .. } | RuleError::Scanner(_) => error.to_string(),
    }
}

/// A business-hours calendar (time zone, weekly periods, holidays).
pub fn calendar_draft(text: &str) -> Result<Draft<BusinessCalendar>, DraftError> {
    json("calendar", text)
}

/// An SLA policy definition (targets, warning percent, escalation) checked as the service reads
/// it, timed in `calendar` (none: round the clock in UTC).
pub fn policy_draft(
    name: &str,
    text: &str,
    calendar: Option<(CalendarId, BusinessCalendar)>,
) -> Result<Draft<StoredPolicy>, DraftError> {
    let draft: Draft<PolicyDefinition> = json("sla policy", text)?;
    let now = Utc::now();
    let record = SlaPolicyRecord {
        id: SlaPolicyId(0),
        name: name.to_owned(),
        calendar_id: calendar.as_ref().map(|(id, _)| *id),
        is_default: false,
        definition: draft.definition.clone(),
        created_at: now,
        updated_at: now,
    };
    let calendars: HashMap<CalendarId, BusinessCalendar> = calendar.into_iter().collect();
    let policy = policy_from_record(&record, &calendars)
        .map_err(|error| DraftError { what: "sla policy", reason: error.reason })?;
    Ok(Draft { parsed: policy, definition: draft.definition })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::rules::Action;

    const RULE: &str = r#"{
        "conditions": { "conditions": [ { "type": "text_contains", "any_of": ["refund"] } ] },
        "actions": [ { "type": "add_tag", "tag": "billing" } ]
    }"#;

    #[test]
    fn a_good_rule_draft_keeps_its_json_and_reads_as_a_rule() {
        let draft = rule_draft(RuleId(0), "Refunds", true, RULE, &Calendars::new()).unwrap();
        assert_eq!(draft.parsed.name, "Refunds");
        assert!(matches!(draft.parsed.actions[0], Action::AddTag { .. }));
        assert_eq!(draft.definition["actions"][0]["tag"], "billing");
    }

    #[test]
    fn an_unknown_field_is_named_with_its_line() {
        let text = "{\n  \"actions\": [],\n  \"colour\": \"red\"\n}";
        let err = rule_draft(RuleId(0), "x", true, text, &Calendars::new()).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("invalid rule: unknown field `colour`"), "{message}");
        assert!(message.contains("line 3"), "{message}");
    }

    #[test]
    fn a_bad_regex_is_named_by_its_path_without_a_rule_id() {
        let text = r#"{ "conditions": { "conditions": [
            { "type": "text_matches_regex", "pattern": "(unclosed" } ] }, "actions": [] }"#;
        let err = rule_draft(RuleId(0), "x", true, text, &Calendars::new()).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("invalid rule: conditions[0] has an invalid regex"),
            "{message}"
        );
    }

    #[test]
    fn a_rule_naming_a_missing_calendar_is_refused() {
        let text = r#"{ "conditions": { "conditions": [
            { "type": "within_business_hours", "calendar": "nowhere" } ] }, "actions": [] }"#;
        let err = rule_draft(RuleId(0), "x", true, text, &Calendars::new()).unwrap_err();
        assert!(err.to_string().contains("unknown calendar \"nowhere\""), "{err}");
    }

    #[test]
    fn a_calendar_in_an_unknown_zone_is_refused() {
        let err = calendar_draft(r#"{ "time_zone": "Mars/Olympus", "hours": "always_open" }"#)
            .unwrap_err();
        assert!(err.to_string().contains("unknown time zone"), "{err}");
    }

    #[test]
    fn a_policy_with_a_bad_warning_percent_is_refused_and_a_good_one_reads() {
        let err = policy_draft("p", r#"{ "warning_percent": 120 }"#, None).unwrap_err();
        assert!(err.to_string().starts_with("invalid sla policy:"), "{err}");
        let good = policy_draft(
            "p",
            r#"{ "targets": { "normal": { "first_response_minutes": 60 } } }"#,
            None,
        )
        .unwrap();
        assert_eq!(good.parsed.name, "p");
        assert_eq!(good.definition["targets"]["normal"]["first_response_minutes"], 60);
    }
}
