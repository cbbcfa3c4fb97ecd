#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Evaluation never panics, whatever people write.

mod rules_common;

use chrono::DateTime;
use proptest::prelude::*;
use rules_common::*;
use trellis_triage::rules::{Condition, EvalContext, MessageFacts, RuleSet};

fn rule_set() -> RuleSet {
    let rules = vec![
        rule(
            1,
            vec![Condition::TextContains { any_of: vec!["ÇA".into(), "東京".into()] }],
            vec![flag()],
        ),
        rule(
            2,
            vec![Condition::TextMatchesQuery {
                query: "refund -\"gift card\" OR #sale OR 東京".into(),
            }],
            vec![flag()],
        ),
        rule(
            3,
            vec![Condition::TextMatchesRegex {
                pattern: r"(?:\p{Emoji}|\d{3,})+".into(),
                case_sensitive: false,
            }],
            vec![flag()],
        ),
        rule(4, vec![Condition::Language { any_of: vec!["en".into()] }], vec![flag()]),
        rule(
            5,
            vec![Condition::WithinBusinessHours { calendar: "support-eu".into() }],
            vec![flag()],
        ),
    ];
    RuleSet::compile(rules, &calendars()).unwrap()
}

proptest! {
    #[test]
    fn evaluation_never_panics_on_arbitrary_text(text in any::<String>(), lang in proptest::option::of(any::<String>()), seconds in 0i64..4_000_000_000) {
        let set = rule_set();
        let calendars = calendars();
        let message = MessageFacts { lang, created_at: DateTime::from_timestamp(seconds, 0).unwrap(), ..facts(&text) };
        let evaluation = set.evaluate(&message, &EvalContext { calendars: &calendars, now: message.created_at });
        prop_assert!(evaluation.matched.len() <= 5);
        prop_assert_eq!(evaluation.actions.len(), evaluation.matched.len());
    }

    #[test]
    fn a_query_condition_never_panics_on_arbitrary_text_in_query_and_message(query in "[ -~é東\"#@:-]{0,40}", text in any::<String>()) {
        if let Ok(set) = RuleSet::compile(vec![rule(1, vec![Condition::TextMatchesQuery { query }], vec![flag()])], &calendars()) {
            let calendars = calendars();
            let message = facts(&text);
            let _ = set.evaluate(&message, &EvalContext { calendars: &calendars, now: message.created_at });
        }
    }
}
