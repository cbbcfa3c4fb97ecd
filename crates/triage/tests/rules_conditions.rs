#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Each condition kind, true and false, and how groups combine them.

mod rules_common;

use rules_common::*;
use trellis_core::{
    AccountId, Channel, ConversationStatus, Direction, Handle, MessageKind, Priority,
};
use trellis_triage::rules::{Condition, ConditionGroup, MatchMode, MessageFacts};

#[test]
fn a_channel_condition_holds_only_for_listed_channels() {
    let x = facts("hi");
    assert!(holds(Condition::Channel { any_of: vec![Channel::Facebook, Channel::X] }, &x));
    assert!(!holds(Condition::Channel { any_of: vec![Channel::Discourse] }, &x));
}

#[test]
fn an_account_condition_holds_only_for_listed_accounts() {
    assert!(holds(Condition::Account { any_of: vec![AccountId(1)] }, &facts("hi")));
    assert!(!holds(Condition::Account { any_of: vec![AccountId(2)] }, &facts("hi")));
}

#[test]
fn a_kind_condition_tells_a_mention_from_a_direct_message() {
    let dm = Condition::Kind { any_of: vec![MessageKind::DirectMessage] };
    assert!(!holds(dm.clone(), &facts("hi")));
    let message = MessageFacts { kind: MessageKind::DirectMessage, ..facts("hi") };
    assert!(holds(dm, &message));
}

#[test]
fn text_contains_ignores_case_and_accents_on_both_sides() {
    let condition = Condition::TextContains { any_of: vec!["Café Crème".into()] };
    assert!(holds(condition.clone(), &facts("I LOVE YOUR CAFE CREME")));
    assert!(holds(condition.clone(), &facts("le café crème était froid")));
    assert!(!holds(condition, &facts("the coffee was cold")));
}

#[test]
fn text_contains_finds_substrings_of_words() {
    let condition = Condition::TextContains { any_of: vec!["refund".into(), "chargeback".into()] };
    assert!(holds(condition.clone(), &facts("I was REFUNDED twice")));
    assert!(!holds(condition, &facts("where is my parcel")));
}

#[test]
fn a_regex_matches_the_text_as_written_case_insensitively_by_default() {
    let order =
        Condition::TextMatchesRegex { pattern: r"order\s*#?\d{6}".into(), case_sensitive: false };
    assert!(holds(order.clone(), &facts("Problem with ORDER #123456")));
    assert!(!holds(order, &facts("Problem with order #12")));
    let strict = Condition::TextMatchesRegex { pattern: "URGENT".into(), case_sensitive: true };
    assert!(holds(strict.clone(), &facts("URGENT: help")));
    assert!(!holds(strict, &facts("urgent: help")));
}

#[test]
fn a_language_condition_accepts_regional_forms() {
    let english = Condition::Language { any_of: vec!["EN".into()] };
    let british = MessageFacts { lang: Some("en-GB".into()), ..facts("hi") };
    assert!(holds(english.clone(), &british));
    let estonian = MessageFacts { lang: Some("et".into()), ..facts("tere") };
    assert!(!holds(english.clone(), &estonian));
    let unknown = MessageFacts { lang: None, ..facts("hi") };
    assert!(!holds(english, &unknown));
}

#[test]
fn an_author_handle_condition_ignores_case_and_the_at_sign() {
    let jane = Condition::AuthorHandle { any_of: vec![Handle::parse("@janedoe").unwrap()] };
    assert!(holds(jane, &facts("hi")));
    let bob = Condition::AuthorHandle { any_of: vec![Handle::parse("bob").unwrap()] };
    assert!(!holds(bob, &facts("hi")));
}

#[test]
fn a_follower_threshold_is_inclusive_and_fails_when_unknown() {
    assert!(holds(Condition::AuthorFollowersAtLeast { count: 1_200 }, &facts("hi")));
    assert!(!holds(Condition::AuthorFollowersAtLeast { count: 1_201 }, &facts("hi")));
    let unknown = MessageFacts { author_follower_count: None, ..facts("hi") };
    assert!(!holds(Condition::AuthorFollowersAtLeast { count: 0 }, &unknown));
}

#[test]
fn a_verified_condition_holds_only_for_verified_authors() {
    assert!(!holds(Condition::AuthorVerified, &facts("hi")));
    let verified = MessageFacts { author_verified: true, ..facts("hi") };
    assert!(holds(Condition::AuthorVerified, &verified));
}

