//! Search latency on an existing index, for tuning without rebuilding a corpus: point
//! `TRELLIS_SEARCH_INDEX` at an index directory (e.g. a kept `trellis-bench --data-dir`'s
//! `trellis/index`) and run
//! `cargo test -p trellis-search --release --test latency -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;
use trellis_core::{SearchIndex, SearchRequest, SortOrder};
use trellis_search::TantivyIndex;

/// The broad text queries of the bench's mix, where latency is spent.
const QUERIES: [&str; 6] = [
    "refund",
    "\"order number\"",
    "shipping -delayed",
    "reset password",
    "subscription is:unassigned",
    "delivery after:2024-11-01 before:2024-11-15",
];

#[test]
#[ignore = "needs TRELLIS_SEARCH_INDEX pointing at a large index"]
fn broad_queries_on_an_existing_index() {
    let dir = std::env::var("TRELLIS_SEARCH_INDEX").expect("TRELLIS_SEARCH_INDEX");
    let (index, _) = TantivyIndex::open(std::path::Path::new(&dir)).unwrap();
    for query in QUERIES {
        let request = SearchRequest {
            query: query.into(),
            sort: SortOrder::Relevance,
            limit: 25,
            offset: 0,
            brands: None,
        };
        let found = index.search(&request).unwrap();
        let mut samples: Vec<f64> = (0..9)
            .map(|_| {
                let started = Instant::now();
                index.search(&request).unwrap();
                started.elapsed().as_secs_f64() * 1_000.0
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        println!(
            "{query:50} total {:>6}{} median {:6.2} ms max {:6.2} ms",
            found.total,
            if found.total_is_exact { " " } else { "+" },
            samples[4],
            samples[8]
        );
    }
}
