//! The query language against the index: filters, negation, OR, phrases, dates, sorting,
//! snippets, deleted messages and bad queries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{TimeZone, Utc};
use common::{doc, ids, request, tag};
use trellis_core::{
    AccountId, Channel, ConversationStatus, MessageKind, Priority, SearchError, SearchIndex,
    SearchRequest, Seq, SortOrder, TeamId, UserId,
};
use trellis_search::TantivyIndex;

/// Five messages that differ in one field each from the plain `doc`.
fn sample() -> TantivyIndex {
    let index = TantivyIndex::in_memory().unwrap();
    let mut facebook = doc(2, "refund please, the gift card failed");
    facebook.channel = Channel::Facebook;
    facebook.kind = MessageKind::Comment;
    facebook.author_handle = Some("Jane.Doe".into());
    facebook.status = ConversationStatus::Pending;
    facebook.tags = vec![tag("billing"), tag("vip")];
    facebook.assignee_id = Some(UserId(7));
    facebook.team_id = Some(TeamId(3));
    facebook.created_at = Utc.with_ymd_and_hms(2024, 11, 29, 0, 0, 0).unwrap();
    let mut urgent = doc(3, "refund for my broken <blender> & more");
    urgent.priority = Priority::Urgent;
    urgent.account_id = AccountId(2);
    urgent.created_at = Utc.with_ymd_and_hms(2024, 11, 28, 23, 59, 59).unwrap();
    let mut deleted = doc(4, "refund spam that was deleted");
    deleted.deleted = true;
    let mut topic = doc(5, "the new firmware bricked it");
    topic.channel = Channel::Discourse;
    topic.subject = Some("Refund after firmware update".into());
    topic.created_at = Utc.with_ymd_and_hms(2024, 12, 1, 8, 0, 0).unwrap();
    let docs = vec![doc(1, "where is my refund?"), facebook, urgent, deleted, topic];
    index.apply(docs, Seq(9)).unwrap();
    index
}

#[test]
fn a_term_matches_text_and_subject_but_never_deleted_messages() {
    assert_eq!(ids(&sample(), "refund"), vec![1, 2, 3, 5]);
}

#[test]
fn filters_narrow_by_structured_fields() {
    let index = sample();
    assert_eq!(ids(&index, "refund channel:facebook"), vec![2]);
    assert_eq!(ids(&index, "from:@jane.doe"), vec![2]);
    assert_eq!(ids(&index, "from:JANE.DOE"), vec![2]);
    assert_eq!(ids(&index, "tag:vip"), vec![2]);
    assert_eq!(ids(&index, "tag:#Billing"), vec![2]);
    assert_eq!(ids(&index, "status:pending"), vec![2]);
    assert_eq!(ids(&index, "assignee:7"), vec![2]);
    assert_eq!(ids(&index, "is:assigned"), vec![2]);
    assert_eq!(ids(&index, "is:unassigned"), vec![1, 3, 5]);
    assert_eq!(ids(&index, "assignee:none"), vec![1, 3, 5]);
    assert_eq!(ids(&index, "team:3"), vec![2]);
    assert_eq!(ids(&index, "team:none refund"), vec![1, 3, 5]);
    assert_eq!(ids(&index, "priority:urgent"), vec![3]);
    assert_eq!(ids(&index, "account:2"), vec![3]);
    assert_eq!(ids(&index, "kind:comment"), vec![2]);
    assert_eq!(ids(&index, "direction:outbound"), Vec::<i64>::new());
}