#[test]
fn contact_and_conversation_tags_are_tested_separately() {
    let vip = MessageFacts { contact_tags: vec![tag("vip")], ..facts("hi") };
    assert!(holds(Condition::ContactHasTag { any_of: vec![tag("VIP")] }, &vip));
    assert!(!holds(Condition::ConversationHasTag { any_of: vec![tag("vip")] }, &vip));
    let billing = MessageFacts { conversation_tags: vec![tag("billing")], ..facts("hi") };
    assert!(holds(Condition::ConversationHasTag { any_of: vec![tag("billing")] }, &billing));
    assert!(!holds(Condition::ContactHasTag { any_of: vec![tag("billing")] }, &billing));
}

#[test]
fn status_and_priority_conditions_test_the_conversation() {
    let pending = MessageFacts {
        status: ConversationStatus::Pending,
        priority: Priority::Urgent,
        ..facts("hi")
    };
    assert!(holds(
        Condition::ConversationStatus { any_of: vec![ConversationStatus::Pending] },
        &pending
    ));
    assert!(!holds(
        Condition::ConversationStatus { any_of: vec![ConversationStatus::Open] },
        &pending
    ));
    assert!(holds(
        Condition::Priority { any_of: vec![Priority::High, Priority::Urgent] },
        &pending
    ));
    assert!(!holds(Condition::Priority { any_of: vec![Priority::Low] }, &pending));
}

#[test]
fn business_hours_are_read_in_the_calendars_zone_at_the_message_time() {
    let within = Condition::WithinBusinessHours { calendar: "support-eu".into() };
    let outside = Condition::OutsideBusinessHours { calendar: "support-eu".into() };
    // 10:00 in Berlin on a Monday: open.
    let monday = facts("hi");
    assert!(holds(within.clone(), &monday));
    assert!(!holds(outside.clone(), &monday));
    // 08:30 UTC is 09:30 in Berlin: open; 16:30 UTC is 17:30: closed.
    let morning = MessageFacts { created_at: at("2025-03-25T08:30:00Z"), ..facts("hi") };
    assert!(holds(within.clone(), &morning));
    let evening = MessageFacts { created_at: at("2025-03-25T16:30:00Z"), ..facts("hi") };
    assert!(!holds(within.clone(), &evening));
    assert!(holds(outside.clone(), &evening));
    let saturday = MessageFacts { created_at: at("2025-03-29T11:00:00+01:00"), ..facts("hi") };
    assert!(holds(outside, &saturday));
    assert!(!holds(within, &saturday));
}

#[test]
fn an_all_group_needs_every_condition_and_an_any_group_one() {
    let members = vec![
        Condition::Channel { any_of: vec![Channel::X] },
        Condition::TextContains { any_of: vec!["refund".into()] },
    ];
    let all = Condition::Group(ConditionGroup {
        match_mode: MatchMode::All,
        conditions: members.clone(),
    });
    let any = Condition::Group(ConditionGroup { match_mode: MatchMode::Any, conditions: members });
    assert!(holds(all.clone(), &facts("refund please")));
    assert!(!holds(all, &facts("hello")));
    assert!(holds(any.clone(), &facts("hello")));
    let forum = MessageFacts { channel: Channel::Discourse, ..facts("hello") };
    assert!(!holds(any, &forum));
}

#[test]
fn nested_groups_and_negation_compose() {
    // Verified, and talking about a refund or a chargeback, but not on Facebook.
    let condition = Condition::Group(ConditionGroup {
        match_mode: MatchMode::All,
        conditions: vec![
            Condition::AuthorVerified,
            Condition::Group(ConditionGroup {
                match_mode: MatchMode::Any,
                conditions: vec![
                    Condition::TextContains { any_of: vec!["refund".into()] },
                    Condition::TextContains { any_of: vec!["chargeback".into()] },
                ],
            }),
            Condition::Not {
                condition: Box::new(Condition::Channel { any_of: vec![Channel::Facebook] }),
            },
        ],
    });
    let verified =
        |text: &str, channel| MessageFacts { author_verified: true, channel, ..facts(text) };
    assert!(holds(condition.clone(), &verified("filing a chargeback", Channel::X)));
    assert!(!holds(condition.clone(), &verified("filing a chargeback", Channel::Facebook)));
    assert!(!holds(condition, &verified("love it", Channel::X)));
}

#[test]
fn an_empty_group_matches_every_message() {
    for match_mode in [MatchMode::All, MatchMode::Any] {
        let empty = Condition::Group(ConditionGroup { match_mode, conditions: vec![] });
        assert!(holds(empty, &facts("anything")));
    }
}

#[test]
fn an_outbound_message_triggers_nothing() {
    let reply = MessageFacts { direction: Direction::Outbound, ..facts("refund") };
    assert!(!holds(Condition::TextContains { any_of: vec!["refund".into()] }, &reply));
}
