//! Ingest throughput check: `cargo test -p trellis-store --test ingest_rate -- --ignored --nocapture`
//! (`TRELLIS_RATE_MESSAGES` sets the count, default 100,000; add `--test-threads 1` so the two
//! variants do not share the cores). Prints messages per second; the
//! benchmark crate holds the end-to-end numbers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::DateTime;
use std::time::Instant;
use trellis_core::{
    Channel, Direction, IngestBatch, MessageKind, NewAccount, NewContact, NewMessage, PlatformId,
    Store,
};
use trellis_store::{testing::temp_sqlite_url, SqliteStore};

/// How messages are spread over threads.
#[derive(Clone, Copy)]
enum Threads {
    /// Four consecutive messages per thread: each thread is created and finished in one batch.
    Consecutive,
    /// Messages scattered over 14,000 threads, as in the bench corpus: after the first batches
    /// most messages join conversations that earlier batches created, so every batch updates
    /// hundreds of stored conversations.
    Interleaved,
}

fn message(i: u64, threads: Threads) -> NewMessage {
    let thread = match threads {
        Threads::Consecutive => i / 4,
        Threads::Interleaved => i.wrapping_mul(2_654_435_761) % 14_000,
    };
    let author = format!("u{}", i % 20_000);
    NewMessage {
        platform_id: PlatformId::parse(&format!("m{i}")).unwrap(),
        kind: if i % 5 == 0 { MessageKind::DirectMessage } else { MessageKind::Reply },
        direction: if i % 7 == 0 { Direction::Outbound } else { Direction::Inbound },
        author: NewContact {
            platform_id: PlatformId::parse(&author).unwrap(),
            handle: Some(author.parse().unwrap()),
            display_name: Some(format!("User {author}")),
            follower_count: Some(100),
            verified: false,
        },
        parent_platform_id: None,
        thread_platform_id: Some(PlatformId::parse(&format!("t{thread}")).unwrap()),
        thread_title: None,
        text: format!("message number {i} about an order that has not arrived yet, please help"),
        lang: Some("en".into()),
        raw: serde_json::json!({ "id": i.to_string(), "text": "…", "public_metrics": { "likes": 3 } }),
        created_at: DateTime::from_timestamp(1_700_000_000 + i as i64, 0).unwrap(),
        deleted_at: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "throughput measurement, run on demand"]
async fn ingest_rate_on_sqlite() {
    ingest_rate(Threads::Consecutive).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "throughput measurement, run on demand"]
async fn ingest_rate_into_existing_conversations_on_sqlite() {
    ingest_rate(Threads::Interleaved).await;
}

async fn ingest_rate(threads: Threads) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let total: u64 =
        std::env::var("TRELLIS_RATE_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::connect(&temp_sqlite_url(dir.path())).await.unwrap();
    store.migrate().await.unwrap();
    let brand = store.create_brand("bench").await.unwrap();
    let account = store
        .create_account(NewAccount {
            brand_id: brand.id,
            channel: Channel::X,
            platform_account_id: "bench".into(),
            display_name: "@bench".into(),
            base_url: "http://127.0.0.1:1".into(),
        })
        .await
        .unwrap();
    let started = Instant::now();
    let mut i = 0;
    while i < total {
        let messages = (i..(i + 1_000).min(total)).map(|i| message(i, threads)).collect();
        store
            .ingest(IngestBatch { account_id: account.id, messages, cursors: vec![] })
            .await
            .unwrap();
        i += 1_000;
    }
    let elapsed = started.elapsed();
    assert_eq!(store.message_count().await.unwrap(), total);
    println!(
        "ingested {total} messages in {:.2}s: {:.0} messages/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
}
