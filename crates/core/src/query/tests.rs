use super::*;
use crate::conversation::AssigneeFilter;
use crate::ids::UserId;
use chrono::TimeZone;
use proptest::prelude::*;

fn term(text: &str) -> Literal {
    Literal { negated: false, atom: Atom::Term(text.to_owned()) }
}

fn filter(filter: Filter) -> Literal {
    Literal { negated: false, atom: Atom::Filter(filter) }
}

fn single(query: &str) -> Literal {
    let parsed = parse(query).unwrap();
    assert_eq!(parsed.clauses.len(), 1, "{parsed:?}");
    assert_eq!(parsed.clauses[0].any_of.len(), 1, "{parsed:?}");
    parsed.clauses[0].any_of[0].clone()
}

#[test]
fn an_empty_query_has_no_clauses() {
    assert_eq!(parse("   ").unwrap(), Query::default());
}

#[test]
fn words_are_ands_of_terms_kept_as_typed() {
    let query = parse("Refund #BlackFriday @AcmeSupport acme.com").unwrap();
    let literals: Vec<_> = query.literals().cloned().collect();
    assert_eq!(
        literals,
        vec![term("Refund"), term("#BlackFriday"), term("@AcmeSupport"), term("acme.com")]
    );
    assert_eq!(query.clauses.len(), 4);
}

#[test]
fn quoted_words_make_a_phrase_and_a_dash_negates() {
    assert_eq!(
        single(r#"-"gift card""#),
        Literal { negated: true, atom: Atom::Phrase("gift card".into()) }
    );
    assert_eq!(single("-spam"), Literal { negated: true, atom: Atom::Term("spam".into()) });
    assert_eq!(
        single("-channel:x"),
        Literal { negated: true, atom: Atom::Filter(Filter::Channel(Channel::X)) }
    );
}

#[test]
fn or_joins_its_neighbours_into_one_clause() {
    let query = parse("refund channel:x OR channel:facebook").unwrap();
    assert_eq!(query.clauses.len(), 2);
    assert_eq!(
        query.clauses[1].any_of,
        vec![filter(Filter::Channel(Channel::X)), filter(Filter::Channel(Channel::Facebook))]
    );
}

#[test]
fn a_dangling_or_is_refused() {
    assert_eq!(parse("OR refund"), Err(QueryError::DanglingOr));
    assert_eq!(parse("refund OR"), Err(QueryError::DanglingOr));
    assert_eq!(parse("a OR OR b"), Err(QueryError::DanglingOr));
}

#[test]
fn from_accepts_a_handle_with_or_without_at_sign() {
    let jane = Handle::parse("Jane").unwrap();
    assert_eq!(single("from:@Jane"), filter(Filter::From(jane.clone())));
    assert_eq!(single("from:Jane"), filter(Filter::From(jane)));
}

#[test]
fn every_filter_key_parses_its_value() {
    assert_eq!(single("account:7"), filter(Filter::Account(AccountId(7))));
    assert_eq!(single("team:3"), filter(Filter::Team(TeamId(3))));
    assert_eq!(single("team:none"), filter(Filter::NoTeam));
    assert_eq!(single("tag:#Billing"), filter(Filter::Tag(TagName::parse("billing").unwrap())));
    assert_eq!(single("status:Pending"), filter(Filter::Status(ConversationStatus::Pending)));
    assert_eq!(single("assignee:12"), filter(Filter::Assignee(AssigneeFilter::User(UserId(12)))));
    assert_eq!(single("assignee:none"), filter(Filter::Assignee(AssigneeFilter::Unassigned)));
    assert_eq!(single("is:unassigned"), filter(Filter::Assignee(AssigneeFilter::Unassigned)));
    assert_eq!(single("is:assigned"), filter(Filter::Assigned));
    assert_eq!(single("priority:urgent"), filter(Filter::Priority(Priority::Urgent)));
    assert_eq!(single("kind:direct_message"), filter(Filter::Kind(MessageKind::DirectMessage)));
    assert_eq!(single("direction:outbound"), filter(Filter::Direction(Direction::Outbound)));
    assert_eq!(single(r#"tag:"vip""#), filter(Filter::Tag(TagName::parse("vip").unwrap())));
}

#[test]
fn dates_are_utc_midnights_before_exclusive_after_inclusive() {
    let midnight = Utc.with_ymd_and_hms(2024, 11, 29, 0, 0, 0).unwrap();
    assert_eq!(single("before:2024-11-29"), filter(Filter::CreatedBefore(midnight)));
    assert_eq!(single("after:2024-11-29"), filter(Filter::CreatedOnOrAfter(midnight)));
}

#[test]
fn a_misspelt_status_names_the_token_and_the_choices() {
    let err = parse("refund status:opne").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unknown status "opne", expected one of: open pending snoozed resolved (in "status:opne")"#
    );
}

#[test]
fn an_unknown_filter_key_is_refused_with_the_known_ones() {
    let err = parse("colour:red").unwrap_err();
    assert!(matches!(&err, QueryError::UnknownFilter { key, .. } if key == "colour"), "{err}");
    assert!(err.to_string().contains("from channel account"), "{err}");
}

#[test]
fn bad_values_are_refused_not_guessed() {
    for bad in [
        "account:abc",
        "account:-3",
        "before:2024-13-01",
        "after:yesterday",
        "tag:two/words!",
        "from:@",
        "is:open",
        "kind:tweet",
    ] {
        assert!(
            matches!(
                parse(bad),
                Err(QueryError::BadValue { .. } | QueryError::MissingValue { .. })
            ),
            "{bad} parsed as {:?}",
            parse(bad)
        );
    }
    assert_eq!(parse("status:"), Err(QueryError::MissingValue { token: "status:".into() }));
}

#[test]
fn colons_that_are_not_filters_stay_text() {
    assert_eq!(single("https://acme.com/help"), term("https://acme.com/help"));
    assert_eq!(single("10:30"), term("10:30"));
    assert_eq!(single("Note:"), term("Note:"));
    assert_eq!(single(":)"), term(":)"));
}

#[test]
fn has_text_ignores_filters_and_negations() {
    assert!(!parse("status:open -spam").unwrap().has_text());
    assert!(parse("status:open refund").unwrap().has_text());
}

#[test]
fn the_canonical_spelling_parses_back_to_the_same_query() {
    let input = r#"refund -"gift card" from:Jane channel:x OR -tag:vip is:unassigned before:2024-01-02 assignee:4 team:none"#;
    let query = parse(input).unwrap();
    let spelled = query.to_string();
    assert_eq!(parse(&spelled).unwrap(), query, "{spelled}");
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(input in "\\PC{0,64}") {
        let _ = parse(&input);
    }

    #[test]
    fn query_like_input_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("OR".to_owned()),
                Just("-".to_owned()),
                Just("\"".to_owned()),
                "[a-z]{1,6}:[a-z0-9@#\"-]{0,8}",
                "[a-zA-Z#@]{1,8}",
            ],
            0..8,
        )
    ) {
        let _ = parse(&parts.join(" "));
    }
}
