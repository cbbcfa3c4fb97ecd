//! Indexing throughput and query latency on a synthetic corpus. Ignored by default (it wants an
//! optimized build); run with
//! `TRELLIS_BENCH_DOCS=1000000 cargo test -p trellis-search --release --test throughput -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration as Days;
use common::{doc, tag};
use std::time::{Duration, Instant};
use trellis_core::{
    Channel, ConversationStatus, IndexDoc, Priority, SearchIndex, SearchRequest, Seq, SortOrder,
    UserId,
};
use trellis_search::TantivyIndex;

/// A deterministic pseudo-random sequence (no dependency, same corpus every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

const WORDS: &[&str] = &[
    "refund",
    "order",
    "delivery",
    "late",
    "broken",
    "charged",
    "twice",
    "help",
    "account",
    "password",
    "reset",
    "love",
    "great",
    "terrible",
    "support",
    "waiting",
    "days",
    "still",
    "nothing",
    "app",
    "crash",
    "update",
    "firmware",
    "shipping",
    "parcel",
    "store",
    "price",
    "discount",
    "code",
    "gift",
    "card",
    "failed",
    "please",
    "thanks",
    "why",
    "when",
    "where",
    "customer",
    "service",
    "email",
    "reply",
    "phone",
    "call",
    "cancel",
    "subscription",
    "bill",
];

fn corpus_doc(rng: &mut Lcg, id: i64) -> IndexDoc {
    let length = 8 + rng.next(25);
    let mut text = String::new();
    for _ in 0..length {
        match rng.next(40) {
            0 => text.push_str("#BlackFriday"),
            1 => text.push_str("@AcmeSupport"),
            2 => text.push('🔥'),
            3 => text.push_str(&format!("w{}", rng.next(50_000))),
            _ => text.push_str(WORDS[rng.next(WORDS.len() as u64) as usize]),
        }
        text.push(' ');
    }
    let mut doc = doc(id, &text);
    doc.channel = [Channel::X, Channel::Facebook, Channel::Discourse][rng.next(3) as usize];
    doc.status = ConversationStatus::ALL[rng.next(4) as usize];
    doc.priority = Priority::ALL[rng.next(4) as usize];
    doc.assignee_id = (rng.next(3) > 0).then(|| UserId(1 + rng.next(20) as i64));
    if rng.next(5) == 0 {
        doc.tags = vec![tag(["billing", "vip", "bug", "shipping"][rng.next(4) as usize])];
    }
    doc.author_handle = Some(format!("user{}", rng.next(100_000)));
    doc.created_at -= Days::minutes(rng.next(60 * 24 * 365) as i64);
    doc
}

#[test]
#[ignore = "benchmark: run in release with --ignored"]
fn indexing_and_search_meet_the_performance_targets() {
    let total: i64 =
        std::env::var("TRELLIS_BENCH_DOCS").ok().and_then(|n| n.parse().ok()).unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = TantivyIndex::open(&dir.path().join("index")).unwrap();
    let mut rng = Lcg(7);
    let docs: Vec<IndexDoc> = (1..=total).map(|id| corpus_doc(&mut rng, id)).collect();

    // The follower commits at most 5,000 changes at a time; a rebuild commits 100,000 documents.
    let batch_size: usize =
        std::env::var("TRELLIS_BENCH_BATCH").ok().and_then(|n| n.parse().ok()).unwrap_or(5_000);
    let started = Instant::now();
    for (i, batch) in docs.chunks(batch_size).enumerate() {
        index.apply(batch.to_vec(), Seq(i as i64 + 1)).unwrap();
    }
    let elapsed = started.elapsed();
    let rate = total as f64 / elapsed.as_secs_f64();
    println!("indexed {total} docs in batches of {batch_size} in {elapsed:.2?}: {rate:.0} docs/s");

    let queries = [
        "refund",
        "refund late",
        "\"gift card\" failed",
        "#blackfriday status:open",
        "@acmesupport -channel:x",
        "delivery is:unassigned priority:urgent",
        "tag:billing",
        "status:open channel:facebook",
        "charging after:2024-06-01",
        "🔥 OR crash",
        "",
    ];
    for sort in [SortOrder::Relevance, SortOrder::Newest] {
        let mut timings: Vec<Duration> = Vec::new();
        for _ in 0..20 {
            for query in queries {
                let request =
                    SearchRequest { query: query.into(), sort, limit: 25, offset: 0, brands: None };
                let started = Instant::now();
                let results = index.search(&request).unwrap();
                timings.push(started.elapsed());
                assert!(results.hits.len() <= 25);
            }
        }
        for (q, query) in queries.iter().enumerate() {
            let mut own: Vec<Duration> =
                timings.iter().skip(q).step_by(queries.len()).copied().collect();
            own.sort();
            println!("  {sort:?} {query:?}: p50 {:.2?}", own[own.len() / 2]);
        }
        timings.sort();
        let p50 = timings[timings.len() / 2];
        let p99 = timings[timings.len() * 99 / 100];
        println!("{sort:?}: p50 {p50:.2?} p99 {p99:.2?} over {} searches", timings.len());
    }
}

#[test]
#[ignore = "benchmark: run in release with --ignored"]
fn analysis_alone_is_fast() {
    let mut rng = Lcg(7);
    let docs: Vec<IndexDoc> = (1..=200_000).map(|id| corpus_doc(&mut rng, id)).collect();
    let mut tokenizer =
        trellis_search::analysis::SocialTokenizer::new(trellis_search::analysis::Mode::Index);
    let started = Instant::now();
    let mut tokens = 0;
    for doc in &docs {
        tokens += tokenizer.analyze(&doc.text).len();
    }
    let elapsed = started.elapsed();
    println!(
        "analyzed {} docs ({tokens} tokens) in {elapsed:.2?}: {:.0} docs/s",
        docs.len(),
        docs.len() as f64 / elapsed.as_secs_f64()
    );
}
