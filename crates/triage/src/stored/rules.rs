//! Stored rules ⇄ [`Rule`]: the store keeps a rule's name, `enabled` flag and position as columns
//! and its conditions, actions and `stop_processing` as the JSON `definition` read here.

use crate::rules::{Action, ConditionGroup, Rule, RuleId};
use serde::{Deserialize, Serialize};
use trellis_core::{RuleInput, RuleRecord, RuleRecordId};

/// What a rule's `definition` column holds:
///
/// ```json
/// { "conditions": { "match_mode": "any", "conditions": [ … ] },
///   "actions": [ { "type": "add_tag", "tag": "spam" } ],
///   "stop_processing": true }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDefinition {
    #[serde(default)]
    pub conditions: ConditionGroup,
    pub actions: Vec<Action>,
    #[serde(default)]
    pub stop_processing: bool,
}

/// A stored rule whose definition does not read as a rule. Names the rule so an administrator
/// knows which one to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule {rule_id} \"{name}\" has an invalid definition: {reason}")]
pub struct StoredRuleError {
    pub rule_id: RuleRecordId,
    pub name: String,
    pub reason: String,
}

/// The engine's rule for a stored one.
pub fn rule_from_record(record: &RuleRecord) -> Result<Rule, StoredRuleError> {
    let definition: RuleDefinition =
        serde_json::from_value(record.definition.clone()).map_err(|error| StoredRuleError {
            rule_id: record.id,
            name: record.name.clone(),
            reason: error.to_string(),
        })?;
    Ok(Rule {
        id: RuleId(record.id.0),
        name: record.name.clone(),
        enabled: record.enabled,
        conditions: definition.conditions,
        actions: definition.actions,
        stop_processing: definition.stop_processing,
    })
}

/// The store's input for a rule (its id and position are the store's to keep).
pub fn rule_input(rule: &Rule) -> RuleInput {
    let definition = RuleDefinition {
        conditions: rule.conditions.clone(),
        actions: rule.actions.clone(),
        stop_processing: rule.stop_processing,
    };
    RuleInput {
        name: rule.name.clone(),
        enabled: rule.enabled,
        // A struct of plain data always serializes.
        definition: serde_json::to_value(definition).unwrap_or_default(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::rules::{Condition, MatchMode};
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use trellis_core::{ConversationStatus, TagName};

    fn record(definition: serde_json::Value) -> RuleRecord {
        let at: DateTime<Utc> = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        RuleRecord {
            id: RuleRecordId(7),
            name: "Spam".into(),
            enabled: false,
            position: 3,
            definition,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_stored_rule_reads_back_with_its_record_identity() {
        let rule = rule_from_record(&record(json!({
            "conditions": { "match_mode": "any", "conditions": [
                { "type": "text_contains", "any_of": ["free crypto"] }
            ] },
            "actions": [ { "type": "set_status", "status": "resolved" } ],
            "stop_processing": true
        })))
        .unwrap();
        assert_eq!(rule.id, RuleId(7));
        assert_eq!(rule.name, "Spam");
        assert!(!rule.enabled);
        assert!(rule.stop_processing);
        assert_eq!(rule.conditions.match_mode, MatchMode::Any);
        assert_eq!(
            rule.conditions.conditions,
            [Condition::TextContains { any_of: vec!["free crypto".into()] }]
        );
        assert_eq!(rule.actions, [Action::SetStatus { status: ConversationStatus::Resolved }]);
    }

    #[test]
    fn a_rule_round_trips_through_its_stored_input() {
        let rule = Rule {
            id: RuleId(7),
            name: "Spam".into(),
            enabled: false,
            conditions: ConditionGroup::default(),
            actions: vec![Action::AddTag { tag: TagName::parse("spam").unwrap() }],
            stop_processing: true,
        };
        let input = rule_input(&rule);
        let back = rule_from_record(&record(input.definition)).unwrap();
        assert_eq!(back, rule);
    }

    #[test]
    fn a_bad_definition_names_the_rule_and_the_problem() {
        let err = rule_from_record(&record(json!({
            "actions": [ { "type": "launch_rockets" } ]
        })))
        .unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("rule 7 \"Spam\" has an invalid definition"), "{message}");
        assert!(message.contains("launch_rockets"), "{message}");
    }
}
