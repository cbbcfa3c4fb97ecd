#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Previewing a draft rule over stored messages, and the search query that narrows them.

mod rules_common;

use rules_common::*;
use trellis_core::{Channel, Handle, MessageId, MessageKind, Priority};
use trellis_triage::rules::{
    Action, Condition, ConditionGroup, EvalContext, MatchMode, MessageFacts, RuleError, RuleSet,
};

fn stored(id: i64, text: &str) -> MessageFacts {
    MessageFacts { message_id: MessageId(id), ..facts(text) }
}

#[test]
fn a_preview_counts_matches_and_samples_what_would_happen() {
    let calendars = calendars();
    let context = EvalContext { calendars: &calendars, now: at("2025-03-30T00:00:00Z") };
    let mut draft = rule(
        9,
        vec![Condition::TextMatchesQuery { query: "refund".into() }],
        vec![Action::SetPriority { priority: Priority::High }],
    );
    // A draft is previewed even before it is switched on.
    draft.enabled = false;
    let messages =
        (1..=10).map(|id| stored(id, if id % 2 == 0 { "refund please" } else { "thanks!" }));
    let report = RuleSet::preview(draft, messages, &context, 3).unwrap();
    assert_eq!(report.scanned, 10);
    assert_eq!(report.matched, 5);
    let sampled: Vec<_> = report.samples.iter().map(|sample| sample.message_id.0).collect();
    assert_eq!(sampled, vec![2, 4, 6]);
    assert_eq!(report.samples[0].actions, vec![Action::SetPriority { priority: Priority::High }]);
    assert!(!report.samples[0].stops_processing);
}

#[test]
fn a_broken_draft_is_refused_instead_of_previewed() {
    let calendars = calendars();
    let context = EvalContext { calendars: &calendars, now: at("2025-03-30T00:00:00Z") };
    let draft = rule(
        9,
        vec![Condition::TextMatchesRegex { pattern: "[".into(), case_sensitive: false }],
        vec![],
    );
    let error = RuleSet::preview(draft, std::iter::empty(), &context, 3).unwrap_err();
    assert!(matches!(error, RuleError::BadRegex { .. }));
}

#[test]
fn the_prefilter_joins_what_an_all_group_can_say_in_the_query_language() {
    let draft = rule(
        1,
        vec![
            Condition::Channel { any_of: vec![Channel::X, Channel::Facebook] },
            Condition::TextMatchesQuery {
                query: "refund -\"gift card\" status:open after:2025-01-01".into(),
            },
            Condition::AuthorFollowersAtLeast { count: 100 },
            Condition::TextMatchesRegex { pattern: r"\d+".into(), case_sensitive: false },
        ],
        vec![],
    );
    assert_eq!(
        draft.search_prefilter().as_deref(),
        Some("direction:inbound channel:x OR channel:facebook refund after:2025-01-01")
    );
}

#[test]
fn an_any_group_is_one_or_clause_or_nothing() {
    let sayable = ConditionGroup {
        match_mode: MatchMode::Any,
        conditions: vec![
            Condition::Kind { any_of: vec![MessageKind::DirectMessage] },
            Condition::AuthorHandle { any_of: vec![Handle::parse("jane").unwrap()] },
        ],
    };
    let mut draft = rule(1, vec![], vec![]);
    draft.conditions = sayable.clone();
    assert_eq!(
        draft.search_prefilter().as_deref(),
        Some("direction:inbound kind:direct_message OR from:@jane")
    );
    let mut unsayable = sayable;
    unsayable.conditions.push(Condition::TextContains { any_of: vec!["refund".into()] });
    draft.conditions = unsayable;
    assert_eq!(draft.search_prefilter(), None);
}

#[test]
fn a_rule_without_sayable_conditions_has_no_prefilter() {
    let draft = rule(
        1,
        vec![
            Condition::AuthorVerified,
            Condition::Not { condition: Box::new(Condition::Channel { any_of: vec![Channel::X] }) },
        ],
        vec![],
    );
    assert_eq!(draft.search_prefilter(), None);
}

#[test]
fn every_message_a_rule_matches_also_matches_its_prefilter() {
    let draft = rule(
        1,
        vec![
            Condition::Channel { any_of: vec![Channel::X] },
            Condition::TextMatchesQuery { query: "refund OR chargeback -voucher".into() },
        ],
        vec![flag()],
    );
    let prefilter = draft.search_prefilter().unwrap();
    let as_rule = rule(2, vec![Condition::TextMatchesQuery { query: prefilter }], vec![flag()]);
    for text in ["refunds!", "a chargeback", "refund voucher", "nothing", "REFUNDED via voucher"] {
        let message = facts(text);
        let matched = query_rule_matches(&draft, &message);
        let candidate = query_rule_matches(&as_rule, &message);
        assert!(!matched || candidate, "{text}: matched by the rule but not its prefilter");
    }
}

fn query_rule_matches(rule: &trellis_triage::rules::Rule, message: &MessageFacts) -> bool {
    let calendars = calendars();
    let set = RuleSet::compile(vec![rule.clone()], &calendars).unwrap();
    !set.evaluate(message, &EvalContext { calendars: &calendars, now: message.created_at })
        .matched
        .is_empty()
}