#[test]
fn negation_excludes_terms_phrases_and_filters() {
    let index = sample();
    assert_eq!(ids(&index, "refund -channel:x"), vec![2, 5]);
    assert_eq!(ids(&index, r#"refund -"gift card""#), vec![1, 3, 5]);
    assert_eq!(ids(&index, "refund -blender"), vec![1, 2, 5]);
    assert_eq!(ids(&index, "-refund"), Vec::<i64>::new());
}

#[test]
fn or_accepts_either_side() {
    let index = sample();
    assert_eq!(ids(&index, "channel:facebook OR channel:discourse"), vec![2, 5]);
    assert_eq!(ids(&index, "blender OR firmware"), vec![3, 5]);
    assert_eq!(ids(&index, "refund priority:urgent OR -channel:x"), vec![2, 3, 5]);
}

#[test]
fn a_phrase_needs_its_words_adjacent_and_in_order() {
    let index = sample();
    assert_eq!(ids(&index, r#""gift card""#), vec![2]);
    assert_eq!(ids(&index, r#""card gift""#), Vec::<i64>::new());
}

#[test]
fn before_is_exclusive_and_after_inclusive_at_utc_midnight() {
    let index = sample();
    assert_eq!(ids(&index, "after:2024-11-29"), vec![2, 5]);
    assert_eq!(ids(&index, "before:2024-11-29"), vec![1, 3]);
    assert_eq!(ids(&index, "after:2024-11-16 before:2024-12-01"), vec![2, 3]);
}

#[test]
fn newest_first_sorts_by_creation_time() {
    let results = request(&sample(), "refund", SortOrder::Newest);
    let order: Vec<i64> = results.hits.iter().map(|hit| hit.message_id.0).collect();
    assert_eq!(order, vec![5, 2, 3, 1]);
    assert_eq!(results.total, 4);
}

#[test]
fn relevance_puts_the_best_match_first() {
    let index = TantivyIndex::in_memory().unwrap();
    let docs = vec![
        doc(1, "refund refund refund, I need a refund"),
        doc(2, "a long message about many things where refund appears only once among words"),
    ];
    index.apply(docs, Seq(1)).unwrap();
    let results = request(&index, "refund", SortOrder::Relevance);
    assert_eq!(results.hits[0].message_id.0, 1);
    assert!(results.hits[0].score > results.hits[1].score);
}

#[test]
fn the_total_counts_beyond_the_page() {
    let index = TantivyIndex::in_memory().unwrap();
    index.apply((1..=60).map(|i| doc(i, "same words")).collect(), Seq(1)).unwrap();
    let page = index
        .search(&SearchRequest {
            query: "same".into(),
            sort: SortOrder::Newest,
            limit: 25,
            offset: 50,
            brands: None,
        })
        .unwrap();
    assert_eq!(page.total, 60);
    assert_eq!(page.hits.len(), 10);
}

#[test]
fn snippets_mark_matches_and_escape_html() {
    let results = request(&sample(), "blender", SortOrder::Relevance);
    assert_eq!(
        results.hits[0].snippet_html,
        "refund for my broken &lt;<mark>blender</mark>&gt; &amp; more"
    );
}

#[test]
fn a_filter_only_query_shows_the_start_of_the_text() {
    let results = request(&sample(), "priority:urgent", SortOrder::Relevance);
    assert_eq!(results.hits[0].snippet_html, "refund for my broken &lt;blender&gt; &amp; more");
}

#[test]
fn hits_carry_what_the_inbox_lists() {
    let results = request(&sample(), "gift", SortOrder::Relevance);
    let hit = &results.hits[0];
    assert_eq!(hit.conversation_id.0, 20);
    assert_eq!(hit.channel, Channel::Facebook);
    assert_eq!(hit.author_handle.as_deref(), Some("Jane.Doe"));
    assert_eq!(hit.created_at, Utc.with_ymd_and_hms(2024, 11, 29, 0, 0, 0).unwrap());
}

#[test]
fn an_invalid_query_says_why() {
    let error = sample()
        .search(&SearchRequest {
            query: "status:opne".into(),
            sort: SortOrder::Relevance,
            limit: 25,
            offset: 0,
            brands: None,
        })
        .unwrap_err();
    match error {
        SearchError::InvalidQuery(message) => assert!(message.contains("opne"), "{message}"),
        other => panic!("expected an invalid query, got {other:?}"),
    }
}

#[test]
fn applying_a_document_again_replaces_it() {
    let index = sample();
    let mut edited = doc(1, "where is my parcel?");
    edited.tags = vec![tag("shipping")];
    index.apply(vec![edited], Seq(10)).unwrap();
    assert_eq!(ids(&index, "refund"), vec![2, 3, 5]);
    assert_eq!(ids(&index, "parcel tag:shipping"), vec![1]);
    assert_eq!(index.doc_count().unwrap(), 5);
    assert_eq!(index.committed_seq().unwrap(), Seq(10));
}

#[test]
fn clear_empties_the_index_and_resets_the_seq() {
    let index = sample();
    index.clear().unwrap();
    assert_eq!(index.doc_count().unwrap(), 0);
    assert_eq!(index.committed_seq().unwrap(), Seq(0));
    assert_eq!(ids(&index, "refund"), Vec::<i64>::new());
}

#[test]
fn a_brand_scope_limits_every_query_and_cannot_be_lifted_by_it() {
    let index = TantivyIndex::in_memory().unwrap();
    let mut other = doc(2, "refund for the other brand");
    other.brand_id = trellis_core::BrandId(2);
    index.apply(vec![doc(1, "refund for the first brand"), other], Seq(3)).unwrap();
    let scoped = |query: &str, brands: Option<Vec<i64>>| {
        let request = SearchRequest {
            query: query.to_owned(),
            sort: SortOrder::Relevance,
            limit: 25,
            offset: 0,
            brands: brands.map(|ids| ids.into_iter().map(trellis_core::BrandId).collect()),
        };
        let mut found: Vec<i64> =
            index.search(&request).unwrap().hits.iter().map(|hit| hit.message_id.0).collect();
        found.sort_unstable();
        found
    };
    assert_eq!(scoped("refund", None), [1, 2]);
    assert_eq!(scoped("refund", Some(vec![2])), [2]);
    assert_eq!(scoped("refund OR brand", Some(vec![1])), [1]);
    assert_eq!(scoped("-nothing", Some(vec![1])), [1], "an exclusion alone stays in scope");
    assert_eq!(scoped("channel:x", Some(vec![2])), [2]);
    assert_eq!(scoped("refund", Some(vec![])), Vec::<i64>::new(), "no brand finds nothing");
    assert_eq!(scoped("refund", Some(vec![1, 2])), [1, 2]);
}
