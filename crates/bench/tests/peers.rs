//! The peers, checked against the corpus itself: their match counts for plain words agree with a
//! direct scan of the texts, and the PostgreSQL database they use is dropped afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use trellis_bench::corpus::CorpusConfig;
use trellis_bench::peers::{peer_rows, run_peers};
use trellis_bench::queries::query_mix;

const CORPUS: CorpusConfig = CorpusConfig { messages: 1_500, seed: 99, batch_size: 400 };

/// Messages containing `word` as a whole word, case-insensitively, the way an FTS tokenizer sees
/// ASCII words.
fn scan(word: &str) -> u64 {
    let mut count = 0;
    for rows in peer_rows(CORPUS) {
        for row in rows.unwrap() {
            let lower = row.text.to_lowercase();
            if lower.split(|c: char| !c.is_alphanumeric()).any(|token| token == word) {
                count += 1;
            }
        }
    }
    count
}

#[tokio::test]
async fn peers_count_plain_words_as_a_scan_of_the_corpus_does() {
    let dir = tempfile::tempdir().unwrap();
    let queries = query_mix("nobody");
    let url = trellis_store::testing::postgres_test_url();
    let report = run_peers(CORPUS, &queries, 1, dir.path(), &url).await.unwrap();
    if let Some(error) = &report.postgres_error {
        assert!(!trellis_store::testing::in_ci(), "postgres is required in CI: {error}");
        eprintln!("SKIPPING postgres peers: postgres unreachable: {error}");
    } else {
        assert_eq!(report.engines.len(), 3);
    }
    let expected = scan("refund");
    assert!(expected > 10, "the corpus talks about refunds: {expected}");
    for engine in &report.engines {
        let word = engine.queries.iter().find(|q| q.name == "word").unwrap();
        assert!(word.hits > 0 && word.hits <= 25, "{}: {} hits", engine.engine, word.hits);
        if engine.engine == "postgres_ilike" {
            // Substring search also finds "refunded", "#refund", …: never fewer.
            assert!(word.matches >= expected, "{}: {}", engine.engine, word.matches);
        } else {
            assert_eq!(word.matches, expected, "{}", engine.engine);
        }
        let negation = engine.queries.iter().find(|q| q.name == "negation").unwrap();
        let shipping = scan("shipping");
        assert!(negation.matches > 0 && negation.matches < shipping, "{}", engine.engine);
        assert!(engine.latency.samples == queries.len(), "one timed pass");
    }
}
