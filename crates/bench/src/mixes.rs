//! The timed mixes against trellis: searches through `SearchIndex::search` on a blocking thread
//! (as the server runs them) and conversation lists through `Store::list_conversations`.

use crate::corpus::TAGS;
use crate::measure::Samples;
use crate::queries::BenchQuery;
use crate::report::{ListCase, ListFigures, QueryResult, SearchFigures};
use std::sync::Arc;
use std::time::Instant;
use trellis_core::{
    AccountId, AssigneeFilter, Channel, ConversationFilter, ConversationStatus, PageCursor,
    SearchIndex, SearchRequest, SearchResults, SortOrder, Store, TagName, UserId,
};

pub const SEARCH_LIMIT: usize = 25;

async fn search_once<I: SearchIndex>(index: &Arc<I>, query: &str) -> anyhow::Result<SearchResults> {
    let index = index.clone();
    let request = SearchRequest {
        query: query.to_owned(),
        sort: SortOrder::Relevance,
        limit: SEARCH_LIMIT,
        offset: 0,
        brands: None,
    };
    Ok(tokio::task::spawn_blocking(move || index.search(&request)).await??)
}

/// One warming pass (which also records totals and hits), then `repetitions` timed passes.
pub async fn search_mix<I: SearchIndex>(
    index: &Arc<I>,
    queries: &[BenchQuery],
    repetitions: usize,
) -> anyhow::Result<SearchFigures> {
    let mut results = Vec::with_capacity(queries.len());
    for query in queries {
        let found = search_once(index, &query.trellis).await?;
        results.push(found);
    }
    let mut per_query = vec![Samples::default(); queries.len()];
    for _ in 0..repetitions {
        for (index_in_mix, query) in queries.iter().enumerate() {
            let started = Instant::now();
            search_once(index, &query.trellis).await?;
            per_query[index_in_mix].push(started.elapsed());
        }
    }
    let mut all = Samples::default();
    let figures = queries
        .iter()
        .zip(results)
        .zip(&per_query)
        .map(|((query, found), samples)| {
            all.extend(samples);
            QueryResult {
                name: query.name,
                query: query.trellis.clone(),
                total: found.total,
                hits: found.hits.len(),
                snippets: found.hits.iter().all(|hit| !hit.snippet_html.is_empty()),
                latency: samples.summary(),
            }
        })
        .collect();
    Ok(SearchFigures { limit: SEARCH_LIMIT, latency: all.summary(), queries: figures })
}

/// The list views agents use most, each on its first page and, for the big ones, a deep page.
pub fn list_cases(
    account: AccountId,
    agent: UserId,
) -> Vec<(&'static str, u32, ConversationFilter)> {
    let base = ConversationFilter::default();
    let open = ConversationFilter { statuses: vec![ConversationStatus::Open], ..base.clone() };
    let tag = TagName::parse(TAGS[0]).ok();
    vec![
        ("all", 1, base.clone()),
        ("all", 20, base.clone()),
        ("open", 1, open.clone()),
        ("open", 10, open.clone()),
        ("open_x", 1, ConversationFilter { channels: vec![Channel::X], ..open.clone() }),
        ("account", 1, ConversationFilter { account: Some(account), ..base.clone() }),
        (
            "unassigned_open",
            1,
            ConversationFilter { assignee: Some(AssigneeFilter::Unassigned), ..open.clone() },
        ),
        (
            "mine",
            1,
            ConversationFilter { assignee: Some(AssigneeFilter::User(agent)), ..base.clone() },
        ),
        ("tagged", 1, ConversationFilter { tag, ..base.clone() }),
        (
            "pending_or_open",
            1,
            ConversationFilter {
                statuses: vec![ConversationStatus::Open, ConversationStatus::Pending],
                ..base
            },
        ),
    ]
}

/// Walks to each case's page once (untimed) to get its cursor, then times `repetitions` passes.
pub async fn list_mix(
    store: &Arc<dyn Store>,
    cases: Vec<(&'static str, u32, ConversationFilter)>,
    repetitions: usize,
) -> anyhow::Result<ListFigures> {
    let mut prepared: Vec<(&'static str, u32, ConversationFilter, usize)> = Vec::new();
    for (name, page, mut filter) in cases {
        let mut cursor: Option<PageCursor> = None;
        let mut reached = true;
        for _ in 1..page {
            filter.after = cursor;
            match store.list_conversations(&filter).await?.next {
                Some(next) => cursor = Some(next),
                None => {
                    reached = false;
                    break;
                }
            }
        }
        if !reached {
            // A small corpus has fewer pages; measure the deepest page there is.
            note_short_list(name, page);
        }
        filter.after = cursor;
        let items = store.list_conversations(&filter).await?.items.len();
        prepared.push((name, page, filter, items));
    }
    let mut per_case = vec![Samples::default(); prepared.len()];
    for _ in 0..repetitions {
        for (index, (_, _, filter, _)) in prepared.iter().enumerate() {
            let started = Instant::now();
            let page = store.list_conversations(filter).await?;
            per_case[index].push(started.elapsed());
            std::hint::black_box(page);
        }
    }
    let mut all = Samples::default();
    let cases = prepared
        .into_iter()
        .zip(&per_case)
        .map(|((name, page, _, items), samples)| {
            all.extend(samples);
            ListCase { name, page, items, latency: samples.summary() }
        })
        .collect();
    Ok(ListFigures { limit: ConversationFilter::DEFAULT_LIMIT, latency: all.summary(), cases })
}

fn note_short_list(name: &str, page: u32) {
    eprintln!("note: list case {name} has fewer than {page} pages; measuring its last page");
}
