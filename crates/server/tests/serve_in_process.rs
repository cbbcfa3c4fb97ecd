//! `serve_until` in process: the indexer follows the store while serving, and cancelling the token
//! stops the server and the follower.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use trellis_core::{Channel, IngestBatch, NewAccount, NewContact, NewMessage, PlatformId};
use trellis_server::config::{Config, LogFormat};

fn message(id: &str, text: &str) -> NewMessage {
    NewMessage {
        platform_id: PlatformId::parse(id).unwrap(),
        kind: trellis_core::MessageKind::Mention,
        direction: trellis_core::Direction::Inbound,
        author: NewContact {
            platform_id: PlatformId::parse("u1").unwrap(),
            handle: Some(trellis_core::Handle::parse("dana").unwrap()),
            display_name: None,
            follower_count: None,
            verified: false,
        },
        parent_platform_id: None,
        thread_platform_id: None,
        thread_title: None,
        text: text.into(),
        lang: None,
        raw: serde_json::Value::Null,
        created_at: chrono::Utc::now(),
        deleted_at: None,
    }
}

#[tokio::test]
async fn a_message_ingested_while_serving_becomes_searchable_and_cancel_stops_everything() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().to_owned(),
        database_url: trellis_store::testing::temp_sqlite_url(dir.path()),
        bind: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        log: "info".into(),
        log_format: LogFormat::Text,
        sync: Default::default(),
        secret_key: None,
        x: Default::default(),
        facebook: Default::default(),
        discourse: Default::default(),
    };
    let shutdown = CancellationToken::new();
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(trellis_server::serve::serve_until(
        Arc::new(config.clone()),
        shutdown.clone(),
        move |addr| {
            let _ = bound_tx.send(addr);
        },
    ));
    let addr = tokio::time::timeout(Duration::from_secs(30), bound_rx).await.unwrap().unwrap();

    // Another writer on the same database, as a connector on this or another node would be.
    let store = trellis_store::connect(&config.database_url).await.unwrap();
    let brand = store.create_brand("Acme").await.unwrap();
    let account = store
        .create_account(NewAccount {
            brand_id: brand.id,
            channel: Channel::X,
            platform_account_id: "acme".into(),
            display_name: "@acme".into(),
            base_url: String::new(),
        })
        .await
        .unwrap();
    store
        .ingest(IngestBatch {
            account_id: account.id,
            messages: vec![message("9001", "the espresso machine is broken")],
            cursors: Vec::new(),
        })
        .await
        .unwrap();

    let token = support::admin_token(&store).await;
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/v1/search?q=espresso");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
        let results: serde_json::Value = response.json().await.unwrap();
        if results["total"] == 1 {
            assert_eq!(results["hits"][0]["author_handle"], "dana");
            break;
        }
        assert!(Instant::now() < deadline, "the indexer never picked the message up: {results}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    shutdown.cancel();
    let outcome = tokio::time::timeout(Duration::from_secs(30), server).await.unwrap().unwrap();
    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(client.get(format!("http://{addr}/healthz")).send().await.is_err(), "still listening");
}
