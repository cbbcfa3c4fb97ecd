#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Running a rule set: order, provenance, stop, later rules seeing earlier actions, conflicts.

mod rules_common;

use rules_common::*;
use trellis_core::{ConversationStatus, Priority, TeamId, UserId};
use trellis_triage::rules::{Action, Condition, EvalContext, Evaluation, Rule, RuleId, RuleSet};

fn run(rules: Vec<Rule>, text: &str) -> Evaluation {
    let calendars = calendars();
    let set = RuleSet::compile(rules, &calendars).unwrap();
    let message = facts(text);
    set.evaluate(&message, &EvalContext { calendars: &calendars, now: message.created_at })
}

fn contains(needle: &str) -> Condition {
    Condition::TextContains { any_of: vec![needle.to_owned()] }
}

#[test]
fn every_action_records_the_rule_that_took_it_in_order() {
    let rules = vec![
        rule(1, vec![contains("refund")], vec![Action::AddTag { tag: tag("billing") }]),
        rule(2, vec![contains("parcel")], vec![Action::AddTag { tag: tag("shipping") }]),
        rule(
            3,
            vec![],
            vec![
                Action::ApplySlaPolicy { policy_id: 4 },
                Action::RouteToTeam { team_id: TeamId(2) },
            ],
        ),
    ];
    let evaluation = run(rules, "refund please");
    assert_eq!(evaluation.matched, vec![RuleId(1), RuleId(3)]);
    let provenance: Vec<_> =
        evaluation.actions.iter().map(|a| (a.rule_id.0, &*a.rule_name, a.action.clone())).collect();
    assert_eq!(
        provenance,
        vec![
            (1, "rule 1", Action::AddTag { tag: tag("billing") }),
            (3, "rule 3", Action::ApplySlaPolicy { policy_id: 4 }),
            (3, "rule 3", Action::RouteToTeam { team_id: TeamId(2) }),
        ]
    );
    assert_eq!(evaluation.stopped_by, None);
}

#[test]
fn a_rule_that_stops_processing_keeps_later_rules_from_running() {
    let mut spam = rule(
        1,
        vec![contains("free crypto")],
        vec![Action::SetStatus { status: ConversationStatus::Resolved }],
    );
    spam.stop_processing = true;
    let rules = vec![spam, rule(2, vec![], vec![Action::AssignToUser { user_id: UserId(5) }])];
    let evaluation = run(rules.clone(), "FREE CRYPTO here");
    assert_eq!(evaluation.matched, vec![RuleId(1)]);
    assert_eq!(evaluation.stopped_by, Some(RuleId(1)));
    assert_eq!(evaluation.actions.len(), 1);
    // A stopping rule that does not match stops nothing.
    let evaluation = run(rules, "hello");
    assert_eq!(evaluation.matched, vec![RuleId(2)]);
    assert_eq!(evaluation.stopped_by, None);
}

#[test]
fn later_rules_see_what_earlier_rules_did() {
    let rules = vec![
        rule(1, vec![contains("outage")], vec![Action::SetPriority { priority: Priority::Urgent }]),
        rule(
            2,
            vec![Condition::Priority { any_of: vec![Priority::Urgent] }],
            vec![Action::RouteToTeam { team_id: TeamId(9) }],
        ),
        rule(
            3,
            vec![Condition::TextMatchesQuery { query: "team:9 is:unassigned".into() }],
            vec![Action::AddTag { tag: tag("incident") }],
        ),
        rule(
            4,
            vec![Condition::ConversationHasTag { any_of: vec![tag("incident")] }],
            vec![Action::AssignToUser { user_id: UserId(1) }],
        ),
    ];
    let evaluation = run(rules.clone(), "is there an outage?");
    assert_eq!(evaluation.matched, vec![RuleId(1), RuleId(2), RuleId(3), RuleId(4)]);
    let evaluation = run(rules, "all good");
    assert!(evaluation.matched.is_empty());
}

#[test]
fn an_earlier_rule_removing_a_tag_hides_it_from_later_rules() {
    let rules = vec![
        rule(
            1,
            vec![],
            vec![Action::AddTag { tag: tag("triaged") }, Action::RemoveTag { tag: tag("triaged") }],
        ),
        rule(2, vec![Condition::ConversationHasTag { any_of: vec![tag("triaged")] }], vec![flag()]),
    ];
    assert_eq!(run(rules, "hi").matched, vec![RuleId(1)]);
}

#[test]
fn conflicting_actions_resolve_to_the_last_one() {
    let rules = vec![
        rule(
            1,
            vec![],
            vec![
                Action::SetPriority { priority: Priority::High },
                Action::AddTag { tag: tag("a") },
            ],
        ),
        rule(
            2,
            vec![],
            vec![
                Action::SetPriority { priority: Priority::Low },
                Action::RemoveTag { tag: tag("a") },
                Action::AddTag { tag: tag("b") },
                Action::AssignToUser { user_id: UserId(3) },
            ],
        ),
    ];
    let patch = run(rules, "hi").patch();
    assert_eq!(patch.priority, Some(Priority::Low));
    assert_eq!(patch.add_tags, vec![tag("b")]);
    assert_eq!(patch.remove_tags, vec![tag("a")]);
    assert_eq!(patch.assignee_id, Some(Some(UserId(3))));
    assert_eq!(patch.status, None);
}

#[test]
fn disabled_rules_are_skipped() {
    let mut off = rule(1, vec![], vec![flag()]);
    off.enabled = false;
    assert!(run(vec![off, rule(2, vec![contains("nope")], vec![flag()])], "hi").matched.is_empty());
}

#[test]
fn an_evaluation_is_stamped_with_the_runs_time() {
    let calendars = calendars();
    let set = RuleSet::compile(vec![], &calendars).unwrap();
    let now = at("2025-03-24T12:00:00Z");
    let evaluation = set.evaluate(&facts("hi"), &EvalContext { calendars: &calendars, now });
    assert_eq!(evaluation.evaluated_at, Some(now));
}

#[test]
fn a_calendar_removed_after_compiling_answers_neither_within_nor_outside() {
    let known = calendars();
    let rules = vec![
        rule(
            1,
            vec![Condition::WithinBusinessHours { calendar: "support-eu".into() }],
            vec![flag()],
        ),
        rule(
            2,
            vec![Condition::OutsideBusinessHours { calendar: "support-eu".into() }],
            vec![flag()],
        ),
    ];
    let set = RuleSet::compile(rules, &known).unwrap();
    let empty = Default::default();
    let message = facts("hi");
    let evaluation =
        set.evaluate(&message, &EvalContext { calendars: &empty, now: message.created_at });
    assert!(evaluation.matched.is_empty());
}
