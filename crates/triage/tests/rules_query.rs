#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `text_matches_query`: the trellis query language evaluated against one message.

mod rules_common;

use rules_common::*;
use trellis_core::{Channel, ConversationStatus, MessageKind, Priority, TeamId, UserId};
use trellis_triage::rules::MessageFacts;

#[test]
fn every_term_must_appear_as_a_word() {
    let message = facts("My refund is late again");
    assert!(query_holds("refund late", &message));
    assert!(!query_holds("refund parcel", &message));
    // Words, not substrings: `fun` is not in `refund`.
    assert!(!query_holds("fun", &message));
}

#[test]
fn terms_fold_case_accents_and_stem_like_the_search_index() {
    assert!(query_holds("cafe", &facts("Best CAFÉ in town")));
    assert!(query_holds("refund", &facts("I was refunded twice")));
    assert!(query_holds("charging", &facts("you charged me")));
    assert!(query_holds("dont", &facts("I don't know")));
}

#[test]
fn a_phrase_needs_its_words_adjacent_and_in_order() {
    assert!(query_holds("\"gift card\"", &facts("my Gift-Card is empty")));
    assert!(!query_holds("\"gift card\"", &facts("a card as a gift")));
}

#[test]
fn negation_excludes_words_and_filters() {
    let message = facts("refund for my gift card");
    assert!(!query_holds("refund -\"gift card\"", &message));
    assert!(query_holds("refund -voucher", &message));
    assert!(!query_holds("refund -channel:x", &message));
    assert!(query_holds("refund -channel:facebook", &message));
}

#[test]
fn or_needs_one_side() {
    let message = facts("where is my parcel");
    assert!(query_holds("refund OR parcel", &message));
    assert!(!query_holds("refund OR voucher", &message));
    assert!(query_holds("channel:facebook OR channel:x", &message));
    assert!(query_holds("priority:urgent OR -channel:facebook", &message));
}

#[test]
fn hashtags_match_whole_and_their_body_matches_a_plain_word() {
    let message = facts("Deals for #BlackFriday!");
    assert!(query_holds("#blackfriday", &message));
    assert!(query_holds("blackfriday", &message));
    assert!(!query_holds("#blackfriday", &facts("blackfriday deals")));
}

#[test]
fn a_term_without_letters_matches_everything() {
    assert!(query_holds("!!!", &facts("hello")));
    assert!(!query_holds("-!!!", &facts("hello")));
}

#[test]
fn message_filters_test_the_message() {
    let message = facts("hello");
    assert!(query_holds(
        "from:@JANEDOE channel:x account:1 kind:mention direction:inbound",
        &message
    ));
    assert!(!query_holds("from:bob", &message));
    assert!(!query_holds("kind:forum_post", &message));
    assert!(query_holds("after:2025-03-24 before:2025-03-25", &message));
    assert!(!query_holds("after:2025-03-25", &message));
    let forum =
        MessageFacts { channel: Channel::Discourse, kind: MessageKind::ForumPost, ..message };
    assert!(query_holds("channel:discourse kind:forum_post", &forum));
}

#[test]
fn conversation_filters_test_the_conversation() {
    let message = MessageFacts {
        status: ConversationStatus::Pending,
        priority: Priority::High,
        assignee_id: Some(UserId(7)),
        team_id: Some(TeamId(2)),
        conversation_tags: vec![tag("billing")],
        ..facts("hello")
    };
    assert!(query_holds(
        "status:pending priority:high assignee:7 team:2 tag:billing is:assigned",
        &message
    ));
    assert!(!query_holds("is:unassigned", &message));
    assert!(!query_holds("team:none", &message));
    assert!(!query_holds("tag:vip", &message));
    assert!(query_holds("is:unassigned team:none", &facts("hello")));
}
