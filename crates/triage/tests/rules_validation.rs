#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Refusing broken rules with errors that name the rule and the condition, and the JSON form.

mod rules_common;

use rules_common::*;
use trellis_triage::rules::{
    Action, Condition, ConditionGroup, MatchMode, Rule, RuleError, RuleId, RuleSet,
};

fn compile_error(rule: Rule) -> RuleError {
    RuleSet::compile(vec![rule], &calendars()).unwrap_err()
}

#[test]
fn a_bad_regex_is_refused_naming_the_rule_and_condition() {
    let mut bad = rule(
        7,
        vec![
            Condition::AuthorVerified,
            Condition::TextMatchesRegex { pattern: "(unclosed".into(), case_sensitive: false },
        ],
        vec![flag()],
    );
    bad.name = "Order numbers".into();
    let error = compile_error(bad);
    assert!(matches!(error, RuleError::BadRegex { rule_id: RuleId(7), .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("rule 7 \"Order numbers\": conditions[1] has an invalid regex"),
        "{message}"
    );
}

#[test]
fn a_bad_query_is_refused_with_the_parsers_reason() {
    let nested = Condition::Group(ConditionGroup {
        match_mode: MatchMode::Any,
        conditions: vec![Condition::TextMatchesQuery { query: "refund status:opne".into() }],
    });
    let error = compile_error(rule(3, vec![nested], vec![flag()]));
    let message = error.to_string();
    assert!(message.contains("conditions[0].conditions[0] has an invalid query"), "{message}");
    assert!(message.contains("unknown status \"opne\""), "{message}");
}

#[test]
fn an_empty_name_is_refused() {
    let mut unnamed = rule(2, vec![], vec![flag()]);
    unnamed.name = "  ".into();
    assert_eq!(compile_error(unnamed), RuleError::EmptyName { rule_id: RuleId(2) });
}

#[test]
fn an_unknown_calendar_is_refused() {
    let error = compile_error(rule(
        4,
        vec![Condition::OutsideBusinessHours { calendar: "support-us".into() }],
        vec![flag()],
    ));
    assert_eq!(
        error.to_string(),
        "rule 4 \"rule 4\": conditions[0] names unknown calendar \"support-us\""
    );
}

#[test]
fn an_empty_set_or_needle_is_refused() {
    let error = compile_error(rule(5, vec![Condition::Channel { any_of: vec![] }], vec![flag()]));
    assert_eq!(error.to_string(), "rule 5 \"rule 5\": conditions[0] needs at least one value");
    let error = compile_error(rule(
        5,
        vec![Condition::TextContains { any_of: vec![" ".into()] }],
        vec![flag()],
    ));
    assert!(matches!(error, RuleError::BadCondition { .. }), "{error:?}");
}

#[test]
fn two_rules_with_one_id_are_refused() {
    let error =
        RuleSet::compile(vec![rule(1, vec![], vec![]), rule(1, vec![], vec![])], &calendars())
            .unwrap_err();
    assert_eq!(error, RuleError::DuplicateId { rule_id: RuleId(1) });
}

/// The example in docs/triage.md.
const EXAMPLE: &str = r#"[
  {
    "id": 1,
    "name": "Spam: resolve quietly",
    "conditions": { "match_mode": "any", "conditions": [
      { "type": "text_matches_regex", "pattern": "(free|cheap)\\s+(crypto|followers)" },
      { "type": "contact_has_tag", "any_of": ["spammer"] }
    ] },
    "actions": [
      { "type": "add_tag", "tag": "spam" },
      { "type": "set_status", "status": "resolved" }
    ],
    "stop_processing": true
  },
  {
    "id": 2,
    "name": "Influencers after hours",
    "conditions": { "match_mode": "all", "conditions": [
      { "type": "channel", "any_of": ["x", "facebook"] },
      { "type": "author_followers_at_least", "count": 10000 },
      { "type": "outside_business_hours", "calendar": "support-eu" }
    ] },
    "actions": [
      { "type": "set_priority", "priority": "urgent" },
      { "type": "route_to_team", "team_id": 3 },
      { "type": "apply_sla_policy", "policy_id": 2 }
    ]
  },
  {
    "id": 3,
    "name": "Refunds to billing",
    "enabled": true,
    "conditions": { "conditions": [
      { "type": "text_matches_query", "query": "refund OR chargeback -\"gift card\"" },
      { "type": "not", "condition": { "type": "author_verified" } },
      { "type": "group", "match_mode": "any", "conditions": [
        { "type": "language", "any_of": ["en", "de"] },
        { "type": "text_contains", "any_of": ["rückerstattung"] }
      ] }
    ] },
    "actions": [
      { "type": "add_tag", "tag": "billing" },
      { "type": "assign_to_user", "user_id": 12 },
      { "type": "send_canned_reply", "canned_reply_id": 5 },
      { "type": "flag_for_moderation", "reason": "possible fraud" }
    ]
  }
]"#;

#[test]
fn the_documented_rule_set_reads_compiles_and_round_trips() {
    let rules: Vec<Rule> = serde_json::from_str(EXAMPLE).unwrap();
    assert_eq!(rules.len(), 3);
    assert!(rules.iter().all(|rule| rule.enabled));
    assert!(rules[0].stop_processing);
    assert_eq!(rules[2].conditions.match_mode, MatchMode::All);
    assert_eq!(rules[2].actions[3], Action::FlagForModeration { reason: "possible fraud".into() });
    let json = serde_json::to_string(&rules).unwrap();
    let again: Vec<Rule> = serde_json::from_str(&json).unwrap();
    assert_eq!(again, rules);
    let set = RuleSet::compile(rules, &calendars()).unwrap();
    assert_eq!(set.len(), 3);
}

#[test]
fn an_unknown_condition_type_is_refused_when_read() {
    let json = r#"{ "id": 1, "name": "x", "conditions": { "conditions": [ { "type": "moon_phase" } ] }, "actions": [] }"#;
    assert!(serde_json::from_str::<Rule>(json).is_err());
}
