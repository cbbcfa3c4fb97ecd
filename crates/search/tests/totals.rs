//! Totals are exact up to `EXACT_TOTAL_LIMIT` and a flagged lower bound past it; collecting the
//! page apart from the total (so tantivy can prune) returns the same page as exhaustive scoring.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{doc, request};
use trellis_core::{IndexDoc, SearchIndex, SearchRequest, Seq, SortOrder};
use trellis_search::{TantivyIndex, EXACT_TOTAL_LIMIT};

fn index_of(docs: Vec<IndexDoc>) -> TantivyIndex {
    let index = TantivyIndex::in_memory().unwrap();
    index.apply(docs, Seq(1)).unwrap();
    index
}

fn many(count: usize, text: &str) -> Vec<IndexDoc> {
    (1..=count as i64).map(|id| doc(id, text)).collect()
}

#[test]
fn a_total_at_the_limit_is_exact() {
    let index = index_of(many(EXACT_TOTAL_LIMIT, "refund please"));
    let results = request(&index, "refund", SortOrder::Relevance);
    assert_eq!(results.total, EXACT_TOTAL_LIMIT);
    assert!(results.total_is_exact);
    assert_eq!(results.hits.len(), 25);
}

#[test]
fn a_total_past_the_limit_is_a_flagged_lower_bound() {
    let index = index_of(many(EXACT_TOTAL_LIMIT + 1, "refund please"));
    for sort in [SortOrder::Relevance, SortOrder::Newest] {
        let results = request(&index, "refund", sort);
        assert_eq!(results.total, EXACT_TOTAL_LIMIT, "{sort:?}");
        assert!(!results.total_is_exact, "{sort:?}");
        assert_eq!(results.hits.len(), 25, "{sort:?}");
    }
}

#[test]
fn deleted_messages_do_not_count_toward_the_limit() {
    let mut docs = many(EXACT_TOTAL_LIMIT + 1, "refund please");
    docs[17].deleted = true;
    let index = index_of(docs);
    let results = request(&index, "refund", SortOrder::Relevance);
    assert_eq!(results.total, EXACT_TOTAL_LIMIT);
    assert!(results.total_is_exact);
}

#[test]
fn a_deleted_best_match_is_never_on_the_page() {
    let mut docs = many(300, "a refund among a few other words");
    docs.push(IndexDoc { deleted: true, ..doc(1_000, "refund refund refund") });
    let index = index_of(docs);
    let results = request(&index, "refund", SortOrder::Relevance);
    assert!(results.hits.iter().all(|hit| hit.message_id.0 != 1_000));
    assert_eq!(results.total, 300);
}

/// Texts of varied length and repetition, so BM25 scores differ and pruning has blocks to skip.
fn varied(id: i64) -> IndexDoc {
    let repeats = (id * 7 % 5) as usize;
    let filler = "word ".repeat((id * 13 % 40) as usize);
    let text = format!("{}{filler}shipping news", "refund ".repeat(repeats));
    IndexDoc { deleted: id % 11 == 0, ..doc(id, &text) }
}

#[test]
fn the_pruned_page_matches_exhaustive_scoring_across_segments() {
    let index = TantivyIndex::in_memory().unwrap();
    for (batch, ids) in [(1, 1..=2_000), (2, 2_001..=4_000), (3, 4_001..=6_000)] {
        index.apply(ids.map(varied).collect(), Seq(batch)).unwrap();
    }
    let page = |query: &str, offset| {
        let request = SearchRequest {
            query: query.into(),
            sort: SortOrder::Relevance,
            limit: 50,
            offset,
            brands: None,
        };
        let results = index.search(&request).unwrap();
        results.hits.iter().map(|hit| (hit.message_id.0, hit.score)).collect::<Vec<_>>()
    };
    // A filter that keeps every document turns the query into an intersection, which tantivy
    // scores exhaustively; the scores are the same because filters score zero.
    let exhaustive = "after:2000-01-01";
    for offset in [0, 50, 500] {
        let pruned = page("refund", offset);
        assert_eq!(pruned.len(), 50);
        assert_eq!(pruned, page(&format!("refund {exhaustive}"), offset), "offset {offset}");
    }
}
